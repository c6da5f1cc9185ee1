/**
 * The receiving half of a terminated TCP connection (guest -> proxy): in-order delivery to the
 * upstream duplex (or to the first-flight sniff buffer), duplicate trimming, the bounded
 * out-of-order store with SACK reporting, ACKs coalesced per input batch (or, for a small arrival
 * or the guest's FIN, delayed a little so the upstream's reply or FIN carries them), and the
 * advertised window tied to the upstream's write backlog (never moving the right edge left).
 */
import { Socket } from "node:net";
import { TCP_FLAG, type SackBlock, type TcpSegment } from "../../frame/tcp.js";
import { ByteQueue } from "./byte-queue.js";
import { OutOfOrderBuffer } from "./reassembly.js";
import { reserveViews, settle } from "./pinned-views.js";
import { RawTcpUpstream } from "./raw-upstream.js";
import { TcpSender } from "./sender.js";
import { seqAdd, seqDiff, seqGt, seqLt } from "./seq.js";
import type { TcpConnHost } from "./types.js";
import type { FlowUpstream } from "./upstream.js";

/** Receiving-side state and logic, extended by `TcpConn`. */
export abstract class TcpReceiver extends TcpSender {
  irs = 0;
  rcvNxt = 0;
  /** Shift we apply to the windows we advertise. */
  rcvWscale = 0;
  protected rcvAdvRight = 0;
  /** Out-of-order store, created by the first segment beyond RCV.NXT and dropped once it empties. */
  protected ooo: OutOfOrderBuffer | null = null;
  /** The guest's FIN has been received in order. */
  peerFin = false;
  protected upstream: FlowUpstream | null = null;
  protected mode: "none" | "sniff" | "attached" | "discard" = "none";
  /** Bytes collected before the upstream is attached (sniffing), created by the first such bytes. */
  protected sniffQ: ByteQueue | null = null;
  protected sniff: {
    limit: number;
    done: (bytes: Uint8Array, fin: boolean) => void;
    progress: ((bytes: Uint8Array) => boolean) | undefined;
  } | null = null;
  /** An ACK is due at the end of the input batch. */
  private ackPending = false;
  /** An ACK is due within `cfg.delayedAckMs` unless a segment of ours carries it first. */
  private ackDelayed = false;
  /** The batch's ACK went out on a segment sent before the batch ended (its window may be stale). */
  private ackCarried = false;
  /** RCV.NXT as last acknowledged to the guest. */
  protected rcvAcked = 0;
  /** Upstream writes are corked until the end of the input batch (one writev per batch). */
  private corked = false;
  /**
   * The upstream this batch is written to as views of the guest's frames, under a reservation
   * (pinned-views.ts) settled at the batch's end, even after a teardown; null when the batch is
   * copied instead: the upstream still held bytes from earlier batches when it was corked (its
   * kernel buffer is full, so views would wait and pin the link's read slabs), too many flows
   * already hold waiting views, or the upstream is not a kernel socket (a JS stream, such as the
   * TLS interceptor's duplex or DNS over TCP, may keep a chunk after its write callback).
   */
  private viewsOn: FlowUpstream | null = null;
  /** Guest -> upstream byte count. */
  bytesFromGuest = 0;

  protected constructor(host: TcpConnHost, iss: number) {
    super(host, iss);
  }

  /** Whether the connection is not closed (ACKs may still be sent). */
  protected abstract isOpen(): boolean;
  /** The guest's FIN arrived in order (RCV.NXT already covers data before it). */
  protected abstract onPeerFin(): void;

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
    const q = this.sniffQ;
    const out = new Uint8Array(q?.length ?? 0);
    q?.copyOut(0, out.length, out, 0);
    return out;
  }

  /** Take what was collected while sniffing (empty when nothing was) and forget the queue. */
  protected takeSniffed(): Uint8Array {
    const q = this.sniffQ;
    this.sniffQ = null;
    return q ? q.drain() : new Uint8Array(0);
  }

  /** End sniffing now (e.g. a ClientHello parsed or a timeout) and run its callback. */
  finishSniff(): void {
    const s = this.sniff;
    if (!s) return;
    this.sniff = null;
    s.done(this.sniffed(), this.peerFin);
  }

  /** End of an input batch: flush corked upstream writes and send the batch's ACK unless a segment carried it. */
  flushAck(): void {
    if (this.corked) {
      this.corked = false;
      this.upstream?.uncork();
      if (this.viewsOn) settle(this.viewsOn);
      this.viewsOn = null;
    }
    const carried = this.ackCarried;
    this.ackCarried = false;
    if (!this.isOpen()) return;
    if (this.ackPending) this.ackNow();
    else if (carried && this.windowUpdateNeeded()) this.ackNow();
  }

  /** The delayed ACK is due: send it unless a segment carried it meanwhile. */
  flushDelayedAck(): void {
    if (!this.ackDelayed || !this.isOpen()) return;
    if (!this.corked) return this.ackNow();
    // Mid-batch (upstream writes corked, the window not yet what it will be): the batch's end,
    // already scheduled by the cork, sends it.
    this.ackDelayed = false;
    this.ackPending = true;
  }

  protected ackNow(): void {
    this.emit(this.sndNxt, TCP_FLAG.ACK, 0);
  }

  protected ackSent(): void {
    if (this.ackPending) {
      this.ackPending = false;
      this.ackCarried = true;
    }
    this.ackDelayed = false;
    this.rcvAcked = this.rcvNxt;
  }

  /** ACK at the end of the input batch. */
  protected scheduleAck(): void {
    if (this.ackPending) return;
    this.ackPending = true;
    this.host.scheduleAck(this);
  }

  /** ACK within `cfg.delayedAckMs`, or with the next segment we send before that. */
  protected delayAck(): void {
    if (this.ackDelayed || this.ackPending) return;
    this.ackDelayed = true;
    this.host.scheduleDelayedAck(this);
  }

  protected ackNumber(): number {
    return this.rcvNxt;
  }

  protected rcvSpace(): number {
    const sniffed = this.sniffQ?.length ?? 0;
    const backlog = (this.upstream?.writableLength ?? 0) + sniffed + (this.ooo?.size ?? 0);
    let avail = this.host.cfg.rcvBuf - backlog;
    if (this.mode === "sniff" && this.sniff) avail = Math.min(avail, this.sniff.limit - sniffed);
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
    return this.ooo && !this.ooo.empty ? this.ooo.sackBlocks(4) : [];
  }

  /**
   * The window the guest last heard (`promised`, bytes past RCV.NXT), what we could offer now
   * (`space`), and whether the difference is worth an update: at least two segments' worth (or half
   * the buffer, if smaller), or any room once the guest had none.
   */
  private windowGain(): { promised: number; space: number; worth: boolean } {
    const promised = Math.max(0, seqDiff(this.rcvAdvRight, this.rcvNxt));
    const space = this.rcvSpace();
    const worth = (promised === 0 && space > 0) || space - promised >= Math.min(this.host.cfg.rcvBuf / 2, 2 * this.effMss);
    return { promised, space, worth };
  }

  /**
   * Whether the guest must hear our window now although a segment carried the batch's ACK: the
   * gain is worth it and we can offer at least twice what it still has (or it has nothing left).
   */
  private windowUpdateNeeded(): boolean {
    const g = this.windowGain();
    return g.worth && (g.promised === 0 || g.space >= 2 * g.promised);
  }

  protected maybeWindowUpdate(): void {
    if (this.canSendData() && this.windowGain().worth) this.ackNow();
  }

  protected deliver(data: Uint8Array): void {
    if (data.length === 0) return;
    this.bytesFromGuest += data.length;
    if (this.mode === "attached" && this.upstream) {
      if (!this.corked) {
        this.corked = true;
        const kernel = this.upstream instanceof Socket || this.upstream instanceof RawTcpUpstream;
        const views = kernel && this.upstream.writableLength === 0 && reserveViews();
        this.viewsOn = views ? this.upstream : null;
        this.upstream.cork();
        this.host.scheduleAck(this);
      }
      // A view of the guest's frame, no copy: the batch's writev normally hands it to the kernel
      // before the turn ends (frames are never reused by the link; see FrameLink.onFrame).
      this.upstream.write(this.viewsOn ? data : Buffer.from(data));
    } else if (this.mode === "sniff" || this.mode === "none") {
      const q = (this.sniffQ ??= new ByteQueue());
      q.push(Uint8Array.from(data));
      if (this.sniff && (q.length >= this.sniff.limit || this.sniff.progress?.(this.sniffed()))) this.finishSniff();
    }
  }

  protected receive(seg: TcpSegment): void {
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
      if (data.length > 0 || fin) (this.ooo ??= new OutOfOrderBuffer(this.host.cfg.rcvBuf)).insert(seq, data, fin);
      return this.ackNow(); // duplicate ACK with SACK blocks tells the guest what is missing
    }
    const ooo = this.ooo;
    const hadHoles = ooo !== null && !ooo.empty;
    this.deliver(data);
    this.rcvNxt = seqAdd(this.rcvNxt, data.length);
    if (!fin && ooo) {
      const t = ooo.take(this.rcvNxt);
      for (const d of t.data) this.deliver(d);
      this.rcvNxt = t.next;
      fin = t.fin;
    }
    if (ooo?.empty) this.ooo = null;
    if (fin) {
      // Our FIN usually follows the guest's soon (the upstream sees the end): let it carry the
      // ACK. When ours is already out, this ACK completes the close: send it now.
      const oursSent = this.finSeq !== null;
      this.onPeerFin();
      if (hadHoles || oursSent || !this.isOpen()) this.ackNow();
      else this.delayAck();
    } else if (hadHoles || data.length === 0) this.ackNow();
    else if (seqDiff(this.rcvNxt, this.rcvAcked) >= 2 * this.effMss) this.scheduleAck();
    else this.delayAck(); // a request, usually: the upstream's reply carries the ACK
  }
}
