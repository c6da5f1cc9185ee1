/**
 * Secret host patterns (§6.2): `{exact}` (ASCII case-insensitive, no trailing-dot stripping),
 * `{wildcard: "*.x"}` (apex and label-aligned subdomains, case-insensitive) and `"any"`; plus the
 * TLS DNS-pin rule deciding whether a secret is allowed on a connection.
 */
import { asciiLower, suffixOrApexMatches } from "../policy/domain-name.js";

/** Wire host pattern (kebab-case externally tagged; PascalCase aliases accepted). */
export type HostPattern =
  | { readonly exact: string }
  | { readonly wildcard: string }
  | "any"
  | { readonly Exact: string }
  | { readonly Wildcard: string }
  | "Any";

/** Normalized host pattern. */
export type NormalizedHostPattern = { kind: "exact"; host: string } | { kind: "wildcard"; pattern: string } | { kind: "any" };

/** Normalizes the wire spellings (incl. aliases); throws naming what is accepted. */
export function normalizeHostPattern(p: HostPattern): NormalizedHostPattern {
  if (p === "any" || p === "Any") return { kind: "any" };
  if (typeof p === "object" && p !== null) {
    if ("exact" in p && typeof p.exact === "string") return { kind: "exact", host: p.exact };
    if ("Exact" in p && typeof p.Exact === "string") return { kind: "exact", host: p.Exact };
    if ("wildcard" in p && typeof p.wildcard === "string") return { kind: "wildcard", pattern: p.wildcard };
    if ("Wildcard" in p && typeof p.Wildcard === "string") return { kind: "wildcard", pattern: p.Wildcard };
  }
  throw new Error(`invalid host pattern ${JSON.stringify(p)}; expected {"exact": host}, {"wildcard": "*.suffix"} or "any"`);
}

/** §6.2 `HostPattern::matches(h)`. */
export function hostPatternMatches(p: HostPattern | NormalizedHostPattern, host: string): boolean {
  const n = typeof p === "object" && "kind" in p ? p : normalizeHostPattern(p as HostPattern);
  const h = asciiLower(host);
  switch (n.kind) {
    case "any":
      return true;
    case "exact":
      return asciiLower(n.host) === h;
    case "wildcard": {
      const pat = asciiLower(n.pattern);
      if (pat.startsWith("*.")) return suffixOrApexMatches(pat.slice(2), h);
      return pat === h;
    }
  }
}

/** What is known about the connection a secret might be used on. */
export interface SecretConnection {
  /** The host the request names: SNI (TLS intercepted / CONNECT) or the HTTP `Host` header. */
  readonly host: string;
  /** True when the destination IP is DNS-pinned to a name satisfying `pred` (cache lookup). */
  readonly pinned: (pred: (name: string) => boolean) => boolean;
  /** True when the destination IP is a gateway IP. */
  readonly destinationIsGateway: boolean;
  /** False for HTTP CONNECT tunnels, where the SNI is authoritative and no pin is needed. */
  readonly requirePin: boolean;
}

/** The host alias that is allowed on gateway IPs without a DNS pin. */
export const HOST_ALIAS = "host.microsandbox.internal";

/**
 * §6.2: a non-Any pattern allows a secret only if it matches the host **and** (when a pin is
 * required) the destination IP is DNS-pinned to a name matching the pattern, or the host is the
 * gateway alias and the destination is a gateway IP. `any` always allows.
 */
export function secretHostAllowed(p: HostPattern | NormalizedHostPattern, c: SecretConnection): boolean {
  const n = typeof p === "object" && "kind" in p ? p : normalizeHostPattern(p as HostPattern);
  if (n.kind === "any") return true;
  if (!hostPatternMatches(n, c.host)) return false;
  if (!c.requirePin) return true;
  if (c.destinationIsGateway && asciiLower(c.host).replace(/\.+$/, "") === HOST_ALIAS) return true;
  return c.pinned((name) => hostPatternMatches(n, name));
}
