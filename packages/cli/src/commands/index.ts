/** The registry of `sandbox` sub-commands, in the order `--help` lists them. */
import type { Command } from "../command.js";
import { demoCommand } from "./demo.js";
import { explainCommand } from "./explain.js";
import { krunAnnotationsCommand, krunParseCommand } from "./krun.js";
import { lintCommand } from "./lint.js";
import { qemuArgsCommand } from "./qemu-args.js";
import { runCommand } from "./run.js";
import { netproxyCommand } from "./netproxy.js";
import { normalizeCommand } from "./normalize.js";
import { schemaCommand } from "./schema.js";
import { validateCommand } from "./validate.js";

/** Every sub-command. */
export const commands: Command[] = [validateCommand, normalizeCommand, explainCommand, lintCommand, schemaCommand, qemuArgsCommand, krunAnnotationsCommand, krunParseCommand, netproxyCommand, runCommand, demoCommand];
