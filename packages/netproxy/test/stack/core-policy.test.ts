/** The stack driven by the real @sandbox/core evaluator (compilePolicy) instead of a test double. */
import { compilePolicy, parseIp, ResolvedNameCache, type PolicyLike } from "@sandbox/core";
import { afterEach, describe, expect, it } from "vitest";
import { harness, loopbackServer, waitFor, type Harness } from "./helpers/harness.js";
import { clientHello } from "./helpers/tls.js";

let h: Harness | null = null;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await h?.close();
  h = null;
  for (const c of cleanups.splice(0)) await c();
});

const env = () => ({ gateway: { ipv4: "172.16.0.1", ipv6: "fd42:6d73:62::1" }, cache: new ResolvedNameCache() });

describe("with the core evaluator", () => {
  it("host-group rule with a port allows that port on the gateway and denies others by default", async () => {
    const srv = await loopbackServer((s) => s.end("hi"));
    cleanups.push(srv.close);
    const policy: PolicyLike = {
      default_egress: "deny",
      default_ingress: "deny",
      rules: [{ direction: "egress", destination: { group: "host" }, protocols: ["tcp"], ports: [{ start: srv.port, end: srv.port }], action: "allow" }],
    };
    h = await harness({ policy: compilePolicy(policy, env()) });
    const ok = h.tcp({ srcPort: 45000, dstPort: srv.port });
    ok.connect();
    await ok.until(() => ok.peerFin);
    expect(ok.data().toString()).toBe("hi");
    const no = h.tcp({ srcPort: 45001, dstPort: srv.port + 1 === 65536 ? 1 : srv.port + 1 });
    no.connect();
    await no.until(() => no.state === "reset");
    const evs = h.events.filter((e) => e.type === "flow");
    expect(evs[0]).toMatchObject({ verdict: "allow", rule: 0 });
    expect(evs.at(-1)).toMatchObject({ verdict: "deny", rule: null });
  });

  it("a domain rule with a cache binding defers the SYN and the SNI decides at first flight", async () => {
    const got: Buffer[] = [];
    const srv = await loopbackServer((s) => s.on("data", (d) => got.push(d)));
    cleanups.push(srv.close);
    const policy: PolicyLike = {
      default_egress: "deny",
      default_ingress: "deny",
      rules: [{ direction: "egress", destination: { domain: "good.example" }, protocols: ["tcp"], action: "allow" }],
    };
    // The allow rule only defers when the name cache binds the address to a matching name (§1.5).
    const e = env();
    e.cache.record("good.example", "ipv4", [parseIp("172.16.0.1")!], 300);
    h = await harness({ policy: compilePolicy(policy, e) });
    const g = h.tcp({ srcPort: 45010, dstPort: srv.port });
    g.connect();
    await g.until(() => g.state === "established");
    expect(srv.connections).toBe(0);
    g.write(clientHello("good.example"));
    await waitFor(() => got.length > 0, 5000, "upstream bytes");
    const bad = h.tcp({ srcPort: 45011, dstPort: srv.port });
    bad.connect();
    await bad.until(() => bad.state === "established");
    bad.write(clientHello("bad.example"));
    await bad.until(() => bad.peerFin);
    expect(srv.connections).toBe(1);
  });

  it("an allow-domain rule without a cache binding does not match at SYN time: RST", async () => {
    const srv = await loopbackServer(() => {});
    cleanups.push(srv.close);
    const policy: PolicyLike = {
      default_egress: "deny",
      default_ingress: "deny",
      rules: [{ direction: "egress", destination: { domain: "good.example" }, protocols: ["tcp"], action: "allow" }],
    };
    h = await harness({ policy: compilePolicy(policy, env()) });
    const g = h.tcp({ srcPort: 45020, dstPort: srv.port });
    g.connect();
    await g.until(() => g.state === "reset");
    expect(srv.connections).toBe(0);
  });
});
