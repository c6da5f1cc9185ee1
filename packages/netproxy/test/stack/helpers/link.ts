/** An in-memory FrameLink for tests: both directions are delivered asynchronously in batches. */
import type { FrameLink } from "../../../src/transport/link.js";

/** Test link with hooks for dropping/observing frames. */
export class MemoryLink implements FrameLink {
  readonly maxFrameSize = 65550;
  private onFrameH: ((f: Uint8Array) => void) | null = null;
  private onDrainH: (() => void) | null = null;
  private onCloseH: ((err?: Error) => void) | null = null;
  private toGuestQ: Uint8Array[] = [];
  private toStackQ: Uint8Array[] = [];
  private scheduled = false;
  /** Frames the stack sent (every one, before filtering). */
  sentCount = 0;
  /** Return false from send() when more than this many frames are queued (backpressure). */
  highWater = Infinity;
  /** Decide what happens to a frame on its way to the guest. */
  filterToGuest: (f: Uint8Array) => "pass" | "drop" = () => "pass";
  /** The guest side. */
  guestReceive: (f: Uint8Array) => void = () => {};
  closed = false;

  send(frame: Uint8Array): boolean {
    if (this.closed) return false;
    this.sentCount++;
    this.toGuestQ.push(Uint8Array.from(frame));
    this.schedule();
    return this.toGuestQ.length <= this.highWater;
  }
  onFrame(h: (f: Uint8Array) => void): void {
    this.onFrameH = h;
  }
  onDrain(h: () => void): void {
    this.onDrainH = h;
  }
  onClose(h: (err?: Error) => void): void {
    this.onCloseH = h;
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onCloseH?.();
  }
  /** Deliver a frame from the guest to the stack (asynchronously). */
  inject(frame: Uint8Array): void {
    this.toStackQ.push(frame);
    this.schedule();
  }
  /** Deliver a frame to the stack synchronously (for robustness tests). */
  injectNow(frame: Uint8Array): void {
    this.onFrameH?.(frame);
  }
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.pump());
  }
  private pump(): void {
    this.scheduled = false;
    const toGuest = this.toGuestQ;
    this.toGuestQ = [];
    const toStack = this.toStackQ;
    this.toStackQ = [];
    const wasBlocked = toGuest.length > this.highWater;
    for (const f of toGuest) if (this.filterToGuest(f) === "pass") this.guestReceive(f);
    if (wasBlocked) this.onDrainH?.();
    for (const f of toStack) this.onFrameH?.(f);
  }
}
