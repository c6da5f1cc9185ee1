/**
 * Child of gc-threads.test.ts: allocates ArrayBuffers the way the data path does (a fresh one per
 * read, most dropped soon) and prints the CPU ticks its main thread and all other threads used
 * meanwhile. With `keep` as argv[2] it first calls keepGcOnMainThread().
 */
import { readdirSync, readFileSync } from "node:fs";
import { keepGcOnMainThread } from "../../src/gc-threads.js";

function ticks(): { main: number; others: number } {
  let main = 0;
  let others = 0;
  for (const tid of readdirSync("/proc/self/task")) {
    const f = readFileSync(`/proc/self/task/${tid}/stat`, "utf8").split(") ")[1]!.split(" ");
    const t = Number(f[11]) + Number(f[12]); // utime + stime
    if (Number(tid) === process.pid) main += t;
    else others += t;
  }
  return { main, others };
}

if (process.argv[2] === "keep") keepGcOnMainThread();
const kept: Buffer[] = [];
const before = ticks();
for (let i = 0; i < 300_000; i++) {
  const b = Buffer.allocUnsafeSlow(65536 >> (i % 4));
  if (i % 50 === 0) kept.push(b);
  if (kept.length > 2000) kept.length = 0;
}
const after = ticks();
process.stdout.write(JSON.stringify({ main: after.main - before.main, others: after.others - before.others }) + "\n");
