/**
 * Published ports (semantics.md §7.5): host listeners (127.0.0.1 unless an explicit bind is given)
 * whose connections and datagrams go into the guest from the gateway address, each subject to the
 * ingress policy. TCP: deny -> RST (SO_LINGER 0); allow -> a connection from gateway:ephemeral
 * (from 49152) to guest:guest_port, at most 256 at once (excess accepted then reset). UDP: each
 * datagram is checked; a session per host peer maps guest replies back to it (60 s idle).
 */
import * as dgram from "node:dgram";
import * as net from "node:net";
import type { IpAddr } from "@sandbox/core";
import { formatIpBytes, isLoopbackBytes, parseIpBytes, toIpAddr } from "../stack/ip.js";
import type { PolicyGate } from "../stack/policy-gate.js";
import type { TcpTable } from "../stack/tcp/table.js";
import type { PublishedPort, StackEvent } from "../stack/types.js";
import type { UdpRelay } from "../stack/udp.js";

/** Cap on concurrent inbound TCP connections (semantics.md §7.2). */
export const MAX_INBOUND_TCP = 256;
/** Cap on live host-peer sessions of one published UDP port (the least recently active is evicted). */
export const MAX_INBOUND_UDP_PEERS = 256;

/** Dependencies of the published-port manager. */
export interface PublishedPortDeps {
  readonly gate: () => PolicyGate;
  readonly tcp: TcpTable;
  readonly udp: UdpRelay;
  readonly event: (ev: StackEvent) => void;
  /** Guest address and the gateway address of the same family used as the source. */
  readonly guest: { ip: Uint8Array; gateway: Uint8Array };
  readonly udpIdleMs: number;
}

interface Listener {
  port: PublishedPort;
  close(): Promise<void>;
}

function peerAddr(address: string | undefined): IpAddr | null {
  if (!address) return null;
  const plain = address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
  const b = parseIpBytes(plain.replace(/%.*$/, ""));
  return b ? toIpAddr(b) : null;
}

function keyOf(p: Pick<PublishedPort, "hostPort" | "protocol" | "hostBind">): string {
  return `${p.protocol}:${p.hostBind ?? "127.0.0.1"}:${p.hostPort}`;
}

/** Manages the host listeners of published ports. */
export class PublishedPorts {
  private readonly listeners = new Map<string, Listener>();
  private nextUdpPort = 49152;
  /** Gateway-side ports owned by a live UDP peer session (never handed to a second peer). */
  private readonly udpPortsInUse = new Set<number>();

  constructor(private readonly d: PublishedPortDeps) {}

  /** Number of open listeners. */
  get count(): number {
    return this.listeners.size;
  }

  private ingressEvent(proto: "tcp" | "udp", peer: string, peerPort: number, p: PublishedPort, verdict: "allow" | "deny", rule: number | null, reason: string): void {
    this.d.event({
      type: "flow",
      protocol: proto,
      direction: "ingress",
      stage: "connect",
      src: peer,
      srcPort: peerPort,
      dst: formatIpBytes(this.d.guest.ip),
      dstPort: p.guestPort,
      verdict,
      rule,
      reason,
    });
  }

  /** Open the listener for `p`. Rejects when the host address cannot be bound. */
  async publish(p: PublishedPort): Promise<void> {
    const key = keyOf(p);
    if (this.listeners.has(key)) throw new Error(`published port ${key} is already open`);
    const bind = p.hostBind ?? "127.0.0.1";
    const bindBytes = parseIpBytes(bind);
    if (!bindBytes) throw new Error(`published port host_bind \`${bind}\` is not an IP address`);
    if (!isLoopbackBytes(bindBytes)) this.d.event({ type: "warning", message: `published port ${p.hostPort} binds non-loopback address ${bind}` });
    const l = p.protocol === "tcp" ? await this.listenTcp(p, bind) : await this.listenUdp(p, bind);
    this.listeners.set(key, l);
  }

  /** Close the listener of a published port. */
  async unpublish(p: Pick<PublishedPort, "hostPort" | "protocol" | "hostBind">): Promise<void> {
    const key = keyOf(p);
    const l = this.listeners.get(key);
    if (!l) return;
    this.listeners.delete(key);
    await l.close();
  }

  private listenTcp(p: PublishedPort, bind: string): Promise<Listener> {
    const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (sock) => {
      sock.on("error", () => sock.destroy());
      const peer = peerAddr(sock.remoteAddress);
      const decision = peer ? this.d.gate().ingress(peer, p.guestPort, "tcp") : null;
      const peerText = sock.remoteAddress ?? "?";
      if (!decision || decision.verdict !== "allow") {
        this.ingressEvent("tcp", peerText, sock.remotePort ?? 0, p, "deny", decision?.rule ?? null, decision?.reason ?? "unknown peer address");
        sock.resetAndDestroy();
        return;
      }
      this.ingressEvent("tcp", peerText, sock.remotePort ?? 0, p, "allow", decision.rule, decision.reason);
      sock.setNoDelay(true);
      if (!this.d.tcp.openToGuest(this.d.guest.gateway, this.d.guest.ip, p.guestPort, sock, MAX_INBOUND_TCP, peer!)) {
        this.d.event({ type: "limit", what: "max_connections", limit: MAX_INBOUND_TCP });
        sock.resetAndDestroy();
      }
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: bind, port: p.hostPort }, () => {
        server.off("error", reject);
        // Stop accepting at once; connections already handed to the guest continue.
        resolve({ port: p, close: async () => void server.close() });
      });
    });
  }

  private listenUdp(p: PublishedPort, bind: string): Promise<Listener> {
    const sock = dgram.createSocket({ type: bind.includes(":") ? "udp6" : "udp4" });
    // One gateway-side ephemeral port per host peer.
    const byPeer = new Map<string, { localPort: number; last: number }>();
    const release = (k: string, s: { localPort: number }): void => {
      byPeer.delete(k);
      this.d.udp.unregisterInbound(s.localPort);
      this.udpPortsInUse.delete(s.localPort);
    };
    const sweep = setInterval(() => {
      const limit = Date.now() - this.d.udpIdleMs;
      for (const [k, s] of byPeer) if (s.last < limit) release(k, s);
    }, Math.max(250, this.d.udpIdleMs / 4));
    sweep.unref?.();
    sock.on("message", (msg, rinfo) => {
      const peer = peerAddr(rinfo.address);
      const decision = peer ? this.d.gate().ingress(peer, p.guestPort, "udp") : null;
      if (!decision || decision.verdict !== "allow") {
        this.ingressEvent("udp", rinfo.address, rinfo.port, p, "deny", decision?.rule ?? null, decision?.reason ?? "unknown peer address");
        return;
      }
      const pk = `${rinfo.address}|${rinfo.port}`;
      let s = byPeer.get(pk);
      if (!s) {
        if (byPeer.size >= MAX_INBOUND_UDP_PEERS) {
          let oldest: [string, { localPort: number; last: number }] | null = null;
          for (const e of byPeer) if (!oldest || e[1].last < oldest[1].last) oldest = e;
          if (oldest) release(oldest[0], oldest[1]);
          this.d.event({ type: "limit", what: "udp_sessions", limit: MAX_INBOUND_UDP_PEERS });
        }
        const localPort = this.allocUdpPort();
        if (localPort === null) return;
        s = { localPort, last: Date.now() };
        byPeer.set(pk, s);
        const session = s;
        this.d.udp.registerInbound(localPort, (payload, guestPort) => {
          if (guestPort !== p.guestPort) return;
          session.last = Date.now();
          sock.send(payload, rinfo.port, rinfo.address);
        });
        this.ingressEvent("udp", rinfo.address, rinfo.port, p, "allow", decision.rule, decision.reason);
      }
      s.last = Date.now();
      this.d.udp.sendToGuest(this.d.guest.gateway, s.localPort, this.d.guest.ip, p.guestPort, msg);
    });
    return new Promise((resolve, reject) => {
      sock.once("error", reject);
      sock.bind({ address: bind, port: p.hostPort }, () => {
        sock.off("error", reject);
        resolve({
          port: p,
          close: () =>
            new Promise<void>((r) => {
              clearInterval(sweep);
              for (const [k, s] of [...byPeer]) release(k, s);
              sock.close(() => r());
            }),
        });
      });
    });
  }

  /** The next gateway-side port (49152-65535) no live peer session owns, or null when all are taken. */
  private allocUdpPort(): number | null {
    for (let i = 0; i < 16384; i++) {
      const p = this.nextUdpPort;
      this.nextUdpPort = p >= 65535 ? 49152 : p + 1;
      if (!this.udpPortsInUse.has(p)) {
        this.udpPortsInUse.add(p);
        return p;
      }
    }
    return null;
  }

  /** Close every listener. */
  async closeAll(): Promise<void> {
    const ls = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(ls.map((l) => l.close()));
  }
}
