/**
 * The contract between a frame transport (QEMU stream/dgram socket, libkrun unixgram/unixstream,
 * TAP device) and the network stack: whole Ethernet frames in both directions, with backpressure.
 */

/** A bidirectional carrier of whole Ethernet frames (no length prefix, no virtio-net header). */
export interface FrameLink {
  /**
   * Queue one frame towards the guest. Returns false when the link's bounded TX queue is above its
   * high-water mark: the caller should stop sending until `onDrain` fires. A frame handed over is
   * never silently dropped by the link unless the link is closed.
   */
  send(frame: Uint8Array): boolean;
  /**
   * Optional zero-copy form of `send`: reserve `len` bytes in the TX queue and let `fill(buf, off)`
   * write the frame at `buf[off, off+len)` in place. Same limits, counters and return value as
   * `send`; if `fill` throws, nothing is queued and the error propagates.
   */
  sendWith?(len: number, fill: (buf: Uint8Array, off: number) => void): boolean;
  /** Register the receiver of frames coming from the guest (one per link). */
  onFrame(handler: (frame: Uint8Array) => void): void;
  /** Register a callback for when the TX queue has drained below its low-water mark. */
  onDrain(handler: () => void): void;
  /** Register a callback for when the link closes (peer went away or `close()` was called). */
  onClose(handler: (err?: Error) => void): void;
  /** Largest frame (bytes, without any transport prefix) the link carries. */
  readonly maxFrameSize: number;
  /** Close the link and release its resources. */
  close(): void;
}
