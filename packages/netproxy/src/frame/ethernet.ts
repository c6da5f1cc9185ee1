/**
 * Ethernet II framing: parse the 14-byte header of a bare frame (no FCS, no vnet header, maybe
 * shorter than 60 bytes) and write headers into preallocated buffers.
 */

/** EtherType values this stack understands. */
export const ETHERTYPE = { IPV4: 0x0800, ARP: 0x0806, IPV6: 0x86dd, VLAN: 0x8100 } as const;

/** Length of an Ethernet II header. */
export const ETH_HEADER_LEN = 14;

/** A parsed Ethernet II frame; `dst`, `src` and `payload` are views into the original buffer. */
export interface EthernetFrame {
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly etherType: number;
  readonly payload: Uint8Array;
}

/** Offset of the source MAC in a frame. */
export const ETH_SRC_OFFSET = 6;

/**
 * The MAC views are made when asked for: the stack reads the addresses in place
 * ({@link macEquals} and {@link isMulticastMac} at an offset of the frame), once per frame.
 */
class ParsedEthernet implements EthernetFrame {
  readonly etherType: number;
  readonly payload: Uint8Array;
  constructor(readonly frame: Uint8Array) {
    this.etherType = (frame[12]! << 8) | frame[13]!;
    this.payload = frame.subarray(ETH_HEADER_LEN);
  }
  get dst(): Uint8Array {
    return this.frame.subarray(0, ETH_SRC_OFFSET);
  }
  get src(): Uint8Array {
    return this.frame.subarray(ETH_SRC_OFFSET, ETH_SRC_OFFSET + 6);
  }
}

/** Parse an Ethernet II header. Returns null for frames shorter than 14 bytes. */
export function parseEthernet(frame: Uint8Array): EthernetFrame | null {
  if (frame.length < ETH_HEADER_LEN) return null;
  return new ParsedEthernet(frame);
}

/** Write an Ethernet II header at `off` of `buf`. Returns the offset just after it. */
export function writeEthernetHeader(
  buf: Uint8Array,
  off: number,
  dst: Uint8Array,
  src: Uint8Array,
  etherType: number,
): number {
  for (let i = 0; i < 6; i++) {
    buf[off + i] = dst[i]!;
    buf[off + 6 + i] = src[i]!;
  }
  buf[off + 12] = etherType >>> 8;
  buf[off + 13] = etherType & 0xff;
  return off + ETH_HEADER_LEN;
}

/** True for the broadcast address ff:ff:ff:ff:ff:ff. */
export function isBroadcastMac(mac: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (mac[i] !== 0xff) return false;
  return true;
}

/** True when the group bit (multicast, including broadcast) of a MAC (at `off` of `mac`) is set. */
export function isMulticastMac(mac: Uint8Array, off = 0): boolean {
  return (mac[off]! & 1) === 1;
}

/** Compare two MAC addresses (the first at `aOff` of `a`, e.g. a frame's source address). */
export function macEquals(a: Uint8Array, b: Uint8Array, aOff = 0): boolean {
  for (let i = 0; i < 6; i++) if (a[aOff + i] !== b[i]) return false;
  return true;
}

/** Format a MAC as lower-case colon-separated hex. */
export function formatMac(mac: Uint8Array): string {
  return Array.from(mac.subarray(0, 6), (b) => b.toString(16).padStart(2, "0")).join(":");
}

/** Parse "aa:bb:cc:dd:ee:ff" (or with dashes). Returns null when malformed. */
export function parseMac(s: string): Uint8Array | null {
  const parts = s.split(/[:-]/);
  if (parts.length !== 6) return null;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    const p = parts[i]!;
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) return null;
    out[i] = parseInt(p, 16);
  }
  return out;
}
