/** The shared test host: every service answers correctly and reports its hits (on loopback). */
import { createHash } from "node:crypto";
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import dnsPacket from "dns-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blob, parseTestHostArgs, startTestHost, type TestHostHit } from "../../src/netns/index.js";

const base = 20000 + (process.pid % 20000);
const hits: TestHostHit[] = [];
let host: { close(): void };

beforeAll(async () => {
  const spec = parseTestHostArgs([
    "--http", `127.0.0.1:${base}:public-ok`,
    "--dns", `127.0.0.1:${base + 1}`,
    "--record", "public.test=203.0.113.10",
    "--echo", `127.0.0.1:${base + 2}`,
    "--sink", `127.0.0.1:${base + 3}`,
    "--udp-echo", `127.0.0.1:${base + 4}`,
  ]);
  host = await startTestHost(spec, (h) => hits.push(h));
});
afterAll(() => host.close());

describe("test host", () => {
  it("rejects malformed options", () => {
    expect(() => parseTestHostArgs(["--http", "nope"])).toThrow(/ADDR:PORT/);
    expect(() => parseTestHostArgs(["--bogus", "1"])).toThrow(/unknown test host option/);
    expect(() => parseTestHostArgs(["--https", "127.0.0.1:1:x"])).toThrow(/--tls-cert and --tls-key/);
    expect(() => parseTestHostArgs(["--hits", "maybe"])).toThrow(/on or off/);
  });

  it("answers /headers with the request headers and reports them with the hit", async () => {
    const r = await fetch(`http://127.0.0.1:${base}/headers`, { headers: { "x-probe": "42" } });
    expect(((await r.json()) as Record<string, string>)["x-probe"]).toBe("42");
    expect(hits.find((h) => h.path === "/headers")?.headers?.["x-probe"]).toBe("42");
    hits.length = 0;
  });

  it("reports nothing with --hits off", async () => {
    const quiet: TestHostHit[] = [];
    const q = await startTestHost(parseTestHostArgs(["--http", `127.0.0.1:${base + 5}:quiet`, "--hits", "off"]), (h) => quiet.push(h));
    expect(await (await fetch(`http://127.0.0.1:${base + 5}/`)).text()).toBe("quiet\n");
    q.close();
    expect(quiet).toEqual([]);
  });

  it("serves the body and deterministic blobs with their sha256", async () => {
    expect(await (await fetch(`http://127.0.0.1:${base}/`)).text()).toBe("public-ok\n");
    const r = await fetch(`http://127.0.0.1:${base}/blob?size=100000`);
    const body = Buffer.from(await r.arrayBuffer());
    expect(body.equals(blob(100000))).toBe(true);
    expect(r.headers.get("x-sha256")).toBe(createHash("sha256").update(body).digest("hex"));
    expect(hits.filter((h) => h.hit === "http").map((h) => h.path)).toEqual(["/", "/blob?size=100000"]);
  });

  it("answers A records and NXDOMAIN", async () => {
    const ask = (name: string) =>
      new Promise<dnsPacket.Packet>((resolve) => {
        const s = createSocket("udp4");
        s.on("message", (m) => {
          s.close();
          resolve(dnsPacket.decode(m));
        });
        s.send(dnsPacket.encode({ type: "query", id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: "A", name }] }), base + 1, "127.0.0.1");
      });
    const ok = await ask("Public.Test");
    expect(ok.answers?.[0]).toMatchObject({ type: "A", data: "203.0.113.10" });
    const nx = await ask("missing.test");
    expect((nx.flags ?? 0) & 0xf).toBe(3); // NXDOMAIN
    expect(hits.filter((h) => h.hit === "dns").map((h) => h.name)).toEqual(["Public.Test", "missing.test"]);
  });

  it("echoes, sinks with a checksum, and echoes UDP", async () => {
    const tcp = (port: number, data: Buffer, half: boolean) =>
      new Promise<string>((resolve) => {
        const s = connect(port, "127.0.0.1");
        let got = "";
        s.on("data", (c) => {
          got += c.toString();
          if (!half && got.length >= data.length) s.end();
        });
        s.on("end", () => resolve(got));
        s.write(data);
        if (half) s.end();
      });
    expect(await tcp(base + 2, Buffer.from("ping"), false)).toBe("ping");
    const payload = blob(50000);
    expect((await tcp(base + 3, payload, true)).trim()).toBe(createHash("sha256").update(payload).digest("hex"));
    const echoed = await new Promise<string>((resolve) => {
      const s = createSocket("udp4");
      s.on("message", (m) => {
        s.close();
        resolve(m.toString());
      });
      s.send("dgram", base + 4, "127.0.0.1");
    });
    expect(echoed).toBe("dgram");
  });
});
