/**
 * TCP segments (RFC 9293): parse the header and the options this stack honours (MSS, window scale,
 * SACK-permitted, SACK blocks, timestamps), verify the checksum over the pseudo header, and write
 * headers with options and checksum.
 */
import { foldChecksum, internetChecksum, pseudoHeaderSum } from "./checksum.js";
import { IPPROTO } from "./ipv4.js";

/** TCP flag bits. */
export const TCP_FLAG = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20 } as const;

/** Length of a TCP header without options. */
export const TCP_HEADER_LEN = 20;

/** A SACK block: [left, right) in sequence space. */
export interface SackBlock {
  readonly left: number;
  readonly right: number;
}

/** TCP options understood by the stack. Absent options are undefined. */
export interface TcpOptions {
  mss?: number;
  windowScale?: number;
  sackPermitted?: boolean;
  sack?: SackBlock[];
  timestamp?: { value: number; echo: number };
}

/** A parsed TCP segment; `payload` is a view into the original buffer. */
export interface TcpSegment {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly headerLen: number;
  readonly flags: number;
  readonly window: number;
  readonly options: TcpOptions;
  readonly payload: Uint8Array;
}

/** Why a TCP segment was rejected. */
export type TcpError = "truncated" | "header-length" | "checksum";

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** Parse the options area `b[from, to)`. Malformed trailing options are ignored. */
export function parseTcpOptions(b: Uint8Array, from: number, to: number): TcpOptions {
  const o: TcpOptions = {};
  let i = from;
  while (i < to) {
    const kind = b[i]!;
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    if (i + 1 >= to) break;
    const len = b[i + 1]!;
    if (len < 2 || i + len > to) break;
    if (kind === 2 && len === 4) o.mss = (b[i + 2]! << 8) | b[i + 3]!;
    else if (kind === 3 && len === 3) o.windowScale = Math.min(b[i + 2]!, 14);
    else if (kind === 4 && len === 2) o.sackPermitted = true;
    else if (kind === 5 && (len - 2) % 8 === 0) {
      const blocks: SackBlock[] = [];
      for (let j = i + 2; j + 8 <= i + len; j += 8) blocks.push({ left: u32(b, j), right: u32(b, j + 4) });
      o.sack = blocks;
    } else if (kind === 8 && len === 10) o.timestamp = { value: u32(b, i + 2), echo: u32(b, i + 6) };
    i += len;
  }
  return o;
}

/** The options of a segment that carries none (shared: segments are read, never changed). */
const NO_OPTIONS: TcpOptions = Object.freeze({});

/**
 * Parse a TCP segment carried between `src` and `dst`. With `verify` (default) a bad checksum
 * rejects it (turn off for offloaded frames whose checksum may be partial).
 */
export function parseTcp(b: Uint8Array, src: Uint8Array, dst: Uint8Array, verify = true): TcpSegment | TcpError {
  if (b.length < TCP_HEADER_LEN) return "truncated";
  const headerLen = (b[12]! >>> 4) * 4;
  if (headerLen < TCP_HEADER_LEN || headerLen > b.length) return "header-length";
  if (verify && internetChecksum(b, 0, b.length, pseudoHeaderSum(src, dst, IPPROTO.TCP, b.length)) !== 0) {
    return "checksum";
  }
  return {
    srcPort: (b[0]! << 8) | b[1]!,
    dstPort: (b[2]! << 8) | b[3]!,
    seq: u32(b, 4),
    ack: u32(b, 8),
    headerLen,
    flags: b[13]! & 0x3f,
    window: (b[14]! << 8) | b[15]!,
    options: headerLen > TCP_HEADER_LEN ? parseTcpOptions(b, TCP_HEADER_LEN, headerLen) : NO_OPTIONS,
    payload: b.subarray(headerLen),
  };
}

/** Encoded length of `opts` (padded to a multiple of 4). */
export function tcpOptionsLength(opts: TcpOptions | undefined): number {
  if (!opts) return 0;
  let n = 0;
  if (opts.mss !== undefined) n += 4;
  if (opts.sackPermitted) n += 2;
  if (opts.windowScale !== undefined) n += 3;
  if (opts.sack && opts.sack.length > 0) n += 2 + 8 * Math.min(opts.sack.length, 4);
  if (opts.timestamp) n += 10;
  return (n + 3) & ~3;
}

function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** Fields of a TCP header to write. */
export interface TcpHeaderFields {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly window: number;
  readonly options?: TcpOptions;
}

/**
 * Write a TCP header (with options) at `off` for a payload of `payloadLen` bytes already placed
 * right after the header (at `off + 20 + tcpOptionsLength(options)`), and fill the checksum. With
 * `partialChecksum` the field gets only the folded pseudo-header sum, for a device that completes
 * it (checksum offload, virtio_net_hdr NEEDS_CSUM). Returns the offset after the segment.
 */
export function writeTcpHeader(
  buf: Uint8Array,
  off: number,
  src: Uint8Array,
  dst: Uint8Array,
  f: TcpHeaderFields,
  payloadLen: number,
  partialChecksum = false,
): number {
  const optLen = tcpOptionsLength(f.options);
  const hl = TCP_HEADER_LEN + optLen;
  buf[off] = f.srcPort >>> 8;
  buf[off + 1] = f.srcPort & 0xff;
  buf[off + 2] = f.dstPort >>> 8;
  buf[off + 3] = f.dstPort & 0xff;
  put32(buf, off + 4, f.seq >>> 0);
  put32(buf, off + 8, f.ack >>> 0);
  buf[off + 12] = (hl / 4) << 4;
  buf[off + 13] = f.flags;
  buf[off + 14] = (f.window >>> 8) & 0xff;
  buf[off + 15] = f.window & 0xff;
  buf[off + 16] = 0;
  buf[off + 17] = 0;
  buf[off + 18] = 0;
  buf[off + 19] = 0;
  let i = off + TCP_HEADER_LEN;
  const o = f.options;
  if (o) {
    if (o.mss !== undefined) {
      buf.set([2, 4, o.mss >>> 8, o.mss & 0xff], i);
      i += 4;
    }
    if (o.sackPermitted) {
      buf.set([4, 2], i);
      i += 2;
    }
    if (o.windowScale !== undefined) {
      buf.set([3, 3, o.windowScale], i);
      i += 3;
    }
    if (o.sack && o.sack.length > 0) {
      const n = Math.min(o.sack.length, 4);
      buf[i] = 5;
      buf[i + 1] = 2 + 8 * n;
      i += 2;
      for (let k = 0; k < n; k++) {
        put32(buf, i, o.sack[k]!.left >>> 0);
        put32(buf, i + 4, o.sack[k]!.right >>> 0);
        i += 8;
      }
    }
    if (o.timestamp) {
      buf[i] = 8;
      buf[i + 1] = 10;
      put32(buf, i + 2, o.timestamp.value);
      put32(buf, i + 6, o.timestamp.echo);
      i += 10;
    }
    while (i < off + hl) buf[i++] = 1; // NOP padding
  }
  const segLen = hl + payloadLen;
  const pseudo = pseudoHeaderSum(src, dst, IPPROTO.TCP, segLen);
  const c = partialChecksum ? ~foldChecksum(pseudo) & 0xffff : internetChecksum(buf, off, segLen, pseudo);
  buf[off + 16] = c >>> 8;
  buf[off + 17] = c & 0xff;
  return off + segLen;
}
