/**
 * CPU time of benchmark processes from /proc (Linux): user + system seconds of a process and,
 * down to `depth` levels, its children. Shared by the benchmarks that report CPU per unit of work.
 */
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux). */
const CLK_TCK = 100;

/**
 * The fields of a /proc stat file (`/proc/<pid>/stat` or `/proc/<pid>/task/<tid>/stat`) after the
 * command name, which may itself hold spaces and parentheses: [0] is field 3 (state), [11] utime,
 * [12] stime. Also returns the command name.
 */
export function procStat(path: string): { comm: string; fields: string[] } {
  const s = readFileSync(path, "utf8");
  const close = s.lastIndexOf(")");
  return { comm: s.slice(s.indexOf("(") + 1, close), fields: s.slice(close + 2).split(" ") };
}

/** CPU seconds (user + system) used so far by `pid` and its descendants up to `depth` levels (0: the process alone). */
export function cpuSecs(pid: number, depth = Infinity): number {
  let ticks = 0;
  const visit = (p: number, d = 0) => {
    if (d > depth) return;
    try {
      const f = procStat(`/proc/${p}/stat`).fields;
      ticks += Number(f[11]) + Number(f[12]); // utime, stime
      for (const t of readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) visit(Number(t), d + 1);
    } catch {
      /* gone */
    }
  };
  visit(pid);
  return ticks / CLK_TCK;
}
