/** The datagram transport through the native helper: VFKT, peer locking, sendto(peer), fd mode. */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { dgramFromFd, listenUnixDgram } from "../../src/transport/dgram-endpoints.js";
import type { HelperStatus } from "../../src/transport/native-helper.js";

const fixtures = join(__dirname, "fixtures");
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function expectedFrames(): Buffer[] {
  return [1, 2, 3].map((i) =>
    Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, i, 8, 0]), Buffer.from(Array.from({ length: 40 + 300 * i }, (_, k) => (i + k) & 0xff))]),
  );
}

function lines(child: ReturnType<typeof spawn>): string[] {
  const out: string[] = [];
  createInterface({ input: child.stdout! }).on("line", (l) => out.push(l));
  return out;
}

describe("datagram transport", () => {
  it("consumes VFKT, locks the first peer, ignores others and answers with sendto(peer)", async () => {
    const d = mkdtempSync(join(tmpdir(), "np-dgram-"));
    dirs.push(d);
    const path = join(d, "proxy.sock");
    const statuses: HelperStatus[] = [];
    const { link, peer } = await listenUnixDgram(path, { onStatus: (s) => statuses.push(s) });
    const got: Buffer[] = [];
    link.onFrame((f) => {
      got.push(Buffer.from(f));
      link.send(Buffer.from(f).reverse());
    });
    const py = spawn("python3", [join(fixtures, "dgram-peer.py"), "listen-peer", path, d], { stdio: ["ignore", "pipe", "inherit"] });
    const out = lines(py);
    const exit = new Promise((r) => py.on("close", r));
    expect(await exit).toBe(0);
    const want = expectedFrames();
    expect(got.map((g) => g.toString("hex"))).toEqual(want.map((w) => w.toString("hex")));
    expect(out.slice(1)).toEqual(want.map((w) => Buffer.from(w).reverse().toString("hex")));
    expect(peer()).toBe(join(d, "peer.sock"));
    expect(statuses.some((s) => s.event === "ignored" && /other than the locked peer/.test(s.reason ?? ""))).toBe(true);
    const closed = new Promise((r) => link.onClose(r));
    link.close();
    await closed;
  });

  it("relays a connected datagram socketpair fd handed to the proxy", async () => {
    const py = spawn(
      "python3",
      [join(fixtures, "dgram-peer.py"), "fd-pair", process.execPath, "--conditions=@sandbox/source", "--import", "tsx", join(fixtures, "dgram-fd-echo.ts")],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const out = lines(py);
    const exit = new Promise((r) => py.on("close", r));
    expect(await exit).toBe(0);
    expect(out).toEqual(expectedFrames().map((w) => Buffer.from(w).reverse().toString("hex")));
  });

  it("rejects an fd that is not a datagram socket with the helper's reason", async () => {
    await expect(dgramFromFd(0)).rejects.toThrow(/not a datagram socket|getsockopt/);
  });
});
