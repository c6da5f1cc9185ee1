/**
 * The long-run driver's hang watchdog, kept apart from the process plumbing so it can be tested
 * with a fake clock.
 *
 * The parent ticks it every `intervalMs` and tells it whenever the child reports progress; no
 * progress for `hangMs` is a hang. A tick that comes far later than its interval means the
 * parent itself did not run in between: the whole process group was paused (`kill -STOP -PGID`
 * while a benchmark needs the CPUs, then `kill -CONT -PGID`), or the machine was suspended. The
 * child was stopped too, so its silence says nothing about the input it was on: such a gap is
 * not counted towards the hang, and is added up as paused time so the run's inputs/s is not
 * diluted by it.
 */
export class HangWatchdog {
  private lastTick: number;
  private lastProgress: number;
  private pausedMs = 0;
  /** A gap between ticks larger than this is taken as a pause (always below `hangMs`). */
  readonly gapMs: number;

  constructor(
    readonly intervalMs: number,
    readonly hangMs: number,
    now: number,
  ) {
    this.lastTick = now;
    this.lastProgress = now;
    // 10 intervals (5 s at 500 ms) is far beyond the event-loop lag of a loaded machine, but a
    // pause shorter than the hang limit cannot cause a false hang anyway, so stay below it.
    this.gapMs = Math.min(10 * intervalMs, hangMs / 2);
  }

  /** The child reported progress. */
  progress(now: number): void {
    this.lastProgress = now;
  }

  /** A periodic tick; true when the child has made no progress for `hangMs` of running time. */
  tick(now: number): boolean {
    const gap = now - this.lastTick;
    this.lastTick = now;
    if (gap > this.gapMs) {
      // Paused: restart the no-progress clock and count the gap (minus the tick it replaces).
      this.pausedMs += gap - this.intervalMs;
      this.lastProgress = now;
      return false;
    }
    return now - this.lastProgress > this.hangMs;
  }

  /** Total time the process group was seen paused, in ms. */
  get paused(): number {
    return this.pausedMs;
  }
}
