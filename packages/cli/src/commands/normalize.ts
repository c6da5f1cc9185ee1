/** `sandbox normalize`: any dialect in, the canonical config JSON out. */
import { CliError, type Command } from "../command.js";
import { loadConfigOrFail } from "../config.js";
import { Exit } from "../exit-codes.js";

/** The `normalize` command. */
export const normalizeCommand: Command = {
  name: "normalize",
  summary: "Convert a config from any dialect to the canonical JSON (presets and deny lists expanded)",
  usage: "sandbox normalize <config.json|-> [--dialect canonical|go|go-ffi|python]",
  description: "Prints the canonical config: presets, profiles and deny lists expanded into the ordered rule list, legacy fields resolved, defaults written out, domain names canonicalized. Normalizing a canonical config gives it back unchanged.",
  examples: ["sandbox normalize examples/public-only.json", "sandbox normalize --dialect go-ffi examples/go-ffi.json"],
  options: { dialect: { type: "string", short: "d" } },
  async run({ positionals, values, out }) {
    const file = positionals[0];
    if (!file) throw new CliError("missing the config file (use - for stdin)", Exit.usage);
    out.json(loadConfigOrFail(file, values.dialect));
    return Exit.ok;
  },
};
