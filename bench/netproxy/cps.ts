/**
 * Connection-rate and idle-connection helpers for the netproxy benchmark (run inside namespaces).
 *   server PORT                      accept, echo one byte, keep the connection until the client closes
 *   rate HOST PORT SECONDS CONC      open/echo/close connections with CONC workers; prints {"cps":N,"errors":E}
 *   idle HOST PORT N                 open N connections, print {"open":N} and hold them until stdin closes
 */
import { connect, createServer, type Socket } from "node:net";

const [mode, a, b, c, d] = process.argv.slice(2);

function once(host: string, port: number): Promise<void> {
  return new Promise((res, rej) => {
    const s = connect({ host, port });
    s.setNoDelay(true);
    s.once("connect", () => s.write("x"));
    s.once("data", () => {
      s.destroy();
      res();
    });
    s.once("error", rej);
    s.setTimeout(5000, () => s.destroy(new Error("timeout")));
  });
}

if (mode === "server") {
  const srv = createServer((s) => {
    s.setNoDelay(true);
    s.on("data", (x) => s.write(x));
    s.on("error", () => {});
  });
  srv.maxConnections = 100000;
  srv.listen(Number(a), "0.0.0.0", 4096, () => console.log("ready"));
} else if (mode === "rate") {
  const host = a!;
  const port = Number(b);
  const until = Date.now() + Number(c) * 1000;
  let ok = 0;
  let errors = 0;
  const worker = async () => {
    while (Date.now() < until) {
      try {
        await once(host, port);
        ok++;
      } catch {
        errors++;
      }
    }
  };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: Number(d ?? 8) }, worker));
  console.log(JSON.stringify({ cps: Math.round((ok * 1000) / (Date.now() - t0)), errors }));
} else if (mode === "idle") {
  const host = a!;
  const port = Number(b);
  const n = Number(c);
  const socks: Socket[] = [];
  let failed = 0;
  for (let i = 0; i < n; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, () =>
        new Promise<void>((res) => {
          const s = connect({ host, port });
          s.once("connect", () => {
            s.write("x");
            socks.push(s);
            res();
          });
          s.once("error", () => {
            failed++;
            res();
          });
        }),
      ),
    );
  }
  console.log(JSON.stringify({ open: socks.length, failed }));
  process.stdin.resume();
  process.stdin.on("end", () => process.exit(0));
}
