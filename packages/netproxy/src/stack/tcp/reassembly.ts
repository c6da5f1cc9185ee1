/**
 * The receive-side out-of-order store of one TCP connection: segments that arrived beyond
 * RCV.NXT, bounded in bytes, merged on insert, released once the gap fills, and reported to the
 * sender as SACK blocks (RFC 2018).
 */
import type { SackBlock } from "../../frame/tcp.js";
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from "./seq.js";

interface Piece {
  seq: number;
  data: Uint8Array;
  fin: boolean;
}

/**
 * Most pieces (separate byte ranges) held at once. Each piece costs an allocation and every insert
 * re-normalizes the list, so a guest sending tiny segments with holes between them must not be
 * able to create one piece per byte of the window (that made inserts quadratic and the store cost
 * hundreds of bytes per byte held). A segment that would add a piece beyond this is dropped; the
 * sender retransmits it (256 holes is far beyond what real loss and reordering produce).
 */
export const OOO_MAX_PIECES = 256;

/** Out-of-order segment store with a byte bound and a bound on separate pieces. */
export class OutOfOrderBuffer {
  private pieces: Piece[] = [];
  private bytes = 0;
  /** Most recently touched piece's start, reported first in SACK blocks (RFC 2018 §4). */
  private recent: number | null = null;

  constructor(
    private readonly limit: number,
    private readonly maxPieces = OOO_MAX_PIECES,
  ) {}

  /** Bytes held. */
  get size(): number {
    return this.bytes;
  }

  /** Whether nothing is held. */
  get empty(): boolean {
    return this.pieces.length === 0;
  }

  /**
   * Store `data` (copied) starting at `seq` (> rcvNxt). Overlaps with held pieces are trimmed.
   * Returns false when the byte bound or the piece bound would be exceeded (the segment is then
   * dropped; the sender retransmits it).
   */
  insert(seq: number, data: Uint8Array, fin: boolean): boolean {
    let s = seq;
    let d = data;
    // Trim against existing pieces.
    for (const p of this.pieces) {
      const pEnd = seqAdd(p.seq, p.data.length);
      if (seqLe(p.seq, s) && seqGe(pEnd, seqAdd(s, d.length))) {
        if (fin) p.fin = true;
        this.recent = p.seq;
        return true; // fully covered
      }
    }
    if (this.bytes + d.length > this.limit) return false;
    if (this.pieces.length >= this.maxPieces) return false;
    d = Uint8Array.from(d);
    const piece: Piece = { seq: s, data: d, fin };
    let i = 0;
    while (i < this.pieces.length && seqLt(this.pieces[i]!.seq, s)) i++;
    this.pieces.splice(i, 0, piece);
    this.bytes += d.length;
    this.recent = s;
    this.normalize();
    return true;
  }

  /** Merge overlapping/adjacent pieces (keeps byte accounting exact). */
  private normalize(): void {
    const out: Piece[] = [];
    for (const p of this.pieces) {
      const last = out[out.length - 1];
      if (last) {
        const lastEnd = seqAdd(last.seq, last.data.length);
        if (seqGe(lastEnd, p.seq)) {
          const pEnd = seqAdd(p.seq, p.data.length);
          if (seqGt(pEnd, lastEnd)) {
            const extra = p.data.subarray(seqDiff(lastEnd, p.seq));
            const merged = new Uint8Array(last.data.length + extra.length);
            merged.set(last.data, 0);
            merged.set(extra, last.data.length);
            last.data = merged;
          }
          last.fin = last.fin || p.fin;
          continue;
        }
      }
      out.push({ ...p });
    }
    this.pieces = out;
    this.bytes = out.reduce((n, p) => n + p.data.length, 0);
  }

  /**
   * Release data that has become contiguous with `rcvNxt`. Returns the bytes (possibly empty),
   * whether a FIN follows them, and leaves later pieces in place.
   */
  take(rcvNxt: number): { data: Uint8Array[]; fin: boolean; next: number } {
    const data: Uint8Array[] = [];
    let next = rcvNxt;
    let fin = false;
    while (this.pieces.length > 0) {
      const p = this.pieces[0]!;
      if (seqGt(p.seq, next)) break;
      const pEnd = seqAdd(p.seq, p.data.length);
      this.pieces.shift();
      this.bytes -= p.data.length;
      if (seqGt(pEnd, next)) {
        data.push(p.data.subarray(seqDiff(next, p.seq)));
        next = pEnd;
      }
      if (p.fin && seqLe(pEnd, next)) {
        fin = true;
        break;
      }
    }
    if (fin) this.clear();
    return { data, fin, next };
  }

  /** SACK blocks to report (most recent first, at most `max`). */
  sackBlocks(max: number): SackBlock[] {
    const blocks = this.pieces.map((p) => ({ left: p.seq, right: seqAdd(p.seq, p.data.length) }));
    const ri = blocks.findIndex((b) => b.left === this.recent);
    if (ri > 0) blocks.unshift(...blocks.splice(ri, 1));
    return blocks.slice(0, max);
  }

  /** Drop everything. */
  clear(): void {
    this.pieces = [];
    this.bytes = 0;
    this.recent = null;
  }
}
