/**
 * Upstream nameserver configuration (semantics §4.5 and §4.2 step 5): parsing the configured
 * strings, reading the host's `/etc/resolv.conf`, and resolving configured hostnames once.
 */
import { readFile } from "node:fs/promises";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

/** A nameserver as configured: an IP literal or a hostname, and a port. */
export interface NameserverSpec {
  readonly host: string;
  readonly port: number;
}

/** A usable upstream: an IP literal and a port. */
export interface Upstream {
  readonly ip: string;
  readonly port: number;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

function invalid(input: string): Error {
  return new Error(`invalid nameserver "${input}"; expected IP, IP:PORT, HOST, or HOST:PORT`);
}

function parsePort(s: string, input: string): number {
  if (!/^\d{1,5}$/.test(s)) throw invalid(input);
  const n = Number(s);
  if (n > 65535) throw invalid(input);
  return n;
}

/**
 * Parse one nameserver string: `IP`, `IP:PORT`, bare IPv6, `[IPv6]:PORT`, `HOST`, `HOST:PORT`
 * (port 53 by default). Throws the upstream error text on anything else.
 */
export function parseNameserver(raw: string): NameserverSpec {
  const s = raw.trim();
  if (s === "" || /\s/.test(s)) throw invalid(raw);
  if (isIP(s) === 6) return { host: s, port: 53 };
  if (s.startsWith("[")) {
    const m = /^\[([^\]]+)\](?::(.*))?$/.exec(s);
    if (!m || isIP(m[1]!) !== 6) throw invalid(raw);
    return { host: m[1]!, port: m[2] === undefined ? 53 : parsePort(m[2], raw) };
  }
  const colon = s.lastIndexOf(":");
  const host = colon < 0 ? s : s.slice(0, colon);
  const port = colon < 0 ? 53 : parsePort(s.slice(colon + 1), raw);
  if (isIP(host) === 4) return { host, port };
  if (!HOSTNAME.test(host)) throw invalid(raw);
  return { host: host.replace(/\.$/, ""), port };
}

/** Serialize a nameserver the way upstream does: `1.1.1.1:53`, `[::1]:53`, `dns.google:53`. */
export function formatNameserver(n: NameserverSpec): string {
  return isIP(n.host) === 6 ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`;
}

/** The `nameserver` entries of a resolv.conf text, in order (zone suffixes on IPv6 dropped). */
export function parseResolvConf(text: string): Upstream[] {
  const out: Upstream[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    const ip = m[1]!.replace(/%.*$/, "");
    if (isIP(ip)) out.push({ ip, port: 53 });
  }
  return out;
}

/**
 * The upstreams to use: the configured nameservers (hostnames resolved once, in order, all
 * addresses kept) or, when none are configured, the host's resolvers from `resolvConfPath`.
 */
export async function resolveUpstreams(configured: readonly string[], resolvConfPath = "/etc/resolv.conf"): Promise<Upstream[]> {
  if (configured.length > 0) {
    const out: Upstream[] = [];
    for (const raw of configured) {
      const spec = parseNameserver(raw);
      if (isIP(spec.host)) {
        out.push({ ip: spec.host, port: spec.port });
        continue;
      }
      try {
        const addrs = await lookup(spec.host, { all: true });
        for (const a of addrs) out.push({ ip: a.address, port: spec.port });
      } catch {
        // An unresolvable configured name contributes no upstream (as upstream does).
      }
    }
    return out;
  }
  try {
    return parseResolvConf(await readFile(resolvConfPath, "utf8"));
  } catch {
    return [];
  }
}
