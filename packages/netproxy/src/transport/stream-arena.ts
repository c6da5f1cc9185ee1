/**
 * Arena reads for the u32be stream: the socket reads straight into large slabs (Node's `onread`
 * with a buffer function) instead of a fresh 64 KiB buffer per read, and consecutive reads are
 * appended in the same slab, so a frame split across reads is contiguous and delivered without
 * reassembly. At MTU 65520 every frame (64 KiB + headers) spans two 64 KiB reads; with slabs it
 * is one subarray, no allocation and no copy.
 *
 * Slabs are never reused: a delivered frame stays valid as long as someone holds it (the same
 * contract as {@link StreamDecoder}), and a new slab is taken when the current one's tail is too
 * small, carrying over only the bytes of the frame not yet complete.
 */
import { Socket } from "node:net";
import { STREAM_PREFIX_BYTES, StreamProtocolError, type StreamDecoderEvents } from "./stream-codec.js";

/** Default slab size. */
export const ARENA_SLAB_BYTES = 1 << 20;

/** Incremental u32be stream parser over arena slabs. Feed it with `buffer()` / `commit(n)`. */
export class ArenaStreamReader {
  private slab: Buffer;
  /**
   * The slab as a plain Uint8Array: frames are delivered as its subarrays, so the views the stack
   * takes of a frame (headers, addresses, payload) are the engine's own typed-array subarrays
   * rather than Buffer's (a JS function and a Buffer object per view, several per frame).
   */
  private view: Uint8Array;
  /** Start of the bytes not yet consumed (a partial prefix or frame). */
  private rd = 0;
  /** End of the bytes read so far. */
  private wr = 0;
  /** Stream offset of `slab[0]`. */
  private base = 0;
  /** Bytes of an oversize frame still to skip. */
  private skip = 0;
  private failed: StreamProtocolError | null = null;
  /** Smallest tail of a slab handed to a read: a whole frame with its prefix, at least 128 KiB. */
  private readonly minRoom: number;
  constructor(
    private readonly events: StreamDecoderEvents,
    readonly maxFrameSize: number,
    readonly maxPrefix: number,
    private readonly slabBytes = ARENA_SLAB_BYTES,
  ) {
    this.minRoom = Math.max(128 << 10, maxPrefix + STREAM_PREFIX_BYTES);
    this.slab = Buffer.allocUnsafeSlow(Math.max(slabBytes, 2 * this.minRoom));
    this.view = new Uint8Array(this.slab.buffer, this.slab.byteOffset, this.slab.length);
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.base + this.rd;
  }

  /** True when no partial prefix or frame is held. */
  get idle(): boolean {
    return this.rd === this.wr && this.skip === 0;
  }

  /** The region the next read fills (the current slab's tail, or a new slab). */
  buffer(): Buffer {
    if (this.slab.length - this.wr >= this.minRoom) return this.slab.subarray(this.wr);
    const keep = this.wr - this.rd;
    // Not zero-filled: the kept bytes are copied in and the rest is only ever read after a read fills it.
    const next = Buffer.allocUnsafeSlow(Math.max(this.slabBytes, keep + 2 * this.minRoom));
    this.slab.copy(next, 0, this.rd, this.wr);
    this.base += this.rd;
    this.slab = next;
    this.view = new Uint8Array(next.buffer, next.byteOffset, next.length);
    this.rd = 0;
    this.wr = keep;
    return next.subarray(keep);
  }

  /**
   * `n` bytes were read into the region last returned by `buffer()`: deliver every whole frame.
   * Throws {@link StreamProtocolError} on a framing violation (refusing further input after it).
   */
  commit(n: number): void {
    if (this.failed) throw this.failed;
    this.wr += n;
    const s = this.slab;
    while (this.rd < this.wr) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, this.wr - this.rd);
        this.skip -= take;
        this.rd += take;
        continue;
      }
      if (this.wr - this.rd < STREAM_PREFIX_BYTES) break;
      const at = this.rd;
      const len = ((s[at]! << 24) >>> 0) + (s[at + 1]! << 16) + (s[at + 2]! << 8) + s[at + 3]!;
      if (len === 0 || len > this.maxPrefix) {
        this.failed = new StreamProtocolError(this.base + at, len, this.maxPrefix);
        throw this.failed;
      }
      if (len > this.maxFrameSize) {
        this.events.oversize?.(len, this.base + at);
        this.rd = at + STREAM_PREFIX_BYTES;
        this.skip = len;
        continue;
      }
      if (this.wr - at - STREAM_PREFIX_BYTES < len) break;
      this.rd = at + STREAM_PREFIX_BYTES + len;
      this.events.frame(this.view.subarray(at + STREAM_PREFIX_BYTES, this.rd));
    }
  }
}

/** Private parts of a net.Socket this module relies on (stable since Node 12). */
interface HandleCarrier {
  _handle: { readStop(): number; reading?: boolean; useUserBuffer?: unknown } | null;
}

/**
 * Move a freshly created socket's handle (a child's stdio pipe, an accepted connection: no read
 * callback has run yet) to a new socket whose reads go through `reader`. Returns the new socket,
 * or null when the handle cannot be adopted (then the caller keeps using `sock` with 'data').
 * `callback` runs after every read with the byte count; it returns false to stop reading.
 */
export function adoptArenaReads(sock: Socket, reader: ArenaStreamReader, callback: (n: number) => boolean): Socket | null {
  const carrier = sock as unknown as HandleCarrier;
  const handle = carrier._handle;
  if (!handle || typeof handle.readStop !== "function" || typeof handle.useUserBuffer !== "function") return null;
  if (sock.readableLength > 0 || sock.destroyed) return null; // data already read the ordinary way
  handle.readStop();
  handle.reading = false; // the new socket starts reading
  carrier._handle = null;
  sock.destroy(); // the husk closes without touching the handle
  const opts = {
    handle,
    readable: true,
    writable: true,
    onread: { buffer: () => reader.buffer(), callback: (n: number) => callback(n) },
  };
  return new Socket(opts as unknown as ConstructorParameters<typeof Socket>[0]);
}
