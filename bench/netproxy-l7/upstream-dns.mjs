// Bench helper: a minimal UDP DNS upstream on 127.0.0.1 answering every A query with one A record
// (an address in 93.184.0.0/16 derived from the name, so names do not all share one address).
import { createSocket } from "node:dgram";
const port = Number(process.argv[2] ?? 0);
const s = createSocket("udp4");
const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 93, 184, 216, 34]);
s.on("message", (q, r) => {
  let p = 12;
  while (p < q.length && q[p] !== 0) p += q[p] + 1;
  const qend = p + 5;
  if (qend > q.length) return;
  let h = 0;
  for (let i = 12; i < qend - 4; i++) h = (h * 31 + q[i]) >>> 0;
  const out = Buffer.concat([q.subarray(0, qend), answer]);
  out[out.length - 2] = (h >>> 8) & 0xff;
  out[out.length - 1] = h & 0xff;
  out[2] = 0x81; out[3] = 0x80; out[6] = 0; out[7] = 1; out[8] = 0; out[9] = 0; out[10] = 0; out[11] = 0;
  s.send(out, r.port, r.address);
});
s.bind(port, "127.0.0.1", () => process.send?.({ port: s.address().port }));
