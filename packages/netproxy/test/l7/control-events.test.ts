/**
 * Item 4 of the L7 issue end to end: every DNS decision, TLS interception, TLS bypass and secret
 * violation reaches a client of the real control socket of a netproxy (startNetproxy in a proxy
 * namespace, the guest in its own namespace, a test host running DNS, HTTP and HTTPS under its own
 * CA). Real dig and curl in the guest; each event is checked against the generated schema.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlClient } from "../../src/control/index.js";
import { Event as ControlEvent, type EventMessage } from "../../src/gen/control.js";
import { netnsUnavailableReason } from "../../src/netns/index.js";
import { PUBLIC_HOST, upstreamCerts, World } from "../integration/world.js";

const reason = netnsUnavailableReason();
if (reason && process.env.SANDBOX_REQUIRE_E2E === "1") throw new Error(`SANDBOX_REQUIRE_E2E=1 but netns tests cannot run: ${reason}`);

const GATEWAY = "172.16.0.1";

describe.skipIf(reason !== null)("L7 events on the control channel (netns)", () => {
  const w = new World();
  const events: EventMessage[] = [];
  let ctl: ControlClient;
  let upstreamCa = "";
  const trust = join(w.dir, "guest-trust.pem");

  beforeAll(async () => {
    try {
      const certs = upstreamCerts(w.dir);
      upstreamCa = certs.ca;
      await w.build({ tls: { cert: certs.cert, key: certs.key } });
      await w.startNetproxy(
        {
          preset: "public-only",
          deny_domains: ["blocked.test"],
          dns: { nameservers: [PUBLIC_HOST] },
          // public.test is bypassed (spliced raw); other.test is intercepted.
          tls: { enabled: true, upstream_ca_cert: [certs.ca], bypass: ["public.test"] },
          secrets: { secrets: [{ env_var: "API_TOKEN", value: "s3cr3t-value-42", allowed_hosts: [{ exact: "public.test" }] }], on_violation: "block-and-log" },
        },
        ["--ca-dir", join(w.dir, "ca"), "--trust-out", trust],
      );
      w.topo.resolvConf(w.guest, [GATEWAY]);
      ctl = await ControlClient.connect(w.controlPath);
      ctl.onEvent((e) => events.push(e));
    } catch (e) {
      await w.destroy();
      throw e;
    }
  }, 90_000);
  afterAll(async () => {
    ctl?.close();
    await w.destroy();
  });

  /** Events received after `from` that satisfy `pred`, waited for up to 5 s. */
  async function expectEvent(from: number, pred: (e: EventMessage["event"]) => boolean, what: string): Promise<EventMessage["event"]> {
    await expect.poll(() => events.slice(from).some((m) => pred(m.event)), { timeout: 5000, message: what }).toBe(true);
    const e = events.slice(from).find((m) => pred(m.event))!.event;
    expect(ControlEvent.safeParse(e).success, JSON.stringify(e)).toBe(true);
    return e;
  }
  const dig = (args: string, server = GATEWAY) => w.inGuest("sh", ["-c", `dig +time=3 +tries=1 @${server} ${args}; true`]);
  const curl = (args: string[]) => w.inGuest("curl", ["-sS", "--max-time", "15", ...args]).catch((e: Error) => e.message);

  it("reports every DNS decision: forwarded, denied, host alias, servfail over TCP, rebind, resolver denied", async () => {
    const from = events.length;
    expect(await dig("public.test")).toContain(PUBLIC_HOST);
    await dig("+tcp other.test");
    expect(await dig("Blocked.Test.")).toMatch(/NXDOMAIN/);
    expect(await dig("host.microsandbox.internal")).toContain(GATEWAY);
    await dig("nothere.test");
    expect(await dig("private.test")).toMatch(/NXDOMAIN/);
    expect(await dig("public.test", "10.77.0.10")).toMatch(/NXDOMAIN/);
    const dns = (name: string, outcome: string, transport = "udp") => (e: EventMessage["event"]) =>
      "dns" in e && e.dns.name === name && e.dns.outcome === outcome && e.dns.transport === transport;
    await expectEvent(from, dns("public.test", "forwarded"), "public.test forwarded over UDP");
    // The test host answers DNS over UDP only: the TCP query finds no usable upstream answer.
    await expectEvent(from, dns("other.test", "servfail", "tcp"), "other.test over TCP: servfail");
    const denied = await expectEvent(from, dns("blocked.test", "denied"), "blocked.test denied");
    expect("dns" in denied && denied.dns.reason).toBeTruthy();
    await expectEvent(from, dns("host.microsandbox.internal", "host_alias"), "host alias answered");
    await expectEvent(from, dns("nothere.test", "forwarded"), "upstream NXDOMAIN relayed");
    await expectEvent(from, dns("private.test", "rebind_blocked"), "answer with a private address: rebind blocked");
    await expectEvent(from, (e) => "dns" in e && e.dns.outcome === "resolver_denied" && e.dns.resolver === "10.77.0.10", "guest-chosen private resolver denied");
  });

  it("reports an intercepted handshake with its SNI and endpoints", async () => {
    const from = events.length;
    const out = await curl(["--cacert", trust, "https://other.test/headers"]);
    expect(out).toContain('"host":"other.test"');
    const e = await expectEvent(from, (e) => "tls" in e && e.tls.action === "intercepted" && e.tls.sni === "other.test", "tls intercepted");
    expect(e).toMatchObject({ tls: { dst_ip: PUBLIC_HOST, dst_port: 443, src_ip: "172.16.0.2" } });
    expect(events.slice(from).some((m) => "tls" in m.event && m.event.tls.action === "bypassed")).toBe(false);
  });

  it("reports a bypassed handshake: the guest sees the upstream's own certificate", async () => {
    const from = events.length;
    // Only the upstream's CA is trusted: this succeeds only because the bytes were spliced raw.
    const out = await curl(["--cacert", upstreamCa, "https://public.test/headers"]);
    expect(out).toContain('"host":"public.test"');
    await expectEvent(from, (e) => "tls" in e && e.tls.action === "bypassed" && e.tls.sni === "public.test" && e.tls.dst_port === 443, "tls bypassed");
    expect(events.slice(from).some((m) => "tls" in m.event && m.event.tls.action === "intercepted")).toBe(false);
  });

  it("reports every secret violation: intercepted header, Basic auth, plain HTTP", async () => {
    const leaks = () => events.filter((m) => "violation" in m.event && m.event.violation.kind === "secret_leak").length;
    const attempts: string[][] = [
      ["--cacert", trust, "-H", "X-Key: $MSB_API_TOKEN", "https://other.test/headers"],
      ["--cacert", trust, "-u", "user:$MSB_API_TOKEN", "https://other.test/headers"],
      ["-H", "X-Key: $MSB_API_TOKEN", "http://other.test/"],
    ];
    for (const a of attempts) {
      const before = leaks();
      const out = await curl(a);
      expect(out).not.toContain("s3cr3t-value-42");
      await expect.poll(leaks, { timeout: 5000, message: a.join(" ") }).toBe(before + 1);
    }
    const v = events.filter((m) => "violation" in m.event && m.event.violation.kind === "secret_leak").map((m) => m.event);
    for (const e of v) expect(ControlEvent.safeParse(e).success).toBe(true);
    expect(JSON.stringify(v)).toContain("API_TOKEN");
    // The real value never reached the host the secret is not allowed for.
    for (const r of w.records("pub")) expect(JSON.stringify(r)).not.toContain("s3cr3t-value-42");
  });
});
