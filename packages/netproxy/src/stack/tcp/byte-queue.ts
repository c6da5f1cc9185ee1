/**
 * A FIFO of bytes kept as a list of chunks (no repeated concatenation): append at the tail, copy
 * out any range by offset (for retransmission), and consume from the head once acknowledged.
 */

/** A chunked byte FIFO with random-access reads. */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private headOff = 0;
  private len = 0;

  /** Number of bytes held. */
  get length(): number {
    return this.len;
  }

  /** Append bytes (the queue keeps a reference; pass a copy if the caller reuses the buffer). */
  push(b: Uint8Array): void {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.len += b.length;
  }

  /** Copy `n` bytes starting `offset` bytes from the head into `dst` at `dstOff`. */
  copyOut(offset: number, n: number, dst: Uint8Array, dstOff: number): void {
    if (offset < 0 || n < 0 || offset + n > this.len) {
      throw new RangeError(`ByteQueue.copyOut(${offset}, ${n}) outside 0..${this.len}`);
    }
    let skip = offset + this.headOff;
    let ci = 0;
    while (ci < this.chunks.length && skip >= this.chunks[ci]!.length) {
      skip -= this.chunks[ci]!.length;
      ci++;
    }
    let left = n;
    let o = dstOff;
    while (left > 0) {
      const c = this.chunks[ci]!;
      const take = Math.min(left, c.length - skip);
      // Buffer#copy is a native memcpy without allocating a view (chunks are usually Buffers).
      if (Buffer.isBuffer(c)) c.copy(dst, o, skip, skip + take);
      else dst.set(c.subarray(skip, skip + take), o);
      o += take;
      left -= take;
      skip = 0;
      ci++;
    }
  }

  /** Drop `n` bytes from the head. */
  consume(n: number): void {
    let left = Math.min(n, this.len);
    this.len -= left;
    while (left > 0) {
      const c = this.chunks[0]!;
      const avail = c.length - this.headOff;
      if (left < avail) {
        this.headOff += left;
        return;
      }
      left -= avail;
      this.chunks.shift();
      this.headOff = 0;
    }
    // Emptied: let the grown chunk list go (an idle flow keeps only an empty one).
    if (this.len === 0) this.chunks = [];
  }

  /** Remove and return everything as one buffer. */
  drain(): Uint8Array {
    const out = new Uint8Array(this.len);
    this.copyOut(0, this.len, out, 0);
    this.chunks = [];
    this.headOff = 0;
    this.len = 0;
    return out;
  }
}
