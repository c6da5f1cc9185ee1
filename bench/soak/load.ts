/**
 * The soak's mixed load, run inside the guest namespace (traffic goes through netproxy):
 *   bulk     2 workers alternating an 8 MiB upload to the sink (TCP 9, which answers the sha256)
 *            and an 8 MiB HTTP download (TCP 80, checked against its x-sha256 header)
 *   short    8 workers opening a connection to the echo port (TCP 7), one 64-byte exchange, close
 *   udp      16 fixed sockets sending 200-byte datagrams to the UDP echo (port 7), ~200/s in all
 *   dns      4 workers resolving names through the gateway's DNS (the proxy's forwarder)
 * Usage: load.ts HOST GATEWAY SECONDS
 * Prints one JSON line per 5 s ({"t":..,"counts":{..}}) and a final {"done":true,"counts":{..}}.
 * Any integrity failure (wrong sha256, wrong echo) is counted under "corrupt".
 */
import { createHash, randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { Resolver } from "node:dns/promises";
import { request } from "node:http";
import { connect } from "node:net";

const [host = "198.51.100.10", gateway = "172.16.0.1", secs = "60"] = process.argv.slice(2);
const until = Date.now() + Number(secs) * 1000;
const counts = { bulkUp: 0, bulkDown: 0, bulkBytes: 0, short: 0, udpSent: 0, udpEchoed: 0, dns: 0, errors: 0, corrupt: 0 };
const lastErrors: string[] = [];
const fail = (e: unknown): void => {
  counts.errors++;
  if (lastErrors.length < 10) lastErrors.push(String((e as Error)?.message ?? e));
};
const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
const BULK = 8 << 20;
const upload = randomBytes(BULK);
const uploadSha = sha(upload);

function bulkUp(): Promise<void> {
  return new Promise((res, rej) => {
    const s = connect({ host, port: 9 });
    let answer = "";
    s.setTimeout(30_000, () => s.destroy(new Error("bulk upload timed out")));
    s.on("connect", () => s.end(upload));
    s.on("data", (d) => (answer += d.toString()));
    s.on("error", rej);
    s.on("close", () => {
      if (answer.trim() === uploadSha) {
        counts.bulkUp++;
        counts.bulkBytes += BULK;
      } else if (answer) counts.corrupt++;
      else return rej(new Error("bulk upload: no answer"));
      res();
    });
  });
}

function bulkDown(): Promise<void> {
  return new Promise((res, rej) => {
    const req = request({ host, port: 80, path: `/blob?size=${BULK}`, agent: false, timeout: 30_000 }, (r) => {
      const h = createHash("sha256");
      let n = 0;
      r.on("data", (d: Buffer) => {
        h.update(d);
        n += d.length;
      });
      r.on("end", () => {
        if (n === BULK && h.digest("hex") === r.headers["x-sha256"]) {
          counts.bulkDown++;
          counts.bulkBytes += BULK;
        } else counts.corrupt++;
        res();
      });
      r.on("error", rej);
    });
    req.on("timeout", () => req.destroy(new Error("bulk download timed out")));
    req.on("error", rej);
    req.end();
  });
}

function shortConn(): Promise<void> {
  return new Promise((res, rej) => {
    const msg = randomBytes(64);
    const s = connect({ host, port: 7 });
    let got = Buffer.alloc(0);
    s.setNoDelay(true);
    s.setTimeout(10_000, () => s.destroy(new Error("short connection timed out")));
    s.on("connect", () => s.write(msg));
    s.on("data", (d) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 64) {
        if (got.equals(msg)) counts.short++;
        else counts.corrupt++;
        s.end();
      }
    });
    s.on("error", rej);
    s.on("close", () => res());
  });
}

async function loop(f: () => Promise<void>, pauseMs = 0): Promise<void> {
  while (Date.now() < until) {
    try {
      await f();
    } catch (e) {
      fail(e);
      await new Promise((r) => setTimeout(r, 100));
    }
    if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
  }
}

async function udp(): Promise<void> {
  const socks = await Promise.all(
    Array.from({ length: 16 }, async () => {
      const s = createSocket("udp4");
      s.on("message", (m) => {
        if (m.length === 200) counts.udpEchoed++;
        else counts.corrupt++;
      });
      s.on("error", fail);
      await new Promise<void>((r) => s.bind(0, () => r()));
      return s;
    }),
  );
  const payload = randomBytes(200);
  let i = 0;
  while (Date.now() < until) {
    socks[i++ % socks.length]!.send(payload, 7, host);
    counts.udpSent++;
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 500));
  for (const s of socks) s.close();
}

async function dns(): Promise<void> {
  const r = new Resolver({ timeout: 2000, tries: 2 });
  r.setServers([gateway]);
  const names = ["public.test", "other.test"];
  let i = 0;
  await loop(async () => {
    const a = await r.resolve4(names[i++ % names.length]!);
    if (a[0] === host) counts.dns++;
    else counts.corrupt++;
  }, 20);
}

const tick = setInterval(() => console.log(JSON.stringify({ t: Date.now(), counts })), 5000);
await Promise.all([
  loop(bulkUp),
  loop(bulkDown),
  ...Array.from({ length: 8 }, () => loop(shortConn)),
  udp(),
  ...Array.from({ length: 4 }, () => dns()),
]);
clearInterval(tick);
console.log(JSON.stringify({ done: true, counts, lastErrors }));
