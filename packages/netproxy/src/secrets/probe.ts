/**
 * The conformance probe for `secret_substitution` vectors: one request pushed through the real
 * request filter with the classification of §6.3 (DNS pin checked only when the vector carries a
 * `dns_cache`), reported as `{violation: action}` or `{forwarded: "unchanged" | "substituted"}`.
 */
import { parseIp, ResolvedNameCache, SecretsConfig, type IpAddr, type SecretsConfigInput } from "@sandbox/core";
import { RequestFilter } from "../http/request-filter.js";
import { classifySecrets } from "./classify.js";

/** A `secret_substitution` probe. */
export interface SecretProbe {
  readonly sni?: string;
  readonly tls_intercepted: boolean;
  readonly request: string;
  readonly guest_ip?: string;
  /** Split the request into writes at these byte offsets (segment-boundary tests). */
  readonly split_at?: readonly number[];
}

/** The config of a `secret_substitution` vector. */
export interface SecretProbeConfig {
  readonly secrets: SecretsConfigInput;
  readonly dns_cache?: readonly { host: string; family: "ipv4" | "ipv6"; ips: readonly string[] }[];
}

/** Probe outcome, shaped like the vectors' `expect`. */
export type SecretProbeResult = { violation: string } | { forwarded: "unchanged" | "substituted" };

/** Detailed outcome: the verdict plus the forwarded bytes. */
export interface SecretProbeDetail {
  readonly result: SecretProbeResult;
  readonly forwarded: string;
  readonly reason?: string;
}

/** Run a probe and return the forwarded bytes too. */
export function runSecretProbeDetailed(config: SecretProbeConfig, probe: SecretProbe): SecretProbeDetail {
  const cfg = SecretsConfig.parse(config.secrets);
  let pinned: ((pred: (n: string) => boolean) => boolean) | undefined;
  if (config.dns_cache !== undefined) {
    const cache = new ResolvedNameCache();
    for (const e of config.dns_cache) cache.record(e.host, e.family, e.ips.map((s) => parseIp(s) as IpAddr), 3600);
    const ip = probe.guest_ip !== undefined ? parseIp(probe.guest_ip) : undefined;
    pinned = (pred) => ip !== undefined && cache.anyHostFor(ip, pred);
  }
  const sni = probe.sni?.toLowerCase().replace(/\.+$/, "");
  const filter = new RequestFilter({
    mode: probe.tls_intercepted && sni ? { kind: "intercepted", sni } : { kind: "plain" },
    planFor: (host) => classifySecrets(cfg, { host: sni ?? host, tlsIntercepted: probe.tls_intercepted, ...(pinned ? { pinned } : {}) }),
  });
  const bytes = Buffer.from(probe.request, "utf8");
  const cuts = [0, ...(probe.split_at ?? []), bytes.length];
  const out: Buffer[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const r = filter.push(bytes.subarray(cuts[i], cuts[i + 1]));
    out.push(...r.out);
    if (r.block) return { result: { violation: r.block.action }, forwarded: Buffer.concat(out).toString("latin1"), reason: r.block.reason };
  }
  const forwarded = Buffer.concat(out).toString("latin1");
  return { result: { forwarded: forwarded === bytes.toString("latin1") ? "unchanged" : "substituted" }, forwarded };
}

/** Run one `secret_substitution` vector's probe. */
export function runSecretProbe(config: SecretProbeConfig, probe: SecretProbe): SecretProbeResult {
  return runSecretProbeDetailed(config, probe).result;
}
