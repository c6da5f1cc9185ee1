/** The registry of `sandbox` sub-commands, in the order `--help` lists them. */
import type { Command } from "../command.js";
import { schemaCommand } from "./schema.js";

/** Every sub-command. */
export const commands: Command[] = [schemaCommand];
