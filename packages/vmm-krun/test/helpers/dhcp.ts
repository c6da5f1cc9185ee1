/**
 * Test helper: a DHCPDISCOVER frame as libkrun's init sends it (broadcast flag, Rapid Commit,
 * parameter request list) and a parser for the server's reply frame.
 */

function checksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** A broadcast DHCPDISCOVER from `mac` (6 octets), with option 80 (Rapid Commit) when asked. */
export function dhcpDiscover(mac: Uint8Array, rapidCommit: boolean): Uint8Array {
  const opts = [53, 1, 1, ...(rapidCommit ? [80, 0] : []), 55, 4, 1, 3, 6, 26, 255];
  const bootp = new Uint8Array(240 + opts.length);
  bootp.set([1, 1, 6, 0], 0); // BOOTREQUEST, Ethernet, hlen 6
  bootp.set([0x12, 0x34, 0x56, 0x78], 4); // xid
  bootp.set([0x80, 0x00], 10); // broadcast flag
  bootp.set(mac, 28);
  bootp.set([99, 130, 83, 99], 236);
  bootp.set(opts, 240);
  const udp = new Uint8Array(8 + bootp.length);
  udp.set([0, 68, 0, 67, (udp.length >> 8) & 0xff, udp.length & 0xff, 0, 0], 0);
  udp.set(bootp, 8);
  const ip = new Uint8Array(20 + udp.length);
  ip.set([0x45, 0, (ip.length >> 8) & 0xff, ip.length & 0xff, 0, 1, 0, 0, 64, 17, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255], 0);
  const c = checksum(ip.subarray(0, 20));
  ip[10] = c >> 8;
  ip[11] = c & 0xff;
  ip.set(udp, 20);
  const eth = new Uint8Array(14 + ip.length);
  eth.set([255, 255, 255, 255, 255, 255], 0);
  eth.set(mac, 6);
  eth.set([0x08, 0x00], 12);
  eth.set(ip, 14);
  return eth;
}

/** A parsed DHCP reply. */
export interface DhcpReply {
  msgType: number;
  yiaddr: string;
  options: Map<number, Uint8Array>;
}

const dotted = (b: Uint8Array) => Array.from(b).join(".");

/** Parse an Ethernet frame holding a DHCP reply (UDP 67 → 68); null when it is something else. */
export function parseDhcpReply(frame: Uint8Array): DhcpReply | null {
  if (frame.length < 14 + 20 + 8 + 240 || frame[12] !== 0x08 || frame[13] !== 0x00) return null;
  const ihl = (frame[14]! & 0x0f) * 4;
  if (frame[14 + 9] !== 17) return null;
  const udp = 14 + ihl;
  if (((frame[udp]! << 8) | frame[udp + 1]!) !== 67 || ((frame[udp + 2]! << 8) | frame[udp + 3]!) !== 68) return null;
  const bootp = frame.subarray(udp + 8);
  const options = new Map<number, Uint8Array>();
  for (let i = 240; i < bootp.length; ) {
    const code = bootp[i]!;
    if (code === 255) break;
    if (code === 0) {
      i++;
      continue;
    }
    const len = bootp[i + 1]!;
    options.set(code, bootp.subarray(i + 2, i + 2 + len));
    i += 2 + len;
  }
  return { msgType: options.get(53)?.[0] ?? 0, yiaddr: dotted(bootp.subarray(16, 20)), options };
}

/** Dotted form of a 4-byte option value. */
export function optIp(r: DhcpReply, code: number): string | undefined {
  const v = r.options.get(code);
  return v ? dotted(v.subarray(0, 4)) : undefined;
}

/** Big-endian integer value of an option. */
export function optInt(r: DhcpReply, code: number): number | undefined {
  const v = r.options.get(code);
  return v ? v.reduce((a, b) => a * 256 + b, 0) : undefined;
}

/** Split a pcap file (as QEMU's filter-dump writes it) into frames. */
export function pcapFrames(buf: Buffer): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (buf.length < 24) return out;
  const le = buf.readUInt32LE(0) === 0xa1b2c3d4;
  for (let off = 24; off + 16 <= buf.length; ) {
    const incl = le ? buf.readUInt32LE(off + 8) : buf.readUInt32BE(off + 8);
    out.push(new Uint8Array(buf.subarray(off + 16, off + 16 + incl)));
    off += 16 + incl;
  }
  return out;
}
