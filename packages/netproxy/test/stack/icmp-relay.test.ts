/**
 * External ICMP echo through unprivileged ICMP sockets. The real relay runs in a private network
 * namespace whose ping_group_range admits root, pinging only its own loopback.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { ICMP4, writeIcmp } from "../../src/frame/icmp.js";
import { IPPROTO } from "../../src/frame/ipv4.js";
import { ipFrame } from "./helpers/guest.js";
import { harness, waitFor, type Harness } from "./helpers/harness.js";
import { testPolicy } from "./helpers/policy.js";

function canRunNetns(): boolean {
  if (process.getuid?.() !== 0) return false;
  return spawnSync("ip", ["netns", "list"]).status === 0;
}
const e2e = canRunNetns();
if (!e2e && process.env.SANDBOX_REQUIRE_E2E === "1") throw new Error("SANDBOX_REQUIRE_E2E=1 but network namespaces are unavailable (need root and iproute2)");

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe("ICMP echo relay", () => {
  it.skipIf(!e2e)("relays allowed echo to a non-gateway address and maps the reply back; denied gets nothing", () => {
    const ns = `sbx-icmp-${process.pid}`;
    execFileSync("ip", ["netns", "add", ns]);
    try {
      execFileSync("ip", ["-n", ns, "link", "set", "lo", "up"]);
      execFileSync("ip", ["netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ping_group_range=0 0"]);
      const child = fileURLToPath(new URL("./fixtures/echo-child.ts", import.meta.url));
      const out = execFileSync("ip", ["netns", "exec", ns, process.execPath, "--conditions=@sandbox/source", "--import", "tsx", child], {
        cwd: fileURLToPath(new URL("../..", import.meta.url)),
        encoding: "utf8",
        timeout: 20_000,
      });
      const r = JSON.parse(out.trim().split("\n").at(-1)!) as { replies: { from: string; id: number; seq: number; data: string }[]; reasons: string[] };
      expect(r.replies).toEqual([
        { from: "127.0.0.1", id: 0xbeef, seq: 1, data: "payload-1" },
        { from: "127.0.0.1", id: 0xbeef, seq: 3, data: "payload-3" },
      ]);
      expect(r.reasons.length).toBe(3);
    } finally {
      execFileSync("ip", ["netns", "del", ns]);
    }
  });

  it("says why when the kernel refuses unprivileged ICMP sockets, and sends nothing", async () => {
    const range = spawnSync("sysctl", ["-n", "net.ipv4.ping_group_range"], { encoding: "utf8" }).stdout.trim().split(/\s+/).map(Number);
    const gid = process.getgid?.() ?? 0;
    const permitted = range.length === 2 && gid >= range[0]! && gid <= range[1]!;
    h = await harness({ policy: testPolicy({ egress: () => "allow" }) });
    const got: unknown[] = [];
    h.onRx = (rx) => got.push(rx);
    const p = h.stack.addresses;
    const body = Uint8Array.of(0, 1, 0, 1, 0x61);
    const l4 = new Uint8Array(9);
    writeIcmp(l4, 0, ICMP4.ECHO_REQUEST, 0, body);
    h.link.inject(ipFrame(p, p.v4!.guest, Uint8Array.of(127, 0, 0, 1), IPPROTO.ICMP, l4));
    if (permitted) {
      await waitFor(() => got.length === 1, 3000, "relayed echo reply");
    } else {
      await waitFor(() => h!.events.some((e) => e.type === "flow"));
      const ev = h.events.find((e) => e.type === "flow") as { reason: string };
      expect(ev.reason).toContain("ping_group_range");
      await new Promise((r) => setTimeout(r, 50));
      expect(got.length).toBe(0);
    }
  });
});
