/**
 * How long this process has been stopped (SIGSTOP ... SIGCONT), so that one input that was
 * running when the fuzz run was paused is not recorded as a slow input. The main thread is busy in
 * the parser and cannot see a pause itself; a worker thread ticks every `tickMs` and adds any gap
 * far longer than that (the whole process was stopped) to a shared counter.
 */
import { Worker } from "node:worker_threads";

const WORKER = `
const { workerData: { cell, tickMs, gapMs } } = require("node:worker_threads");
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  const gap = now - last;
  last = now;
  if (gap > gapMs) Atomics.add(cell, 0, Math.round(gap - tickMs));
  Atomics.add(cell, 1, 1);
  Atomics.notify(cell, 1);
}, tickMs);
`;

export class PauseClock {
  /** [0]: paused ms in all; [1]: ticks so far. */
  private readonly cell = new Int32Array(new SharedArrayBuffer(8));
  private readonly worker: Worker;

  constructor(tickMs = 50, gapMs = 1000) {
    // No loader hooks in the worker (execArgv []): it only ticks.
    this.worker = new Worker(WORKER, { eval: true, execArgv: [], workerData: { cell: this.cell, tickMs, gapMs } });
    this.worker.unref();
  }

  /** Milliseconds the process has been seen stopped so far. */
  get pausedMs(): number {
    return Atomics.load(this.cell, 0);
  }

  /** Wait (at most `ms`) for the worker's next tick, so that a pause that just ended is counted. */
  settle(ms = 200): void {
    Atomics.wait(this.cell, 1, Atomics.load(this.cell, 1), ms);
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
