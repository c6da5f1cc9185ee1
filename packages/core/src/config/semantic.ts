/**
 * Semantic checks on a raw network config, beyond what the generated zod schema can say: rule
 * destinations (CIDR / domain grammar, §1.3), D4 (ICMP only in egress rules), port ranges,
 * address pools, nameservers (§4.5), the intercept CA pair, secrets (§6.1), max_connections and
 * bind addresses. Works on unvalidated input: values of the wrong type are skipped (zod reports
 * them). Each check records the path it owns so zod's generic message for it can be dropped.
 */
import { parseCidr } from "../net/cidr.js";
import { parseIp } from "../net/ip.js";
import { parseDomainName } from "../policy/domain-name.js";
import { formatPath, type ConfigIssue, type PathSegment } from "./issues.js";
import { LEGACY_PROTOCOLS, legacyPortRange } from "./legacy.js";
import { showText } from "./show.js";
import { parseNameserver } from "./nameserver.js";

/** Groups accepted on the wire (snake_case). */
export const WIRE_GROUPS = ["public", "loopback", "private", "link_local", "metadata", "multicast", "host"] as const;

const DESTINATION_EXPECTED =
  '"any", {"cidr": "<ip>/<prefix>"}, {"domain": "<name>"}, {"domain_suffix": "<name>"} or {"group": "public"|"loopback"|"private"|"link_local"|"metadata"|"multicast"|"host"}';

/** Collector for semantic issues and the paths whose zod issues they supersede. */
export class IssueSink {
  /** Issues found so far. */
  readonly issues: ConfigIssue[] = [];
  /** Formatted paths owned by a semantic check (zod issues at or under them are dropped). */
  readonly owned = new Set<string>();
  /** Records an issue; `own` marks the path as owned. */
  add(path: readonly PathSegment[], message: string, value: unknown, expected?: string, own = true): void {
    const p = formatPath(path);
    const issue: ConfigIssue = expected === undefined ? { path: p, message, value } : { path: p, message, value, expected };
    this.issues.push(issue);
    if (own) this.owned.add(p);
  }
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function utf8Len(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** Checks a rule destination; owns its path. */
export function checkDestination(d: unknown, path: PathSegment[], sink: IssueSink): void {
  if (d === "any") return;
  if (!isObj(d)) {
    sink.add(path, "invalid destination", d, DESTINATION_EXPECTED);
    return;
  }
  const keys = Object.keys(d);
  const key = keys[0];
  if (keys.length !== 1 || key === undefined || !["cidr", "domain", "domain_suffix", "group"].includes(key)) {
    sink.add(path, keys.length === 1 ? `unknown destination kind \`${key}\`` : "a destination object has exactly one key", d, DESTINATION_EXPECTED);
    return;
  }
  const v = d[key];
  const at = [...path, key];
  if (key === "group") {
    if (typeof v !== "string" || !(WIRE_GROUPS as readonly string[]).includes(v)) {
      sink.add(at, `unknown destination group \`${showText(v)}\``, v, WIRE_GROUPS.map((g) => `"${g}"`).join(", "));
    }
    return;
  }
  if (typeof v !== "string") {
    sink.add(at, `${key} must be a string`, v, key === "cidr" ? "a CIDR such as 10.0.0.0/8" : "a domain name");
    return;
  }
  if (key === "cidr") {
    const c = parseCidr(v);
    if ("error" in c) sink.add(at, c.error, v, "an IPv4 or IPv6 network such as 10.0.0.0/8, 1.2.3.4/32 or 2001:db8::/32");
    return;
  }
  const r = parseDomainName(v);
  if (!r.ok) sink.add(at, r.error, v, "a DNS name (letters, digits, `-`, `_`; labels of 1..63 bytes), optionally with leading/trailing dots");
}

function checkRule(rule: unknown, i: number, sink: IssueSink): void {
  if (!isObj(rule)) return;
  const base: PathSegment[] = ["policy", "rules", i];
  if ("destination" in rule) checkDestination(rule.destination, [...base, "destination"], sink);
  const legacy = rule.protocol;
  if (legacy !== undefined && legacy !== null && legacy !== "" && !LEGACY_PROTOCOLS.includes(legacy as string)) {
    sink.add([...base, "protocol"], `unknown protocol: ${showText(legacy)}`, legacy, '"tcp", "udp", "icmpv4" or "icmpv6" (legacy single-protocol field; prefer `protocols`)');
  }
  if (rule.port !== undefined && rule.port !== null && rule.port !== "") {
    const r = legacyPortRange(rule.port);
    if ("error" in r) sink.add([...base, "port"], r.error, rule.port, 'a port number, "443" or "8000-9000" (legacy single-port field; prefer `ports`)');
  }
  const dir = rule.direction;
  const protos = [...(typeof legacy === "string" ? [legacy] : []), ...(Array.isArray(rule.protocols) ? rule.protocols : [])];
  if (dir === "ingress" || dir === "any") {
    if (protos.some((p) => p === "icmpv4" || p === "icmpv6")) {
      sink.add(
        [...base, Array.isArray(rule.protocols) && rule.protocols.some((p) => p === "icmpv4" || p === "icmpv6") ? "protocols" : "protocol"],
        `rule #${i}: ICMP protocols are egress-only; ingress and any-direction rules cannot include icmpv4 or icmpv6`,
        protos,
        'protocols "tcp"/"udp" in ingress and any-direction rules; ICMP only with direction "egress" (decision D4)',
        false,
      );
    }
  }
  if (Array.isArray(rule.ports)) {
    rule.ports.forEach((r, j) => {
      if (isObj(r) && typeof r.start === "number" && typeof r.end === "number" && r.start > r.end) {
        sink.add([...base, "ports", j], `rule #${i}: invalid port range ${r.start}..${r.end}; lo must be <= hi`, r, "start <= end", false);
      }
    });
  }
}

function checkDomainList(list: unknown, path: PathSegment[], sink: IssueSink): void {
  if (!Array.isArray(list)) return;
  list.forEach((n, i) => {
    if (typeof n !== "string") return;
    const r = parseDomainName(n);
    if (!r.ok) sink.add([...path, i], r.error, n, "a DNS name such as example.com (leading/trailing dots allowed)");
  });
}

function checkPool(v: unknown, key: "ipv4_pool" | "ipv6_pool", sink: IssueSink): void {
  if (typeof v !== "string" || v.length === 0) return;
  const fam = key === "ipv4_pool" ? 4 : 6;
  const label = fam === 4 ? "IPv4" : "IPv6";
  const max = fam === 4 ? 30 : 64;
  const c = parseCidr(v);
  if ("error" in c || c.family !== fam || !v.includes("/")) {
    sink.add([key], `invalid ${label} pool \`${v}\`: not an ${label} network in CIDR notation`, v, `an ${label} CIDR with prefix /${max} or shorter`);
    return;
  }
  if (c.prefix > max) sink.add([key], `invalid ${label} pool \`${v}\`: prefix must be /${max} or shorter`, v, `an ${label} CIDR with prefix /${max} or shorter`);
}

function checkSecrets(secrets: unknown, sink: IssueSink): void {
  if (!isObj(secrets) || !Array.isArray(secrets.secrets)) return;
  secrets.secrets.forEach((s, i) => {
    if (!isObj(s)) return;
    const base: PathSegment[] = ["secrets", "secrets", i];
    const env = s.env_var;
    const envOk = typeof env === "string" && checkEnvVar(env, i, [...base, "env_var"], sink);
    if (Array.isArray(s.allowed_hosts) && s.allowed_hosts.length === 0) {
      sink.add([...base, "allowed_hosts"], `secret #${i}: at least one allowed host is required`, s.allowed_hosts, '[{"exact": host}, {"wildcard": "*.suffix"} or "any", ...]');
    }
    if (typeof s.placeholder === "string") checkPlaceholder(s.placeholder, i, [...base, "placeholder"], sink);
    else if (s.placeholder === undefined && envOk) {
      // The default placeholder `$MSB_<env_var>` must itself be a valid placeholder, or the
      // canonical form (which writes it out) would not parse again.
      checkPlaceholder(`$MSB_${String(env)}`, i, [...base, "env_var"], sink, " (the default placeholder `$MSB_<env_var>`; set `placeholder` or shorten env_var)");
    }
  });
}

/** The reference's env_var checks (§6.1); true when the name passed them. */
function checkEnvVar(env: string, i: number, at: PathSegment[], sink: IssueSink): boolean {
  if (env.length === 0) sink.add(at, `secret #${i}: env_var must not be empty`, env, "a non-empty environment variable name");
  else if (env.includes("=")) sink.add(at, `secret #${i}: env_var must not contain \`=\``, env, "a name without `=`");
  else if (env.includes("\0")) sink.add(at, `secret #${i}: env_var must not contain NUL`, env, "a name without NUL");
  else return true;
  return false;
}

/** The reference's placeholder checks (§6.1); `why` says when the placeholder was derived. */
function checkPlaceholder(ph: string, i: number, at: PathSegment[], sink: IssueSink, why = ""): void {
  const n = utf8Len(ph);
  if (ph.length === 0) sink.add(at, `secret #${i}: placeholder must not be empty`, ph, "1..1024 bytes without NUL, CR or LF");
  else if (n > 1024) sink.add(at, `secret #${i}: placeholder must be at most 1024 bytes, got ${n}${why}`, ph, why ? "an env_var of at most 1019 bytes, or an explicit placeholder" : "1..1024 bytes");
  else if (ph.includes("\0")) sink.add(at, `secret #${i}: placeholder must not contain NUL`, ph, "no NUL bytes");
  else if (/[\r\n]/.test(ph)) sink.add(at, `secret #${i}: placeholder must not contain CR or LF${why}`, ph, why ? "an env_var on a single line, or an explicit placeholder" : "a single line");
}

function checkTls(tls: unknown, sink: IssueSink): void {
  if (!isObj(tls)) return;
  const ca = tls.intercept_ca;
  if (tls.enabled === true && isObj(ca) && (typeof ca.cert_path === "string") !== (typeof ca.key_path === "string")) {
    sink.add(["tls", "intercept_ca"], "intercept CA config is incomplete; set both cert_path and key_path", ca, "both cert_path and key_path, or neither");
  }
  if (Array.isArray(tls.bypass)) {
    tls.bypass.forEach((p, i) => {
      if (typeof p !== "string") return;
      const name = p.startsWith("*.") ? p.slice(2) : p;
      const r = parseDomainName(name);
      if (!r.ok) sink.add(["tls", "bypass", i], `invalid TLS bypass pattern \`${p}\`: ${r.error}`, p, "an exact host name or `*.suffix`");
    });
  }
}

function checkInterface(iface: unknown, sink: IssueSink): void {
  if (!isObj(iface)) return;
  for (const [key, fam] of [["ipv4_address", 4], ["ipv6_address", 6]] as const) {
    const v = iface[key];
    if (typeof v !== "string" || v.length === 0) continue;
    const c = parseCidr(v);
    if ("error" in c || c.family !== fam) {
      sink.add(["interface", key], `invalid ${key} \`${v}\``, v, `an IPv${fam} address with prefix, e.g. ${fam === 4 ? "192.168.127.2/24" : "fd00::2/64"}`);
    }
  }
}

/** Runs every semantic check over a raw config object. */
export function checkSemantics(raw: Record<string, unknown>, sink: IssueSink): void {
  if (raw.preset !== undefined && raw.profiles !== undefined) {
    sink.add(["profiles"], "`preset` and `profiles` cannot both be set", raw.profiles, "either a preset or a list of profiles", false);
  }
  const policy = raw.policy;
  if (isObj(policy) && Array.isArray(policy.rules)) policy.rules.forEach((r, i) => checkRule(r, i, sink));
  checkDomainList(raw.deny_domains, ["deny_domains"], sink);
  checkDomainList(raw.deny_domain_suffixes, ["deny_domain_suffixes"], sink);
  checkDomainList(raw.host_aliases, ["host_aliases"], sink);
  const dns = raw.dns;
  if (isObj(dns) && Array.isArray(dns.nameservers)) {
    dns.nameservers.forEach((n, i) => {
      if (typeof n !== "string") return;
      const r = parseNameserver(n);
      if ("error" in r) sink.add(["dns", "nameservers", i], r.error, n, "IP, IP:PORT, [IPv6]:PORT, HOST or HOST:PORT");
    });
  }
  checkTls(raw.tls, sink);
  checkPool(raw.ipv4_pool, "ipv4_pool", sink);
  checkPool(raw.ipv6_pool, "ipv6_pool", sink);
  const mc = raw.max_connections;
  if (typeof mc === "number" && Number.isInteger(mc) && mc > 4096) {
    sink.add(["max_connections"], `max_connections ${mc} exceeds hard limit 4096`, mc, "an integer 1..4096");
  }
  if (Array.isArray(raw.ports)) {
    raw.ports.forEach((p, i) => {
      if (isObj(p) && typeof p.host_bind === "string" && parseIp(p.host_bind) === undefined) {
        sink.add(["ports", i, "host_bind"], `invalid bind address: ${p.host_bind}`, p.host_bind, "an IPv4 or IPv6 address such as 127.0.0.1, 0.0.0.0 or ::");
      }
    });
  }
  checkSecrets(raw.secrets, sink);
  checkInterface(raw.interface, sink);
}
