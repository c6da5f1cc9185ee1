/**
 * Frame output towards the guest: wraps L4 payloads in IPv4/IPv6 and Ethernet, fragments
 * datagrams larger than the MTU (IPv4 fragments, IPv6 fragment header), tracks the link's
 * backpressure and wakes waiting flows when it drains.
 */
import { ETH_HEADER_LEN, ETHERTYPE, writeEthernetHeader } from "../frame/ethernet.js";
import { IPPROTO, IPV4_HEADER_LEN, writeIpv4Header } from "../frame/ipv4.js";
import { IPV6_HEADER_LEN, writeIpv6Header } from "../frame/ipv6.js";
import type { FrameLink, TxOffload } from "../transport/link.js";
import type { AddressPlan } from "./addr.js";

/** Something waiting for the link to drain. */
export interface DrainWaiter {
  resume(): void;
}

/** Builds and sends frames to the guest. */
export class FrameOutput {
  /** The guest's MAC (learned from its frames; initially the planned one). */
  guestMac: Uint8Array;
  private blocked = false;
  private readonly waiters = new Set<DrainWaiter>();
  private ipId = 1;
  private fragId = 1;
  framesOut = 0;
  bytesOut = 0;
  /** Frames the link refused by throwing. */
  sendErrors = 0;
  private closed = false;

  constructor(
    private readonly link: FrameLink,
    private readonly plan: AddressPlan,
  ) {
    this.guestMac = Uint8Array.from(plan.guestMac);
    link.onDrain(() => {
      this.blocked = false;
      const ws = [...this.waiters];
      this.waiters.clear();
      for (const w of ws) {
        if (this.blocked) {
          this.waiters.add(w);
          continue;
        }
        w.resume();
      }
    });
  }

  /** Whether the link asked for backpressure and has not drained yet. */
  get isBlocked(): boolean {
    return this.blocked;
  }

  /** Register a waiter for the next drain. */
  waitDrain(w: DrainWaiter): void {
    this.waiters.add(w);
  }

  /** Forget a waiter (its flow ended). */
  forget(w: DrainWaiter): void {
    this.waiters.delete(w);
  }

  /** Mark the output closed (no more sends). */
  close(): void {
    this.closed = true;
    this.waiters.clear();
  }

  /** Send a complete Ethernet frame. */
  sendFrame(frame: Uint8Array): boolean {
    return this.emit(frame.length, (buf, off) => buf.set(frame, off));
  }

  /** Queue a frame of `len` bytes written by `fill`: in place when the link can, else through a buffer. */
  private emit(len: number, fill: (buf: Uint8Array, off: number) => void, offload?: TxOffload): boolean {
    if (this.closed) return false;
    this.framesOut++;
    this.bytesOut += len;
    let ok: boolean;
    try {
      if (this.link.sendWith) ok = this.link.sendWith(len, fill, offload);
      else {
        const frame = Buffer.allocUnsafe(len);
        fill(frame, 0);
        ok = this.link.send(frame);
      }
    } catch {
      // A link that refuses a frame (size, closed) must not break the flow logic: TCP retransmits.
      this.sendErrors++;
      return false;
    }
    if (!ok) this.blocked = true;
    return ok;
  }

  /** Write what the link has staged now (the end of a batch of deferred frames). */
  flush(): void {
    if (!this.closed) this.link.flush?.();
  }

  /** Largest L4 length that fits one packet from `src`. */
  maxL4(src: Uint8Array): number {
    return this.plan.mtu - (src.length === 4 ? IPV4_HEADER_LEN : IPV6_HEADER_LEN);
  }

  /**
   * Send one IP packet carrying an L4 message of `l4Len` bytes, written by `write(buf, off)`.
   * Packets larger than the MTU are fragmented, unless `offload` asks the link (which must declare
   * the offloads) to segment them (`gsoSize`) and to complete the L4 checksum that `write` left
   * partial. Returns false when the link asked for backpressure.
   */
  sendIp(
    src: Uint8Array,
    dst: Uint8Array,
    protocol: number,
    l4Len: number,
    write: (buf: Uint8Array, off: number) => void,
    offload?: { csumOffset: number; l4HeaderLen: number; gsoSize: number },
  ): boolean {
    const v4 = src.length === 4;
    const ipLen = v4 ? IPV4_HEADER_LEN : IPV6_HEADER_LEN;
    let tx: TxOffload | undefined;
    if (offload) {
      const l3 = ETH_HEADER_LEN + ipLen;
      const gso = offload.gsoSize > 0;
      tx = { csumStart: l3, csumOffset: offload.csumOffset, gsoType: gso ? (v4 ? 1 : 4) : 0, gsoSize: gso ? offload.gsoSize : 0, hdrLen: l3 + offload.l4HeaderLen };
      if (gso && l4Len + (v4 ? IPV4_HEADER_LEN : 0) > 65535) throw new RangeError(`a ${l4Len}-byte segment does not fit one IP packet`);
    }
    if (l4Len > this.maxL4(src) && !tx?.gsoSize) return this.sendFragmented(src, dst, protocol, l4Len, write);
    const id = v4 ? this.nextId() : 0;
    return this.emit(ETH_HEADER_LEN + ipLen + l4Len, (frame, at) => {
      writeEthernetHeader(frame, at, this.guestMac, this.plan.gatewayMac, v4 ? ETHERTYPE.IPV4 : ETHERTYPE.IPV6);
      if (v4) {
        writeIpv4Header(frame, at + ETH_HEADER_LEN, { src, dst, protocol, payloadLen: l4Len, id });
      } else {
        writeIpv6Header(frame, at + ETH_HEADER_LEN, { src, dst, nextHeader: protocol, payloadLen: l4Len });
      }
      write(frame, at + ETH_HEADER_LEN + ipLen);
    }, tx);
  }

  private nextId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }

  private sendFragmented(src: Uint8Array, dst: Uint8Array, protocol: number, l4Len: number, write: (buf: Uint8Array, off: number) => void): boolean {
    const whole = Buffer.allocUnsafe(l4Len);
    write(whole, 0);
    let ok = true;
    if (src.length === 4) {
      const chunk = (this.plan.mtu - IPV4_HEADER_LEN) & ~7;
      const id = this.nextId();
      for (let off = 0; off < l4Len; off += chunk) {
        const n = Math.min(chunk, l4Len - off);
        const more = off + n < l4Len;
        const frame = Buffer.allocUnsafe(ETH_HEADER_LEN + IPV4_HEADER_LEN + n);
        writeEthernetHeader(frame, 0, this.guestMac, this.plan.gatewayMac, ETHERTYPE.IPV4);
        writeIpv4Header(frame, ETH_HEADER_LEN, { src, dst, protocol, payloadLen: n, id, dontFragment: false });
        // Patch flags/offset and recompute the header checksum.
        const h = ETH_HEADER_LEN;
        const fo = (more ? 0x2000 : 0) | (off >>> 3);
        frame[h + 6] = fo >>> 8;
        frame[h + 7] = fo & 0xff;
        frame[h + 10] = 0;
        frame[h + 11] = 0;
        writeIpv4Checksum(frame, h);
        frame.set(whole.subarray(off, off + n), h + IPV4_HEADER_LEN);
        ok = this.sendFrame(frame) && ok;
      }
      return ok;
    }
    const chunk = (this.plan.mtu - IPV6_HEADER_LEN - 8) & ~7;
    this.fragId = (this.fragId + 1) >>> 0;
    for (let off = 0; off < l4Len; off += chunk) {
      const n = Math.min(chunk, l4Len - off);
      const more = off + n < l4Len;
      const frame = Buffer.allocUnsafe(ETH_HEADER_LEN + IPV6_HEADER_LEN + 8 + n);
      writeEthernetHeader(frame, 0, this.guestMac, this.plan.gatewayMac, ETHERTYPE.IPV6);
      writeIpv6Header(frame, ETH_HEADER_LEN, { src, dst, nextHeader: IPPROTO.FRAGMENT_V6, payloadLen: 8 + n });
      const f = ETH_HEADER_LEN + IPV6_HEADER_LEN;
      frame[f] = protocol;
      frame[f + 1] = 0;
      frame[f + 2] = off >>> 8;
      frame[f + 3] = (off & 0xf8) | (more ? 1 : 0);
      frame.writeUInt32BE(this.fragId, f + 4);
      frame.set(whole.subarray(off, off + n), f + 8);
      ok = this.sendFrame(frame) && ok;
    }
    return ok;
  }
}

function writeIpv4Checksum(b: Uint8Array, off: number): void {
  let sum = 0;
  for (let i = 0; i < IPV4_HEADER_LEN; i += 2) sum += (b[off + i]! << 8) | b[off + i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  b[off + 10] = c >>> 8;
  b[off + 11] = c & 0xff;
}
