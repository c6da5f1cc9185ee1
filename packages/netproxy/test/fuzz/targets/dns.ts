/**
 * Fuzz targets for DNS: the wire reader (dns/wire.ts) and the forwarder pipeline entry
 * (`createDnsHandler(...).handle`) with guest queries and upstream answers both mutated. The
 * upstream is an in-memory DnsUpstreamTransport answering from the fuzzer, so nothing leaves the
 * process.
 *
 * Seeds: dns-packet encodings of queries/responses (A, AAAA, CNAME, TXT, OPT, compressed names),
 * plus compression-pointer traps (self, forward and looping pointers, long backward chains).
 * Properties: parseMessage never throws; every parsed rdata span and name lies inside the message,
 * names are at most 255 wire bytes; buildQuery/buildResponse round-trip; the forwarder never
 * rejects and answers null or a message carrying the guest's id.
 */
import dnsPacket from "dns-packet";
import { compilePolicy, parseIp, ResolvedNameCache, type NetworkPolicy } from "@sandbox/core";
import { buildQuery, buildResponse, encodeName, parseMessage, readName, udpPayloadLimit, RR } from "../../../src/dns/wire.js";
import { createDnsHandler } from "../../../src/dns/forwarder.js";
import type { DnsUpstreamTransport } from "../../../src/dns/transport.js";
import { Rng, hex } from "../lib/rng.js";
import { mutate } from "../lib/mutate.js";
import { check, FuzzFailure, noThrow, sameBytes, type FuzzTarget } from "../lib/target.js";

const LABELS = ["a", "www", "example", "com", "xn--bcher-kva", "_srv", "host", "microsandbox", "internal", "x".repeat(63), "EVIL", "evil"];

function randomName(rng: Rng): string {
  return Array.from({ length: 1 + rng.int(5) }, () => rng.pick(LABELS)).join(".");
}

const TYPES = ["A", "AAAA", "CNAME", "TXT", "MX", "SRV", "PTR", "NS", "SOA"] as const;

function randomAnswer(rng: Rng, name: string): dnsPacket.Answer {
  const ttl = rng.pick([0, 1, 60, 86400, 0x7fffffff]);
  switch (rng.int(5)) {
    case 0:
      return { type: "A", name, ttl, data: `${rng.int(256)}.${rng.int(256)}.${rng.int(256)}.${rng.int(256)}` };
    case 1:
      return { type: "AAAA", name, ttl, data: rng.pick(["::1", "fd00::5", "2001:db8::1", "::ffff:10.0.0.1", "fe80::1"]) };
    case 2:
      return { type: "CNAME", name, ttl, data: randomName(rng) };
    case 3:
      return { type: "TXT", name, ttl, data: [Buffer.from(rng.bytes(rng.int(40)))] };
    default:
      return { type: "MX", name, ttl, data: { preference: rng.int(100), exchange: randomName(rng) } };
  }
}

/** A valid query or response from dns-packet (compressed names, optional EDNS). */
function validMessage(rng: Rng, response: boolean, id = rng.int(65536)): Uint8Array {
  const name = randomName(rng);
  const type = rng.pick(TYPES);
  const answers = response ? Array.from({ length: rng.int(5) }, () => randomAnswer(rng, rng.chance(0.7) ? name : randomName(rng))) : [];
  return Uint8Array.from(
    dnsPacket.encode({
      id,
      type: response ? "response" : "query",
      flags: (response ? dnsPacket.RECURSION_AVAILABLE : 0) | (rng.chance(0.8) ? dnsPacket.RECURSION_DESIRED : 0),
      questions: rng.chance(0.95) ? [{ name, type }] : [],
      answers,
      ...(rng.chance(0.3) ? { additionals: [{ type: "OPT", name: ".", udpPayloadSize: rng.pick([512, 1232, 4096, 65535]) } as dnsPacket.Answer] } : {}),
    }),
  );
}

/** Compression-pointer traps: a name at `at` pointing to itself, forward, or through a chain. */
function pointerTrap(rng: Rng, base: Uint8Array): Uint8Array {
  const b = Uint8Array.from(base);
  if (b.length < 14) return b;
  const at = 12 + rng.int(Math.max(1, b.length - 13));
  const kind = rng.int(4);
  const target = kind === 0 ? at : kind === 1 ? Math.min(0x3fff, at + 2 + rng.int(8)) : kind === 2 ? rng.int(at + 1) : 12;
  b[at] = 0xc0 | ((target >> 8) & 0x3f);
  if (at + 1 < b.length) b[at + 1] = target & 0xff;
  return b;
}

/**
 * A message whose answer names walk a long chain of strictly backward pointers: record 0 is a TXT
 * whose rdata holds a root label and then `hops` pointers each to the one before; every further
 * record's owner name points at the last hop.
 */
export function pointerChain(rng: Rng, hops = rng.chance(0.5) ? 1 + rng.int(130) : 1 + rng.int(8000), records = rng.int(200)): Uint8Array {
  const rdlen = 1 + 2 * hops;
  const b = new Uint8Array(12 + 11 + rdlen + records * 12);
  const an = records + 1;
  b[6] = an >> 8;
  b[7] = an & 0xff;
  b[12] = 0; // record 0 owner: root
  b[14] = RR.TXT;
  b[16] = 1;
  b[21] = rdlen >> 8;
  b[22] = rdlen & 0xff;
  b[23] = 0; // the chain's end: a root name
  for (let k = 0; k < hops; k++) {
    const at = 24 + 2 * k;
    const to = k === 0 ? 23 : at - 2;
    b[at] = 0xc0 | (to >> 8);
    b[at + 1] = to & 0xff;
  }
  const last = 24 + 2 * (hops - 1);
  for (let r = 0, o = 23 + rdlen; r < records; r++, o += 12) {
    b[o] = 0xc0 | (last >> 8);
    b[o + 1] = last & 0xff;
    b[o + 3] = RR.A;
    b[o + 5] = 1;
  }
  return b;
}

const wireStats: Record<string, number> = { parsed: 0, rejected: 0, chainParsed: 0 };

function checkParsed(name: string, input: Uint8Array): boolean {
  const m = noThrow(name, input, () => parseMessage(input));
  wireStats[m ? "parsed" : "rejected"]!++;
  if (!m) return false;
  for (const q of m.questions) check(q.name.wire.length <= 255, name, "question name over 255 bytes", input);
  for (const r of [...m.answers, ...m.authority, ...m.additional]) {
    check(r.rdataOffset >= 12 && r.rdataOffset + r.rdataLength <= input.length && r.name.wire.length <= 255, name, "record span outside the message", input);
  }
  const limit = udpPayloadLimit(m);
  check(limit >= 512 && limit <= 65535, name, "udp payload limit out of range", input);
  // readName at every offset terminates and stays within 255 bytes.
  if (input.length < 600) {
    for (let o = 0; o < input.length; o++) {
      const n = noThrow(name, input, () => readName(input, o));
      if (n) check(n.name.wire.length <= 255 && n.next <= input.length, name, `readName at ${o} out of bounds`, input);
    }
  }
  return true;
}

const wire: FuzzTarget = {
  name: "dns-wire",
  description: "parseMessage/readName on mutated queries and responses, pointer traps and long pointer chains; buildQuery/buildResponse round trip",
  open(seed) {
    const rng = new Rng(seed);
    const corpus = Array.from({ length: 48 }, (_, i) => validMessage(rng, i % 2 === 1));
    return {
      step() {
        const r = rng.int(20);
        if (r === 0) {
          const name = randomName(rng);
          const id = rng.int(65536);
          const qtype = rng.int(65536);
          const udp = rng.chance(0.5) ? 512 + rng.int(65024) : undefined;
          // buildQuery refuses (throws) exactly the names encodeName cannot encode (over 255 bytes).
          if (encodeName(name) === undefined) {
            let threw = false;
            try {
              buildQuery(id, name, qtype);
            } catch {
              threw = true;
            }
            check(threw, "dns-wire", `buildQuery accepted the unencodable name ${name}`, name);
            return;
          }
          const q = buildQuery(id, name, qtype, udp === undefined ? {} : { udpPayload: udp });
          const m = parseMessage(q);
          check(m && m.id === id && m.questions.length === 1 && m.questions[0]!.name.text === name.toLowerCase() && m.questions[0]!.qtype === qtype && udpPayloadLimit(m) === (udp ?? 512), "dns-wire", "buildQuery round trip", q);
          const answers = Array.from({ length: rng.int(4) }, () => ({ type: rng.pick([RR.A, RR.AAAA, RR.TXT]), ttl: rng.u32(), rdata: rng.bytes(rng.int(30)) }));
          const resp = buildResponse({ id, queryFlags: rng.int(65536), rcode: rng.int(16), question: m.questions[0]!, answers });
          const rm = parseMessage(resp);
          check(rm && rm.id === id && rm.answers.length === answers.length && rm.answers.every((a, k) => a.type === answers[k]!.type && a.ttl === answers[k]!.ttl && sameBytes(resp.subarray(a.rdataOffset, a.rdataOffset + a.rdataLength), answers[k]!.rdata)), "dns-wire", "buildResponse round trip", resp);
          return;
        }
        if (r === 1) {
          if (checkParsed("dns-wire", pointerChain(rng))) wireStats.chainParsed!++;
          return;
        }
        if (r === 2) {
          checkParsed("dns-wire", rng.bytes(rng.smallLen(300)));
          return;
        }
        if (rng.chance(0.02)) corpus[rng.int(corpus.length)] = validMessage(rng, rng.chance(0.5));
        const base = rng.pick(corpus);
        const input = r < 6 ? pointerTrap(rng, base) : mutate(rng, base, corpus, 65535);
        checkParsed("dns-wire", input);
      },
      stats: () => ({ ...wireStats }),
    };
  },
};

const GW = { ipv4: "172.16.0.1", ipv6: "fd42:6d73:62::1" };
const POLICY: NetworkPolicy = {
  default_egress: "deny",
  default_ingress: "deny",
  rules: [
    { direction: "egress", destination: { domain: "evil.com" }, protocols: [], ports: [], action: "deny" },
    { direction: "egress", destination: { group: "host" }, protocols: ["udp", "tcp"], ports: [{ start: 53, end: 53 }], action: "allow" },
    { direction: "egress", destination: { group: "public" }, protocols: [], ports: [], action: "allow" },
  ],
};

const forwarder: FuzzTarget = {
  name: "dns-forwarder",
  description: "createDnsHandler().handle with mutated guest queries and mutated upstream answers (in-memory upstream): never rejects, answers null or a message with the guest's id",
  open(seed) {
    const rng = new Rng(seed);
    const cache = new ResolvedNameCache();
    const corpusQ = Array.from({ length: 32 }, () => validMessage(rng, false));
    let answer: (q: Uint8Array) => Promise<Uint8Array> = async () => new Uint8Array(0);
    const transport: DnsUpstreamTransport = {
      udp: (m) => answer(m),
      tcp: (m) => answer(m),
      dot: (m) => answer(m),
      close() {},
    };
    const outcomes: Record<string, number> = {};
    const h = createDnsHandler({
      policy: compilePolicy(POLICY, { gateway: GW, cache }),
      cache,
      gateway: GW,
      upstreams: [{ ip: "127.0.0.1", port: 53 }],
      queryTimeoutMs: 200,
      transport,
      events: (e) => {
        outcomes[e.outcome] = (outcomes[e.outcome] ?? 0) + 1;
      },
    });
    const resolver = parseIp(GW.ipv4)!;
    const client = parseIp("172.16.0.2")!;
    return {
      async step() {
        const query = rng.chance(0.3) ? rng.pick(corpusQ) : mutate(rng, rng.pick(corpusQ), corpusQ, 4096);
        const mode = rng.int(10);
        answer = async (upq) => {
          if (mode === 0) throw new Error("upstream failed");
          const id = upq.length >= 2 ? (upq[0]! << 8) | upq[1]! : 0;
          const good = validMessage(rng, true, id);
          // Echo the question of the upstream query when we can, so the answer matches it.
          const pq = parseMessage(upq);
          let resp = good;
          if (pq && pq.questions.length === 1 && rng.chance(0.7)) {
            const q = pq.questions[0]!;
            const answers = Array.from({ length: rng.int(4) }, () => {
              const t = rng.pick([RR.A, RR.AAAA, RR.CNAME]);
              return { type: t, ttl: rng.int(3600), rdata: t === RR.A ? rng.bytes(4) : t === RR.AAAA ? rng.bytes(16) : Uint8Array.of(1, 0x61, 0xc0, 12) };
            });
            resp = buildResponse({ id, queryFlags: 0x0100, rcode: 0, question: q, answers });
          }
          return mode < 5 ? resp : mutate(rng, resp, [good]);
        };
        const transportKind = rng.pick(["udp", "tcp", "dot"] as const);
        let out: Uint8Array | null;
        try {
          out = await h.handle(query, { transport: transportKind, resolverIp: resolver, clientIp: client, ...(transportKind === "udp" ? { maxUdpPayload: rng.pick([512, 1232, 4096]) } : {}) });
        } catch (e) {
          throw new FuzzFailure("dns-forwarder", "handle() rejected", hex(query), e);
        }
        check(out === null || out instanceof Uint8Array, "dns-forwarder", "result is null or bytes", query);
        if (out && query.length >= 2 && out.length >= 2) {
          check(out[0] === query[0] && out[1] === query[1], "dns-forwarder", "answer carries the guest's id", query);
          check(out.length <= 65535, "dns-forwarder", "answer over 65535 bytes", query);
        }
      },
      stats: () => ({ ...outcomes }),
      async close() {
        h.close();
      },
    };
  },
};

/** The DNS targets. */
export const DNS_TARGETS: readonly FuzzTarget[] = [wire, forwarder];
