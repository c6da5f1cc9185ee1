/** The shape every `sandbox` sub-command has: help text, an example, option spec and a runner. */
import type { ParseArgsConfig } from "node:util";
import type { Io, Out } from "./io.js";

/** Options accepted by node:util parseArgs. */
export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

/** Parsed invocation handed to a command. */
export interface Invocation {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
  out: Out;
  io: Io;
  json: boolean;
}

/** One sub-command. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Longer description shown by `sandbox <command> --help`. */
  description: string;
  /** At least one runnable example, shown in --help and checked by the docs test. */
  examples: string[];
  options: OptionSpec;
  run(inv: Invocation): Promise<number>;
}

/** An error that maps to a specific exit code and message. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}
