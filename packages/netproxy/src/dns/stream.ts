/**
 * DNS over a byte stream (TCP/53, and DoT after TLS termination): two-byte length framing, each
 * message handed to the DnsHandler, answers written back as they complete, an idle timeout
 * (30 s), and the ports whose UDP the stack must drop (semantics §4.1).
 */
import type { Duplex } from "node:stream";
import type { DnsHandler, DnsQueryContext } from "./handler.js";

/** UDP ports that are silently dropped, always: DoQ, mDNS, LLMNR, NetBIOS-NS. */
export const DROPPED_DNS_UDP_PORTS: ReadonlySet<number> = new Set([853, 5353, 5355, 137]);

/** True when a guest UDP datagram to `port` must be dropped before any policy evaluation. */
export function isDroppedDnsUdpPort(port: number): boolean {
  return DROPPED_DNS_UDP_PORTS.has(port);
}

/** Idle timeout of TCP/53 and DoT connections. */
export const DNS_STREAM_IDLE_MS = 30_000;

/** Options for {@link serveDnsStream}. */
export interface DnsStreamOptions {
  readonly idleMs?: number;
  /** At most this many messages in flight per connection (default 16); reading pauses above it. */
  readonly maxInFlight?: number;
}

/**
 * Serve length-prefixed DNS messages on `stream` until it ends or idles out. Resolves when the
 * stream is closed. A message the handler drops (null) gets no answer.
 */
export function serveDnsStream(stream: Duplex, handler: DnsHandler, ctx: DnsQueryContext, opts: DnsStreamOptions = {}): Promise<void> {
  const idleMs = opts.idleMs ?? DNS_STREAM_IDLE_MS;
  const maxInFlight = opts.maxInFlight ?? 16;
  return new Promise((resolve) => {
    let buf: Buffer = Buffer.alloc(0);
    let inFlight = 0;
    let ended = false;
    let idle: NodeJS.Timeout | undefined;
    const armIdle = () => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => stream.destroy(), idleMs);
    };
    const finish = () => {
      if (idle) clearTimeout(idle);
      resolve();
    };
    const maybeEnd = () => {
      if (ended && inFlight === 0 && !stream.destroyed) stream.end();
    };
    armIdle();
    stream.on("data", (chunk: Buffer) => {
      armIdle();
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = new Uint8Array(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        inFlight++;
        if (inFlight >= maxInFlight) stream.pause();
        handler
          .handle(msg, ctx)
          .then((answer) => {
            if (answer && !stream.destroyed) {
              const head = Buffer.alloc(2);
              head.writeUInt16BE(answer.length, 0);
              stream.write(Buffer.concat([head, answer]));
            }
          }, () => {})
          .finally(() => {
            inFlight--;
            armIdle();
            if (stream.isPaused() && inFlight < maxInFlight) stream.resume();
            maybeEnd();
          });
      }
    });
    stream.on("end", () => {
      ended = true;
      maybeEnd();
    });
    stream.on("error", () => {});
    stream.on("close", finish);
  });
}
