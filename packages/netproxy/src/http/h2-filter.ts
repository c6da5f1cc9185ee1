/**
 * The guest->server HTTP/2 filter of an intercepted connection (semantics §6.4): checks the client
 * preface, reassembles HEADERS+CONTINUATION, decodes HPACK, enforces `:authority`/`host` = SNI,
 * detects forbidden placeholders in headers (raw, percent, JSON, Basic) and DATA (per-stream
 * sliding tail), substitutes eligible secrets in headers, Basic credentials and the `:path` query,
 * blocks DATA carrying an eligible placeholder whose body injection is on (HTTP/2 bodies are not
 * rewritten), and re-encodes rewritten header blocks as HPACK literals. Other frames pass as-is.
 */
import { detectIn, StreamScanner, type Detection } from "../secrets/scan.js";
import { ACTION_RANK, type SecretPlan } from "../secrets/classify.js";
import { encodeLiterals, HpackDecoder, type HeaderField } from "./hpack.js";
import { hostOfAuthority } from "./head.js";
import type { FilterBlock, FilterOutput, ViolationLocation } from "./request-filter.js";

/** The HTTP/2 client connection preface. */
export const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

const DATA = 0;
const HEADERS = 1;
const PUSH_PROMISE = 5;
const CONTINUATION = 9;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;
/** Frames the proxy writes never exceed the protocol's minimum SETTINGS_MAX_FRAME_SIZE. */
const OUT_MAX = 16384;

interface Pending {
  stream: number;
  flags: number;
  prio: Buffer | null;
  parts: Buffer[];
  size: number;
}

function frame(type: number, flags: number, stream: number, payload: Uint8Array): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([h, payload]);
}

function latin1(s: string): string {
  return Buffer.from(s, "utf8").toString("latin1");
}

/** A streaming HTTP/2 filter for one intercepted connection. */
export class H2Filter {
  private buf: Buffer = Buffer.alloc(0);
  private preface = false;
  private blocked = false;
  private pending: Pending | null = null;
  private readonly decoder = new HpackDecoder();
  private readonly plan: SecretPlan;
  private readonly scanners = new Map<number, { bad: StreamScanner; body: StreamScanner }>();

  constructor(private readonly opts: { readonly sni: string; readonly planFor: (host: string | null) => SecretPlan }) {
    this.plan = opts.planFor(opts.sni);
  }

  /** Chunks of an incomplete frame, joined once it is whole (see `push`). */
  private held: Buffer[] = [];
  private heldLen = 0;
  /** Bytes the incomplete frame needs (header included); 0 when none is held. */
  private need = 0;

  /** Feed guest bytes (plaintext). */
  push(chunk: Buffer): FilterOutput {
    if (this.blocked) return { out: [] };
    if (this.need > 0) {
      // Joining the buffer with every chunk is quadratic: a 16 MiB frame arriving in 16 KiB
      // chunks cost ~47 s of CPU. Collect the chunks and join them once the frame is whole.
      this.held.push(chunk);
      this.heldLen += chunk.length;
      if (this.heldLen < this.need) return { out: [] };
      this.buf = Buffer.concat(this.held, this.heldLen);
      this.held = [];
      this.heldLen = 0;
      this.need = 0;
    } else this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    if (!this.preface) {
      const n = Math.min(this.buf.length, H2_PREFACE.length);
      if (!this.buf.subarray(0, n).equals(H2_PREFACE.subarray(0, n))) return this.block(out, { action: "block", reason: "HTTP/2 connection does not start with the client preface" });
      if (this.buf.length < H2_PREFACE.length) return { out };
      out.push(this.buf.subarray(0, H2_PREFACE.length));
      this.buf = this.buf.subarray(H2_PREFACE.length);
      this.preface = true;
    }
    while (this.buf.length >= 9) {
      const len = this.buf.readUIntBE(0, 3);
      if (this.buf.length < 9 + len) {
        this.need = 9 + len;
        this.held = [this.buf];
        this.heldLen = this.buf.length;
        this.buf = Buffer.alloc(0);
        break;
      }
      const type = this.buf[3]!;
      const flags = this.buf[4]!;
      const stream = this.buf.readUInt32BE(5) & 0x7fffffff;
      const raw = this.buf.subarray(0, 9 + len);
      const payload = raw.subarray(9);
      this.buf = this.buf.subarray(9 + len);
      const r = this.onFrame(type, flags, stream, payload, raw, out);
      if (r) return this.block(out, r);
    }
    return { out };
  }

  private block(out: Buffer[], b: FilterBlock): FilterOutput {
    this.blocked = true;
    return { out, block: b };
  }

  private onFrame(type: number, flags: number, stream: number, payload: Buffer, raw: Buffer, out: Buffer[]): FilterBlock | undefined {
    if (this.pending && type !== CONTINUATION) return { action: "block", reason: `HTTP/2: frame type ${type} inside a header block of stream ${this.pending.stream}` };
    switch (type) {
      case HEADERS: {
        let off = 0;
        let pad = 0;
        if (flags & PADDED) {
          if (payload.length < 1) return { action: "block", reason: "HTTP/2: HEADERS too short for its padding" };
          pad = payload[0]!;
          off = 1;
        }
        let prio: Buffer | null = null;
        if (flags & PRIORITY) {
          prio = payload.subarray(off, off + 5);
          off += 5;
        }
        if (off + pad > payload.length || stream === 0) return { action: "block", reason: "HTTP/2: malformed HEADERS frame" };
        const frag = payload.subarray(off, payload.length - pad);
        this.pending = { stream, flags, prio, parts: [frag], size: frag.length };
        if (flags & END_HEADERS) return this.finishHeaders(out);
        return undefined;
      }
      case CONTINUATION: {
        if (!this.pending || this.pending.stream !== stream) return { action: "block", reason: "HTTP/2: CONTINUATION without an open header block" };
        this.pending.parts.push(payload);
        this.pending.size += payload.length;
        if (this.pending.size > 1024 * 1024) return { action: "block", reason: "HTTP/2: header block over 1 MiB" };
        if (flags & END_HEADERS) return this.finishHeaders(out);
        return undefined;
      }
      case PUSH_PROMISE:
        return { action: "block", reason: "HTTP/2: PUSH_PROMISE from a client" };
      case DATA: {
        let data = payload;
        if (flags & PADDED) {
          const pad = payload[0] ?? 0;
          if (1 + pad > payload.length) return { action: "block", reason: "HTTP/2: DATA padding exceeds the frame" };
          data = payload.subarray(1, payload.length - pad);
        }
        const sc = this.scannersFor(stream);
        if (sc) {
          const d = sc.bad.push(data);
          if (d) return this.violation(d, "body");
          const e = sc.body.push(data);
          if (e) return { action: "block", reason: `HTTP/2 DATA carries the placeholder of ${e.envVar}; HTTP/2 bodies are not rewritten` };
        }
        if (flags & END_STREAM) this.scanners.delete(stream);
        out.push(raw);
        return undefined;
      }
      default:
        out.push(raw);
        return undefined;
    }
  }

  private scannersFor(stream: number): { bad: StreamScanner; body: StreamScanner } | undefined {
    const bodyPh = this.plan.substitutions.filter((s) => s.entry.injection?.body === true);
    if (this.plan.violations.length === 0 && bodyPh.length === 0) return undefined;
    let sc = this.scanners.get(stream);
    if (!sc) {
      if (this.scanners.size > 4096) this.scanners.delete(this.scanners.keys().next().value as number);
      sc = {
        bad: new StreamScanner(this.plan.violations),
        body: new StreamScanner(bodyPh.map((s) => ({ placeholder: s.placeholder, action: "block" as const, envVar: s.entry.env_var }))),
      };
      this.scanners.set(stream, sc);
    }
    return sc;
  }

  private violation(d: Detection, location: ViolationLocation, ctx?: { method: string; path: string }): FilterBlock {
    return {
      action: d.action,
      reason: `placeholder of ${d.envVar} sent to a host it is not allowed for (${location}, ${d.form})`,
      violation: { envVar: d.envVar, placeholder: d.placeholder, location, form: d.form, ...(ctx ? { method: ctx.method, path: ctx.path, host: this.opts.sni } : {}) },
    };
  }

  private finishHeaders(out: Buffer[]): FilterBlock | undefined {
    const p = this.pending!;
    this.pending = null;
    const dec = this.decoder.decode(Buffer.concat(p.parts));
    if (!dec.ok) return { action: "block", reason: dec.reason };
    const fields = dec.fields;
    const sni = this.opts.sni;
    const hosts = fields.filter((f) => f.name.toLowerCase() === "host");
    const auth = fields.filter((f) => f.name === ":authority");
    if (hosts.length > 1 || auth.length > 1) return { action: "block", reason: "HTTP/2: repeated :authority or host" };
    for (const f of [...auth, ...hosts]) {
      if (hostOfAuthority(f.value) !== sni) return { action: "block", reason: `HTTP/2 ${f.name} ${JSON.stringify(f.value)} does not match the SNI ${JSON.stringify(sni)}` };
    }
    const method = fields.find((f) => f.name === ":method")?.value ?? "";
    const pathField = fields.find((f) => f.name === ":path")?.value ?? "";
    const ctx = { method, path: pathField.split("?")[0] ?? "" };
    // Detection over the guest's own header fields.
    let best: { d: Detection; loc: ViolationLocation } | undefined;
    const v = this.plan.violations;
    if (v.length > 0) {
      for (const f of fields) {
        const d = detectIn(`${f.name}: ${f.value}`, v);
        const loc: ViolationLocation = f.name === ":path" ? "query" : "header";
        if (d && (!best || ACTION_RANK[d.action] > ACTION_RANK[best.d.action])) best = { d, loc };
        const m = f.name.toLowerCase() === "authorization" ? /^basic[ \t]+([A-Za-z0-9+/=_-]+)\s*$/i.exec(f.value) : null;
        if (m) {
          const bd = detectIn(Buffer.from(m[1]!, "base64").toString("latin1"), v, ["basic_auth_decoded"]);
          if (bd && (!best || ACTION_RANK[bd.action] > ACTION_RANK[best.d.action])) best = { d: bd, loc: "authorization_basic" };
        }
      }
    }
    if (best) return this.violation(best.d, best.loc, ctx);
    // Substitution.
    const rewritten: HeaderField[] = fields.map((f) => {
      let value = f.value;
      let sensitive = f.sensitive;
      for (const s of this.plan.substitutions) {
        const inj = s.entry.injection ?? { headers: true, basic_auth: true, query_params: false, body: false };
        const real = latin1(s.entry.value);
        if (f.name === ":path") {
          const q = value.indexOf("?");
          if (inj.query_params === true && q >= 0 && value.slice(q).includes(s.placeholder)) {
            value = value.slice(0, q) + value.slice(q).split(s.placeholder).join(encodeURIComponent(s.entry.value));
          }
          continue;
        }
        if (f.name.startsWith(":")) continue;
        if (inj.headers !== false && value.includes(s.placeholder)) {
          value = value.split(s.placeholder).join(real);
          sensitive = true;
        }
        const m = f.name.toLowerCase() === "authorization" && inj.basic_auth !== false ? /^(basic[ \t]+)([A-Za-z0-9+/=_-]+)\s*$/i.exec(value) : null;
        if (m) {
          const cred = Buffer.from(m[2]!, "base64").toString("latin1");
          if (cred.includes(s.placeholder)) {
            value = m[1] + Buffer.from(cred.split(s.placeholder).join(real), "latin1").toString("base64");
            sensitive = true;
          }
        }
      }
      return { name: f.name, value, sensitive };
    });
    const block = encodeLiterals(rewritten, dec.sizeUpdates);
    const first = OUT_MAX - (p.prio ? 5 : 0);
    const head = block.subarray(0, first);
    let flags = (p.flags & END_STREAM) | (p.prio ? PRIORITY : 0);
    if (block.length <= first) flags |= END_HEADERS;
    out.push(frame(HEADERS, flags, p.stream, p.prio ? Buffer.concat([p.prio, head]) : head));
    for (let o = first; o < block.length; o += OUT_MAX) {
      const part = block.subarray(o, o + OUT_MAX);
      out.push(frame(CONTINUATION, o + OUT_MAX >= block.length ? END_HEADERS : 0, p.stream, part));
    }
    if (p.flags & END_STREAM) this.scanners.delete(p.stream);
    return undefined;
  }
}
