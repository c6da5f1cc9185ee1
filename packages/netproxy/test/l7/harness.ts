/**
 * Real-socket harness for the L7 interceptor: an HTTPS upstream on 127.0.0.1 under its own test
 * CA, the interceptor wired like the stack wires it (first bytes sniffed, SNI decision computed
 * with the real policy, the returned duplex spliced to the guest), and a guest TLS client.
 */
import { createServer, type Server, type TLSSocket } from "node:tls";
import { connect as tlsConnect } from "node:tls";
import type { AddressInfo } from "node:net";
import { connect as netConnect } from "node:net";
import type { Duplex } from "node:stream";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compilePolicy, parseIp, ResolvedNameCache, SecretsConfig, type NetworkPolicy, type SecretsConfigInput } from "@sandbox/core";
import { generateCa, type InterceptCa } from "../../src/tls/ca.js";
import { LeafCache } from "../../src/tls/leaf-cache.js";
import { UpstreamTrust } from "../../src/tls/roots.js";
import { L7Interceptor, type L7Event } from "../../src/tls/interceptor.js";
import { duplexPair } from "../../src/tls/duplex-pair.js";
import { parseClientHello, canonicalSni } from "../../src/tls/client-hello.js";

/** An HTTPS server under a test CA that records every plaintext byte it receives. */
export interface TestHttps {
  readonly port: number;
  readonly ca: InterceptCa;
  readonly caFile: string;
  /** Plaintext received per connection. */
  readonly received: string[];
  /** Per connection (same order as `received`): the SNI asked for and whether the TLS session was resumed. */
  readonly handshakes: { sni: string | false | null; resumed: boolean }[];
  close(): Promise<void>;
}

export async function startHttps(body = "hello from upstream"): Promise<TestHttps> {
  const { ca } = await generateCa("upstream test CA");
  const leaves = new LeafCache(ca, { validityHours: 2 });
  const dflt = await leaves.get("default.example.test");
  const received: string[] = [];
  const handshakes: { sni: string | false | null; resumed: boolean }[] = [];
  const server: Server = createServer({
    secureContext: dflt.context,
    SNICallback: (name, cb) => void leaves.get(name.toLowerCase()).then((l) => cb(null, l.context), cb),
    ALPNProtocols: ["http/1.1"],
  });
  const sockets = new Set<TLSSocket>();
  server.on("secureConnection", (s: TLSSocket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    const idx = received.push("") - 1;
    handshakes.push({ sni: s.servername, resumed: s.isSessionReused() });
    s.on("data", (d: Buffer) => {
      received[idx] += d.toString("latin1");
      const all = received[idx]!;
      const heads = all.split("\r\n\r\n").length - 1;
      const answered = (s as unknown as { answered?: number }).answered ?? 0;
      for (let i = answered; i < heads; i++) s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      (s as unknown as { answered?: number }).answered = heads;
    });
    s.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const dir = await mkdtemp(join(tmpdir(), "l7-up-"));
  const caFile = join(dir, "upstream-ca.pem");
  await writeFile(caFile, ca.certPem);
  return { port: (server.address() as AddressInfo).port, ca, caFile, received, handshakes, close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

export interface Rig {
  readonly interceptor: L7Interceptor;
  readonly events: L7Event[];
  readonly cache: ResolvedNameCache;
  readonly interceptCa: InterceptCa;
  readonly leaves: LeafCache;
  terminated: string[];
  /** Open a guest TLS connection to dstIp:443 with `servername`, through the interceptor. */
  guest(dstIp: string, servername: string | undefined, opts?: { trust?: string; dstPort?: number; alpn?: string[] }): Promise<GuestConn>;
}

export interface GuestConn {
  /** null when the interceptor refused the flow (FIN before any TLS). */
  readonly tls: TLSSocket | null;
  readonly refused: boolean;
  /** Send bytes in the given pieces and collect the answer until the connection closes or `waitFor` appears. */
  exchange(pieces: string[], waitFor?: string, timeoutMs?: number): Promise<{ text: string; closed: boolean }>;
}

export async function makeRig(opts: { upstream: TestHttps; policy: NetworkPolicy; secrets?: SecretsConfigInput; bypass?: string[]; trustUpstreamCa?: boolean; interceptCa?: InterceptCa; hostAliases?: string[] }): Promise<Rig> {
  const gateway = { ipv4: "172.16.0.1" };
  const cache = new ResolvedNameCache();
  const policy = compilePolicy(opts.policy, { gateway, cache });
  const interceptCa = opts.interceptCa ?? (await generateCa("sandbox test interception CA")).ca;
  const leaves = new LeafCache(interceptCa, { capacity: 100, validityHours: 24 });
  const trust = await UpstreamTrust.load({ verify_upstream: true, upstream_ca_cert: opts.trustUpstreamCa === false ? [] : [opts.upstream.caFile] }, { hostRoots: false });
  const events: L7Event[] = [];
  const terminated: string[] = [];
  const interceptor = new L7Interceptor({
    tls: { enabled: true, intercepted_ports: [443], bypass: opts.bypass ?? [], block_quic_on_intercept: true },
    leaves,
    trust,
    secrets: SecretsConfig.parse(opts.secrets ?? { secrets: [] }),
    cache,
    gateway,
    ...(opts.hostAliases ? { hostAliases: opts.hostAliases } : {}),
    connect: () => netConnect({ host: "127.0.0.1", port: opts.upstream.port }),
    events: (e) => events.push(e),
    onTerminate: (r) => terminated.push(r),
  });
  const rig: Rig = {
    interceptor,
    events,
    cache,
    interceptCa,
    leaves,
    terminated,
    async guest(dstIp, servername, o = {}) {
      const [guestSide, stackSide] = duplexPair();
      const tls = tlsConnect({ socket: guestSide as never, ...(servername ? { servername } : {}), ca: [o.trust ?? interceptCa.certPem], ALPNProtocols: o.alpn ?? ["http/1.1"] });
      tls.on("error", () => {});
      let isClosed = false;
      tls.once("close", () => (isClosed = true));
      const ready = new Promise<void>((r) => {
        tls.once("secureConnect", () => r());
        tls.once("close", () => r());
      });
      // The stack: collect first bytes until the ClientHello is complete.
      let first = Buffer.alloc(0);
      while (parseClientHello(first).kind === "need-more") first = Buffer.concat([first, (await new Promise<Buffer>((r) => stackSide.once("data", r)))]);
      stackSide.pause();
      const hello = parseClientHello(first);
      const sni = hello.kind === "hello" ? (canonicalSni(hello.sni) ?? null) : null;
      const ip = parseIp(dstIp)!;
      const dstPort = o.dstPort ?? 443;
      const decision = policy.egress(ip, dstPort, "tcp", sni ? { kind: "sni", name: sni } : { kind: "cache" });
      const up: Duplex | null = await interceptor.intercept({ guestIp: parseIp("172.16.0.2")!, guestPort: 40000, dstIp: ip, dstPort, firstBytes: first, sni, decision, upstreamHost: "127.0.0.1" });
      if (!up) {
        stackSide.end();
        tls.destroy();
        return { tls: null, refused: true, exchange: async () => ({ text: "", closed: true }) };
      }
      up.write(first);
      stackSide.pipe(up);
      up.pipe(stackSide);
      stackSide.resume();
      up.on("error", () => stackSide.destroy());
      up.on("close", () => stackSide.destroy());
      return {
        tls,
        refused: false,
        async exchange(pieces, waitFor, timeoutMs = 3000) {
          await ready;
          if (isClosed) return { text: "", closed: true };
          let text = "";
          let closed = false;
          const done = new Promise<void>((r) => {
            const t = setTimeout(r, timeoutMs);
            tls.on("data", (d: Buffer) => {
              text += d.toString("latin1");
              if (waitFor && text.includes(waitFor)) {
                clearTimeout(t);
                r();
              }
            });
            tls.on("close", () => {
              closed = true;
              clearTimeout(t);
              r();
            });
          });
          for (const p of pieces) {
            if (tls.destroyed) break;
            tls.write(p);
            await new Promise((r) => setTimeout(r, 5));
          }
          await done;
          return { text, closed };
        },
      };
    },
  };
  return rig;
}
