/**
 * `sandbox lint`: warnings for rules that are legal but almost certainly not meant — a deny suffix
 * rule without its apex (D1), `"any"` or `*.x` written as a domain, single-label suffixes, rules
 * shadowed by an earlier broader rule, rules that can never match.
 */
import { lintPolicy } from "@sandbox/core";
import { CliError, type Command } from "../command.js";
import { loadConfigOrFail } from "../config.js";
import { Exit } from "../exit-codes.js";

/** The `lint` command. */
export const lintCommand: Command = {
  name: "lint",
  summary: "Warn about rules that can never match, are shadowed, or miss their apex (D1)",
  usage: "sandbox lint <config.json|-> [--dialect ...] [--strict]",
  description:
    "Lints the canonical policy (what `sandbox normalize` prints: deny lists and presets already expanded), so paths refer to `policy.rules[i]` of that output. Exit 0 unless the config is invalid; with --strict, exit 1 when there are warnings.",
  examples: ["sandbox lint examples/public-only.json", "sandbox lint --strict examples/lint-me.json"],
  options: { dialect: { type: "string", short: "d" }, strict: { type: "boolean" } },
  async run({ positionals, values, out, json }) {
    const file = positionals[0];
    if (!file) throw new CliError("missing the config file (use - for stdin)", Exit.usage);
    const config = loadConfigOrFail(file, values.dialect);
    const warnings = lintPolicy(config.policy, { path: "$.policy" });
    if (json) out.json({ file, warnings });
    else if (warnings.length === 0) out.line(`${out.green("✓")} ${file}: no lint warnings`);
    else {
      out.line(`${out.yellow("!")} ${file}: ${warnings.length} warning${warnings.length === 1 ? "" : "s"}`);
      for (const w of warnings) out.line(`  ${w.path}: ${w.message} [${w.code}]`);
    }
    return values.strict && warnings.length > 0 ? Exit.invalid : Exit.ok;
  },
};
