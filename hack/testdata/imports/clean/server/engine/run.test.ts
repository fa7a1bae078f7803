// Tests are outside the layering and may make RPC errors.
import { Code, ConnectError } from "@connectrpc/connect";
import { BuildStore } from "../logs/store/build-store.ts";

export const fixture = new ConnectError(String(new BuildStore().size), Code.Unknown);
