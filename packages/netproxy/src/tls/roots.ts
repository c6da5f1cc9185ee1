/**
 * Trust anchors: the host's trusted roots (system bundle plus Node's bundled roots, deduplicated
 * by DER), the upstream-verification settings (extra CA files, scoped CA files, scoped verify -
 * most specific pattern wins), and the bundle shipped to the guest (`trust_host_cas`, §5 step 9).
 */
import { readFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { createSecureContext, rootCertificates, type SecureContext } from "node:tls";
import { mostSpecificPattern as mostSpecific } from "@sandbox/core";

/** Common locations of the system CA bundle. */
export const SYSTEM_BUNDLES = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem", "/etc/ssl/ca-bundle.pem"];

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Certificate PEM blocks in `text`, deduplicated by DER hash (certificates only; keys ignored). */
export function splitPemCertificates(text: string, seen = new Set<string>()): string[] {
  const out: string[] = [];
  for (const m of text.match(PEM_CERT) ?? []) {
    const b64 = m.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, "");
    const der = Buffer.from(b64, "base64");
    if (der.length === 0) continue;
    const h = createHash("sha256").update(der).digest("hex");
    if (seen.has(h)) continue;
    seen.add(h);
    out.push(`-----BEGIN CERTIFICATE-----\n${b64.replace(/(.{64})/g, "$1\n").replace(/\n$/, "")}\n-----END CERTIFICATE-----\n`);
  }
  return out;
}

/** The host's trusted roots: the first readable system bundle plus Node's bundled roots, deduplicated. */
export async function hostTrustedRoots(bundles: readonly string[] = SYSTEM_BUNDLES): Promise<string[]> {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of bundles) {
    try {
      out.push(...splitPemCertificates(await readFile(p, "utf8"), seen));
      break;
    } catch {
      // try the next location
    }
  }
  out.push(...splitPemCertificates(rootCertificates.join("\n"), seen));
  return out;
}

/**
 * The PEM bundle the guest should trust: the interception CA (when interception is on) and,
 * with `trust_host_cas`, the host's roots.
 */
export async function guestTrustBundle(opts: { interceptCaPem?: string; trustHostCas: boolean; bundles?: readonly string[] }): Promise<string> {
  const seen = new Set<string>();
  const parts: string[] = [];
  if (opts.interceptCaPem) parts.push(...splitPemCertificates(opts.interceptCaPem, seen));
  if (opts.trustHostCas) {
    for (const pem of await hostTrustedRoots(opts.bundles)) parts.push(...splitPemCertificates(pem, seen));
  }
  return parts.join("");
}

/** Upstream verification settings (wire `tls` keys). */
export interface UpstreamVerifyConfig {
  readonly verify_upstream?: boolean;
  readonly upstream_ca_cert?: readonly string[];
  readonly scoped_upstream_ca_cert?: readonly { readonly pattern: string; readonly path: string }[];
  readonly scoped_verify_upstream?: readonly { readonly pattern: string; readonly verify: boolean }[];
}

/** Resolved upstream TLS client options for one SNI. */
export interface UpstreamTlsChoice {
  readonly ca: readonly string[];
  readonly rejectUnauthorized: boolean;
  /** A context holding exactly `ca`, built once per distinct root set. */
  readonly secureContext: SecureContext;
}

/** Upstream verification: roots loaded once, a choice per SNI. */
export class UpstreamTrust {
  private constructor(
    private readonly base: readonly string[],
    private readonly scopedCa: readonly { pattern: string; pems: readonly string[] }[],
    private readonly verify: boolean,
    private readonly scopedVerify: readonly { pattern: string; verify: boolean }[],
  ) {}

  /** Load the roots: host roots (unless `hostRoots` is false) + `upstream_ca_cert` files + scoped files. */
  static async load(cfg: UpstreamVerifyConfig, opts: { hostRoots?: boolean; bundles?: readonly string[] } = {}): Promise<UpstreamTrust> {
    const base = opts.hostRoots === false ? [] : await hostTrustedRoots(opts.bundles);
    for (const [i, p] of (cfg.upstream_ca_cert ?? []).entries()) {
      const text = await readFile(p, "utf8").catch((e: Error) => {
        throw new Error(`tls.upstream_ca_cert[${i}]: cannot read ${p}: ${e.message}`);
      });
      const certs = splitPemCertificates(text);
      if (certs.length === 0) throw new Error(`tls.upstream_ca_cert[${i}]: ${p} holds no PEM certificate`);
      base.push(...certs);
    }
    const scopedCa: { pattern: string; pems: string[] }[] = [];
    for (const [i, s] of (cfg.scoped_upstream_ca_cert ?? []).entries()) {
      const text = await readFile(s.path, "utf8").catch((e: Error) => {
        throw new Error(`tls.scoped_upstream_ca_cert[${i}].path: cannot read ${s.path}: ${e.message}`);
      });
      scopedCa.push({ pattern: s.pattern, pems: splitPemCertificates(text) });
    }
    return new UpstreamTrust(base, scopedCa, cfg.verify_upstream ?? true, [...(cfg.scoped_verify_upstream ?? [])]);
  }

  /** Roots and verification for `sni`: the most specific scoped entries win over the globals. */
  choose(sni: string): UpstreamTlsChoice {
    const sv = mostSpecific(this.scopedVerify, sni);
    const sc = mostSpecific(this.scopedCa, sni);
    const ca = sc ? [...this.base, ...sc.pems] : this.base;
    let secureContext = this.contexts.get(sc);
    if (!secureContext) {
      secureContext = createSecureContext({ ca: [...ca] });
      this.contexts.set(sc, secureContext);
    }
    return { ca, rejectUnauthorized: sv ? sv.verify : this.verify, secureContext };
  }

  private readonly contexts = new Map<object | undefined, SecureContext>();
}
