/**
 * A microbenchmark of netproxy's guest→host bulk path as bench/vm drives it (frames of MTU 1500
 * with full checksums, one frame per write on a stream socket, as QEMU's `-netdev stream` does),
 * without QEMU: this process plays the guest (a window-clocked TCP sender of 1460-byte segments)
 * and the far end (a loopback sink); netproxy runs as its own process on `stream:unix:`. Reports
 * netproxy's CPU-seconds per GiB relayed, which is what bench/vm's guest→host is short of.
 *
 * Usage (no root needed): node --conditions=@sandbox/source --import tsx bench/vm/g2h-micro.ts
 *   [--mib 1024] [--rounds 3] [--b PATH/src/netns/netproxy-main.ts] [--burst 1] [--prof DIR]
 * With --b, every round measures A (this tree) and B (that entry) interleaved. --burst N writes N
 * frames per write (default 1). --prof DIR writes a V8 CPU profile of every netproxy process.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { NETPROXY_NODE_FLAGS } from "../../packages/netproxy/src/node-flags.js";
import { cpuSecs } from "../proc-cpu.js";
import { bundleNetproxy } from "../netproxy-bundle.js";
import { GuestTcpFrames, windowScaleOf } from "./guest-tcp.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const pkgDir = resolve(here, "../../packages/netproxy");
const arg = (flag: string): string | undefined => {
  const i = process.argv.indexOf(flag);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const MIB = Number(arg("--mib") ?? 1024);
const ROUNDS = Number(arg("--rounds") ?? 3);
const BURST = Number(arg("--burst") ?? 1);
const B_ENTRY = arg("--b");
const PROF = arg("--prof");
const WARM_MIB = 64;

function waitLine(child: ChildProcess, pred: (l: string) => boolean): Promise<string> {
  return new Promise((res, rej) => {
    createInterface({ input: child.stdout! }).on("line", (l) => pred(l) && res(l));
    child.once("exit", (c) => rej(new Error(`netproxy exited ${c}`)));
  });
}

const GUEST = [10, 0, 2, 100];
let GW = [10, 0, 2, 99];
const MSS = 1460;

/** One transfer of `bytes` through netproxy at `sockPath` to the sink on `port`; resolves with netproxy's CPU-s over the measured part. */
async function transfer(sockPath: string, port: number, bytes: number, pid: number, sinkBytes: () => number): Promise<{ cpu: number; secs: number; bytes: number }> {
  const sock = net.connect(sockPath);
  await new Promise<void>((r, j) => sock.once("connect", r).once("error", j));
  sock.on("error", () => {});
  const srcPort = 40000 + Math.floor(Math.random() * 20000);
  const g = new GuestTcpFrames({ src: GUEST, dst: GW, srcPort, dstPort: port, prefix: 4 });
  const isn = 1000;
  // SYN: MSS 1460, SACK permitted, window scale 7 (like Linux, without timestamps: netproxy does not offer them).
  const syn = g.template(0, 0x02, [2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7]);
  g.finish(syn, 0, g.baseOf(syn), isn, 0, 64240);
  let sndUna = isn + 1;
  let sndNxt = isn + 1;
  let rcvNxt = 0;
  let wnd = 0;
  let wscale = 0;
  let established = false;
  const data = g.template(MSS, 0x10);
  const dataBase = g.baseOf(data);
  const ackOnly = g.template(0, 0x10);
  const sent0 = isn + 1;
  let resolveEst!: () => void;
  const est = new Promise<void>((r) => (resolveEst = r));
  let kick: (() => void) | null = null;
  // Parse the frames netproxy sends: keep the ACK and window of our flow.
  let pend: Buffer = Buffer.alloc(0);
  sock.on("data", (chunk: Buffer) => {
    pend = pend.length ? Buffer.concat([pend, chunk]) : chunk;
    let o = 0;
    while (pend.length - o >= 4) {
      const n = pend.readUInt32BE(o);
      if (pend.length - o - 4 < n) break;
      const f = pend.subarray(o + 4, o + 4 + n);
      o += 4 + n;
      if (f.readUInt16BE(12) !== 0x0800 || f[23] !== 6) continue;
      const t = 14 + (f[14]! & 15) * 4;
      if (f.readUInt16BE(t + 2) !== srcPort) continue;
      const flags = f[t + 13]!;
      const ack = f.readUInt32BE(t + 8);
      if (flags & 0x04) throw new Error(`netproxy reset the flow (seq ${f.readUInt32BE(t + 4)} ack ${ack}, we are at ${sndNxt})`);
      if (flags & 0x02) {
        rcvNxt = (f.readUInt32BE(t + 4) + 1) >>> 0;
        wscale = windowScaleOf(f, t);
        wnd = f.readUInt16BE(t + 14);
        sndUna = ack;
        established = true;
        const a = Buffer.from(ackOnly);
        g.finish(a, 0, g.baseOf(a), sndNxt, rcvNxt, 502);
        sock.write(a);
        resolveEst();
        continue;
      }
      if (((ack - sndUna) | 0) >= 0) {
        sndUna = ack;
        wnd = f.readUInt16BE(t + 14) << wscale;
      }
    }
    pend = o === pend.length ? Buffer.alloc(0) : pend.subarray(o);
    kick?.();
  });
  sock.write(syn);
  await est;
  if (!established) throw new Error("no handshake");
  const end = sent0 + bytes;
  const warm = sent0 + WARM_MIB * 1048576;
  let cpu0 = 0;
  let t0 = 0;
  let sink0 = 0;
  let measuring = false;
  await new Promise<void>((done) => {
    kick = () => {
      // Send while the window allows; one frame per write (the syscall QEMU does per packet).
      let burst: Buffer[] = [];
      while (((sndNxt - sndUna) | 0) + MSS <= wnd && ((sndNxt - end) | 0) < 0) {
        if (!measuring && ((sndNxt - warm) | 0) >= 0) {
          measuring = true;
          cpu0 = cpuSecs(pid, 0);
          t0 = performance.now();
          sink0 = sinkBytes();
        }
        const f = Buffer.from(data);
        g.finish(f, 0, dataBase, sndNxt, rcvNxt, 502);
        sndNxt = (sndNxt + MSS) >>> 0;
        if (BURST <= 1) sock.write(f);
        else {
          burst.push(f);
          if (burst.length >= BURST) {
            sock.write(Buffer.concat(burst));
            burst = [];
          }
        }
      }
      if (burst.length) sock.write(Buffer.concat(burst));
      if (sndUna === (end >>> 0) || ((sndUna - end) | 0) >= 0) done();
    };
    kick();
  });
  const cpu = cpuSecs(pid, 0) - cpu0;
  const secs = (performance.now() - t0) / 1000;
  const moved = sinkBytes() - sink0;
  sock.destroy();
  return { cpu, secs, bytes: moved };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "g2h-micro-"));
  let sunk = 0;
  const sink = net.createServer((s) => s.on("data", (d: Buffer) => (sunk += d.length)).on("error", () => {}));
  await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));
  const port = (sink.address() as net.AddressInfo).port;
  const cfg = join(dir, "np.json");
  writeFileSync(cfg, JSON.stringify({
      policy: {
        default_egress: "deny",
        default_ingress: "deny",
        rules: [{ direction: "egress", destination: { cidr: "10.0.2.99/32" }, protocols: ["tcp"], ports: [{ start: port, end: port }], action: "allow" }],
      },
      interface: { mtu: 1500, ipv4_address: "10.0.2.100/24" },
    }));
  const variants: [string, string][] = [["A", bundleNetproxy(dir, join(pkgDir, "src/netns/netproxy-main.ts"), "a")]];
  if (B_ENTRY) variants.push(["B", bundleNetproxy(dir, resolve(B_ENTRY), "b")]);
  const results = new Map<string, number[]>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, entry] of r % 2 ? [...variants].reverse() : variants) {
      const path = join(dir, `${name}-${r}.sock`);
      const flags = [...NETPROXY_NODE_FLAGS, ...(PROF ? ["--cpu-prof", "--cpu-prof-dir", PROF] : [])];
      const np = spawn(process.execPath, [...flags, entry, "--config", cfg, "--listen", `stream:unix:${path}`], { cwd: pkgDir, stdio: ["ignore", "pipe", "inherit"] });
      GW = (JSON.parse(await waitLine(np, (l) => l.includes('"listening"'))) as { gateway: string }).gateway.split(".").map(Number);
      const res = await transfer(path, port, MIB * 1048576, np.pid!, () => sunk);
      np.kill("SIGTERM");
      await new Promise((r2) => np.once("exit", r2));
      const perGib = res.cpu / (res.bytes / 2 ** 30);
      (results.get(name) ?? results.set(name, []).get(name)!).push(perGib);
      console.log(
        `round ${r} ${name}: ${perGib.toFixed(3)} CPU-s/GiB, ${((res.bytes * 8) / res.secs / 1e9).toFixed(2)} Gbit/s, node ${((100 * res.cpu) / res.secs).toFixed(0)}% of a core; load ${loadavg()[0]!.toFixed(2)}`,
      );
    }
  }
  for (const [name, xs] of results) {
    const s = [...xs].sort((a, b) => a - b);
    console.log(`${name}: median ${s[Math.floor(s.length / 2)]!.toFixed(3)} CPU-s/GiB (${xs.map((x) => x.toFixed(3)).join(", ")})`);
  }
  sink.close();
  process.exit(0);
}

await main();
