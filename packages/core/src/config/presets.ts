/**
 * Presets (decision D2) and upstream profiles (semantics §2.1) expanded into canonical wire
 * policies, plus the deny-list rules of decision D1.
 */
import type { NetworkPolicy, Rule } from "../gen/index.js";

/** Canonical (kebab-case) preset names. */
export type PresetName = "none" | "public-only" | "allow-all" | "non-local";
/** Upstream profile names. */
export type ProfileName = "public" | "private" | "host";

const PRESET_ALIASES: Readonly<Record<string, PresetName>> = {
  none: "none",
  "public-only": "public-only",
  public_only: "public-only",
  "allow-all": "allow-all",
  allow_all: "allow-all",
  "non-local": "non-local",
  non_local: "non-local",
};

/** Every accepted preset spelling, canonical ones first. */
export const PRESET_SPELLINGS: readonly string[] = Object.keys(PRESET_ALIASES);

/** The canonical spelling of a preset name (`public_only` -> `public-only`), or undefined. */
export function canonicalPresetName(name: string): PresetName | undefined {
  return Object.prototype.hasOwnProperty.call(PRESET_ALIASES, name) ? PRESET_ALIASES[name] : undefined;
}

/** `allow egress udp+tcp/53 to group host` - the automatic DNS rule of the profiles. */
export function allowDnsRule(): Rule {
  return {
    direction: "egress",
    destination: { group: "host" },
    protocols: ["udp", "tcp"],
    ports: [{ start: 53, end: 53 }],
    action: "allow",
  };
}

/** `allow egress` to one destination group, any protocol and port. */
export function allowGroupRule(group: "public" | "private" | "host"): Rule {
  return { direction: "egress", destination: { group }, protocols: [], ports: [], action: "allow" };
}

const PROFILE_ORDER: readonly ProfileName[] = ["public", "private", "host"];

/**
 * `from_profiles(set)` (§2.1): deny/allow defaults; when the set is non-empty one DNS rule, then
 * one allow rule per profile in the order public, private, host (duplicates ignored).
 */
export function policyFromProfiles(profiles: readonly ProfileName[]): NetworkPolicy {
  const set = new Set(profiles);
  const rules: Rule[] = [];
  if (set.size > 0) rules.push(allowDnsRule());
  for (const p of PROFILE_ORDER) if (set.has(p)) rules.push(allowGroupRule(p));
  return { default_egress: "deny", default_ingress: "allow", rules };
}

/** The policy of a preset (D2). */
export function presetPolicy(preset: PresetName): NetworkPolicy {
  switch (preset) {
    case "none":
      return { default_egress: "deny", default_ingress: "deny", rules: [] };
    case "allow-all":
      return { default_egress: "allow", default_ingress: "allow", rules: [] };
    case "public-only":
      return policyFromProfiles(["public"]);
    case "non-local":
      return policyFromProfiles(["public", "private"]);
  }
}

/**
 * Deny-list rules (D1): each exact domain -> `deny egress {domain}`; each suffix -> `deny egress
 * {domain}` (the apex) followed by `deny egress {domain_suffix}`. Domains first, then suffixes,
 * each in input order. Names must already be canonical.
 */
export function denyListRules(domains: readonly string[], suffixes: readonly string[]): Rule[] {
  const rules: Rule[] = [];
  const deny = (destination: Rule["destination"]): Rule => ({ direction: "egress", destination, protocols: [], ports: [], action: "deny" });
  for (const d of domains) rules.push(deny({ domain: d }));
  for (const s of suffixes) {
    rules.push(deny({ domain: s }));
    rules.push(deny({ domain_suffix: s }));
  }
  return rules;
}
