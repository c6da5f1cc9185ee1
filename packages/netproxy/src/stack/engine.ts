/**
 * `createNetworkStack`: the userspace network stack attached to one FrameLink. It dispatches guest
 * frames (Ethernet -> ARP / IPv4 / IPv6 -> ICMP / UDP / TCP), owns the address plan, the policy gate,
 * the TCP flow table, the UDP relay, DHCP, neighbour discovery and the published ports, and reports
 * events and counters. Malformed input is counted and dropped; the stack never throws on input.
 */
import { ETH_SRC_OFFSET, ETHERTYPE, isMulticastMac, macEquals, parseEthernet } from "../frame/ethernet.js";
import { IPPROTO, parseIpv4 } from "../frame/ipv4.js";
import { parseIpv6 } from "../frame/ipv6.js";
import { parseTcp, tcpOptionsLength, writeTcpHeader, type TcpOptions } from "../frame/tcp.js";
import { parseUdp } from "../frame/udp.js";
import { PublishedPorts } from "../ports/published.js";
import { planAddresses } from "./addr.js";
import { handleArp } from "./arp.js";
import { handleDhcp } from "./dhcp.js";
import { Reassembler } from "./fragments.js";
import { handleEcho } from "./icmp.js";
import { IcmpRelay } from "./icmp-relay.js";
import { formatIpBytes, ipEquals, ipKey, parseIpBytes, parseIpv4Bytes } from "./ip.js";
import { handleNdp } from "./ndp.js";
import { FrameOutput } from "./output.js";
import { PolicyGate } from "./policy-gate.js";
import { randomIsn, TcpTable } from "./tcp/table.js";
import type { NetworkStack, NetworkStackOptions, StackEvent, StackStats, StackTuning } from "./types.js";
import { UdpRelay } from "./udp.js";

/** Hard limit for max_connections (semantics.md §7.2). */
export const MAX_CONNECTIONS_HARD_LIMIT = 4096;
/** Default max_connections. */
export const DEFAULT_MAX_CONNECTIONS = 256;

/** Default tuning values. */
export const DEFAULT_TUNING: StackTuning = {
  tcpRcvBuf: 1 << 20,
  tcpSndBuf: 1 << 20,
  rtoInitialMs: 1000,
  rtoMinMs: 200,
  rtoMaxMs: 60_000,
  tcpMaxRetries: 12,
  timeWaitMs: 2000,
  delayedAckMs: 10,
  connectTimeoutMs: 10_000,
  sniffTimeoutMs: 5000,
  sniffMaxBytes: 16 * 1024,
  udpIdleMs: 60_000,
  udpMaxSessions: 256,
  udpQueueBytes: 512 * 1024,
  fragmentTimeoutMs: 30_000,
  maxReassemblies: 64,
};

/**
 * Attach a network stack to `opts.link` and start serving the guest.
 *
 * - Addresses: `opts.addresses` (slot/pools/explicit; §0 plan). The gateway answers ARP, DHCP
 *   (rapid commit), NDP/RA (when IPv6 is active), ICMP echo and DNS (via `opts.dns`).
 * - Policy: every guest TCP SYN, UDP datagram and echo is decided by `opts.policy` (and
 *   `opts.platformPolicy`, when given) before any host socket exists. Denied TCP -> RST;
 *   allowed TCP -> upstream connect, then SYN-ACK (connect failure -> RST); `defer` -> handshake,
 *   first-flight re-evaluation with SNI or the name cache, FIN on deny.
 * - Gateway addresses map to the host loopback (`hostLoopback`, default true).
 * - `opts.interceptor` gets intercepted TCP flows after their first bytes (see `FlowInterceptor`).
 *
 * The returned handle publishes/unpublishes ports, reloads the policy, reports counters and closes.
 */
export async function createNetworkStack(opts: NetworkStackOptions): Promise<NetworkStack> {
  const plan = planAddresses(opts.addresses ?? {});
  if (plan.mtu + 14 > opts.link.maxFrameSize) {
    throw new Error(`MTU ${plan.mtu} needs frames of ${plan.mtu + 14} bytes but the link carries at most ${opts.link.maxFrameSize}; lower the MTU or widen the link`);
  }
  const tuning: StackTuning = { ...DEFAULT_TUNING, ...opts.tuning };
  const maxConnections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  if (!Number.isInteger(maxConnections) || maxConnections < 1 || maxConnections > MAX_CONNECTIONS_HARD_LIMIT) {
    throw new Error(`max_connections ${maxConnections} exceeds hard limit ${MAX_CONNECTIONS_HARD_LIMIT}`);
  }
  const emit = (ev: StackEvent): void => {
    try {
      opts.events?.(ev);
    } catch {
      /* event sinks must not break the data path */
    }
  };
  const gate = new PolicyGate(opts.policy, opts.platformPolicy);
  const out = new FrameOutput(opts.link, plan);
  // A link whose device is the local kernel (netns TAP with virtio_net_hdr) may hand over partial
  // checksums; nothing else is trusted.
  const offloads = opts.link.offloads;
  const verify = opts.verifyChecksums ?? !offloads?.checksum;
  const hostLoopback = opts.hostLoopback ?? true;
  const stats = { framesIn: 0, bytesIn: 0, dropped: {} as Record<string, number>, icmpEchoReplies: 0, dhcpLeases: 0 };
  const drop = (reason: string): void => {
    stats.dropped[reason] = (stats.dropped[reason] ?? 0) + 1;
  };
  const gw4 = plan.v4?.gateway;
  const gw6 = plan.v6?.gateway;
  const aliases = (opts.hostAliasIps ?? []).map((a) => {
    const b = parseIpBytes(a);
    if (!b) throw new Error(`host alias \`${a}\` is not an IP address`);
    return b;
  });
  const isAlias = (ip: Uint8Array): boolean => aliases.some((a) => ipEquals(a, ip));
  const isGateway = (ip: Uint8Array): boolean =>
    (gw4 !== undefined && ipEquals(ip, gw4)) || (gw6 !== undefined && ipEquals(ip, gw6)) || isAlias(ip);
  const upstreamHosts = (dst: Uint8Array): string[] => {
    if (isGateway(dst)) {
      if (!hostLoopback) return [];
      return dst.length === 4 ? ["127.0.0.1", "::1"] : ["::1", "127.0.0.1"];
    }
    return [formatIpBytes(dst)];
  };
  const mssV4 = plan.mtu - 40;
  const dnsServers = (opts.dhcpDnsServers ?? (gw4 ? [formatIpBytes(gw4)] : []))
    .map((s) => parseIpv4Bytes(s))
    .filter((x): x is Uint8Array => x !== null);

  const tcp = new TcpTable({
    cfg: {
      mss: mssV4,
      rcvBuf: tuning.tcpRcvBuf,
      sndBuf: tuning.tcpSndBuf,
      rto: { initialMs: tuning.rtoInitialMs, minMs: tuning.rtoMinMs, maxMs: tuning.rtoMaxMs },
      maxRetries: tuning.tcpMaxRetries,
      timeWaitMs: tuning.timeWaitMs,
      delayedAckMs: tuning.delayedAckMs,
      // With TSO the link cuts segments at the MSS: up to a 65535-byte IP packet per frame.
      tsoBytes: offloads?.tso ? 65535 - 20 - 60 : 0,
    },
    gate,
    dns: opts.dns,
    dot: opts.dot,
    interceptor: opts.interceptor,
    maxConnections,
    connectTimeoutMs: tuning.connectTimeoutMs,
    sniffTimeoutMs: tuning.sniffTimeoutMs,
    sniffMaxBytes: tuning.sniffMaxBytes,
    resolveUpstream: (dst) => ({ hosts: upstreamHosts(dst) }),
    isn: opts.isn ?? randomIsn,
    event: emit,
    send: (src, dst, f, len, fill, mss) => {
      const hl = 20 + tcpOptLen(f);
      const partial = offloads?.checksum === true;
      const write = (b: Uint8Array, off: number): void => {
        if (fill) fill(b, off + hl);
        writeTcpHeader(b, off, src, dst, f, len, partial);
      };
      if (!partial) return out.sendIp(src, dst, IPPROTO.TCP, hl + len, write);
      const gso = offloads!.tso && mss !== undefined && len > mss ? mss : 0;
      return out.sendIp(src, dst, IPPROTO.TCP, hl + len, write, { csumOffset: 16, l4HeaderLen: hl, gsoSize: gso });
    },
    linkBlocked: () => out.isBlocked,
    waitDrain: (w) => out.waitDrain(w),
    forgetDrain: (w) => out.forget(w),
    flushOutput: () => out.flush(),
  });
  const udp = new UdpRelay({
    out,
    gate,
    dns: opts.dns,
    event: emit,
    blockPorts: new Set(opts.blockUdpPorts ?? []),
    idleMs: tuning.udpIdleMs,
    maxSessions: tuning.udpMaxSessions,
    queueBytes: tuning.udpQueueBytes,
    target: (dst) => upstreamHosts(dst)[0] ?? null,
  });
  const relay = opts.externalEcho === false ? null : new IcmpRelay();
  const now = (): number => performance.now();
  const frag4 = new Reassembler({ maxDatagrams: tuning.maxReassemblies, maxBytes: 4 << 20, timeoutMs: tuning.fragmentTimeoutMs, now });
  const frag6 = new Reassembler({ maxDatagrams: tuning.maxReassemblies, maxBytes: 4 << 20, timeoutMs: tuning.fragmentTimeoutMs, now });
  const guestSide = plan.v4 ? { ip: plan.v4.guest, gateway: plan.v4.gateway } : { ip: plan.v6!.guest, gateway: plan.v6!.gateway };
  const ports = new PublishedPorts({ gate: () => gate, tcp, udp, event: emit, guest: guestSide, udpIdleMs: tuning.udpIdleMs });

  const l4 = (src: Uint8Array, dst: Uint8Array, protocol: number, payload: Uint8Array, hopLimit: number): void => {
    if (protocol === IPPROTO.TCP) {
      const seg = parseTcp(payload, src, dst, verify);
      if (typeof seg === "string") return drop(`tcp-${seg}`);
      return tcp.input(src, dst, seg);
    }
    if (protocol === IPPROTO.UDP) {
      const u = parseUdp(payload, src, dst, verify);
      if (typeof u === "string") return drop(`udp-${u}`);
      if (src.length === 4 && u.dstPort === 67 && u.srcPort === 68) {
        if (handleDhcp(u.payload, plan, { leaseSecs: opts.leaseSecs ?? 86400, dnsServers }, out, emit)) stats.dhcpLeases++;
        return;
      }
      return udp.input(src, dst, u, isGateway(dst));
    }
    if (protocol === IPPROTO.ICMP && src.length === 4) {
      const r = handleEcho(src, dst, payload, { out, gate, event: emit, isGateway, relay });
      if (r === "replied") stats.icmpEchoReplies++;
      else if (r === "malformed") drop("icmp-malformed");
      return;
    }
    if (protocol === IPPROTO.ICMPV6 && src.length === 16) {
      if (handleNdp(src, dst, hopLimit, payload, plan, out)) return;
      const r = handleEcho(src, dst, payload, { out, gate, event: emit, isGateway, relay });
      if (r === "replied") stats.icmpEchoReplies++;
      else if (r === "malformed") drop("icmp-malformed");
      return;
    }
    drop("unsupported-protocol");
  };

  const onIpv4 = (b: Uint8Array): void => {
    const v4 = plan.v4;
    if (!v4) return drop("ipv4-disabled");
    const p = parseIpv4(b, true);
    if (typeof p === "string") return drop(`ipv4-${p}`);
    const fromGuest = ipEquals(p.src, v4.guest);
    const dhcp = p.protocol === IPPROTO.UDP && allBytes(p.src, 0);
    if (!fromGuest && !dhcp) return drop("ipv4-source");
    const dst0 = p.dst[0]!;
    const bcast = allBytes(p.dst, 255) || ipEquals(p.dst, v4.broadcast);
    if ((bcast || dst0 >= 224) && !(p.protocol === IPPROTO.UDP)) return drop("ipv4-broadcast");
    let payload = p.payload;
    if (p.moreFragments || p.fragOffset > 0) {
      const key = `${ipKey(p.src)}>${ipKey(p.dst)}/${p.protocol}/${p.id}`;
      const r = frag4.add(key, p.fragOffset, p.moreFragments, p.payload);
      if ("dropped" in r) return drop("ipv4-fragment");
      if ("pending" in r) return;
      payload = r.done;
    }
    if ((bcast || dst0 >= 224) && p.protocol === IPPROTO.UDP) {
      // Only DHCP may be broadcast; other broadcast/multicast UDP is not relayed.
      const u = parseUdp(payload, p.src, p.dst, verify);
      if (typeof u !== "string" && u.dstPort === 67 && u.srcPort === 68) {
        if (handleDhcp(u.payload, plan, { leaseSecs: opts.leaseSecs ?? 86400, dnsServers }, out, emit)) stats.dhcpLeases++;
        return;
      }
      return drop("ipv4-broadcast");
    }
    if (!fromGuest) return drop("ipv4-source");
    // Views into the frame: whatever keeps an address beyond this call copies it.
    l4(p.src, p.dst, p.protocol, payload, p.ttl);
  };

  const onIpv6 = (b: Uint8Array): void => {
    const v6 = plan.v6;
    if (!v6) return drop("ipv6-disabled");
    const p = parseIpv6(b);
    if (typeof p === "string") return drop(`ipv6-${p}`);
    let payload = p.payload;
    if (p.fragment) {
      if (p.nextHeader !== IPPROTO.UDP) return drop("ipv6-fragment-non-udp");
      const key = `${ipKey(p.src)}>${ipKey(p.dst)}/${p.fragment.id}`;
      const r = frag6.add(key, p.fragment.offset, p.fragment.moreFragments, p.payload);
      if ("dropped" in r) return drop("ipv6-fragment");
      if ("pending" in r) return;
      payload = r.done;
    }
    const src = Uint8Array.from(p.src);
    const dst = Uint8Array.from(p.dst);
    const linkLocalSrc = src[0] === 0xfe && (src[1]! & 0xc0) === 0x80;
    const unspecified = allBytes(src, 0);
    if (p.nextHeader === IPPROTO.ICMPV6 && (linkLocalSrc || unspecified || dst[0] === 0xff)) {
      if (handleNdp(src, dst, p.hopLimit, payload, plan, out)) return;
    }
    // Guest traffic must come from the sandbox /64 (static ::2 or a SLAAC address).
    for (let i = 0; i < 8; i++) if (src[i] !== v6.prefix[i]) return drop("ipv6-source");
    if (dst[0] === 0xff) return drop("ipv6-multicast");
    l4(src, dst, p.nextHeader, payload, p.hopLimit);
  };

  opts.link.onFrame((frame) => {
    stats.framesIn++;
    stats.bytesIn += frame.length;
    try {
      const eth = parseEthernet(frame);
      if (!eth) return drop("eth-truncated");
      // The addresses are read in place (the destination is at the frame's start).
      if (!macEquals(frame, plan.gatewayMac) && !isMulticastMac(frame)) return drop("eth-not-for-us");
      if (!isMulticastMac(frame, ETH_SRC_OFFSET) && !macEquals(frame, out.guestMac, ETH_SRC_OFFSET)) out.guestMac = Uint8Array.from(eth.src);
      switch (eth.etherType) {
        case ETHERTYPE.ARP: {
          const why = handleArp(eth.payload, plan, aliases.filter((a) => a.length === 4), out);
          if (why) drop(why);
          return;
        }
        case ETHERTYPE.IPV4:
          return onIpv4(eth.payload);
        case ETHERTYPE.IPV6:
          return onIpv6(eth.payload);
        default:
          return drop("ethertype");
      }
    } catch (err) {
      drop("exception");
      emit({ type: "drop", reason: `internal error on input frame: ${(err as Error).message}` });
    }
  });

  let closed = false;
  const closeAll = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    tcp.closeAll();
    udp.close();
    relay?.close();
    await ports.closeAll();
    out.close();
  };
  opts.link.onClose(() => void closeAll());

  for (const p of opts.ports ?? []) await ports.publish(p);

  return {
    addresses: plan,
    publish: (p) => ports.publish(p),
    unpublish: (p) => ports.unpublish(p),
    reloadPolicy(policy, platformPolicy) {
      gate.replace(policy, platformPolicy);
      tcp.recheck();
      udp.recheck();
    },
    stats(): StackStats {
      return {
        framesIn: stats.framesIn,
        framesOut: out.framesOut,
        bytesIn: stats.bytesIn,
        bytesOut: out.bytesOut,
        dropped: { ...stats.dropped },
        tcpActive: tcp.active,
        tcpOpened: tcp.opened,
        tcpDenied: tcp.denied,
        tcpRetransmits: tcp.retransmitCount,
        udpSessions: udp.sessionCount,
        udpDenied: udp.denied,
        dnsQueries: udp.dnsQueries,
        icmpEchoReplies: stats.icmpEchoReplies,
        dhcpLeases: stats.dhcpLeases,
        publishedPorts: ports.count,
      };
    },
    async close() {
      await closeAll();
      opts.link.close();
    },
  };
}

/** Whether every byte of `b` is `v` (per frame: no closure). */
function allBytes(b: Uint8Array, v: number): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== v) return false;
  return true;
}

function tcpOptLen(f: { options?: TcpOptions }): number {
  return f.options ? tcpOptionsLength(f.options) : 0;
}
