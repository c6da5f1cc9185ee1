/** ARP, DHCP (rapid commit), ICMP echo, IPv4 fragments, the address plan and IPv6 ND. */
import { afterEach, describe, expect, it } from "vitest";
import { ARP_OP, parseArp, writeArp } from "../../src/frame/arp.js";
import { buildDhcpReply, DHCP_MSG, DHCP_OPT, parseDhcp } from "../../src/frame/dhcp.js";
import { ETH_HEADER_LEN, ETHERTYPE, formatMac, parseEthernet, writeEthernetHeader } from "../../src/frame/ethernet.js";
import { ICMP4, ICMP6, parseIcmpv6, writeIcmp } from "../../src/frame/icmp.js";
import { IPPROTO, writeIpv4Header } from "../../src/frame/ipv4.js";
import { parseUdp } from "../../src/frame/udp.js";
import { planAddresses } from "../../src/stack/addr.js";
import { formatIpBytes, parseIpv6Bytes } from "../../src/stack/ip.js";
import { ipFrame, ipv4Fragment, udpL4, type Rx } from "./helpers/guest.js";
import { harness, waitFor, type Harness } from "./helpers/harness.js";
import { isV4, testPolicy } from "./helpers/policy.js";

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

function collect(hh: Harness): Rx[] {
  const got: Rx[] = [];
  hh.onRx = (rx) => got.push(rx);
  return got;
}

describe("address plan (semantics §0)", () => {
  it("derives addresses and MACs from the slot", () => {
    const p = planAddresses({ slot: 0x0102 });
    expect(formatIpBytes(p.v4!.guest)).toBe("172.16.4.10"); // 172.16.0.0 + 4·258 + 2
    expect(formatIpBytes(p.v4!.gateway)).toBe("172.16.4.9");
    expect(p.v4!.prefixLen).toBe(30);
    expect(formatIpBytes(p.v6!.guest)).toBe("fd42:6d73:62:102::2");
    expect(formatIpBytes(p.v6!.gateway)).toBe("fd42:6d73:62:102::1");
    expect(formatMac(p.guestMac)).toBe("02:6d:73:01:02:02");
    expect(formatMac(p.gatewayMac)).toBe("02:6d:73:01:02:01");
    expect(p.mtu).toBe(1500);
  });
  it("rejects pools that are too narrow, with the upstream message", () => {
    expect(() => planAddresses({ ipv4Pool: "10.0.0.0/31" })).toThrow("invalid IPv4 pool `10.0.0.0/31`: prefix must be /30 or shorter");
    expect(() => planAddresses({ ipv6Pool: "fd00::/80" })).toThrow("invalid IPv6 pool `fd00::/80`: prefix must be /64 or shorter");
    expect(() => planAddresses({ ipv4Pool: "10.0.0.0/30", slot: 1 })).toThrow("does not fit");
  });
});

describe("ARP", () => {
  it("answers for the gateway and other on-link addresses, never for the guest or broadcast", async () => {
    h = await harness({ policy: testPolicy({}), addresses: { guestIpv4: "10.0.2.100", gatewayIpv4: "10.0.2.2", ipv4PrefixLen: 24 } });
    const got = collect(h);
    const plan = h.stack.addresses;
    const ask = (target: Uint8Array): void => {
      const f = new Uint8Array(42);
      writeEthernetHeader(f, 0, Uint8Array.of(255, 255, 255, 255, 255, 255), plan.guestMac, ETHERTYPE.ARP);
      writeArp(f, 14, ARP_OP.REQUEST, plan.guestMac, plan.v4!.guest, new Uint8Array(6), target);
      h!.link.inject(f);
    };
    ask(plan.v4!.gateway);
    ask(Uint8Array.of(10, 0, 2, 100)); // the guest itself (DAD)
    ask(Uint8Array.of(10, 0, 2, 255)); // broadcast
    ask(Uint8Array.of(10, 0, 3, 1)); // off-link
    ask(Uint8Array.of(10, 0, 2, 3)); // another on-link address
    await waitFor(() => got.length >= 2);
    await new Promise((r) => setTimeout(r, 20));
    expect(got.length).toBe(2);
    const a = parseArp(parseEthernet(got[0]!.frame)!.payload)!;
    expect(a.op).toBe(ARP_OP.REPLY);
    expect(formatMac(a.senderMac)).toBe("02:6d:73:00:00:01");
    expect(formatIpBytes(a.senderIp)).toBe("10.0.2.2");
    expect(formatIpBytes(a.targetIp)).toBe("10.0.2.100");
    expect(formatIpBytes(parseArp(parseEthernet(got[1]!.frame)!.payload)!.senderIp)).toBe("10.0.2.3");
  });
});

function dhcpRequest(plan: ReturnType<typeof planAddresses>, type: number, opts: [number, Uint8Array][], flags = 0): Uint8Array {
  // A BOOTREQUEST built with the reply encoder, then flipped to op=1.
  const body = buildDhcpReply({
    xid: 0xdeadbeef,
    flags,
    ciaddr: new Uint8Array(4),
    yiaddr: new Uint8Array(4),
    siaddr: new Uint8Array(4),
    giaddr: new Uint8Array(4),
    chaddr: plan.guestMac,
    options: [[DHCP_OPT.MSG_TYPE, Uint8Array.of(type)], ...opts],
  });
  body[0] = 1;
  const zero = new Uint8Array(4);
  const bcast = Uint8Array.of(255, 255, 255, 255);
  return ipFrame(plan, zero, bcast, IPPROTO.UDP, udpL4(zero, bcast, 68, 67, body), Uint8Array.of(255, 255, 255, 255, 255, 255));
}

function dhcpReplyOf(rx: Rx) {
  const u = parseUdp(rx.l4!, rx.src!, rx.dst!);
  if (typeof u === "string") throw new Error(u);
  expect(u.srcPort).toBe(67);
  expect(u.dstPort).toBe(68);
  return parseDhcp(Uint8Array.from([1, ...u.payload.subarray(1)]))!;
}

describe("DHCP", () => {
  it("DISCOVER with rapid commit gets an ACK carrying options 1/3/6/26/51/54 and 80", async () => {
    h = await harness({ policy: testPolicy({}), addresses: { mtu: 1400 } });
    const got = collect(h);
    h.link.inject(dhcpRequest(h.stack.addresses, DHCP_MSG.DISCOVER, [[DHCP_OPT.RAPID_COMMIT, new Uint8Array(0)]]));
    await waitFor(() => got.length === 1);
    const m = dhcpReplyOf(got[0]!);
    expect(m.messageType).toBe(DHCP_MSG.ACK);
    expect(m.xid).toBe(0xdeadbeef);
    expect([...m.options.get(DHCP_OPT.SUBNET_MASK)!]).toEqual([255, 255, 255, 252]);
    expect([...m.options.get(DHCP_OPT.ROUTER)!]).toEqual([172, 16, 0, 1]);
    expect([...m.options.get(DHCP_OPT.DNS)!]).toEqual([172, 16, 0, 1]);
    expect([...m.options.get(DHCP_OPT.SERVER_ID)!]).toEqual([172, 16, 0, 1]);
    expect([...m.options.get(DHCP_OPT.MTU)!]).toEqual([0x05, 0x78]);
    expect([...m.options.get(DHCP_OPT.LEASE_TIME)!]).toEqual([0, 1, 0x51, 0x80]);
    expect(m.options.has(DHCP_OPT.RAPID_COMMIT)).toBe(true);
    // yiaddr is the guest address; no broadcast flag → unicast to the client MAC
    const u = parseUdp(got[0]!.l4!, got[0]!.src!, got[0]!.dst!);
    if (typeof u === "string") throw new Error(u);
    expect([...u.payload.subarray(16, 20)]).toEqual([172, 16, 0, 2]);
    expect(formatIpBytes(got[0]!.dst!)).toBe("172.16.0.2");
    expect(h.stack.stats().dhcpLeases).toBe(1);
  });

  it("DISCOVER → OFFER, REQUEST → ACK; broadcast flag → broadcast reply; wrong address → NAK", async () => {
    h = await harness({ policy: testPolicy({}) });
    const got = collect(h);
    const plan = h.stack.addresses;
    h.link.inject(dhcpRequest(plan, DHCP_MSG.DISCOVER, [], 0x8000));
    await waitFor(() => got.length === 1);
    expect(dhcpReplyOf(got[0]!).messageType).toBe(DHCP_MSG.OFFER);
    expect(formatIpBytes(got[0]!.dst!)).toBe("255.255.255.255");
    expect(formatMac(parseEthernet(got[0]!.frame)!.dst)).toBe("ff:ff:ff:ff:ff:ff");
    h.link.inject(dhcpRequest(plan, DHCP_MSG.REQUEST, [[DHCP_OPT.REQUESTED_IP, plan.v4!.guest], [DHCP_OPT.SERVER_ID, plan.v4!.gateway]]));
    await waitFor(() => got.length === 2);
    expect(dhcpReplyOf(got[1]!).messageType).toBe(DHCP_MSG.ACK);
    h.link.inject(dhcpRequest(plan, DHCP_MSG.REQUEST, [[DHCP_OPT.REQUESTED_IP, Uint8Array.of(10, 0, 0, 5)]]));
    await waitFor(() => got.length === 3);
    expect(dhcpReplyOf(got[2]!).messageType).toBe(DHCP_MSG.NAK);
  });
});

function echoRequest(plan: ReturnType<typeof planAddresses>, dst: Uint8Array): Uint8Array {
  const body = Uint8Array.of(0x12, 0x34, 0, 1, 1, 2, 3, 4, 5);
  const l4 = new Uint8Array(4 + body.length);
  writeIcmp(l4, 0, ICMP4.ECHO_REQUEST, 0, body);
  return ipFrame(plan, plan.v4!.guest, dst, IPPROTO.ICMP, l4);
}

describe("ICMP echo", () => {
  it("the gateway answers when the policy allows icmpv4 to it", async () => {
    const policy = testPolicy({ egress: (ip, _p, proto) => (proto === "icmpv4" && isV4(ip, "172.16.0.1") ? "allow" : "deny") });
    h = await harness({ policy });
    const got = collect(h);
    h.link.inject(echoRequest(h.stack.addresses, h.stack.addresses.v4!.gateway));
    await waitFor(() => got.length === 1);
    const r = got[0]!;
    expect(r.protocol).toBe(IPPROTO.ICMP);
    expect(r.l4![0]).toBe(ICMP4.ECHO_REPLY);
    expect([...r.l4!.subarray(4)]).toEqual([0x12, 0x34, 0, 1, 1, 2, 3, 4, 5]);
    expect(policy.egressCalls[0]).toMatchObject({ port: null, protocol: "icmpv4" });
  });

  it("no reply when denied, nor for other destinations", async () => {
    h = await harness({ policy: testPolicy({ egress: () => "deny" }) });
    const got = collect(h);
    h.link.inject(echoRequest(h.stack.addresses, h.stack.addresses.v4!.gateway));
    h.link.inject(echoRequest(h.stack.addresses, Uint8Array.of(198, 51, 100, 7)));
    await new Promise((r) => setTimeout(r, 30));
    expect(got.length).toBe(0);
    expect(h.events.filter((e) => e.type === "flow" && e.verdict === "deny").length).toBe(2);
  });
});

describe("IPv4 handling", () => {
  it("drops packets with a bad header checksum or a spoofed source", async () => {
    h = await harness({ policy: testPolicy({ egress: () => "allow" }) });
    const got = collect(h);
    const plan = h.stack.addresses;
    const f = echoRequest(plan, plan.v4!.gateway);
    f[ETH_HEADER_LEN + 10]! ^= 0xff;
    h.link.inject(f);
    const spoof = echoRequest({ ...plan, v4: { ...plan.v4!, guest: Uint8Array.of(172, 16, 0, 99) } }, plan.v4!.gateway);
    h.link.inject(spoof);
    await new Promise((r) => setTimeout(r, 30));
    expect(got.length).toBe(0);
    expect(h.stack.stats().dropped).toMatchObject({ "ipv4-checksum": 1, "ipv4-source": 1 });
  });

  it("reassembles a fragmented UDP DNS query and answers it", async () => {
    h = await harness({ policy: testPolicy({}) });
    const got = collect(h);
    const plan = h.stack.addresses;
    const q = new Uint8Array(3000);
    q.set([0xab, 0xcd, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const l4 = udpL4(plan.v4!.guest, plan.v4!.gateway, 5555, 53, q);
    const pieces = [l4.subarray(0, 1480), l4.subarray(1480, 2960), l4.subarray(2960)];
    let off = 0;
    const frames = pieces.map((p, i) => {
      const f = ipv4Fragment(plan, plan.v4!.gateway, IPPROTO.UDP, 77, off, i < pieces.length - 1, p);
      off += p.length;
      return f;
    });
    for (const f of [frames[2]!, frames[0]!, frames[1]!]) h.link.inject(f);
    await waitFor(() => got.length >= 1);
    // The 3000-byte answer comes back fragmented; reassemble by hand and check it.
    await waitFor(() => got.length >= 3);
    const total = got.reduce((n, r) => n + r.l4!.length, 0);
    expect(total).toBe(8 + 3000);
    expect(h.stack.stats().dnsQueries).toBe(1);
  });

  it("drops overlapping fragments", async () => {
    h = await harness({ policy: testPolicy({}) });
    const got = collect(h);
    const plan = h.stack.addresses;
    const mk = (offBytes: number, more: boolean, len: number): Uint8Array => ipv4Fragment(plan, plan.v4!.gateway, IPPROTO.UDP, 9, offBytes, more, new Uint8Array(len));
    h.link.inject(mk(0, true, 16));
    h.link.inject(mk(8, false, 16));
    await new Promise((r) => setTimeout(r, 30));
    expect(got.length).toBe(0);
    expect(h.stack.stats().dropped["ipv4-fragment"]).toBe(1);
  });
});

describe("IPv6", () => {
  const ns = (plan: ReturnType<typeof planAddresses>, src: Uint8Array, target: Uint8Array): Uint8Array => {
    const dst = parseIpv6Bytes("ff02::1:ff00:1")!;
    const body = new Uint8Array(4 + 16 + 8);
    body.set(target, 4);
    body.set([1, 1], 20);
    body.set(plan.guestMac, 22);
    const l4 = new Uint8Array(4 + body.length);
    writeIcmp(l4, 0, ICMP6.NEIGHBOR_SOLICIT, 0, body, { src, dst });
    return ipFrame(plan, src, dst, IPPROTO.ICMPV6, l4, Uint8Array.of(0x33, 0x33, 0xff, 0, 0, 1));
  };

  it("answers neighbour solicitations for the gateway and router solicitations with an RA", async () => {
    h = await harness({ policy: testPolicy({}) });
    const got = collect(h);
    const plan = h.stack.addresses;
    const ll = parseIpv6Bytes("fe80::6d:73ff:fe00:2")!;
    h.link.inject(ns(plan, ll, plan.v6!.gateway));
    await waitFor(() => got.length === 1);
    expect(got[0]!.l4![0]).toBe(ICMP6.NEIGHBOR_ADVERT);
    expect(formatIpBytes(got[0]!.l4!.subarray(8, 24))).toBe("fd42:6d73:62::1");
    const allRouters = parseIpv6Bytes("ff02::2")!;
    const rs = new Uint8Array(8);
    writeIcmp(rs, 0, ICMP6.ROUTER_SOLICIT, 0, new Uint8Array(4), { src: ll, dst: allRouters });
    h.link.inject(ipFrame(plan, ll, allRouters, IPPROTO.ICMPV6, rs, Uint8Array.of(0x33, 0x33, 0, 0, 0, 2)));
    await waitFor(() => got.length === 2);
    const ra = got[1]!;
    expect(ra.l4![0]).toBe(ICMP6.ROUTER_ADVERT);
    expect(formatIpBytes(ra.src!)).toBe("fe80::1");
    // prefix information option carries fd42:6d73:62::/64
    const pio = ra.l4!.subarray(16 + 8 + 8);
    expect(pio[0]).toBe(3);
    expect(formatIpBytes(pio.subarray(16, 32))).toBe("fd42:6d73:62::");
    const rdnss = pio.subarray(32);
    expect(rdnss[0]).toBe(25);
    expect(formatIpBytes(rdnss.subarray(8, 24))).toBe("fd42:6d73:62::1");
  });

  it("the IPv6 gateway answers echo when the policy allows icmpv6", async () => {
    h = await harness({ policy: testPolicy({ egress: (ip, _p, proto) => (proto === "icmpv6" && ip.family === 6 ? "allow" : "deny") }) });
    const got = collect(h);
    const plan = h.stack.addresses;
    const v6 = plan.v6!;
    const body = Uint8Array.of(0, 7, 0, 9, 0x61, 0x62);
    const l4 = new Uint8Array(4 + body.length);
    writeIcmp(l4, 0, ICMP6.ECHO_REQUEST, 0, body, { src: v6.guest, dst: v6.gateway });
    h.link.inject(ipFrame(plan, v6.guest, v6.gateway, IPPROTO.ICMPV6, l4));
    await waitFor(() => got.length === 1);
    expect(got[0]!.l4![0]).toBe(ICMP6.ECHO_REPLY);
    expect([...got[0]!.l4!.subarray(4)]).toEqual([...body]);
    expect(formatIpBytes(got[0]!.src!)).toBe("fd42:6d73:62::1");
    expect(typeof parseIcmpv6(got[0]!.l4!, got[0]!.src!, got[0]!.dst!)).toBe("object"); // checksum valid
  });

  it("with IPv6 disabled, sends nothing back (no RA: guests fall back to IPv4 at once)", async () => {
    h = await harness({ policy: testPolicy({}), addresses: { ipv6Pool: false } });
    const got = collect(h);
    const ll = parseIpv6Bytes("fe80::2")!;
    h.link.inject(ns({ ...h.stack.addresses, v6: planAddresses().v6 }, ll, parseIpv6Bytes("fd42:6d73:62::1")!));
    await new Promise((r) => setTimeout(r, 30));
    expect(got.length).toBe(0);
    expect(h.stack.stats().dropped["ipv6-disabled"]).toBe(1);
  });
});
