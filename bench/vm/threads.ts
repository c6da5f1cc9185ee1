/**
 * Per-thread CPU over a time window, machine-wide, from /proc/<pid>/task/<tid>/stat
 * (utime + stime, clock ticks). Used by bench/vm (BENCH_VM_THREADS=1) to see, during a transfer,
 * how busy the guest's vCPU thread, QEMU's main thread and the backend (node, passt) are.
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

function snapshot(): Map<string, Sample> {
  const out = new Map<string, Sample>();
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
  return out;
}

/**
 * CPU share (percent of one core) per thread over `ms`, busiest first, threads above 2%, with the
 * share of the window it was runnable but waiting for a CPU (`waitPct`).
 */
export async function threadCpu(ms: number): Promise<{ name: string; pct: number; waitPct: number }[]> {
  const a = snapshot();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const b = snapshot();
  const secs = (performance.now() - t0) / 1000;
  const rows: { name: string; pct: number; waitPct: number }[] = [];
  for (const [k, s] of b) {
    const d = s.ticks - (a.get(k)?.ticks ?? 0);
    const pct = (100 * d) / TICK / secs;
    const waitPct = (100 * (s.waitNs - (a.get(k)?.waitNs ?? 0))) / 1e9 / secs;
    if (pct >= 2) rows.push({ name: s.name, pct: Math.round(pct), waitPct: Math.round(waitPct) });
  }
  return rows.sort((x, y) => y.pct - x.pct);
}
