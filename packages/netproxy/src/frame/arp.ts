/** ARP for IPv4 over Ethernet (RFC 826): parse requests/replies and build replies. */

/** ARP operation codes. */
export const ARP_OP = { REQUEST: 1, REPLY: 2 } as const;

/** Length of an Ethernet/IPv4 ARP packet. */
export const ARP_LEN = 28;

/** A parsed Ethernet/IPv4 ARP packet (views into the original buffer). */
export interface ArpPacket {
  readonly op: number;
  readonly senderMac: Uint8Array;
  readonly senderIp: Uint8Array;
  readonly targetMac: Uint8Array;
  readonly targetIp: Uint8Array;
}

/** Parse an ARP packet. Returns null unless it is htype 1 / ptype 0x0800 / hlen 6 / plen 4. */
export function parseArp(b: Uint8Array): ArpPacket | null {
  if (b.length < ARP_LEN) return null;
  if (b[0] !== 0 || b[1] !== 1 || b[2] !== 0x08 || b[3] !== 0x00 || b[4] !== 6 || b[5] !== 4) return null;
  return {
    op: (b[6]! << 8) | b[7]!,
    senderMac: b.subarray(8, 14),
    senderIp: b.subarray(14, 18),
    targetMac: b.subarray(18, 24),
    targetIp: b.subarray(24, 28),
  };
}

/** Write an ARP packet at `off`. Returns the offset after it. */
export function writeArp(
  buf: Uint8Array,
  off: number,
  op: number,
  senderMac: Uint8Array,
  senderIp: Uint8Array,
  targetMac: Uint8Array,
  targetIp: Uint8Array,
): number {
  buf.set([0, 1, 0x08, 0x00, 6, 4, op >>> 8, op & 0xff], off);
  buf.set(senderMac.subarray(0, 6), off + 8);
  buf.set(senderIp.subarray(0, 4), off + 14);
  buf.set(targetMac.subarray(0, 6), off + 18);
  buf.set(targetIp.subarray(0, 4), off + 24);
  return off + ARP_LEN;
}
