/**
 * A small, defensive DNS wire-format reader and the builders for the responses the forwarder
 * synthesizes. Guest and upstream bytes are untrusted: nothing here throws on them or loops -
 * compression pointers must point strictly backwards, names are capped at 255 bytes and every
 * read is bounds-checked, and at most 127 pointers are followed per name. Records are not decoded
 * beyond what the forwarder needs (owner, type, class, TTL and the rdata span), so unknown types
 * such as HTTPS/SVCB pass through untouched.
 */

/** Record types the forwarder looks at. */
export const RR = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, OPT: 41, SVCB: 64, HTTPS: 65 } as const;

/** Response codes the forwarder emits or inspects. */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

/** A domain name read from the wire. */
export interface WireName {
  /** Presentation form, lower-cased, no trailing dot, "" for the root; odd bytes escaped as `\DDD`. */
  readonly text: string;
  /** Uncompressed wire encoding (labels + terminating zero), original case. */
  readonly wire: Uint8Array;
  /** True when every label is a hostname label (letters, digits, `-`, `_`, no leading `-`) or `*`. */
  readonly hostname: boolean;
}

/** One question. */
export interface WireQuestion {
  readonly name: WireName;
  readonly qtype: number;
  readonly qclass: number;
}

/** One resource record; rdata is referenced by offset into the message. */
export interface WireRecord {
  readonly name: WireName;
  readonly type: number;
  readonly klass: number;
  readonly ttl: number;
  readonly rdataOffset: number;
  readonly rdataLength: number;
}

/** A parsed message. */
export interface WireMessage {
  readonly id: number;
  readonly flags: number;
  readonly questions: WireQuestion[];
  readonly answers: WireRecord[];
  readonly authority: WireRecord[];
  readonly additional: WireRecord[];
  /** The bytes the message was parsed from. */
  readonly bytes: Uint8Array;
}

const MAX_NAME = 255;
/** Compression pointers followed per name before it is rejected as malformed. */
const MAX_POINTER_JUMPS = 127;

/** Result of reading a name: the name and the offset just after it in the original stream. */
interface NameRead { name: WireName; next: number }

/** Scratch space of {@link readName}: the name's characters and its uncompressed wire bytes. */
const codes: number[] = [];
const wireScratch = new Uint8Array(MAX_NAME);

/**
 * Read a possibly compressed name at `offset`. Returns undefined on any malformation: out of
 * bounds, a pointer that does not point strictly before the start of the segment it appears in,
 * a reserved label type, or a name longer than 255 bytes. One pass, one string per name.
 */
export function readName(buf: Uint8Array, offset: number): NameRead | undefined {
  let w = 0;
  codes.length = 0;
  let hostname = true;
  let pos = offset;
  let segmentStart = offset;
  let next = -1;
  let jumps = 0;
  for (;;) {
    if (pos >= buf.length) return undefined;
    const len = buf[pos]!;
    if (len === 0) {
      wireScratch[w++] = 0;
      if (next < 0) next = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= buf.length) return undefined;
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (target >= segmentStart) return undefined;
      // A name has at most 127 labels; more jumps than that only make a reader walk a chain
      // (thousands of backward pointers per name, per record: ~0.5 s for one 64 KiB message).
      if (++jumps > MAX_POINTER_JUMPS) return undefined;
      if (next < 0) next = pos + 2;
      pos = target;
      segmentStart = target;
      continue;
    }
    if (kind !== 0) return undefined;
    if (pos + 1 + len > buf.length) return undefined;
    if (w + len + 2 > MAX_NAME) return undefined;
    wireScratch[w++] = len;
    if (codes.length > 0) codes.push(0x2e);
    // A hostname label: letters, digits, `_` and `-` (not first), or exactly `*`.
    if (!(len === 1 && buf[pos + 1] === 0x2a) && buf[pos + 1] === 0x2d) hostname = false;
    for (let i = pos + 1; i <= pos + len; i++) {
      let c = buf[i]!;
      wireScratch[w++] = c;
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f) codes.push(c);
      else if (c === 0x2a) {
        codes.push(c);
        if (len !== 1) hostname = false;
      } else {
        hostname = false;
        const d = String(c).padStart(3, "0");
        codes.push(0x5c, d.charCodeAt(0), d.charCodeAt(1), d.charCodeAt(2));
      }
    }
    pos += 1 + len;
  }
  const text = codes.length === 0 ? "" : String.fromCharCode.apply(null, codes);
  return { name: { text, wire: wireScratch.slice(0, w), hostname }, next };
}

function u16(buf: Uint8Array, o: number): number {
  return (buf[o]! << 8) | buf[o + 1]!;
}

function u32(buf: Uint8Array, o: number): number {
  return ((buf[o]! << 24) >>> 0) + (buf[o + 1]! << 16) + (buf[o + 2]! << 8) + buf[o + 3]!;
}

function readRecords(buf: Uint8Array, offset: number, count: number, out: WireRecord[]): number {
  let pos = offset;
  for (let i = 0; i < count; i++) {
    const n = readName(buf, pos);
    if (!n) return -1;
    pos = n.next;
    if (pos + 10 > buf.length) return -1;
    const type = u16(buf, pos);
    const klass = u16(buf, pos + 2);
    const ttl = u32(buf, pos + 4);
    const rdlen = u16(buf, pos + 8);
    pos += 10;
    if (pos + rdlen > buf.length) return -1;
    out.push({ name: n.name, type, klass, ttl, rdataOffset: pos, rdataLength: rdlen });
    pos += rdlen;
  }
  return pos;
}

/** Parse a whole message; undefined when any part of it is malformed. Never throws. */
export function parseMessage(bytes: Uint8Array): WireMessage | undefined {
  if (bytes.length < 12) return undefined;
  const qd = u16(bytes, 4);
  const an = u16(bytes, 6);
  const ns = u16(bytes, 8);
  const ar = u16(bytes, 10);
  const questions: WireQuestion[] = [];
  let pos = 12;
  for (let i = 0; i < qd; i++) {
    const n = readName(bytes, pos);
    if (!n) return undefined;
    pos = n.next;
    if (pos + 4 > bytes.length) return undefined;
    questions.push({ name: n.name, qtype: u16(bytes, pos), qclass: u16(bytes, pos + 2) });
    pos += 4;
  }
  const answers: WireRecord[] = [];
  const authority: WireRecord[] = [];
  const additional: WireRecord[] = [];
  pos = readRecords(bytes, pos, an, answers);
  if (pos < 0) return undefined;
  pos = readRecords(bytes, pos, ns, authority);
  if (pos < 0) return undefined;
  pos = readRecords(bytes, pos, ar, additional);
  if (pos < 0) return undefined;
  return { id: u16(bytes, 0), flags: u16(bytes, 2), questions, answers, authority, additional, bytes };
}

/** The header flags, decoded. */
export function flagsOf(flags: number): { qr: boolean; opcode: number; aa: boolean; tc: boolean; rd: boolean; ra: boolean; rcode: number } {
  return {
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    rcode: flags & 0xf,
  };
}

/** The guest's UDP payload limit: the OPT record's class (at least 512), or 512 without OPT. */
export function udpPayloadLimit(msg: WireMessage): number {
  for (const r of msg.additional) if (r.type === RR.OPT) return Math.max(512, r.klass);
  return 512;
}

/** A synthesized answer record owned by the question name. */
export interface SynthAnswer {
  readonly type: number;
  readonly ttl: number;
  readonly rdata: Uint8Array;
}

/** Options for a synthesized response. */
export interface BuildOptions {
  readonly id: number;
  /** Flags of the query (opcode and RD are copied). */
  readonly queryFlags: number;
  readonly rcode: number;
  readonly question?: WireQuestion;
  readonly aa?: boolean;
  readonly tc?: boolean;
  readonly answers?: readonly SynthAnswer[];
}

/** Build a response: QR=1, opcode and RD copied, RA=1, the question echoed, answers owned by it. */
export function buildResponse(o: BuildOptions): Uint8Array {
  const q = o.question;
  const answers = q ? (o.answers ?? []) : [];
  let size = 12;
  if (q) size += q.name.wire.length + 4;
  for (const a of answers) size += 2 + 10 + a.rdata.length;
  const out = new Uint8Array(size);
  out[0] = (o.id >> 8) & 0xff;
  out[1] = o.id & 0xff;
  let flags = 0x8000 | (o.queryFlags & 0x7800) | (o.queryFlags & 0x0100) | 0x0080 | (o.rcode & 0xf);
  if (o.aa) flags |= 0x0400;
  if (o.tc) flags |= 0x0200;
  out[2] = flags >> 8;
  out[3] = flags & 0xff;
  out[5] = q ? 1 : 0;
  out[7] = answers.length;
  let pos = 12;
  if (q) {
    out.set(q.name.wire, pos);
    pos += q.name.wire.length;
    out[pos++] = q.qtype >> 8;
    out[pos++] = q.qtype & 0xff;
    out[pos++] = q.qclass >> 8;
    out[pos++] = q.qclass & 0xff;
  }
  for (const a of answers) {
    out[pos++] = 0xc0;
    out[pos++] = 12;
    out[pos++] = a.type >> 8;
    out[pos++] = a.type & 0xff;
    out[pos++] = q!.qclass >> 8;
    out[pos++] = q!.qclass & 0xff;
    out[pos++] = (a.ttl >>> 24) & 0xff;
    out[pos++] = (a.ttl >>> 16) & 0xff;
    out[pos++] = (a.ttl >>> 8) & 0xff;
    out[pos++] = a.ttl & 0xff;
    out[pos++] = a.rdata.length >> 8;
    out[pos++] = a.rdata.length & 0xff;
    out.set(a.rdata, pos);
    pos += a.rdata.length;
  }
  return out;
}

/** A copy of `bytes` with the transaction id replaced. */
export function withId(bytes: Uint8Array, id: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  if (out.length >= 2) {
    out[0] = (id >> 8) & 0xff;
    out[1] = id & 0xff;
  }
  return out;
}

/** The wire encoding of a dotted name (no compression); undefined if a label is empty or too long. */
export function encodeName(name: string): Uint8Array | undefined {
  const trimmed = name.replace(/\.+$/, "");
  if (trimmed === "") return Uint8Array.of(0);
  const labels = trimmed.split(".");
  const bytes: number[] = [];
  for (const l of labels) {
    const b = Buffer.from(l, "latin1");
    if (b.length === 0 || b.length > 63) return undefined;
    bytes.push(b.length, ...b);
  }
  bytes.push(0);
  return bytes.length > MAX_NAME ? undefined : Uint8Array.from(bytes);
}

/** Build a query message with one question (used by probes and tests of this module). */
export function buildQuery(id: number, name: string, qtype: number, opts: { rd?: boolean; udpPayload?: number } = {}): Uint8Array {
  const wire = encodeName(name);
  if (!wire) throw new Error(`buildQuery: name ${JSON.stringify(name)} has an empty or over-long label; expected dot-separated labels of 1..63 bytes`);
  const opt = opts.udpPayload !== undefined ? 11 : 0;
  const out = new Uint8Array(12 + wire.length + 4 + opt);
  out[0] = (id >> 8) & 0xff;
  out[1] = id & 0xff;
  out[2] = opts.rd === false ? 0 : 0x01;
  out[5] = 1;
  if (opt) out[11] = 1;
  out.set(wire, 12);
  let p = 12 + wire.length;
  out[p++] = qtype >> 8;
  out[p++] = qtype & 0xff;
  out[p++] = 0;
  out[p++] = 1;
  if (opt) {
    out[p++] = 0;
    out[p++] = 0;
    out[p++] = RR.OPT;
    out[p++] = (opts.udpPayload! >> 8) & 0xff;
    out[p++] = opts.udpPayload! & 0xff;
  }
  return out;
}
