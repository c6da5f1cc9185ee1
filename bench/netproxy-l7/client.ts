/** Bench helper (child process): TLS guests — handshake loops or one bulk GET/POST — reporting over IPC. */
import { connect, createSecureContext, type SecureContext, type TLSSocket } from "node:tls";

interface Job { mode: "handshakes" | "get" | "post"; port: number; servername: string; caPem: string; seconds?: number; concurrency?: number; bytes?: number }

/**
 * One client context per trusted CA, as a long-lived client keeps it: building a context with a
 * CA per connection costs ~1 ms of the load generator's CPU on the same 2 cores as the proxy.
 */
const contexts = new Map<string, SecureContext>();

function open(j: Job): Promise<TLSSocket> {
  let secureContext = contexts.get(j.caPem);
  if (!secureContext) contexts.set(j.caPem, (secureContext = createSecureContext({ ca: [j.caPem] })));
  return new Promise((resolve, reject) => {
    // Full handshakes only: no session is offered, so every connection is a new handshake.
    const s = connect({ host: "127.0.0.1", port: j.port, servername: j.servername, secureContext, ALPNProtocols: ["http/1.1"] });
    s.setNoDelay(true); // tls.connect() does not pass a noDelay option on to the TCP socket
    s.once("secureConnect", () => resolve(s));
    s.once("error", reject);
  });
}

async function handshakes(j: Job): Promise<{ count: number; seconds: number; errors: number }> {
  const end = Date.now() + (j.seconds ?? 3) * 1000;
  let count = 0;
  let errors = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: j.concurrency ?? 16 }, async () => {
      while (Date.now() < end) {
        try {
          const s = await open(j);
          count++;
          s.destroy();
        } catch {
          errors++;
        }
      }
    }),
  );
  return { count, errors, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

async function bulk(j: Job): Promise<{ bytes: number; seconds: number }> {
  const s = await open(j);
  const n = j.bytes ?? 64 * 1024 * 1024;
  const t0 = process.hrtime.bigint();
  if (j.mode === "get") {
    s.write(`GET /bulk/${n} HTTP/1.1\r\nHost: ${j.servername}\r\n\r\n`);
    let got = 0;
    let headDone = false;
    let pending = "";
    await new Promise<void>((resolve, reject) => {
      s.on("data", (d: Buffer) => {
        if (!headDone) {
          pending += d.toString("latin1");
          const e = pending.indexOf("\r\n\r\n");
          if (e < 0) return;
          headDone = true;
          got += pending.length - e - 4;
        } else got += d.length;
        if (got >= n) resolve();
      });
      s.on("close", () => (got >= n ? resolve() : reject(new Error(`closed after ${got} of ${n} bytes`))));
    });
  } else {
    const chunk = Buffer.alloc(256 * 1024, 0x62);
    s.write(`POST /up HTTP/1.1\r\nHost: ${j.servername}\r\nContent-Length: ${n}\r\n\r\n`);
    const done = new Promise<void>((resolve, reject) => {
      let text = "";
      s.on("data", (d: Buffer) => {
        text += d.toString("latin1");
        if (text.includes("\r\n\r\nok")) resolve();
      });
      s.on("close", () => reject(new Error("closed before the answer")));
    });
    let left = n;
    while (left > 0) {
      const k = Math.min(left, chunk.length);
      left -= k;
      if (!s.write(k === chunk.length ? chunk : chunk.subarray(0, k))) await new Promise((r) => s.once("drain", r));
    }
    await done;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  s.destroy();
  return { bytes: n, seconds };
}

process.on("message", async (j: Job) => {
  try {
    const r = j.mode === "handshakes" ? await handshakes(j) : await bulk(j);
    process.send!({ ok: true, ...r });
  } catch (e) {
    process.send!({ ok: false, error: (e as Error).message });
  }
});
process.send!({ ready: true });
