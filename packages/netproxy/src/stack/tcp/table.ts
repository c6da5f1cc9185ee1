/**
 * The guest TCP flow table: SYN admission (max_connections, DNS/DoT ports, policy at SYN time,
 * upstream connect before SYN-ACK), first-flight re-evaluation for deferred and intercepted flows,
 * RST for strays, connections opened into the guest for published ports, and policy reloads.
 */
import { randomInt } from "node:crypto";
import * as net from "node:net";
import type { Duplex } from "node:stream";
import type { Decision, HostnameSource, IpAddr } from "@sandbox/core";
import { TCP_FLAG, type TcpHeaderFields, type TcpSegment } from "../../frame/tcp.js";
import type { DnsHandler } from "../../dns/handler.js";
import type { PolicyGate } from "../policy-gate.js";
import { formatIpBytes, fromIpAddr, ipEquals, ipKey, toIpAddr } from "../ip.js";
import type { DotHandler, FlowInfo, FlowInterceptor, StackEvent } from "../types.js";
import { TcpConn, type TcpEndpoints } from "./conn.js";
import { createDnsStream } from "./dns-stream.js";
import { openUpstream } from "./raw-upstream.js";
import { seqAdd, seqGt } from "./seq.js";
import { sniffClientHello } from "./sni.js";
import type { TcpConfig, TcpConnHost } from "./types.js";
import type { FlowUpstream } from "./upstream.js";

/** Most distinct addresses kept by the table's address cache before it starts over. */
const INTERNED_MAX = 1024;

/** Where and how to reach the upstream of an allowed flow. */
export type UpstreamResolver = (dst: Uint8Array, port: number) => { hosts: string[] };

/** Dependencies of the TCP table. */
export interface TcpTableDeps {
  readonly cfg: TcpConfig;
  readonly gate: PolicyGate;
  readonly dns: DnsHandler;
  readonly dot: DotHandler | undefined;
  readonly interceptor: FlowInterceptor | undefined;
  readonly maxConnections: number;
  readonly connectTimeoutMs: number;
  readonly sniffTimeoutMs: number;
  readonly sniffMaxBytes: number;
  readonly resolveUpstream: UpstreamResolver;
  readonly isn: () => number;
  readonly event: (ev: StackEvent) => void;
  /** Send a TCP segment from `src` to `dst` (addresses of the IP header). */
  /** Build and queue a segment; `mss` is the connection's segment size (what a TSO link cuts at). */
  readonly send: (src: Uint8Array, dst: Uint8Array, f: TcpHeaderFields, payloadLen: number, fill?: (b: Uint8Array, o: number) => void, mss?: number) => boolean;
  readonly linkBlocked: () => boolean;
  readonly waitDrain: (w: { resume(): void }) => void;
  readonly forgetDrain: (w: { resume(): void }) => void;
  /** Write frames staged by the link now (after a batch of deferred ACKs). */
  readonly flushOutput?: () => void;
}

interface FlowMeta {
  kind: "egress" | "ingress" | "dns" | "dot";
  source: HostnameSource;
  dstAddr: IpAddr;
  /** Host peer of a published-port connection (ingress re-checks on reload). */
  peer?: IpAddr;
}

/** The TCP flow table. */
export class TcpTable {
  private readonly conns = new Map<string, TcpConn>();
  /**
   * The flow of the last segment looked up (a bulk transfer sends run after run of segments of one
   * flow): matched on its ports and addresses, so no key string is built per segment. It is only
   * ever a flow that is in `conns`: cleared whenever a flow leaves the table.
   */
  private last: TcpConn | null = null;
  private readonly meta = new Map<TcpConn, FlowMeta>();
  private readonly ackQueue = new Set<TcpConn>();
  /** Flows whose ACK waits for a segment to carry it; one timer for all of them. */
  private readonly delayedAcks = new Set<TcpConn>();
  private delayedTimer: NodeJS.Timeout | null = null;
  private readonly addrs = new Map<string, Uint8Array>();
  private ackScheduled = false;
  private nextEphemeral = 49152;
  private ingressCount = 0;
  opened = 0;
  denied = 0;
  retransmits = 0;
  private readonly host: TcpConnHost;

  constructor(private readonly d: TcpTableDeps) {
    this.host = {
      cfg: d.cfg,
      now: () => performance.now(),
      send: (conn, f, len, fill) => {
        const c = conn as TcpConn;
        return d.send(c.ends.localIp, c.ends.guestIp, f, len, fill, c.effMss);
      },
      linkBlocked: d.linkBlocked,
      waitDrain: d.waitDrain,
      scheduleAck: (conn) => {
        this.ackQueue.add(conn as TcpConn);
        if (!this.ackScheduled) {
          this.ackScheduled = true;
          setImmediate(() => this.flushAcks());
        }
      },
      scheduleDelayedAck: (conn) => {
        this.delayedAcks.add(conn as TcpConn);
        if (!this.delayedTimer) {
          this.delayedTimer = setTimeout(() => this.flushDelayedAcks(), d.cfg.delayedAckMs);
          this.delayedTimer.unref?.();
        }
      },
      finished: (conn, reason) => this.finished(conn as TcpConn, reason),
    };
  }

  /** Retransmitted segments so far (finished and live flows). */
  get retransmitCount(): number {
    let n = this.retransmits;
    for (const c of this.conns.values()) n += c.retransmits;
    return n;
  }

  /** Live connections (including those lingering after close). */
  get active(): number {
    return this.conns.size;
  }

  private flushAcks(): void {
    this.ackScheduled = false;
    const q = [...this.ackQueue];
    this.ackQueue.clear();
    for (const c of q) c.flushAck();
    // These ACKs were deferred to the end of the turn's input; do not let them wait another turn
    // in the link's staging buffer (the guest's sending is clocked by them).
    this.d.flushOutput?.();
  }

  private flushDelayedAcks(): void {
    this.delayedTimer = null;
    const q = [...this.delayedAcks];
    this.delayedAcks.clear();
    for (const c of q) c.flushDelayedAck();
    this.d.flushOutput?.();
  }

  /**
   * A shared, never-mutated copy of an address (flows keep their endpoints' addresses; most flows
   * share the guest's and a few destinations', so one copy serves them all). The cache is
   * emptied when it reaches INTERNED_MAX distinct addresses; flows keep the copies they hold.
   */
  private interned(ip: Uint8Array): Uint8Array {
    const k = ipKey(ip);
    let v = this.addrs.get(k);
    if (!v) {
      if (this.addrs.size >= INTERNED_MAX) this.addrs.clear();
      v = Uint8Array.from(ip);
      this.addrs.set(k, v);
    }
    return v;
  }

  private key(guestIp: Uint8Array, guestPort: number, localIp: Uint8Array, localPort: number): string {
    return `${ipKey(guestIp)}:${guestPort}>${ipKey(localIp)}:${localPort}`;
  }

  /** Enter a flow into the table (the cache may not hold a flow its 4-tuple no longer names). */
  private add(conn: TcpConn): void {
    const e = conn.ends;
    this.conns.set(this.key(e.guestIp, e.guestPort, e.localIp, e.localPort), conn);
    this.last = null;
  }

  private finished(conn: TcpConn, reason: string): void {
    const e = conn.ends;
    const k = this.key(e.guestIp, e.guestPort, e.localIp, e.localPort);
    if (this.conns.get(k) === conn) this.conns.delete(k);
    if (this.last === conn) this.last = null;
    this.ackQueue.delete(conn);
    this.delayedAcks.delete(conn);
    this.d.forgetDrain(conn);
    this.retransmits += conn.retransmits;
    const m = this.meta.get(conn);
    this.meta.delete(conn);
    if (m?.kind === "ingress") this.ingressCount--;
    this.d.event({
      type: "flow-end",
      protocol: "tcp",
      src: formatIpBytes(e.guestIp),
      srcPort: e.guestPort,
      dst: formatIpBytes(e.localIp),
      dstPort: e.localPort,
      bytesIn: conn.bytesToGuest,
      bytesOut: conn.bytesFromGuest,
      reason,
    });
  }

  /** Answer a segment that belongs to no flow with RST (RFC 9293 §3.10.7.1). */
  private strayRst(src: Uint8Array, dst: Uint8Array, seg: TcpSegment): void {
    if (seg.flags & TCP_FLAG.RST) return;
    const segLen = seg.payload.length + (seg.flags & TCP_FLAG.SYN ? 1 : 0) + (seg.flags & TCP_FLAG.FIN ? 1 : 0);
    const f: TcpHeaderFields =
      seg.flags & TCP_FLAG.ACK
        ? { srcPort: seg.dstPort, dstPort: seg.srcPort, seq: seg.ack, ack: 0, flags: TCP_FLAG.RST, window: 0 }
        : { srcPort: seg.dstPort, dstPort: seg.srcPort, seq: 0, ack: seqAdd(seg.seq, segLen), flags: TCP_FLAG.RST | TCP_FLAG.ACK, window: 0 };
    this.d.send(dst, src, f, 0);
  }

  /** Handle one TCP segment from the guest (`src` = guest address, `dst` = address it targets). */
  input(src: Uint8Array, dst: Uint8Array, seg: TcpSegment): void {
    const conn = this.lookup(src, seg.srcPort, dst, seg.dstPort);
    if (conn) {
      // A new SYN beyond the old sequence space reopens a port still lingering in time-wait.
      const bareSyn = (seg.flags & (TCP_FLAG.SYN | TCP_FLAG.ACK | TCP_FLAG.RST)) === TCP_FLAG.SYN;
      if (!(bareSyn && conn.state === "time-wait" && seqGt(seg.seq, conn.rcvNxt))) return conn.input(seg);
      conn.forget("reopened by a new SYN");
    }
    if ((seg.flags & (TCP_FLAG.SYN | TCP_FLAG.ACK | TCP_FLAG.RST | TCP_FLAG.FIN)) === TCP_FLAG.SYN) {
      return this.admit(this.interned(src), this.interned(dst), seg);
    }
    this.strayRst(src, dst, seg);
  }

  /** The flow of a guest segment, from the one-flow cache or the table. */
  private lookup(src: Uint8Array, srcPort: number, dst: Uint8Array, dstPort: number): TcpConn | undefined {
    const c = this.last;
    if (c !== null) {
      const e = c.ends;
      if (e.guestPort === srcPort && e.localPort === dstPort && ipEquals(e.guestIp, src) && ipEquals(e.localIp, dst)) return c;
    }
    const found = this.conns.get(this.key(src, srcPort, dst, dstPort));
    if (found) this.last = found;
    return found;
  }

  private flowEvent(
    ends: TcpEndpoints,
    stage: "syn" | "first-flight" | "connect",
    verdict: "allow" | "deny",
    rule: number | null,
    reason: string,
    sni?: string,
  ): void {
    if (verdict === "deny") this.denied++;
    this.d.event({
      type: "flow",
      protocol: "tcp",
      direction: "egress",
      stage,
      src: formatIpBytes(ends.guestIp),
      srcPort: ends.guestPort,
      dst: formatIpBytes(ends.localIp),
      dstPort: ends.localPort,
      verdict,
      rule,
      reason,
      ...(sni !== undefined ? { sni } : {}),
    });
  }

  private admit(src: Uint8Array, dst: Uint8Array, syn: TcpSegment): void {
    const ends: TcpEndpoints = { guestIp: src, guestPort: syn.srcPort, localIp: dst, localPort: syn.dstPort };
    if (this.conns.size - this.ingressCount >= this.d.maxConnections) {
      this.d.event({ type: "limit", what: "max_connections", limit: this.d.maxConnections });
      return this.strayRst(src, dst, syn);
    }
    const port = syn.dstPort;
    const info: FlowInfo = { guestIp: toIpAddr(src), guestPort: syn.srcPort, dstIp: toIpAddr(dst), dstPort: port };
    if (port === 53) {
      const conn = this.register(ends, syn, { kind: "dns", source: { kind: "cache" }, dstAddr: info.dstIp });
      conn.attachUpstream(createDnsStream(this.d.dns, { transport: "tcp", resolverIp: info.dstIp, clientIp: info.guestIp }));
      conn.acceptHandshake();
      return;
    }
    if (port === 853) {
      if (!this.d.dot) {
        this.flowEvent(ends, "syn", "deny", null, "DNS-over-TLS is refused unless TLS interception is on");
        return this.strayRst(src, dst, syn);
      }
      const conn = this.register(ends, syn, { kind: "dot", source: { kind: "cache" }, dstAddr: info.dstIp });
      conn.attachUpstream(this.d.dot(info));
      conn.acceptHandshake();
      return;
    }
    const decision = this.d.gate.egress(info.dstIp, port, "tcp", { kind: "deferred" });
    if (decision.verdict === "deny") {
      this.flowEvent(ends, "syn", "deny", decision.rule, decision.reason);
      return this.strayRst(src, dst, syn);
    }
    const interceptor = this.d.interceptor;
    const intercepted = interceptor?.intercepts(info) ?? false;
    if (intercepted && decision.verdict !== "defer" && interceptor?.needsFirstBytes?.(info) === false) {
      // Nothing waits for the guest's first bytes, so server-first protocols (SSH, SMTP, ...) work.
      this.flowEvent(ends, "syn", "allow", decision.rule, decision.reason);
      const conn = this.register(ends, syn, { kind: "egress", source: { kind: "deferred" }, dstAddr: info.dstIp });
      conn.acceptHandshake();
      this.startIntercept(conn, info, new Uint8Array(0), null, decision);
      return;
    }
    if (intercepted || decision.verdict === "defer") {
      const conn = this.register(ends, syn, { kind: "egress", source: { kind: "deferred" }, dstAddr: info.dstIp });
      conn.acceptHandshake();
      this.firstFlight(conn, info, intercepted);
      return;
    }
    this.flowEvent(ends, "syn", "allow", decision.rule, decision.reason);
    const conn = this.register(ends, syn, { kind: "egress", source: { kind: "deferred" }, dstAddr: info.dstIp });
    this.connectUpstream(conn, dst, port, (sock) => {
      conn.attachUpstream(sock);
      conn.acceptHandshake();
    });
  }

  private register(ends: TcpEndpoints, syn: TcpSegment, meta: FlowMeta): TcpConn {
    const conn = TcpConn.passive(this.host, ends, syn, this.d.isn());
    this.add(conn);
    this.meta.set(conn, meta);
    this.opened++;
    return conn;
  }

  /** Open the upstream socket; on failure the guest gets RST (so happy-eyeballs falls back). */
  private connectUpstream(conn: TcpConn, dst: Uint8Array, port: number, ok: (s: FlowUpstream) => void): void {
    const hosts = this.d.resolveUpstream(dst, port).hosts;
    const attempt = (i: number): void => {
      if (!conn.live) return;
      const host = hosts[i];
      if (host === undefined) return conn.reset("upstream connect failed");
      const sock = openUpstream(host, port);
      const timer = setTimeout(() => sock.destroy(new Error("connect timeout")), this.d.connectTimeoutMs);
      timer.unref?.();
      const fail = (): void => {
        clearTimeout(timer);
        sock.destroy();
        attempt(i + 1);
      };
      sock.once("error", fail);
      sock.once("connect", () => {
        clearTimeout(timer);
        sock.off("error", fail);
        if (!conn.live) return void sock.destroy();
        ok(sock);
      });
    };
    attempt(0);
  }

  private firstFlight(conn: TcpConn, info: FlowInfo, intercepted: boolean): void {
    const timer = setTimeout(() => conn.finishSniff(), this.d.sniffTimeoutMs);
    timer.unref?.();
    conn.startSniff(
      this.d.sniffMaxBytes,
      (bytes) => {
        clearTimeout(timer);
        if (!conn.live) return;
        const s = sniffClientHello(bytes);
        const sni = s.state === "done" ? s.sni : null;
        const source: HostnameSource = sni ? { kind: "sni", name: sni } : { kind: "cache" };
        const decision = this.d.gate.egress(info.dstIp, info.dstPort, "tcp", source);
        const m = this.meta.get(conn);
        if (m) m.source = source;
        const verdict = decision.verdict === "allow" ? "allow" : "deny";
        this.flowEvent(conn.ends, "first-flight", verdict, decision.rule, decision.reason, sni ?? undefined);
        if (intercepted && this.d.interceptor) return this.startIntercept(conn, info, bytes, sni, decision);
        if (verdict === "deny") return conn.closeWithFin("denied at first flight");
        this.connectUpstream(conn, conn.ends.localIp, info.dstPort, (sock) => conn.attachUpstream(sock));
      },
      (bytes) => sniffClientHello(bytes).state === "done",
    );
  }

  /** Hand the flow to the interceptor; its duplex becomes the flow's upstream (null: FIN, failure: RST). */
  private startIntercept(conn: TcpConn, info: FlowInfo, firstBytes: Uint8Array, sni: string | null, decision: Decision): void {
    const interceptor = this.d.interceptor!;
    const upstreamHost = this.d.resolveUpstream(conn.ends.localIp, info.dstPort).hosts[0] ?? formatIpBytes(conn.ends.localIp);
    interceptor
      .intercept({ ...info, firstBytes, sni, decision, upstreamHost })
      .then((dup: Duplex | null) => {
        if (!dup) return conn.closeWithFin("denied by interceptor");
        conn.attachUpstream(dup);
      })
      .catch(() => conn.reset("interceptor failed"));
  }

  /**
   * Open a connection from `localIp:ephemeral` into the guest's `guestIp:guestPort` for an
   * accepted host socket (published port). The host socket must be paused; it is attached when
   * the guest completes the handshake and reset if the guest refuses.
   */
  openToGuest(localIp: Uint8Array, guestIp: Uint8Array, guestPort: number, hostSock: net.Socket, cap: number, peer: IpAddr): boolean {
    if (this.ingressCount >= cap) return false;
    let localPort = 0;
    for (let i = 0; i < 16384; i++) {
      const p = this.nextEphemeral;
      this.nextEphemeral = p >= 65535 ? 49152 : p + 1;
      if (!this.conns.has(this.key(guestIp, guestPort, localIp, p))) {
        localPort = p;
        break;
      }
    }
    if (localPort === 0) return false;
    const ends: TcpEndpoints = { guestIp, guestPort, localIp, localPort };
    const conn = TcpConn.active(this.host, ends, this.d.isn());
    this.add(conn);
    this.meta.set(conn, { kind: "ingress", source: { kind: "cache" }, dstAddr: toIpAddr(guestIp), peer });
    this.ingressCount++;
    this.opened++;
    conn.onEstablished = () => {
      conn.attachUpstream(hostSock);
      hostSock.resume();
    };
    hostSock.once("close", () => {
      if (conn.state === "syn-sent") conn.reset("host peer went away");
    });
    return true;
  }

  /** Re-check live egress and published-port flows against the (new) policy; reset those it no longer allows. */
  recheck(): void {
    for (const [conn, m] of this.meta) {
      if (!conn.live) continue;
      if (m.kind === "ingress" && m.peer) {
        const d = this.d.gate.ingress(m.peer, conn.ends.guestPort, "tcp");
        if (d.verdict !== "allow") {
          this.denied++;
          this.d.event({
            type: "flow",
            protocol: "tcp",
            direction: "ingress",
            stage: "connect",
            src: formatIpBytes(fromIpAddr(m.peer)),
            srcPort: null,
            dst: formatIpBytes(conn.ends.guestIp),
            dstPort: conn.ends.guestPort,
            verdict: "deny",
            rule: d.rule,
            reason: `policy reload: ${d.reason}`,
          });
          conn.reset("denied after policy reload");
        }
        continue;
      }
      if (m.kind !== "egress") continue;
      const d = this.d.gate.egress(m.dstAddr, conn.ends.localPort, "tcp", m.source);
      if (d.verdict === "deny") {
        this.flowEvent(conn.ends, "syn", "deny", d.rule, `policy reload: ${d.reason}`);
        conn.reset("denied after policy reload");
      }
    }
  }

  /** Reset every flow. */
  closeAll(): void {
    for (const c of [...this.conns.values()]) c.reset("stack closed");
  }
}

/** A random initial sequence number. */
export function randomIsn(): number {
  return randomInt(0, 2 ** 32 - 1) >>> 0;
}
