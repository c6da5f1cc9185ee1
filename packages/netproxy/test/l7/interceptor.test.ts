/**
 * The L7 interceptor over real sockets: an HTTPS upstream on 127.0.0.1 with its own CA, a guest
 * TLS client, the interceptor wired the way the stack wires it. Adversarial cases must be blocked
 * before the upstream sees a byte.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { X509Certificate } from "node:crypto";
import { parseIp, type NetworkPolicy } from "@sandbox/core";
import { makeRig, startHttps, type Rig, type TestHttps } from "./harness.js";

const DST = "93.184.216.34";
const POLICY: NetworkPolicy = {
  default_egress: "deny",
  default_ingress: "allow",
  rules: [
    { direction: "egress", destination: { domain: "evil.example.test" }, protocols: [], ports: [], action: "deny" },
    { direction: "egress", destination: { domain_suffix: "example.test" }, protocols: ["tcp"], ports: [{ start: 443, end: 443 }], action: "allow" },
  ],
};
const SECRETS = {
  secrets: [{ env_var: "API_KEY", placeholder: "$API_KEY", value: "real-secret-value", allowed_hosts: [{ exact: "api.example.test" }] }],
  on_violation: "block-and-log" as const,
};
const b64 = (s: string) => Buffer.from(s).toString("base64");

let up: TestHttps;
let rig: Rig;

beforeAll(async () => {
  up = await startHttps();
  rig = await makeRig({ upstream: up, policy: POLICY, secrets: SECRETS, bypass: ["*.bypass.example.test"] });
  for (const name of ["api.example.test", "other.example.test", "x.bypass.example.test", "evil.example.test"]) rig.cache.record(name, "ipv4", [parseIp(DST)!], 300);
});
afterAll(async () => {
  await up.close();
});

function receivedSince(n: number): string {
  return up.received.slice(n).join("");
}

describe("TLS interception with secrets over real sockets", () => {
  it("terminates with a leaf for the SNI, substitutes the secret upstream, relays the answer", async () => {
    const n = up.received.length;
    const g = await rig.guest(DST, "API.Example.Test.");
    const r = await g.exchange(["GET /v1 HTTP/1.1\r\nHost: api.example.test\r\nAuthorization: Bearer $API_KEY\r\n\r\n"], "hello from upstream");
    expect(r.text).toContain("200 OK");
    expect(r.text).toContain("hello from upstream");
    const cert = new X509Certificate(g.tls!.getPeerX509Certificate()!.raw);
    expect(cert.subjectAltName).toBe("DNS:api.example.test");
    expect(cert.checkIssued(new X509Certificate(rig.interceptCa.certPem))).toBe(true);
    expect(receivedSince(n)).toContain("Authorization: Bearer real-secret-value\r\n");
    expect(receivedSince(n)).not.toContain("$API_KEY");
    expect(rig.events).toContainEqual(expect.objectContaining({ type: "tls", action: "intercept", sni: "api.example.test" }));
    g.tls!.destroy();
  });

  it("offers the guest only what the upstream chose: h2+http/1.1 offered, HTTP/1-only upstream → http/1.1", async () => {
    const g = await rig.guest(DST, "api.example.test", { alpn: ["h2", "http/1.1"] });
    const r = await g.exchange(["GET / HTTP/1.1\r\nHost: api.example.test\r\n\r\n"], "hello from upstream");
    expect(g.tls!.alpnProtocol).toBe("http/1.1");
    expect(r.text).toContain("200 OK");
    g.tls!.destroy();
  });

  it("blocks an SNI/Host mismatch before the upstream sees the request", async () => {
    const n = up.received.length;
    const g = await rig.guest(DST, "api.example.test");
    const r = await g.exchange(["GET / HTTP/1.1\r\nHost: evil.example.test\r\n\r\n"]);
    expect(r.closed).toBe(true);
    expect(r.text).toBe("");
    expect(receivedSince(n)).not.toContain("GET");
    expect(rig.events.at(-1)).toMatchObject({ type: "http_block" });
  });

  it("blocks a placeholder sent to a disallowed host in a header, in Basic auth and split across segments", async () => {
    const cases = [
      ["GET / HTTP/1.1\r\nHost: other.example.test\r\nX-Key: $API_KEY\r\n\r\n"],
      [`GET / HTTP/1.1\r\nHost: other.example.test\r\nAuthorization: Basic ${b64("u:$API_KEY")}\r\n\r\n`],
      ["GET / HTTP/1.1\r\nHost: other.example.test\r\nX-Key: $AP", "I_K", "EY\r\n\r\n"],
      ["POST / HTTP/1.1\r\nHost: other.example.test\r\nContent-Length: 20\r\n\r\n", "0123$API_", "KEY456789ab"],
    ];
    for (const pieces of cases) {
      const n = up.received.length;
      const g = await rig.guest(DST, "other.example.test");
      const r = await g.exchange(pieces);
      expect(r.closed).toBe(true);
      expect(receivedSince(n)).not.toContain("$API_KEY");
      expect(receivedSince(n)).not.toContain("real-secret-value");
      expect(rig.events.at(-1)).toMatchObject({ type: "secret_violation", action: "block-and-log", envVar: "API_KEY" });
    }
  });

  it("never substitutes towards an allowed name whose IP is not DNS-pinned to it", async () => {
    const n = up.received.length;
    const g = await rig.guest("93.184.216.99", "api.example.test");
    // The SNI allow rule needs a DNS binding for this IP: the flow is refused outright.
    expect(g.refused).toBe(true);
    expect(receivedSince(n)).toBe("");
  });

  it("treats an allowed secret host as a violation when the destination IP is not pinned to it", async () => {
    const open = await makeRig({ upstream: up, policy: { default_egress: "allow", default_ingress: "allow", rules: [] }, secrets: SECRETS });
    const n = up.received.length;
    const g = await open.guest("93.184.216.99", "api.example.test");
    const r = await g.exchange(["GET / HTTP/1.1\r\nHost: api.example.test\r\nAuthorization: Bearer $API_KEY\r\n\r\n"]);
    expect(r.closed).toBe(true);
    expect(receivedSince(n)).not.toContain("real-secret-value");
    expect(open.events.at(-1)).toMatchObject({ type: "secret_violation", envVar: "API_KEY" });
  });

  it("substitutes towards the host alias on the gateway address without a DNS pin (built-in and configured, D6)", async () => {
    const secrets = { secrets: [{ env_var: "H", placeholder: "$H_KEY", value: "host-secret", allowed_hosts: [{ exact: "host.microsandbox.internal" }, { exact: "gw.sandbox.test" }] }] };
    const a = await makeRig({ upstream: up, policy: { default_egress: "allow", default_ingress: "allow", rules: [] }, secrets, hostAliases: ["gw.sandbox.test"] });
    for (const sni of ["host.microsandbox.internal", "gw.sandbox.test"]) {
      const n = up.received.length;
      const g = await a.guest("172.16.0.1", sni);
      const r = await g.exchange([`GET / HTTP/1.1\r\nHost: ${sni}\r\nX-K: $H_KEY\r\n\r\n`], "hello from upstream");
      expect(r.text).toContain("200 OK");
      expect(receivedSince(n)).toContain("X-K: host-secret");
      g.tls!.destroy();
    }
    // The same alias on a non-gateway address is not exempt from the pin.
    const g = await a.guest(DST, "gw.sandbox.test");
    expect((await g.exchange(["GET / HTTP/1.1\r\nHost: gw.sandbox.test\r\nX-K: $H_KEY\r\n\r\n"])).closed).toBe(true);
  });

  it("denies an IP literal with a forbidden SNI without any DNS binding (deny needs only the SNI)", async () => {
    const g = await rig.guest("203.0.113.50", "evil.example.test");
    expect(g.refused).toBe(true);
    expect(rig.events.at(-1)).toMatchObject({ type: "tls", action: "deny" });
  });

  it("refuses a ClientHello without SNI on an intercepted port", async () => {
    rig.cache.record("ip-only.example.test", "ipv4", [parseIp("93.184.216.40")!], 300);
    const allowAll = await makeRig({ upstream: up, policy: { default_egress: "allow", default_ingress: "allow", rules: [] } });
    const g = await allowAll.guest("93.184.216.40", undefined);
    expect(g.refused).toBe(true);
    expect(allowAll.events.at(-1)).toMatchObject({ type: "tls", action: "no_sni" });
  });

  it("splices bypassed names raw: the guest sees the upstream's own certificate", async () => {
    const n = up.received.length;
    const g = await rig.guest(DST, "x.bypass.example.test", { trust: up.ca.certPem });
    const r = await g.exchange(["GET / HTTP/1.1\r\nHost: x.bypass.example.test\r\nX-Key: $API_KEY\r\n\r\n"], "hello from upstream");
    expect(r.text).toContain("200 OK");
    const cert = new X509Certificate(g.tls!.getPeerX509Certificate()!.raw);
    expect(cert.checkIssued(new X509Certificate(up.ca.certPem))).toBe(true);
    expect(receivedSince(n)).toContain("X-Key: $API_KEY");
    expect(rig.events).toContainEqual(expect.objectContaining({ action: "bypass", sni: "x.bypass.example.test" }));
    g.tls!.destroy();
  });

  it("fails closed when the upstream certificate does not verify", async () => {
    const strict = await makeRig({ upstream: up, policy: { default_egress: "allow", default_ingress: "allow", rules: [] }, trustUpstreamCa: false });
    const n = up.received.length;
    const g = await strict.guest(DST, "api.example.test");
    const r = await g.exchange(["GET / HTTP/1.1\r\nHost: api.example.test\r\n\r\n"]);
    expect(r.closed).toBe(true);
    expect(r.text).toBe("");
    expect(receivedSince(n)).not.toContain("GET");
    expect(strict.events).toContainEqual(expect.objectContaining({ type: "tls", action: "upstream_error" }));
  });

  it("applies rotated secrets to new connections only", async () => {
    const r = await makeRig({ upstream: up, policy: { default_egress: "allow", default_ingress: "allow", rules: [] }, secrets: SECRETS });
    r.cache.record("api.example.test", "ipv4", [parseIp(DST)!], 300);
    const old = await r.guest(DST, "api.example.test");
    r.interceptor.updateSecrets({ secrets: [{ ...SECRETS.secrets[0]!, value: "rotated-value", injection: { headers: true, basic_auth: true, query_params: false, body: false }, require_tls_identity: true }], on_violation: "block-and-log" });
    const n = up.received.length;
    await old.exchange(["GET / HTTP/1.1\r\nHost: api.example.test\r\nX-K: $API_KEY\r\n\r\n"], "hello from upstream");
    const fresh = await r.guest(DST, "api.example.test");
    await fresh.exchange(["GET / HTTP/1.1\r\nHost: api.example.test\r\nX-K: $API_KEY\r\n\r\n"], "hello from upstream");
    expect(receivedSince(n)).toContain("X-K: real-secret-value");
    expect(receivedSince(n)).toContain("X-K: rotated-value");
    old.tls!.destroy();
    fresh.tls!.destroy();
  });

  it("terminates the sandbox on a block-and-terminate violation", async () => {
    const t = await makeRig({
      upstream: up,
      policy: { default_egress: "allow", default_ingress: "allow", rules: [] },
      secrets: { secrets: [{ env_var: "K", placeholder: "$K_PLACEHOLDER", value: "v", allowed_hosts: [{ exact: "api.example.test" }], on_violation: "block-and-terminate" }] },
    });
    const g = await t.guest(DST, "other.example.test");
    await g.exchange(["GET /?q=%24K_PLACEHOLDER HTTP/1.1\r\nHost: other.example.test\r\n\r\n"]);
    expect(t.terminated).toHaveLength(1);
    expect(t.events.at(-1)).toMatchObject({ type: "secret_violation", action: "block-and-terminate", form: "percent_decoded" });
  });
});
