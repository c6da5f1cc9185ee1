/**
 * The guest side of the bench guests (frame-path.ts, g2h-micro.ts): frames of one TCP flow built
 * by hand, with checksums computed here rather than by the stack's own frame code, and the
 * window-scale option read from the stack's SYN-ACK.
 */

/** Sum of big-endian 16-bit words of `b` in [from, to) (a missing last byte counts as 0). */
export function sum16(b: Uint8Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
  return s;
}

/** Fold a one's-complement sum to 16 bits. */
export function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** The window-scale shift in the options of the TCP header at `t` in `frame` (0 if the option is absent). */
export function windowScaleOf(frame: Uint8Array, t: number): number {
  const end = t + (frame[t + 12]! >> 4) * 4;
  for (let i = t + 20; i < end; ) {
    const kind = frame[i]!;
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    if (kind === 3) return frame[i + 2]!;
    i += frame[i + 1]!;
  }
  return 0;
}

/** The MAC the bench guest sends from. */
const GUEST_MAC = [2, 0, 0, 0, 0, 0x64];

/** One guest TCP flow: IPv4 `src`:`srcPort` to `dst`:`dstPort`, each frame after `prefix` bytes. */
export interface GuestFlow {
  readonly src: ArrayLike<number>;
  readonly dst: ArrayLike<number>;
  readonly srcPort: number;
  readonly dstPort: number;
  /** 0, or 4 for the stream transport's u32be length prefix (filled in). */
  readonly prefix: 0 | 4;
}

/**
 * Frames of a guest flow: Ethernet (broadcast destination MAC: the stack accepts it and learns
 * the guest's MAC), IPv4 with its checksum, TCP. A template's sequence, acknowledgement, window
 * and checksum are filled per frame by {@link GuestTcpFrames.finish}.
 */
export class GuestTcpFrames {
  /** Offset of the TCP header in a frame buffer (after the prefix). */
  readonly tcpAt: number;
  private readonly pseudo: number;

  constructor(private readonly flow: GuestFlow) {
    this.tcpAt = flow.prefix + 14 + 20;
    this.pseudo = sum16(Uint8Array.from([...Array.from(flow.src), ...Array.from(flow.dst)]), 0, 8) + 6;
  }

  /** A frame with `payload` bytes of a fixed pattern, TCP `flags` and `opts` (option bytes, a multiple of 4). */
  template(payload: number, flags: number, opts: number[] = []): Uint8Array {
    const { prefix, src, dst, srcPort, dstPort } = this.flow;
    const tl = 20 + opts.length;
    const len = 14 + 20 + tl + payload;
    const f = new Uint8Array(prefix + len);
    if (prefix === 4) new DataView(f.buffer).setUint32(0, len);
    f.fill(0xff, prefix, prefix + 6);
    f.set(GUEST_MAC, prefix + 6);
    f[prefix + 12] = 8;
    const ip = prefix + 14;
    f[ip] = 0x45;
    f[ip + 2] = (20 + tl + payload) >> 8;
    f[ip + 3] = (20 + tl + payload) & 0xff;
    f[ip + 6] = 0x40;
    f[ip + 8] = 64;
    f[ip + 9] = 6;
    f.set(src, ip + 12);
    f.set(dst, ip + 16);
    const c = ~fold(sum16(f, ip, ip + 20)) & 0xffff;
    f[ip + 10] = c >> 8;
    f[ip + 11] = c & 0xff;
    const t = this.tcpAt;
    f[t] = srcPort >> 8;
    f[t + 1] = srcPort & 0xff;
    f[t + 2] = dstPort >> 8;
    f[t + 3] = dstPort & 0xff;
    f[t + 12] = (tl / 4) << 4;
    f[t + 13] = flags;
    f.set(opts, t + 20);
    for (let i = 0; i < payload; i++) f[t + tl + i] = (i * 7) & 0xff;
    return f;
  }

  /** The checksum sum of a template's TCP segment with its pseudo-header (the per-frame fields still zero). */
  baseOf(f: Uint8Array): number {
    return this.pseudo + (f.length - this.tcpAt) + sum16(f, this.tcpAt, f.length);
  }

  /** Fill sequence, acknowledgement, window and checksum of the frame (a copy of a template) at `at` of `f`. */
  finish(f: Uint8Array, at: number, base: number, seq: number, ack: number, win: number): void {
    const t = at + this.tcpAt;
    put32(f, t + 4, seq);
    put32(f, t + 8, ack);
    f[t + 14] = win >> 8;
    f[t + 15] = win & 0xff;
    const c = ~fold(base + (seq >>> 16) + (seq & 0xffff) + (ack >>> 16) + (ack & 0xffff) + win) & 0xffff;
    f[t + 16] = c >> 8;
    f[t + 17] = c & 0xff;
  }
}

function put32(f: Uint8Array, o: number, v: number): void {
  f[o] = v >>> 24;
  f[o + 1] = (v >>> 16) & 0xff;
  f[o + 2] = (v >>> 8) & 0xff;
  f[o + 3] = v & 0xff;
}
