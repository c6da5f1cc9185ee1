/**
 * Upstream DNS transports: UDP over one connected socket per upstream (transaction ids
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
  originalId: number;
}

/** A connected UDP socket to one upstream and its outstanding queries (ids are per socket). */
interface UpstreamSocket {
  readonly sock: UdpSocket;
  readonly ready: Promise<void>;
  readonly pending: Map<number, Pending>;
  /** Queries sent on this socket; after {@link QUERIES_PER_SOCKET} it is retired. */
  sent: number;
  retired: boolean;
  /** True once `ready` resolved (queries then skip the await). */
  connected: boolean;
}

/**
 * Queries per upstream socket before it is replaced by a fresh one on a new random source port
 * (RFC 5452 style entropy on top of the 16-bit id); a retired socket closes once it drains.
 */
export const QUERIES_PER_SOCKET = 128;

/** Options for the default transport. */
export interface TransportOptions {
  /** TLS options for DoT upstreams (roots, verification). */
  readonly tls?: Pick<ConnectionOptions, "ca" | "rejectUnauthorized">;
}

/**
 * The default transport over node:dgram, node:net and node:tls. UDP uses one connected socket
 * per upstream: only that peer's datagrams are accepted, and an ICMP "port unreachable" fails the
 * outstanding queries at once (so failover does not wait for the deadline).
 */
export class NodeDnsTransport implements DnsUpstreamTransport {
  private readonly sockets = new Map<string, UpstreamSocket>();
  /** Every open socket, retired ones included (for close()). */
  private readonly open = new Set<UpstreamSocket>();
  private closed = false;
  private ids = randomBytes(0);
  private idPos = 0;

  constructor(private readonly opts: TransportOptions = {}) {}

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

  private socketFor(to: Upstream): UpstreamSocket {
    const key = `${to.ip}|${to.port}`;
    let u = this.sockets.get(key);
    if (u) return u;
    const sock = createSocket({ type: isIP(to.ip) === 6 ? "udp6" : "udp4" });
    const pending = new Map<number, Pending>();
    const drop = (err: Error) => {
      if (this.sockets.get(key) === u) this.sockets.delete(key);
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.reject(err);
      }
      pending.clear();
      try {
        sock.close();
      } catch {
        // already closed
      }
    };
    sock.on("message", (buf) => {
      if (buf.length < 12) return;
      const p = pending.get(buf.readUInt16BE(0));
      if (!p) return;
      pending.delete(buf.readUInt16BE(0));
      clearTimeout(p.timer);
      const out = new Uint8Array(buf);
      out[0] = (p.originalId >> 8) & 0xff;
      out[1] = p.originalId & 0xff;
      p.resolve(out);
      this.closeIfDrained(u!);
    });
    // ICMP errors (e.g. ECONNREFUSED) arrive here: fail what is outstanding, reconnect next time.
    sock.on("error", (e) => drop(e));
    sock.unref();
    const ready = new Promise<void>((resolve, reject) => {
      sock.connect(to.port, to.ip, (err?: Error) => (err ? reject(err) : resolve()));
    });
    ready.then(
      () => (u!.connected = true),
      (e: Error) => drop(e),
    );
    u = { sock, ready, pending, sent: 0, retired: false, connected: false };
    this.sockets.set(key, u);
    this.open.add(u);
    sock.on("close", () => this.open.delete(u!));
    return u;
  }

  private closeIfDrained(u: UpstreamSocket): void {
    if (!u.retired || u.pending.size > 0) return;
    try {
      u.sock.close();
    } catch {
      // already closed
    }
  }

  async udp(msg: Uint8Array, to: Upstream, timeoutMs: number): Promise<Uint8Array> {
    if (this.closed) throw new Error("DNS transport closed");
    const u = this.socketFor(to);
    if (++u.sent >= QUERIES_PER_SOCKET) {
      u.retired = true;
      this.sockets.delete(`${to.ip}|${to.port}`);
    }
    if (!u.connected) await u.ready;
    return new Promise((resolve, reject) => {
      let id = -1;
      for (let i = 0; i < 64; i++) {
        const c = this.randomId();
        if (!u.pending.has(c)) {
          id = c;
          break;
        }
      }
      if (id < 0) return reject(new Error("no free DNS transaction id"));
      const out = Buffer.from(msg);
      const originalId = out.readUInt16BE(0);
      out.writeUInt16BE(id, 0);
      const timer = setTimeout(() => {
        u.pending.delete(id);
        this.closeIfDrained(u);
        reject(new Error(`DNS query to ${to.ip}:${to.port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      u.pending.set(id, { resolve, reject, timer, originalId });
      u.sock.send(out, (err) => {
        if (!err) return;
        const p = u.pending.get(id);
        if (!p) return;
        u.pending.delete(id);
        clearTimeout(p.timer);
        this.closeIfDrained(u);
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
    for (const u of [...this.open]) {
      for (const p of u.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error("DNS transport closed"));
      }
      u.pending.clear();
      try {
        u.sock.close();
      } catch {
        // already closed
      }
    }
    this.sockets.clear();
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
