/**
 * The conformance probe for `dns_message` vectors: runs the real forwarder pipeline against a
 * scripted upstream (built from the probe's `upstream_answers` / `upstream_rcode`) and reports
 * what the guest received and what the resolved-name cache learned.
 */
import dnsPacket from "dns-packet";
import { compilePolicy, formatIp, ipFromBytes, parseIp, ResolvedNameCache, type IpAddr, type NetworkPolicy } from "@sandbox/core";
import { createDnsHandler, type NameCacheWriter } from "./forwarder.js";
import type { DnsUpstreamTransport } from "./transport.js";
import { buildQuery, flagsOf, parseMessage, RR } from "./wire.js";

/** `public-only` (D2): what a config without a policy means. */
const PUBLIC_ONLY: NetworkPolicy = {
  default_egress: "deny",
  default_ingress: "allow",
  rules: [
    { direction: "egress", destination: { group: "host" }, protocols: ["udp", "tcp"], ports: [{ start: 53, end: 53 }], action: "allow" },
    { direction: "egress", destination: { group: "public" }, protocols: [], ports: [], action: "allow" },
  ],
} as NetworkPolicy;

const DEFAULT_GATEWAY = { ipv4: "172.16.0.1", ipv6: "fd42:6d73:62::1" };

const TYPES: Record<string, number> = { A: RR.A, AAAA: RR.AAAA, CNAME: RR.CNAME, TXT: RR.TXT, MX: RR.MX, NS: RR.NS, HTTPS: RR.HTTPS, SVCB: RR.SVCB };
const RCODES: Record<string, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };
const RCODE_NAMES = Object.fromEntries(Object.entries(RCODES).map(([k, v]) => [v, k])) as Record<number, string>;
const TYPE_NAMES = Object.fromEntries(Object.entries(TYPES).map(([k, v]) => [v, k])) as Record<number, string>;

/** A `dns_message` probe. */
export interface DnsMessageProbe {
  readonly questions: readonly string[];
  readonly transport?: "udp" | "tcp";
  readonly response_size_gt_edns_or_512?: boolean;
  readonly upstream_answers?: readonly (readonly [string, string, string, number])[];
  readonly upstream_rcode?: string;
}

/** The config keys a `dns_message` vector may carry. */
export interface DnsMessageConfig {
  readonly policy?: NetworkPolicy;
  readonly gateway?: { ipv4?: string; ipv6?: string };
  readonly rebind_protection?: boolean;
}

/** What the probe observed. */
export interface DnsMessageResult {
  rcode: string;
  aa: boolean;
  tc: boolean;
  answers: { type: string; data: string; ttl: number }[];
  question_echoed: "none" | "first only" | "all";
  cached?: { host: string; family: "ipv4" | "ipv6"; ips: string[]; ttl_secs: number };
  cache?: string;
}

function buildQueryMessage(questions: readonly string[]): Uint8Array {
  const qs = questions.map((s) => {
    const [name, type] = s.trim().split(/\s+/);
    return { name: name!, type: (type ?? "A") as "A" };
  });
  if (qs.length === 1) return buildQuery(0x1234, qs[0]!.name, TYPES[qs[0]!.type] ?? RR.A);
  return new Uint8Array(dnsPacket.encode({ id: 0x1234, type: "query", flags: dnsPacket.RECURSION_DESIRED, questions: qs }));
}

function scriptedUpstream(probe: DnsMessageProbe): DnsUpstreamTransport {
  const answer = (msg: Uint8Array): Uint8Array => {
    const q = dnsPacket.decode(Buffer.from(msg));
    const answers: dnsPacket.Answer[] = [];
    for (const [name, type, data, ttl] of probe.upstream_answers ?? []) answers.push({ name, type: type as "A", data, ttl, class: "IN" });
    if (probe.response_size_gt_edns_or_512) {
      const question = q.questions?.[0];
      answers.push({ name: question?.name ?? "example.com", type: "TXT", ttl: 60, class: "IN", data: ["x".repeat(200), "y".repeat(200), "z".repeat(200)] });
    }
    const rcode = (probe.upstream_rcode ?? "NOERROR") as "NOERROR";
    return new Uint8Array(dnsPacket.encode({ id: q.id, type: "response", flags: dnsPacket.RECURSION_AVAILABLE, rcode, questions: q.questions, answers } as dnsPacket.Packet));
  };
  return {
    udp: async (m) => answer(m),
    tcp: async (m) => answer(m),
    dot: async (m) => answer(m),
    close() {},
  };
}

/** Run one `dns_message` vector's probe through the forwarder. */
export async function runDnsMessageProbe(config: DnsMessageConfig, probe: DnsMessageProbe): Promise<DnsMessageResult> {
  const gateway = config.gateway ?? DEFAULT_GATEWAY;
  const real = new ResolvedNameCache();
  const policy = compilePolicy(config.policy ?? PUBLIC_ONLY, { gateway, cache: real });
  let recorded: DnsMessageResult["cached"];
  let cleared: string | undefined;
  const cache: NameCacheWriter = {
    record(name, family, ips, ttlSecs) {
      recorded = { host: name, family, ips: ips.map(formatIp), ttl_secs: ttlSecs };
      real.record(name, family, ips, ttlSecs);
    },
    clear(name, family) {
      cleared = `entry for (${name}, ${family}) cleared`;
      real.clear(name, family);
    },
  };
  const handler = createDnsHandler({
    policy,
    cache,
    gateway,
    upstreams: [{ ip: "192.0.2.53", port: 53 }],
    rebindProtection: config.rebind_protection ?? true,
    transport: scriptedUpstream(probe),
  });
  const resolverIp = parseIp(gateway.ipv4 ?? gateway.ipv6 ?? "0.0.0.0") as IpAddr;
  const query = buildQueryMessage(probe.questions);
  const out = await handler.handle(query, { transport: probe.transport ?? "udp", resolverIp, clientIp: resolverIp });
  handler.close();
  const msg = out ? parseMessage(out) : undefined;
  if (!msg) return { rcode: "NONE", aa: false, tc: false, answers: [], question_echoed: "none" };
  const f = flagsOf(msg.flags);
  const answers = msg.answers.map((r) => {
    const raw = msg.bytes.subarray(r.rdataOffset, r.rdataOffset + r.rdataLength);
    const data = r.type === RR.A || r.type === RR.AAAA ? formatIp(ipFromBytes(raw)) : Buffer.from(raw).toString("hex");
    return { type: TYPE_NAMES[r.type] ?? String(r.type), data, ttl: r.ttl };
  });
  const result: DnsMessageResult = {
    rcode: RCODE_NAMES[f.rcode] ?? String(f.rcode),
    aa: f.aa,
    tc: f.tc,
    answers,
    question_echoed: msg.questions.length === 0 ? "none" : msg.questions.length === 1 && probe.questions.length > 1 ? "first only" : msg.questions.length === 1 ? "first only" : "all",
  };
  if (recorded) result.cached = recorded;
  if (cleared && !recorded) result.cache = cleared;
  return result;
}
