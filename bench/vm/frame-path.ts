/**
 * The CPU cost of netproxy's stack per guest→host TCP frame (MTU 1500, checksums verified), in one
 * process, A/B interleaved: guest frames are built in memory and handed to the stack as a link
 * delivers them (`--batch` frames per event-loop turn), the flow's upstream is a real loopback
 * socket to a sink in another process, and the stack's ACKs come back through an in-memory link.
 * Transport costs (the socketpair read, the ACK write to QEMU) are left out: this measures the
 * stack's per-frame and per-batch work, steadier than a whole-process figure on a shared machine.
 *
 * Usage: node --conditions=@sandbox/source --import tsx bench/vm/frame-path.ts [--b OTHER/src]
 *   [--mib 512] [--rounds 4] [--batch 16]
 * (run from packages/netproxy; A is this tree's src, B another copy of the package's src).
 */
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { GuestTcpFrames, windowScaleOf } from "./guest-tcp.js";

const pkgDir = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../packages/netproxy");
const arg = (flag: string): string | undefined => {
  const i = process.argv.indexOf(flag);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const MIB = Number(arg("--mib") ?? 512);
if (!(MIB > 64)) throw new Error(`--mib ${MIB}: must exceed the 64 MiB warm-up`);
const ROUNDS = Number(arg("--rounds") ?? 4);
const BATCH = Number(arg("--batch") ?? 16);
const MSS = 1460;
const FRAME = 14 + 20 + 20 + MSS;

interface StackModule {
  createNetworkStack(o: Record<string, unknown>): Promise<{ close(): Promise<void>; addresses: { v4?: { guest: Uint8Array; gateway: Uint8Array } } }>;
}

const allowAll = {
  egress: () => ({ verdict: "allow", rule: 0, reason: "bench" }),
  ingress: () => ({ verdict: "deny", rule: null, reason: "bench" }),
  dnsQuery: () => ({ verdict: "allow", rule: 0, reason: "bench" }),
  explicitEgress: () => null,
  rebindAdmits: () => true,
  hasDomainRules: false,
};

async function sinkProcess(): Promise<{ port: number; kill(): void }> {
  const code = `const s=require("net").createServer(c=>c.on("data",()=>{}).on("error",()=>{}));s.listen(0,"127.0.0.1",()=>console.log(s.address().port));`;
  const p = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((r) => p.stdout!.once("data", (d: Buffer) => r(Number(String(d).trim()))));
  return { port, kill: () => p.kill() };
}

/** One transfer through a fresh stack of `mod`; returns CPU-µs per frame over the measured part. */
async function run(mod: StackModule, port: number): Promise<{ usPerFrame: number; gbps: number; handlerUs: number }> {
  let handler: ((f: Uint8Array) => void) | null = null;
  const scratch = new Uint8Array(70000);
  let sndUna = 0;
  let wnd = 0;
  let wscale = 0;
  let irs = -1;
  const link = {
    maxFrameSize: 65550,
    send(frame: Uint8Array) {
      return this.sendWith(frame.length, (b: Uint8Array, o: number) => b.set(frame, o));
    },
    sendWith(n: number, fill: (b: Uint8Array, o: number) => void) {
      fill(scratch, 0);
      if (n < 54 || scratch[23] !== 6) return true;
      const t = 14 + (scratch[14]! & 15) * 4;
      const flags = scratch[t + 13]!;
      if (flags & 0x04) throw new Error("the stack reset the flow");
      const ack = ((scratch[t + 8]! << 24) | (scratch[t + 9]! << 16) | (scratch[t + 10]! << 8) | scratch[t + 11]!) >>> 0;
      if (flags & 0x02) {
        irs = ((scratch[t + 4]! << 24) | (scratch[t + 5]! << 16) | (scratch[t + 6]! << 8) | scratch[t + 7]!) >>> 0;
        wscale = windowScaleOf(scratch, t);
        wnd = (scratch[t + 14]! << 8) | scratch[t + 15]!;
        sndUna = ack;
        return true;
      }
      if (((ack - sndUna) | 0) >= 0) {
        sndUna = ack;
        wnd = ((scratch[t + 14]! << 8) | scratch[t + 15]!) << wscale;
      }
      return true;
    },
    flush() {},
    onFrame(h: (f: Uint8Array) => void) {
      handler = h;
    },
    onDrain() {},
    onClose() {},
    close() {},
  };
  const stack = await mod.createNetworkStack({
    link,
    policy: allowAll,
    dns: { handle: async () => null },
  });
  const v4 = stack.addresses.v4!;
  const srcPort = 40000 + Math.floor(Math.random() * 20000);
  const g = new GuestTcpFrames({ src: v4.guest, dst: v4.gateway, srcPort, dstPort: port, prefix: 0 });
  const isn = 1000;
  const syn = g.template(0, 0x02, [2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7]);
  g.finish(syn, 0, g.baseOf(syn), isn, 0, 64240);
  handler!(syn);
  for (let i = 0; i < 500 && irs < 0; i++) await new Promise((r) => setTimeout(r, 2));
  if (irs < 0) throw new Error("no SYN-ACK");
  const rcvNxt = (irs + 1) >>> 0;
  const ackF = g.template(0, 0x10);
  g.finish(ackF, 0, g.baseOf(ackF), isn + 1, rcvNxt, 502);
  handler!(ackF);
  const data = g.template(MSS, 0x10);
  const dataBase = g.baseOf(data);
  // Frames are built into never-reused slabs, as the link's reads are.
  const SLAB_FRAMES = 256;
  let slab = new Uint8Array(0);
  let slabUsed = SLAB_FRAMES;
  let sndNxt = (isn + 1) >>> 0;
  const total = Math.floor((MIB * 1048576) / MSS);
  const warm = Math.floor((64 * 1048576) / MSS);
  let sent = 0;
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  let buildUs = 0;
  /** Wall time per frame inside the link's frame handler, per full batch (its median is robust to preemption). */
  const inFrame: number[] = [];
  while (sent < total) {
    if (sent >= warm && sent - BATCH < warm) {
      cpu0 = process.cpuUsage();
      t0 = performance.now();
      buildUs = 0;
    }
    const room = Math.floor((wnd - ((sndNxt - sndUna) | 0)) / MSS);
    const n = Math.min(room, BATCH, total - sent);
    if (n <= 0) {
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    const b0 = performance.now();
    const frames: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      if (slabUsed === SLAB_FRAMES) {
        slab = new Uint8Array(FRAME * SLAB_FRAMES);
        slabUsed = 0;
      }
      const at = slabUsed++ * FRAME;
      slab.set(data, at);
      g.finish(slab, at, dataBase, sndNxt, rcvNxt, 502);
      frames.push(slab.subarray(at, at + FRAME));
      sndNxt = (sndNxt + MSS) >>> 0;
    }
    buildUs += (performance.now() - b0) * 1000;
    const h0 = performance.now();
    for (const f of frames) handler!(f);
    if (n === BATCH && sent >= warm) inFrame.push(((performance.now() - h0) * 1000) / n);
    sent += n;
    await new Promise((r) => setImmediate(r));
  }
  while (sndUna !== sndNxt) await new Promise((r) => setTimeout(r, 1));
  const c = process.cpuUsage(cpu0);
  const secs = (performance.now() - t0) / 1000;
  const frames = total - warm;
  await stack.close();
  inFrame.sort((a, b) => a - b);
  return { usPerFrame: (c.user + c.system - buildUs) / frames, gbps: (frames * MSS * 8) / secs / 1e9, handlerUs: inFrame[inFrame.length >> 1] ?? NaN };
}

const sink = await sinkProcess();
const variants: [string, StackModule][] = [["A", (await import(join(pkgDir, "src/stack/engine.ts"))) as StackModule]];
const bDir = arg("--b");
if (bDir) variants.push(["B", (await import(join(resolve(bDir), "stack/engine.ts"))) as StackModule]);
const res = new Map<string, number[]>();
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, mod] of r % 2 ? [...variants].reverse() : variants) {
    const x = await run(mod, sink.port);
    (res.get(name) ?? res.set(name, []).get(name)!).push(x.usPerFrame);
    (res.get(`${name} in-handler`) ?? res.set(`${name} in-handler`, []).get(`${name} in-handler`)!).push(x.handlerUs);
    console.log(`round ${r} ${name}: ${x.usPerFrame.toFixed(3)} CPU-us per frame (${(x.usPerFrame * (2 ** 30 / MSS) / 1e6).toFixed(3)} CPU-s/GiB), ${x.handlerUs.toFixed(3)} us per frame in the frame handler (median of batches), ${x.gbps.toFixed(2)} Gbit/s; load ${loadavg()[0]!.toFixed(2)}`);
  }
}
for (const [name, xs] of res) {
  const s = [...xs].sort((a, b) => a - b);
  console.log(`${name}: median ${s[Math.floor(s.length / 2)]!.toFixed(3)} ${name.endsWith("handler") ? "us" : "CPU-us"} per frame (${xs.map((x) => x.toFixed(3)).join(", ")})`);
}
sink.kill();
process.exit(0);
