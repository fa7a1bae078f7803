import type { GlobalOptions } from "./args.ts";
import type { Clients } from "./clients.ts";

/** What every command gets: the global options, the API clients and where to write. */
export interface Context {
  globals: GlobalOptions;
  clients: Clients;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}
