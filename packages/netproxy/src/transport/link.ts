/**
 * The contract between a frame transport (QEMU stream/dgram socket, libkrun unixgram/unixstream,
 * TAP device) and the network stack: whole Ethernet frames in both directions, with backpressure.
 */

/**
 * What a link's device does for the stack, as virtio-net offloads do (a netns TAP opened with a
 * virtio_net_hdr): the device is the local kernel, so partial checksums are trusted.
 */
export interface LinkOffloads {
  /** Incoming frames may carry partial checksums (do not verify them); outgoing TCP may leave its checksum to the device. */
  readonly checksum: boolean;
  /** Outgoing TCP segments may be up to 64 KiB, cut by the device at `gsoSize`; incoming ones may exceed the MTU. */
  readonly tso: boolean;
}

/** Offload instructions for one outgoing frame (virtio_net_hdr semantics; offsets from the frame start). */
export interface TxOffload {
  /** Where the device starts summing (the L4 header), and where in it the checksum goes (TCP 16). */
  readonly csumStart: number;
  readonly csumOffset: number;
  /** 0 = no segmentation, 1 = TCP over IPv4, 4 = TCP over IPv6. */
  readonly gsoType: 0 | 1 | 4;
  /** Payload bytes per segment the device cuts (the guest's MSS); 0 without segmentation. */
  readonly gsoSize: number;
  /** Ethernet + IP + TCP header bytes (copied to every segment). */
  readonly hdrLen: number;
}

/** A bidirectional carrier of whole Ethernet frames (no length prefix, no virtio-net header). */
export interface FrameLink {
  /** Offloads the device provides; absent = none (every checksum verified and written, frames <= MTU). */
  readonly offloads?: LinkOffloads;
  /**
   * Queue one frame towards the guest. Returns false when the link's bounded TX queue is above its
   * high-water mark: the caller should stop sending until `onDrain` fires. A frame handed over is
   * never silently dropped by the link unless the link is closed.
   */
  send(frame: Uint8Array): boolean;
  /**
   * Optional zero-copy form of `send`: reserve `len` bytes in the TX queue and let `fill(buf, off)`
   * write the frame at `buf[off, off+len)` in place. Same limits, counters and return value as
   * `send`; if `fill` throws, nothing is queued and the error propagates. `offload` is honoured
   * only by links that declare `offloads`.
   */
  sendWith?(len: number, fill: (buf: Uint8Array, off: number) => void, offload?: TxOffload): boolean;
  /**
   * Optional: hand frames still staged for a later batched write to the transport now (a caller
   * that ends a batch, e.g. the deferred ACKs of one event-loop turn, so they do not wait a turn).
   */
  flush?(): void;
  /**
   * Register the receiver of frames coming from the guest (one per link). A link never reuses or
   * changes a frame's bytes after delivering it: the stack may keep views of them (payload
   * queued for an upstream socket) instead of copying.
   */
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
