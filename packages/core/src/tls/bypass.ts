/**
 * TLS bypass / scoped-upstream pattern matching (§5.5): patterns and SNI are canonicalized
 * (lower-case, trailing dots removed); `*.x` matches `x` and every subdomain of `x`; anything else
 * is an exact match. When several scoped patterns match, the most specific wins.
 */
import { canonicalHost, suffixOrApexMatches } from "../policy/domain-name.js";

/** True when the bypass pattern matches the SNI (§5.5). */
export function tlsPatternMatches(pattern: string, sni: string): boolean {
  const p = canonicalHost(pattern);
  const h = canonicalHost(sni);
  if (p.startsWith("*.")) return suffixOrApexMatches(p.slice(2), h);
  return p === h;
}

/** True when any bypass pattern matches the SNI. */
export function tlsBypassed(patterns: readonly string[], sni: string): boolean {
  for (const p of patterns) if (tlsPatternMatches(p, sni)) return true;
  return false;
}

/**
 * Specificity of a matching pattern (higher wins): exact patterns beat wildcards; among wildcards
 * the longer suffix wins. -1 when the pattern does not match.
 */
export function tlsPatternSpecificity(pattern: string, sni: string): number {
  if (!tlsPatternMatches(pattern, sni)) return -1;
  const p = canonicalHost(pattern);
  return p.startsWith("*.") ? p.length - 2 : 1_000_000;
}

/** The entry whose `pattern` matches the SNI most specifically (first wins ties), or undefined. */
export function mostSpecificPattern<T extends { readonly pattern: string }>(entries: readonly T[], sni: string): T | undefined {
  let best: T | undefined;
  let score = -1;
  for (const e of entries) {
    const s = tlsPatternSpecificity(e.pattern, sni);
    if (s > score) {
      score = s;
      best = e;
    }
  }
  return best;
}
