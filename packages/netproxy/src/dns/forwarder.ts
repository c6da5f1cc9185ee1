/**
 * The DNS forwarder: the per-query pipeline of semantics §4.2 - parse, single question, name
 * policy, inactive family, host alias, upstream selection with failover, SERVFAIL, rebind
 * protection, resolved-name cache update, id restore and UDP truncation - with an event for
 * every decision.
 */
import { formatIp, parseIp, unmapIp, type CompiledPolicy, type IpAddr } from "@sandbox/core";
import type { DnsHandler, DnsQueryContext } from "./handler.js";
import type { Upstream } from "./nameservers.js";
import { NodeDnsTransport, type DnsUpstreamTransport } from "./transport.js";
import { allAnswerAddresses, chainAddresses } from "./answers.js";
import { firstRebindOffender } from "./rebind.js";
import { buildResponse, parseMessage, RCODE, RR, udpPayloadLimit, type WireMessage, type WireQuestion } from "./wire.js";

/** The part of the resolved-name cache the forwarder writes (core's `ResolvedNameCache`). */
export interface NameCacheWriter {
  record(name: string, family: "ipv4" | "ipv6", ips: IpAddr[], ttlSecs: number): void;
  clear(name: string, family: "ipv4" | "ipv6"): void;
}

/** What happened to one guest DNS message. */
export type DnsOutcome =
  | "forwarded" // an upstream answer was relayed
  | "denied" // the name policy said no: NXDOMAIN
  | "resolver_denied" // the guest-chosen resolver is not allowed: NXDOMAIN
  | "rebind_blocked" // the answer carried a reserved address: NXDOMAIN
  | "nodata_inactive_family" // A/AAAA for a family without a gateway
  | "host_alias" // synthesized answer for the host alias
  | "servfail" // no usable upstream answer
  | "formerr" // not exactly one question
  | "dropped"; // unparseable: no answer

/** An event for every DNS decision. */
export interface DnsEvent {
  readonly type: "dns";
  readonly outcome: DnsOutcome;
  readonly transport: DnsQueryContext["transport"];
  /** Canonical query name, or null when the name is not a valid hostname (e.g. the root). */
  readonly name: string | null;
  readonly qtype: number | null;
  /** Where the guest sent the query. */
  readonly resolver: string;
  /** The upstream that answered, when one did. */
  readonly upstream?: string;
  /** The rcode sent to the guest (absent when dropped). */
  readonly rcode?: number;
  /** The deciding rule index (null = a default action) for policy decisions. */
  readonly rule?: number | null;
  readonly reason: string;
  /** The offending address for rebind_blocked. */
  readonly offender?: string;
  /** True when the answer was replaced by a TC=1 header for exceeding the UDP payload limit. */
  readonly truncated?: boolean;
}

/** Options for {@link createDnsHandler}. */
export interface DnsForwarderOptions {
  /** The sandbox policy; a function lets the caller swap policies live. */
  readonly policy: CompiledPolicy | (() => CompiledPolicy);
  /** Multi-tenant platform floor (§7.6): must allow as well, when set. */
  readonly floor?: CompiledPolicy;
  /** The resolved-name cache shared with the policy. */
  readonly cache: NameCacheWriter;
  /** Gateway addresses; a family without one is inactive. */
  readonly gateway: { readonly ipv4?: string; readonly ipv6?: string };
  /** Upstreams for queries addressed to the gateway, tried in order. */
  readonly upstreams: readonly Upstream[];
  /** Rebind protection (default true). */
  readonly rebindProtection?: boolean;
  /** Per-upstream deadline (default 5000 ms). */
  readonly queryTimeoutMs?: number;
  /** Extra names answered with the gateway addresses (`host.microsandbox.internal` always is, D6). */
  readonly hostAliases?: readonly string[];
  /** Upstream transport (default: node sockets). */
  readonly transport?: DnsUpstreamTransport;
  /** Receives one event per message. */
  readonly events?: (e: DnsEvent) => void;
  /**
   * Ports used when forwarding directly to a guest-chosen resolver (default 53 for UDP/TCP and
   * 853 for DoT); only non-standard deployments and tests change them.
   */
  readonly directResolverPorts?: { readonly plain?: number; readonly dot?: number };
  /**
   * Guest UDP queries being resolved at once (default 256); further UDP queries are dropped and
   * the guest retries, as upstream drops beyond its query channel.
   */
  readonly maxUdpInFlight?: number;
}

/** The host alias every sandbox knows (D6). */
export const HOST_ALIAS = "host.microsandbox.internal";

/** TTL of synthesized host-alias answers. */
export const HOST_ALIAS_TTL = 60;

function canonicalAlias(s: string): string {
  return s.trim().toLowerCase().replace(/\.+$/, "");
}

function sameIp(a: IpAddr, b: IpAddr | undefined): boolean {
  if (!b) return false;
  const x = unmapIp(a);
  const y = unmapIp(b);
  if (x.family !== y.family) return false;
  if (x.family === 4) return x.v4 === (y as { v4: number }).v4;
  const yb = (y as { v6: Uint8Array }).v6;
  for (let i = 0; i < 16; i++) if (x.v6[i] !== yb[i]) return false;
  return true;
}

function isUnspecified(a: IpAddr): boolean {
  const x = unmapIp(a);
  return x.family === 4 ? x.v4 === 0 : x.v6.every((b: number) => b === 0);
}

/** A DNS handler plus the means to release its sockets. */
export interface DnsForwarder extends DnsHandler {
  close(): void;
}

/** Create the forwarder implementing the §4.2 pipeline. */
export function createDnsHandler(opts: DnsForwarderOptions): DnsForwarder {
  const policyOf = typeof opts.policy === "function" ? opts.policy : () => opts.policy as CompiledPolicy;
  const transport = opts.transport ?? new NodeDnsTransport();
  const timeout = opts.queryTimeoutMs ?? 5000;
  const rebind = opts.rebindProtection ?? true;
  // D6: host.microsandbox.internal always, plus the configured aliases.
  const aliases = new Set([HOST_ALIAS, ...(opts.hostAliases ?? [])].map(canonicalAlias));
  const gw4 = opts.gateway.ipv4 !== undefined ? parseIp(opts.gateway.ipv4) : undefined;
  const gw6 = opts.gateway.ipv6 !== undefined ? parseIp(opts.gateway.ipv6) : undefined;
  const sink = opts.events;
  const gw4Bits = gw4 && gw4.family === 4 ? gw4.v4 : undefined;
  const gw4Text = gw4 ? formatIp(gw4) : "";
  /** The resolver address as events show it (the IPv4 gateway's text computed once). */
  const resolverText = (ip: IpAddr): string => (ip.family === 4 && ip.v4 === gw4Bits ? gw4Text : formatIp(ip));
  const upstreamText = (u: Upstream): string => `${u.ip}:${u.port}`;

  async function exchange(
    query: Uint8Array,
    q: WireQuestion,
    ctx: DnsQueryContext,
    targets: readonly Upstream[],
    direct: boolean,
  ): Promise<{ msg: WireMessage; from: Upstream } | undefined> {
    for (const to of targets) {
      try {
        let raw: Uint8Array;
        if (ctx.transport === "udp") {
          raw = await transport.udp(query, to, timeout);
          // TC bit of the header (the whole answer is parsed once, below).
          if (raw.length >= 12 && (raw[2]! & 0x02) !== 0) raw = await transport.tcp(query, to, timeout);
        } else if (ctx.transport === "dot" && direct) {
          raw = await transport.dot(query, to, ctx.sni ?? formatIp(ctx.resolverIp), timeout);
        } else {
          raw = await transport.tcp(query, to, timeout);
        }
        const msg = parseMessage(raw);
        if (msg && isAnswerTo(msg, q)) return { msg, from: to };
      } catch {
        // Timeout or transport error: fall over to the next upstream.
      }
      if (direct) break;
    }
    return undefined;
  }

  const maxUdp = opts.maxUdpInFlight ?? 256;
  let udpInFlight = 0;

  async function handle(query: Uint8Array, ctx: DnsQueryContext): Promise<Uint8Array | null> {
    if (ctx.transport !== "udp") return pipeline(query, ctx);
    if (udpInFlight >= maxUdp) {
      sink?.({ type: "dns", transport: "udp", resolver: formatIp(ctx.resolverIp), outcome: "dropped", name: null, qtype: null, reason: `${maxUdp} UDP queries already in flight: dropped (the guest retries)` });
      return null;
    }
    udpInFlight++;
    try {
      return await pipeline(query, ctx);
    } finally {
      udpInFlight--;
    }
  }

  async function pipeline(query: Uint8Array, ctx: DnsQueryContext): Promise<Uint8Array | null> {
    // Events are built only when someone listens; one object literal each, no spreads.
    const resolver = sink ? resolverText(ctx.resolverIp) : "";
    const transportKind = ctx.transport;
    if (opts.upstreams.length === 0) {
      // §4.5: with no usable nameserver the forwarder does not run; queries go unanswered.
      sink?.({ type: "dns", transport: transportKind, resolver, outcome: "dropped", name: null, qtype: null, reason: "no upstream nameserver could be resolved: the DNS forwarder is not running" });
      return null;
    }
    const msg = parseMessage(query);
    if (!msg || (msg.flags & 0x8000) !== 0) {
      sink?.({ type: "dns", transport: transportKind, resolver, outcome: "dropped", name: null, qtype: null, reason: msg ? "message is a response, not a query" : "unparseable DNS message" });
      return null;
    }
    const q = msg.questions[0];
    if (msg.questions.length !== 1 || !q) {
      sink?.({ type: "dns", transport: transportKind, resolver, outcome: "formerr", name: null, qtype: q?.qtype ?? null, rcode: RCODE.FORMERR, reason: `expected exactly one question, got ${msg.questions.length}` });
      return respond(msg, q, RCODE.FORMERR);
    }
    const name = q.name.hostname && q.name.text !== "" ? q.name.text : null;
    const qtype = q.qtype;
    const protocol = transportKind === "udp" ? "udp" : "tcp";
    const port = transportKind === "dot" ? 853 : 53;

    // Step 2: the name policy (the sandbox's, then the platform floor's).
    for (let d = policyOf().dnsQuery(name, protocol, port), floorDone = false; ; ) {
      if (d.verdict !== "allow") {
        sink?.({ type: "dns", transport: transportKind, resolver, name, qtype, outcome: "denied", rcode: RCODE.NXDOMAIN, rule: d.rule, reason: d.reason });
        return respond(msg, q, RCODE.NXDOMAIN);
      }
      if (floorDone || !opts.floor) break;
      d = opts.floor.dnsQuery(name, protocol, port);
      floorDone = true;
    }
    // Step 3: inactive family.
    const family = qtype === RR.A ? "ipv4" : qtype === RR.AAAA ? "ipv6" : null;
    if ((family === "ipv4" && !gw4) || (family === "ipv6" && !gw6)) {
      if (name) opts.cache.clear(name, family);
      sink?.({ type: "dns", transport: transportKind, resolver, name, qtype, outcome: "nodata_inactive_family", rcode: RCODE.NOERROR, reason: `no ${family} gateway: the family is inactive` });
      return respond(msg, q, RCODE.NOERROR);
    }
    // Step 4: the host alias.
    if (family && aliases.has(q.name.text)) {
      const gw = (family === "ipv4" ? gw4 : gw6)!;
      const rdata = gw.family === 4 ? Uint8Array.of(gw.v4 >>> 24, (gw.v4 >>> 16) & 255, (gw.v4 >>> 8) & 255, gw.v4 & 255) : Uint8Array.from(gw.v6);
      sink?.({ type: "dns", transport: transportKind, resolver, name, qtype, outcome: "host_alias", rcode: RCODE.NOERROR, reason: `host alias answered with the gateway ${formatIp(gw)}` });
      return respond(msg, q, RCODE.NOERROR, { aa: true, answers: [{ type: qtype, ttl: HOST_ALIAS_TTL, rdata }] });
    }
    // Step 5: upstream selection.
    const toGateway = isUnspecified(ctx.resolverIp) || sameIp(ctx.resolverIp, gw4) || sameIp(ctx.resolverIp, gw6);
    let targets: readonly Upstream[] = opts.upstreams;
    if (!toGateway) {
      for (const p of opts.floor ? [policyOf(), opts.floor] : [policyOf()]) {
        const d = p.egress(ctx.resolverIp, port, protocol, { kind: "cache" });
        if (d.verdict !== "allow") {
          sink?.({ type: "dns", transport: transportKind, resolver, name, qtype, outcome: "resolver_denied", rcode: RCODE.NXDOMAIN, rule: d.rule, reason: `resolver ${resolver}:${port}/${protocol}: ${d.reason}` });
          return respond(msg, q, RCODE.NXDOMAIN);
        }
      }
      const direct = transportKind === "dot" ? (opts.directResolverPorts?.dot ?? 853) : (opts.directResolverPorts?.plain ?? 53);
      targets = [{ ip: formatIp(unmapIp(ctx.resolverIp)), port: direct }];
    }
    const got = await exchange(query, q, ctx, targets, !toGateway);
    // Step 6: no usable response.
    if (!got) {
      sink?.({ type: "dns", transport: transportKind, resolver, name, qtype, outcome: "servfail", rcode: RCODE.SERVFAIL, reason: "no usable upstream answer (timeout, transport error or malformed reply)" });
      return respond(msg, q, RCODE.SERVFAIL);
    }
    const rcode = got.msg.flags & 0xf;
    // Step 7: rebind protection over every A/AAAA in the answer section, with the policy in force
    // now (a reload may have happened while upstream answered).
    if (rebind) {
      const bad = firstRebindOffender(allAnswerAddresses(got.msg), rebindAdmitter(policyOf()));
      if (bad) {
        sink?.({ type: "dns", transport: transportKind, resolver, name, qtype, outcome: "rebind_blocked", upstream: upstreamText(got.from), rcode: RCODE.NXDOMAIN, offender: formatIp(bad), reason: `answer carries reserved address ${formatIp(bad)} not admitted by an explicit allow rule` });
        return respond(msg, q, RCODE.NXDOMAIN);
      }
    }
    // Step 8: cache update.
    if (family && name) {
      const chain = rcode === RCODE.NOERROR ? chainAddresses(got.msg, q.name.text, qtype) : undefined;
      if (chain && chain.ips.length > 0) opts.cache.record(name, family, chain.ips, chain.ttlSecs);
      else opts.cache.clear(name, family);
    }
    // Step 9: id restore and UDP truncation.
    // The answer's bytes are ours (a fresh copy from the transport): restore the id in place.
    const out = got.msg.bytes;
    out[0] = (msg.id >> 8) & 0xff;
    out[1] = msg.id & 0xff;
    if (transportKind === "udp") {
      // 65507: the largest UDP payload over IPv4; above that the guest gets TC=1 and retries over TCP.
      const limit = Math.min(65507, ctx.maxUdpPayload ?? udpPayloadLimit(msg));
      if (out.length > limit) {
        sink?.({ type: "dns", transport: transportKind, resolver, name, qtype, outcome: "forwarded", upstream: upstreamText(got.from), rcode: RCODE.NOERROR, truncated: true, reason: `answer of ${out.length} bytes exceeds the guest's UDP limit ${limit}: TC=1` });
        return respond(msg, q, RCODE.NOERROR, { tc: true });
      }
    }
    sink?.({ type: "dns", transport: transportKind, resolver, name, qtype, outcome: "forwarded", upstream: upstreamText(got.from), rcode, reason: "upstream answer relayed" });
    return out;
  }

  /** `rebindAdmits` of the policy (and the floor), one closure per policy object. */
  let admitFor: CompiledPolicy | undefined;
  let admitFn: (ip: IpAddr) => boolean = () => false;
  function rebindAdmitter(p: CompiledPolicy): (ip: IpAddr) => boolean {
    if (p !== admitFor) {
      const floor = opts.floor;
      admitFor = p;
      admitFn = floor ? (ip) => p.rebindAdmits(ip) && floor.rebindAdmits(ip) : (ip) => p.rebindAdmits(ip);
    }
    return admitFn;
  }

  return { handle, close: () => transport.close() };
}

/** A synthesized response to `msg` (its question echoed, when it has one). */
function respond(msg: WireMessage, q: WireQuestion | undefined, rcode: number, extra: { aa?: boolean; tc?: boolean; answers?: { type: number; ttl: number; rdata: Uint8Array }[] } = {}): Uint8Array {
  return buildResponse({ id: msg.id, queryFlags: msg.flags, rcode, ...(q ? { question: q } : {}), ...extra });
}

/** True when `msg` is a response whose single question equals `q` (name, type, class). */
function isAnswerTo(msg: WireMessage, q: WireQuestion): boolean {
  if ((msg.flags & 0x8000) === 0 || msg.questions.length !== 1) return false;
  const r = msg.questions[0]!;
  return r.qtype === q.qtype && r.qclass === q.qclass && r.name.text === q.name.text;
}
