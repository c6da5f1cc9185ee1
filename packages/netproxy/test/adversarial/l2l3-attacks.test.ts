/**
 * A hostile guest at layers 2 and 3, driven through the in-memory link: ARP spoofing of the
 * gateway, DHCP starvation, MAC floods, oversized frames, fragment floods (bounded reassembly,
 * overlapping/teardrop fragments) and DNS amplification with spoofed sources. Each test checks
 * that the policy holds, memory stays bounded and a normal flow still works afterwards.
 */
import { randomBytes } from "node:crypto";
import { compilePolicy, ResolvedNameCache } from "@sandbox/core";
import dnsPacket from "dns-packet";
import { describe, expect, it } from "vitest";
import { createDnsHandler } from "../../src/dns/forwarder.js";
import { ARP_OP, parseArp, writeArp } from "../../src/frame/arp.js";
import { DHCP_MSG, DHCP_OPT, parseDhcp } from "../../src/frame/dhcp.js";
import { ETHERTYPE, formatMac, parseEthernet, writeEthernetHeader } from "../../src/frame/ethernet.js";
import { IPPROTO } from "../../src/frame/ipv4.js";
import { parseUdp } from "../../src/frame/udp.js";
import type { AddressPlan } from "../../src/stack/addr.js";
import { formatIpBytes } from "../../src/stack/ip.js";
import { ipFrame, udpL4, type Rx } from "../stack/helpers/guest.js";
import { loopbackServer, waitFor, type Harness } from "../stack/helpers/harness.js";
import { isV4, testPolicy } from "../stack/helpers/policy.js";
import { startUpstream } from "../dns/upstream-helper.js";
import { dhcpFrom, ipv4Fragment, macOf, retainedMiB, sleep, withSrcMac } from "./helpers.js";
import { perTest } from "./per-test.js";

const { start, cleanups } = perTest();

const gatewayOnly = () => testPolicy({ egress: (ip) => (isV4(ip, "172.16.0.1") ? "allow" : "deny") });

/** A normal guest flow to a loopback echo server through the gateway: proves the stack still works. */
async function echoWorks(hh: Harness, srcPort: number): Promise<void> {
  const srv = await loopbackServer((s) => s.pipe(s));
  cleanups.push(srv.close);
  const g = hh.tcp({ srcPort, dstPort: srv.port });
  g.connect();
  const msg = randomBytes(20_000);
  g.write(msg);
  await g.until(() => g.receivedLen === msg.length, 10_000);
  expect(g.data().equals(msg)).toBe(true);
}

function arpFrame(plan: AddressPlan, op: number, srcMac: Uint8Array, senderIp: Uint8Array, targetMac: Uint8Array, targetIp: Uint8Array, dstMac: Uint8Array): Uint8Array {
  const f = new Uint8Array(42);
  writeEthernetHeader(f, 0, dstMac, srcMac, ETHERTYPE.ARP);
  writeArp(f, 14, op, srcMac, senderIp, targetMac, targetIp);
  void plan;
  return f;
}

function collect(hh: Harness): Rx[] {
  const got: Rx[] = [];
  hh.onRx = (rx) => got.push(rx);
  return got;
}

describe("ARP spoofing of the gateway", () => {
  it("a guest claiming the gateway's IP changes nothing: the gateway keeps its MAC, frames to the fake MAC are not routed", async () => {
    const h = await start({ policy: gatewayOnly() });
    const got = collect(h);
    const plan = h.stack.addresses;
    const fakeMac = Uint8Array.of(0x02, 0x66, 0x66, 0x66, 0x66, 0x66);
    const bcast = Uint8Array.of(255, 255, 255, 255, 255, 255);
    // Gratuitous ARP reply and request announcing "gateway is at fakeMac", many times over.
    for (let i = 0; i < 200; i++) {
      h.link.inject(arpFrame(plan, ARP_OP.REPLY, fakeMac, plan.v4!.gateway, bcast, plan.v4!.gateway, bcast));
      h.link.inject(arpFrame(plan, ARP_OP.REQUEST, fakeMac, plan.v4!.gateway, new Uint8Array(6), plan.v4!.gateway, bcast));
    }
    // The real guest asks for the gateway: the answer is still the gateway's own MAC.
    got.length = 0;
    h.link.inject(arpFrame(plan, ARP_OP.REQUEST, plan.guestMac, plan.v4!.guest, new Uint8Array(6), plan.v4!.gateway, bcast));
    await waitFor(() => got.some((r) => r.etherType === ETHERTYPE.ARP && parseArp(r.frame.subarray(14))?.senderMac.every((b, i) => b === plan.gatewayMac[i]) === true));
    for (const r of got) {
      const eth = parseEthernet(r.frame)!;
      expect(formatMac(eth.src)).toBe(formatMac(plan.gatewayMac));
      if (r.etherType === ETHERTYPE.ARP) expect(formatMac(parseArp(r.frame.subarray(14))!.senderMac)).toBe(formatMac(plan.gatewayMac));
    }
    // A packet addressed to the spoofed MAC is not for the stack: dropped, never relayed.
    const udp = ipFrame(plan, plan.v4!.guest, plan.v4!.gateway, IPPROTO.UDP, udpL4(plan.v4!.guest, plan.v4!.gateway, 4000, 9, Buffer.from("x")), fakeMac);
    const before = h.stack.stats().dropped["eth-not-for-us"] ?? 0;
    h.link.inject(udp);
    await waitFor(() => (h!.stack.stats().dropped["eth-not-for-us"] ?? 0) === before + 1);
    expect(h.stack.stats().udpSessions).toBe(0);
    // Policy unchanged, flows work.
    await echoWorks(h, 42000);
  });
});

describe("DHCP starvation", () => {
  it("5,000 clients with random MACs get nothing but the one configured address; memory stays flat; the real guest keeps its lease", async () => {
    const h = await start({ policy: gatewayOnly() });
    const plan = h.stack.addresses;
    const offered = new Set<string>();
    let replies = 0;
    h.onRx = (rx) => {
      if (rx.protocol !== IPPROTO.UDP || !rx.l4) return;
      const u = parseUdp(rx.l4, rx.src!, rx.dst!);
      if (typeof u === "string" || u.srcPort !== 67) return;
      const m = parseDhcp(u.payload);
      if (!m) return;
      replies++;
      offered.add(formatIpBytes(u.payload.subarray(16, 20)));
    };
    const base = await retainedMiB();
    const N = 5000;
    for (let i = 0; i < N; i++) {
      const mac = macOf(0x100000 + i);
      h.link.inject(dhcpFrom(plan, mac, DHCP_MSG.DISCOVER, i, i % 2 === 0 ? [[DHCP_OPT.RAPID_COMMIT, new Uint8Array(0)]] : []));
      if (i % 500 === 0) await sleep(0);
    }
    await waitFor(() => replies === N, 20_000, "all DHCP replies");
    const after = await retainedMiB();
    // Nothing per client is kept: no pool to exhaust and no lease table growing with clients.
    expect([...offered]).toEqual([formatIpBytes(plan.v4!.guest)]);
    expect(after - base).toBeLessThan(8);
    // The real guest renews and keeps its address.
    let ack: ReturnType<typeof parseDhcp> = null;
    h.onRx = (rx) => {
      if (rx.protocol !== IPPROTO.UDP || !rx.l4) return;
      const u = parseUdp(rx.l4, rx.src!, rx.dst!);
      if (typeof u !== "string" && u.srcPort === 67) ack = parseDhcp(u.payload);
    };
    h.link.inject(dhcpFrom(plan, plan.guestMac, DHCP_MSG.REQUEST, 0x1234, [[DHCP_OPT.REQUESTED_IP, plan.v4!.guest], [DHCP_OPT.SERVER_ID, plan.v4!.gateway]]));
    await waitFor(() => ack !== null);
    expect(ack!.messageType).toBe(DHCP_MSG.ACK);
    await echoWorks(h, 42001);
  });
});

describe("MAC flood", () => {
  it("20,000 frames from distinct source MACs keep memory flat; replies go to the MAC that sent last, and the real guest works after", async () => {
    const h = await start({ policy: gatewayOnly() });
    const plan = h.stack.addresses;
    const got = collect(h);
    const base = await retainedMiB();
    const bcast = Uint8Array.of(255, 255, 255, 255, 255, 255);
    for (let i = 0; i < 20_000; i++) {
      const mac = macOf(i + 1);
      const f = i % 2 === 0 ? arpFrame(plan, ARP_OP.REQUEST, mac, plan.v4!.guest, new Uint8Array(6), plan.v4!.gateway, bcast) : withSrcMac(ipFrame(plan, plan.v4!.guest, plan.v4!.gateway, IPPROTO.UDP, udpL4(plan.v4!.guest, plan.v4!.gateway, 4000, 9, Buffer.from("x"))), mac);
      h.link.inject(f);
      if (i % 1000 === 0) await sleep(0);
    }
    await sleep(50);
    const after = await retainedMiB();
    expect(after - base).toBeLessThan(8);
    // 10,000 datagrams of one 4-tuple from 10,000 MACs are one relay session, not 10,000.
    expect(h.stack.stats().udpSessions).toBe(1);
    // No frame was sent to a MAC the sender did not use: ARP replies answer the asker only.
    for (const r of got) {
      const eth = parseEthernet(r.frame)!;
      if (r.etherType === ETHERTYPE.ARP) expect(formatMac(eth.dst)).toBe(formatMac(parseArp(r.frame.subarray(14))!.targetMac));
    }
    // The real guest speaks again (its MAC is learned back) and its flows work.
    await echoWorks(h, 42002);
    const last = h.rx.at(-1)!;
    expect(formatMac(parseEthernet(last.frame)!.dst)).toBe(formatMac(plan.guestMac));
  });
});

describe("oversized and fragment floods", () => {
  it("oversized frames and a 20,000-fragment flood keep reassembly memory bounded; a fragmented query still gets answered", async () => {
    const h = await start({ policy: gatewayOnly(), tuning: { maxReassemblies: 64 } });
    const plan = h.stack.addresses;
    const gw = plan.v4!.gateway;
    const base = await retainedMiB();
    // Oversized: a jumbo frame far beyond the MTU, and a UDP length beyond the IP payload.
    const jumbo = ipFrame(plan, plan.v4!.guest, gw, IPPROTO.UDP, udpL4(plan.v4!.guest, gw, 5000, 53, randomBytes(60_000)));
    h.link.injectNow(jumbo);
    const liar = ipFrame(plan, plan.v4!.guest, gw, IPPROTO.UDP, udpL4(plan.v4!.guest, gw, 5000, 53, randomBytes(100)));
    liar[34 + 4] = 0xff; // UDP length 0xff.. > payload
    liar[34 + 5] = 0xff;
    h.link.injectNow(liar);
    // Flood: first fragments of 20,000 different datagrams (1,480 bytes each, never completed).
    const chunk = randomBytes(1480);
    for (let id = 0; id < 20_000; id++) {
      h.link.injectNow(ipv4Fragment(plan, gw, IPPROTO.UDP, id & 0xffff, 0, true, chunk));
      if (id % 2000 === 0) await sleep(0);
    }
    // Fragments past 65,535 bytes and teardrop (overlapping) pairs.
    h.link.injectNow(ipv4Fragment(plan, gw, IPPROTO.UDP, 40_001, 65_528, false, randomBytes(64)));
    for (let id = 50_000; id < 50_200; id++) {
      h.link.injectNow(ipv4Fragment(plan, gw, IPPROTO.UDP, id, 0, true, randomBytes(24)));
      h.link.injectNow(ipv4Fragment(plan, gw, IPPROTO.UDP, id, 8, false, randomBytes(4))); // inside the first: teardrop
    }
    const after = await retainedMiB();
    // 64 partial datagrams × 1,480 bytes is the most the table may hold (the 4 MiB budget is the ceiling).
    expect(after - base).toBeLessThan(12);
    expect(h.stack.stats().dropped["ipv4-fragment"]).toBeGreaterThanOrEqual(201);
    // A well-formed fragmented DNS query still works (the flood's entries were evicted first).
    const got = collect(h);
    const q = new Uint8Array(2000);
    q.set([0xab, 0xcd, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const l4 = udpL4(plan.v4!.guest, gw, 5555, 53, q);
    h.link.inject(ipv4Fragment(plan, gw, IPPROTO.UDP, 60_000, 0, true, l4.subarray(0, 1480)));
    h.link.inject(ipv4Fragment(plan, gw, IPPROTO.UDP, 60_000, 1480, false, l4.subarray(1480)));
    await waitFor(() => got.reduce((n, r) => n + (r.protocol === IPPROTO.UDP ? r.l4!.length : 0), 0) >= 2008, 5000, "fragmented DNS answer");
    await echoWorks(h, 42003);
  });
});

describe("DNS amplification", () => {
  it("queries with a spoofed source get no answer at all; answers go only to the guest and are no larger than it allowed", async () => {
    // The real forwarder with a loopback upstream that answers with 80 A records (> 1,200 bytes).
    const up = await startUpstream((q) => ({
      type: "response",
      answers: Array.from({ length: 80 }, (_, i) => ({ name: q.questions![0]!.name, type: "A" as const, ttl: 60, data: `93.184.216.${i + 1}` })),
    }) as dnsPacket.Packet);
    cleanups.push(up.close);
    const cache = new ResolvedNameCache();
    const gateway = { ipv4: "172.16.0.1" };
    const policy = compilePolicy({ default_egress: "allow", default_ingress: "deny", rules: [] }, { gateway, cache });
    const dns = createDnsHandler({ policy, cache, gateway, upstreams: [{ ip: "127.0.0.1", port: up.port }], queryTimeoutMs: 2000 });
    cleanups.push(async () => dns.close());
    const h = await start({ policy: gatewayOnly(), dns });
    const plan = h.stack.addresses;
    const gw = plan.v4!.gateway;
    const got = collect(h);
    const query = Buffer.from(dnsPacket.encode({ id: 0x1234, type: "query", flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: "big.example", type: "A" }] }));
    // A victim spoofed as source: another on-link address, a public one, and 0.0.0.0 (the DHCP exception).
    for (const victim of [Uint8Array.of(172, 16, 0, 1), Uint8Array.of(198, 51, 100, 99), Uint8Array.of(0, 0, 0, 0)]) {
      for (let i = 0; i < 50; i++) h.link.inject(ipFrame(plan, victim, gw, IPPROTO.UDP, udpL4(victim, gw, 4444, 53, query)));
    }
    await sleep(200);
    expect(up.seen.length).toBe(0);
    expect(got.length).toBe(0);
    // The guest's own query (no EDNS: 512-byte limit) is answered to the guest only, cut to what
    // it allowed (TC set), not a 1,300-byte amplification.
    h.link.inject(ipFrame(plan, plan.v4!.guest, gw, IPPROTO.UDP, udpL4(plan.v4!.guest, gw, 4445, 53, query)));
    await waitFor(() => got.length > 0, 5000, "DNS answer");
    await sleep(100);
    let bytes = 0;
    for (const r of got) {
      expect(formatIpBytes(r.dst!)).toBe(formatIpBytes(plan.v4!.guest));
      bytes += r.l4!.length - 8;
    }
    expect(bytes).toBeLessThanOrEqual(512);
    const answer = parseUdp(got[0]!.l4!, got[0]!.src!, got[0]!.dst!);
    if (typeof answer === "string") throw new Error(answer);
    const dec = dnsPacket.decode(Buffer.from(answer.payload));
    expect({ tc: dec.flag_tc, answers: dec.answers?.length, len: answer.payload.length, seen: up.seen.length }).toMatchObject({ tc: true }); // TC: the guest may retry over TCP
  });
});
