/**
 * Shared helpers of the adversarial-guest suite: memory and descriptor measurement, raw frames a
 * hostile guest sends (any source MAC, DHCP from many clients, IPv4 fragments), and a guest-side
 * TCP listener that accepts many connections on one port (for published-port attacks).
 */
import { readdirSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { buildDhcpReply, DHCP_OPT } from "../../src/frame/dhcp.js";
import { ETHERTYPE, writeEthernetHeader } from "../../src/frame/ethernet.js";
import { IPPROTO, writeIpv4Header } from "../../src/frame/ipv4.js";
import { TCP_FLAG, type TcpSegment } from "../../src/frame/tcp.js";
import type { AddressPlan } from "../../src/stack/addr.js";
import { ipFrame, tcpL4, udpL4 } from "../stack/helpers/guest.js";
export { ipv4Fragment } from "../stack/helpers/guest.js";
import type { MemoryLink } from "../stack/helpers/link.js";

setFlagsFromString("--expose-gc");
const gcFn = runInNewContext("gc") as () => void;

/** Run a full garbage collection (twice, with a tick between, so weak callbacks settle). */
export async function fullGc(): Promise<void> {
  gcFn();
  await new Promise((r) => setImmediate(r));
  gcFn();
}

/** Heap in use plus array buffers (MiB) after a full GC: what the process really retains. */
export async function retainedMiB(): Promise<number> {
  await fullGc();
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 2 ** 20;
}

/** Open file descriptors of this process. */
export function fdCount(): number {
  return readdirSync("/proc/self/fd").length;
}

/** Sleep. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A copy of `frame` with another Ethernet source MAC. */
export function withSrcMac(frame: Uint8Array, mac: Uint8Array): Uint8Array {
  const f = Uint8Array.from(frame);
  f.set(mac, 6);
  return f;
}

/** A locally administered unicast MAC derived from `n`. */
export function macOf(n: number): Uint8Array {
  return Uint8Array.of(0x02, 0xbe, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** A DHCP client message (BOOTREQUEST) from `mac`, broadcast from 0.0.0.0 like a real client. */
export function dhcpFrom(plan: AddressPlan, mac: Uint8Array, type: number, xid: number, opts: [number, Uint8Array][] = []): Uint8Array {
  const body = buildDhcpReply({
    xid,
    flags: 0,
    ciaddr: new Uint8Array(4),
    yiaddr: new Uint8Array(4),
    siaddr: new Uint8Array(4),
    giaddr: new Uint8Array(4),
    chaddr: mac,
    options: [[DHCP_OPT.MSG_TYPE, Uint8Array.of(type)], ...opts],
  });
  body[0] = 1; // BOOTREQUEST
  const zero = new Uint8Array(4);
  const bcast = Uint8Array.of(255, 255, 255, 255);
  const f = ipFrame(plan, zero, bcast, IPPROTO.UDP, udpL4(zero, bcast, 68, 67, body), Uint8Array.of(255, 255, 255, 255, 255, 255));
  return withSrcMac(f, mac);
}


/** A bare SYN from the guest (no endpoint behind it: the attacker never completes handshakes). */
export function rawSyn(plan: AddressPlan, dst: Uint8Array, srcPort: number, dstPort: number, seq = 7777): Uint8Array {
  const g = plan.v4!.guest;
  return ipFrame(plan, g, dst, IPPROTO.TCP, tcpL4(g, dst, { srcPort, dstPort, seq, ack: 0, flags: TCP_FLAG.SYN, window: 65535, options: { mss: 1460 } }));
}

/** A bare RST from the guest for a flow it opened with `rawSyn` (seq = ISN + 1). */
export function rawRst(plan: AddressPlan, dst: Uint8Array, srcPort: number, dstPort: number, seq = 7778): Uint8Array {
  const g = plan.v4!.guest;
  return ipFrame(plan, g, dst, IPPROTO.TCP, tcpL4(g, dst, { srcPort, dstPort, seq, ack: 0, flags: TCP_FLAG.RST, window: 0 }));
}

/**
 * A guest TCP server on one port that accepts any number of connections, acknowledges what it
 * receives and never sends data (a guest behind a published port). Feed it the stack's segments.
 */
export class GuestMultiListener {
  /** Remote port → receive state. */
  readonly conns = new Map<number, { rcvNxt: number; iss: number; received: number; reset: boolean }>();
  constructor(
    private readonly link: MemoryLink,
    private readonly plan: AddressPlan,
    readonly port: number,
  ) {}

  /** Handle a segment addressed to our port (from the gateway). */
  input(src: Uint8Array, t: TcpSegment): void {
    const g = this.plan.v4!.guest;
    const send = (flags: number, seq: number, ack: number): void =>
      this.link.inject(ipFrame(this.plan, g, src, IPPROTO.TCP, tcpL4(g, src, { srcPort: this.port, dstPort: t.srcPort, seq, ack, flags, window: 65535, options: flags & TCP_FLAG.SYN ? { mss: 1460 } : undefined })));
    if (t.flags & TCP_FLAG.RST) {
      const c = this.conns.get(t.srcPort);
      if (c) c.reset = true;
      return;
    }
    if (t.flags & TCP_FLAG.SYN) {
      const iss = 5000 + t.srcPort;
      const c = { rcvNxt: (t.seq + 1) >>> 0, iss, received: 0, reset: false };
      this.conns.set(t.srcPort, c);
      send(TCP_FLAG.SYN | TCP_FLAG.ACK, iss, c.rcvNxt);
      return;
    }
    const c = this.conns.get(t.srcPort);
    if (!c) return;
    const n = t.payload.length + (t.flags & TCP_FLAG.FIN ? 1 : 0);
    if (n > 0 && t.seq === c.rcvNxt) {
      c.rcvNxt = (c.rcvNxt + n) >>> 0;
      c.received += t.payload.length;
      send(TCP_FLAG.ACK | (t.flags & TCP_FLAG.FIN ? TCP_FLAG.FIN : 0), (c.iss + 1) >>> 0, c.rcvNxt);
    }
  }
}
