/**
 * Upstream DNS transports: UDP over one shared socket per address family (transaction ids
 * multiplexed), plain TCP with the two-byte length prefix, and DoT for a guest-chosen resolver.
 * Every exchange has a deadline; a failure rejects so the caller can fail over.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect as netConnect, isIP, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";
import { randomBytes } from "node:crypto";
import type { Upstream } from "./nameservers.js";

/** Sends one DNS message upstream and resolves to the raw answer (id as sent). */
export interface DnsUpstreamTransport {
  udp(msg: Uint8Array, to: Upstream, timeoutMs: number): Promise<Uint8Array>;
  tcp(msg: Uint8Array, to: Upstream, timeoutMs: number): Promise<Uint8Array>;
  dot(msg: Uint8Array, to: Upstream, servername: string, timeoutMs: number): Promise<Uint8Array>;
  close(): void;
}

interface Pending {
  resolve(b: Uint8Array): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
  ip: string;
  port: number;
  originalId: number;
}

/** Options for the default transport. */
export interface TransportOptions {
  /** TLS options for DoT upstreams (roots, verification). */
  readonly tls?: Pick<ConnectionOptions, "ca" | "rejectUnauthorized">;
}

/** The default transport over node:dgram, node:net and node:tls. */
export class NodeDnsTransport implements DnsUpstreamTransport {
  private readonly sockets = new Map<4 | 6, UdpSocket>();
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  private ids = randomBytes(0);
  private idPos = 0;

  /** A random 16-bit id from a pool refilled from the CSPRNG 32 Ki ids at a time. */
  private randomId(): number {
    if (this.idPos + 2 > this.ids.length) {
      this.ids = randomBytes(65536);
      this.idPos = 0;
    }
    const v = this.ids.readUInt16BE(this.idPos);
    this.idPos += 2;
    return v;
  }

  constructor(private readonly opts: TransportOptions = {}) {}

  private socket(family: 4 | 6): UdpSocket {
    let s = this.sockets.get(family);
    if (s) return s;
    s = createSocket({ type: family === 4 ? "udp4" : "udp6" });
    s.on("message", (buf, rinfo) => this.onMessage(family, buf, rinfo.address, rinfo.port));
    s.on("error", () => {
      // Per-exchange deadlines reject the affected queries; keep the socket.
    });
    s.unref();
    this.sockets.set(family, s);
    return s;
  }

  private onMessage(family: 4 | 6, buf: Buffer, address: string, port: number): void {
    if (buf.length < 12) return;
    const id = buf.readUInt16BE(0);
    const key = family * 65536 + id;
    const p = this.pending.get(key);
    if (!p || p.ip !== address || p.port !== port) return;
    this.pending.delete(key);
    clearTimeout(p.timer);
    const out = new Uint8Array(buf);
    out[0] = (p.originalId >> 8) & 0xff;
    out[1] = p.originalId & 0xff;
    p.resolve(out);
  }

  udp(msg: Uint8Array, to: Upstream, timeoutMs: number): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new Error("DNS transport closed"));
    const family = isIP(to.ip) === 6 ? 6 : 4;
    return new Promise((resolve, reject) => {
      let id = -1;
      for (let i = 0; i < 64; i++) {
        const c = this.randomId();
        if (!this.pending.has(family * 65536 + c)) {
          id = c;
          break;
        }
      }
      if (id < 0) return reject(new Error("no free DNS transaction id"));
      const key = family * 65536 + id;
      const out = Buffer.from(msg);
      const originalId = out.readUInt16BE(0);
      out.writeUInt16BE(id, 0);
      const timer = setTimeout(() => {
        this.pending.delete(key);
        reject(new Error(`DNS query to ${to.ip}:${to.port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(key, { resolve, reject, timer, ip: to.ip, port: to.port, originalId });
      this.socket(family).send(out, to.port, to.ip, (err) => {
        if (!err) return;
        const p = this.pending.get(key);
        if (!p) return;
        this.pending.delete(key);
        clearTimeout(p.timer);
        reject(err);
      });
    });
  }

  tcp(msg: Uint8Array, to: Upstream, timeoutMs: number): Promise<Uint8Array> {
    return exchangeStream(() => netConnect({ host: to.ip, port: to.port }), msg, timeoutMs, `${to.ip}:${to.port}`);
  }

  dot(msg: Uint8Array, to: Upstream, servername: string, timeoutMs: number): Promise<Uint8Array> {
    const sni = isIP(servername) ? undefined : servername;
    return exchangeStream(
      () => tlsConnect({ host: to.ip, port: to.port, ...(sni ? { servername: sni } : {}), ...this.opts.tls }),
      msg,
      timeoutMs,
      `${to.ip}:${to.port} (DoT)`,
    );
  }

  close(): void {
    this.closed = true;
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error("DNS transport closed"));
    }
    this.pending.clear();
  }
}

/** One length-prefixed exchange on a fresh stream connection. */
function exchangeStream(open: () => Socket, msg: Uint8Array, timeoutMs: number, where: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const sock = open();
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (err: Error | undefined, out?: Uint8Array) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(out!);
    };
    const timer = setTimeout(() => finish(new Error(`DNS query to ${where} timed out after ${timeoutMs} ms`)), timeoutMs);
    sock.on("error", (e) => finish(e));
    sock.on("close", () => finish(new Error(`DNS connection to ${where} closed before an answer`)));
    sock.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length >= 2 + len) finish(undefined, new Uint8Array(buf.subarray(2, 2 + len)));
      }
    });
    const head = Buffer.alloc(2);
    head.writeUInt16BE(msg.length, 0);
    sock.write(Buffer.concat([head, msg]));
  });
}
