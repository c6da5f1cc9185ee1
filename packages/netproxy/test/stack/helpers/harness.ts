/** Sets up a stack on a MemoryLink with a guest emulator, plus loopback servers for tests. */
import * as net from "node:net";
import type { DnsHandler } from "../../../src/dns/handler.js";
import { createNetworkStack } from "../../../src/stack/engine.js";
import type { NetworkStack, NetworkStackOptions, StackEvent } from "../../../src/stack/types.js";
import { GuestTcp, parseRx, type GuestTcpOptions, type Rx } from "./guest.js";
import { MemoryLink } from "./link.js";

/** A DNS handler that answers every query by echoing it with the QR bit set. */
export const echoDns: DnsHandler & { queries: Uint8Array[] } = {
  queries: [],
  async handle(q) {
    echoDns.queries.push(q);
    const a = Uint8Array.from(q);
    if (a.length > 2) a[2] = a[2]! | 0x80;
    return a;
  },
};

/** A running test stack. */
export interface Harness {
  stack: NetworkStack;
  link: MemoryLink;
  events: StackEvent[];
  rx: Rx[];
  guests: Map<number, GuestTcp>;
  /** Other-frame listener (non-TCP or TCP without a guest endpoint). */
  onRx: ((rx: Rx) => void) | null;
  tcp(o: Partial<GuestTcpOptions> & { dstPort: number; srcPort: number; dst?: Uint8Array }): GuestTcp;
  close(): Promise<void>;
}

/** Create a stack with test defaults (fast RTO, short time-wait). */
export async function harness(opts: Partial<NetworkStackOptions> & Pick<NetworkStackOptions, "policy">): Promise<Harness> {
  const link = new MemoryLink();
  const events: StackEvent[] = [];
  const stack = await createNetworkStack({
    link,
    dns: echoDns,
    events: (e) => events.push(e),
    ...opts,
    tuning: { rtoInitialMs: 200, rtoMinMs: 50, timeWaitMs: 50, ...opts.tuning },
  });
  const h: Harness = {
    stack,
    link,
    events,
    rx: [],
    guests: new Map(),
    onRx: null,
    tcp(o) {
      const v4 = stack.addresses.v4!;
      const g = new GuestTcp(link, stack.addresses, { src: v4.guest, dst: o.dst ?? v4.gateway, ...o });
      h.guests.set(o.srcPort, g);
      return g;
    },
    async close() {
      for (const g of h.guests.values()) g.dispose();
      await stack.close();
    },
  };
  link.guestReceive = (f) => {
    const rx = parseRx(f);
    h.rx.push(rx);
    if (rx.tcp) {
      const g = h.guests.get(rx.tcp.dstPort);
      if (g) return g.input(rx.tcp);
    }
    h.onRx?.(rx);
  };
  return h;
}

/** A loopback TCP server that records connections. */
export async function loopbackServer(onConn: (s: net.Socket) => void, host = "127.0.0.1"): Promise<{ port: number; connections: number; close(): Promise<void> }> {
  const state = { port: 0, connections: 0, close: async () => {} };
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    state.connections++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    onConn(s);
  });
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  state.port = (server.address() as net.AddressInfo).port;
  state.close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      for (const s of sockets) s.destroy();
    });
  return state;
}

/** Wait until `pred()` holds, polling. */
export async function waitFor(pred: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
