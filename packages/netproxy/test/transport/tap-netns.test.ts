/** netns mode: the helper creates and configures a TAP in a fresh namespace and relays its frames. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { netnsUnavailableReason, run, Topology } from "../../src/netns/index.js";
import { openTapInNetns } from "../../src/transport/tap-netns.js";

const reason = netnsUnavailableReason();
if (reason && process.env.SANDBOX_REQUIRE_E2E === "1") throw new Error(`SANDBOX_REQUIRE_E2E=1 but netns tests cannot run: ${reason}`);

const GUEST_MAC = "02:6d:73:00:00:02";
const GW_MAC = [0x02, 0x6d, 0x73, 0x00, 0x00, 0x01];

function mac(b: Uint8Array, off: number): string {
  return Array.from(b.subarray(off, off + 6), (x) => x.toString(16).padStart(2, "0")).join(":");
}
function ip4(b: Uint8Array, off: number): string {
  return Array.from(b.subarray(off, off + 4)).join(".");
}

describe.skipIf(reason !== null)("TAP in a network namespace", () => {
  const topo = new Topology("sbx-tap");
  let ns = "";
  beforeAll(async () => {
    ns = await topo.netns("guest");
  });
  afterAll(() => topo.destroy());

  it("configures address, MTU, MAC, default route and relays frames both ways", async () => {
    const link = await openTapInNetns({
      netns: Topology.path(ns),
      ifname: "eth0",
      mac: GUEST_MAC,
      address: "10.0.2.100",
      prefixLength: 24,
      gateway: "10.0.2.2",
      mtu: 1400,
      disableIpv6: true,
    });
    // Offloads are on by default: TCP segments of up to a 65535-byte IP packet cross the link.
    expect(link.maxFrameSize).toBe(65549);
    expect(link.offloads).toEqual({ checksum: true, tso: true });
    const show = await topo.exec(ns, "ip", ["-o", "addr", "show", "dev", "eth0"]);
    expect(show).toContain("inet 10.0.2.100/24");
    const linkInfo = await topo.exec(ns, "ip", ["-o", "link", "show", "dev", "eth0"]);
    expect(linkInfo).toContain("mtu 1400");
    expect(linkInfo).toContain(GUEST_MAC);
    expect(linkInfo).toMatch(/state (UP|UNKNOWN)/);
    expect(await topo.exec(ns, "ip", ["route", "show", "default"])).toContain("default via 10.0.2.2 dev eth0");

    const frames: Uint8Array[] = [];
    link.onFrame((f) => {
      frames.push(Uint8Array.from(f));
      // Answer the ARP request for the gateway, as the stack would.
      if (f[12] === 0x08 && f[13] === 0x06 && f[21] === 1 && ip4(f, 38) === "10.0.2.2") {
        const r = new Uint8Array(42);
        r.set(f.subarray(6, 12), 0);
        r.set(GW_MAC, 6);
        r.set([0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 2], 12);
        r.set(GW_MAC, 22);
        r.set(f.subarray(38, 42), 28);
        r.set(f.subarray(22, 28), 32);
        r.set(f.subarray(28, 32), 38);
        expect(link.send(r)).toBe(true);
      }
    });
    await topo.exec(ns, "sh", ["-c", "echo hello-from-guest | nc -u -w1 10.0.2.2 5555"]);
    const arp = frames.find((f) => f[12] === 0x08 && f[13] === 0x06);
    expect(arp && mac(arp, 6)).toBe(GUEST_MAC);
    expect(arp && ip4(arp, 28)).toBe("10.0.2.100");
    const udp = frames.find((f) => f[12] === 0x08 && f[13] === 0x00 && f[23] === 17);
    expect(udp, "the UDP datagram follows once our ARP reply was accepted").toBeDefined();
    expect(mac(udp!, 0)).toBe(GW_MAC.map((x) => x.toString(16).padStart(2, "0")).join(":"));
    expect(ip4(udp!, 30)).toBe("10.0.2.2");
    expect(Buffer.from(udp!.subarray(42)).toString()).toBe("hello-from-guest\n");
    // No IPv6 chatter when IPv6 is disabled on the TAP.
    expect(frames.some((f) => f[12] === 0x86 && f[13] === 0xdd)).toBe(false);

    const closed = new Promise((r) => link.onClose(r));
    link.close();
    await closed;
    await expect.poll(async () => (await topo.exec(ns, "ip", ["-o", "link"])).includes("eth0"), { timeout: 5000 }).toBe(false);
  });

  it("without offloads carries bare frames of at most MTU + 14 bytes", async () => {
    const ns2 = await topo.netns("plain");
    const link = await openTapInNetns({ netns: Topology.path(ns2), ifname: "eth0", address: "10.0.4.100", gateway: "10.0.4.2", mtu: 1400, disableIpv6: true, offloads: false });
    expect(link.maxFrameSize).toBe(1414);
    expect(link.offloads).toBeUndefined();
    const frames: Uint8Array[] = [];
    link.onFrame((f) => frames.push(Uint8Array.from(f)));
    await topo.exec(ns2, "sh", ["-c", "echo x | nc -u -w1 10.0.4.2 5555 || true"]);
    // The first frame is the ARP request for the gateway, starting with the broadcast MAC (no header before it).
    await expect.poll(() => frames.length).toBeGreaterThan(0);
    expect(mac(frames[0]!, 0)).toBe("ff:ff:ff:ff:ff:ff");
    link.close();
  });

  it("configures a static IPv6 address (no DAD delay) and IPv6 default route", async () => {
    const ns6 = await topo.netns("guest6");
    const link = await openTapInNetns({ netns: Topology.path(ns6), ifname: "eth1", address: "10.0.3.2", gateway: "10.0.3.1", address6: "fd00:1::2", gateway6: "fd00:1::1" });
    const addr = await topo.exec(ns6, "ip", ["-o", "-6", "addr", "show", "dev", "eth1"]);
    expect(addr).toContain("inet6 fd00:1::2/64");
    expect(addr).not.toContain("tentative");
    expect(await topo.exec(ns6, "ip", ["-6", "route", "show", "default"])).toContain("default via fd00:1::1 dev eth1");
    const closed = new Promise((r) => link.onClose(r));
    link.close();
    await closed;
  });

  it("sweeps namespaces of dead runs but never those with processes or of live runs", async () => {
    const stale = "sbx-sweeptest-999999-0-x";
    const busy = "sbx-sweeptest-999998-0-y";
    const live = `sbx-sweeptest-${process.pid}-0-z`;
    for (const n of [stale, busy, live]) await run("ip", ["netns", "add", n]);
    const sleeper = spawn("ip", ["netns", "exec", busy, "sleep", "30"], { stdio: "ignore" });
    try {
      await expect.poll(async () => (await run("ip", ["netns", "pids", busy])).trim() !== "").toBe(true);
      expect(await Topology.sweepStale("sbx-sweeptest")).toEqual([stale]);
      const left = await run("ip", ["netns", "list"]);
      expect(left).toContain(busy);
      expect(left).toContain(live);
      expect(left).not.toContain(stale);
    } finally {
      sleeper.kill("SIGKILL");
      await new Promise((r) => sleeper.once("exit", r));
      for (const n of [stale, busy, live]) await run("ip", ["netns", "del", n]).catch(() => {});
    }
  });

  it("fails with the helper's reason for a namespace path that does not exist", async () => {
    await expect(openTapInNetns({ netns: "/run/netns/does-not-exist-sbx" })).rejects.toThrow(/open\(netns path\): No such file/);
  });
});
