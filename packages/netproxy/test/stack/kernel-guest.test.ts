/**
 * The stack against a real Linux TCP/IP stack: a TAP in a private network namespace (the "guest")
 * gets IPv6 by SLAAC from our router advertisement and IPv4 statically, then talks to loopback
 * servers of this process through the gateway addresses (§7.1), with lossless bulk transfers, and
 * TCP crossing the TAP in segments larger than the MTU (virtio_net_hdr checksum + TSO offload).
 * Needs root and iproute2; skipped otherwise (a failure when SANDBOX_REQUIRE_E2E=1).
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNetworkStack } from "../../src/stack/engine.js";
import { formatIpBytes } from "../../src/stack/ip.js";
import type { NetworkStack, StackEvent } from "../../src/stack/types.js";
import type { ObservableLink } from "../../src/transport/stream-link.js";
import { openTapInNetns } from "../../src/transport/tap-netns.js";
import { echoDns, loopbackServer } from "./helpers/harness.js";
import { testPolicy } from "./helpers/policy.js";

const run = promisify(execFile);
function canRunNetns(): boolean {
  if (process.getuid?.() !== 0) return false;
  return spawnSync("ip", ["netns", "list"]).status === 0 && spawnSync("which", ["curl"]).status === 0;
}
const e2e = canRunNetns();
if (!e2e && process.env.SANDBOX_REQUIRE_E2E === "1") throw new Error("SANDBOX_REQUIRE_E2E=1 but root, iproute2 or curl is missing");

const ns = `sbx-kg-${process.pid}`;
let stack: NetworkStack | null = null;
let tap: ObservableLink | null = null;
const events: StackEvent[] = [];
const blob = randomBytes(4 << 20);
const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
let servers: { close(): Promise<void> }[] = [];
let port4 = 0;
let port6 = 0;
let uploaded: Buffer[] = [];

const inGuest = async (cmd: string, args: string[], timeout = 20_000): Promise<string> =>
  (await run("ip", ["netns", "exec", ns, cmd, ...args], { timeout, maxBuffer: 64 << 20, encoding: "buffer" })).stdout.toString("latin1");

describe.skipIf(!e2e)("real Linux guest over a TAP", () => {
  beforeAll(async () => {
    const http = (s: import("node:net").Socket): void => {
      let head = "";
      let want = -1;
      let got = 0;
      const body = (d: Buffer): void => {
        uploaded.push(d);
        got += d.length;
        if (got >= want) s.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
      };
      s.on("data", (d: Buffer) => {
        if (want >= 0) return body(d);
        head += d.toString("latin1");
        const i = head.indexOf("\r\n\r\n");
        if (i < 0) return;
        if (head.startsWith("GET")) {
          s.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${blob.length}\r\nConnection: close\r\n\r\n`), blob]));
          return;
        }
        want = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        body(Buffer.from(head.slice(i + 4), "latin1"));
      });
    };
    const s4 = await loopbackServer(http, "127.0.0.1");
    const s6 = await loopbackServer(http, "::1");
    servers = [s4, s6];
    port4 = s4.port;
    port6 = s6.port;
    execFileSync("ip", ["netns", "add", ns]);
    const link = (tap = await openTapInNetns({ netns: `/run/netns/${ns}`, mac: "02:6d:73:00:00:02", address: "172.16.0.2", prefixLength: 30, gateway: "172.16.0.1", mtu: 1500 }));
    stack = await createNetworkStack({
      link,
      policy: testPolicy({ egress: (ip, port, proto) => (proto === "tcp" && port !== 9 && (ip.family === 6 || ip.v4 === 0xac100001) ? "allow" : "deny") }),
      dns: echoDns,
      events: (e) => events.push(e),
    });
    // SLAAC: wait for a global address from our RA (DAD takes about a second).
    for (let i = 0; i < 100; i++) {
      if ((await inGuest("ip", ["-6", "addr", "show", "scope", "global"])).includes("fd42:6d73:62:")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
    for (const s of servers) await s.close();
    spawnSync("ip", ["netns", "del", ns]);
  });

  it("the guest configured a SLAAC address and a default route from the router advertisement", async () => {
    expect(await inGuest("ip", ["-6", "addr", "show", "scope", "global"])).toContain("fd42:6d73:62:");
    expect(await inGuest("ip", ["-6", "route", "show", "default"])).toContain("fe80::1");
  });

  it("downloads 4 MiB over IPv6 from ::1 via the gateway, intact", async () => {
    const out = await inGuest("curl", ["-sS", "-g", `http://[${formatIpBytes(stack!.addresses.v6!.gateway)}]:${port6}/`]);
    expect(sha(Buffer.from(out, "latin1"))).toBe(sha(blob));
  });

  it("uploads 4 MiB over IPv4 to 127.0.0.1 via the gateway, intact", async () => {
    uploaded = [];
    const file = `/tmp/sbx-kg-${process.pid}.bin`;
    execFileSync("sh", ["-c", `cat > ${file}`], { input: blob });
    try {
      const out = await inGuest("curl", ["-sS", "--data-binary", `@${file}`, "-H", "Expect:", `http://172.16.0.1:${port4}/`]);
      expect(out).toBe("ok");
      expect(sha(Buffer.concat(uploaded))).toBe(sha(blob));
    } finally {
      execFileSync("rm", ["-f", file]);
    }
  });

  it("TCP crosses the TAP in segments larger than the MTU both ways, intact (checksum + segmentation offload)", async () => {
    const st = tap!.stats;
    const before = { ...st };
    const down = await inGuest("curl", ["-sS", `http://172.16.0.1:${port4}/`]);
    expect(sha(Buffer.from(down, "latin1"))).toBe(sha(blob));
    const txAvg = (st.txBytes - before.txBytes) / (st.txFrames - before.txFrames);
    uploaded = [];
    const file = `/tmp/sbx-kg6-${process.pid}.bin`;
    execFileSync("sh", ["-c", `cat > ${file}`], { input: blob });
    const mid = { ...st };
    try {
      const gw6 = formatIpBytes(stack!.addresses.v6!.gateway);
      expect(await inGuest("curl", ["-sS", "-g", "--data-binary", `@${file}`, "-H", "Expect:", `http://[${gw6}]:${port6}/`])).toBe("ok");
      expect(sha(Buffer.concat(uploaded))).toBe(sha(blob));
    } finally {
      execFileSync("rm", ["-f", file]);
    }
    const rxAvg = (st.rxBytes - mid.rxBytes) / (st.rxFrames - mid.rxFrames);
    // Without offloads no frame exceeds 1514 + 10 bytes; with them most data frames carry many MSS.
    expect(txAvg, "average frame towards the guest (IPv4 download)").toBeGreaterThan(4000);
    expect(rxAvg, "average frame from the guest (IPv6 upload)").toBeGreaterThan(4000);
    expect(stack!.stats().dropped).not.toHaveProperty("checksum");
  });

  it("a denied destination fails fast in the guest (RST) and is reported", async () => {
    const r = await run("ip", ["netns", "exec", ns, "curl", "-sS", "-m", "5", "http://172.16.0.1:9/"]).catch((e: { stderr: string }) => e);
    expect(String((r as { stderr: string }).stderr)).toMatch(/refused|reset|couldn't connect/i);
    expect(String((r as { stderr: string }).stderr)).not.toMatch(/timed out/i);
    expect(events.some((e) => e.type === "flow" && e.verdict === "deny" && e.dstPort === 9)).toBe(true);
  });
});
