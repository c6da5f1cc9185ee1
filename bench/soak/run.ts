/**
 * Soak: mixed load through netproxy in netns mode for N minutes while its file descriptors and RSS
 * are sampled, then a growth check.
 *
 *   guest ns --TAP-- netproxy (proxy ns) --veth-- pub ns 198.51.100.10 (test host: echo, sink, HTTP, UDP echo, DNS)
 *   (the netns world of the netproxy tests, packages/netproxy/test/integration/world.ts)
 *
 * The load (bench/soak/load.ts, run in the guest ns): TCP bulk both ways with sha256 checks, many
 * short echo connections, UDP from 16 fixed sockets, DNS through the gateway's forwarder.
 * Sampling: every --every seconds (default 3), /proc/PID/fd (count) and VmRSS of the netproxy process.
 * Pass: no growth trend (packages/netproxy/test/faults/growth.ts): after a warm-up (the first minute,
 * or 15 % of a shorter run), the samples are cut into 12 windows (fewer in a quick run); RSS takes each window's floor (its
 * minimum: the level after a collection, so V8's sawtooth does not count, a leak raises it) and
 * descriptors each window's median (they jitter with the ~12-20 connections in flight); a
 * Theil–Sen line through the window values, projected over the measured span, must stay within
 * RSS +max(16 MiB, 10 % of the first floor) and descriptors +6. The report states the sensitivity
 * this implies: the smallest per-connection leak the run would have caught (RSS tolerance /
 * connections made over the span); one descriptor per connection is caught by any run.
 * Integrity failures (wrong sha256/echo) or more than 1 % errors fail the run too.
 *
 * Usage (root): bash bench/soak/run.sh [--minutes N (default 10; CI runs 10)] [--every S] [--no-record]
 *   [--inject-leak BYTES]  netproxy keeps BYTES per flow decision (a deliberate leak: the check must fail)
 * Writes bench/soak/RESULTS.fragment.md unless --no-record; exits 1 when the check fails.
 */
import { cpus, loadavg, release, totalmem } from "node:os";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ControlClient } from "../../packages/netproxy/src/control/index.js";
import { netnsUnavailableReason } from "../../packages/netproxy/src/netns/index.js";
import { GATEWAY, PUBLIC_HOST, World } from "../../packages/netproxy/test/integration/world.js";
import { median, trend } from "../../packages/netproxy/test/faults/growth.js";

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = resolve(here, "../../packages/netproxy");
const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const MINUTES = Number(arg("minutes", "10"));
const EVERY_S = Number(arg("every", "3"));
const INJECT_LEAK = Number(arg("inject-leak", "0"));
const RECORD = !process.argv.includes("--no-record") && INJECT_LEAK === 0;

const reason = netnsUnavailableReason();
if (reason) {
  console.error(`soak needs root and network namespaces: ${reason}`);
  process.exit(2);
}

const tsx = (file: string, args: string[]): [string, string[]] => [process.execPath, ["--conditions=@sandbox/source", "--import", "tsx", file, ...args]];

interface Sample {
  t: number;
  fds: number;
  rssKiB: number;
  tcpActive?: number;
  udpSessions?: number;
}

function sampleProc(pid: number): { fds: number; rssKiB: number } {
  const fds = readdirSync(`/proc/${pid}/fd`).length;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return { fds, rssKiB: rss ? Number(rss[1]) : NaN };
}

// The netns world of the netns tests: guest ns (TAP) → netproxy (proxy ns) → test hosts.
const world = new World("sbxsoak");
let exitCode = 1;
const stop = (): Promise<void> => world.destroy();
for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.once(sig, () => {
    void stop().then(() => process.exit(130));
  });

try {
  await world.build({ records: false });
  const config = { preset: "public-only", dns: { nameservers: [PUBLIC_HOST] }, policy: { default_egress: "deny", default_ingress: "allow", rules: [] } };
  await world.startNetproxy(config, INJECT_LEAK > 0 ? ["--leak-per-flow", String(INJECT_LEAK)] : []);
  const pid = world.netproxyPid;
  const ctl = await ControlClient.connect(world.controlPath);
  const { topo, guest, dir } = world;

  // Load in the guest.
  const [lc, la] = tsx(join(here, "load.ts"), [PUBLIC_HOST, GATEWAY, String(Math.round(MINUTES * 60))]);
  const load = topo.spawn(guest, lc, la, { cwd: pkgDir });
  const loadLines: string[] = [];
  createInterface({ input: load.stdout! }).on("line", (l) => loadLines.push(l));
  const loadErr: string[] = [];
  createInterface({ input: load.stderr! }).on("line", (l) => loadErr.length < 50 && loadErr.push(l));
  const loadDone = new Promise<number | null>((r) => load.once("exit", (c) => r(c)));

  const samples: Sample[] = [];
  const t0 = Date.now();
  const take = async (): Promise<void> => {
    const s: Sample = { t: (Date.now() - t0) / 1000, ...sampleProc(pid) };
    try {
      const st = await ctl.call("get_stats");
      if (typeof st === "object" && "stats" in st) {
        const k = st.stats.counters;
        if (k.tcp_active !== undefined) s.tcpActive = k.tcp_active;
        if (k.udp_sessions !== undefined) s.udpSessions = k.udp_sessions;
      }
    } catch {
      /* counters are optional in the sample */
    }
    samples.push(s);
    process.stderr.write(`soak t=${s.t.toFixed(0)}s fds=${s.fds} rss=${(s.rssKiB / 1024).toFixed(1)}MiB tcp=${s.tcpActive ?? "?"} udp=${s.udpSessions ?? "?"}\n`);
  };
  const timer = setInterval(() => void take(), EVERY_S * 1000);
  const loadCode = await loadDone;
  clearInterval(timer);
  await take();
  ctl.close();

  const final = loadLines.map((l) => JSON.parse(l) as { done?: boolean; counts: Record<string, number>; lastErrors?: string[] }).find((x) => x.done);
  if (!final) throw new Error(`load generator ended (${loadCode}) without a summary:\n${loadErr.join("\n")}`);
  const c = final.counts;
  const third = Math.max(1, Math.floor(samples.length / 3));
  const first = samples.slice(0, third);
  const last = samples.slice(-third);
  const rssFirst = median(first.map((s) => s.rssKiB)) / 1024;
  const rssLast = median(last.map((s) => s.rssKiB)) / 1024;
  const fdFirst = median(first.map((s) => s.fds));
  const fdLast = median(last.map((s) => s.fds));
  const runS = samples[samples.length - 1]!.t;
  const warmupS = Math.min(60, 0.15 * runS);
  const ts = samples.map((s) => s.t);
  const floor0 = Math.min(...samples.filter((s) => s.t >= warmupS).slice(0, Math.max(1, Math.floor(samples.length / 12))).map((s) => s.rssKiB)) / 1024;
  const rssTol = Math.max(16, floor0 * 0.1);
  const FD_TOL = 6;
  // 12 windows (≥ 3 samples each; fewer windows for a quick run).
  const windows = Math.min(12, Math.floor(ts.filter((t) => t >= warmupS).length / 3));
  const rssTrend = trend({ t: ts, v: samples.map((s) => s.rssKiB / 1024), warmupS, windows, reduce: "floor", tolerance: rssTol });
  const fdTrend = trend({ t: ts, v: samples.map((s) => s.fds), warmupS, windows, reduce: "median", tolerance: FD_TOL });
  const rssOk = !rssTrend.grows;
  const fdOk = !fdTrend.grows;
  const loadOk = c.corrupt === 0 && c.bulkUp! > 0 && c.bulkDown! > 0 && c.short! > 0 && c.dns! > 0 && c.udpEchoed! > 0;
  const errorRate = c.errors! / Math.max(1, c.short! + c.bulkUp! + c.bulkDown! + c.dns!);
  const pass = rssOk && fdOk && loadOk && errorRate < 0.01;
  exitCode = pass ? 0 : 1;

  const secs = (Date.now() - t0) / 1000;
  // Sensitivity: connections made over the span the trend was measured on.
  const conns = c.short! + c.bulkUp! + c.bulkDown!;
  const leakFloorBytes = (rssTol * 2 ** 20) / Math.max(1, (conns * rssTrend.spanS) / secs);
  const cpu = cpus();
  const machine = `${cpu.length} × ${cpu[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()}, Node ${process.version}, load average at the end ${loadavg().map((x) => x.toFixed(2)).join(" ")}`;
  const fmt = (x: number, d = 1): string => x.toFixed(d);
  const lines = [
    "## Soak (netproxy, netns mode, mixed load)",
    "",
    `Recorded by \`bash bench/soak/run.sh --minutes ${MINUTES}\` on ${new Date().toISOString().slice(0, 16)}Z. Machine: ${machine}.`,
    "",
    `Load for ${fmt(secs / 60)} min through netproxy (guest netns TAP → netproxy → test host on ${PUBLIC_HOST}): TCP bulk both ways with sha256 checks, 8 workers of short echo connections, UDP from 16 fixed sockets, DNS through the gateway's forwarder. ${samples.length} samples of the netproxy process every ${EVERY_S} s.`,
    "",
    "| traffic | count |",
    "|---|---|",
    `| bulk uploads (8 MiB, sha256 ok) | ${c.bulkUp} |`,
    `| bulk downloads (8 MiB, sha256 ok) | ${c.bulkDown} |`,
    `| bulk bytes | ${fmt(c.bulkBytes! / 2 ** 30, 2)} GiB |`,
    `| short TCP connections (echo ok) | ${c.short} (${fmt(c.short! / secs, 0)}/s) |`,
    `| UDP datagrams sent / echoed | ${c.udpSent} / ${c.udpEchoed} |`,
    `| DNS answers | ${c.dns} |`,
    `| errors / integrity failures | ${c.errors} / ${c.corrupt} |`,
    "",
    "| netproxy process | first third (median) | last third (median) | min | max | trend over the span (Theil–Sen) | tolerance | verdict |",
    "|---|---|---|---|---|---|---|---|",
    `| RSS (MiB) | ${fmt(rssFirst)} | ${fmt(rssLast)} | ${fmt(Math.min(...samples.map((s) => s.rssKiB)) / 1024)} | ${fmt(Math.max(...samples.map((s) => s.rssKiB)) / 1024)} | ${rssTrend.projected >= 0 ? "+" : ""}${fmt(rssTrend.projected)} over ${fmt(rssTrend.spanS / 60)} min | +${fmt(rssTol)} | ${rssOk ? "no growth" : "GROWTH"} |`,
    `| file descriptors | ${fdFirst} | ${fdLast} | ${Math.min(...samples.map((s) => s.fds))} | ${Math.max(...samples.map((s) => s.fds))} | ${fdTrend.projected >= 0 ? "+" : ""}${fmt(fdTrend.projected)} | +${FD_TOL} | ${fdOk ? "no growth" : "GROWTH"} |`,
    "",
    `RSS window floors (MiB, ${rssTrend.points.length} windows after a ${fmt(warmupS, 0)} s warm-up): ${rssTrend.points.map((p) => fmt(p.v, 0)).join(" ")}.`,
    "",
    `Verdict: **${pass ? "pass" : "FAIL"}**${final.lastErrors?.length ? ` (first errors: ${final.lastErrors.slice(0, 3).join("; ")})` : ""}. The check (see bench/soak/run.ts): a Theil–Sen trend through per-window RSS floors (the level after collections, so V8's sawtooth does not count) and descriptor medians, projected over the span after the warm-up, within RSS +max(16 MiB, 10 %) and descriptors +6. Sensitivity of this run: a leak of ${leakFloorBytes < 1024 ? `${fmt(leakFloorBytes, 0)} bytes` : `${fmt(leakFloorBytes / 1024)} KiB`} or more per TCP connection (${conns} connections), or of one descriptor per connection, would have failed it.`,
    "",
  ];
  // Long fault runs recorded by hand (bench/soak/long-runs.md) follow the soak figures.
  const longRuns = join(here, "long-runs.md");
  const md = lines.join("\n") + (existsSync(longRuns) ? `\n${readFileSync(longRuns, "utf8").trim()}\n` : "");
  console.log(md);
  if (RECORD) writeFileSync(join(here, "RESULTS.fragment.md"), md);
  writeFileSync(join(dir, "samples.json"), JSON.stringify(samples));
  if (process.env.SOAK_SAMPLES_OUT) writeFileSync(process.env.SOAK_SAMPLES_OUT, JSON.stringify({ samples, counts: c, rssTrend, fdTrend }));
} catch (e) {
  console.error(`soak failed: ${(e as Error).stack ?? e}`);
  exitCode = 1;
} finally {
  await stop();
}
process.exit(exitCode);
