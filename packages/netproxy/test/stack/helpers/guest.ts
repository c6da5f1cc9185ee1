/**
 * A guest emulator for stack tests: builds frames from the guest's side, parses what the stack
 * sends back, and runs small but real TCP endpoints (retransmitting sender, in-order receiver with
 * configurable window) over a MemoryLink.
 */
import { ETH_HEADER_LEN, ETHERTYPE, parseEthernet, writeEthernetHeader } from "../../../src/frame/ethernet.js";
import { IPPROTO, IPV4_HEADER_LEN, parseIpv4, writeIpv4Header } from "../../../src/frame/ipv4.js";
import { IPV6_HEADER_LEN, parseIpv6, writeIpv6Header } from "../../../src/frame/ipv6.js";
import { parseTcp, TCP_FLAG, tcpOptionsLength, writeTcpHeader, type TcpOptions, type TcpSegment } from "../../../src/frame/tcp.js";
import { parseUdp, writeUdpHeader } from "../../../src/frame/udp.js";
import type { AddressPlan } from "../../../src/stack/addr.js";
import type { MemoryLink } from "./link.js";

/** A parsed frame from the stack. */
export interface Rx {
  frame: Uint8Array;
  etherType: number;
  src?: Uint8Array;
  dst?: Uint8Array;
  protocol?: number;
  l4?: Uint8Array;
  tcp?: TcpSegment;
  fragment?: boolean;
}

/** Build an IPv4/IPv6 frame from the guest. */
export function ipFrame(plan: AddressPlan, src: Uint8Array, dst: Uint8Array, protocol: number, l4: Uint8Array, dstMac?: Uint8Array): Uint8Array {
  const v4 = src.length === 4;
  const ipLen = v4 ? IPV4_HEADER_LEN : IPV6_HEADER_LEN;
  const f = new Uint8Array(ETH_HEADER_LEN + ipLen + l4.length);
  writeEthernetHeader(f, 0, dstMac ?? plan.gatewayMac, plan.guestMac, v4 ? ETHERTYPE.IPV4 : ETHERTYPE.IPV6);
  if (v4) writeIpv4Header(f, ETH_HEADER_LEN, { src, dst, protocol, payloadLen: l4.length });
  else writeIpv6Header(f, ETH_HEADER_LEN, { src, dst, nextHeader: protocol, payloadLen: l4.length, hopLimit: 255 });
  f.set(l4, ETH_HEADER_LEN + ipLen);
  return f;
}

/** One IPv4 fragment from the guest: `payload` at byte `offset` of datagram `id`. */
export function ipv4Fragment(plan: AddressPlan, dst: Uint8Array, protocol: number, id: number, offset: number, more: boolean, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(34 + payload.length);
  writeEthernetHeader(f, 0, plan.gatewayMac, plan.guestMac, ETHERTYPE.IPV4);
  writeIpv4Header(f, 14, { src: plan.v4!.guest, dst, protocol, payloadLen: payload.length, id, dontFragment: false });
  const fo = (more ? 0x2000 : 0) | (offset >> 3);
  f[20] = fo >> 8;
  f[21] = fo & 0xff;
  f[24] = 0;
  f[25] = 0;
  let sum = 0;
  for (let k = 0; k < 20; k += 2) sum += (f[14 + k]! << 8) | f[14 + k + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  f[24] = (~sum >> 8) & 0xff;
  f[25] = ~sum & 0xff;
  f.set(payload, 34);
  return f;
}

/** Build a TCP segment (as L4 bytes). */
export function tcpL4(src: Uint8Array, dst: Uint8Array, f: { srcPort: number; dstPort: number; seq: number; ack: number; flags: number; window: number; options?: TcpOptions }, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const hl = 20 + tcpOptionsLength(f.options);
  const b = new Uint8Array(hl + payload.length);
  b.set(payload, hl);
  writeTcpHeader(b, 0, src, dst, f, payload.length);
  return b;
}

/** Build a UDP datagram (as L4 bytes). */
export function udpL4(src: Uint8Array, dst: Uint8Array, sp: number, dp: number, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(8 + payload.length);
  b.set(payload, 8);
  writeUdpHeader(b, 0, src, dst, sp, dp, payload.length);
  return b;
}

/** Parse a frame the stack sent. */
export function parseRx(frame: Uint8Array): Rx {
  const eth = parseEthernet(frame)!;
  const rx: Rx = { frame, etherType: eth.etherType };
  if (eth.etherType === ETHERTYPE.IPV4) {
    const p = parseIpv4(eth.payload);
    if (typeof p === "string") throw new Error(`stack sent a bad IPv4 packet: ${p}`);
    Object.assign(rx, { src: p.src, dst: p.dst, protocol: p.protocol, l4: p.payload, fragment: p.moreFragments || p.fragOffset > 0 });
  } else if (eth.etherType === ETHERTYPE.IPV6) {
    const p = parseIpv6(eth.payload);
    if (typeof p === "string") throw new Error(`stack sent a bad IPv6 packet: ${p}`);
    Object.assign(rx, { src: p.src, dst: p.dst, protocol: p.nextHeader, l4: p.payload });
  }
  if (rx.protocol === IPPROTO.TCP && rx.l4 && rx.src && rx.dst) {
    const t = parseTcp(rx.l4, rx.src, rx.dst, true);
    if (typeof t === "string") throw new Error(`stack sent a bad TCP segment: ${t}`);
    rx.tcp = t;
  }
  if (rx.protocol === IPPROTO.UDP && rx.l4 && rx.src && rx.dst && !rx.fragment) {
    const u = parseUdp(rx.l4, rx.src, rx.dst, true);
    if (typeof u === "string") throw new Error(`stack sent a bad UDP datagram: ${u}`);
  }
  return rx;
}

const add = (a: number, n: number): number => (a + n) >>> 0;
const diff = (a: number, b: number): number => (a - b) | 0;

/** Options of an emulated guest TCP endpoint. */
export interface GuestTcpOptions {
  src: Uint8Array;
  dst: Uint8Array;
  srcPort: number;
  dstPort: number;
  isn?: number;
  /** Receive window in bytes (before scaling). */
  window?: number;
  windowScale?: number;
  mss?: number;
  sackPermitted?: boolean;
  /** Retransmission timeout of the guest sender (ms). */
  rtoMs?: number;
}

/** A minimal but real TCP endpoint on the guest side. */
export class GuestTcp {
  state: "closed" | "listen" | "syn-rcvd" | "syn-sent" | "established" | "reset" = "closed";
  iss: number;
  sndUna: number;
  sndNxt: number;
  rcvNxt = 0;
  peerWnd = 0;
  peerWscale = 0;
  peerMss = 536;
  peerOptions: TcpOptions = {};
  private out: Uint8Array[] = [];
  private outLen = 0;
  private outBase = 0; // sequence number of out[0][0] == sndUna
  private finWanted = false;
  finSent = false;
  finAcked = false;
  peerFin = false;
  readonly received: Buffer[] = [];
  receivedLen = 0;
  readonly segmentsIn: TcpSegment[] = [];
  private timer: NodeJS.Timeout | null = null;
  wnd: number;
  /** Hook to mangle outgoing segment lists (reorder/duplicate) before they hit the link. */
  mangle: ((frames: Uint8Array[]) => Uint8Array[]) | null = null;
  private batch: Uint8Array[] | null = null;
  private waiters: (() => void)[] = [];
  /** Out-of-order segments held by the receiver (like Linux), reported with SACK when negotiated. */
  private ooo = new Map<number, { data: Uint8Array; fin: boolean }>();
  /** Drop out-of-order segments instead of holding them (a minimal receiver). */
  dropOutOfOrder = false;

  constructor(
    private readonly link: MemoryLink,
    private readonly plan: AddressPlan,
    readonly o: GuestTcpOptions,
  ) {
    this.iss = (o.isn ?? 1000) >>> 0;
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.wnd = o.window ?? 65535;
  }

  private emit(seq: number, flags: number, payload?: Uint8Array, options?: TcpOptions): void {
    const shift = this.o.windowScale ?? 0;
    const window = flags & TCP_FLAG.SYN ? Math.min(this.wnd, 65535) : Math.min(0xffff, this.wnd >> (this.peerOptions.windowScale !== undefined ? shift : 0));
    const l4 = tcpL4(this.o.src, this.o.dst, { srcPort: this.o.srcPort, dstPort: this.o.dstPort, seq, ack: flags & TCP_FLAG.ACK ? this.rcvNxt : 0, flags, window, ...(options ? { options } : {}) }, payload);
    const f = ipFrame(this.plan, this.o.src, this.o.dst, IPPROTO.TCP, l4);
    if (this.batch) this.batch.push(f);
    else this.link.inject(f);
  }

  private flushBatch(frames: Uint8Array[]): void {
    const list = this.mangle ? this.mangle(frames) : frames;
    for (const f of list) this.link.inject(f);
  }

  /** Wait for a SYN (a guest-side listener for published-port tests). */
  listen(): void {
    this.state = "listen";
  }

  /** Send SYN. */
  connect(): void {
    this.state = "syn-sent";
    const options: TcpOptions = { mss: this.o.mss ?? 1460 };
    if (this.o.windowScale !== undefined) options.windowScale = this.o.windowScale;
    if (this.o.sackPermitted) options.sackPermitted = true;
    this.emit(this.iss, TCP_FLAG.SYN, undefined, options);
    this.sndNxt = add(this.iss, 1);
    this.outBase = this.sndNxt;
  }

  /** Resolve when `pred` holds (checked after every received segment). */
  until(pred: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`guest wait timed out (state ${this.state}, received ${this.receivedLen})`)), timeoutMs);
      const check = (): void => {
        if (pred()) {
          clearTimeout(t);
          resolve();
        } else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  /** Queue data to send. */
  write(data: Uint8Array): void {
    this.out.push(data);
    this.outLen += data.length;
    this.pump();
  }

  /** Send FIN after queued data. */
  end(): void {
    this.finWanted = true;
    this.pump();
  }

  /** Send RST. */
  reset(): void {
    this.emit(this.sndNxt, TCP_FLAG.RST | TCP_FLAG.ACK);
    this.state = "reset";
  }

  /** Change the advertised receive window and announce it. */
  setWindow(w: number): void {
    this.wnd = w;
    if (this.state === "established") this.emit(this.sndNxt, TCP_FLAG.ACK);
  }

  private copyOut(offset: number, n: number): Uint8Array {
    const r = new Uint8Array(n);
    let skip = offset;
    let o = 0;
    for (const c of this.out) {
      if (o >= n) break;
      if (skip >= c.length) {
        skip -= c.length;
        continue;
      }
      const take = Math.min(c.length - skip, n - o);
      r.set(c.subarray(skip, skip + take), o);
      o += take;
      skip = 0;
    }
    return r;
  }

  private pump(): void {
    if (this.state !== "established") return;
    this.batch = [];
    const mss = Math.min(this.peerMss, this.o.mss ?? 1460);
    for (;;) {
      const off = diff(this.sndNxt, this.outBase);
      const unsent = this.outLen - off;
      const inflight = diff(this.sndNxt, this.sndUna);
      const usable = this.peerWnd - inflight;
      if (unsent > 0 && usable > 0) {
        const n = Math.min(unsent, usable, mss);
        this.emit(this.sndNxt, TCP_FLAG.ACK | TCP_FLAG.PSH, this.copyOut(off, n));
        this.sndNxt = add(this.sndNxt, n);
        continue;
      }
      if (unsent === 0 && this.finWanted && !this.finSent) {
        this.emit(this.sndNxt, TCP_FLAG.FIN | TCP_FLAG.ACK);
        this.sndNxt = add(this.sndNxt, 1);
        this.finSent = true;
      }
      break;
    }
    const b = this.batch;
    this.batch = null;
    this.flushBatch(b);
    if (diff(this.sndNxt, this.sndUna) > 0) this.armTimer();
  }

  private armTimer(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.state !== "established" || diff(this.sndNxt, this.sndUna) <= 0) return;
      // Go back to SND.UNA.
      this.sndNxt = this.sndUna;
      if (this.finSent && !this.finAcked) this.finSent = false;
      this.pump();
    }, this.o.rtoMs ?? 300);
  }

  /** Feed a segment from the stack. */
  input(t: TcpSegment): void {
    this.segmentsIn.push(t);
    if (t.flags & TCP_FLAG.RST) {
      this.state = "reset";
      this.wake();
      return;
    }
    if (this.state === "listen" && t.flags & TCP_FLAG.SYN) {
      (this.o as { dstPort: number }).dstPort = t.srcPort;
      this.rcvNxt = add(t.seq, 1);
      this.peerOptions = t.options;
      this.peerMss = t.options.mss ?? 536;
      this.peerWscale = t.options.windowScale !== undefined && this.o.windowScale !== undefined ? t.options.windowScale : 0;
      this.peerWnd = t.window;
      const options: TcpOptions = { mss: this.o.mss ?? 1460 };
      if (this.o.windowScale !== undefined && t.options.windowScale !== undefined) options.windowScale = this.o.windowScale;
      this.emit(this.iss, TCP_FLAG.SYN | TCP_FLAG.ACK, undefined, options);
      this.sndNxt = add(this.iss, 1);
      this.outBase = this.sndNxt;
      this.state = "syn-rcvd";
      this.wake();
      return;
    }
    if (this.state === "syn-rcvd" && t.flags & TCP_FLAG.ACK && t.ack === this.sndNxt) {
      this.state = "established";
      this.sndUna = t.ack;
      this.peerWnd = t.window << this.peerWscale;
    }
    if (this.state === "syn-sent") {
      if ((t.flags & (TCP_FLAG.SYN | TCP_FLAG.ACK)) === (TCP_FLAG.SYN | TCP_FLAG.ACK) && t.ack === add(this.iss, 1)) {
        this.state = "established";
        this.rcvNxt = add(t.seq, 1);
        this.peerOptions = t.options;
        this.peerMss = t.options.mss ?? 536;
        this.peerWscale = t.options.windowScale !== undefined && this.o.windowScale !== undefined ? t.options.windowScale : 0;
        this.sndUna = t.ack;
        this.peerWnd = t.window;
        this.emit(this.sndNxt, TCP_FLAG.ACK);
        this.pump();
      }
      this.wake();
      return;
    }
    if (this.state !== "established") return;
    if (t.flags & TCP_FLAG.ACK) {
      if (diff(t.ack, this.sndUna) > 0 && diff(t.ack, this.sndNxt) <= 0) {
        let acked = diff(t.ack, this.sndUna);
        if (this.finSent && t.ack === this.sndNxt && this.outLen - diff(this.sndNxt, this.outBase) <= 0 && this.finWanted) {
          const dataEnd = add(this.outBase, this.outLen);
          if (diff(t.ack, dataEnd) === 1) {
            this.finAcked = true;
            acked -= 1;
          }
        }
        // Drop acknowledged bytes.
        let left = acked;
        while (left > 0 && this.out.length > 0) {
          const c = this.out[0]!;
          if (c.length <= left) {
            left -= c.length;
            this.out.shift();
            this.outLen -= c.length;
            this.outBase = add(this.outBase, c.length);
          } else {
            this.out[0] = c.subarray(left);
            this.outLen -= left;
            this.outBase = add(this.outBase, left);
            left = 0;
          }
        }
        this.sndUna = t.ack;
        if (this.timer) {
          clearTimeout(this.timer);
          this.timer = null;
        }
      }
      this.peerWnd = t.window << this.peerWscale;
    }
    const plen = t.payload.length;
    const fin = (t.flags & TCP_FLAG.FIN) !== 0;
    if (plen > 0 || fin) {
      if (t.seq === this.rcvNxt) {
        const take = Math.min(plen, Math.max(0, this.wnd));
        if (take > 0) {
          this.received.push(Buffer.from(t.payload.subarray(0, take)));
          this.receivedLen += take;
          this.rcvNxt = add(this.rcvNxt, take);
        }
        if (fin && take === plen) {
          this.rcvNxt = add(this.rcvNxt, 1);
          this.peerFin = true;
        }
        // Release held segments that are now in order.
        for (let more = true; more && !this.peerFin; ) {
          more = false;
          for (const [seq, seg] of this.ooo) {
            const end = add(seq, seg.data.length);
            if (diff(seq, this.rcvNxt) <= 0) {
              this.ooo.delete(seq);
              if (diff(end, this.rcvNxt) > 0) {
                const part = seg.data.subarray(diff(this.rcvNxt, seq));
                this.received.push(Buffer.from(part));
                this.receivedLen += part.length;
                this.rcvNxt = end;
              }
              if (seg.fin && diff(end, this.rcvNxt) >= 0) {
                this.rcvNxt = add(this.rcvNxt, 1);
                this.peerFin = true;
              }
              more = true;
            }
          }
        }
      } else if (!this.dropOutOfOrder && diff(t.seq, this.rcvNxt) > 0 && this.wnd > 0) {
        this.ooo.set(t.seq, { data: Uint8Array.from(t.payload), fin });
      }
      let options: TcpOptions | undefined;
      if (this.peerOptions.sackPermitted && this.o.sackPermitted && this.ooo.size > 0) {
        const blocks = [...this.ooo.entries()]
          .map(([seq, sg]) => ({ left: seq, right: add(seq, sg.data.length) }))
          .sort((a, b) => diff(a.left, b.left));
        const merged: { left: number; right: number }[] = [];
        for (const b of blocks) {
          const last = merged[merged.length - 1];
          if (last && diff(b.left, last.right) <= 0) {
            if (diff(b.right, last.right) > 0) last.right = b.right;
          } else merged.push({ ...b });
        }
        options = { sack: merged.slice(-3).reverse() };
      }
      this.emit(this.sndNxt, TCP_FLAG.ACK, undefined, options); // ACK everything (dup ACK when out of order)
    }
    this.pump();
    this.wake();
  }

  /** All received bytes. */
  data(): Buffer {
    return Buffer.concat(this.received);
  }

  /** Stop timers. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
