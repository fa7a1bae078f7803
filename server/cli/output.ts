import { type DescMessage, type MessageShape, toJsonString } from "@bufbuild/protobuf";
import type { Context } from "./context.ts";

export function printLine(ctx: Context, text = ""): void {
  ctx.stdout.write(`${text}\n`);
}

export function printLines(ctx: Context, lines: readonly string[]): void {
  if (lines.length > 0) ctx.stdout.write(`${lines.join("\n")}\n`);
}

/** One message as one line of JSON (the canonical protobuf JSON), for --json. */
export function printJson<Desc extends DescMessage>(
  ctx: Context,
  schema: Desc,
  message: MessageShape<Desc>,
): void {
  ctx.stdout.write(`${toJsonString(schema, message)}\n`);
}
