/** `sandbox validate`: check a network config in any dialect; every error with its JSON path. */
import type { Command } from "../command.js";
import { DIALECTS, describeIssue, loadConfigFile } from "../config.js";
import { CliError } from "../command.js";
import { Exit } from "../exit-codes.js";

/** The `validate` command. */
export const validateCommand: Command = {
  name: "validate",
  summary: "Check a network config (any dialect); errors name the JSON path",
  usage: "sandbox validate <config.json|-> [--dialect canonical|go|go-ffi|python]",
  description: `Validates a network config against the schema and the semantic checks (CIDRs, domain names, ICMP ingress (D4), limits, secrets, nameservers), reporting every problem at once with its JSON path, the bad value and what would be accepted.\nDialects:\n${Object.entries(DIALECTS).map(([k, v]) => `  ${k}: ${v}`).join("\n")}`,
  examples: ["sandbox validate examples/public-only.json", "sandbox validate --dialect go examples/go-network-config.json", "echo '{\"preset\": \"none\"}' | sandbox validate -"],
  options: { dialect: { type: "string", short: "d" } },
  async run({ positionals, values, out, json }) {
    const file = positionals[0];
    if (!file) throw new CliError("missing the config file (use - for stdin)", Exit.usage);
    const r = loadConfigFile(file, values.dialect);
    if (json) {
      out.json(r.ok ? { ok: true, file, rules: r.config.policy.rules.length } : { ok: false, file, errors: r.issues });
      return r.ok ? Exit.ok : Exit.invalid;
    }
    if (r.ok) {
      const p = r.config.policy;
      out.line(`${out.green("✓")} ${file} is valid: ${p.rules.length} rule${p.rules.length === 1 ? "" : "s"}, default egress ${p.default_egress}, default ingress ${p.default_ingress}`);
      return Exit.ok;
    }
    out.line(`${out.red("✗")} ${file} is invalid (${r.issues.length} problem${r.issues.length === 1 ? "" : "s"}):`);
    for (const i of r.issues) out.line(`  ${describeIssue(i)}`);
    return Exit.invalid;
  },
};
