import { afterAll, beforeAll, describe, expect, it } from "vitest";
import dnsPacket from "dns-packet";
import { compilePolicy, formatIp, parseIp, ResolvedNameCache, type IpAddr, type NetworkPolicy } from "@sandbox/core";
import { createDnsHandler, type DnsEvent, type DnsForwarder } from "../../src/dns/forwarder.js";
import { serveDnsStream } from "../../src/dns/stream.js";
import { duplexPair } from "../../src/tls/duplex-pair.js";
import { startUpstream, type Script, type TestUpstream } from "./upstream-helper.js";

const GW = { ipv4: "172.16.0.1", ipv6: "fd42:6d73:62::1" };
const GW4 = parseIp(GW.ipv4)!;
const CLIENT = parseIp("172.16.0.2")!;

const PUBLIC_ONLY: NetworkPolicy = {
  default_egress: "deny",
  default_ingress: "allow",
  rules: [
    { direction: "egress", destination: { domain: "evil.com" }, protocols: [], ports: [], action: "deny" },
    { direction: "egress", destination: { domain: "xn--bcher-kva.example" }, protocols: [], ports: [], action: "deny" },
    { direction: "egress", destination: { group: "host" }, protocols: ["udp", "tcp"], ports: [{ start: 53, end: 53 }], action: "allow" },
    { direction: "egress", destination: { group: "public" }, protocols: [], ports: [], action: "allow" },
    { direction: "egress", destination: { group: "loopback" }, protocols: ["udp", "tcp"], ports: [{ start: 1, end: 65535 }], action: "allow" },
  ],
};

function q(name: string, type: string, opts: { id?: number; edns?: number } = {}): Uint8Array {
  return dnsPacket.encode({
    id: opts.id ?? 0x4242,
    type: "query",
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as "A" }],
    ...(opts.edns ? { additionals: [{ type: "OPT", name: ".", udpPayloadSize: opts.edns } as dnsPacket.Answer] } : {}),
  });
}

function decode(b: Uint8Array | null): dnsPacket.Packet & { rcode?: string } {
  expect(b).not.toBeNull();
  return dnsPacket.decode(Buffer.from(b!)) as dnsPacket.Packet & { rcode?: string };
}

let script: Script = () => null;
let up: TestUpstream;
let up2: TestUpstream;
let script2: Script = () => null;

beforeAll(async () => {
  up = await startUpstream((qq, t) => script(qq, t));
  up2 = await startUpstream((qq, t) => script2(qq, t));
});
afterAll(async () => {
  await up.close();
  await up2.close();
});

function setup(opts: { policy?: NetworkPolicy; gateway?: { ipv4?: string; ipv6?: string }; upstreams?: { ip: string; port: number }[]; timeout?: number; rebind?: boolean } = {}) {
  const cache = new ResolvedNameCache();
  const gateway = opts.gateway ?? GW;
  const policy = compilePolicy(opts.policy ?? PUBLIC_ONLY, { gateway, cache });
  const events: DnsEvent[] = [];
  const h: DnsForwarder = createDnsHandler({
    policy,
    cache,
    gateway,
    upstreams: opts.upstreams ?? [{ ip: "127.0.0.1", port: up.port }],
    queryTimeoutMs: opts.timeout ?? 1000,
    rebindProtection: opts.rebind ?? true,
    events: (e) => events.push(e),
    directResolverPorts: { plain: up2.port, dot: up2.port },
  });
  return { h, cache, events, policy };
}

const ctx = { transport: "udp" as const, resolverIp: GW4, clientIp: CLIENT };

describe("DNS forwarder over real UDP/TCP upstreams on 127.0.0.1", () => {
  it("forwards an allowed query, restores the id and records the binding", async () => {
    script = (qq) => ({ type: "response", flags: dnsPacket.RECURSION_AVAILABLE, answers: [{ name: qq.questions![0]!.name, type: "A", ttl: 300, data: "93.184.216.34" }] } as dnsPacket.Packet);
    const { h, cache, events } = setup();
    const r = decode(await h.handle(q("Example.COM", "A", { id: 777 }), ctx));
    expect(r.id).toBe(777);
    expect(r.answers![0]).toMatchObject({ type: "A", data: "93.184.216.34" });
    expect(cache.hostsFor(parseIp("93.184.216.34")!)).toEqual(["example.com"]);
    expect(events.at(-1)).toMatchObject({ outcome: "forwarded", name: "example.com" });
    h.close();
  });

  it("answers a denied name with NXDOMAIN without asking upstream (mixed case, trailing dot, punycode)", async () => {
    const before = up.seen.length;
    const { h, events } = setup();
    for (const name of ["EVIL.com.", "evil.COM", "XN--BCHER-KVA.example."]) {
      const r = decode(await h.handle(q(name, "A"), ctx));
      expect(r.rcode).toBe("NXDOMAIN");
    }
    expect(up.seen.length).toBe(before);
    expect(events.every((e) => e.outcome === "denied")).toBe(true);
    h.close();
  });

  it("takes the nameless path for a name with raw UTF-8 bytes: a Domain allow cannot match it", async () => {
    const policy: NetworkPolicy = { default_egress: "deny", default_ingress: "allow", rules: [{ direction: "egress", destination: { domain: "bücher.example" }, protocols: [], ports: [], action: "allow" }] };
    const { h, events } = setup({ policy });
    const r = decode(await h.handle(q("bücher.example", "A"), ctx));
    expect(r.rcode).toBe("NXDOMAIN");
    expect(events[0]).toMatchObject({ outcome: "denied", name: null });
    h.close();
  });

  it("FORMERR for two questions (first echoed); no answer for unparseable bytes or pointer loops", async () => {
    const { h } = setup();
    const two = dnsPacket.encode({ id: 5, type: "query", questions: [{ name: "a.example", type: "A" }, { name: "b.example", type: "AAAA" }] });
    const r = decode(await h.handle(two, ctx));
    expect(r.rcode).toBe("FORMERR");
    expect(r.questions).toEqual([{ name: "a.example", type: "A", class: "IN" }]);
    expect(await h.handle(Uint8Array.of(1, 2, 3), ctx)).toBeNull();
    expect(await h.handle(Uint8Array.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]), ctx)).toBeNull();
    h.close();
  });

  it("NODATA and a cleared binding for an inactive family", async () => {
    const { h, cache } = setup({ gateway: { ipv4: GW.ipv4 } });
    cache.record("v6.example", "ipv6", [parseIp("2001:4860::1")!], 300);
    const r = decode(await h.handle(q("v6.example", "AAAA"), ctx));
    expect(r.rcode).toBe("NOERROR");
    expect(r.answers).toEqual([]);
    expect(cache.hostsFor(parseIp("2001:4860::1")!)).toEqual([]);
    h.close();
  });

  it("synthesizes the host alias (AA, TTL 60) but NXDOMAIN under deny-all", async () => {
    const { h } = setup();
    const r = decode(await h.handle(q("Host.Microsandbox.Internal.", "A"), ctx));
    expect(r.flags! & 0x0400).toBeTruthy();
    expect(r.answers![0]).toMatchObject({ type: "A", data: "172.16.0.1", ttl: 60 });
    const withAlias = createDnsHandler({ policy: compilePolicy(PUBLIC_ONLY, { gateway: GW, cache: new ResolvedNameCache() }), cache: new ResolvedNameCache(), gateway: GW, upstreams: [{ ip: "127.0.0.1", port: up.port }], hostAliases: ["gw.sandbox.test"] });
    expect(decode(await withAlias.handle(q("GW.sandbox.test", "A"), ctx)).answers![0]).toMatchObject({ data: "172.16.0.1", ttl: 60 });
    expect(decode(await withAlias.handle(q("host.microsandbox.internal", "A"), ctx)).answers![0]).toMatchObject({ data: "172.16.0.1" });
    withAlias.close();
    const r6 = decode(await h.handle(q("host.microsandbox.internal", "AAAA"), ctx));
    expect(r6.answers![0]).toMatchObject({ type: "AAAA", data: "fd42:6d73:62::1" });
    h.close();
    const denyAll = setup({ policy: { default_egress: "deny", default_ingress: "deny", rules: [] } });
    expect(decode(await denyAll.h.handle(q("host.microsandbox.internal", "A"), ctx)).rcode).toBe("NXDOMAIN");
    denyAll.h.close();
  });

  it("blocks rebinding: TTL 0 public answer then a private one; CNAME to private; mapped IPv6", async () => {
    let n = 0;
    script = (qq) => {
      const name = qq.questions![0]!.name;
      if (name === "rebind.example") return { type: "response", answers: [{ name, type: "A", ttl: 0, data: n++ === 0 ? "93.184.216.34" : "10.0.0.1" }] } as dnsPacket.Packet;
      if (name === "cname.example") return { type: "response", answers: [{ name, type: "CNAME", ttl: 30, data: "internal.corp" }, { name: "internal.corp", type: "A", ttl: 30, data: "192.168.1.10" }] } as dnsPacket.Packet;
      return { type: "response", answers: [{ name, type: "AAAA", ttl: 30, data: "::ffff:127.0.0.1" }] } as dnsPacket.Packet;
    };
    const clock = { t: 1_000_000 };
    const { h, cache, events } = setup();
    const first = decode(await h.handle(q("rebind.example", "A"), ctx));
    expect(first.answers![0]).toMatchObject({ data: "93.184.216.34", ttl: 0 });
    expect(cache.hostsFor(parseIp("93.184.216.34")!)).toEqual(["rebind.example"]);
    const second = decode(await h.handle(q("rebind.example", "A"), ctx));
    expect(second.rcode).toBe("NXDOMAIN");
    expect(events.at(-1)).toMatchObject({ outcome: "rebind_blocked", offender: "10.0.0.1" });
    expect(cache.hostsFor(parseIp("10.0.0.1")!)).toEqual([]);
    expect(decode(await h.handle(q("cname.example", "A"), ctx)).rcode).toBe("NXDOMAIN");
    expect(decode(await h.handle(q("mapped.example", "AAAA"), ctx)).rcode).toBe("NXDOMAIN");
    void clock;
    h.close();
  });

  it("records the CNAME chain with the minimum TTL floored at 1 s; clears on NXDOMAIN", async () => {
    script = (qq) => {
      const name = qq.questions![0]!.name;
      if (name === "gone.example") return { type: "response", rcode: "NXDOMAIN", answers: [] } as unknown as dnsPacket.Packet;
      return { type: "response", answers: [{ name, type: "CNAME", ttl: 20, data: "cdn.example.net" }, { name: "cdn.example.net", type: "A", ttl: 40, data: "93.184.216.1" }, { name: "other.example.net", type: "A", ttl: 1, data: "93.184.216.2" }] } as dnsPacket.Packet;
    };
    const recorded: unknown[] = [];
    const cache = new ResolvedNameCache();
    const h = createDnsHandler({
      policy: compilePolicy(PUBLIC_ONLY, { gateway: GW, cache }),
      cache: { record: (...a) => (recorded.push(["record", a[0], a[1], a[2].map(formatIp), a[3]]), cache.record(...a)), clear: (...a) => (recorded.push(["clear", ...a]), cache.clear(...a)) },
      gateway: GW,
      upstreams: [{ ip: "127.0.0.1", port: up.port }],
    });
    await h.handle(q("chain.example", "A"), ctx);
    await h.handle(q("gone.example", "A"), ctx);
    expect(recorded).toEqual([["record", "chain.example", "ipv4", ["93.184.216.1"], 20], ["clear", "gone.example", "ipv4"]]);
    h.close();
  });

  it("fails over to the next upstream on timeout and answers SERVFAIL when none answers", async () => {
    script = () => null;
    script2 = (qq) => ({ type: "response", answers: [{ name: qq.questions![0]!.name, type: "A", ttl: 60, data: "93.184.216.9" }] } as dnsPacket.Packet);
    const { h, events } = setup({ upstreams: [{ ip: "127.0.0.1", port: up.port }, { ip: "127.0.0.1", port: up2.port }], timeout: 150 });
    const r = decode(await h.handle(q("failover.example", "A"), ctx));
    expect(r.answers![0]).toMatchObject({ data: "93.184.216.9" });
    expect(events.at(-1)).toMatchObject({ upstream: `127.0.0.1:${up2.port}` });
    h.close();
    const dead = setup({ upstreams: [{ ip: "127.0.0.1", port: up.port }], timeout: 100 });
    const s = decode(await dead.h.handle(q("x.example", "A", { id: 99 }), ctx));
    expect(s.rcode).toBe("SERVFAIL");
    expect(s.id).toBe(99);
    expect(s.flags! & 0x0080).toBeTruthy();
    dead.h.close();
    script = () => new Promise((r) => setTimeout(() => r(null), 50));
    const capped = createDnsHandler({ policy: compilePolicy(PUBLIC_ONLY, { gateway: GW, cache: new ResolvedNameCache() }), cache: new ResolvedNameCache(), gateway: GW, upstreams: [{ ip: "127.0.0.1", port: up.port }], queryTimeoutMs: 100, maxUdpInFlight: 2 });
    const three = await Promise.all([1, 2, 3].map((i) => capped.handle(q(`c${i}.example`, "A"), ctx)));
    expect(three.filter((r) => r === null)).toHaveLength(1);
    capped.close();
    const none = setup({ upstreams: [] });
    expect(await none.h.handle(q("x.example", "A"), ctx)).toBeNull();
    expect(none.events.at(-1)).toMatchObject({ outcome: "dropped" });
    none.h.close();
  });

  it("fails over at once when an upstream's port is closed (ICMP unreachable), not after the deadline", async () => {
    const { createSocket } = await import("node:dgram");
    const tmp = createSocket("udp4");
    await new Promise<void>((r) => tmp.bind(0, "127.0.0.1", () => r()));
    const closedPort = tmp.address().port;
    tmp.close();
    script2 = (qq) => ({ type: "response", answers: [{ name: qq.questions![0]!.name, type: "A", ttl: 60, data: "93.184.216.10" }] } as dnsPacket.Packet);
    const { h } = setup({ upstreams: [{ ip: "127.0.0.1", port: closedPort }, { ip: "127.0.0.1", port: up2.port }], timeout: 5000 });
    const t0 = Date.now();
    const r = decode(await h.handle(q("fast-failover.example", "A"), ctx));
    expect(r.answers![0]).toMatchObject({ data: "93.184.216.10" });
    expect(Date.now() - t0).toBeLessThan(2000);
    h.close();
  });

  it("retries over TCP on a truncated UDP answer, then truncates for a 512-byte guest", async () => {
    const big = { type: "response", answers: Array.from({ length: 40 }, (_, i) => ({ name: "big.example", type: "A", ttl: 60, data: `93.184.216.${i + 1}` })) } as dnsPacket.Packet;
    script = (_qq, t) => (t === "udp" ? ({ type: "response", flags: dnsPacket.TRUNCATED_RESPONSE, answers: [] } as dnsPacket.Packet) : big);
    const { h } = setup();
    const before = up.seen.filter((s) => s.transport === "tcp").length;
    const small = decode(await h.handle(q("big.example", "A"), ctx));
    expect(small.flags! & 0x0200).toBeTruthy();
    expect(small.answers).toEqual([]);
    const full = decode(await h.handle(q("big.example", "A", { edns: 4096 }), ctx));
    expect(full.answers).toHaveLength(40);
    expect(up.seen.filter((s) => s.transport === "tcp").length).toBe(before + 2);
    h.close();
  });

  it("passes HTTPS (type 65) answers through byte for byte", async () => {
    const rdata = Buffer.from([0, 1, 0, 0, 1, 0, 3, 2, 0x68, 0x32]);
    let sent: Buffer | undefined;
    script = (qq) => {
      sent = dnsPacket.encode({ id: qq.id, type: "response", questions: qq.questions, answers: [{ name: "svc.example", type: "UNKNOWN_65" as "A", data: rdata as unknown as string }] } as dnsPacket.Packet);
      return { raw: sent };
    };
    const { h } = setup();
    const out = await h.handle(q("svc.example", "UNKNOWN_65"), ctx);
    expect(Buffer.from(out!).subarray(2)).toEqual(sent!.subarray(2));
    expect(Buffer.from(out!).readUInt16BE(0)).toBe(0x4242);
    h.close();
  });

  it("emits exactly one event per guest message, for each of the nine outcomes", async () => {
    script = (qq) => {
      const name = qq.questions![0]!.name;
      if (name === "silent.example") return null;
      return { type: "response", answers: [{ name, type: "A", ttl: 60, data: name === "rebind.example" ? "10.0.0.1" : "93.184.216.34" }] } as dnsPacket.Packet;
    };
    const { h, events } = setup({ gateway: { ipv4: GW.ipv4 }, timeout: 150 });
    const two = dnsPacket.encode({ id: 5, type: "query", questions: [{ name: "a.example", type: "A" }, { name: "b.example", type: "A" }] });
    const messages: [Uint8Array, typeof ctx | (typeof ctx & { resolverIp: IpAddr }), string][] = [
      [q("ok.example", "A"), ctx, "forwarded"],
      [q("evil.com", "A"), ctx, "denied"],
      [q("ok.example", "A"), { ...ctx, resolverIp: parseIp("10.9.9.9")! }, "resolver_denied"],
      [q("rebind.example", "A"), ctx, "rebind_blocked"],
      [q("v6.example", "AAAA"), ctx, "nodata_inactive_family"],
      [q("host.microsandbox.internal", "A"), ctx, "host_alias"],
      [q("silent.example", "A"), ctx, "servfail"],
      [two, ctx, "formerr"],
      [Uint8Array.of(1, 2, 3), ctx, "dropped"],
    ];
    for (const [msg, c, outcome] of messages) {
      const before = events.length;
      await h.handle(msg, c);
      expect(events.slice(before).map((e) => e.outcome), outcome).toEqual([outcome]);
      expect(events.at(-1)!.reason.length).toBeGreaterThan(0);
    }
    h.close();
  });

  it("checks a guest-chosen resolver against egress policy and forwards directly to it", async () => {
    script2 = (qq) => ({ type: "response", answers: [{ name: qq.questions![0]!.name, type: "A", ttl: 60, data: "93.184.216.77" }] } as dnsPacket.Packet);
    const { h, events } = setup();
    const viaLoopback = decode(await h.handle(q("direct.example", "A"), { ...ctx, resolverIp: parseIp("127.0.0.1")! }));
    expect(viaLoopback.answers![0]).toMatchObject({ data: "93.184.216.77" });
    expect(events.at(-1)).toMatchObject({ upstream: `127.0.0.1:${up2.port}` });
    const denied = decode(await h.handle(q("direct.example", "A"), { ...ctx, resolverIp: parseIp("10.9.9.9")! }));
    expect(denied.rcode).toBe("NXDOMAIN");
    expect(events.at(-1)).toMatchObject({ outcome: "resolver_denied" });
    h.close();
  });

  it("serves DNS over a TCP stream with length framing", async () => {
    script = (qq) => ({ type: "response", answers: [{ name: qq.questions![0]!.name, type: "A", ttl: 60, data: "93.184.216.5" }] } as dnsPacket.Packet);
    const { h } = setup();
    const [guest, mine] = duplexPair();
    const done = serveDnsStream(mine, h, { transport: "tcp", resolverIp: GW4, clientIp: CLIENT });
    const msgs = [q("one.example", "A", { id: 1 }), q("evil.com", "A", { id: 2 })];
    const framed = Buffer.concat(msgs.map((m) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 255]), m])));
    guest.write(framed.subarray(0, 7));
    guest.write(framed.subarray(7));
    guest.end();
    const chunks: Buffer[] = [];
    for await (const c of guest) chunks.push(c as Buffer);
    await done;
    let all = Buffer.concat(chunks);
    const answers: (dnsPacket.Packet & { rcode?: string })[] = [];
    while (all.length >= 2) {
      const len = all.readUInt16BE(0);
      answers.push(dnsPacket.decode(all.subarray(2, 2 + len)) as dnsPacket.Packet & { rcode?: string });
      all = all.subarray(2 + len);
    }
    const byId = new Map(answers.map((a) => [a.id, a]));
    expect(byId.get(1)!.answers![0]).toMatchObject({ data: "93.184.216.5" });
    expect(byId.get(2)!.rcode).toBe("NXDOMAIN");
    h.close();
  });
});

export type { IpAddr };

describe("upstream UDP sockets", () => {
  it("moves to a fresh source port every QUERIES_PER_SOCKET queries and closes drained sockets", async () => {
    const { NodeDnsTransport, QUERIES_PER_SOCKET } = await import("../../src/dns/transport.js");
    const ports = new Set<number>();
    const { createSocket } = await import("node:dgram");
    const srv = createSocket("udp4");
    srv.on("message", (m, r) => {
      ports.add(r.port);
      const out = Buffer.from(m);
      out[2] = out[2]! | 0x80;
      srv.send(out, r.port, r.address);
    });
    await new Promise<void>((r) => srv.bind(0, "127.0.0.1", () => r()));
    const t = new NodeDnsTransport();
    const to = { ip: "127.0.0.1", port: srv.address().port };
    for (let i = 0; i < QUERIES_PER_SOCKET * 2 + 1; i++) await t.udp(q(`p${i}.example`, "A", { id: i }), to, 1000);
    expect(ports.size).toBe(3);
    t.close();
    srv.close();
  });
});
