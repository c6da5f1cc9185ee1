/**
 * Upstream connections on the bare TCP handle (stack/tcp/raw-upstream.ts) against real loopback
 * servers: bytes both ways, half-close in either order, pause, flush callbacks, refusal, reset;
 * and flows through the stack on it and on the net.Socket fallback.
 */
import { createHash, randomBytes } from "node:crypto";
import * as net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { openUpstream, rawTcpAvailable, RawTcpUpstream, setRawTcp } from "../../src/stack/tcp/raw-upstream.js";
import { harness, loopbackServer, type Harness } from "./helpers/harness.js";
import { isV4, testPolicy } from "./helpers/policy.js";

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

const cleanups: (() => Promise<void> | void)[] = [];
let h: Harness | null = null;
afterEach(async () => {
  setRawTcp(true);
  await h?.close();
  h = null;
  for (const c of cleanups.splice(0)) await c();
});

async function server(onConn: (s: net.Socket) => void): Promise<number> {
  const srv = await loopbackServer(onConn);
  cleanups.push(srv.close);
  return srv.port;
}

function connected(u: RawTcpUpstream): Promise<void> {
  return new Promise((res, rej) => {
    u.once("connect", res);
    u.once("error", rej);
  });
}

/** Everything the upstream emits, recorded. */
function record(u: RawTcpUpstream) {
  const r = { data: [] as Buffer[], events: [] as string[], closed: null as Promise<void> | null };
  u.on("data", (d: Buffer) => r.data.push(d));
  for (const ev of ["end", "finish", "error"]) u.on(ev, () => r.events.push(ev));
  r.closed = new Promise((res) => u.on("close", () => (r.events.push("close"), res())));
  return r;
}

function open(port: number): RawTcpUpstream {
  const u = openUpstream("127.0.0.1", port);
  expect(u).toBeInstanceOf(RawTcpUpstream);
  cleanups.push(() => void u.destroy());
  return u as RawTcpUpstream;
}

describe("RawTcpUpstream", () => {
  it("is what openUpstream gives for IP hosts on this Node, net.Socket when disabled or for names", async () => {
    expect(rawTcpAvailable()).toBe(true);
    const port = await server((s) => s.end());
    const raw = openUpstream("127.0.0.1", port);
    setRawTcp(false);
    const sock = openUpstream("127.0.0.1", port);
    setRawTcp(true);
    const named = openUpstream("localhost", port);
    for (const u of [raw, sock, named]) cleanups.push(() => void u.destroy());
    expect(raw).toBeInstanceOf(RawTcpUpstream);
    expect(sock).toBeInstanceOf(net.Socket);
    expect(named).toBeInstanceOf(net.Socket);
  });

  it("moves bytes both ways, corked writes as one writev; our FIN first, then the server's", async () => {
    const up = [randomBytes(3000), randomBytes(70_000), randomBytes(1)];
    const down = randomBytes(1 << 20);
    let got: Buffer[] = [];
    const port = await server((s) => {
      s.on("data", (d) => got.push(d));
      s.on("end", () => s.end(down));
    });
    got = [];
    const u = open(port);
    const r = record(u);
    await connected(u);
    u.cork();
    for (const c of up) u.write(c);
    expect(u.writableLength).toBe(73_001);
    u.uncork();
    u.end();
    await r.closed;
    expect(sha(Buffer.concat(got))).toBe(sha(Buffer.concat(up)));
    expect(sha(Buffer.concat(r.data))).toBe(sha(down));
    expect(r.events.filter((e) => e !== "finish")).toEqual(["end", "close"]);
    expect(r.events).toContain("finish");
    expect(u.writableLength).toBe(0);
  });

  it("keeps writing after the server's FIN and closes once it ends too", async () => {
    let got: Buffer[] = [];
    let serverEnded!: () => void;
    const ended = new Promise<void>((r) => (serverEnded = r));
    const port = await server((s) => {
      s.on("data", (d) => got.push(d));
      s.on("end", serverEnded);
      s.end("bye");
    });
    got = [];
    const u = open(port);
    const r = record(u);
    await connected(u);
    await new Promise<void>((res) => u.once("end", res));
    expect(u.destroyed).toBe(false);
    u.write(Buffer.from("still here"));
    u.end();
    await ended;
    await r.closed;
    expect(Buffer.concat(r.data).toString()).toBe("bye");
    expect(Buffer.concat(got).toString()).toBe("still here");
  });

  it("reads nothing while paused and everything after resume", async () => {
    const down = randomBytes(32 << 20);
    let serverSock!: net.Socket;
    const port = await server((s) => {
      serverSock = s;
      s.end(down);
    });
    const u = open(port);
    const r = record(u);
    u.pause();
    await connected(u);
    // The kernel buffers fill while nothing reads: the server's writes back up.
    await expect.poll(() => serverSock?.writableLength ?? 0, { timeout: 10_000 }).toBeGreaterThan(0);
    await new Promise((res) => setTimeout(res, 100));
    expect(serverSock.writableLength).toBeGreaterThan(0);
    expect(r.data.length).toBe(0);
    u.resume();
    await new Promise<void>((res) => u.once("end", res));
    expect(sha(Buffer.concat(r.data))).toBe(sha(down));
  });

  it("runs an empty write's callback once the earlier writes were taken; 'drain' only after a write had to wait", async () => {
    const big = randomBytes(32 << 20);
    let serverSock!: net.Socket;
    const port = await server((s) => {
      serverSock = s;
      s.pause();
    });
    const u = open(port);
    let drains = 0;
    u.on("drain", () => drains++);
    await connected(u);
    u.write(Buffer.from("hi")); // taken by the kernel at once: nothing waited, no 'drain'
    expect(u.writableLength).toBe(0);
    u.write(big);
    let flushed = false;
    u.write(Buffer.alloc(0), () => (flushed = true));
    await new Promise((res) => setTimeout(res, 100));
    expect(u.writableLength).toBeGreaterThan(0);
    expect(flushed).toBe(false);
    let n = 0;
    serverSock.on("data", (d: Buffer) => (n += d.length));
    serverSock.resume();
    await expect.poll(() => flushed, { timeout: 10_000 }).toBe(true);
    expect(u.writableLength).toBe(0);
    expect(drains).toBe(1);
    await expect.poll(() => n, { timeout: 10_000 }).toBe(big.length + 2);
  });

  it("connects to IPv6 addresses too", async () => {
    const srv = await loopbackServer((s) => s.end("six"), "::1");
    cleanups.push(srv.close);
    const u = openUpstream("::1", srv.port);
    cleanups.push(() => void u.destroy());
    expect(u).toBeInstanceOf(RawTcpUpstream);
    const r = record(u as RawTcpUpstream);
    await connected(u as RawTcpUpstream);
    u.end();
    await r.closed;
    expect(Buffer.concat(r.data).toString()).toBe("six");
  });

  it("destroyed while connecting: 'error' with the given reason, then 'close', never 'connect'", async () => {
    const port = await server((s) => s.end());
    const u = open(port);
    const r = record(u);
    let connects = 0;
    u.on("connect", () => connects++);
    let reason: string | undefined;
    u.on("error", (e: Error) => (reason = e.message));
    u.destroy(new Error("connect timeout"));
    await r.closed;
    expect(reason).toBe("connect timeout");
    expect(r.events).toEqual(["error", "close"]);
    expect(connects).toBe(0);
  });

  it("reports a refused connect as 'error', then 'close'", async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const u = open(port);
    const r = record(u);
    const err = await connected(u).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(err?.code).toBe("ECONNREFUSED");
    await r.closed;
    expect(u.destroyed).toBe(true);
  });

  it("reports the server's RST as 'error', then 'close'", async () => {
    const port = await server((s) => s.once("data", () => s.resetAndDestroy()));
    const u = open(port);
    const r = record(u);
    let code: string | undefined;
    u.on("error", (e: Error & { code?: string }) => (code = e.code));
    await connected(u);
    u.write(Buffer.from("x"));
    await r.closed;
    expect(code).toBe("ECONNRESET");
    expect(r.events).toEqual(["error", "close"]);
    expect(u.destroyed).toBe(true);
  });

  it("resetAndDestroy aborts with RST, destroy closes with FIN", async () => {
    const outcomes: string[] = [];
    const port = await server((s) => {
      s.on("error", (e: Error & { code?: string }) => outcomes.push(e.code ?? "error"));
      s.on("end", () => outcomes.push("end"));
      s.resume();
    });
    const a = open(port);
    await connected(a);
    a.resetAndDestroy();
    await expect.poll(() => outcomes.length, { timeout: 10_000 }).toBe(1);
    const b = open(port);
    await connected(b);
    b.destroy();
    await expect.poll(() => outcomes.length, { timeout: 10_000 }).toBe(2);
    expect(outcomes).toEqual(["ECONNRESET", "end"]);
  });
});

describe("flows through the stack", () => {
  for (const raw of [true, false]) {
    it(`echo and half-close on ${raw ? "the bare handle" : "net.Socket (fallback)"}`, async () => {
      setRawTcp(raw);
      const port = await server((s) => s.on("data", (d) => s.write(d)).on("end", () => s.end()));
      h = await harness({ policy: testPolicy({ egress: (ip) => (isV4(ip, "172.16.0.1") ? "allow" : "deny") }) });
      const g = h.tcp({ srcPort: 41000, dstPort: port, windowScale: 7, window: 1 << 20, sackPermitted: true });
      g.connect();
      await g.until(() => g.state === "established");
      const msg = randomBytes(200_000);
      g.write(msg);
      await g.until(() => g.data().length === msg.length);
      g.end();
      await g.until(() => g.peerFin);
      expect(sha(g.data())).toBe(sha(msg));
    });
  }
});
