/**
 * Per-thread CPU over a time window, machine-wide, from /proc/<pid>/task/<tid>/stat
 * (utime + stime, clock ticks). Used by bench/vm (BENCH_VM_THREADS=1) to see, during a transfer,
 * how busy the guest's vCPU thread, QEMU's main thread and the backend (node, passt) are, and, for
 * the processes of the busiest threads, how often they call read/readv and write/writev
 * (/proc/<pid>/io syscr/syscw, which do not count recvmsg/sendmsg) and how often their main
 * thread sleeps or is preempted (/proc/<pid>/status).
 */
import { readdirSync, readFileSync } from "node:fs";
import { procStat } from "../proc-cpu.js";

const TICK = 100; // USER_HZ on Linux

interface Sample {
  name: string;
  ticks: number;
  /** Nanoseconds spent runnable but waiting for a CPU (schedstat field 2). */
  waitNs: number;
}

interface Snapshot {
  /** By `pid/tid`. */
  threads: Map<string, Sample>;
  /** By pid: {@link processCounters}. */
  counters: Map<string, number[]>;
  comms: Map<string, string>;
}

function snapshot(): Snapshot {
  const out = new Map<string, Sample>();
  const counters = new Map<string, number[]>();
  const comms = new Map<string, string>();
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    let comm = "?";
    let tids: string[];
    try {
      comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    comms.set(pid, comm);
    const c = processCounters(pid);
    if (c) counters.set(pid, c);
    for (const tid of tids) {
      try {
        const { comm: tcomm, fields: f } = procStat(`/proc/${pid}/task/${tid}/stat`);
        let waitNs = 0;
        try {
          waitNs = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[1]);
        } catch {
          // no schedstats in this kernel
        }
        out.set(`${pid}/${tid}`, { name: `${comm}[${pid}]${tid === pid ? "" : `/${tcomm}`}`, ticks: Number(f[11]) + Number(f[12]), waitNs });
      } catch {
        // the thread ended
      }
    }
  }
  return { threads: out, counters, comms };
}

/** read(v)/write(v) call counts of a process and the context switches of its main thread. */
function processCounters(pid: string): number[] | undefined {
  try {
    const io = readFileSync(`/proc/${pid}/io`, "utf8");
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (text: string, name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? NaN);
    return [field(io, "syscr"), field(io, "syscw"), field(status, "voluntary_ctxt_switches"), field(status, "nonvoluntary_ctxt_switches")];
  } catch {
    return undefined; // gone, or not ours to read
  }
}

/** Rates per second over the window for one process (see {@link threadCpu}). */
export interface ProcessRates {
  name: string;
  reads: number;
  writes: number;
  /** Voluntary context switches of the main thread (it blocked: a wake-up each). */
  sleeps: number;
  /** Involuntary context switches of the main thread. */
  preempted: number;
}

/**
 * CPU share (percent of one core) per thread over `ms`, busiest first, threads above 2%, with the
 * share of the window it was runnable but waiting for a CPU (`waitPct`); and the syscall and
 * context-switch rates of the processes the five busiest threads belong to.
 */
export async function threadCpu(ms: number): Promise<{ threads: { name: string; pct: number; waitPct: number }[]; processes: ProcessRates[] }> {
  const a = snapshot();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const b = snapshot();
  const secs = (performance.now() - t0) / 1000;
  const rows: { name: string; pct: number; waitPct: number; pid: string }[] = [];
  for (const [k, s] of b.threads) {
    const d = s.ticks - (a.threads.get(k)?.ticks ?? 0);
    const pct = (100 * d) / TICK / secs;
    const waitPct = (100 * (s.waitNs - (a.threads.get(k)?.waitNs ?? 0))) / 1e9 / secs;
    if (pct >= 2) rows.push({ name: s.name, pct: Math.round(pct), waitPct: Math.round(waitPct), pid: k.split("/")[0]! });
  }
  rows.sort((x, y) => y.pct - x.pct);
  const pids = [...new Set(rows.slice(0, 5).map((r) => r.pid))];
  const processes: ProcessRates[] = [];
  for (const pid of pids) {
    const x = a.counters.get(pid);
    const y = b.counters.get(pid);
    if (!x || !y) continue;
    const [reads, writes, sleeps, preempted] = y.map((v, i) => Math.round((v - x[i]!) / secs));
    processes.push({ name: `${b.comms.get(pid) ?? "?"}[${pid}]`, reads: reads!, writes: writes!, sleeps: sleeps!, preempted: preempted! });
  }
  return { threads: rows.map(({ pid: _pid, ...r }) => r), processes };
}
