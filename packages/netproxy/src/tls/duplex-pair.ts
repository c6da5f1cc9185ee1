/**
 * An in-memory pair of connected duplex streams (Node 20 lacks `stream.duplexPair`): what one end
 * writes the other reads, with backpressure, half-close (end -> peer EOF) and destroy propagation
 * (destroying one end destroys the other, so a reset travels both ways).
 */
import { Duplex } from "node:stream";

class End extends Duplex {
  peer!: End;
  private pendingWrite: (() => void) | undefined;

  override _read(): void {
    const cb = this.peer.pendingWrite;
    if (cb) {
      this.peer.pendingWrite = undefined;
      cb();
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.peer.destroyed) return cb(new Error("peer destroyed"));
    if (this.peer.push(chunk)) cb();
    else this.pendingWrite = () => cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.peer.push(null);
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const pending = this.pendingWrite;
    this.pendingWrite = undefined;
    pending?.();
    if (!this.peer.destroyed) this.peer.destroy();
    cb(err);
  }
}

/** Two connected duplex ends. */
export function duplexPair(highWaterMark = 512 * 1024): [Duplex, Duplex] {
  const a = new End({ highWaterMark, allowHalfOpen: true });
  const b = new End({ highWaterMark, allowHalfOpen: true });
  a.peer = b;
  b.peer = a;
  return [a, b];
}
