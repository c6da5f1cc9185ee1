/**
 * One terminated TCP connection between the guest and the proxy: handshake (passive for guest
 * SYNs, active for published ports), the receiving half (in-order delivery to the upstream duplex,
 * bounded out-of-order store with SACK, duplicate trimming, a receive window tied to the upstream's
 * write backlog), FIN/RST/half-close both ways, and the first-flight sniffing hook used by deferred
 * policy decisions and interceptors. The sending half is `TcpSender`.
 */
import type { Duplex } from "node:stream";
import { TCP_FLAG, type SackBlock, type TcpSegment } from "../../frame/tcp.js";
import { ByteQueue } from "./byte-queue.js";
import { OutOfOrderBuffer } from "./reassembly.js";
import { TcpSender } from "./sender.js";
import { seqAdd, seqDiff, seqGe, seqGt, seqInRange, seqLt } from "./seq.js";
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

/** A terminated TCP connection. */
export class TcpConn extends TcpSender {
  state: TcpConnState;
  irs = 0;
  rcvNxt = 0;
  /** Shift we apply to the windows we advertise. */
  rcvWscale = 0;
  private rcvAdvRight = 0;
  private readonly ooo: OutOfOrderBuffer;
  /** The guest's FIN has been received in order. */
  peerFin = false;
  private upstream: Duplex | null = null;
  private mode: "none" | "sniff" | "attached" | "discard" = "none";
  private readonly sniffQ = new ByteQueue();
  private sniff: {
    limit: number;
    done: (bytes: Uint8Array, fin: boolean) => void;
    progress: ((bytes: Uint8Array) => boolean) | undefined;
  } | null = null;
  private ackPending = false;
  private upstreamPaused = false;
  private timeWaitTimer: NodeJS.Timeout | null = null;
  private wsNegotiated = false;
  private upstreamEnded = false;
  /** Called once when an actively opened connection becomes established. */
  onEstablished: (() => void) | null = null;
  /** Guest → upstream byte count. */
  bytesFromGuest = 0;
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
    this.ooo = new OutOfOrderBuffer(host.cfg.rcvBuf);
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
  attachUpstream(d: Duplex): void {
    if (this.state === "closed") {
      d.destroy();
      return;
    }
    this.upstream = d;
    this.mode = "attached";
    if (this.sniffQ.length > 0) d.write(Buffer.from(this.sniffQ.drain()));
    this.sniff = null;
    d.on("data", (chunk: Buffer) => this.onUpstreamData(chunk));
    d.on("end", () => {
      this.upstreamEnded = true;
      this.finQueued = true;
      this.trySend();
      this.maybeFinish();
    });
    d.on("drain", () => this.maybeWindowUpdate());
    d.on("error", () => this.reset("upstream error"));
    d.on("close", () => {
      if (!this.upstreamEnded && this.state !== "closed") this.reset("upstream closed");
    });
    if (this.peerFin) d.end();
    this.maybeWindowUpdate();
  }

  /**
   * Collect the guest's first bytes instead of forwarding them. `done` runs once with what was
   * collected when `limit` bytes arrived, `progress` (called after each arrival) returned true,
   * the guest sent FIN, or `finishSniff()` is called.
   */
  startSniff(limit: number, done: (bytes: Uint8Array, fin: boolean) => void, progress?: (bytes: Uint8Array) => boolean): void {
    this.mode = "sniff";
    this.sniff = { limit, done, progress };
  }

  /** The bytes collected so far while sniffing (a copy). */
  sniffed(): Uint8Array {
    const out = new Uint8Array(this.sniffQ.length);
    this.sniffQ.copyOut(0, out.length, out, 0);
    return out;
  }

  /** End sniffing now (e.g. a ClientHello parsed or a timeout) and run its callback. */
  finishSniff(): void {
    const s = this.sniff;
    if (!s) return;
    this.sniff = null;
    s.done(this.sniffed(), this.peerFin);
  }

  /** Close towards the guest with FIN and discard whatever it still sends (post-handshake deny). */
  closeWithFin(reason: string): void {
    this.endReason ??= reason;
    this.mode = "discard";
    this.sniff = null;
    this.sniffQ.drain();
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

  private teardown(reason: string, abort: boolean): void {
    if (this.state === "closed") return;
    this.endReason ??= reason;
    this.state = "closed";
    this.stopSender();
    if (this.timeWaitTimer) clearTimeout(this.timeWaitTimer);
    this.sniff = null;
    this.ooo.clear();
    const u = this.upstream;
    this.upstream = null;
    if (u && !u.destroyed) {
      const s = u as Duplex & { resetAndDestroy?: () => void };
      if (abort && typeof s.resetAndDestroy === "function" && (s as { connecting?: boolean }).connecting === false) {
        s.resetAndDestroy();
      } else u.destroy();
    }
    this.host.finished(this, reason);
  }

  /** Link drained: continue sending. */
  resume(): void {
    this.trySend();
  }

  /** Send the pending delayed ACK, if still pending. */
  flushAck(): void {
    if (!this.ackPending || this.state === "closed") return;
    this.ackPending = false;
    this.emit(this.sndNxt, TCP_FLAG.ACK, 0);
  }

  private ackNow(): void {
    this.ackPending = false;
    this.emit(this.sndNxt, TCP_FLAG.ACK, 0);
  }

  private scheduleAck(): void {
    if (this.ackPending) return;
    this.ackPending = true;
    this.host.scheduleAck(this);
  }

  protected ackNumber(): number {
    return this.rcvNxt;
  }

  private rcvSpace(): number {
    const backlog = (this.upstream?.writableLength ?? 0) + this.sniffQ.length + this.ooo.size;
    let avail = this.host.cfg.rcvBuf - backlog;
    if (this.mode === "sniff" && this.sniff) avail = Math.min(avail, this.sniff.limit - this.sniffQ.length);
    // Receiver-side silly-window avoidance: do not offer tiny windows.
    if (avail < Math.min(this.effMss, this.host.cfg.rcvBuf / 2)) avail = 0;
    return Math.max(0, avail);
  }

  protected windowField(): number {
    const promised = Math.max(0, seqDiff(this.rcvAdvRight, this.rcvNxt));
    const win = Math.max(this.rcvSpace(), promised); // never move the right edge left
    const field = Math.min(0xffff, Math.ceil(win / 2 ** this.rcvWscale));
    const right = seqAdd(this.rcvNxt, field * 2 ** this.rcvWscale);
    if (seqGt(right, this.rcvAdvRight)) this.rcvAdvRight = right;
    return field;
  }

  protected sackBlocksOut(): SackBlock[] {
    return this.ooo.empty ? [] : this.ooo.sackBlocks(4);
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

  private onUpstreamData(chunk: Buffer): void {
    if (this.state === "closed" || this.finSeq !== null) return;
    this.sendQ.push(chunk);
    this.trySend();
    if (!this.upstreamPaused && this.sendQ.length >= this.host.cfg.sndBuf) {
      this.upstreamPaused = true;
      this.upstream?.pause();
    }
  }

  private maybeWindowUpdate(): void {
    if (this.state !== "established") return;
    const promised = Math.max(0, seqDiff(this.rcvAdvRight, this.rcvNxt));
    const space = this.rcvSpace();
    if (space - promised >= Math.min(this.host.cfg.rcvBuf / 2, 2 * this.effMss) || (promised === 0 && space > 0)) {
      this.ackNow();
    }
  }

  private deliver(data: Uint8Array): void {
    if (data.length === 0) return;
    this.bytesFromGuest += data.length;
    if (this.mode === "attached" && this.upstream) {
      this.upstream.write(Buffer.from(data));
    } else if (this.mode === "sniff" || this.mode === "none") {
      this.sniffQ.push(Uint8Array.from(data));
      if (this.sniff && (this.sniffQ.length >= this.sniff.limit || this.sniff.progress?.(this.sniffed()))) this.finishSniff();
    }
  }

  private onPeerFin(): void {
    this.peerFin = true;
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    if (this.mode === "attached") this.upstream?.end();
    else if (this.mode === "sniff") this.finishSniff();
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (this.state === "closed" || this.state === "time-wait") return;
    if (!(this.peerFin && this.finAcked)) return;
    this.state = "time-wait";
    this.stopSender();
    this.endReason ??= "closed";
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

  private receive(seg: TcpSegment): void {
    let seq = seg.seq;
    let data = seg.payload;
    let fin = (seg.flags & TCP_FLAG.FIN) !== 0;
    if (seqLt(seq, this.rcvNxt)) {
      const skip = seqDiff(this.rcvNxt, seq);
      if (skip >= data.length + (fin ? 1 : 0)) return this.ackNow();
      data = data.subarray(Math.min(skip, data.length));
      seq = this.rcvNxt;
    }
    // Never take more than we promised (right edge of the advertised window).
    const room = Math.max(0, seqDiff(this.rcvAdvRight, seq));
    if (data.length > room) {
      data = data.subarray(0, room);
      fin = false;
    }
    if (seq !== this.rcvNxt) {
      if (data.length > 0 || fin) this.ooo.insert(seq, data, fin);
      return this.ackNow(); // duplicate ACK with SACK blocks tells the guest what is missing
    }
    const hadHoles = !this.ooo.empty;
    this.deliver(data);
    this.rcvNxt = seqAdd(this.rcvNxt, data.length);
    if (!fin && !this.ooo.empty) {
      const t = this.ooo.take(this.rcvNxt);
      for (const d of t.data) this.deliver(d);
      this.rcvNxt = t.next;
      fin = t.fin;
    }
    if (fin) {
      this.onPeerFin();
      this.ackNow();
    } else if (hadHoles || data.length === 0) this.ackNow();
    else this.scheduleAck();
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

  /** True when the guest's FIN has arrived and everything we hold has been handed on. */
  get guestDone(): boolean {
    return this.peerFin;
  }

  /** Whether the connection still counts against the table (not yet forgotten). */
  get live(): boolean {
    return this.state !== "closed";
  }

  /** Upstream reading is paused because the guest is not taking data. */
  get pausedUpstream(): boolean {
    return this.upstreamPaused;
  }

  /** Sequence helper for tests/diagnostics: bytes queued towards the guest. */
  get queuedToGuest(): number {
    return this.sendQ.length;
  }

  /** Whether `ack` acknowledges our SYN (for table-level checks). */
  acksSyn(ack: number): boolean {
    return seqGe(ack, seqAdd(this.iss, 1));
  }
}
