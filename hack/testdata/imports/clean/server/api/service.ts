import { Code, ConnectError } from "@connectrpc/connect";
import { run } from "../engine/run.ts";

export function service(ok: boolean): string {
  if (!ok) throw new ConnectError("not ok", Code.InvalidArgument);
  return run();
}
