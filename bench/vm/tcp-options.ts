/** TCP option reading for the bench guests (frame-path.ts, g2h-micro.ts), which parse the stack's SYN-ACK. */

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
