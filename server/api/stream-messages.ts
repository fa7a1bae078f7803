import type { StreamResponse, UnaryResponse } from "@connectrpc/connect";

type AnyResponse = UnaryResponse | StreamResponse;

/** The response with its messages passed through `wrap` when it is a stream; a unary one as it is. */
export function mapStreamMessages<R extends AnyResponse>(
  res: R,
  wrap: (messages: AsyncIterable<unknown>) => AsyncIterable<unknown>,
): R {
  if (!res.stream) return res;
  return { ...res, message: wrap(res.message) };
}
