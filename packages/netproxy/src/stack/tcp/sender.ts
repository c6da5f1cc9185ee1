/**
 * The sending half of a terminated TCP connection (proxy -> guest): a send queue from SND.UNA,
 * segmentation by the guest's MSS, the guest's scaled window, RFC 6298 retransmission with
 * exponential backoff, NewReno-style fast retransmit that skips SACKed ranges, zero-window
 * probing, and our FIN. The receiving half and the control logic live in `conn.ts`.
 */
import { TCP_FLAG, tcpOptionsLength, type SackBlock, type TcpHeaderFields, type TcpOptions } from "../../frame/tcp.js";
import { ByteQueue } from "./byte-queue.js";
import { RtoEstimator } from "./rto.js";
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from "./seq.js";
import type { TcpConnHost } from "./types.js";

const NO_SACK: readonly SackBlock[] = Object.freeze([]);

/** Sending-side state and logic, extended by `TcpConn`. */
export abstract class TcpSender {
  /** Our initial sequence number. */
  readonly iss: number;
  sndUna: number;
  sndNxt: number;
  /** Highest sequence number sent so far (SND.NXT before any go-back). */
  sndMax: number;
  /** The guest's current window in bytes (already scaled). */
  sndWnd = 0;
  protected sndWl1 = 0;
  protected sndWl2 = 0;
  /** Shift the guest applies to its advertised windows (0 without the option). */
  sndWscale = 0;
  /** Largest payload per segment towards the guest. */
  effMss = 536;
  /** Whether the guest offered SACK-permitted in its SYN. */
  sackOk = false;
  /** Bytes from SND.UNA on: in flight, then unsent. */
  readonly sendQ = new ByteQueue();
  /** The upstream side has ended: send FIN after the queued data. */
  finQueued = false;
  /** Sequence number of our FIN once sent. */
  finSeq: number | null = null;
  finAcked = false;
  /** RTT/RTO state, created by the first round-trip sample or timeout (the configured initial RTO until then). */
  private rtoEst: RtoEstimator | null = null;
  private rtoTimer: NodeJS.Timeout | null = null;
  private rttSample: { seq: number; at: number } | null = null;
  /** Ranges the guest SACKed beyond SND.UNA (the shared empty list while there are none). */
  private sacked: readonly SackBlock[] = NO_SACK;
  private dupAcks = 0;
  private recover: number | null = null;
  /** Congestion window after a loss (bytes); Infinity on a healthy local link. */
  private cwnd = Infinity;
  private ssthresh = Infinity;
  protected retries = 0;
  private tailScheduled = false;
  private flushingTail = false;
  protected lastHeardAt = 0;
  /** Counters. */
  bytesToGuest = 0;
  retransmits = 0;

  protected constructor(protected readonly host: TcpConnHost, iss: number) {
    this.iss = iss >>> 0;
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.sndMax = this.iss;
  }

  private get rto(): RtoEstimator {
    return (this.rtoEst ??= new RtoEstimator(this.host.cfg.rto));
  }

  /** The current retransmission timeout (ms). */
  private rtoMs(): number {
    return this.rtoEst ? this.rtoEst.current : RtoEstimator.initial(this.host.cfg.rto);
  }

  /** ACK number to put on outgoing segments. */
  protected abstract ackNumber(): number;
  /** A segment carrying the current ACK number (and window) is being sent. */
  protected abstract ackSent(): void;
  /** Window field value (already shifted) to advertise, updating the advertised right edge. */
  protected abstract windowField(): number;
  /** SACK blocks describing our out-of-order store (empty when none or not negotiated). */
  protected abstract sackBlocksOut(): SackBlock[];
  /** Ports in header order (local -> guest). */
  protected abstract ports(): { srcPort: number; dstPort: number };
  /** Called when the flow must be reset because the guest stopped answering. */
  protected abstract onGiveUp(reason: string): void;
  /** Called after acknowledged bytes left the send queue (to resume upstream reading). */
  protected abstract onSendSpace(): void;
  /** Whether data may be sent now (handshake complete, not reset). */
  protected abstract canSendData(): boolean;
  /** Continue sending after the link drained. */
  abstract resume(): void;

  /** Emit one segment with the current ACK and window. */
  protected emit(seq: number, flags: number, payloadLen: number, options?: TcpOptions): boolean {
    if (flags & TCP_FLAG.ACK) this.ackSent();
    const p = this.ports();
    let opts = options;
    if (!opts && this.sackOk && flags & TCP_FLAG.ACK) {
      const blocks = this.sackBlocksOut();
      // Data segments carry SACK blocks only when they still fit within the MSS (frame <= MTU).
      if (blocks.length > 0 && payloadLen + tcpOptionsLength({ sack: blocks }) <= this.effMss) opts = { sack: blocks };
    }
    const f: TcpHeaderFields = {
      srcPort: p.srcPort,
      dstPort: p.dstPort,
      seq,
      ack: flags & TCP_FLAG.ACK ? this.ackNumber() : 0,
      flags,
      window: this.windowField(),
      ...(opts ? { options: opts } : {}),
    };
    if (payloadLen === 0) return this.host.send(this, f, 0);
    const offset = seqDiff(seq, this.sndUna);
    return this.host.send(this, f, payloadLen, (dst, off) => this.sendQ.copyOut(offset, payloadLen, dst, off));
  }

  /** Send as much queued data (and then our FIN) as the guest's window allows. */
  trySend(): void {
    if (!this.canSendData()) return;
    for (;;) {
      if (this.host.linkBlocked()) {
        this.host.waitDrain(this);
        return;
      }
      // Skip over ranges the guest already SACKed (after a go-back).
      for (const b of this.sacked) {
        if (seqLe(b.left, this.sndNxt) && seqGt(b.right, this.sndNxt)) this.sndNxt = b.right;
      }
      const offset = seqDiff(this.sndNxt, this.sndUna);
      const unsent = this.sendQ.length - offset;
      const inFlight = seqDiff(this.sndNxt, this.sndUna);
      const limit = Math.min(this.sndWnd, this.cwnd);
      const usable = Math.floor(limit - inFlight); // whole bytes only: cwnd grows in fractions
      if (unsent > 0) {
        if (usable <= 0) {
          if (this.sndWnd === 0 && inFlight === 0) this.probeZeroWindow();
          return;
        }
        let n = Math.min(unsent, usable, this.segmentBytes());
        // Avoid sending a runt while data is in flight and more is waiting (SWS avoidance).
        if (n < this.effMss && n < unsent && inFlight > 0) return;
        // A short tail with data in flight waits for the end of this event-loop turn: upstream
        // reads that are already pending append to it (one full segment instead of a runt per
        // read chunk, which matters at large MTUs). Unlike Nagle it never waits for an ACK.
        if (n < this.effMss && n === unsent && inFlight > 0 && !this.finQueued && !this.flushingTail) {
          if (!this.tailScheduled) {
            this.tailScheduled = true;
            setImmediate(() => {
              this.tailScheduled = false;
              this.flushingTail = true;
              try {
                this.trySend();
              } finally {
                this.flushingTail = false;
              }
            });
          }
          return;
        }
        for (const b of this.sacked) {
          if (seqGt(b.left, this.sndNxt)) {
            n = Math.min(n, seqDiff(b.left, this.sndNxt));
            break;
          }
        }
        if (n <= 0) return; // defensive: never spin without progress
        const last = offset + n === this.sendQ.length;
        const flags = TCP_FLAG.ACK | (last ? TCP_FLAG.PSH : 0);
        const seq = this.sndNxt;
        const isNew = seqGe(seq, this.sndMax);
        this.emit(seq, flags, n);
        this.afterTransmit(seq, n, isNew);
        continue;
      }
      if (this.finQueued && this.finSeq === null) {
        const seq = this.sndNxt;
        this.finSeq = seq;
        this.emit(seq, TCP_FLAG.FIN | TCP_FLAG.ACK, 0);
        this.afterTransmit(seq, 1, true);
        continue;
      }
      if (this.finSeq !== null && this.sndNxt === this.finSeq && !this.finAcked) {
        // FIN was rewound by a go-back: resend it.
        this.emit(this.finSeq, TCP_FLAG.FIN | TCP_FLAG.ACK, 0);
        this.afterTransmit(this.finSeq, 1, false);
        continue;
      }
      return;
    }
  }

  /** Payload bytes per frame: one MSS, or whole MSS multiples up to `tsoBytes` on a TSO link. */
  private segmentBytes(): number {
    const tso = this.host.cfg.tsoBytes ?? 0;
    return tso > this.effMss ? tso - (tso % this.effMss) : this.effMss;
  }

  private afterTransmit(seq: number, len: number, isNew: boolean): void {
    const end = seqAdd(seq, len);
    this.sndNxt = end;
    if (seqGt(end, this.sndMax)) this.sndMax = end;
    if (isNew) {
      if (len > 0 && this.finSeq !== seq) this.bytesToGuest += len;
      if (!this.rttSample) this.rttSample = { seq: end, at: this.host.now() };
    } else {
      this.retransmits++;
    }
    if (!this.rtoTimer) this.armRto();
  }

  private probeZeroWindow(): void {
    // Persist: push one byte past the closed window; the RTO timer (with backoff) repeats it.
    if (this.rtoTimer) return;
    const seq = this.sndNxt;
    const isNew = seqGe(seq, this.sndMax);
    this.emit(seq, TCP_FLAG.ACK, 1);
    this.afterTransmit(seq, 1, isNew);
  }

  /** (Re)start the retransmission timer. */
  protected armRto(): void {
    this.clearRto();
    this.rtoTimer = setTimeout(() => this.onRtoExpired(), this.rtoMs());
    this.rtoTimer.unref?.();
  }

  /** Stop the retransmission timer. */
  protected clearRto(): void {
    if (this.rtoTimer) clearTimeout(this.rtoTimer);
    this.rtoTimer = null;
  }

  /** Something to retransmit is outstanding. */
  protected hasUnacked(): boolean {
    return seqGt(this.sndMax, this.sndUna);
  }

  /** Retransmission timeout: back off, collapse to one segment, go back to SND.UNA. */
  protected onRtoExpired(): void {
    this.rtoTimer = null;
    if (!this.hasUnacked()) return;
    const quietFor = this.host.now() - this.lastHeardAt;
    this.retries++;
    if (this.retries > this.host.cfg.maxRetries && quietFor > this.rtoMs()) {
      this.onGiveUp("retransmission limit reached");
      return;
    }
    this.rto.backoff++;
    this.rttSample = null; // Karn: never time retransmitted segments
    this.ssthresh = Math.max(Math.floor(seqDiff(this.sndMax, this.sndUna) / 2), 2 * this.effMss);
    this.cwnd = this.effMss;
    this.recover = this.sndMax;
    this.dupAcks = 0;
    this.retransmitHandshakeOrData();
  }

  /** Resend the handshake segment (overridden in `TcpConn`) or go back to SND.UNA. */
  protected retransmitHandshakeOrData(): void {
    this.sndNxt = this.sndUna;
    this.trySendRetransmit();
  }

  private trySendRetransmit(): void {
    const before = this.sndNxt;
    this.trySend();
    if (this.sndNxt === before && this.hasUnacked() && !this.rtoTimer) {
      // Nothing could be sent (window closed): keep the timer running as a probe clock.
      if (seqDiff(this.sndMax, this.sndUna) > 0 && this.sendQ.length > 0) {
        this.emit(this.sndUna, TCP_FLAG.ACK, Math.min(1, this.sendQ.length));
        this.retransmits++;
      }
      this.armRto();
    }
  }

  /** Retransmit the first unSACKed segment at or after `from` (fast retransmit / partial ACK). */
  private retransmitHole(from: number): void {
    let seq = from;
    for (const b of this.sacked) if (seqLe(b.left, seq) && seqGt(b.right, seq)) seq = b.right;
    if (this.finSeq !== null && seq === this.finSeq) {
      this.emit(seq, TCP_FLAG.FIN | TCP_FLAG.ACK, 0);
      this.retransmits++;
      return;
    }
    const offset = seqDiff(seq, this.sndUna);
    let n = Math.min(this.effMss, this.sendQ.length - offset, seqDiff(this.sndMax, seq));
    for (const b of this.sacked) if (seqGt(b.left, seq)) n = Math.min(n, seqDiff(b.left, seq));
    if (n <= 0) return;
    this.emit(seq, TCP_FLAG.ACK, n);
    this.retransmits++;
    this.rttSample = null;
  }

  /**
   * Process the ACK fields of an incoming segment. Returns false when it acknowledges data we
   * never sent (the caller answers with an ACK and drops the segment).
   */
  protected processAck(seq: number, ack: number, window: number, sack: SackBlock[] | undefined, payloadLen: number): boolean {
    if (seqGt(ack, this.sndMax)) return false;
    const wnd = window << this.sndWscale;
    const oldWnd = this.sndWnd;
    if (seqGt(ack, this.sndUna)) {
      let acked = seqDiff(ack, this.sndUna);
      if (this.finSeq !== null && seqGt(ack, this.finSeq)) {
        this.finAcked = true;
        acked -= 1;
      }
      this.sendQ.consume(Math.min(acked, this.sendQ.length));
      this.sndUna = ack;
      if (seqLt(this.sndNxt, ack)) this.sndNxt = ack;
      if (this.rttSample && seqGe(ack, this.rttSample.seq)) {
        this.rto.sample(this.host.now() - this.rttSample.at);
        this.rttSample = null;
      }
      if (this.rtoEst) this.rtoEst.backoff = 0;
      this.retries = 0;
      if (this.sacked.length > 0) {
        const kept = this.sacked.filter((b) => seqGt(b.right, ack));
        this.sacked = kept.length > 0 ? kept : NO_SACK;
      }
      if (this.cwnd !== Infinity) {
        // Slow start below ssthresh, then congestion avoidance; unlimited again once large.
        if (this.cwnd < this.ssthresh) this.cwnd += Math.max(acked, this.effMss);
        else this.cwnd += Math.max(1, Math.floor((this.effMss * this.effMss) / this.cwnd));
        if (this.cwnd >= 4 * 1024 * 1024) {
          this.cwnd = Infinity;
          this.ssthresh = Infinity;
        }
      }
      if (this.recover !== null) {
        if (seqGe(ack, this.recover)) this.recover = null;
        else if (this.sackOk && this.sacked.length > 0) this.retransmitHole(ack); // SACK names the next hole
        else this.sndNxt = ack; // partial ACK without SACK: the receiver dropped the rest, go back
      }
      this.dupAcks = 0;
      if (this.hasUnacked()) this.armRto();
      else this.clearRto();
      this.onSendSpace();
    } else if (ack === this.sndUna && payloadLen === 0 && wnd === oldWnd && this.hasUnacked()) {
      this.dupAcks++;
      if (this.dupAcks === 3 && this.recover === null) {
        this.recover = this.sndMax;
        this.ssthresh = Math.max(Math.floor(seqDiff(this.sndMax, this.sndUna) / 2), 2 * this.effMss);
        this.cwnd = this.ssthresh;
        this.retransmitHole(this.sndUna);
      }
    }
    if (sack && this.sackOk) this.mergeSack(sack);
    // Window update (RFC 9293 SND.WL1/WL2 rule).
    if (seqLt(this.sndWl1, seq) || (this.sndWl1 === seq && seqLe(this.sndWl2, ack))) {
      this.sndWnd = wnd;
      this.sndWl1 = seq;
      this.sndWl2 = ack;
    }
    return true;
  }

  private mergeSack(blocks: SackBlock[]): void {
    const all = this.sacked.slice();
    for (const b of blocks) {
      if (!seqGt(b.right, b.left) || seqLe(b.right, this.sndUna) || seqGt(b.right, this.sndMax)) continue;
      all.push({ left: seqLt(b.left, this.sndUna) ? this.sndUna : b.left, right: b.right });
    }
    if (all.length === 0) return;
    all.sort((a, b) => seqDiff(a.left, b.left));
    const merged: SackBlock[] = [];
    for (const b of all) {
      const last = merged[merged.length - 1];
      if (last && seqGe(last.right, b.left)) {
        if (seqGt(b.right, last.right)) merged[merged.length - 1] = { left: last.left, right: b.right };
      } else merged.push(b);
    }
    this.sacked = merged.slice(-16);
  }

  /** Set the window from the handshake segment (never scaled there). */
  protected initWindow(seq: number, ack: number, window: number): void {
    this.sndWnd = window;
    this.sndWl1 = seq;
    this.sndWl2 = ack;
  }

  /** Stop all sender timers. */
  protected stopSender(): void {
    this.clearRto();
  }
}
