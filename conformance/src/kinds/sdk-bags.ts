/**
 * Result "bags" of `sdk_translation` probes: a translation's result together with its derived
 * views (the canonical config under `effective`, a single rule's fields spread at the top level),
 * so the runner can project any vector's expected keys onto it.
 */
import type { CanonicalNetworkConfig, NetworkPolicy, Rule } from "@sandbox/core";

/** Bag of a translation that produced a whole config. */
export function configBag(config: CanonicalNetworkConfig, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...config, ...extra, effective: config, accepted: true };
}

/** Bag of a translation that produced a policy (a single rule's fields are also spread). */
export function policyBag(policy: NetworkPolicy, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const only = policy.rules.length === 1 ? (policy.rules[0] as Rule) : {};
  return { ...only, ...policy, ...extra, accepted: true };
}

/** Bag of a translation that produced one rule fragment. */
export function fragmentBag(fields: Record<string, unknown>): Record<string, unknown> {
  return { ...fields, accepted: true };
}
