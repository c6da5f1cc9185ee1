/**
 * The netproxy process starts with NETPROXY_NODE_FLAGS and runs under SCHED_BATCH unless told
 * otherwise (sched.ts): a real process (netproxy-main, the entry the VM tests and benchmarks
 * start), its command line and threads read from /proc.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { follow, netproxyCommand } from "../../src/netns/index.js";
import { NETPROXY_NODE_FLAGS } from "../../src/node-flags.js";
import { parseSched } from "../../src/sched.js";

/** The scheduling policy of each thread of `pid` (Linux: 0 normal, 3 batch, 5 idle, 1/2 real-time). */
function threadPolicies(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const s = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    return Number(s.slice(s.lastIndexOf(")") + 2).split(" ")[38]); // field 41 (policy); [0] is field 3
  });
}

const SCHED_OTHER = 0;
const SCHED_BATCH = 3;

/** Start netproxy-main the way the topologies do; `inspect` gets its pid once it listens. */
async function withNetproxy<T>(extra: string[], inspect: (pid: number) => T): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "np-sched-"));
  writeFileSync(join(dir, "config.json"), JSON.stringify({ policy: { default_egress: "deny", default_ingress: "deny", rules: [] } }));
  const child = spawn(process.execPath, [...netproxyCommand(), "--config", join(dir, "config.json"), "--listen", `stream:unix:${join(dir, "np.sock")}`, ...extra], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    const m = await follow(child).waitFor((e) => e.event === "listening" || e.event === "error", "netproxy listening", 60_000);
    expect(m.event).toBe("listening");
    return inspect(Number(m.pid));
  } finally {
    child.kill("SIGKILL");
  }
}

const policiesOf = (extra: string[]) => withNetproxy(extra, threadPolicies);

describe.runIf(process.platform === "linux")("netproxy process settings", () => {
  it("starts node with the netproxy flags ahead of the script", async () => {
    const argv = await withNetproxy([], (pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0"));
    expect(NETPROXY_NODE_FLAGS.length).toBeGreaterThan(0);
    expect(argv.slice(1, 1 + NETPROXY_NODE_FLAGS.length)).toEqual([...NETPROXY_NODE_FLAGS]);
  });

  it("puts every thread under SCHED_BATCH by default", async () => {
    const p = await policiesOf([]);
    expect(p.length).toBeGreaterThan(1); // the main thread and V8's/libuv's workers
    expect(new Set(p)).toEqual(new Set([SCHED_BATCH]));
  });

  it("leaves the policy as started with --sched normal", async () => {
    expect(new Set(await policiesOf(["--sched", "normal"]))).toEqual(new Set([SCHED_OTHER]));
  });

  it("rejects other --sched values", () => {
    expect(parseSched(undefined)).toBe("batch");
    expect(() => parseSched("fifo")).toThrow(/batch or normal/);
  });
});
