/**
 * Upstream TLS session resumption by the interceptor: a session is offered again only for the
 * same SNI (and upstream, port, ALPN offer and verification settings), never for another name.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NetworkPolicy } from "@sandbox/core";
import { makeRig, startHttps, type Rig, type TestHttps } from "./harness.js";

const DST = "93.184.216.34";
const POLICY: NetworkPolicy = { default_egress: "allow", default_ingress: "allow", rules: [] };

let up: TestHttps;
let rig: Rig;

beforeAll(async () => {
  up = await startHttps();
  rig = await makeRig({ upstream: up, policy: POLICY });
});
afterAll(async () => {
  await up.close();
});

async function fetchVia(r: Rig, sni: string, alpn?: string[]): Promise<{ sni: string | false | null; resumed: boolean }> {
  const n = up.handshakes.length;
  const g = await r.guest(DST, sni, alpn ? { alpn } : {});
  const res = await g.exchange([`GET / HTTP/1.1\r\nHost: ${sni}\r\n\r\n`], "hello from upstream");
  expect(res.text).toContain("hello from upstream");
  g.tls!.destroy();
  expect(up.handshakes.length).toBe(n + 1);
  return up.handshakes[n]!;
}

describe("upstream session resumption", () => {
  it("resumes the upstream session for the same SNI, and only for it", async () => {
    expect(await fetchVia(rig, "a.example.test")).toEqual({ sni: "a.example.test", resumed: false });
    expect(await fetchVia(rig, "a.example.test")).toEqual({ sni: "a.example.test", resumed: true });
    // Another name on the same upstream address and port never gets a's session.
    expect(await fetchVia(rig, "b.example.test")).toEqual({ sni: "b.example.test", resumed: false });
    expect(await fetchVia(rig, "b.example.test")).toEqual({ sni: "b.example.test", resumed: true });
    expect(await fetchVia(rig, "a.example.test")).toEqual({ sni: "a.example.test", resumed: true });
  });

  it("keys sessions by the ALPN offer too", async () => {
    expect(await fetchVia(rig, "c.example.test")).toEqual({ sni: "c.example.test", resumed: false });
    expect(await fetchVia(rig, "c.example.test", ["h2", "http/1.1"])).toEqual({ sni: "c.example.test", resumed: false });
    expect(await fetchVia(rig, "c.example.test", ["h2", "http/1.1"])).toEqual({ sni: "c.example.test", resumed: true });
  });

  it("never gets past verification on a later connection to an upstream that failed it", async () => {
    const strict = await makeRig({ upstream: up, policy: POLICY, trustUpstreamCa: false });
    const n = up.received.length;
    for (let i = 0; i < 3; i++) {
      const g = await strict.guest(DST, "d.example.test");
      const r = await g.exchange(["GET / HTTP/1.1\r\nHost: d.example.test\r\n\r\n"]);
      expect(r.closed).toBe(true);
      expect(r.text).toBe("");
    }
    expect(up.received.slice(n).join("")).not.toContain("GET");
    expect(strict.events.filter((e) => e.type === "tls" && e.action === "upstream_error").length).toBe(3);
  });
});
