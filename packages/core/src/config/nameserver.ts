/**
 * Nameserver strings (semantics §4.5): `IP`, `IP:PORT`, bare IPv6, `[IPv6]:PORT`, `HOST`,
 * `HOST:PORT` (port 53 when absent), trimmed. Canonical form: `1.1.1.1:53`,
 * `[2606:4700:4700::1111]:53`, `dns.google:53`.
 */
import { formatIp, parseIp } from "../net/ip.js";
import { parseDomainName } from "../policy/domain-name.js";

/** A parsed nameserver: an IP literal or a host name, and a port. */
export interface NameserverSpec {
  /** `ip` when `host` is an address literal (canonical text), `name` for a host name. */
  readonly kind: "ip" | "name";
  /** Address text (RFC 5952 for IPv6) or canonical host name. */
  readonly host: string;
  /** UDP/TCP port, 53 by default. */
  readonly port: number;
}

/** The exact upstream error text for a rejected nameserver string. */
export function nameserverError(input: string): string {
  return `invalid nameserver "${input}"; expected IP, IP:PORT, HOST, or HOST:PORT`;
}

function port(s: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

/** Parses a nameserver string; returns the spec or the §4.5 error text. */
export function parseNameserver(input: string): NameserverSpec | { error: string } {
  const s = input.trim();
  const bad = { error: nameserverError(input) };
  if (s.length === 0 || /\s/.test(s)) return bad;
  if (s.startsWith("[")) {
    const close = s.indexOf("]");
    if (close < 0) return bad;
    const ip = parseIp(s.slice(1, close));
    if (ip === undefined || ip.family !== 6) return bad;
    const rest = s.slice(close + 1);
    if (rest === "") return { kind: "ip", host: formatIp(ip), port: 53 };
    if (!rest.startsWith(":")) return bad;
    const p = port(rest.slice(1));
    return p === undefined ? bad : { kind: "ip", host: formatIp(ip), port: p };
  }
  const whole = parseIp(s);
  if (whole !== undefined) return { kind: "ip", host: formatIp(whole), port: 53 };
  const colon = s.lastIndexOf(":");
  let hostText = s;
  let p = 53;
  if (colon >= 0) {
    if (s.indexOf(":") !== colon) return bad; // several colons and not a valid IPv6
    const q = port(s.slice(colon + 1));
    if (q === undefined) return bad;
    p = q;
    hostText = s.slice(0, colon);
  }
  const ip = parseIp(hostText);
  if (ip !== undefined) return ip.family === 4 ? { kind: "ip", host: formatIp(ip), port: p } : bad;
  if (hostText.startsWith(".")) return bad;
  const name = parseDomainName(hostText);
  if (!name.ok) return bad;
  return { kind: "name", host: name.name, port: p };
}

/** Serializes a nameserver spec in the canonical `host:port` / `[v6]:port` form. */
export function formatNameserver(spec: NameserverSpec): string {
  return spec.kind === "ip" && spec.host.includes(":") ? `[${spec.host}]:${spec.port}` : `${spec.host}:${spec.port}`;
}
