/** Dispatch of the `sandbox` command: global help, per-command help, option parsing, exit codes. */
import { parseArgs } from "node:util";
import { CliError, type Command } from "./command.js";
import { commands } from "./commands/index.js";
import { Exit } from "./exit-codes.js";
import { makeOut, type Io } from "./io.js";

function globalHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "sandbox — policy-enforced networking for microVM sandboxes",
    "",
    "Usage: sandbox <command> [options]",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Global options: --json (machine-readable output), --no-color, --help",
    "Exit codes: 0 ok/allowed, 1 invalid input, 2 usage error, 3 denied (explain), 4 missing environment, 5 failed",
    "Run `sandbox <command> --help` for a command's options and examples.",
  ].join("\n");
}

function commandHelp(c: Command): string {
  const opts = Object.entries(c.options).map(([k, v]) => `  --${k}${v.type === "string" ? " <value>" : ""}${v.short ? ` (-${v.short})` : ""}`);
  return [
    `Usage: ${c.usage}`,
    "",
    c.description,
    "",
    ...(opts.length ? ["Options:", ...opts, "  --json, --no-color, --help", ""] : []),
    "Examples:",
    ...c.examples.map((e) => `  $ ${e}`),
  ].join("\n");
}

/** Run the command line; resolves to the process exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    (name ? io.stdout : io.stderr).write(globalHelp() + "\n");
    return name ? Exit.ok : Exit.usage;
  }
  if (name === "--version") {
    io.stdout.write("0.1.0\n");
    return Exit.ok;
  }
  // Sub-commands with two words (`krun parse`) are registered under their full name.
  const cmd = commands.find((c) => c.name === name) ?? commands.find((c) => c.name === `${name} ${rest[0]}`);
  if (!cmd) {
    io.stderr.write(`sandbox: unknown command "${name}"; run \`sandbox --help\` for the list\n`);
    return Exit.usage;
  }
  const args = cmd.name.includes(" ") ? rest.slice(1) : rest;
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...cmd.options, json: { type: "boolean" }, "no-color": { type: "boolean" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    io.stderr.write(`sandbox ${cmd.name}: ${(e as Error).message}\n\n${commandHelp(cmd)}\n`);
    return Exit.usage;
  }
  if (parsed.values.help) {
    io.stdout.write(commandHelp(cmd) + "\n");
    return Exit.ok;
  }
  const json = parsed.values.json === true;
  const out = makeOut(io, json || parsed.values["no-color"] === true);
  try {
    return await cmd.run({ values: parsed.values, positionals: parsed.positionals, out, io, json });
  } catch (e) {
    if (e instanceof CliError) {
      if (json) out.json({ ok: false, error: e.message });
      else out.err(`sandbox ${cmd.name}: ${e.message}`);
      return e.exitCode;
    }
    out.err(`sandbox ${cmd.name}: ${(e as Error).stack ?? String(e)}`);
    return Exit.failed;
  }
}
