/**
 * CPU time of benchmark processes from /proc (Linux): user + system seconds of a process and,
 * down to `depth` levels, its children. Shared by the benchmarks that report CPU per unit of work.
 */
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux). */
const CLK_TCK = 100;

/** CPU seconds (user + system) used so far by `pid` and its descendants up to `depth` levels (0: the process alone). */
export function cpuSecs(pid: number, depth = Infinity): number {
  let ticks = 0;
  const visit = (p: number, d = 0) => {
    if (d > depth) return;
    try {
      const f = readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]!.split(" ");
      ticks += Number(f[11]) + Number(f[12]); // utime, stime
      for (const t of readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) visit(Number(t), d + 1);
    } catch {
      /* gone */
    }
  };
  visit(pid);
  return ticks / CLK_TCK;
}
