/**
 * netproxy benchmark: the same netns set-up and the same iperf3 for three data paths between a
 * "guest" namespace and a "host" namespace:
 *   veth        the kernel path (the limit)
 *   slirp4netns libslirp behind a TAP (what QEMU user networking uses)
 *   netproxy    @sandbox/netproxy in netns mode (TAP via the native helper, userspace TCP/IP)
 * Measures iperf3 throughput guest->host and host->guest at MTU 1500 and 65520, new TCP
 * connections per second, and the RSS of the data-path process with 1,000 idle connections.
 *
 * Usage (root): bash bench/netproxy/run.sh            bounded CI form (short runs)
 *               bash bench/netproxy/run.sh --full     full form (10 s iperf3 runs, 10 s rate runs)
 *               ... --only netproxy,slirp4netns      subset of variants
 *               ... --measure h2g,cps --mtu 1500    subset of measurements / MTUs (prints only)
 *               ... --reps N                         rounds per measurement (median reported; default 3 with --full)
 *                                                    (default 1, 2 with --full)
 * $NP_CPU=1 also prints the data path's CPU-s per Gbit for every iperf3 run and CPU-us per connection
 * of every rate run (node + helper for netproxy, and node alone).
 * Every sample is printed on stderr as it is taken, with the 1-minute load average.
 * $NP_PCAP=PREFIX captures the rate run (see rate()).
 * $NP_STDOUT=FILE appends netproxy's stdout there (e.g. with NETPROXY_NODE_FLAGS=--trace-gc, which
 * replaces the flags netproxy is started with, NETPROXY_NODE_FLAGS of node-flags.ts).
 * $NP_SMAPS=PREFIX writes netproxy's /proc/PID/smaps at the RSS sample with 1,000 connections to PREFIX.PID.smaps.
 * A/B: --only netproxy,netproxy-b,slirp4netns with $NP_B_ENTRY / $NP_B_HELPER / $NP_B_NODE_FLAGS (see nodeFlagsB)
 * / $NP_B_ENV (`K=V ...` added to netproxy-b's environment; $NETPROXY_ENV does the same for netproxy).
 * Prints a markdown fragment; the full form (--full) of all three variants also writes bench/netproxy/RESULTS.fragment.md.
 */
import { execFileSync, type ChildProcess } from "node:child_process";
import { cpus, loadavg, release } from "node:os";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { netnsUnavailableReason, Topology } from "../../packages/netproxy/src/netns/index.js";
import { NETPROXY_NODE_FLAGS } from "../../packages/netproxy/src/node-flags.js";
import { ensureHelper } from "../../packages/netproxy/src/transport/native-helper.js";
import { measureTransport, type TransportResult } from "./transport.js";
import { cpuSecs } from "../proc-cpu.js";
import { bundleNetproxy } from "../netproxy-bundle.js";

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = resolve(here, "../../packages/netproxy");
const full = process.argv.includes("--full");
const onlyArg = process.argv.indexOf("--only");
const only = onlyArg > 0 ? process.argv[onlyArg + 1]!.split(",") : ["veth", "slirp4netns", "netproxy"];
const IPERF_SECS = Number(process.env.IPERF_SECS ?? (full ? 10 : 2));
const RATE_SECS = full ? 10 : 3;
const IDLE_CONNS = 1000;
const listArg = (flag: string, all: string[]) => {
  const i = process.argv.indexOf(flag);
  return i > 0 ? process.argv[i + 1]!.split(",") : all;
};
/** Measurements to take (`--measure idle,cps,g2h,h2g`) and MTUs (`--mtu 1500,65520`); subsets only print. */
const MEASURE = new Set(listArg("--measure", ["idle", "cps", "g2h", "h2g"]));
const MTUS = listArg("--mtu", ["1500", "65520"]).map(Number);
const repsArg = process.argv.indexOf("--reps");
/**
 * Rounds per measurement (default 3 with --full, 1 otherwise). Each round visits every variant
 * once, one after the other, so load that comes and goes hits all of them alike; the median of
 * the rounds is reported.
 */
const REPS = repsArg > 0 ? Math.max(1, Number(process.argv[repsArg + 1])) : full ? 3 : 1;

function median(xs: number[]): number {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

type Variant = "veth" | "slirp4netns" | "netproxy" | "netproxy-b";
interface Env {
  topo: Topology;
  guest: string;
  host: string;
  /** Address the guest uses to reach the host namespace's services. */
  server: string;
  /** PID of the data-path process (none for veth). */
  pid: number | null;
}

let bundled: string | null = null;
let bundledB: string | null = null;
/** Node flags of the netproxy process: the ones every launcher passes (NETPROXY_NODE_FLAGS), or $NETPROXY_NODE_FLAGS instead. */
const nodeFlags = process.env.NETPROXY_NODE_FLAGS !== undefined ? process.env.NETPROXY_NODE_FLAGS.split(/\s+/).filter(Boolean) : [...NETPROXY_NODE_FLAGS];
/**
 * The A/B variant `netproxy-b` (`--only netproxy,netproxy-b`, measured interleaved with the
 * others): netproxy built from $NP_B_ENTRY (another tree's src/netns/netproxy-main.ts; default
 * this one), with the helper $NP_B_HELPER and the node flags $NP_B_NODE_FLAGS (defaults as A).
 */
/** `K=V K2=V2` (from $NETPROXY_ENV, or $NP_B_ENV for netproxy-b) as environment entries for the netproxy process. */
function envPairs(spec: string): Record<string, string> {
  return Object.fromEntries(spec.split(/\s+/).filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
}
const nodeFlagsB = process.env.NP_B_NODE_FLAGS !== undefined ? process.env.NP_B_NODE_FLAGS.split(/\s+/).filter(Boolean) : nodeFlags;

function tsArgs(file: string, args: string[]): [string, string[]] {
  return [process.execPath, ["--conditions=@sandbox/source", "--import", "tsx", file, ...args]];
}

function waitLine(child: ChildProcess, pred: (l: string) => boolean, what: string, ms = 30_000): Promise<string> {
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`${what}: timeout`)), ms);
    createInterface({ input: child.stdout! }).on("line", (l) => {
      if (pred(l)) {
        clearTimeout(t);
        res(l);
      }
    });
    child.once("exit", (c) => {
      clearTimeout(t);
      rej(new Error(`${what}: exited ${c}`));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Topologies alive right now, torn down on SIGINT/SIGTERM as well. */
const live = new Set<Topology>();
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    void Promise.all([...live].map((t) => t.destroy())).finally(() => process.exit(130));
  });
}

async function setup(variant: Variant, mtu: number, dir: string): Promise<Env> {
  const topo = new Topology(`sbx-bench-${variant}`);
  live.add(topo);
  try {
    return await setupIn(topo, variant, mtu, dir);
  } catch (e) {
    await topo.destroy(); // never leave namespaces or servers behind
    live.delete(topo);
    throw e;
  }
}

async function setupIn(topo: Topology, variant: Variant, mtu: number, dir: string): Promise<Env> {
  const guest = await topo.netns("guest");
  const host = await topo.netns("host");
  // The guest closes first, so every rate-run connection leaves a TIME-WAIT socket on its port for
  // 60 s: after ~14,000 connections (the even half of the ephemeral range that connect() prefers)
  // each connect() searches for a free port and the rate collapses to ~200/s whatever the data
  // path. Few TIME-WAIT sockets in the guest namespace keep every round measuring the data path.
  // (A closed socket the kernel did not keep answers a late FIN with RST: a peer that acknowledges
  // the guest's FIN before sending its own gets RST instead of the last ACK; still one frame.)
  await topo.exec(guest, "sysctl", ["-qw", "net.ipv4.tcp_max_tw_buckets=256"]);
  // Servers in the host namespace: iperf3 and the connection-rate echo server.
  topo.spawn(host, "iperf3", ["-s"]);
  const [cmd, args] = tsArgs(join(here, "cps.ts"), ["server", "7000"]);
  await waitLine(topo.spawn(host, cmd, args, { cwd: pkgDir }), (l) => l === "ready", "cps server");
  if (variant === "veth") {
    await topo.veth(guest, "eth0", "10.0.2.100/24", host, "eth0", "10.0.2.2/24", mtu);
    return { topo, guest, host, server: "10.0.2.2", pid: null };
  }
  if (variant === "slirp4netns") {
    const child = topo.spawn(host, "slirp4netns", ["--configure", "--mtu", String(mtu), "--netns-type=path", Topology.path(guest), "tap0"]);
    for (let i = 0; i < 100; i++) {
      if ((await topo.exec(guest, "ip", ["-o", "-4", "addr"])).includes("10.0.2.100")) break;
      await sleep(50);
    }
    return { topo, guest, host, server: "10.0.2.2", pid: child.pid ?? null };
  }
  const cfg = join(dir, `np-${mtu}.json`);
  writeFileSync(
    cfg,
    JSON.stringify({ preset: "allow-all", max_connections: 4096, interface: { mtu, ipv4_address: "10.0.2.100/24" } }),
  );
  const b = variant === "netproxy-b";
  const entry = b ? (bundledB ??= bundleNetproxy(dir, process.env.NP_B_ENTRY ? resolve(process.env.NP_B_ENTRY) : undefined, "netproxy-b")) : (bundled ??= bundleNetproxy(dir));
  const np = topo.spawn(host, process.execPath, [...(b ? nodeFlagsB : nodeFlags), entry, "--config", cfg, "--listen", `netns:${Topology.path(guest)}`], {
    cwd: pkgDir,
    env: { ...process.env, ...envPairs(b && process.env.NP_B_ENV !== undefined ? process.env.NP_B_ENV : (process.env.NETPROXY_ENV ?? "")), SANDBOX_NETPROXY_HELPER: (b && process.env.NP_B_HELPER) || ensureHelper() },
  });
  np.stderr?.resume();
  if (process.env.NP_STDOUT) np.stdout?.on("data", (d: Buffer) => appendFileSync(process.env.NP_STDOUT!, d));
  const listening = JSON.parse(await waitLine(np, (l) => l.includes('"listening"') || l.includes('"error"'), "netproxy")) as { gateway: string; error?: string };
  if (!listening.gateway) throw new Error(`netproxy: ${listening.error ?? "no IPv4 gateway"}`);
  await waitLine(np, (l) => l.includes('"attached"'), "netproxy attach");
  return { topo, guest, host, server: listening.gateway, pid: np.pid ?? null };
}

async function iperf(env: Env, reverse: boolean): Promise<number> {
  const args = ["-c", env.server, "-t", String(IPERF_SECS), "-J", ...(reverse ? ["-R"] : [])];
  try {
    if (process.env.NP_SS) setTimeout(() => void env.topo.exec(env.guest, "ss", ["-tin"]).then((o) => console.error(o)), 2000);
    const cpu0 = env.pid === null ? 0 : cpuSecs(env.pid);
    const own0 = env.pid === null ? 0 : cpuSecs(env.pid, 0);
    const out = await env.topo.exec(env.guest, "iperf3", args, { timeoutMs: (IPERF_SECS + 30) * 1000 });
    const r = JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } };
    const gbit = (r.end.sum_received.bits_per_second / 1e9) * IPERF_SECS;
    // $NP_CPU: the data path's CPU cost per Gbit moved (less sensitive to other load than the rate).
    if (process.env.NP_CPU && env.pid !== null) console.error(`cpu ${reverse ? "h2g" : "g2h"} pid ${env.pid}: ${((cpuSecs(env.pid) - cpu0) / gbit).toFixed(3)} CPU-s/Gbit (process itself ${((cpuSecs(env.pid, 0) - own0) / gbit).toFixed(3)}) at ${(gbit / IPERF_SECS).toFixed(2)} Gbit/s`);
    return r.end.sum_received.bits_per_second / 1e9;
  } catch (e) {
    console.error(`iperf3 ${args.join(" ")} failed: ${(e as Error).message.slice(0, 300)}`);
    return NaN;
  }
}

async function rate(env: Env): Promise<number> {
  const [cmd, args] = tsArgs(join(here, "cps.ts"), ["rate", env.server, "7000", String(RATE_SECS), "8"]);
  // $NP_PCAP=PREFIX: capture the guest's side of the rate run (headers only) to PREFIX-<namespace>.pcap.
  const pcap = process.env.NP_PCAP ? env.topo.spawn(env.guest, "tcpdump", ["-i", "any", "-s", "96", "-w", `${process.env.NP_PCAP}-${env.guest}.pcap`, "tcp"]) : null;
  if (pcap) await sleep(500);
  try {
    const cpu0 = env.pid === null ? 0 : cpuSecs(env.pid);
    const own0 = env.pid === null ? 0 : cpuSecs(env.pid, 0);
    const out = await env.topo.exec(env.guest, cmd, args, { timeoutMs: (RATE_SECS + 60) * 1000 });
    const { cps, errors } = JSON.parse(out.trim().split("\n").pop()!) as { cps: number; errors: number };
    if (errors > 0) console.error(`rate: ${errors} failed connections (${env.guest})`);
    // $NP_CPU: the data path's CPU time per connection (less sensitive to other load than the rate).
    if (process.env.NP_CPU && env.pid !== null) console.error(`cpu cps pid ${env.pid}: ${(((cpuSecs(env.pid) - cpu0) * 1e6) / (cps * RATE_SECS)).toFixed(0)} CPU-us/connection (process itself ${(((cpuSecs(env.pid, 0) - own0) * 1e6) / (cps * RATE_SECS)).toFixed(0)}) at ${cps}/s`);
    return cps;
  } catch (e) {
    console.error(`rate failed: ${(e as Error).message.slice(0, 300)}`);
    return NaN;
  } finally {
    pcap?.kill("SIGINT");
  }
}

function rssKb(pid: number): number {
  let total = 0;
  const visit = (p: number) => {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"));
      total += m ? Number(m[1]) : 0;
      for (const t of readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) visit(Number(t));
    } catch {
      /* gone */
    }
  };
  visit(pid);
  return total;
}

/**
 * RSS before the idle connections and 1 s after they are open. (Later samples are not steadier: V8
 * shrinks its young generation only when its memory reducer happens to be armed, which depends on
 * how long ago the process started, not on the connections.)
 */
async function idleRss(env: Env): Promise<{ before: number; after: number; open: number }> {
  if (env.pid === null) return { before: NaN, after: NaN, open: NaN };
  const before = rssKb(env.pid);
  const [cmd, args] = tsArgs(join(here, "cps.ts"), ["idle", env.server, "7000", String(IDLE_CONNS)]);
  const child = env.topo.spawn(env.guest, cmd, args, { cwd: pkgDir, stdio: ["pipe", "pipe", "inherit"] });
  const line = await waitLine(child, (l) => l.startsWith("{"), "idle connections", 120_000).catch(() => '{"open":0}');
  await sleep(1000);
  const after = rssKb(env.pid);
  if (process.env.NP_SMAPS) writeFileSync(`${process.env.NP_SMAPS}.${env.pid}.smaps`, readFileSync(`/proc/${env.pid}/smaps`));
  child.stdin?.end();
  return { before, after, open: (JSON.parse(line) as { open: number }).open };
}

interface Row {
  variant: Variant;
  g2h1500: number;
  h2g1500: number;
  g2h65520: number;
  h2g65520: number;
  cps: number;
  rssBeforeMb: number;
  rssIdleMb: number;
  idleOpen: number;
  /** Every round's value per column (e.g. `g2h1500`), in round order: the spread behind each median. */
  rounds: Record<string, number[]>;
}

async function teardown(variant: Variant, env: Env): Promise<void> {
  if (env.pid !== null && variant.startsWith("netproxy") && (variant === "netproxy" ? nodeFlags : nodeFlagsB).length) {
    // A graceful stop first, so flags such as --cpu-prof get to write their output.
    process.kill(env.pid, "SIGTERM");
    for (let i = 0; i < 300 && existsSync(`/proc/${env.pid}`); i++) await sleep(100);
  }
  await env.topo.destroy();
  live.delete(env.topo);
}

/** Every variant side by side: per MTU all are set up, then measured in interleaved rounds. */
async function measureAll(variants: Variant[], dir: string): Promise<Row[]> {
  const rows = new Map<Variant, Row>(
    variants.map((v) => [v, { variant: v, g2h1500: NaN, h2g1500: NaN, g2h65520: NaN, h2g65520: NaN, cps: NaN, rssBeforeMb: NaN, rssIdleMb: NaN, idleOpen: NaN, rounds: {} }]),
  );
  const failed = new Set<Variant>();
  for (const mtu of MTUS) {
    const envs = new Map<Variant, Env>();
    try {
      for (const v of variants) {
        if (failed.has(v)) continue;
        try {
          envs.set(v, await setup(v, mtu, dir));
        } catch (e) {
          console.error(`${v} mtu ${mtu}: ${(e as Error).message}`);
          failed.add(v);
        }
      }
      // Idle RSS first, on fresh processes, before throughput runs grow their heaps.
      if (mtu === 1500 && MEASURE.has("idle")) {
        for (const [v, env] of envs) {
          const r = await idleRss(env);
          Object.assign(rows.get(v)!, { rssBeforeMb: r.before / 1024, rssIdleMb: r.after / 1024, idleOpen: r.open });
        }
      }
      const samples = new Map<string, number[]>();
      const take = async (v: Variant, what: string, f: () => Promise<number>) => {
        const k = `${v}/${what}`;
        const x = await f();
        samples.set(k, [...(samples.get(k) ?? []), x]);
        console.error(`mtu ${mtu} ${k}: ${x.toFixed(what === "cps" ? 0 : 2)} (load ${loadavg()[0]!.toFixed(1)})`);
      };
      for (let round = 0; round < REPS; round++) {
        for (const [v, env] of envs) {
          if (mtu === 1500 && MEASURE.has("cps")) await take(v, "cps", () => rate(env));
          if (MEASURE.has("g2h")) await take(v, "g2h", () => iperf(env, false));
          if (MEASURE.has("h2g")) await take(v, "h2g", () => iperf(env, true));
        }
      }
      for (const v of envs.keys()) {
        const row = rows.get(v)!;
        const m = (what: string) => median(samples.get(`${v}/${what}`) ?? []);
        for (const what of ["g2h", "h2g", "cps"]) {
          const got = samples.get(`${v}/${what}`);
          if (got?.length) row.rounds[what === "cps" ? "cps" : `${what}${mtu}`] = got;
        }
        if (mtu === 1500) Object.assign(row, { g2h1500: m("g2h"), h2g1500: m("h2g"), cps: MEASURE.has("cps") ? m("cps") : NaN });
        else Object.assign(row, { g2h65520: m("g2h"), h2g65520: m("h2g") });
      }
    } finally {
      for (const [v, env] of envs) await teardown(v, env);
    }
    console.error(`mtu ${mtu}: done`);
  }
  return variants.filter((v) => !failed.has(v)).map((v) => rows.get(v)!);
}

function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : "n/a";
}

function machine(): string {
  const cpu = cpus()[0]?.model ?? "unknown";
  const v = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: "utf8" }).split("\n")[0]!.trim();
    } catch {
      return "unknown";
    }
  };
  const load = loadavg().map((x) => x.toFixed(1)).join(" ");
  return `nproc ${cpus().length}, ${cpu}, kernel ${release()}, node ${process.version}, ${v("iperf3", ["--version"])}, ${v("slirp4netns", ["--version"])}; load average at the end ${load} (other work on the machine skews results)`;
}

const reason = netnsUnavailableReason();
if (reason) {
  console.error(`bench/netproxy needs network namespaces: ${reason}`);
  process.exit(2);
}
for (const v of ["veth", "slirp4netns", "netproxy", "netproxy-b"]) await Topology.sweepStale(`sbx-bench-${v}`);
const dir = mkdtempSync(join(tmpdir(), "np-bench-"));
let rows: Row[] = [];
try {
  rows = await measureAll(only as Variant[], dir);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const transport: TransportResult[] = [];
if (only.includes("netproxy") && !process.argv.includes("--no-transport")) for (const mtu of MTUS) transport.push(await measureTransport(mtu, full ? 5 : 2));
const slirp = rows.find((r) => r.variant === "slirp4netns");
const ratio = (a: number, b: number | undefined) => (b && Number.isFinite(a) && Number.isFinite(b) ? ` (${(a / b).toFixed(2)}×)` : "");
const lines = [
  `### netproxy data path (${full ? "full" : "CI"} form, ${new Date().toISOString().slice(0, 16)}Z)`,
  "",
  `Machine: ${machine()}. iperf3 ${IPERF_SECS} s per run, one stream; median of ${REPS} round${REPS > 1 ? "s" : ""}, each round measuring every path in turn; connection rate over ${RATE_SECS} s with 8 workers (connect, 1-byte echo, close); RSS of the data-path process (netproxy: node running an esbuild bundle, plus its helper) before and while holding ${IDLE_CONNS} idle TCP connections (1 s after they were opened). Ratios are against slirp4netns.`,
  "",
  `| path | guest→host 1500 (Gbit/s) | host→guest 1500 | guest→host 65520 | host→guest 65520 | new conns/s | RSS idle / with 1,000 conns (MB) |`,
  "|---|---|---|---|---|---|---|",
  ...rows.map(
    (r) =>
      `| ${r.variant} | ${fmt(r.g2h1500)}${ratio(r.g2h1500, slirp?.g2h1500)} | ${fmt(r.h2g1500)}${ratio(r.h2g1500, slirp?.h2g1500)} | ${fmt(r.g2h65520)}${ratio(r.g2h65520, slirp?.g2h65520)} | ${fmt(r.h2g65520)}${ratio(r.h2g65520, slirp?.h2g65520)} | ${fmt(r.cps, 0)}${ratio(r.cps, slirp?.cps)} | ${r.variant === "veth" ? "kernel" : `${fmt(r.rssBeforeMb, 1)} / ${fmt(r.rssIdleMb, 1)} (${r.idleOpen} open)`} |`,
  ),
  "",
  ...roundLines(rows),
  ...(transport.length
    ? [
        "netproxy transport alone (TAP in the namespace, the C relay, the socketpair and StreamLink; no stack): UDP frames per second each way.",
        "",
        "| MTU | frame bytes | guest→link frames/s (Gbit/s) | link→guest frames/s (Gbit/s) |",
        "|---|---|---|---|",
        ...transport.map((t) => `| ${t.mtu} | ${t.frameBytes} | ${t.guestToLink.fps} (${fmt(t.guestToLink.gbps)}) | ${t.linkToGuest.fps} (${fmt(t.linkToGuest.gbps)}) |`),
        "",
      ]
    : []),
];
/** Each round's values behind the medians, so overlapping rounds are visible next to the ratios. */
function roundLines(rs: Row[]): string[] {
  const cols: [string, string, number][] = [
    ["g2h1500", "guest→host 1500", 2],
    ["h2g1500", "host→guest 1500", 2],
    ["g2h65520", "guest→host 65520", 2],
    ["h2g65520", "host→guest 65520", 2],
    ["cps", "new conns/s", 0],
  ];
  const used = cols.filter(([k]) => rs.some((r) => (r.rounds[k]?.length ?? 0) > 1));
  if (!used.length) return [];
  return [
    "Every round, in order (the medians above are of these):",
    "",
    `| path | ${used.map(([, h]) => h).join(" | ")} |`,
    `|---|${used.map(() => "---|").join("")}`,
    ...rs.filter((r) => r.variant !== "veth" || used.some(([k]) => r.rounds[k])).map((r) => `| ${r.variant} | ${used.map(([k, , d]) => (r.rounds[k] ?? []).map((x) => fmt(x, d)).join(", ") || "n/a").join(" | ")} |`),
    "",
  ];
}
const md = lines.join("\n");
// The recorded fragment is the side-by-side comparison; subset runs only print.
if (rows.length === 3 && full && MEASURE.size === 4 && MTUS.length === 2) writeFileSync(join(here, "RESULTS.fragment.md"), md);
console.log(md);
// A variant that could not be measured fails the run (the bounded CI form is a smoke test of the harness).
if (rows.length < only.length) {
  console.error(`bench/netproxy: ${only.length - rows.length} of ${only.length} variants failed (see above)`);
  process.exitCode = 1;
}
