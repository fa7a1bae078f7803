import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import { UsageError } from "./errors.ts";

export const protocols = ["grpc", "grpc-web", "connect"] as const;
export type Protocol = (typeof protocols)[number];

export const commandNames = [
  "run",
  "watch",
  "cancel",
  "logs",
  "scale-up",
  "scale-down",
  "status",
  "list",
  "forwarding",
  "help",
] as const;
export type CommandName = (typeof commandNames)[number];

export const defaultServer = "http://localhost:9090";

export interface GlobalOptions {
  server: string;
  protocol: Protocol;
  json: boolean;
}

export type LogTarget =
  | { kind: "worker"; workerId: string }
  | { kind: "pipeline"; pipelineId: string; stageId: string };

export type Command =
  | { name: "help"; topic: CommandName | undefined }
  | { name: "run"; file: string }
  | { name: "watch"; pipelineId: string }
  | { name: "cancel"; pipelineId: string; reason: string }
  | { name: "logs"; target: LogTarget; follow: boolean }
  | {
      name: "scale-up";
      taskId: string;
      workers: number;
      image: string;
      env: Record<string, string>;
      command: string[];
    }
  | { name: "scale-down"; taskId: string; workers: number }
  | { name: "status"; taskId: string; pipelineId: string; watch: boolean }
  | { name: "list" }
  | { name: "forwarding" };

export interface Invocation {
  globals: GlobalOptions;
  command: Command;
}

const options = {
  server: { type: "string" },
  protocol: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  workers: { type: "string", short: "w" },
  image: { type: "string" },
  env: { type: "string", short: "e", multiple: true },
  follow: { type: "boolean", short: "f" },
  pipeline: { type: "string" },
  stage: { type: "string" },
  task: { type: "string" },
  watch: { type: "boolean" },
  reason: { type: "string" },
} as const satisfies ParseArgsOptionsConfig;

type OptionName = keyof typeof options;

const globalOptions: readonly OptionName[] = ["server", "protocol", "json", "help"];

/** The options each command accepts besides the global ones. */
export const commandOptions: Record<CommandName, readonly OptionName[]> = {
  run: [],
  watch: [],
  cancel: ["reason"],
  logs: ["follow", "pipeline", "stage"],
  "scale-up": ["workers", "image", "env"],
  "scale-down": ["workers"],
  status: ["task", "pipeline", "watch"],
  list: [],
  forwarding: [],
  help: [],
};

type Env = Record<string, string | undefined>;

function isCommandName(name: string): name is CommandName {
  return (commandNames as readonly string[]).includes(name);
}

function isProtocol(name: string): name is Protocol {
  return (protocols as readonly string[]).includes(name);
}

function parseServer(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--server: "${text}" is not a URL such as ${defaultServer}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--server: "${text}" must start with http:// or https://`);
  }
  return text.replace(/\/+$/, "");
}

function parseWorkerCount(text: string | undefined, command: CommandName): number {
  if (text === undefined) {
    throw new UsageError(`${command} needs the number of workers: -w N`);
  }
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 2_147_483_647) {
    throw new UsageError(`-w/--workers: "${text}" is not a whole number of at least 1`);
  }
  return value;
}

function parseEnv(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) {
      throw new UsageError(`-e/--env: "${pair}" is not KEY=VALUE`);
    }
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

function noMore(rest: readonly string[], command: CommandName): void {
  const extra = rest[0];
  if (extra !== undefined) {
    throw new UsageError(`${command}: unexpected argument "${extra}"`);
  }
}

function required(value: string | undefined, what: string, command: CommandName): string {
  if (value === undefined || value === "") {
    throw new UsageError(`${command} needs ${what}`);
  }
  return value;
}

function tokenize(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      options,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/**
 * Turns the command line (without node and script) into an invocation.
 * Global options may appear anywhere; everything after `--` is positional.
 */
export function parseCli(argv: readonly string[], env: Env = {}): Invocation {
  const { values, tokens } = tokenize(argv);

  // Positionals before `--` name the command and its arguments; after it, only arguments.
  const terminator = tokens.find((t) => t.kind === "option-terminator");
  const before: string[] = [];
  const after: string[] = [];
  for (const t of tokens) {
    if (t.kind !== "positional") continue;
    if (terminator !== undefined && t.index > terminator.index) after.push(t.value);
    else before.push(t.value);
  }

  const protocolText = values.protocol ?? "connect";
  if (!isProtocol(protocolText)) {
    throw new UsageError(`--protocol: "${protocolText}" is not one of ${protocols.join(", ")}`);
  }
  const serverText = values.server ?? env.OTTOSCALER_SERVER;
  const globals: GlobalOptions = {
    server: parseServer(serverText === undefined || serverText === "" ? defaultServer : serverText),
    protocol: protocolText,
    json: values.json ?? false,
  };

  const [name, ...args] = before;
  if (name === undefined) {
    if (values.help === true) return { globals, command: { name: "help", topic: undefined } };
    throw new UsageError("missing command");
  }
  if (!isCommandName(name)) {
    throw new UsageError(`unknown command "${name}"`);
  }
  if (values.help === true) return { globals, command: { name: "help", topic: name } };

  const allowed = new Set<string>([...globalOptions, ...commandOptions[name]]);
  for (const t of tokens) {
    if (t.kind === "option" && !allowed.has(t.name)) {
      throw new UsageError(`${t.rawName} is not an option of "${name}"`);
    }
  }

  const positional = [...args, ...after];
  return { globals, command: parseCommand(name, positional, values) };
}

interface Values {
  server?: string;
  protocol?: string;
  json?: boolean;
  help?: boolean;
  workers?: string;
  image?: string;
  env?: string[];
  follow?: boolean;
  pipeline?: string;
  stage?: string;
  task?: string;
  watch?: boolean;
  reason?: string;
}

function parseCommand(name: CommandName, positional: string[], values: Values): Command {
  const [first, ...rest] = positional;
  switch (name) {
    case "help": {
      noMore(rest, name);
      if (first !== undefined && !isCommandName(first)) {
        throw new UsageError(`unknown command "${first}"`);
      }
      return { name, topic: first };
    }
    case "run":
      noMore(rest, name);
      return { name, file: required(first, "a pipeline file: ottoctl run FILE", name) };
    case "watch":
      noMore(rest, name);
      return { name, pipelineId: required(first, "a pipeline ID: ottoctl watch ID", name) };
    case "cancel":
      noMore(rest, name);
      return {
        name,
        pipelineId: required(first, "a pipeline ID: ottoctl cancel ID", name),
        reason: values.reason ?? "",
      };
    case "logs": {
      noMore(rest, name);
      const follow = values.follow ?? false;
      if (values.pipeline !== undefined) {
        if (first !== undefined) {
          throw new UsageError("logs takes either WORKER_ID or --pipeline ID, not both");
        }
        return {
          name,
          target: {
            kind: "pipeline",
            pipelineId: required(values.pipeline, "a pipeline ID after --pipeline", name),
            stageId: values.stage ?? "",
          },
          follow,
        };
      }
      if (values.stage !== undefined) {
        throw new UsageError("--stage only works with --pipeline ID");
      }
      return {
        name,
        target: {
          kind: "worker",
          workerId: required(first, "a worker ID, or --pipeline ID", name),
        },
        follow,
      };
    }
    case "scale-up": {
      const taskId = required(first, "a task ID: ottoctl scale-up TASK -w N -- CMD...", name);
      if (rest.length === 0) {
        throw new UsageError(
          "scale-up needs a command after --: ottoctl scale-up TASK -w N -- CMD...",
        );
      }
      return {
        name,
        taskId,
        workers: parseWorkerCount(values.workers, name),
        image: values.image ?? "",
        env: parseEnv(values.env ?? []),
        command: rest,
      };
    }
    case "scale-down":
      noMore(rest, name);
      return {
        name,
        taskId: required(first, "a task ID: ottoctl scale-down TASK -w N", name),
        workers: parseWorkerCount(values.workers, name),
      };
    case "status":
      noMore(positional, name);
      return {
        name,
        taskId: values.task ?? "",
        pipelineId: values.pipeline ?? "",
        watch: values.watch ?? false,
      };
    case "list":
    case "forwarding":
      noMore(positional, name);
      return { name };
  }
}
