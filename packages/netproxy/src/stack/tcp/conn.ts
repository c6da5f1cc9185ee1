/**
 * One terminated TCP connection between the guest and the proxy: the handshake (passive for guest
 * SYNs, active for published ports), segment acceptance and RST/SYN handling (RFC 9293, RFC 5961
 * challenge ACKs), upstream wiring with pause/resume, FIN/RST/half-close both ways, time-wait
 * linger, and the first-flight hooks used by deferred decisions and interceptors. The halves are
 * `TcpSender` (sending) and `TcpReceiver` (receiving).
 */
import type { FlowUpstream } from "./upstream.js";
import { TCP_FLAG, type TcpSegment } from "../../frame/tcp.js";
import { TcpReceiver } from "./receiver.js";
import { seqAdd, seqDiff, seqInRange } from "./seq.js";
import type { TcpConnHost } from "./types.js";

/** Lifecycle states of a terminated connection. */
export type TcpConnState = "pending" | "syn-sent" | "syn-rcvd" | "established" | "time-wait" | "closed";

/** Addresses of a connection: the guest side and the address/port the guest talks to. */
export interface TcpEndpoints {
  readonly guestIp: Uint8Array;
  readonly guestPort: number;
  readonly localIp: Uint8Array;
  readonly localPort: number;
}

/** The smallest shift s such that `buf >> s` fits the 16-bit window field. */
export function windowShiftFor(buf: number): number {
  let s = 0;
  while (buf >> s > 0xffff && s < 14) s++;
  return s;
}

const FLOW = Symbol("tcp flow");
type UpstreamDuplex = FlowUpstream & { [FLOW]: TcpConn };

function onUpstreamData(this: UpstreamDuplex, chunk: Buffer): void {
  this[FLOW].onUpstreamData(chunk);
}
function onUpstreamEnd(this: UpstreamDuplex): void {
  this[FLOW].upstreamEnd();
}
function onUpstreamDrain(this: UpstreamDuplex): void {
  this[FLOW].upstreamDrained();
}
function onUpstreamError(this: UpstreamDuplex): void {
  this[FLOW].reset("upstream error");
}
function onUpstreamClose(this: UpstreamDuplex): void {
  this[FLOW].upstreamClosed();
}

/** A terminated TCP connection. */
export class TcpConn extends TcpReceiver {
  state: TcpConnState;
  private upstreamPaused = false;
  private timeWaitTimer: NodeJS.Timeout | null = null;
  private wsNegotiated = false;
  /** The guest's FIN arrived before we sent ours (we are the passive closer: no TIME-WAIT). */
  private passiveClose = false;
  private upstreamEnded = false;
  /** Called once when an actively opened connection becomes established. */
  onEstablished: (() => void) | null = null;
  /** Why the flow ended, once it did. */
  endReason: string | null = null;

  private constructor(
    host: TcpConnHost,
    readonly ends: TcpEndpoints,
    iss: number,
    state: TcpConnState,
  ) {
    super(host, iss);
    this.state = state;
    this.lastHeardAt = host.now();
  }

  /** A connection for a guest SYN; nothing is sent until `acceptHandshake()`. */
  static passive(host: TcpConnHost, ends: TcpEndpoints, syn: TcpSegment, iss: number): TcpConn {
    const c = new TcpConn(host, ends, iss, "pending");
    c.irs = syn.seq;
    c.rcvNxt = seqAdd(syn.seq, 1);
    c.applyPeerSynOptions(syn);
    c.initWindow(syn.seq, c.iss, syn.window);
    return c;
  }

  /** A connection we open towards a guest listener (published ports); sends the SYN now. */
  static active(host: TcpConnHost, ends: TcpEndpoints, iss: number): TcpConn {
    const c = new TcpConn(host, ends, iss, "syn-sent");
    c.rcvWscale = windowShiftFor(host.cfg.rcvBuf);
    c.sendSyn();
    return c;
  }

  private applyPeerSynOptions(syn: TcpSegment): void {
    const o = syn.options;
    const defMss = this.ends.guestIp.length === 4 ? 536 : 1220;
    this.effMss = Math.max(64, Math.min(o.mss ?? defMss, this.ourMss));
    this.wsNegotiated = o.windowScale !== undefined;
    if (o.windowScale !== undefined) {
      this.sndWscale = o.windowScale;
      this.rcvWscale = windowShiftFor(this.host.cfg.rcvBuf);
    } else {
      this.sndWscale = 0;
      this.rcvWscale = 0;
    }
    this.sackOk = o.sackPermitted === true;
  }

  /** The MSS we advertise: the configured (IPv4) MSS, 20 bytes less for IPv6. */
  private get ourMss(): number {
    return this.host.cfg.mss - (this.ends.guestIp.length === 16 ? 20 : 0);
  }

  private synWindow(): number {
    return Math.min(this.host.cfg.rcvBuf, 0xffff);
  }

  private sendSyn(): void {
    const p = this.ports();
    this.host.send(this, {
      srcPort: p.srcPort,
      dstPort: p.dstPort,
      seq: this.iss,
      ack: 0,
      flags: TCP_FLAG.SYN,
      window: this.synWindow(),
      options: { mss: this.ourMss, sackPermitted: true, windowScale: this.rcvWscale },
    }, 0);
    this.sndNxt = seqAdd(this.iss, 1);
    this.sndMax = this.sndNxt;
    this.armRto();
  }

  private sendSynAck(): void {
    const p = this.ports();
    this.host.send(this, {
      srcPort: p.srcPort,
      dstPort: p.dstPort,
      seq: this.iss,
      ack: this.rcvNxt,
      flags: TCP_FLAG.SYN | TCP_FLAG.ACK,
      window: this.synWindow(),
      options: {
        mss: this.ourMss,
        ...(this.sackOk ? { sackPermitted: true } : {}),
        ...(this.wsNegotiated ? { windowScale: this.rcvWscale } : {}),
      },
    }, 0);
    this.rcvAdvRight = seqAdd(this.rcvNxt, this.synWindow());
    this.rcvAcked = this.rcvNxt;
    this.sndNxt = seqAdd(this.iss, 1);
    this.sndMax = this.sndNxt;
    this.armRto();
  }

  /** Complete the handshake of a passive connection (policy allowed, upstream ready). */
  acceptHandshake(): void {
    if (this.state !== "pending") return;
    this.state = "syn-rcvd";
    this.sendSynAck();
  }

  /** Connect the upstream side; guest bytes collected while sniffing are written first. */
  attachUpstream(d: FlowUpstream): void {
    if (this.state === "closed") {
      d.destroy();
      return;
    }
    this.upstream = d;
    this.mode = "attached";
    const early = this.takeSniffed();
    if (early.length > 0) d.write(Buffer.from(early.buffer, early.byteOffset, early.length));
    this.sniff = null;
    // Shared listeners that find the flow through the duplex (no closures per flow).
    (d as UpstreamDuplex)[FLOW] = this;
    d.on("data", onUpstreamData);
    d.on("end", onUpstreamEnd);
    d.on("drain", onUpstreamDrain);
    d.on("error", onUpstreamError);
    d.on("close", onUpstreamClose);
    if (this.peerFin) d.end();
    this.maybeWindowUpdate();
  }

  /** Close towards the guest with FIN and discard whatever it still sends (post-handshake deny). */
  closeWithFin(reason: string): void {
    this.endReason ??= reason;
    this.mode = "discard";
    this.sniff = null;
    this.sniffQ = null;
    this.upstreamEnded = true;
    this.finQueued = true;
    this.trySend();
    this.maybeFinish();
  }

  /** Abort: RST to the guest, reset the upstream, forget the flow. */
  reset(reason: string): void {
    if (this.state === "closed") return;
    if (this.state === "pending") {
      this.host.send(this, { ...this.ports(), seq: 0, ack: this.rcvNxt, flags: TCP_FLAG.RST | TCP_FLAG.ACK, window: 0 }, 0);
    } else if (this.state !== "time-wait") {
      this.emit(this.sndNxt, TCP_FLAG.RST | TCP_FLAG.ACK, 0);
    }
    this.teardown(reason, true);
  }

  /** Drop a flow that finished its time-wait early (its 4-tuple is being reused). */
  forget(reason: string): void {
    this.teardown(reason, false);
  }

  private teardown(reason: string, abort: boolean): void {
    if (this.state === "closed") return;
    this.endReason ??= reason;
    this.state = "closed";
    this.stopSender();
    if (this.timeWaitTimer) clearTimeout(this.timeWaitTimer);
    this.sniff = null;
    this.sniffQ = null;
    this.ooo = null;
    const u = this.upstream;
    this.upstream = null;
    if (u && !u.destroyed) {
      if (abort && u.resetAndDestroy && u.connecting === false) u.resetAndDestroy();
      else u.destroy();
    }
    this.host.finished(this, reason);
  }

  /** Link drained: continue sending. */
  resume(): void {
    this.trySend();
  }

  protected ports(): { srcPort: number; dstPort: number } {
    return { srcPort: this.ends.localPort, dstPort: this.ends.guestPort };
  }

  protected onGiveUp(reason: string): void {
    this.reset(reason);
  }

  protected canSendData(): boolean {
    return this.state === "established";
  }

  protected onSendSpace(): void {
    if (this.upstreamPaused && this.sendQ.length < this.host.cfg.sndBuf / 2) {
      this.upstreamPaused = false;
      this.upstream?.resume();
    }
  }

  protected override retransmitHandshakeOrData(): void {
    if (this.state === "syn-rcvd") {
      if (this.retries > 5) return this.reset("handshake timed out");
      this.sendSynAck();
    } else if (this.state === "syn-sent") {
      if (this.retries > 5) return this.teardown("guest did not answer SYN", true);
      this.sendSyn();
    } else super.retransmitHandshakeOrData();
  }

  /** The upstream ended: FIN towards the guest after what is queued. */
  upstreamEnd(): void {
    this.upstreamEnded = true;
    this.finQueued = true;
    this.trySend();
    this.maybeFinish();
  }

  /** The upstream's write backlog drained: the window may open again. */
  upstreamDrained(): void {
    this.maybeWindowUpdate();
  }

  /** The upstream closed; without its end first that is an abort. */
  upstreamClosed(): void {
    if (!this.upstreamEnded && this.state !== "closed") this.reset("upstream closed");
  }

  /** Bytes from the upstream: queue them towards the guest, pausing the upstream when full. */
  onUpstreamData(chunk: Buffer): void {
    if (this.state === "closed" || this.finSeq !== null) return;
    this.sendQ.push(chunk);
    this.trySend();
    if (!this.upstreamPaused && this.sendQ.length >= this.host.cfg.sndBuf) {
      this.upstreamPaused = true;
      this.upstream?.pause();
    }
  }

  protected isOpen(): boolean {
    return this.state !== "closed";
  }

  protected onPeerFin(): void {
    this.peerFin = true;
    this.passiveClose = this.finSeq === null;
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    if (this.mode === "attached") this.upstream?.end();
    else if (this.mode === "sniff") this.finishSniff();
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (this.state === "closed" || this.state === "time-wait") return;
    if (!(this.peerFin && this.finAcked)) return;
    this.endReason ??= "closed";
    // Only the side that sent the first FIN keeps TIME-WAIT: when the guest closed first, the
    // guest holds it and the flow can be forgotten as soon as our FIN is acknowledged.
    if (this.passiveClose) return this.teardown(this.endReason, false);
    this.state = "time-wait";
    this.stopSender();
    this.timeWaitTimer = setTimeout(() => this.teardown(this.endReason ?? "closed", false), this.host.cfg.timeWaitMs);
    this.timeWaitTimer.unref?.();
  }

  /** Process one segment from the guest addressed to this connection. */
  input(seg: TcpSegment): void {
    this.lastHeardAt = this.host.now();
    const f = seg.flags;
    switch (this.state) {
      case "closed":
      case "pending":
        return;
      case "syn-sent":
        return this.inputSynSent(seg);
      default:
        break;
    }
    const plen = seg.payload.length;
    const segLen = plen + (f & TCP_FLAG.FIN ? 1 : 0);
    const wndNow = Math.max(1, seqDiff(this.rcvAdvRight, this.rcvNxt));
    // Sequence acceptability (RFC 9293 §3.10.7.4), with a 1-byte allowance for zero windows.
    const acceptable =
      segLen === 0
        ? seqInRange(seg.seq, this.rcvNxt, wndNow) || seg.seq === this.rcvNxt
        : seqInRange(seg.seq, this.rcvNxt, wndNow) || seqInRange(seqAdd(seg.seq, segLen - 1), this.rcvNxt, wndNow);
    if (f & TCP_FLAG.RST) {
      if (seg.seq === this.rcvNxt || (this.state === "syn-rcvd" && seqInRange(seg.seq, this.rcvNxt, wndNow))) {
        this.teardown("reset by guest", true);
      } else if (acceptable) this.ackNow(); // challenge ACK (RFC 5961)
      return;
    }
    if (f & TCP_FLAG.SYN) {
      if (this.state === "syn-rcvd" && seg.seq === this.irs) this.sendSynAck();
      else if (this.state === "time-wait" || this.state === "established") this.ackNow();
      return;
    }
    if (!acceptable) {
      this.ackNow(); // old duplicate or beyond the window: re-announce where we are
      return;
    }
    if (!(f & TCP_FLAG.ACK)) return;
    if (this.state === "syn-rcvd") {
      if (seg.ack !== seqAdd(this.iss, 1)) {
        this.host.send(this, { ...this.ports(), seq: seg.ack, ack: 0, flags: TCP_FLAG.RST, window: 0 }, 0);
        return;
      }
      this.state = "established";
      this.sndUna = seg.ack;
      this.sndNxt = seg.ack;
      this.initWindow(seg.seq, seg.ack, seg.window << this.sndWscale);
      this.clearRto();
      this.retries = 0;
    }
    if (!this.processAck(seg.seq, seg.ack, seg.window, seg.options.sack, plen)) {
      this.ackNow();
      return;
    }
    if (segLen > 0 && !this.peerFin) this.receive(seg);
    else if (segLen > 0 && this.peerFin) this.ackNow(); // retransmitted FIN or data after FIN
    this.trySend();
    this.maybeFinish();
  }

  private inputSynSent(seg: TcpSegment): void {
    const f = seg.flags;
    const ackOk = (f & TCP_FLAG.ACK) !== 0 && seg.ack === seqAdd(this.iss, 1);
    if (f & TCP_FLAG.RST) {
      if (ackOk) this.teardown("refused by guest", true);
      return;
    }
    if (!(f & TCP_FLAG.SYN)) {
      if (f & TCP_FLAG.ACK && !ackOk) {
        this.host.send(this, { ...this.ports(), seq: seg.ack, ack: 0, flags: TCP_FLAG.RST, window: 0 }, 0);
      }
      return;
    }
    if (!ackOk) return;
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    const o = seg.options;
    const defMss = this.ends.guestIp.length === 4 ? 536 : 1220;
    this.effMss = Math.max(64, Math.min(o.mss ?? defMss, this.ourMss));
    if (o.windowScale !== undefined) this.sndWscale = o.windowScale;
    else {
      this.sndWscale = 0;
      this.rcvWscale = 0;
    }
    this.sackOk = o.sackPermitted === true;
    this.state = "established";
    this.sndUna = seg.ack;
    this.sndNxt = seg.ack;
    this.initWindow(seg.seq, seg.ack, seg.window); // SYN-ACK window is never scaled
    this.clearRto();
    this.retries = 0;
    this.rcvAdvRight = this.rcvNxt;
    this.ackNow();
    this.onEstablished?.();
    this.trySend();
  }

  /** Whether the connection still counts against the table (not yet forgotten). */
  get live(): boolean {
    return this.state !== "closed";
  }
}
