/**
 * The `u32be-stream` frame codec (QEMU `-netdev stream`/`socket`, libkrun unixstream, passt,
 * gvproxy `-listen-qemu`, socket_vmnet): every Ethernet frame is preceded by its length as a 4-byte
 * big-endian unsigned integer. Pure: no sockets, so it can be fed arbitrary chunkings in tests.
 */

/** Largest length prefix accepted on a stream (64 KiB payload plus an Ethernet header and slack). */
export const STREAM_MAX_PREFIX = 65550;

/** Size of the big-endian length prefix in bytes. */
export const STREAM_PREFIX_BYTES = 4;

/** A framing violation: the stream cannot be resynchronised and must be closed. */
export class StreamProtocolError extends Error {
  /** Byte offset (from the start of the stream) of the offending length prefix. */
  readonly offset: number;
  /** The length value that was read. */
  readonly length: number;
  constructor(offset: number, length: number, maxPrefix: number) {
    super(
      `stream framing error at byte offset ${offset}: length prefix ${length} ` +
        (length === 0 ? "is zero" : `exceeds the maximum ${maxPrefix}`) +
        `; accepted lengths are 1..${maxPrefix} (4-byte big-endian prefix per Ethernet frame)`,
    );
    this.name = "StreamProtocolError";
    this.offset = offset;
    this.length = length;
  }
}

/** Callbacks of a {@link StreamDecoder}. */
export interface StreamDecoderEvents {
  /** A whole frame; the bytes may alias the input chunk and stay valid (they are never reused). */
  frame(frame: Uint8Array): void;
  /** A well-formed frame larger than the link's `maxFrameSize` was skipped (not delivered). */
  oversize?(length: number, offset: number): void;
}

/**
 * Incremental decoder for the u32be stream. Feed it chunks as they arrive; frames that fit in one
 * chunk are delivered as zero-copy subarrays, frames split across chunks are assembled once.
 * A frame whose length is valid on the wire (1..maxPrefix) but larger than `maxFrameSize` is
 * consumed and skipped, so the stream stays in sync. A zero or over-`maxPrefix` length throws a
 * {@link StreamProtocolError}; after that the decoder refuses further input.
 */
export class StreamDecoder {
  private readonly header = new Uint8Array(STREAM_PREFIX_BYTES);
  private headerFill = 0;
  /** Frame being assembled across chunks (null while reading a header or skipping). */
  private partial: Uint8Array | null = null;
  private partialFill = 0;
  /** Bytes of an oversize frame still to skip. */
  private skipRemaining = 0;
  /** Total bytes consumed so far (offset of the next byte). */
  private consumed = 0;
  private failed: StreamProtocolError | null = null;

  constructor(
    private readonly events: StreamDecoderEvents,
    /** Largest frame delivered; larger well-formed frames are skipped. */
    readonly maxFrameSize: number = STREAM_MAX_PREFIX,
    /** Largest length prefix tolerated on the wire before the stream is declared broken. */
    readonly maxPrefix: number = STREAM_MAX_PREFIX,
  ) {}

  /** Bytes consumed so far. */
  get offset(): number {
    return this.consumed;
  }

  /** True when no partial header or frame is buffered (a clean place for the stream to end). */
  get idle(): boolean {
    return this.headerFill === 0 && this.partial === null && this.skipRemaining === 0;
  }

  /** Feed one chunk. Throws {@link StreamProtocolError} on a framing violation. */
  push(chunk: Uint8Array): void {
    if (this.failed) throw this.failed;
    let pos = 0;
    const n = chunk.length;
    while (pos < n) {
      if (this.skipRemaining > 0) {
        const take = Math.min(this.skipRemaining, n - pos);
        this.skipRemaining -= take;
        pos += take;
        continue;
      }
      if (this.partial) {
        const take = Math.min(this.partial.length - this.partialFill, n - pos);
        this.partial.set(chunk.subarray(pos, pos + take), this.partialFill);
        this.partialFill += take;
        pos += take;
        if (this.partialFill === this.partial.length) {
          const f = this.partial;
          this.partial = null;
          this.partialFill = 0;
          this.events.frame(f);
        }
        continue;
      }
      // Reading a header. Fast path: whole header available and nothing buffered.
      let len: number;
      const headerStart = this.consumed + pos - this.headerFill;
      if (this.headerFill === 0 && n - pos >= STREAM_PREFIX_BYTES) {
        len = ((chunk[pos]! << 24) >>> 0) + (chunk[pos + 1]! << 16) + (chunk[pos + 2]! << 8) + chunk[pos + 3]!;
        pos += STREAM_PREFIX_BYTES;
      } else {
        while (this.headerFill < STREAM_PREFIX_BYTES && pos < n) this.header[this.headerFill++] = chunk[pos++]!;
        if (this.headerFill < STREAM_PREFIX_BYTES) break;
        const h = this.header;
        len = ((h[0]! << 24) >>> 0) + (h[1]! << 16) + (h[2]! << 8) + h[3]!;
        this.headerFill = 0;
      }
      if (len === 0 || len > this.maxPrefix) {
        this.consumed += pos;
        this.failed = new StreamProtocolError(headerStart, len, this.maxPrefix);
        throw this.failed;
      }
      if (len > this.maxFrameSize) {
        this.events.oversize?.(len, headerStart);
        this.skipRemaining = len;
        continue;
      }
      if (n - pos >= len) {
        // A plain Uint8Array view (not a Buffer): the stack's own views of it stay cheap.
        const f = new Uint8Array(chunk.buffer, chunk.byteOffset + pos, len);
        pos += len;
        this.events.frame(f);
      } else {
        // Not zero-filled: every byte is overwritten before the frame is delivered.
        this.partial = Buffer.allocUnsafeSlow(len);
        this.partialFill = 0;
      }
    }
    this.consumed += n;
  }
}

/** Encode one frame with its 4-byte big-endian length prefix into a fresh buffer. */
export function encodeStreamFrame(frame: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(STREAM_PREFIX_BYTES + frame.length);
  out.writeUInt32BE(frame.length, 0);
  out.set(frame, STREAM_PREFIX_BYTES);
  return out;
}
