import type { Command } from "../command.ts";
import { auditCommand } from "./audit.ts";
import { cancelCommand } from "./cancel.ts";
import { forwardingCommand } from "./forwarding.ts";
import { helpCommand } from "./help.ts";
import { listCommand } from "./list.ts";
import { logsCommand } from "./logs.ts";
import { runCommand } from "./run.ts";
import { scaleDownCommand } from "./scale-down.ts";
import { scaleUpCommand } from "./scale-up.ts";
import { statusCommand } from "./status.ts";
import { watchCommand } from "./watch.ts";

/** Every ottoctl command, in the order `ottoctl --help` lists them. */
export const commands: readonly Command[] = [
  runCommand,
  watchCommand,
  cancelCommand,
  listCommand,
  forwardingCommand,
  logsCommand,
  scaleUpCommand,
  scaleDownCommand,
  statusCommand,
  auditCommand,
  helpCommand(() => commands),
];
