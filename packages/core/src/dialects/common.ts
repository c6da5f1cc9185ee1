/**
 * Helpers shared by the dialects: turning a dialect's config into the canonical config (errors
 * re-thrown with the SDK's text), destination-group spellings and small type guards.
 */
import { canonicalizeNetworkConfig, type CanonicalNetworkConfig } from "../config/normalize.js";
import type { DestinationGroup } from "../gen/index.js";
import { DialectError, type DialectName } from "./errors.js";
import { showJson, showText } from "../config/show.js";

export { showJson, showText };

/** Group spellings accepted by the SDK string shorthands (kebab and snake `link-local`). */
export const GROUP_SPELLINGS: Readonly<Record<string, DestinationGroup>> = {
  public: "public",
  loopback: "loopback",
  private: "private",
  "link-local": "link_local",
  link_local: "link_local",
  metadata: "metadata",
  multicast: "multicast",
  host: "host",
};

/** The wire group of an SDK group spelling, or undefined. */
export function groupFromSpelling(s: string): DestinationGroup | undefined {
  return Object.prototype.hasOwnProperty.call(GROUP_SPELLINGS, s) ? GROUP_SPELLINGS[s] : undefined;
}

/** True for a non-null, non-array object. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Validates and normalizes a config produced by a dialect. A rejected config throws a
 * {@link DialectError} whose message is the first problem's text (the SDKs report the first
 * accumulated error) and which carries every issue.
 */
export function finish(dialect: DialectName, config: Record<string, unknown>): CanonicalNetworkConfig {
  const r = canonicalizeNetworkConfig(config);
  if (!r.ok) throw new DialectError(dialect, r.errors[0]?.message ?? "invalid network config", r.errors);
  return r.value;
}

/** Drops keys whose value is undefined (keeps the produced configs minimal and readable). */
export function compact<T extends Record<string, unknown>>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

/** A Go/Python secret's `allow_hosts` (exact) and `allow_host_patterns` (wildcard) as wire host patterns, in that order. */
export function sdkAllowedHosts(s: Record<string, unknown>): ({ exact: unknown } | { wildcard: unknown })[] {
  return [
    ...(Array.isArray(s.allow_hosts) ? s.allow_hosts.map((h) => ({ exact: h })) : []),
    ...(Array.isArray(s.allow_host_patterns) ? s.allow_host_patterns.map((h) => ({ wildcard: h })) : []),
  ];
}

/**
 * The Go and Python SDKs' `tls` object (its presence enables interception) as the config's `tls`.
 * Only the Go SDK sends the scoped upstream CA / verification lists.
 */
export function sdkTls(t: Record<string, unknown>, scoped: boolean): Record<string, unknown> {
  const ca = t.ca_cert !== undefined || t.ca_key !== undefined ? compact({ cert_path: t.ca_cert, key_path: t.ca_key }) : undefined;
  return compact({
    enabled: true,
    bypass: t.bypass,
    verify_upstream: t.verify_upstream,
    intercepted_ports: t.intercepted_ports,
    block_quic_on_intercept: t.block_quic,
    upstream_ca_cert: t.upstream_ca_certs,
    scoped_upstream_ca_cert: scoped ? t.scoped_upstream_ca_certs : undefined,
    scoped_verify_upstream: scoped ? t.scoped_verify_upstream : undefined,
    intercept_ca: ca,
  });
}
