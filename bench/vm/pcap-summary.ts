/**
 * Summary of the guest's bulk TCP flow in a pcap written by QEMU's `filter-dump` on the guest's
 * netdev (bench/vm with BENCH_VM_PCAP=<dir>): what the guest saw from the backend (handshake
 * options, ACK rate and stride, the advertised window, how long ACKs lag the data) and how the
 * guest sent (bytes in flight against the window, idle gaps and what ended them).
 *
 * Standalone: `node --import tsx bench/vm/pcap-summary.ts <file.pcap> [<guest-ip>]` (default: the busiest TCP sender).
 */
import { readFileSync } from "node:fs";

interface Pkt {
  t: number; // seconds
  fromGuest: boolean;
  flow: string; // guest-port>remote:port
  flags: number;
  seq: number;
  ack: number;
  win: number;
  len: number;
  opts: Uint8Array;
}

function* frames(buf: Buffer): Generator<{ t: number; data: Buffer }> {
  const le = buf.readUInt32LE(0) === 0xa1b2c3d4;
  const nano = buf.readUInt32LE(0) === 0xa1b23c4d;
  const u32 = (o: number): number => (le || nano ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  let o = 24;
  while (o + 16 <= buf.length) {
    const t = u32(o) + u32(o + 4) / (nano ? 1e9 : 1e6);
    const incl = u32(o + 8);
    yield { t, data: buf.subarray(o + 16, o + 16 + incl) };
    o += 16 + incl;
  }
}

/** The IPv4 source sending the most TCP payload (the guest, in a guest→host run). */
function busiestSource(buf: Buffer): string {
  const by = new Map<string, number>();
  for (const { data: d } of frames(buf)) {
    if (d.length < 54 || d.readUInt16BE(12) !== 0x0800 || d[23] !== 6) continue;
    const src = [...d.subarray(26, 30)].join(".");
    by.set(src, (by.get(src) ?? 0) + d.readUInt16BE(16));
  }
  return [...by].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "";
}

function parse(buf: Buffer, guestIp: string): Pkt[] {
  const guest = guestIp || busiestSource(buf);
  const out: Pkt[] = [];
  for (const { t, data: d } of frames(buf)) {
    if (d.length < 54 || d.readUInt16BE(12) !== 0x0800 || d[23] !== 6) continue;
    const ihl = (d[14]! & 15) * 4;
    const ipLen = d.readUInt16BE(16);
    const src = [...d.subarray(26, 30)].join(".");
    const dst = [...d.subarray(30, 34)].join(".");
    const tcp = 14 + ihl;
    const doff = (d[tcp + 12]! >> 4) * 4;
    const sp = d.readUInt16BE(tcp);
    const dp = d.readUInt16BE(tcp + 2);
    const fromGuest = src === guest;
    out.push({
      t,
      fromGuest,
      flow: fromGuest ? `${sp}>${dst}:${dp}` : `${dp}>${src}:${sp}`,
      flags: d[tcp + 13]!,
      seq: d.readUInt32BE(tcp + 4),
      ack: d.readUInt32BE(tcp + 8),
      win: d.readUInt16BE(tcp + 14),
      len: ipLen - ihl - doff,
      opts: d.subarray(tcp + 20, Math.min(d.length, tcp + doff)),
    });
  }
  return out;
}

function synOpts(o: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < o.length; ) {
    const k = o[i]!;
    if (k === 0) break;
    if (k === 1) {
      i++;
      continue;
    }
    const l = o[i + 1] ?? 2;
    if (k === 2) parts.push(`mss=${(o[i + 2]! << 8) | o[i + 3]!}`);
    else if (k === 3) parts.push(`wscale=${o[i + 2]}`);
    else if (k === 4) parts.push("sackOK");
    else if (k === 8) parts.push("ts");
    i += Math.max(2, l);
  }
  return parts.join(",");
}

const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const d32 = (a: number, b: number): number => (a - b) | 0;

/** A text summary of the flow carrying the most bytes from the guest. */
export function summarize(file: string, guest: string): string {
  const pkts = parse(readFileSync(file), guest);
  const bytes = new Map<string, number>();
  for (const p of pkts) if (p.fromGuest) bytes.set(p.flow, (bytes.get(p.flow) ?? 0) + p.len);
  const flow = [...bytes].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (!flow) return `${file}: no TCP from ${guest}`;
  const f = pkts.filter((p) => p.flow === flow);
  const syn = f.find((p) => p.fromGuest && p.flags & 2);
  const synAck = f.find((p) => !p.fromGuest && p.flags & 2);
  const rcvShift = synAck ? Number(/wscale=(\d+)/.exec(synOpts(synAck.opts))?.[1] ?? 0) : 0;
  const data = f.filter((p) => p.fromGuest && p.len > 0);
  const acks = f.filter((p) => !p.fromGuest && !(p.flags & 2) && p.len === 0);
  // the steady part: skip the first and last second of data
  const t0 = data[0]!.t + 1;
  const t1 = data[data.length - 1]!.t - 1;
  const inWin = (p: Pkt): boolean => p.t >= t0 && p.t <= t1;
  const secs = t1 - t0;
  let lastAck = acks[0]?.ack ?? 0;
  let lastWinRight = 0;
  let sndMax = data[0]!.seq;
  const inflight: number[] = [];
  const winLimited: number[] = [];
  const gaps: { dt: number; afterAck: boolean }[] = [];
  const strides: number[] = [];
  const wins: number[] = [];
  const ackLag: number[] = [];
  const sentAt: { end: number; t: number }[] = [];
  let prevData: Pkt | undefined;
  let ackSinceData = false;
  for (const p of f) {
    if (p.fromGuest && p.len > 0) {
      const end = (p.seq + p.len) >>> 0;
      if (d32(end, sndMax) > 0) sndMax = end;
      sentAt.push({ end, t: p.t });
      if (inWin(p)) {
        const fl = d32(sndMax, lastAck);
        inflight.push(fl);
        winLimited.push(d32(lastWinRight, sndMax) < 1448 ? 1 : 0);
        if (prevData && p.t - prevData.t > 0.001) gaps.push({ dt: p.t - prevData.t, afterAck: ackSinceData });
      }
      prevData = p;
      ackSinceData = false;
    } else if (!p.fromGuest && p.flags & 16 && !(p.flags & 2)) {
      const stride = d32(p.ack, lastAck);
      const win = p.win * 2 ** rcvShift;
      if (inWin(p) && p.len === 0) {
        strides.push(stride);
        wins.push(win);
        // how long ago the guest sent the last byte this ACK covers
        let i = sentAt.length - 1;
        while (i > 0 && d32(sentAt[i]!.end, p.ack) > 0) i--;
        if (sentAt[i] && sentAt[i]!.end === p.ack) ackLag.push((p.t - sentAt[i]!.t) * 1e6);
      }
      if (stride > 0) lastAck = p.ack;
      lastWinRight = (p.ack + win) >>> 0;
      ackSinceData = true;
    }
  }
  const nData = data.filter(inWin).length;
  const nAck = acks.filter(inWin).length;
  const gapTime = gaps.reduce((s, g) => s + g.dt, 0);
  const kb = (x: number): string => (x / 1024).toFixed(0) + "k";
  return [
    `${file}: flow ${flow}, steady ${secs.toFixed(1)} s`,
    `  handshake: guest ${syn ? synOpts(syn.opts) : "?"}; backend ${synAck ? synOpts(synAck.opts) : "?"}`,
    `  guest data: ${(nData / secs).toFixed(0)} seg/s, ${(((data.filter(inWin).reduce((s, p) => s + p.len, 0) * 8) / secs) / 1e6).toFixed(0)} Mbit/s, segment size median ${pct(data.map((p) => p.len), 50)}`,
    `  pure ACKs to guest: ${(nAck / secs).toFixed(0)}/s (${(nData / Math.max(1, nAck)).toFixed(1)} data segments per ACK); stride p10/p50/p90 ${kb(pct(strides, 10))}/${kb(pct(strides, 50))}/${kb(pct(strides, 90))}`,
    `  window advertised (scaled, shift ${rcvShift}): p10/p50/p90 ${kb(pct(wins, 10))}/${kb(pct(wins, 50))}/${kb(pct(wins, 90))}`,
    `  ACK lag after the covered segment (µs): p10/p50/p90 ${pct(ackLag, 10).toFixed(0)}/${pct(ackLag, 50).toFixed(0)}/${pct(ackLag, 90).toFixed(0)}`,
    `  guest in flight at each send: p10/p50/p90/max ${kb(pct(inflight, 10))}/${kb(pct(inflight, 50))}/${kb(pct(inflight, 90))}/${kb(inflight.reduce((m, x) => Math.max(m, x), 0))}; sends at the window edge ${((100 * winLimited.reduce((s, x) => s + x, 0)) / Math.max(1, winLimited.length)).toFixed(1)}%`,
    `  guest idle gaps > 1 ms: ${gaps.length} (${((100 * gapTime) / secs).toFixed(1)}% of the time), ${gaps.filter((g) => g.afterAck).length} ended after an ACK arrived; gap p50/p90 ${(pct(gaps.map((g) => g.dt), 50) * 1e3).toFixed(1)}/${(pct(gaps.map((g) => g.dt), 90) * 1e3).toFixed(1)} ms`,
  ].join("\n");
}

if (process.argv[1]?.endsWith("pcap-summary.ts")) {
  const [file, guest] = process.argv.slice(2);
  if (!file) throw new Error("usage: pcap-summary.ts <file.pcap> [<guest-ip>]");
  process.stdout.write(summarize(file, guest ?? "") + "\n");
}
