/**
 * A test host for network-namespace topologies (integration tests, VM end-to-end tests, the
 * benchmarks and `sandbox demo`): real servers inside a namespace that report every hit, so a test
 * can prove that allowed traffic arrives intact and that denied traffic never left the proxy.
 *
 * Services (each on ADDR:PORT): `http` and `https` (GET /blob?size=N -> N deterministic bytes with
 * an `x-sha256` header, GET /headers -> the request headers as JSON, reported with the hit,
 * anything else -> the configured body; HTTPS with `--tls-cert`/`--tls-key`), `dns` (authoritative A records from
 * `records`, NXDOMAIN otherwise), `echo` (TCP), `sink` (TCP: reads to EOF, answers the sha256 of
 * what it read), `udp_echo`. The process prints JSON lines on stdout: `{"ready":true}` once every
 * service listens, then one `{"hit": service, "on": "ADDR:PORT", "peer": ADDR, ...}` per
 * request, connection, datagram or query (none with `--hits off`, for long runs).
 */
import { createHash } from "node:crypto";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer, isIPv6, type Server } from "node:net";
import dnsPacket from "dns-packet";

/** Where one service listens. */
export interface Endpoint {
  addr: string;
  port: number;
}

/** What a test host serves. */
export interface TestHostSpec {
  /** HTTP servers and the body each answers with. */
  http?: (Endpoint & { body: string })[];
  /** HTTPS servers (same answers as HTTP), with the certificate and key in `tls`. */
  https?: (Endpoint & { body: string })[];
  /** PEM files of the HTTPS servers' certificate chain and key. */
  tls?: { cert: string; key: string };
  /** false: report no hits (long runs). */
  hits?: boolean;
  /** DNS servers (UDP) answering `records`. */
  dns?: Endpoint[];
  /** Name -> IPv4 address records for the DNS servers (names case-insensitive). */
  records?: Record<string, string>;
  echo?: Endpoint[];
  sink?: Endpoint[];
  udp_echo?: Endpoint[];
}

/** A hit reported by a test host. */
export interface TestHostHit {
  hit: "http" | "https" | "dns" | "echo" | "sink" | "udp_echo";
  on: string;
  peer?: string;
  path?: string;
  name?: string;
  /** GET /headers: the request headers as received. */
  headers?: Record<string, string | string[] | undefined>;
}

/** Deterministic pseudo-random bytes (xorshift32): the same bytes for a given size everywhere. */
export function blob(size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** Parse the command line of the test host process (`--http ADDR:PORT:BODY`, `--record NAME=IP`, ...). */
export function parseTestHostArgs(argv: readonly string[]): TestHostSpec {
  const spec: TestHostSpec & Required<Pick<TestHostSpec, "http" | "https" | "dns" | "records" | "echo" | "sink" | "udp_echo">> = {
    http: [],
    https: [],
    dns: [],
    records: {},
    echo: [],
    sink: [],
    udp_echo: [],
  };
  const tls: { cert?: string; key?: string } = {};
  const endpoint = (v: string, flag: string): Endpoint & { rest: string } => {
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)(?::(.*))?$/.exec(v);
    if (!m) throw new Error(`${flag}: "${v}" is not ADDR:PORT`);
    return { addr: m[1]!.replace(/^\[|\]$/g, ""), port: Number(m[2]), rest: m[3] ?? "" };
  };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${flag}: missing value`);
    if (flag === "--record") {
      const [name, ip] = v.split("=");
      if (!name || !ip) throw new Error(`--record: "${v}" is not NAME=IPV4`);
      spec.records[name.toLowerCase().replace(/\.$/, "")] = ip;
    } else if (flag === "--http" || flag === "--https") {
      const e = endpoint(v, flag);
      spec[flag === "--http" ? "http" : "https"].push({ addr: e.addr, port: e.port, body: e.rest || "ok" });
    } else if (flag === "--tls-cert" || flag === "--tls-key") {
      tls[flag === "--tls-cert" ? "cert" : "key"] = v;
    } else if (flag === "--hits") {
      if (v !== "on" && v !== "off") throw new Error(`--hits: "${v}" is not on or off`);
      spec.hits = v === "on";
    } else if (flag === "--dns" || flag === "--echo" || flag === "--sink" || flag === "--udp-echo") {
      const e = endpoint(v, flag);
      spec[flag === "--udp-echo" ? "udp_echo" : (flag.slice(2) as "dns" | "echo" | "sink")].push({ addr: e.addr, port: e.port });
    } else throw new Error(`unknown test host option ${flag}`);
  }
  if (spec.https.length > 0 && (!tls.cert || !tls.key)) throw new Error("--https needs --tls-cert and --tls-key");
  if (tls.cert && tls.key) spec.tls = { cert: tls.cert, key: tls.key };
  return spec;
}

function listenTcp(server: Server, e: Endpoint): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(e.port, e.addr, () => resolve());
  });
}

function bindUdp(e: Endpoint): Promise<UdpSocket> {
  const s = createSocket(isIPv6(e.addr) ? "udp6" : "udp4");
  return new Promise((resolve, reject) => {
    s.once("error", reject);
    s.bind(e.port, e.addr, () => resolve(s));
  });
}

function dnsAnswer(query: Buffer, records: Record<string, string>): Buffer | null {
  let q: dnsPacket.Packet;
  try {
    q = dnsPacket.decode(query);
  } catch {
    return null;
  }
  const question = q.questions?.[0];
  const name = question?.name.toLowerCase().replace(/\.$/, "") ?? "";
  const known = Object.prototype.hasOwnProperty.call(records, name);
  const ip = known && question?.type === "A" ? records[name] : undefined;
  return dnsPacket.encode({
    type: "response",
    id: q.id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | dnsPacket.AUTHORITATIVE_ANSWER | (known ? 0 : 3),
    questions: q.questions,
    answers: ip && question ? [{ type: "A", name: question.name, ttl: 30, data: ip }] : [],
  });
}

/** Start every service of `spec`; `report` receives each hit. Resolves once all listen. */
export async function startTestHost(spec: TestHostSpec, reportHit: (hit: TestHostHit) => void): Promise<{ close(): void }> {
  const report = spec.hits === false ? () => {} : reportHit;
  const closers: (() => void)[] = [];
  const on = (e: Endpoint) => (e.addr.includes(":") ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`);
  const web = (e: Endpoint & { body: string }, hit: "http" | "https") => (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://test-host");
    if (url.pathname === "/headers") {
      report({ hit, on: on(e), peer: req.socket.remoteAddress, path: req.url, headers: req.headers });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(req.headers));
      return;
    }
    report({ hit, on: on(e), peer: req.socket.remoteAddress, path: req.url });
    if (url.pathname === "/blob") {
      const body = blob(Math.min(Number(url.searchParams.get("size") ?? "1048576"), 1 << 30));
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length, "x-sha256": createHash("sha256").update(body).digest("hex") });
      res.end(body);
    } else res.end(`${e.body}\n`);
  };
  for (const e of spec.http ?? []) {
    const server = createHttpServer(web(e, "http"));
    await listenTcp(server, e);
    closers.push(() => server.close());
  }
  for (const e of spec.https ?? []) {
    if (!spec.tls) throw new Error("https needs tls.cert and tls.key");
    const server = createHttpsServer({ cert: readFileSync(spec.tls.cert), key: readFileSync(spec.tls.key) }, web(e, "https"));
    await listenTcp(server, e);
    closers.push(() => server.close());
  }
  for (const e of spec.echo ?? []) {
    const server = createServer((s) => {
      report({ hit: "echo", on: on(e), peer: s.remoteAddress });
      s.on("error", () => s.destroy());
      s.pipe(s);
    });
    await listenTcp(server, e);
    closers.push(() => server.close());
  }
  for (const e of spec.sink ?? []) {
    const server = createServer((s) => {
      report({ hit: "sink", on: on(e), peer: s.remoteAddress });
      const h = createHash("sha256");
      s.on("error", () => s.destroy());
      s.on("data", (c) => h.update(c));
      s.on("end", () => s.end(h.digest("hex") + "\n"));
    });
    await listenTcp(server, e);
    closers.push(() => server.close());
  }
  for (const e of spec.udp_echo ?? []) {
    const s = await bindUdp(e);
    s.on("message", (m, r) => {
      report({ hit: "udp_echo", on: on(e), peer: r.address });
      s.send(m, r.port, r.address);
    });
    closers.push(() => s.close());
  }
  for (const e of spec.dns ?? []) {
    const s = await bindUdp(e);
    s.on("message", (m, r) => {
      const answer = dnsAnswer(m, spec.records ?? {});
      let name: string | undefined;
      try {
        name = dnsPacket.decode(m).questions?.[0]?.name;
      } catch {
        name = undefined;
      }
      report({ hit: "dns", on: on(e), peer: r.address, name });
      if (answer) s.send(answer, r.port, r.address);
    });
    closers.push(() => s.close());
  }
  return { close: () => closers.forEach((c) => c()) };
}
