/**
 * bench/vm: one QEMU + test-guest run per network backend — SLIRP (`full`), passt, and
 * @sandbox/netproxy (`policy`) — measuring time from QEMU start to the guest's DHCP lease and
 * iperf3 throughput guest→host and host→guest (`-R`), all with virtio-net MTU 1500.
 * Every backend's far end is loopback or a host inside a network namespace this script creates.
 *
 * Run: `pnpm --filter @sandbox/vmm-qemu bench:vm` (root; needs qemu, passt, iperf3, the test guest).
 * Rounds (`--rounds N`, default 3): each round boots every backend once, in turn, so load that
 * comes and goes hits all of them alike; medians are reported. `--only slirp,passt,netproxy`
 * runs a subset (printed, not recorded). The full set writes bench/vm/RESULTS.fragment.md.
 *
 * Diagnostics (stderr, not recorded): every round prints the guest's TCP_INFO for guest→host
 * (interval means of cwnd, the peer's window, srtt; retransmits) and the guest's own counters over
 * guest→host: virtio interrupts per queue, its CPU ticks by kind (10 ms of wall time: a vCPU thread
 * waiting for a host CPU counts in whatever the guest was doing) and TCP segments in and out.
 * BENCH_VM_THREADS=1 adds per-thread CPU and run-queue wait over the middle of guest→host, and the
 * busiest processes' read/write call and context-switch rates (threads.ts); BENCH_VM_PCAP=<dir> records
 * the guest's netdev with QEMU's filter-dump and summarises the bulk flow (pcap-summary.ts);
 * BENCH_VM_NETPROXY_PROF=<dir> writes a V8 CPU profile of netproxy (cpu-prof-preload.mjs).
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildGuest, probeKvm, startVm, which, type QemuNetworkSettingsInput, type QemuVm } from "../../packages/vmm-qemu/src/index.js";
import { spawnNetproxy, Topology } from "../../packages/netproxy/src/netns/index.js";
import { summarize } from "./pcap-summary.js";
import { threadCpu } from "./threads.js";
import { netproxyState } from "../../packages/vmm-qemu/test/e2e/netproxy-state.js";

const gbit = (m?: number): string => (m === undefined ? "–" : (m / 1000).toFixed(2));

const SECONDS = Number(process.env.BENCH_IPERF_SECONDS ?? 10);
const arg = (flag: string): string | undefined => {
  const i = process.argv.indexOf(flag);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const ROUNDS = Math.max(1, Number(arg("--rounds") ?? 3));
const ONLY = arg("--only")?.split(",");
const PORT = 5201;
/** Diagnostics (not recorded): per-thread CPU during guest→host, and a pcap of the guest's netdev. */
const THREADS = process.env.BENCH_VM_THREADS === "1";
const PCAP_DIR = process.env.BENCH_VM_PCAP;
/** Diagnostics: a V8 CPU profile of the netproxy process into this directory. */
const PROF_DIR = process.env.BENCH_VM_NETPROXY_PROF;

interface Row {
  backend: string;
  leaseMs?: number;
  upMbps?: number;
  downMbps?: number;
  note: string;
}

interface Backend {
  name: string;
  /** Sets up the far side; returns the guest's iperf3 target, network settings and a cleanup. */
  setup(): Promise<{ target: string; network: QemuNetworkSettingsInput; afterStart?: (vm: QemuVm) => Promise<void>; cleanup: () => Promise<void> } | string>;
}

function waitPort(cmd: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = "";
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (/Server listening/.test(out)) resolve();
    };
    cmd.stdout?.on("data", onData);
    cmd.once("exit", (c) => reject(new Error(`${what} exited (${c}): ${out}`)));
  });
}

const backends: Backend[] = [
  {
    name: "SLIRP (network_mode full)",
    async setup() {
      const iperf = spawn("iperf3", ["-s", "--forceflush", "-B", "127.0.0.1", "-p", String(PORT)], { stdio: ["ignore", "pipe", "pipe"] });
      await waitPort(iperf, "iperf3 server");
      return { target: "10.0.2.2", network: { network_mode: "full", mtu: 1500 }, cleanup: async () => void iperf.kill("SIGKILL") };
    },
  },
  {
    name: "passt (-netdev stream, unix socket)",
    async setup() {
      if (!which("passt")) return "passt is not installed";
      const topo = new Topology("benchvm");
      const ns = await topo.netns("passt");
      const far = await topo.netns("far");
      await topo.veth(ns, "pt0", "198.51.100.2/24", far, "pt1", "198.51.100.1/24");
      await topo.route(ns, "default", "via", "198.51.100.1");
      const dir = mkdtempSync(join(tmpdir(), "bench-passt-"));
      chmodSync(dir, 0o777); // passt drops to nobody before binding
      const sock = join(dir, "passt.sock");
      topo.spawn(ns, "passt", ["-f", "-1", "-s", sock]);
      const iperf = topo.spawn(ns, "iperf3", ["-s", "--forceflush", "-B", "127.0.0.1", "-p", String(PORT)]);
      await waitPort(iperf, "iperf3 server");
      for (let i = 0; i < 50 && !existsSock(sock); i++) await new Promise((r) => setTimeout(r, 100));
      // passt maps connections to its gateway (198.51.100.1) to its namespace's loopback
      return { target: "198.51.100.1", network: { network_mode: "policy", mtu: 1500, frame_transport: { unix_path: sock } }, cleanup: () => topo.destroy() };
    },
  },
  {
    name: "@sandbox/netproxy (network_mode policy, fd socketpair)",
    async setup() {
      const state = await netproxyState();
      if (state.reason) return state.reason;
      const topo = new Topology("benchvm");
      const ns = await topo.netns("np");
      const far = await topo.netns("far");
      await topo.veth(ns, "vp0", "203.0.113.1/24", far, "vp1", "203.0.113.10/24");
      const iperf = topo.spawn(far, "iperf3", ["-s", "--forceflush", "-B", "203.0.113.10", "-p", String(PORT)]);
      await waitPort(iperf, "iperf3 server");
      const dir = mkdtempSync(join(tmpdir(), "bench-np-"));
      const config = {
        policy: {
          default_egress: "deny",
          default_ingress: "deny",
          rules: [{ direction: "egress", destination: { cidr: "203.0.113.10/32" }, protocols: ["tcp"], ports: [{ start: PORT, end: PORT }], action: "allow" }],
        },
        interface: { mtu: 1500 },
      };
      return {
        target: "203.0.113.10",
        network: { network_mode: "policy", mtu: 1500, frame_transport: { fd: 3 } },
        afterStart: async (vm) => {
          const preload = fileURLToPath(new URL("./cpu-prof-preload.mjs", import.meta.url));
          const env = PROF_DIR ? { NODE_OPTIONS: `--import ${preload}`, CPU_PROF_DIR: PROF_DIR } : undefined;
          const proxy = spawnNetproxy(topo, ns, { config, dir, listen: "fd:3", fd3: vm.frameSocket!, ...(env ? { env } : {}) });
          vm.frameSocket!.destroy();
          await proxy.attached(30_000);
        },
        // with a CPU profile: let netproxy see QEMU's EOF and exit by itself (the profile is written at exit)
        cleanup: async () => {
          if (PROF_DIR) await new Promise((r) => setTimeout(r, 2000));
          await topo.destroy();
        },
      };
    },
  },
];

function existsSock(p: string): boolean {
  try {
    readFileSync(p);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENXIO";
  }
}

// Guest→host runs with -J so the guest's own view of the sender comes back too: the mean of the
// per-interval congestion window, peer window (snd_wnd) and smoothed RTT from TCP_INFO, and the
// retransmissions.
const scenario = (target: string): string => `
rate() { awk '/receiver/ {print $(NF-2); exit}'; }
tcpinfo() { awk -F: '
/"snd_cwnd"/ {c+=$2; n++} /"snd_wnd"/ {w+=$2; nw++} /"rtt"/ {r+=$2; nr++}
/"sum_sent"/ {ss=1} /"sum_received"/ {sr=1}
sr && /"bits_per_second"/ {bps=$2; sr=0} ss && /"retransmits"/ {retr=$2; ss=0}
END {printf "mbps=%.0f cwnd=%d snd_wnd=%d rtt_us=%d retr=%d", bps/1e6, n?c/n:0, nw?w/nw:0, nr?r/nr:0, retr}'; }
guestcounters() {
  awk '/virtio/ {printf "irq_%s=%s ", $NF, $2}' /proc/interrupts
  awk '/^cpu / {printf "ticks_user=%s ticks_sys=%s ticks_idle=%s ticks_softirq=%s ", $2+$3, $4, $5+$6, $8}' /proc/stat
  awk '/^Tcp:/ && n++ {printf "tcp_insegs=%s tcp_outsegs=%s", $11, $12}' /proc/net/snmp
}
echo "@@sandbox phase name=up"
before=$(guestcounters)
up=$(iperf3 -c ${target} -p ${PORT} -t ${SECONDS} -J 2>&1 | tcpinfo)
after=$(guestcounters)
result iperf_up ok \${up}
result guest_up_before ok \${before}
result guest_up_after ok \${after}
echo "@@sandbox phase name=down"
down=$(iperf3 -c ${target} -p ${PORT} -t ${SECONDS} -f m -R 2>&1 | rate)
result iperf_down ok mbps=\${down:-none}
`;

async function measure(b: Backend, image: { kernel: string; initrd: string }): Promise<Row> {
  const env = await b.setup();
  if (typeof env === "string") return { backend: b.name, note: `not run: ${env}` };
  let vm: QemuVm | undefined;
  try {
    const pcap = PCAP_DIR ? join(PCAP_DIR, `${b.name.split(" ")[0]!.replace(/\W/g, "")}-${Date.now()}.pcap`) : undefined;
    // QEMU's filter-dump sees both directions of the guest's netdev (it costs QEMU's main thread time).
    const extraArgs = pcap ? ["-object", `filter-dump,id=benchdump,netdev=net0,file=${pcap},maxlen=80`] : [];
    vm = await startVm({ boot: image, network: env.network, scenario: scenario(env.target), extraArgs });
    const t0 = performance.now(); // QEMU is running from here
    await env.afterStart?.(vm);
    const lease = await vm.waitForEvent("lease", 60_000);
    const leaseMs = Math.round(performance.now() - t0);
    if (lease.fields.failed) return { backend: b.name, note: "no DHCP lease" };
    if (THREADS) {
      await vm.waitUntil(() => vm!.events.find((e) => e.event === "phase" && e.fields.name === "up"), 60_000, "guest→host phase");
      await new Promise((r) => setTimeout(r, 2000));
      const { threads: top, processes } = await threadCpu((SECONDS - 4) * 1000);
      process.stderr.write(`  threads during guest→host (% of one core): ${top.slice(0, 10).map((t) => `${t.name} ${t.pct} (waiting ${t.waitPct})`).join(", ")}; load ${loadavg()[0]!.toFixed(1)}\n`);
      process.stderr.write(`  per second: ${processes.map((p) => `${p.name} ${p.reads} read(v) and ${p.writes} write(v) calls (recvmsg/sendmsg not counted), main thread ${p.sleeps} sleeps and ${p.preempted} preemptions`).join("; ")}\n`);
    }
    await vm.waitForEvent("done", 60_000 + 4 * SECONDS * 1000);
    const r = vm.results();
    const up = r.get("iperf_up")?.fields;
    const before = r.get("guest_up_before")?.fields;
    const after = r.get("guest_up_after")?.fields;
    if (before && after) {
      const deltas = Object.keys(after).filter((k) => k !== "name" && k !== "status" && k in before);
      process.stderr.write(`  guest counters over guest→host (deltas): ${deltas.map((k) => `${k} ${Number(after[k]) - Number(before[k])}`).join(", ")}\n`);
    }
    if (up) process.stderr.write(`  guest TCP_INFO (guest→host, interval means): cwnd ${up.cwnd} B, snd_wnd ${up.snd_wnd} B, srtt ${up.rtt_us} µs, retransmits ${up.retr}\n`);
    if (pcap) process.stderr.write(summarize(pcap, lease.fields.ip ?? "") + "\n");
    const num = (n: string): number | undefined => {
      const v = Number(r.get(n)?.fields.mbps);
      return Number.isFinite(v) && v > 0 ? v : undefined;
    };
    return {
      backend: b.name,
      leaseMs,
      upMbps: num("iperf_up"),
      downMbps: num("iperf_down"),
      note: `accel ${vm.accel}, guest MTU ${lease.fields.ifmtu ?? "?"}${lease.fields.mtu !== "none" ? ` (DHCP offered ${lease.fields.mtu})` : ""}`,
    };
  } finally {
    await vm?.stop();
    await env.cleanup();
  }
}

const image = buildGuest();
const loadBefore = loadavg()[0]!.toFixed(1);
await probeKvm(which("qemu-system-x86_64") ?? "qemu-system-x86_64"); // once, outside the timings
const chosen = backends.filter((b) => !ONLY || ONLY.some((o) => b.name.toLowerCase().includes(o.toLowerCase())));
const runs = new Map<string, Row[]>(chosen.map((b) => [b.name, []]));
for (let round = 1; round <= ROUNDS; round++) {
  for (const b of chosen) {
    process.stderr.write(`bench/vm: round ${round}/${ROUNDS}: ${b.name}...\n`);
    const row = await measure(b, image).catch((e: Error) => ({ backend: b.name, note: `failed: ${e.message.split("\n")[0]}` }));
    runs.get(b.name)!.push(row);
    process.stderr.write(`  ${JSON.stringify(row)}\n`);
  }
}
function median(xs: (number | undefined)[]): number | undefined {
  const v = xs.filter((x): x is number => x !== undefined).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : Math.round((v[m - 1]! + v[m]!) / 2);
}
const rows: Row[] = chosen.map((b) => {
  const rs = runs.get(b.name)!;
  const ok = rs.filter((r) => r.leaseMs !== undefined);
  if (ok.length === 0) return rs[rs.length - 1]!;
  const failed = rs.length - ok.length;
  return {
    backend: b.name,
    leaseMs: median(ok.map((r) => r.leaseMs)),
    upMbps: median(ok.map((r) => r.upMbps)),
    downMbps: median(ok.map((r) => r.downMbps)),
    note: `${ok[0]!.note}; ${ok.map((r) => `${gbit(r.upMbps)}/${gbit(r.downMbps)}`).join(", ")}${failed ? `; ${failed} round(s) failed` : ""}`,
  };
});

const qemuVersion = execFileSync("qemu-system-x86_64", ["--version"], { encoding: "utf8" }).split("\n")[0];
const manifest = JSON.parse(readFileSync(join(image.dir, "manifest.json"), "utf8")) as { kernel_release: string };
const md = [
  "## bench/vm — QEMU guest networking: SLIRP vs passt vs @sandbox/netproxy",
  "",
  `Machine: ${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores; ${qemuVersion}; guest kernel ${manifest.kernel_release} (test guest ${image.hash}); ` +
    `1 vCPU, 256 MiB; virtio-net host_mtu=1500; iperf3 ${SECONDS} s per direction; median of ${ROUNDS} round(s), each booting every backend in turn (per-round up/down figures in the note); ${new Date().toISOString().slice(0, 10)}; ` +
    `1-min load average ${loadBefore} before / ${loadavg()[0]!.toFixed(1)} after (other work shared the machine).`,
  "",
  "| backend | QEMU start → DHCP lease (ms) | guest→host (Gbit/s) | host→guest (Gbit/s) | note |",
  "|---|---:|---:|---:|---|",
  ...rows.map((r) => `| ${r.backend} | ${r.leaseMs ?? "–"} | ${gbit(r.upMbps)} | ${gbit(r.downMbps)} | ${r.note} |`),
  "",
  "Far ends: SLIRP → iperf3 on host 127.0.0.1 via 10.0.2.2; passt (in its own netns) → its gateway, mapped to its loopback;",
  "netproxy (in its own netns) → iperf3 on 203.0.113.10 in a peer netns, allowed by a CIDR rule. host→guest is `iperf3 -R`.",
  "For scale (issue 6, the reference machine under TCG, MTU 1500, unloaded): SLIRP 0.24 guest→host / 0.72 host→guest,",
  "passt 0.75 / 0.64 Gbit/s. Under TCG the single vCPU thread dominates and other load on the machine moves every figure.",
  "",
].join("\n");
if (chosen.length === backends.length) writeFileSync(fileURLToPath(new URL("./RESULTS.fragment.md", import.meta.url)), md);
process.stdout.write(md);
process.exit(0);
