/** Network config parsing, validation and normalization to the canonical config. */
export { type ConfigIssue, type ConfigResult, type PathSegment, ConfigError, formatConfigIssues, formatPath } from "./issues.js";
export { parseNetworkConfig, parseNetworkConfigOrThrow } from "./parse.js";
export {
  type CanonicalNetworkConfig,
  normalizeNetworkConfig,
  canonicalizeNetworkConfig,
  canonicalizeNetworkConfigOrThrow,
  canonicalPolicy,
  canonicalRule,
  canonicalDestination,
} from "./normalize.js";
export {
  type PresetName,
  type ProfileName,
  PRESET_SPELLINGS,
  canonicalPresetName,
  presetPolicy,
  policyFromProfiles,
  allowDnsRule,
  allowGroupRule,
  denyListRules,
} from "./presets.js";
export { type NameserverSpec, parseNameserver, formatNameserver, nameserverError } from "./nameserver.js";
export { WIRE_GROUPS } from "./semantic.js";
