/**
 * startNetproxy on each socket transport with the real stack behind it: a hand-built ARP request
 * for the gateway must come back as an ARP reply from the gateway MAC, through stream:unix, tcp
 * and dgram:unix (a Python peer, since Node has no unix datagram sockets).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ControlClient } from "../../src/control/index.js";
import type { EventMessage } from "../../src/gen/control.js";
import { startNetproxy, type Netproxy } from "../../src/main.js";
import { encodeStreamFrame, StreamDecoder } from "../../src/transport/stream-codec.js";

const CONFIG = { preset: "public-only", interface: { ipv4_address: "192.168.127.2/24" } };
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function arpRequest(np: Netproxy): Buffer {
  const a = np.addresses;
  const f = Buffer.alloc(42);
  f.fill(0xff, 0, 6);
  Buffer.from(a.guestMac).copy(f, 6);
  f.writeUInt16BE(0x0806, 12);
  f.writeUInt16BE(1, 14);
  f.writeUInt16BE(0x0800, 16);
  f[18] = 6;
  f[19] = 4;
  f.writeUInt16BE(1, 20);
  Buffer.from(a.guestMac).copy(f, 22);
  Buffer.from(a.v4!.guest).copy(f, 28);
  Buffer.from(a.v4!.gateway).copy(f, 38);
  return f;
}

function expectArpReply(np: Netproxy, f: Uint8Array) {
  const b = Buffer.from(f);
  expect(b.readUInt16BE(12)).toBe(0x0806);
  expect(b.readUInt16BE(20)).toBe(2);
  expect(b.subarray(6, 12).equals(Buffer.from(np.addresses.gatewayMac))).toBe(true);
  expect(b.subarray(28, 32).equals(Buffer.from(np.addresses.v4!.gateway))).toBe(true);
  expect(b.subarray(0, 6).equals(Buffer.from(np.addresses.guestMac))).toBe(true);
}

async function viaStream(np: Netproxy, sock: Socket) {
  const frames: Uint8Array[] = [];
  const d = new StreamDecoder({ frame: (f) => frames.push(Uint8Array.from(f)) });
  sock.on("data", (c) => d.push(c));
  await np.attached;
  sock.write(encodeStreamFrame(arpRequest(np)));
  await expect.poll(() => frames.find((f) => f[12] === 0x08 && f[13] === 0x06), { timeout: 5000 }).toBeDefined();
  expectArpReply(np, frames.find((f) => f[12] === 0x08 && f[13] === 0x06)!);
  const st = np.stats();
  expect(st.link.rx_frames).toBeGreaterThanOrEqual(1);
  expect(st.link.tx_frames).toBeGreaterThanOrEqual(1);
}

describe("startNetproxy listen forms", () => {
  it("stream:unix:PATH accepts one peer and serves ARP", async () => {
    const dir = mkdtempSync(join(tmpdir(), "np-lf-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const np = await startNetproxy({ config: CONFIG, listen: `stream:unix:${join(dir, "np.sock")}` });
    cleanups.push(() => np.close());
    expect(np.address).toBe(`stream:unix:${join(dir, "np.sock")}`);
    const sock = connect({ path: join(dir, "np.sock") });
    cleanups.push(() => sock.destroy());
    await viaStream(np, sock);
    // The guest going away stops the proxy.
    sock.destroy();
    expect(await np.closed).toBeUndefined();
  });

  it("tcp:HOST:0 reports the bound port and serves ARP", async () => {
    const np = await startNetproxy({ config: CONFIG, listen: "tcp:127.0.0.1:0" });
    cleanups.push(() => np.close());
    const port = Number(/:(\d+)$/.exec(np.address)![1]);
    expect(port).toBeGreaterThan(0);
    const sock = connect({ host: "127.0.0.1", port });
    cleanups.push(() => sock.destroy());
    await viaStream(np, sock);
  });

  it("tcp:[::1]:0 listens on IPv6 loopback", async () => {
    const np = await startNetproxy({ config: CONFIG, listen: "tcp:[::1]:0" });
    cleanups.push(() => np.close());
    expect(np.address).toMatch(/^tcp:\[::1\]:\d+$/);
    const sock = connect({ host: "::1", port: Number(/:(\d+)$/.exec(np.address)![1]) });
    cleanups.push(() => sock.destroy());
    await viaStream(np, sock);
  });

  it("dgram:unix:PATH learns the peer after VFKT and answers it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "np-lf-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "np.sock");
    const np = await startNetproxy({ config: CONFIG, listen: `dgram:unix:${path}` });
    cleanups.push(() => np.close());
    await np.attached;
    const py = [
      "import socket,sys",
      "s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)",
      `s.bind(${JSON.stringify(join(dir, "guest.sock"))})`,
      "s.settimeout(5)",
      `s.sendto(b'VFKT', ${JSON.stringify(path)})`,
      `s.sendto(bytes.fromhex(sys.argv[1]), ${JSON.stringify(path)})`,
      "while True:",
      "  d=s.recv(70000)",
      "  if d[12:14]==b'\\x08\\x06':",
      "    print(d.hex()); break",
    ].join("\n");
    const child = spawn("python3", ["-c", py, arpRequest(np).toString("hex")], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    expect(await new Promise((r) => child.on("close", r))).toBe(0);
    expectArpReply(np, Buffer.from(out.trim(), "hex"));
  });

  it("serves the control channel: periodic counters, stats with stack counters, published ports, shutdown", async () => {
    const dir = mkdtempSync(join(tmpdir(), "np-lf-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const cfgPort = 20000 + Math.floor(Math.random() * 40000);
    const np = await startNetproxy({
      config: { ...CONFIG, ports: [{ host_port: cfgPort, guest_port: 22 }] },
      listen: `stream:unix:${join(dir, "np.sock")}`,
      controlSocket: join(dir, "ctl.sock"),
      countersIntervalMs: 100,
    });
    cleanups.push(() => np.close());
    const ctl = await ControlClient.connect(join(dir, "ctl.sock"));
    cleanups.push(() => ctl.close());
    const events: EventMessage[] = [];
    ctl.onEvent((e) => events.push(e));
    // Before the guest attaches, ports cannot be published yet.
    await expect(ctl.call({ add_published_port: { host_port: 0, guest_port: 80, protocol: "tcp", host_bind: "127.0.0.1" } })).rejects.toThrow(/not attached yet/);
    const sock = connect({ path: join(dir, "np.sock") });
    cleanups.push(() => sock.destroy());
    await viaStream(np, sock);
    await expect.poll(() => events.some((e) => "link" in e.event && e.event.link.state === "up"), { timeout: 5000 }).toBe(true);
    await expect.poll(() => events.some((e) => "counters" in e.event), { timeout: 5000 }).toBe(true);
    const st = await ctl.call("get_stats");
    expect(st).toMatchObject({ stats: { transport: `stream:unix:${join(dir, "np.sock")}`, counters: expect.objectContaining({ frames_in: expect.any(Number) }) } });
    // Ports from the config are published at start (with the schema defaults filled in).
    expect(st).toMatchObject({ stats: { published_ports: [{ host_port: cfgPort, guest_port: 22, protocol: "tcp", host_bind: "127.0.0.1" }] } });
    await new Promise<void>((res, rej) => {
      const c = connect({ host: "127.0.0.1", port: cfgPort }, () => {
        c.destroy();
        res();
      });
      c.on("error", rej);
    });
    await expect(ctl.call({ add_published_port: { host_port: 0, guest_port: 80, protocol: "tcp", host_bind: "127.0.0.1" } })).rejects.toThrow(/host_port: 0 is not accepted/);
    const hostPort = 20000 + Math.floor(Math.random() * 40000);
    const port = { host_port: hostPort, guest_port: 8080, protocol: "udp" as const, host_bind: "127.0.0.1" };
    expect(await ctl.call({ add_published_port: port })).toMatchObject({ port_added: { guest_port: 8080, protocol: "udp" } });
    await expect(ctl.call({ add_published_port: port })).rejects.toThrow(/already exists/);
    expect(await ctl.call({ remove_published_port: { host_port: hostPort, protocol: "udp", host_bind: "127.0.0.1" } })).toBe("done");
    expect(await ctl.call("shutdown")).toBe("done");
    expect(await np.closed).toBeUndefined();
  });

  it("rejects a config that disables networking and a bad listen spec", async () => {
    await expect(startNetproxy({ config: { preset: "none" }, listen: "tcp:127.0.0.1:0" })).rejects.toThrow(/disables networking/);
    await expect(startNetproxy({ config: {}, listen: "udp:1.2.3.4:5" })).rejects.toThrow(/unknown transport; accepted: stream:unix:PATH/);
    // A control socket that cannot be created fails the start and leaves no listener behind.
    const dir = mkdtempSync(join(tmpdir(), "np-lf-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "ctl.sock"), "not a socket");
    await expect(startNetproxy({ config: CONFIG, listen: `stream:unix:${join(dir, "np.sock")}`, controlSocket: join(dir, "ctl.sock") })).rejects.toThrow(/exists and is not a socket/);
    expect(existsSync(join(dir, "np.sock"))).toBe(false);
  });
});
