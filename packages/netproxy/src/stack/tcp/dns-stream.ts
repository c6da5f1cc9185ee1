/**
 * DNS over TCP (RFC 7766) as an in-process duplex: 2-byte length-prefixed queries written by the
 * guest flow are handed to the DnsHandler one by one and the framed answers are pushed back.
 * Idle connections end after 30 s (semantics.md §4.1).
 */
import { Duplex } from "node:stream";
import type { DnsHandler, DnsQueryContext } from "../../dns/handler.js";

/** Unanswered queries per connection before the stream applies backpressure. */
const MAX_INFLIGHT = 64;

/** Create the duplex for one guest TCP/53 connection. */
export function createDnsStream(dns: DnsHandler, ctx: Omit<DnsQueryContext, "maxUdpPayload">, idleMs = 30_000, onQuery?: () => void): Duplex {
  let buf: Buffer = Buffer.alloc(0);
  let chain: Promise<void> = Promise.resolve();
  let ended = false;
  let inflight = 0;
  let held: (() => void) | null = null;
  let timer: NodeJS.Timeout | null = null;
  const touch = (): void => {
    if (timer) clearTimeout(timer);
    // Idle: end our side (FIN to the guest) rather than resetting.
    timer = setTimeout(() => {
      ended = true;
      maybeEnd();
    }, idleMs);
    timer.unref?.();
  };
  let pushedEnd = false;
  const maybeEnd = (): void => {
    if (ended && inflight === 0 && !pushedEnd) {
      pushedEnd = true;
      if (timer) clearTimeout(timer);
      d.push(null);
    }
  };
  const d = new Duplex({
    allowHalfOpen: true,
    read() {},
    write(chunk: Buffer, _enc, cb) {
      touch();
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const q = Uint8Array.from(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        inflight++;
        onQuery?.();
        const answer = dns.handle(q, ctx).catch(() => null);
        chain = chain.then(async () => {
          const a = await answer;
          inflight--;
          if (a && !d.destroyed && a.length <= 0xffff) {
            const out = Buffer.allocUnsafe(2 + a.length);
            out.writeUInt16BE(a.length, 0);
            out.set(a, 2);
            d.push(out);
          }
          maybeEnd();
          if (held && inflight < MAX_INFLIGHT / 2) {
            const h = held;
            held = null;
            h();
          }
        });
      }
      // Backpressure: hold the write callback while many queries are unanswered, so the stream's
      // buffer fills and the guest's receive window closes instead of queries piling up.
      if (inflight >= MAX_INFLIGHT) held = cb;
      else cb();
    },
    final(cb) {
      ended = true;
      void chain.then(maybeEnd);
      cb();
    },
    destroy(err, cb) {
      if (timer) clearTimeout(timer);
      cb(err);
    },
  });
  touch();
  return d;
}
