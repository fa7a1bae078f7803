import type { Clients } from "./clients.ts";
import type { GlobalOptions } from "./global-options.ts";

/** What every command gets: the global options, the API clients and where to write. */
export interface Context {
  globals: GlobalOptions;
  clients: Clients;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}
