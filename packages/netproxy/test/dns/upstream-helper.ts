/** A scriptable DNS upstream on 127.0.0.1 (UDP and TCP on the same port) for forwarder tests. */
import { createSocket } from "node:dgram";
import { createServer, type AddressInfo } from "node:net";
import dnsPacket from "dns-packet";

export type Reply = dnsPacket.Packet | { raw: Buffer } | null;
export type Script = (q: dnsPacket.Packet, transport: "udp" | "tcp") => Reply | Promise<Reply>;

export interface TestUpstream {
  readonly port: number;
  readonly seen: { name: string; type: string; transport: "udp" | "tcp" }[];
  close(): Promise<void>;
}

function encode(q: dnsPacket.Packet, r: Reply): Buffer | null {
  if (r === null) return null;
  if ("raw" in r) return r.raw;
  return dnsPacket.encode({ ...r, id: q.id, type: "response", questions: r.questions ?? q.questions } as dnsPacket.Packet);
}

export async function startUpstream(script: Script, host = "127.0.0.1", port = 0): Promise<TestUpstream> {
  const seen: TestUpstream["seen"] = [];
  const tcp = createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on("data", async (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        const q = dnsPacket.decode(msg);
        seen.push({ name: q.questions![0]!.name, type: q.questions![0]!.type, transport: "tcp" });
        const out = encode(q, await script(q, "tcp"));
        if (out) {
          const head = Buffer.alloc(2);
          head.writeUInt16BE(out.length);
          sock.write(Buffer.concat([head, out]));
        }
      }
    });
    sock.on("error", () => {});
  });
  await new Promise<void>((r) => tcp.listen(port, host, r));
  const bound = (tcp.address() as AddressInfo).port;
  const udp = createSocket("udp4");
  udp.on("message", async (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    seen.push({ name: q.questions![0]!.name, type: q.questions![0]!.type, transport: "udp" });
    const out = encode(q, await script(q, "udp"));
    if (out) udp.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => udp.bind(bound, host, r));
  return {
    port: bound,
    seen,
    close: () => new Promise<void>((r) => {
      udp.close();
      tcp.close(() => r());
    }),
  };
}
