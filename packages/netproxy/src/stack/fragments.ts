/**
 * IP fragment reassembly with hard bounds: at most `maxDatagrams` partial datagrams, 65535 bytes
 * and {@link MAX_PIECES} fragments each, a total byte budget, a timeout, and overlapping fragments
 * discard the whole datagram
 * (RFC 5722 treatment, applied to IPv4 too). Completed payloads are returned for normal handling.
 */

interface Partial {
  pieces: { off: number; data: Uint8Array }[];
  bytes: number;
  total: number | null;
  started: number;
  dead: boolean;
}

/**
 * Most fragments one datagram may arrive in. A 65,535-byte datagram needs at most 119 fragments at
 * the IPv4 minimum MTU of 576; tiny fragments beyond this are an attack (each one is checked
 * against every piece held), so the datagram is discarded.
 */
export const MAX_PIECES = 256;

/** Result of feeding one fragment. */
export type ReassemblyResult = { done: Uint8Array } | { pending: true } | { dropped: string };

/** A bounded reassembly table for one address family. */
export class Reassembler {
  private readonly table = new Map<string, Partial>();
  private totalBytes = 0;

  constructor(
    private readonly opts: { maxDatagrams: number; maxBytes: number; timeoutMs: number; now: () => number },
  ) {}

  /** Number of datagrams being reassembled. */
  get pending(): number {
    return this.table.size;
  }

  private expire(): void {
    const limit = this.opts.now() - this.opts.timeoutMs;
    for (const [k, p] of this.table) {
      if (p.started > limit) break; // insertion order = start order
      this.remove(k, p);
    }
  }

  private remove(key: string, p: Partial): void {
    this.table.delete(key);
    this.totalBytes -= p.bytes;
  }

  /**
   * Feed the fragment `data` at byte `offset` of the datagram `key`; `more` is the MF flag.
   * Returns the whole payload once every byte is present.
   */
  add(key: string, offset: number, more: boolean, data: Uint8Array): ReassemblyResult {
    this.expire();
    const end = offset + data.length;
    if (end > 65535) return { dropped: "fragment beyond 65535 bytes" };
    if (more && data.length % 8 !== 0) return { dropped: "non-final fragment not a multiple of 8 bytes" };
    let p = this.table.get(key);
    if (!p) {
      while (this.table.size >= this.opts.maxDatagrams) {
        const [k, old] = this.table.entries().next().value as [string, Partial];
        this.remove(k, old);
      }
      p = { pieces: [], bytes: 0, total: null, started: this.opts.now(), dead: false };
      this.table.set(key, p);
    }
    if (p.dead) return { dropped: "datagram already discarded" };
    if (!more) {
      if (p.total !== null && p.total !== end) return this.kill(key, p, "conflicting final fragment");
      // Pieces held from before the end was known must lie within it.
      for (const q of p.pieces) if (q.off + q.data.length > end) return this.kill(key, p, "fragment past the datagram end");
      p.total = end;
    }
    if (p.total !== null && end > p.total) return this.kill(key, p, "fragment past the datagram end");
    if (p.pieces.length >= MAX_PIECES) return this.kill(key, p, `more than ${MAX_PIECES} fragments`);
    for (const q of p.pieces) {
      if (offset < q.off + q.data.length && q.off < end) return this.kill(key, p, "overlapping fragments");
    }
    while (this.totalBytes + data.length > this.opts.maxBytes && this.table.size > 1) {
      const [k, old] = this.table.entries().next().value as [string, Partial];
      if (old === p) break;
      this.remove(k, old);
    }
    if (this.totalBytes + data.length > this.opts.maxBytes) return this.kill(key, p, "reassembly memory exhausted");
    p.pieces.push({ off: offset, data: Uint8Array.from(data) });
    p.bytes += data.length;
    this.totalBytes += data.length;
    if (p.total === null || p.bytes !== p.total) return { pending: true };
    const out = new Uint8Array(p.total);
    for (const q of p.pieces) out.set(q.data, q.off);
    this.remove(key, p);
    return { done: out };
  }

  private kill(key: string, p: Partial, why: string): ReassemblyResult {
    this.totalBytes -= p.bytes;
    p.pieces = [];
    p.bytes = 0;
    p.dead = true; // keep the tombstone until timeout so later fragments are dropped too
    void key;
    return { dropped: why };
  }
}
