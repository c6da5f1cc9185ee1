/**
 * netproxy L7 benchmark: (1) the DNS forwarder with a 100,000-name deny list — saturated
 * queries/s and latency percentiles at a fixed offered load of 20,000 q/s, against a UDP upstream
 * in another process; (2) TLS interception — new guest handshakes/s with the leaf cache warm, and
 * bulk HTTPS throughput through interception vs direct to the same upstream, in the same run;
 * with the Node TLS clients of client.ts and again with standard C clients (loadgen.ts: ab, curl).
 *
 * Run from the repo root: bash bench/netproxy-l7/run.sh   (writes bench/netproxy-l7/RESULTS.fragment.md)
 */
import { fork, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { writeFileSync, mkdtempSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer, connect as netConnect, type AddressInfo, type Socket } from "node:net";
import { connect as tlsConnect, createSecureContext, createServer as createTlsServer } from "node:tls";
import { compilePolicy, parseIp, ResolvedNameCache, type NetworkPolicy, type Rule } from "../../packages/core/src/index.js";
import { createDnsHandler } from "../../packages/netproxy/src/dns/forwarder.js";
import { buildQuery, RR } from "../../packages/netproxy/src/dns/wire.js";
import { generateCa } from "../../packages/netproxy/src/tls/ca.js";
import { LeafCache } from "../../packages/netproxy/src/tls/leaf-cache.js";
import { UpstreamTrust } from "../../packages/netproxy/src/tls/roots.js";
import { L7Interceptor } from "../../packages/netproxy/src/tls/interceptor.js";
import { canonicalSni, parseClientHello } from "../../packages/netproxy/src/tls/client-hello.js";
import { cpuSecs } from "../proc-cpu.js";
import { abConnections, curlDownload, type LoadTarget } from "./loadgen.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const quick = process.argv.includes("--quick");
const TSX = ["--conditions=@sandbox/source", "--import", "tsx"];
const GW = { ipv4: "172.16.0.1", ipv6: "fd42:6d73:62::1" };

function child(file: string, args: string[] = [], execArgv: string[] = []): Promise<{ cp: ChildProcess; msg: Record<string, unknown> }> {
  const cp = fork(join(here, file), args, { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    cp.once("message", (msg) => resolve({ cp, msg: msg as Record<string, unknown> }));
    cp.once("exit", (c) => reject(new Error(`${file} exited with ${c}`)));
  });
}

function pct(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

// ---------------------------------------------------------------- DNS
async function benchDns(): Promise<string[]> {
  const { cp, msg } = await child("upstream-dns.mjs");
  const upPort = msg.port as number;
  const N = 100_000;
  const rules: Rule[] = [];
  for (let i = 0; i < N; i++) rules.push({ direction: "egress", destination: { domain: `blocked-${i}.tracker-${i % 97}.com` }, protocols: [], ports: [], action: "deny" });
  rules.push({ direction: "egress", destination: { group: "host" }, protocols: ["udp", "tcp"], ports: [{ start: 53, end: 53 }], action: "allow" });
  rules.push({ direction: "egress", destination: { group: "public" }, protocols: [], ports: [], action: "allow" });
  const policyJson: NetworkPolicy = { default_egress: "deny", default_ingress: "allow", rules };
  const cache = new ResolvedNameCache();
  const t0 = performance.now();
  const policy = compilePolicy(policyJson, { gateway: GW, cache });
  const compileMs = performance.now() - t0;
  // Every decision builds its event, as startNetproxy delivers them to the control channel.
  let events = 0;
  const handler = createDnsHandler({ policy, cache, gateway: GW, upstreams: [{ ip: "127.0.0.1", port: upPort }], queryTimeoutMs: 2000, events: () => void events++ });
  const ctx = { transport: "udp" as const, resolverIp: parseIp(GW.ipv4)!, clientIp: parseIp("172.16.0.2")! };
  const denied = Array.from({ length: 4096 }, (_, i) => buildQuery(i, `blocked-${(i * 7919) % N}.tracker-${((i * 7919) % N) % 97}.com`, RR.A));
  const allowed = Array.from({ length: 4096 }, (_, i) => buildQuery(i, `host-${i}.example.org`, RR.A));
  const pick = (mix: "mixed" | "denied" | "allowed", i: number) => (mix === "denied" || (mix === "mixed" && i % 2 === 0) ? denied : allowed)[i % 4096]!;

  // Sanity: denied → NXDOMAIN (rcode 3), allowed → answer.
  const dn = await handler.handle(denied[0]!, ctx);
  const al = await handler.handle(allowed[0]!, ctx);
  if (!dn || (dn[3]! & 0xf) !== 3 || !al || al[7] !== 1) throw new Error("DNS bench sanity check failed");

  async function saturate(mix: "mixed" | "denied" | "allowed", seconds: number, conc: number) {
    let i = 0;
    let n = 0;
    const end = performance.now() + seconds * 1000;
    const t = performance.now();
    const c0 = process.cpuUsage();
    await Promise.all(
      Array.from({ length: conc }, async () => {
        while (performance.now() < end) {
          await handler.handle(pick(mix, i++), ctx);
          n++;
        }
      }),
    );
    const c = process.cpuUsage(c0);
    return { wall: n / ((performance.now() - t) / 1000), perCpu: n / ((c.user + c.system) / 1e6) };
  }

  async function fixedRate(mix: "mixed" | "denied" | "allowed", rate: number, seconds: number) {
    const total = Math.floor(rate * seconds);
    const lat = new Float64Array(total);
    const start = performance.now();
    let sent = 0;
    let done = 0;
    let lost = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
        for (; sent < due; sent++) {
          const idx = sent;
          const scheduled = start + (idx / rate) * 1000;
          handler.handle(pick(mix, idx), ctx).then((r) => {
            if (!r) lost++;
            lat[idx] = r ? performance.now() - scheduled : Number.NaN;
            if (++done === total) resolve();
          });
        }
        if (sent < total) setImmediate(tick);
      };
      tick();
    });
    const sorted = lat.filter((x) => !Number.isNaN(x)).sort();
    return { achieved: total / ((performance.now() - start) / 1000), p50: pct(sorted, 50), p99: pct(sorted, 99), p999: pct(sorted, 99.9), lost };
  }

  /** The floor: bare UDP round trips to the same upstream (32 in flight), per CPU-second. */
  async function udpFloor(seconds: number): Promise<number> {
    const sock = createSocket("udp4");
    await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
    const waiting = new Map<number, () => void>();
    sock.on("message", (m) => waiting.get(m.readUInt16BE(0))?.());
    let n = 0;
    const end = performance.now() + seconds * 1000;
    const c0 = process.cpuUsage();
    await Promise.all(
      Array.from({ length: 32 }, async (_, w) => {
        while (performance.now() < end) {
          const q = Buffer.from(allowed[(n + w) % 4096]!);
          q.writeUInt16BE(w, 0);
          await new Promise<void>((res) => {
            const t = setTimeout(res, 200);
            waiting.set(w, () => {
              clearTimeout(t);
              res();
            });
            sock.send(q, upPort, "127.0.0.1");
          });
          n++;
        }
      }),
    );
    const c = process.cpuUsage(c0);
    sock.close();
    return n / ((c.user + c.system) / 1e6);
  }

  const secs = quick ? 1 : 3;
  const floor = await udpFloor(secs);
  await saturate("mixed", 0.5, 32); // warm-up
  const satMixed = await saturate("mixed", secs, 32);
  const satDenied = await saturate("denied", secs, 32);
  const satAllowed = await saturate("allowed", secs, 32);
  const fixed = await fixedRate("mixed", 20_000, secs);
  const fixedAllowed = await fixedRate("allowed", 20_000, secs);
  handler.close();
  cp.kill();
  if (events === 0) throw new Error("DNS bench: no events were emitted");
  const f = (x: number) => x.toFixed(3);
  return [
    `DNS forwarder, ${N.toLocaleString("en")} exact-name deny rules ahead of allow-DNS + allow-public (policy compile ${compileMs.toFixed(0)} ms); forwarder driven in-process (UDP transport, an event built for every query), upstream = a UDP responder in a separate process on 127.0.0.1. Allowed queries go upstream and back (rebind check + cache update); denied ones are answered NXDOMAIN locally.`,
    "",
    "| workload | saturated q/s (32 in flight) | queries per CPU-second of the forwarder process | offered 20,000 q/s: achieved | p50 (ms) | p99 (ms) | p99.9 (ms) | unanswered |",
    "|---|---|---|---|---|---|---|---|",
    `| 50% denied / 50% forwarded | ${satMixed.wall.toFixed(0)} | ${satMixed.perCpu.toFixed(0)} | ${fixed.achieved.toFixed(0)} | ${f(fixed.p50)} | ${f(fixed.p99)} | ${f(fixed.p999)} | ${fixed.lost} |`,
    `| 100% forwarded | ${satAllowed.wall.toFixed(0)} | ${satAllowed.perCpu.toFixed(0)} | ${fixedAllowed.achieved.toFixed(0)} | ${f(fixedAllowed.p50)} | ${f(fixedAllowed.p99)} | ${f(fixedAllowed.p999)} | ${fixedAllowed.lost} |`,
    `| floor: bare UDP round trips to the same upstream, no DNS logic | — | ${floor.toFixed(0)} | — | — | — | — | — |`,
    `| 100% denied (NXDOMAIN) | ${satDenied.wall.toFixed(0)} | ${satDenied.perCpu.toFixed(0)} | — | — | — | — | — |`,
  ];
}

// ---------------------------------------------------------------- TLS
/** The floor: Node TLS server + client handshakes in one process (what one intercepted connection costs at least). */
async function tlsPairFloor(caPem: string, leafCtx: import("node:tls").SecureContext, seconds: number): Promise<number> {
  const srv = createTlsServer({ SNICallback: (_n, cb) => cb(null, leafCtx) }, (s) => s.on("error", () => {}));
  const clientCtx = createSecureContext({ ca: [caPem] });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as AddressInfo).port;
  let n = 0;
  const end = Date.now() + seconds * 1000;
  const c0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (Date.now() < end) {
        await new Promise<void>((res) => {
          const s = tlsConnect({ port, host: "127.0.0.1", servername: "bench.example.test", secureContext: clientCtx });
          s.setNoDelay(true);
          s.once("secureConnect", () => {
            n++;
            s.destroy();
            res();
          });
          s.once("error", () => res());
        });
      }
    }),
  );
  const c = process.cpuUsage(c0);
  srv.close();
  return n / ((c.user + c.system) / 1e6);
}

async function benchTls(): Promise<string[]> {
  const up = await child("upstream-tls.ts", [], TSX);
  const upPort = up.msg.port as number;
  const upCa = up.msg.caPem as string;
  const dir = mkdtempSync(join(tmpdir(), "l7-bench-"));
  const caFile = join(dir, "up.pem");
  writeFileSync(caFile, upCa);
  const { ca } = await generateCa("bench interception CA");
  const leaves = new LeafCache(ca);
  const SNI = "bench.example.test";
  await leaves.get(SNI);
  const trust = await UpstreamTrust.load({ upstream_ca_cert: [caFile] }, { hostRoots: false });
  const cache = new ResolvedNameCache();
  const policy = compilePolicy({ default_egress: "allow", default_ingress: "allow", rules: [] }, { gateway: GW, cache });
  const interceptor = new L7Interceptor({
    tls: { enabled: true, intercepted_ports: [443], bypass: [], block_quic_on_intercept: true },
    leaves,
    trust,
    secrets: { secrets: [{ env_var: "BENCH", value: "v", placeholder: "$BENCH_SECRET", allowed_hosts: [{ exact: SNI }], injection: { headers: true, basic_auth: true, query_params: false, body: false }, require_tls_identity: true }], on_violation: "block-and-log" },
    cache: { anyHostFor: () => true },
    gateway: GW,
    connect: () => netConnect({ host: "127.0.0.1", port: upPort, noDelay: true }),
  });
  // The stack's role: sniff the first flight, decide, splice the returned duplex to the guest.
  const dst = parseIp("93.184.216.34")!;
  const server = createServer({ noDelay: true }, (sock: Socket) => {
    let first = Buffer.alloc(0);
    const onData = async (d: Buffer) => {
      first = Buffer.concat([first, d]);
      const hello = parseClientHello(first);
      if (hello.kind === "need-more") return;
      sock.off("data", onData);
      sock.pause();
      const sni = hello.kind === "hello" ? (canonicalSni(hello.sni) ?? null) : null;
      const decision = policy.egress(dst, 443, "tcp", sni ? { kind: "sni", name: sni } : { kind: "cache" });
      const upd = await interceptor.intercept({ guestIp: parseIp("172.16.0.2")!, guestPort: sock.remotePort ?? 0, dstIp: dst, dstPort: 443, firstBytes: first, sni, decision, upstreamHost: "127.0.0.1" });
      if (!upd) return void sock.end();
      upd.write(first);
      sock.pipe(upd);
      upd.pipe(sock);
      sock.resume();
      sock.on("error", () => upd.destroy());
      upd.on("error", () => sock.destroy());
      sock.on("close", () => upd.destroy());
      upd.on("close", () => sock.destroy());
    };
    sock.on("data", onData);
    sock.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const proxyPort = (server.address() as AddressInfo).port;
  const bulkOnly = process.argv.includes("--bulk-only");
  const floor = bulkOnly ? 0 : await tlsPairFloor(ca.certPem, (await leaves.get(SNI)).context, quick ? 1 : 3);
  const cl = await child("client.ts", [], TSX);
  const run = (job: Record<string, unknown>) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      cl.cp.once("message", (m) => ((m as { ok: boolean }).ok ? resolve(m as Record<string, unknown>) : reject(new Error(String((m as { error: string }).error)))));
      cl.cp.send(job);
    });
  const secs = quick ? 1 : 3;
  // CPU of each party (the guest clients, the upstream, this process) per handshake, from /proc.
  const parties = () => {
    const self = process.cpuUsage();
    return { client: cpuSecs(cl.cp.pid!, 0), upstream: cpuSecs(up.cp.pid!, 0), self: (self.user + self.system) / 1e6 };
  };
  /** CPU-ms per unit of `secs` CPU-seconds spent on `n` units. */
  const msPer = (secs: number, n: number) => ((1000 * secs) / n).toFixed(2);
  const perHandshake = (a: ReturnType<typeof parties>, b: ReturnType<typeof parties>, n: number) =>
    `client ${msPer(b.client - a.client, n)}, upstream ${msPer(b.upstream - a.upstream, n)}, interceptor ${msPer(b.self - a.self, n)}`;
  const pd0 = parties();
  const hsDirect = await run({ mode: "handshakes", port: upPort, servername: SNI, caPem: upCa, seconds: bulkOnly ? 0 : secs, concurrency: 16 });
  const pd1 = parties();
  const issuedBefore = leaves.issued;
  const hsProxy = await run({ mode: "handshakes", port: proxyPort, servername: SNI, caPem: ca.certPem, seconds: bulkOnly ? 0 : secs, concurrency: 16 });
  const pd2 = parties();
  const hsPerCpu = Number(hsProxy.count) / (pd2.self - pd1.self);
  const cpuDirect = perHandshake(pd0, pd1, Math.max(1, Number(hsDirect.count)));
  const cpuProxy = perHandshake(pd1, pd2, Math.max(1, Number(hsProxy.count)));
  // The same with the second load generators: ab for new connections (one small GET each), curl for bulk.
  const icptCaFile = join(dir, "interception.pem");
  writeFileSync(icptCaFile, ca.certPem);
  const directTarget: LoadTarget = { port: upPort, servername: SNI, caFile };
  const proxyTarget: LoadTarget = { port: proxyPort, servername: SNI, caFile: icptCaFile };
  const abConns = quick ? 300 : 2000;
  const abConnRun = async (t: LoadTarget) => {
    const a = parties();
    const r = bulkOnly ? { count: 0, seconds: 1, cpu: 0 } : await abConnections(t, abConns, 16);
    const b = parties();
    const n = Math.max(1, r.count);
    return { rate: r.count / r.seconds, cpuMs: `ab ${msPer(r.cpu, n)}, upstream ${msPer(b.upstream - a.upstream, n)}, interceptor ${msPer(b.self - a.self, n)}` };
  };
  const abDirect = await abConnRun(directTarget);
  const abProxy = await abConnRun(proxyTarget);
  const warm = leaves.issued === issuedBefore;
  if (process.argv.includes("--handshakes-only")) {
    cl.cp.kill();
    up.cp.kill();
    server.close();
    return [
      `Node clients: handshakes/s direct ${(Number(hsDirect.count) / Number(hsDirect.seconds)).toFixed(0)}, intercepted ${(Number(hsProxy.count) / Number(hsProxy.seconds)).toFixed(0)}, per CPU-second ${hsPerCpu.toFixed(0)}; CPU-ms per handshake: direct ${cpuDirect}; intercepted ${cpuProxy}`,
      `ab: connections/s direct ${abDirect.rate.toFixed(0)}, intercepted ${abProxy.rate.toFixed(0)}; CPU-ms per connection: direct ${abDirect.cpuMs}; intercepted ${abProxy.cpuMs}`,
    ];
  }
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
  const bytes = Number(arg("mib") ?? (quick ? 32 : 256)) * 1024 * 1024;
  const rounds = Number(arg("rounds") ?? (quick ? 3 : 5));
  const mbps = (r: Record<string, unknown>) => (Number(r.bytes) * 8) / Number(r.seconds) / 1e6;
  // Direct and intercepted runs alternate, so both see the same moments of a shared machine;
  // the ratio is the median of the per-round ratios.
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  /** `n` bytes each way per round through `once` (Mbit/s), direct then intercepted, `rounds` times. */
  const paired = async (n: number, once: (direct: boolean) => Promise<number>) => {
    const d: number[] = [];
    const p: number[] = [];
    const r: number[] = [];
    const cpuPerGiB: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const a = await once(true);
      const c0 = process.cpuUsage();
      const b = await once(false);
      const c = process.cpuUsage(c0);
      cpuPerGiB.push((c.user + c.system) / 1e6 / (n / 2 ** 30));
      d.push(a);
      p.push(b);
      r.push(b / a);
    }
    return { direct: median(d), proxy: median(p), ratio: median(r), cpuPerGiB: median(cpuPerGiB) };
  };
  const node = (mode: "get" | "post", n: number) => (direct: boolean) =>
    run({ mode, port: direct ? upPort : proxyPort, servername: SNI, caPem: direct ? upCa : ca.certPem, bytes: n }).then(mbps);
  const get = await paired(bytes, node("get", bytes));
  const curlGet = await paired(bytes, async (direct) => (await curlDownload(direct ? directTarget : proxyTarget, bytes)).mbps);
  const post = process.argv.includes("--get-only") ? get : await paired(bytes / 2, node("post", bytes / 2));
  console.log(`interceptor process CPU-s per GiB: download ${get.cpuPerGiB.toFixed(2)}, upload ${post.cpuPerGiB.toFixed(2)}, curl download ${curlGet.cpuPerGiB.toFixed(2)}`);
  cl.cp.kill();
  up.cp.kill();
  server.close();
  const rate = (r: Record<string, unknown>) => Number(r.count) / Number(r.seconds);
  return [
    `TLS interception: guest TLS clients (Node TLS clients, 16 concurrent loops, separate process; rows marked "ab" / "curl" use those C clients instead, one process) → a loopback server playing the stack (first-flight sniff, SNI egress decision, FlowInterceptor) → L7Interceptor (leaf from the warm cache${warm ? ", no leaf signed during the run" : ""}; ECDSA P-256) → upstream HTTPS server (separate process, own CA, verified). One secret configured, so request heads go through the HTTP/1 filter. "Direct" = the same clients straight to the upstream. Rows not marked "ab" or "curl" use the Node TLS clients (bench/netproxy-l7/client.ts).`,
    "",
    "| measure | direct | through interception | ratio |",
    "|---|---|---|---|",
    `| new TLS handshakes/s (guest side complete) | ${rate(hsDirect).toFixed(0)} | ${rate(hsProxy).toFixed(0)} | ${(rate(hsProxy) / rate(hsDirect)).toFixed(2)} |`,
    `| intercepted handshakes per CPU-second of the interceptor process (guest + upstream side) | — | ${hsPerCpu.toFixed(0)} | — |`,
    `| CPU-ms per new handshake of each process (guest clients, upstream, interceptor; /proc) | ${cpuDirect} | ${cpuProxy} | — |`,
    `| floor: plain Node TLS server+client handshake pairs per CPU-second, one process, same machine state | ${floor.toFixed(0)} | — | interception/floor ${(hsPerCpu / floor).toFixed(2)} |`,
    `| ab: new HTTPS connections/s (ApacheBench, ${abConns} connections, 16 at once; each a full handshake, no certificate verification by ab, one small HTTP/1.0 GET, upstream closes) | ${abDirect.rate.toFixed(0)} | ${abProxy.rate.toFixed(0)} | ${(abProxy.rate / abDirect.rate).toFixed(2)} |`,
    `| ab: CPU-ms per connection of each process (ab, upstream, interceptor; ab from its shell's times, the others from /proc) | ${abDirect.cpuMs} | ${abProxy.cpuMs} | — |`,
    `| bulk HTTPS download, ${bytes / 1048576} MiB (Mbit/s, median of ${rounds} alternating rounds) | ${get.direct.toFixed(0)} | ${get.proxy.toFixed(0)} | ${get.ratio.toFixed(2)} |`,
    `| curl: bulk HTTPS download, ${bytes / 1048576} MiB (curl, verifying; Mbit/s after the handshake, median of ${rounds} alternating rounds) | ${curlGet.direct.toFixed(0)} | ${curlGet.proxy.toFixed(0)} | ${curlGet.ratio.toFixed(2)} |`,
    `| bulk HTTPS upload, ${bytes / 2 / 1048576} MiB (Mbit/s, median of ${rounds} alternating rounds) | ${post.direct.toFixed(0)} | ${post.proxy.toFixed(0)} | ${post.ratio.toFixed(2)} |`,
    `| interceptor process CPU-seconds per GiB relayed (median; includes the loopback "stack" sockets) | — | download ${get.cpuPerGiB.toFixed(2)}, upload ${post.cpuPerGiB.toFixed(2)}, curl download ${curlGet.cpuPerGiB.toFixed(2)} | — |`,
  ];
}

const nodeFlags = process.execArgv.filter((a) => !a.startsWith("--conditions") && a !== "--import" && a !== "tsx");
const machine = () => `nproc ${cpus().length}, ${cpus()[0]?.model.trim()}, node ${process.version} (flags: ${nodeFlags.join(" ") || "none"}), load average ${loadavg().map((x) => x.toFixed(1)).join(" / ")} (1/5/15 min, at the end; other work shares the machine)`;
const onlyTls = process.argv.includes("--tls-only");
const onlyDns = process.argv.includes("--dns-only");
const dns = onlyTls ? [] : await benchDns();
console.log(dns.join("\n"));
const tls = onlyDns ? [] : await benchTls();
console.log(tls.join("\n"));
const out = [`### netproxy L7 (${quick ? "quick" : "full"} form, ${new Date().toISOString().slice(0, 16)}Z)`, "", `Machine: ${machine()}.`, "", ...dns, "", ...tls, ""].join("\n");
// Only the full form of the whole benchmark is recorded.
if (!quick && !onlyTls && !onlyDns && !process.argv.includes("--handshakes-only") && !process.argv.includes("--bulk-only")) writeFileSync(join(here, "RESULTS.fragment.md"), out);
process.exit(0);
