/**
 * The canonical krun network settings: the types and zod schemas generated from
 * schemas/krun.schema.json (src/gen/), plus `parseKrunSettings`, which applies the schema's
 * defaults and reports every problem with its JSON path.
 */
import { KrunNetworkSettings as KrunNetworkSettingsSchema } from "../gen/index.js";
import type { KrunNetworkSettings, KrunNetworkSettingsInput } from "../gen/index.js";
import { KrunConfigError } from "./convert.js";

export { KrunNetwork, KrunNetworkSettings, TsiPortMapping, krunJsonSchema } from "../gen/index.js";
export type { KrunNetworkInput, KrunNetworkSettingsInput, TsiPortMappingInput } from "../gen/index.js";

/**
 * Validate and default a krun network settings value (wire JSON, snake_case).
 * @throws KrunConfigError naming the JSON path of the first problem and what is accepted.
 */
export function parseKrunSettings(input: unknown): KrunNetworkSettings {
  const r = KrunNetworkSettingsSchema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "") || "$";
  throw new KrunConfigError(path, issue.message);
}

/** The accepted (input) form, re-exported for callers building settings by hand. */
export type { KrunNetworkSettingsInput as KrunSettingsInput };
