/**
 * A {@link FrameLink} over a connected byte stream (a Node `net.Socket`: unix, TCP, an inherited
 * fd, or the socketpair of the native helper) using the u32be length-prefixed framing. Owns the
 * bounded TX queue (high/low water marks, a hard cap), RX decoding and the close semantics.
 */
import type { Socket } from "node:net";
import type { FrameLink } from "./link.js";
import { adoptArenaReads, ArenaStreamReader } from "./stream-arena.js";
import { STREAM_MAX_PREFIX, StreamDecoder, StreamProtocolError } from "./stream-codec.js";

/** Tunables of a stream-backed link. */
export interface StreamLinkOptions {
  /** Largest frame delivered or accepted for sending (bytes, no prefix). Default 65550. */
  maxFrameSize?: number;
  /** `send()` returns false once this many bytes are queued. Default 1 MiB. */
  highWater?: number;
  /** `onDrain` fires when the queue falls to this many bytes after hitting `highWater`. Default 256 KiB. */
  lowWater?: number;
  /** Frames that would push the queue past this many bytes are dropped and counted. Default 16 MiB. */
  hardLimit?: number;
  /** Human-readable name used in error messages (e.g. "stream:unix:/run/x.sock"). */
  name?: string;
  /**
   * Read into large never-reused slabs (see stream-arena.ts) instead of a fresh buffer per read,
   * so frames split across reads need no reassembly. Only for a socket no read has happened on
   * yet (a child's stdio pipe right after spawn); the link then owns a new socket on its handle.
   */
  arenaReads?: boolean;
}

/** Size of the TX staging buffers that frames of one tick are packed into. */
const STAGE_BYTES = 256 << 10;

/** Counters kept by every link. */
export interface LinkStats {
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  /** Well-formed incoming frames skipped because they exceeded `maxFrameSize`. */
  rxOversize: number;
  /** Incoming frames skipped because they were too short to carry anything (a bare virtio_net_hdr). */
  rxRunts: number;
  /** Outgoing frames dropped because the TX queue was at its hard limit. */
  txDropped: number;
  /** Incoming frames on which the registered frame handler threw (the link stays up). */
  rxHandlerErrors: number;
}

/** A FrameLink that also reports counters and its queue depth. */
export interface ObservableLink extends FrameLink {
  /** Counters since the link was created. */
  readonly stats: LinkStats;
  /** Bytes currently queued towards the peer. */
  readonly queuedBytes: number;
  /** A short description of the transport (for logs and the control channel). */
  readonly name: string;
}

/** Create a fresh zeroed counter set. */
export function newLinkStats(): LinkStats {
  return { rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, rxOversize: 0, rxRunts: 0, txDropped: 0, rxHandlerErrors: 0 };
}

/**
 * Wraps a connected socket. Frames arriving before `onFrame` is registered are buffered (up to
 * 1024 frames, then the socket is paused) so no frame is lost between accept and stack attach.
 */
export class StreamLink implements ObservableLink {
  readonly maxFrameSize: number;
  readonly name: string;
  readonly stats: LinkStats = newLinkStats();
  private readonly highWater: number;
  private readonly lowWater: number;
  private readonly hardLimit: number;
  private readonly decoder: { readonly idle: boolean; readonly offset: number };
  private readonly socket: Socket;
  private frameHandler: ((f: Uint8Array) => void) | null = null;
  private readonly early: Uint8Array[] = [];
  private drainHandlers: (() => void)[] = [];
  private closeHandlers: ((err?: Error) => void)[] = [];
  private needDrain = false;
  private stage: Buffer | null = null;
  private stageStart = 0;
  private stageLen = 0;
  private flushScheduled = false;
  private closed = false;
  private closeError: Error | undefined;

  constructor(socket: Socket, opts: StreamLinkOptions = {}) {
    this.maxFrameSize = opts.maxFrameSize ?? STREAM_MAX_PREFIX;
    this.highWater = opts.highWater ?? 1 << 20;
    this.lowWater = Math.min(opts.lowWater ?? 256 << 10, this.highWater);
    this.hardLimit = Math.max(opts.hardLimit ?? 16 << 20, this.highWater);
    this.name = opts.name ?? "stream";
    const events = {
      frame: (f: Uint8Array) => this.receive(f),
      oversize: () => {
        this.stats.rxOversize++;
      },
    };
    const maxPrefix = Math.max(STREAM_MAX_PREFIX, this.maxFrameSize);
    const failed = (e: unknown) =>
      this.shutdown(e instanceof StreamProtocolError ? new Error(`${this.name}: ${e.message}`, { cause: e }) : (e as Error));
    const arena = opts.arenaReads ? new ArenaStreamReader(events, this.maxFrameSize, maxPrefix) : null;
    const adopted =
      arena &&
      adoptArenaReads(socket, arena, (n) => {
        if (this.closed) return false;
        try {
          arena.commit(n);
        } catch (e) {
          failed(e);
          return false;
        }
        return true;
      });
    if (adopted) {
      this.decoder = arena;
      socket = adopted;
      socket.resume(); // flowing, so 'end' is emitted (the bytes themselves never pass the Readable)
    } else {
      const decoder = new StreamDecoder(events, this.maxFrameSize, maxPrefix);
      this.decoder = decoder;
      socket.on("data", (chunk: Buffer) => {
        if (this.closed) return;
        try {
          decoder.push(chunk);
        } catch (e) {
          failed(e);
        }
      });
    }
    this.socket = socket;
    socket.on("drain", () => this.checkDrain());
    socket.on("end", () => {
      if (!this.decoder.idle) {
        this.shutdown(
          new Error(`${this.name}: peer closed the stream in the middle of a frame at byte offset ${this.decoder.offset}`),
        );
      } else this.shutdown();
    });
    socket.on("error", (e) => this.shutdown(new Error(`${this.name}: ${e.message}`, { cause: e })));
    socket.on("close", () => this.shutdown());
  }

  get queuedBytes(): number {
    return this.socket.writableLength + (this.stageLen - this.stageStart);
  }

  private receive(f: Uint8Array): void {
    this.stats.rxFrames++;
    this.stats.rxBytes += f.length;
    if (this.frameHandler) {
      try {
        this.frameHandler(f);
      } catch (e) {
        // A receiver bug on one frame must not take the guest's network down: count it, warn.
        this.stats.rxHandlerErrors++;
        if (this.stats.rxHandlerErrors <= 3) process.emitWarning(`${this.name}: frame handler threw: ${(e as Error).stack ?? e}`, "NetproxyFrameHandlerWarning");
      }
      return;
    }
    this.early.push(f);
    if (this.early.length >= 1024) this.socket.pause();
  }

  onFrame(handler: (frame: Uint8Array) => void): void {
    this.frameHandler = handler;
    const pending = this.early.splice(0);
    for (const f of pending) handler(f);
    if (this.socket.isPaused()) this.socket.resume();
  }

  onDrain(handler: () => void): void {
    this.drainHandlers.push(handler);
  }

  onClose(handler: (err?: Error) => void): void {
    if (this.closed) {
      queueMicrotask(() => handler(this.closeError));
      return;
    }
    this.closeHandlers.push(handler);
  }

  send(frame: Uint8Array): boolean {
    return this.sendWith(frame.length, (buf, off) => buf.set(frame, off));
  }

  sendWith(n: number, fill: (buf: Uint8Array, off: number) => void): boolean {
    if (this.closed) return false;
    if (n === 0 || n > this.maxFrameSize) {
      throw new RangeError(`${this.name}: cannot send a frame of ${n} bytes; accepted sizes are 1..${this.maxFrameSize}`);
    }
    const queued = this.socket.writableLength + (this.stageLen - this.stageStart);
    if (queued + n + 4 > this.hardLimit) {
      this.stats.txDropped++;
      this.needDrain = true;
      return false;
    }
    // Frames sent in one event-loop turn (every I/O callback of the poll phase, not just one tick)
    // are built in place in one staging buffer and written with one write(): under load that is
    // one wake-up of the peer (helper, QEMU) for many frames.
    if (this.stage === null || this.stageLen + n + 4 > this.stage.length) {
      this.flush();
      this.stage = Buffer.allocUnsafe(Math.max(STAGE_BYTES, n + 4));
      this.stageStart = this.stageLen = 0;
    }
    const st = this.stage;
    const at = this.stageLen;
    fill(st, at + 4); // may throw: nothing is committed until it returns
    st[at] = n >>> 24;
    st[at + 1] = (n >>> 16) & 0xff;
    st[at + 2] = (n >>> 8) & 0xff;
    st[at + 3] = n & 0xff;
    this.stageLen = at + n + 4;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushTick);
    }
    this.stats.txFrames++;
    this.stats.txBytes += n;
    if (queued + n + 4 >= this.highWater) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  private readonly flushTick = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  /** Hand the staged bytes to the socket (the rest of the staging buffer stays in use). */
  flush(): void {
    if (this.stage === null || this.stageLen === this.stageStart || this.socket.destroyed) return;
    const chunk = this.stage.subarray(this.stageStart, this.stageLen);
    this.stageStart = this.stageLen;
    if (this.socket.writableLength + chunk.length > this.lowWater) this.socket.write(chunk, () => this.checkDrain());
    else this.socket.write(chunk);
  }

  private checkDrain(): void {
    if (!this.needDrain || this.closed) return;
    if (this.queuedBytes > this.lowWater) return;
    this.needDrain = false;
    for (const h of this.drainHandlers) h();
  }

  /** Close the link; with `err`, close handlers receive it (e.g. a relay helper failed). */
  close(err?: Error): void {
    this.shutdown(err);
  }

  private shutdown(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.closeError = err;
    if (err) this.socket.destroy();
    else {
      this.flush();
      this.socket.end(() => this.socket.destroy());
    }
    // A half-closed socket that the peer never closes must still go away.
    setTimeout(() => this.socket.destroy(), 1000).unref();
    const hs = this.closeHandlers.splice(0);
    for (const h of hs) h(err);
  }
}
