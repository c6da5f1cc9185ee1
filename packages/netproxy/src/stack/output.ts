/**
 * Frame output towards the guest: wraps L4 payloads in IPv4/IPv6 and Ethernet, fragments
 * datagrams larger than the MTU (IPv4 fragments, IPv6 fragment header), tracks the link's
 * backpressure and wakes waiting flows when it drains.
 */
import { foldChecksum } from "../frame/checksum.js";
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

  /**
   * Send an L4 message larger than the MTU as fragments. The message is written once; each
   * fragment is built in the link's buffer from a header prefix made once per datagram, of which
   * only the length, the fragment offset and (IPv4) the header checksum change per fragment; the
   * checksum is the prefix's sum plus those two words.
   */
  private sendFragmented(src: Uint8Array, dst: Uint8Array, protocol: number, l4Len: number, write: (buf: Uint8Array, off: number) => void): boolean {
    const whole = Buffer.allocUnsafe(l4Len);
    write(whole, 0);
    const v4 = src.length === 4;
    // Per fragment: the IP header, plus the IPv6 fragment header.
    const hdrLen = ETH_HEADER_LEN + (v4 ? IPV4_HEADER_LEN : IPV6_HEADER_LEN + 8);
    const chunk = (this.plan.mtu - (hdrLen - ETH_HEADER_LEN)) & ~7;
    const prefix = new Uint8Array(hdrLen);
    writeEthernetHeader(prefix, 0, this.guestMac, this.plan.gatewayMac, v4 ? ETHERTYPE.IPV4 : ETHERTYPE.IPV6);
    const ip = ETH_HEADER_LEN;
    let baseSum = 0;
    if (v4) {
      writeIpv4Header(prefix, ip, { src, dst, protocol, payloadLen: 0, id: this.nextId(), dontFragment: false });
      // The sum of the words that stay: all but total length (2), flags/offset (6), checksum (10).
      for (let i = 0; i < IPV4_HEADER_LEN; i += 2) if (i !== 2 && i !== 6 && i !== 10) baseSum += (prefix[ip + i]! << 8) | prefix[ip + i + 1]!;
    } else {
      writeIpv6Header(prefix, ip, { src, dst, nextHeader: IPPROTO.FRAGMENT_V6, payloadLen: 0 });
      const f = ip + IPV6_HEADER_LEN;
      this.fragId = (this.fragId + 1) >>> 0;
      prefix[f] = protocol;
      prefix[f + 1] = 0;
      prefix[f + 4] = this.fragId >>> 24;
      prefix[f + 5] = (this.fragId >>> 16) & 0xff;
      prefix[f + 6] = (this.fragId >>> 8) & 0xff;
      prefix[f + 7] = this.fragId & 0xff;
    }
    let ok = true;
    for (let off = 0; off < l4Len; off += chunk) {
      const n = Math.min(chunk, l4Len - off);
      const more = off + n < l4Len;
      const sent = this.emit(hdrLen + n, (frame, at) => {
        frame.set(prefix, at);
        const h = at + ip;
        if (v4) {
          const total = IPV4_HEADER_LEN + n;
          const fo = (more ? 0x2000 : 0) | (off >>> 3);
          frame[h + 2] = total >>> 8;
          frame[h + 3] = total & 0xff;
          frame[h + 6] = fo >>> 8;
          frame[h + 7] = fo & 0xff;
          const c = foldChecksum(baseSum + total + fo);
          frame[h + 10] = c >>> 8;
          frame[h + 11] = c & 0xff;
        } else {
          const plen = 8 + n;
          frame[h + 4] = plen >>> 8;
          frame[h + 5] = plen & 0xff;
          frame[h + IPV6_HEADER_LEN + 2] = off >>> 8;
          frame[h + IPV6_HEADER_LEN + 3] = (off & 0xf8) | (more ? 1 : 0);
        }
        frame.set(whole.subarray(off, off + n), at + hdrLen);
      });
      ok = sent && ok;
    }
    return ok;
  }
}
