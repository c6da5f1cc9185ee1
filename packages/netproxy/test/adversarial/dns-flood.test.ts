/**
 * A guest flooding the gateway's DNS forwarder while the upstream resolver does not answer: the
 * forwarder keeps at most its in-flight bound of queries (the rest dropped, the guest retries),
 * memory stays flat, and once the upstream answers again, so does the proxy.
 */
import { compilePolicy, ResolvedNameCache } from "@sandbox/core";
import dnsPacket from "dns-packet";
import { describe, expect, it } from "vitest";
import { createDnsHandler, type DnsEvent } from "../../src/dns/forwarder.js";
import { IPPROTO } from "../../src/frame/ipv4.js";
import { startUpstream } from "../dns/upstream-helper.js";
import { ipFrame, udpL4 } from "../stack/helpers/guest.js";
import { waitFor } from "../stack/helpers/harness.js";
import { isV4, testPolicy } from "../stack/helpers/policy.js";
import { retainedMiB, sleep } from "./helpers.js";
import { perTest } from "./per-test.js";

const { start, cleanups } = perTest();

describe("DNS query flood with a silent upstream", () => {
  it("10,000 queries: at most 256 in flight upstream, the rest dropped, memory flat; answers resume when the upstream does", async () => {
    let silent = true;
    const up = await startUpstream((q) => (silent ? null : ({ type: "response", answers: [{ name: q.questions![0]!.name, type: "A", ttl: 60, data: "93.184.216.34" }] } as dnsPacket.Packet)));
    cleanups.push(up.close);
    const cache = new ResolvedNameCache();
    const gateway = { ipv4: "172.16.0.1" };
    const policy = compilePolicy({ default_egress: "allow", default_ingress: "deny", rules: [] }, { gateway, cache });
    const events: DnsEvent[] = [];
    const dns = createDnsHandler({ policy, cache, gateway, upstreams: [{ ip: "127.0.0.1", port: up.port }], queryTimeoutMs: 1500, events: (e) => events.push(e) });
    cleanups.push(() => dns.close());
    const h = await start({ policy: testPolicy({ egress: (ip) => (isV4(ip, "172.16.0.1") ? "allow" : "deny") }), dns });
    const plan = h.stack.addresses;
    const g = plan.v4!.guest;
    const gw = plan.v4!.gateway;
    const answers: number[] = [];
    h.onRx = (rx) => {
      if (rx.protocol !== IPPROTO.UDP || !rx.l4) return;
      const m = dnsPacket.decode(Buffer.from(rx.l4.subarray(8)));
      if ((m.answers ?? []).length > 0) answers.push(m.id ?? -1);
    };
    const query = (id: number, name: string) => Buffer.from(dnsPacket.encode({ id, type: "query", flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: "A" }] }));
    const base = await retainedMiB();
    for (let i = 0; i < 10_000; i++) {
      h.link.inject(ipFrame(plan, g, gw, IPPROTO.UDP, udpL4(g, gw, 20000 + (i % 20000), 53, query(i & 0xffff, `n${i}.flood.example`))));
      if (i % 500 === 0) await sleep(1);
    }
    await waitFor(() => h!.stack.stats().dnsQueries >= 10_000, 10_000, "queries taken in");
    const dropped = events.filter((e) => e.outcome === "dropped").length;
    expect(dropped).toBeGreaterThanOrEqual(10_000 - 256 * 2);
    // Distinct queries that reached the upstream while it was silent: bounded by the in-flight cap
    // (a timed-out query frees its slot, so a second wave may follow within the flood).
    expect(new Set(up.seen.map((s) => s.name)).size).toBeLessThanOrEqual(256 * 3);
    expect((await retainedMiB()) - base).toBeLessThan(16);
    // The upstream recovers; once the stale queries timed out, the guest's next query is answered.
    silent = false;
    await sleep(1800);
    h.link.inject(ipFrame(plan, g, gw, IPPROTO.UDP, udpL4(g, gw, 19999, 53, query(0xbeef, "after.example"))));
    await waitFor(() => answers.includes(0xbeef), 5000, "answer after the flood");
  }, 60_000);
});
