/**
 * DNS over TLS for guest TCP/853 when TLS interception is on (semantics §4.1): the session is
 * terminated with a leaf for the guest's SNI (fallback: the destination IP string), and the inner
 * length-prefixed DNS messages go to the DnsHandler as transport "dot".
 */
import { TLSSocket } from "node:tls";
import type { Duplex } from "node:stream";
import { formatIp } from "@sandbox/core";
import type { DnsHandler } from "../dns/handler.js";
import { serveDnsStream } from "../dns/stream.js";
import type { DotHandler, FlowInfo } from "../stack/types.js";
import { canonicalSni } from "./client-hello.js";
import { duplexPair } from "./duplex-pair.js";
import type { LeafCache } from "./leaf-cache.js";

/** Options of {@link createDotHandler}. */
export interface DotOptions {
  readonly leaves: LeafCache;
  readonly dns: DnsHandler;
  /** Handshake deadline (default 10 s). */
  readonly handshakeTimeoutMs?: number;
  /** Idle timeout (default 30 s). */
  readonly idleMs?: number;
}

/** Serve one DoT session whose raw guest bytes arrive on `raw`. Resolves when it closes. */
export async function serveDot(raw: Duplex, flow: FlowInfo, opts: DotOptions): Promise<void> {
  const fallback = formatIp(flow.dstIp);
  let fallbackCtx;
  try {
    fallbackCtx = (await opts.leaves.get(fallback)).context;
  } catch {
    raw.destroy();
    return;
  }
  let sni: string | undefined;
  const tls = new TLSSocket(raw as never, {
    isServer: true,
    secureContext: fallbackCtx,
    SNICallback: (name, cb) => {
      const host = canonicalSni(name);
      if (!host) return cb(null, fallbackCtx);
      sni = host;
      opts.leaves.get(host).then((l) => cb(null, l.context), (e: Error) => cb(e));
    },
  });
  const timer = setTimeout(() => tls.destroy(), opts.handshakeTimeoutMs ?? 10_000);
  tls.on("error", () => raw.destroy());
  await new Promise<void>((resolve) => {
    tls.once("secure", () => {
      clearTimeout(timer);
      resolve();
    });
    tls.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  if (tls.destroyed) return;
  await serveDnsStream(tls, opts.dns, { transport: "dot", resolverIp: flow.dstIp, clientIp: flow.guestIp, ...(sni ? { sni } : {}) }, opts.idleMs !== undefined ? { idleMs: opts.idleMs } : {});
}

/** The stack's `DotHandler`: returns the duplex standing for the guest's DoT stream. */
export function createDotHandler(opts: DotOptions): DotHandler {
  return (flow) => {
    const [stackEnd, mine] = duplexPair();
    void serveDot(mine, flow, opts);
    return stackEnd;
  };
}
