/**
 * UDP from the guest (semantics.md §7.3): published-port replies first, silently dropped ports
 * (QUIC blocking; DoQ/mDNS/LLMNR/NetBIOS), DNS to port 53 on any address handed to the
 * DnsHandler, then the egress policy per datagram and a relay through one host socket per
 * (guest source, destination) flow: 60 s idle timeout, at most 256 sessions (the oldest evicted),
 * at most 512 KiB queued per session.
 */
import * as dgram from "node:dgram";
import type { DnsHandler } from "../dns/handler.js";
import { IPPROTO } from "../frame/ipv4.js";
import { writeUdpHeader, type UdpDatagram } from "../frame/udp.js";
import { formatIpBytes, ipEquals, ipKey, parseIpBytes, toIpAddr } from "./ip.js";
import type { FrameOutput } from "./output.js";
import type { PolicyGate } from "./policy-gate.js";
import type { StackEvent } from "./types.js";

/** Ports whose UDP traffic is always dropped (semantics.md §4.1). */
export const ALWAYS_DROPPED_UDP_PORTS: ReadonlySet<number> = new Set([853, 5353, 5355, 137]);

interface Session {
  key: string;
  sock: dgram.Socket;
  guestIp: Uint8Array;
  guestPort: number;
  dstIp: Uint8Array;
  dstPort: number;
  targetHost: string;
  lastActive: number;
  queued: number;
  bytesOut: number;
  bytesIn: number;
}

/** Dependencies of the UDP relay. */
export interface UdpRelayDeps {
  readonly out: FrameOutput;
  readonly gate: PolicyGate;
  readonly dns: DnsHandler;
  readonly event: (ev: StackEvent) => void;
  readonly blockPorts: ReadonlySet<number>;
  readonly idleMs: number;
  readonly maxSessions: number;
  readonly queueBytes: number;
  /** Upstream host for a destination (gateway -> loopback), or null to drop. */
  readonly target: (dst: Uint8Array) => string | null;
}

/**
 * The UDP payload limit the guest declared with EDNS (RFC 6891), or 512 without an OPT record.
 * Never throws on malformed input.
 */
export function ednsPayloadLimit(q: Uint8Array): number {
  try {
    if (q.length < 12) return 512;
    const count = (i: number): number => (q[i]! << 8) | q[i + 1]!;
    const qd = count(4);
    const rr = count(6) + count(8) + count(10);
    let p = 12;
    const skipName = (): void => {
      for (let guard = 0; guard < 128; guard++) {
        const l = q[p]!;
        if (l === undefined) throw new Error("truncated");
        if ((l & 0xc0) === 0xc0) {
          p += 2;
          return;
        }
        p += 1 + l;
        if (l === 0) return;
      }
      throw new Error("name too long");
    };
    for (let i = 0; i < qd; i++) {
      skipName();
      p += 4;
    }
    for (let i = 0; i < rr && p < q.length; i++) {
      skipName();
      if (p + 10 > q.length) return 512;
      const type = count(p);
      if (type === 41) return Math.max(512, count(p + 2));
      p += 10 + count(p + 8);
    }
  } catch {
    /* fall through */
  }
  return 512;
}

/** The UDP relay and DNS hand-off. */
export class UdpRelay {
  private readonly sessions = new Map<string, Session>();
  private readonly inbound = new Map<number, (payload: Uint8Array, guestPort: number) => void>();
  private readonly denyNoted = new Map<string, number>();
  private sweepTimer: NodeJS.Timeout;
  denied = 0;
  dnsQueries = 0;

  constructor(private readonly d: UdpRelayDeps) {
    this.sweepTimer = setInterval(() => this.sweep(), Math.max(250, d.idleMs / 4));
    this.sweepTimer.unref?.();
  }

  /** Number of relay sessions. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Route guest datagrams addressed to gateway port `localPort` to `handler` (published UDP ports). */
  registerInbound(localPort: number, handler: (payload: Uint8Array, guestPort: number) => void): void {
    this.inbound.set(localPort, handler);
  }

  /** Remove an inbound route. */
  unregisterInbound(localPort: number): void {
    this.inbound.delete(localPort);
  }

  /** Send a UDP datagram to the guest. */
  sendToGuest(src: Uint8Array, srcPort: number, dst: Uint8Array, dstPort: number, payload: Uint8Array): boolean {
    return this.d.out.sendIp(src, dst, IPPROTO.UDP, 8 + payload.length, (b, off) => {
      b.set(payload, off + 8);
      writeUdpHeader(b, off, src, dst, srcPort, dstPort, payload.length);
    });
  }

  /** Handle one (reassembled) datagram from the guest; `gatewayLocal` = addressed to a gateway IP. */
  input(src: Uint8Array, dst: Uint8Array, u: UdpDatagram, gatewayLocal: boolean): void {
    if (gatewayLocal) {
      const h = this.inbound.get(u.dstPort);
      if (h) return h(Uint8Array.from(u.payload), u.srcPort);
    }
    if (this.d.blockPorts.has(u.dstPort) || ALWAYS_DROPPED_UDP_PORTS.has(u.dstPort)) return;
    if (u.dstPort === 53) return this.dnsQuery(src, dst, u);
    const key = `${ipKey(src)}:${u.srcPort}>${ipKey(dst)}:${u.dstPort}`;
    const decision = this.d.gate.egress(toIpAddr(dst), u.dstPort, "udp", { kind: "cache" });
    const existing = this.sessions.get(key);
    if (decision.verdict !== "allow") {
      this.denied++;
      if (existing) this.closeSession(existing, "denied");
      const now = Date.now();
      if ((this.denyNoted.get(key) ?? 0) < now - 1000) {
        if (this.denyNoted.size > 256) this.denyNoted.clear();
        this.denyNoted.set(key, now);
        this.flowEvent(src, u.srcPort, dst, u.dstPort, "deny", decision.rule, decision.reason);
      }
      return;
    }
    const s = existing ?? this.openSession(key, src, u.srcPort, dst, u.dstPort, decision.rule, decision.reason);
    if (!s) return;
    // LRU order: most recently used last.
    this.sessions.delete(key);
    this.sessions.set(key, s);
    s.lastActive = Date.now();
    if (s.queued + u.payload.length > this.d.queueBytes) return; // over the per-session queue bound
    const msg = Buffer.from(u.payload);
    s.queued += msg.length;
    s.bytesOut += msg.length;
    s.sock.send(msg, s.dstPort, s.targetHost, () => {
      s.queued -= msg.length;
    });
  }

  private flowEvent(src: Uint8Array, sp: number, dst: Uint8Array, dp: number, verdict: "allow" | "deny", rule: number | null, reason: string): void {
    this.d.event({
      type: "flow",
      protocol: "udp",
      direction: "egress",
      stage: "datagram",
      src: formatIpBytes(src),
      srcPort: sp,
      dst: formatIpBytes(dst),
      dstPort: dp,
      verdict,
      rule,
      reason,
    });
  }

  private openSession(key: string, src: Uint8Array, sp: number, dst: Uint8Array, dp: number, rule: number | null, reason: string): Session | null {
    const targetHost = this.d.target(dst);
    if (targetHost === null) return null;
    while (this.sessions.size >= this.d.maxSessions) {
      const oldest = this.sessions.values().next().value as Session;
      this.closeSession(oldest, "evicted");
      this.d.event({ type: "limit", what: "udp_sessions", limit: this.d.maxSessions });
    }
    const fam = parseIpBytes(targetHost)?.length === 16 ? "udp6" : "udp4";
    const sock = dgram.createSocket({ type: fam });
    const s: Session = {
      key,
      sock,
      guestIp: Uint8Array.from(src),
      guestPort: sp,
      dstIp: Uint8Array.from(dst),
      dstPort: dp,
      targetHost,
      lastActive: Date.now(),
      queued: 0,
      bytesOut: 0,
      bytesIn: 0,
    };
    const target = parseIpBytes(targetHost);
    sock.on("message", (msg, rinfo) => {
      // Only the destination itself may answer (the socket is unconnected).
      const from = parseIpBytes(rinfo.address.replace(/%.*$/, ""));
      if (rinfo.port !== s.dstPort || !from || !target || !ipEquals(from, target)) return;
      s.lastActive = Date.now();
      s.bytesIn += msg.length;
      this.sendToGuest(s.dstIp, s.dstPort, s.guestIp, s.guestPort, msg);
    });
    sock.on("error", () => this.closeSession(s, "socket error"));
    sock.unref?.();
    this.sessions.set(key, s);
    this.flowEvent(src, sp, dst, dp, "allow", rule, reason);
    return s;
  }

  private closeSession(s: Session, reason: string): void {
    if (this.sessions.get(s.key) !== s) return;
    this.sessions.delete(s.key);
    try {
      s.sock.close();
    } catch {
      /* already closed */
    }
    this.d.event({
      type: "flow-end",
      protocol: "udp",
      src: formatIpBytes(s.guestIp),
      srcPort: s.guestPort,
      dst: formatIpBytes(s.dstIp),
      dstPort: s.dstPort,
      bytesIn: s.bytesIn,
      bytesOut: s.bytesOut,
      reason,
    });
  }

  private dnsQuery(src: Uint8Array, dst: Uint8Array, u: UdpDatagram): void {
    this.dnsQueries++;
    const q = Uint8Array.from(u.payload);
    const guestIp = Uint8Array.from(src);
    const resolver = Uint8Array.from(dst);
    const maxUdpPayload = ednsPayloadLimit(q);
    this.d.dns
      .handle(q, { transport: "udp", resolverIp: toIpAddr(resolver), clientIp: toIpAddr(guestIp), maxUdpPayload })
      .then((a) => {
        if (a && a.length <= 65507) this.sendToGuest(resolver, 53, guestIp, u.srcPort, a);
      })
      .catch(() => this.d.event({ type: "drop", reason: "dns handler failed" }));
  }

  /** Re-check sessions after a policy reload; close those now denied. */
  recheck(): void {
    for (const s of [...this.sessions.values()]) {
      const d = this.d.gate.egress(toIpAddr(s.dstIp), s.dstPort, "udp", { kind: "cache" });
      if (d.verdict !== "allow") this.closeSession(s, "denied after policy reload");
    }
  }

  private sweep(): void {
    const limit = Date.now() - this.d.idleMs;
    for (const s of [...this.sessions.values()]) if (s.lastActive < limit) this.closeSession(s, "idle");
  }

  /** Close every session. */
  close(): void {
    clearInterval(this.sweepTimer);
    for (const s of [...this.sessions.values()]) this.closeSession(s, "stack closed");
  }
}
