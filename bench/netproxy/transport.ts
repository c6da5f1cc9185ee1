/**
 * Transport-only benchmark: how many frames the netns-mode transport (TAP in a namespace, the C
 * relay helper, the socketpair and StreamLink) carries per second with no network stack behind
 * it. This is the ceiling the stack works under.
 *   guest->link: socat blasting UDP datagrams in the guest namespace; frames counted at the link.
 *   link->guest: prebuilt UDP frames sent as fast as backpressure allows; the guest's TAP RX
 *                counters are the receive side.
 * Usage (root): node --conditions=@sandbox/source --import tsx bench/netproxy/transport.ts [SECONDS]
 * Prints one JSON line per MTU.
 */
import { openTapInNetns } from "../../packages/netproxy/src/transport/tap-netns.js";
import { netnsUnavailableReason, Topology } from "../../packages/netproxy/src/netns/index.js";

const GW_MAC = [0x02, 0x6d, 0x73, 0, 0, 1];
const GUEST_MAC = [0x02, 0x6d, 0x73, 0, 0, 2];

/** A UDP/IPv4 frame gateway -> guest (UDP checksum 0 = none). */
function udpFrame(payload: number): Uint8Array {
  const f = new Uint8Array(14 + 20 + 8 + payload);
  f.set(GUEST_MAC, 0);
  f.set(GW_MAC, 6);
  f[12] = 0x08;
  const ip = 14;
  const total = 20 + 8 + payload;
  f.set([0x45, 0, total >> 8, total & 0xff, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 9, 1, 10, 0, 9, 2], ip);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (f[ip + i]! << 8) | f[ip + i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  f[ip + 10] = c >> 8;
  f[ip + 11] = c & 0xff;
  const u = ip + 20;
  f.set([0x27, 0x10, 0x27, 0x11, (8 + payload) >> 8, (8 + payload) & 0xff, 0, 0], u);
  return f;
}

async function rxCounters(topo: Topology, ns: string): Promise<{ bytes: number; packets: number }> {
  const out = await topo.exec(ns, "cat", ["/sys/class/net/tap0/statistics/rx_bytes", "/sys/class/net/tap0/statistics/rx_packets"]);
  const [b, p] = out.trim().split("\n").map(Number);
  return { bytes: b!, packets: p! };
}

/** One transport-only measurement. */
export interface TransportResult {
  mtu: number;
  frameBytes: number;
  guestToLink: { fps: number; gbps: number };
  linkToGuest: { fps: number; gbps: number; sent: number };
}

/** Measure the netns transport at one MTU for `secs` seconds per direction. */
export async function measureTransport(mtu: number, secs: number): Promise<TransportResult> {
  const topo = new Topology("sbx-tbench");
  try {
    const ns = await topo.netns("guest");
    const link = await openTapInNetns({ netns: Topology.path(ns), mac: "02:6d:73:00:00:02", address: "10.0.9.2", gateway: "10.0.9.1", mtu, disableIpv6: true });
    await topo.exec(ns, "ip", ["neigh", "replace", "10.0.9.1", "lladdr", "02:6d:73:00:00:01", "dev", "tap0"]);

    // guest -> link
    let frames = 0;
    let bytes = 0;
    link.onFrame((f) => {
      frames++;
      bytes += f.length;
    });
    const payload = mtu - 28;
    // socat writes one datagram per read of `payload` bytes from /dev/zero.
    const blaster = topo.spawn(ns, "timeout", [String(secs), "socat", `-b${payload}`, "-u", "/dev/zero", "UDP:10.0.9.1:10001"]);
    const t0 = Date.now();
    await new Promise((r) => blaster.once("exit", r));
    const upSecs = (Date.now() - t0) / 1000;
    const up = { fps: Math.round(frames / upSecs), gbps: +((bytes * 8) / upSecs / 1e9).toFixed(2) };

    // link -> guest
    const frame = udpFrame(payload);
    const before = await rxCounters(topo, ns);
    const end = Date.now() + secs * 1000;
    let sent = 0;
    await new Promise<void>((done) => {
      const pump = () => {
        while (Date.now() < end) {
          sent++;
          if (!link.send(frame)) return; // resume on drain
          if (sent % 256 === 0) return void setImmediate(pump);
        }
        done();
      };
      link.onDrain(pump);
      pump();
    });
    await new Promise((r) => setTimeout(r, 300));
    const after = await rxCounters(topo, ns);
    const down = { fps: Math.round((after.packets - before.packets) / secs), gbps: +(((after.bytes - before.bytes) * 8) / secs / 1e9).toFixed(2), sent };
    link.close();
    return { mtu, frameBytes: frame.length, guestToLink: up, linkToGuest: down };
  } finally {
    await topo.destroy();
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  const reason = netnsUnavailableReason();
  if (reason) {
    console.error(`transport bench needs network namespaces: ${reason}`);
    process.exit(2);
  }
  const secs = Number(process.argv[2] ?? "3");
  for (const mtu of [1500, 65520]) console.log(JSON.stringify(await measureTransport(mtu, secs)));
}
