/**
 * External ICMP echo through unprivileged ICMP sockets (`socket(AF_INET, SOCK_DGRAM,
 * IPPROTO_ICMP)`, allowed for the groups in `net.ipv4.ping_group_range`; semantics.md §7.4).
 * Node has no such sockets, so the libc calls go through koffi (an optional dependency). One
 * socket per guest echo identifier and family; the kernel owns the wire identifier and checksum,
 * replies are mapped back to the guest's identifier. Requests time out after 5 s. When koffi is
 * missing or the kernel refuses the socket (EACCES), the relay reports itself unavailable and
 * external echo requests are dropped.
 */
import { createRequire } from "node:module";

/** One echo request to relay. */
export interface EchoRequest {
  readonly dst: Uint8Array;
  readonly id: number;
  readonly seq: number;
  readonly data: Uint8Array;
}

/** Delivers a reply: the echo sequence number and payload as the remote host answered them. */
export type EchoReply = (seq: number, data: Uint8Array) => void;

interface Sock {
  fd: number;
  family: 4 | 6;
  pending: Map<number, { at: number; reply: EchoReply }>;
  lastUsed: number;
}

interface Libc {
  socket(domain: number, type: number, proto: number): number;
  sendto(fd: number, buf: Uint8Array, len: number, flags: number, addr: Uint8Array, addrlen: number): number | bigint;
  recvfrom(fd: number, buf: Uint8Array, len: number, flags: number, addr: null, addrlen: null): number | bigint;
  close(fd: number): number;
  errno(): number;
}

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_DGRAM = 2;
const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;
const MSG_DONTWAIT = 0x40;

let libc: Libc | null | undefined;

function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  try {
    const koffi = createRequire(import.meta.url)("koffi") as typeof import("koffi");
    const lib = koffi.load("libc.so.6");
    const socket = lib.func("int socket(int, int, int)");
    const sendto = lib.func("long sendto(int, const void *, size_t, int, const void *, uint32_t)");
    const recvfrom = lib.func("long recvfrom(int, void *, size_t, int, void *, void *)");
    const close = lib.func("int close(int)");
    libc = {
      socket: (d, t, p) => socket(d, t, p) as number,
      sendto: (fd, b, l, f, a, al) => sendto(fd, b, l, f, a, al) as number,
      recvfrom: (fd, b, l, f, a, al) => recvfrom(fd, b, l, f, a, al) as number,
      close: (fd) => close(fd) as number,
      errno: () => koffi.errno(),
    };
  } catch {
    libc = null;
  }
  return libc;
}

/** The relay. */
export class IcmpRelay {
  private readonly socks = new Map<string, Sock>();
  private timer: NodeJS.Timeout | null = null;
  private readonly rx = Buffer.alloc(65536);
  /** Why the relay is unavailable (null when it works or was not tried yet). */
  unavailable: string | null = null;

  constructor(private readonly timeoutMs = 5000) {}

  private open(family: 4 | 6): number {
    const c = loadLibc();
    if (!c) {
      this.unavailable = "koffi is not installed";
      return -1;
    }
    const fd = family === 4 ? c.socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) : c.socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
    if (fd < 0) {
      const e = c.errno();
      this.unavailable = e === 13 ? "unprivileged ICMP sockets are not permitted (net.ipv4.ping_group_range)" : `ICMP socket failed (errno ${e})`;
    }
    return fd;
  }

  /**
   * Send an echo request for the guest. Returns false (and sets `unavailable`) when it cannot be
   * sent; `reply` runs at most once, when the answer arrives within the timeout.
   */
  echo(req: EchoRequest, reply: EchoReply): boolean {
    const family: 4 | 6 = req.dst.length === 4 ? 4 : 6;
    const key = `${family}:${req.id}`;
    let s = this.socks.get(key);
    if (!s) {
      const fd = this.open(family);
      if (fd < 0) return false;
      s = { fd, family, pending: new Map(), lastUsed: Date.now() };
      this.socks.set(key, s);
    }
    const c = loadLibc()!;
    const msg = Buffer.alloc(8 + req.data.length);
    msg[0] = family === 4 ? 8 : 128;
    msg.writeUInt16BE(req.seq, 6);
    msg.set(req.data, 8);
    let addr: Buffer;
    if (family === 4) {
      addr = Buffer.alloc(16);
      addr.writeUInt16LE(AF_INET, 0);
      addr.set(req.dst, 4);
    } else {
      addr = Buffer.alloc(28);
      addr.writeUInt16LE(AF_INET6, 0);
      addr.set(req.dst, 8);
    }
    const n = Number(c.sendto(s.fd, msg, msg.length, 0, addr, addr.length));
    if (n < 0) return false;
    s.lastUsed = Date.now();
    s.pending.set(req.seq, { at: s.lastUsed, reply });
    this.schedule();
    return true;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.poll(), 5);
    this.timer.unref?.();
  }

  private poll(): void {
    const c = loadLibc();
    if (!c) return;
    const now = Date.now();
    for (const [key, s] of this.socks) {
      for (;;) {
        const n = Number(c.recvfrom(s.fd, this.rx, this.rx.length, MSG_DONTWAIT, null, null));
        if (n < 8) break;
        const type = this.rx[0];
        if (type !== (s.family === 4 ? 0 : 129)) continue;
        const seq = this.rx.readUInt16BE(6);
        const p = s.pending.get(seq);
        if (!p) continue;
        s.pending.delete(seq);
        p.reply(seq, Uint8Array.from(this.rx.subarray(8, n)));
      }
      for (const [seq, p] of s.pending) if (now - p.at > this.timeoutMs) s.pending.delete(seq);
      if (s.pending.size === 0 && now - s.lastUsed > this.timeoutMs) {
        c.close(s.fd);
        this.socks.delete(key);
      }
    }
    if (this.socks.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** Close every socket. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const c = loadLibc();
    for (const s of this.socks.values()) c?.close(s.fd);
    this.socks.clear();
  }
}
