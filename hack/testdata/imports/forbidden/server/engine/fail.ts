import { Code, ConnectError } from "@connectrpc/connect";

export function fail(): never {
  throw new ConnectError("no such pipeline", Code.NotFound);
}
