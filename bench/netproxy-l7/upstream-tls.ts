/** Bench helper: an HTTPS/1.1 upstream under its own CA: GET /bulk/<n> streams n bytes, GET /close answers and closes, POST answers with the byte count, anything else a short body. */
import { createServer, type TLSSocket } from "node:tls";
import type { AddressInfo } from "node:net";
import { generateCa } from "../../packages/netproxy/src/tls/ca.js";
import { LeafCache } from "../../packages/netproxy/src/tls/leaf-cache.js";

const { ca } = await generateCa("bench upstream CA");
const leaves = new LeafCache(ca);
const dflt = await leaves.get("bench.example.test");
const chunk = Buffer.alloc(256 * 1024, 0x61);
const server = createServer({ noDelay: true, secureContext: dflt.context, SNICallback: (n, cb) => void leaves.get(n).then((l) => cb(null, l.context), cb) }, (s: TLSSocket) => {
  let buf = "";
  let posting = -1;
  s.on("error", () => {});
  s.on("data", (d: Buffer) => {
    if (posting >= 0) {
      posting -= d.length;
      if (posting <= 0) {
        s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        posting = -1;
      }
      return;
    }
    buf += d.toString("latin1");
    const end = buf.indexOf("\r\n\r\n");
    if (end < 0) return;
    const head = buf.slice(0, end);
    const rest = buf.length - end - 4;
    buf = "";
    if (head.startsWith("GET /close ")) return void s.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    const m = /^GET \/bulk\/(\d+)/.exec(head);
    if (m) {
      let left = Number(m[1]);
      s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${left}\r\n\r\n`);
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void s.once("drain", pump);
        }
      };
      pump();
      return;
    }
    const cl = /content-length: *(\d+)/i.exec(head);
    if (cl) {
      posting = Number(cl[1]) - rest;
      if (posting <= 0) {
        s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        posting = -1;
      }
      return;
    }
    s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
});
server.listen(0, "127.0.0.1", () => process.send?.({ port: (server.address() as AddressInfo).port, caPem: ca.certPem }));
