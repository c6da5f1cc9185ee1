/**
 * An upstream TCP connection on Node's TCP handle itself, without `net.Socket`.
 *
 * A flow's upstream needs little of a socket: bytes in and out, half-close both ways, pause and
 * resume, reset. `net.Socket` wraps all of that in the streams machinery (readable and writable
 * state, buffering, several next-tick callbacks per connection), which costs about as much CPU
 * per short connection as the kernel's work for it. `RawTcpUpstream` drives the handle that
 * `net.Socket` would drive (the `tcp_wrap`/`stream_wrap` bindings, through `process.binding`,
 * whose allow-list has kept them since Node 11) and offers the subset of the Duplex interface the
 * stack uses, with the same events: 'connect', 'data', 'end', 'drain', 'finish', 'error', 'close'.
 *
 * The bindings are internal, so they are checked before use: {@link openUpstream} falls back to
 * `net.connect` when any part is missing or differs (another Node, `--throw-deprecation`), for a
 * host that is not an IP address, and when `SANDBOX_NETPROXY_RAW_TCP=0` is set.
 */
import { EventEmitter } from "node:events";
import * as net from "node:net";
import { getSystemErrorName } from "node:util";
import type { FlowUpstream } from "./upstream.js";

/** libuv's end-of-stream read status (the same on every platform). */
const UV_EOF = -4095;

interface StreamReq {
  oncomplete: (this: StreamReq, status: number) => void;
  handle: TcpHandle;
  [OWNER]?: RawTcpUpstream;
  /** Bytes of a write (kept with its chunks until it completes). */
  bytes?: number;
  chunks?: Uint8Array[];
}
interface TcpHandle {
  onread: (this: TcpHandle, ab: ArrayBuffer | undefined) => void;
  connect(req: StreamReq, host: string, port: number): number;
  connect6(req: StreamReq, host: string, port: number): number;
  readStart(): number;
  readStop(): number;
  writeBuffer(req: StreamReq, b: Uint8Array): number;
  writev(req: StreamReq, chunks: Uint8Array[], allBuffers: boolean): number;
  shutdown(req: StreamReq): number;
  setNoDelay(on: boolean): number;
  reset(cb: () => void): number;
  close(cb: () => void): void;
  [OWNER]?: RawTcpUpstream;
}
interface Bindings {
  newHandle(): TcpHandle;
  newConnectReq(): StreamReq;
  newWriteReq(): StreamReq;
  newShutdownReq(): StreamReq;
  state: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
  kLastWriteWasAsync: number;
}

const OWNER = Symbol("raw upstream");

/** The bindings, checked once; null when they are not usable (then net.Socket serves). */
function loadBindings(): Bindings | null {
  if (process.env.SANDBOX_NETPROXY_RAW_TCP === "0") return null;
  try {
    const binding = (process as unknown as { binding?: (name: string) => Record<string, unknown> }).binding;
    if (typeof binding !== "function" || getSystemErrorName(UV_EOF) !== "EOF") return null;
    const t = binding.call(process, "tcp_wrap") as { TCP?: new (type: number) => TcpHandle; TCPConnectWrap?: new () => StreamReq; constants?: { SOCKET?: number } };
    const s = binding.call(process, "stream_wrap") as {
      WriteWrap?: new () => StreamReq;
      ShutdownWrap?: new () => StreamReq;
      streamBaseState?: unknown;
      kReadBytesOrError?: unknown;
      kArrayBufferOffset?: unknown;
      kLastWriteWasAsync?: unknown;
    };
    const { TCP, TCPConnectWrap } = t;
    const { WriteWrap, ShutdownWrap } = s;
    const socketType = t.constants?.SOCKET;
    if (typeof TCP !== "function" || typeof TCPConnectWrap !== "function" || typeof WriteWrap !== "function" || typeof ShutdownWrap !== "function") return null;
    if (typeof socketType !== "number" || !(s.streamBaseState instanceof Int32Array)) return null;
    if (typeof s.kReadBytesOrError !== "number" || typeof s.kArrayBufferOffset !== "number" || typeof s.kLastWriteWasAsync !== "number") return null;
    const methods = ["connect", "connect6", "readStart", "readStop", "writeBuffer", "writev", "shutdown", "setNoDelay", "reset", "close"];
    if (methods.some((m) => typeof (TCP.prototype as unknown as Record<string, unknown>)[m] !== "function")) return null;
    return {
      newHandle: () => new TCP(socketType),
      newConnectReq: () => new TCPConnectWrap(),
      newWriteReq: () => new WriteWrap(),
      newShutdownReq: () => new ShutdownWrap(),
      state: s.streamBaseState,
      kReadBytesOrError: s.kReadBytesOrError,
      kArrayBufferOffset: s.kArrayBufferOffset,
      kLastWriteWasAsync: s.kLastWriteWasAsync,
    };
  } catch {
    return null;
  }
}

let bindings: Bindings | null | undefined;
let enabled = true;

/** Whether upstream connections use {@link RawTcpUpstream} (the bindings are usable and not disabled). */
export function rawTcpAvailable(): boolean {
  if (bindings === undefined) bindings = loadBindings();
  return enabled && bindings !== null;
}

/** Test hook: open upstreams with net.Socket (false) or, where usable, RawTcpUpstream (true). */
export function setRawTcp(on: boolean): void {
  enabled = on;
}

/**
 * Connect to `host:port` for a flow: a {@link RawTcpUpstream} where the bindings serve, else a
 * `net.Socket` (allowHalfOpen, noDelay). Either emits 'connect' once connected or 'error'.
 */
export function openUpstream(host: string, port: number): FlowUpstream & EventEmitter {
  const family = net.isIP(host);
  if (family === 0 || !rawTcpAvailable()) return net.connect({ host, port, allowHalfOpen: true, noDelay: true });
  return new RawTcpUpstream(bindings!, host, port, family);
}

function errorFor(status: number, what: string): Error {
  const code = getSystemErrorName(status);
  return Object.assign(new Error(`${what} ${code}`), { code, errno: status });
}

function onConnect(this: StreamReq, status: number): void {
  this.handle[OWNER]?.connected(status);
}
function onRead(this: TcpHandle, ab: ArrayBuffer | undefined): void {
  this[OWNER]?.read(ab);
}
function onWrite(this: StreamReq, status: number): void {
  this[OWNER]?.written(this, status);
}
function onShutdown(this: StreamReq, status: number): void {
  this[OWNER]?.shutDown(status);
}
function onClose(this: TcpHandle): void {
  this[OWNER]?.closed();
}
function emitError(u: RawTcpUpstream, err: Error): void {
  if (u.listenerCount("error") > 0) u.emit("error", err);
}

const EMPTY_WAITERS: (() => void)[] = [];

/** A connected (or connecting) upstream TCP socket on the bare handle; see the module comment. */
export class RawTcpUpstream extends EventEmitter implements FlowUpstream {
  connecting = true;
  destroyed = false;
  /** `end()` was called. */
  writableEnded = false;
  /** Bytes written (or corked) whose write has not completed. */
  writableLength = 0;
  /** A write went asynchronous (the kernel did not take all of it): 'drain' once all are taken. */
  private needDrain = false;
  private readonly handle: TcpHandle;
  private corked: Uint8Array[] | null = null;
  private reading = false;
  private paused = false;
  private readEnded = false;
  private shutdownDone = false;
  private handleClosed = false;
  /** Callbacks of empty writes, run once everything written before them completed. */
  private flushWaiters: (() => void)[] = EMPTY_WAITERS;

  constructor(
    private readonly b: Bindings,
    host: string,
    port: number,
    family: number,
  ) {
    super();
    const h = b.newHandle();
    h[OWNER] = this;
    h.onread = onRead;
    this.handle = h;
    const req = b.newConnectReq();
    req.oncomplete = onConnect;
    req.handle = h;
    const err = family === 6 ? h.connect6(req, host, port) : h.connect(req, host, port);
    if (err) this.destroy(errorFor(err, "connect"));
  }

  /** @internal the connect request completed. */
  connected(status: number): void {
    if (this.destroyed) return;
    if (status < 0) return void this.destroy(errorFor(status, "connect"));
    this.connecting = false;
    this.handle.setNoDelay(true);
    this.emit("connect");
    if (!this.paused && !this.destroyed && !this.readEnded) this.startReading();
  }

  private startReading(): void {
    if (this.reading) return;
    const err = this.handle.readStart();
    if (err) return void this.destroy(errorFor(err, "read"));
    this.reading = true;
  }

  private stopReading(): void {
    if (!this.reading) return;
    this.reading = false;
    this.handle.readStop();
  }

  /** @internal bytes (or EOF, or an error) from the handle. */
  read(ab: ArrayBuffer | undefined): void {
    if (this.destroyed) return;
    const b = this.b;
    const n = b.state[b.kReadBytesOrError]!;
    if (n > 0) {
      this.emit("data", Buffer.from(ab!, b.state[b.kArrayBufferOffset]!, n));
      return;
    }
    if (n === 0) return;
    if (n !== UV_EOF) return void this.destroy(errorFor(n, "read"));
    this.stopReading();
    this.readEnded = true;
    this.emit("end");
    this.maybeClose();
  }

  pause(): this {
    this.paused = true;
    this.stopReading();
    return this;
  }

  resume(): this {
    this.paused = false;
    if (!this.connecting && !this.destroyed && !this.readEnded) this.startReading();
    return this;
  }

  cork(): void {
    this.corked ??= [];
  }

  uncork(): void {
    const c = this.corked;
    this.corked = null;
    if (c && c.length > 0 && !this.destroyed) this.send(c);
  }

  /**
   * Write `chunk` (kept, not copied, until the kernel took it). An empty chunk writes nothing: its
   * callback runs once everything written before it has been taken (or the socket is destroyed).
   */
  write(chunk: Uint8Array, cb?: () => void): boolean {
    if (this.destroyed || this.writableEnded) {
      if (cb) process.nextTick(cb);
      return false;
    }
    if (chunk.length === 0) {
      if (cb) {
        if (this.writableLength === 0) process.nextTick(cb);
        else (this.flushWaiters === EMPTY_WAITERS ? (this.flushWaiters = []) : this.flushWaiters).push(cb);
      }
      return true;
    }
    this.writableLength += chunk.length;
    if (this.corked) this.corked.push(chunk);
    else this.send([chunk]);
    return true;
  }

  private send(chunks: Uint8Array[]): void {
    const b = this.b;
    const req = b.newWriteReq();
    req.oncomplete = onWrite;
    req.handle = this.handle;
    let bytes = 0;
    for (const c of chunks) bytes += c.length;
    const err = chunks.length === 1 ? this.handle.writeBuffer(req, chunks[0]!) : this.handle.writev(req, chunks, true);
    if (err) return void this.destroy(errorFor(err, "write"));
    if (b.state[b.kLastWriteWasAsync]) {
      req[OWNER] = this;
      req.bytes = bytes;
      req.chunks = chunks;
      this.needDrain = true;
    } else this.took(bytes);
  }

  /** @internal an asynchronous write completed. */
  written(req: StreamReq, status: number): void {
    req.chunks = undefined;
    if (this.destroyed) return;
    if (status < 0) return void this.destroy(errorFor(status, "write"));
    this.took(req.bytes ?? 0);
  }

  private took(bytes: number): void {
    this.writableLength -= bytes;
    if (this.writableLength > 0) return;
    this.runFlushWaiters();
    if (!this.needDrain) return;
    this.needDrain = false;
    this.emit("drain");
  }

  private runFlushWaiters(): void {
    const w = this.flushWaiters;
    if (w === EMPTY_WAITERS) return;
    this.flushWaiters = EMPTY_WAITERS;
    for (const f of w) f();
  }

  /** Half-close: FIN after everything written so far (the kernel keeps that order). */
  end(): this {
    if (this.writableEnded || this.destroyed) return this;
    this.uncork();
    this.writableEnded = true;
    if (this.destroyed) return this;
    const req = this.b.newShutdownReq();
    req.oncomplete = onShutdown;
    req.handle = this.handle;
    req[OWNER] = this;
    const err = this.handle.shutdown(req);
    if (err) this.destroy(errorFor(err, "shutdown"));
    return this;
  }

  /** @internal the shutdown request completed. */
  shutDown(status: number): void {
    if (this.destroyed) return;
    if (status < 0) return void this.destroy(errorFor(status, "shutdown"));
    this.shutdownDone = true;
    this.emit("finish");
    this.maybeClose();
  }

  /** Both directions ended: close (what net.Socket with allowHalfOpen does). */
  private maybeClose(): void {
    if (this.readEnded && this.shutdownDone) this.destroy();
  }

  /** Close now; 'error' first when `err` is given, 'close' once the handle is closed. */
  destroy(err?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.reading = false;
    this.handle.close(onClose);
    this.runFlushWaiters();
    // As net.Socket: 'error' on the next tick (never from inside the call that failed), then 'close'.
    if (err) process.nextTick(emitError, this, err);
    return this;
  }

  /**
   * Close with RST instead of FIN (as net.Socket's resetAndDestroy), unless our FIN was requested:
   * libuv refuses a reset while a shutdown is pending, and Node marks the handle closing even then.
   */
  resetAndDestroy(): this {
    if (this.destroyed) return this;
    if (this.connecting || this.writableEnded) return this.destroy();
    this.destroyed = true;
    this.reading = false;
    if (this.handle.reset(onClose) !== 0) this.handle.close(onClose);
    this.runFlushWaiters();
    return this;
  }

  /** @internal the handle is closed. */
  closed(): void {
    if (this.handleClosed) return;
    this.handleClosed = true;
    this.emit("close");
  }
}
