/**
 * A frame link whose device speaks virtio_net_hdr (a netns TAP opened with IFF_VNET_HDR, relayed
 * by the native helper): every frame on the underlying stream carries a 10-byte little-endian
 * header (flags, gso_type, hdr_len, gso_size, csum_start, csum_offset). This link strips it from
 * incoming frames and writes it before outgoing ones, so the stack can hand TCP checksums and
 * segmentation to the kernel: at MTU 1500 a 64 KiB segment crosses the relay as one frame.
 */
import type { LinkOffloads, TxOffload } from "./link.js";
import type { LinkStats, ObservableLink, StreamLink } from "./stream-link.js";

/** Size of struct virtio_net_hdr (without num_buffers). */
export const VNET_HDR_LEN = 10;
/** virtio_net_hdr.flags: the checksum from csum_start must still be computed. */
export const VNET_F_NEEDS_CSUM = 1;

/** Write a virtio_net_hdr at `off` (all zero without `o`: a complete frame, nothing to do). */
export function writeVnetHeader(buf: Uint8Array, off: number, o?: TxOffload): void {
  if (!o) {
    buf.fill(0, off, off + VNET_HDR_LEN);
    return;
  }
  buf[off] = VNET_F_NEEDS_CSUM;
  buf[off + 1] = o.gsoType;
  buf[off + 2] = o.hdrLen & 0xff;
  buf[off + 3] = o.hdrLen >>> 8;
  buf[off + 4] = o.gsoSize & 0xff;
  buf[off + 5] = o.gsoSize >>> 8;
  buf[off + 6] = o.csumStart & 0xff;
  buf[off + 7] = o.csumStart >>> 8;
  buf[off + 8] = o.csumOffset & 0xff;
  buf[off + 9] = o.csumOffset >>> 8;
}

/** Wraps the helper's stream link of a TAP opened with `--vnet-hdr`. */
export class VnetLink implements ObservableLink {
  readonly offloads: LinkOffloads = { checksum: true, tso: true };
  readonly maxFrameSize: number;

  constructor(private readonly inner: StreamLink) {
    this.maxFrameSize = inner.maxFrameSize - VNET_HDR_LEN;
  }

  get name(): string {
    return this.inner.name;
  }

  get stats(): LinkStats {
    return this.inner.stats;
  }

  get queuedBytes(): number {
    return this.inner.queuedBytes;
  }

  onFrame(handler: (frame: Uint8Array) => void): void {
    this.inner.onFrame((f) => {
      // The header only tells how the kernel left the checksum; the stack trusts this device.
      if (f.length <= VNET_HDR_LEN) {
        this.inner.stats.rxRunts++; // a header and nothing after it
        return;
      }
      handler(f.subarray(VNET_HDR_LEN));
    });
  }

  send(frame: Uint8Array): boolean {
    return this.sendWith(frame.length, (buf, off) => buf.set(frame, off));
  }

  sendWith(len: number, fill: (buf: Uint8Array, off: number) => void, offload?: TxOffload): boolean {
    return this.inner.sendWith(len + VNET_HDR_LEN, (buf, off) => {
      writeVnetHeader(buf, off, offload);
      fill(buf, off + VNET_HDR_LEN);
    });
  }

  flush(): void {
    this.inner.flush();
  }

  onDrain(handler: () => void): void {
    this.inner.onDrain(handler);
  }

  onClose(handler: (err?: Error) => void): void {
    this.inner.onClose(handler);
  }

  close(err?: Error): void {
    this.inner.close(err);
  }
}
