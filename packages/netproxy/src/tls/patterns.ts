/**
 * TLS bypass lookups (semantics §5 step 5) on the hot path: core's pattern semantics
 * (`tlsPatternMatches`: lower-case, trailing dots trimmed, `*.x` = `x` and below, else exact),
 * precompiled into a set lookup per SNI label boundary.
 */
import { canonicalHost } from "@sandbox/core";

/** Precompiled bypass list: exact names in a set, wildcard suffixes checked label by label. */
export class BypassList {
  private readonly exact = new Set<string>();
  private readonly suffixes = new Set<string>();

  constructor(patterns: readonly string[]) {
    for (const raw of patterns) {
      const p = canonicalHost(raw);
      if (p.startsWith("*.")) this.suffixes.add(p.slice(2));
      else this.exact.add(p);
    }
  }

  /** True when `sni` is bypassed. */
  matches(sni: string): boolean {
    const h = canonicalHost(sni);
    if (this.exact.has(h) || this.suffixes.has(h)) return true;
    for (let i = h.indexOf("."); i >= 0; i = h.indexOf(".", i + 1)) if (this.suffixes.has(h.slice(i + 1))) return true;
    return false;
  }
}
