/**
 * A connection flood from a real kernel guest (netns mode) against `max_connections` from the
 * config: the guest opens 200 connections to the public test host while one honest flow is open.
 * At most the cap reach the host (the rest are refused with RST, fast), the honest flow keeps
 * working, and capacity returns once the flood's connections close.
 */
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { netnsUnavailableReason } from "../../src/netns/index.js";
import { useWorld } from "../integration/use-world.js";
import { PUBLIC_HOST } from "../integration/world.js";

const reason = netnsUnavailableReason();
if (reason && process.env.SANDBOX_REQUIRE_E2E === "1") throw new Error(`SANDBOX_REQUIRE_E2E=1 but netns tests cannot run: ${reason}`);
const CAP = 32;
const CONFIG = {
  preset: "public-only",
  max_connections: CAP,
  dns: { nameservers: [PUBLIC_HOST] },
  policy: { default_egress: "deny", default_ingress: "allow", rules: [] },
};

/** Opens N connections at once to HOST:7, prints {"ok":n,"refused":m}, holds them until stdin closes. */
const FLOOD = `
const net = require("node:net");
const [host, n] = [process.argv[1], Number(process.argv[2])];
let ok = 0, refused = 0, done = 0;
const socks = [];
for (let i = 0; i < n; i++) {
  const s = net.connect({ host, port: 7 });
  socks.push(s);
  const fin = () => { if (++done === n) console.log(JSON.stringify({ ok, refused })); };
  s.setTimeout(8000, () => s.destroy(new Error("timeout")));
  s.once("connect", () => { s.setTimeout(0); s.write("x"); });
  s.once("data", () => { ok++; fin(); });
  s.once("error", () => { refused++; fin(); });
}
process.stdin.on("end", () => { for (const s of socks) s.destroy(); process.exit(0); });
process.stdin.resume();
`;

describe.skipIf(reason !== null)("connection flood against max_connections (netns, kernel guest)", () => {
  const { w } = useWorld({ config: CONFIG, control: false });

  const flood = async (n: number): Promise<{ child: ChildProcess; result: { ok: number; refused: number } }> => {
    const child = w.topo.spawn(w.guest, process.execPath, ["-e", FLOOD, PUBLIC_HOST, String(n)], { stdio: ["pipe", "pipe", "pipe"] });
    const line = await new Promise<string>((res, rej) => {
      createInterface({ input: child.stdout! }).once("line", res);
      child.once("exit", (c) => rej(new Error(`flood exited with ${c}`)));
    });
    return { child, result: JSON.parse(line) as { ok: number; refused: number } };
  };
  const established = async (): Promise<number> =>
    (await w.topo.exec(w.pub, "ss", ["-Htn", "state", "established", "( sport = :7 )"])).split("\n").filter(Boolean).length;

  it("the excess is refused, the host never sees more than the cap, the honest flow works, capacity returns", async () => {
    const honest = w.topo.spawn(w.guest, "nc", [PUBLIC_HOST, "7"], { stdio: ["pipe", "pipe", "pipe"] });
    honest.stdin!.on("error", () => {});
    const echoed: string[] = [];
    honest.stdout!.on("data", (c: Buffer) => echoed.push(c.toString()));
    honest.stdin!.write("one\n");
    await expect.poll(() => echoed.join(""), { timeout: 5000 }).toBe("one\n");
    const t0 = Date.now();
    const a = await flood(200);
    expect(a.result.ok).toBeLessThanOrEqual(CAP - 1);
    expect(a.result.ok).toBeGreaterThanOrEqual(CAP - 4); // slots freed by nothing else
    expect(a.result.refused).toBe(200 - a.result.ok);
    expect(Date.now() - t0).toBeLessThan(8000); // refused with RST, not left to time out
    expect(await established()).toBeLessThanOrEqual(CAP);
    honest.stdin!.write("two\n");
    await expect.poll(() => echoed.join(""), { timeout: 5000 }).toBe("one\ntwo\n");
    // The flood goes away: its slots come back.
    a.child.stdin!.end();
    await expect.poll(established, { timeout: 10_000 }).toBe(1);
    const b = await flood(CAP - 1);
    expect(b.result).toEqual({ ok: CAP - 1, refused: 0 });
    b.child.stdin!.end();
    honest.kill();
  }, 60_000);
});
