/**
 * The guest->server HTTP/1 request filter (semantics §6.4): buffers each request head, enforces
 * the Host = SNI rule on intercepted connections, detects forbidden placeholders (raw, percent,
 * JSON, Basic forms, across writes), substitutes eligible secrets in headers, Basic credentials,
 * the query and (when enabled) fixed-length or chunked bodies, and streams bodies through.
 * Pipelined requests are each processed. Server->guest bytes never pass through here.
 */
import { detectIn, StreamScanner, type Detection, type MatchForm } from "../secrets/scan.js";
import { ACTION_RANK, type BlockAction, type ClassifiedSecret, type SecretPlan } from "../secrets/classify.js";
import { hostMismatch, hostOfAuthority, MAX_HEAD, parseRequestHead, serializeHead, type HeaderLine, type RequestHead } from "./head.js";

/** Largest body buffered for substitution. */
export const MAX_SUBSTITUTED_BODY = 16 * 1024 * 1024;

/** Where a violation was found. */
export type ViolationLocation = "header" | "query" | "authorization_basic" | "body" | "stream";

/** Why the filter stopped the connection. */
export interface FilterBlock {
  readonly action: BlockAction;
  readonly reason: string;
  /** Present for secret violations. */
  readonly violation?: {
    readonly envVar: string;
    readonly placeholder: string;
    readonly location: ViolationLocation;
    readonly form: MatchForm;
    readonly method?: string;
    readonly path?: string;
    readonly host?: string | null;
  };
}

/** Output of one push: bytes to forward, and possibly a block (after which nothing is forwarded). */
export interface FilterOutput {
  readonly out: Buffer[];
  readonly block?: FilterBlock;
}

/** Options of {@link RequestFilter}. */
export interface RequestFilterOptions {
  /** Intercepted TLS (Host must equal the SNI) or plain TCP (host from the Host header). */
  readonly mode: { readonly kind: "intercepted"; readonly sni: string } | { readonly kind: "plain" };
  /** The secret plan for a host (cache it; called per request in plain mode). */
  readonly planFor: (host: string | null) => SecretPlan;
}

type State =
  | { kind: "head" }
  | { kind: "length"; remaining: number }
  | { kind: "chunked"; sub: "size" | "data" | "data-crlf" | "trailer"; remaining: number; line: string }
  | { kind: "buffer"; framing: "length" | "chunked"; remaining: number; sub: "size" | "data" | "data-crlf" | "trailer"; line: string; body: Buffer[]; size: number; trailers: string; head: RequestHead; requestLine: string; headers: HeaderLine[] }
  | { kind: "opaque" }
  | { kind: "blocked" };

function replaceAll(s: string, from: string, to: string): string {
  return s.split(from).join(to);
}

function latin1(value: string): string {
  return Buffer.from(value, "utf8").toString("latin1");
}

const REQUEST_LINE_START = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,32} /;

/** A streaming filter for one connection's guest->server bytes. */
export class RequestFilter {
  private buf: Buffer = Buffer.alloc(0);
  /** Growable backing store `buf` is appended into (amortized O(1) per byte, never re-joined). */
  private store: Buffer = Buffer.alloc(0);
  private storeEnd = 0;
  /** Where the search for the end of an incomplete request head resumes. */
  private headSearchFrom = 0;
  private state: State = { kind: "head" };
  private plan: SecretPlan;
  private scanner: StreamScanner;
  private firstRequest = true;

  constructor(private readonly opts: RequestFilterOptions) {
    this.plan = opts.planFor(opts.mode.kind === "intercepted" ? opts.mode.sni : null);
    this.scanner = new StreamScanner(this.plan.violations);
  }

  /** Feed guest bytes. */
  push(chunk: Buffer): FilterOutput {
    if (this.state.kind === "blocked") return { out: [] };
    this.append(chunk);
    const out: Buffer[] = [];
    for (;;) {
      const r = this.step(out);
      if (r === "block") return { out, block: this.blocked! };
      if (r === "wait") return { out };
    }
  }

  /**
   * Append guest bytes to `buf`. Views of `buf` already handed out stay valid: bytes are only ever
   * written past the end of `buf`, and a full store is replaced, not reused.
   */
  private append(chunk: Buffer): void {
    if (this.buf.length === 0) {
      this.buf = chunk;
      return;
    }
    const start = this.buf.byteOffset - this.store.byteOffset;
    const inStore = this.buf.buffer === this.store.buffer && start >= 0 && start + this.buf.length === this.storeEnd;
    if (inStore && this.storeEnd + chunk.length <= this.store.length) {
      chunk.copy(this.store, this.storeEnd);
      this.storeEnd += chunk.length;
      this.buf = this.store.subarray(start, this.storeEnd);
      return;
    }
    const len = this.buf.length + chunk.length;
    this.store = Buffer.allocUnsafe(Math.max(2 * len, 4096));
    this.buf.copy(this.store, 0);
    chunk.copy(this.store, this.buf.length);
    this.storeEnd = len;
    this.buf = this.store.subarray(0, len);
  }

  private blocked: FilterBlock | undefined;

  private block(b: FilterBlock): "block" {
    this.state = { kind: "blocked" };
    this.blocked = b;
    return "block";
  }

  private step(out: Buffer[]): "more" | "wait" | "block" {
    const st = this.state;
    if (this.buf.length === 0) return "wait";
    switch (st.kind) {
      case "blocked":
        return "wait";
      case "opaque": {
        const d = this.scanner.push(this.buf);
        if (d) return this.block(this.violationBlock(d, "stream"));
        out.push(this.buf);
        this.buf = Buffer.alloc(0);
        return "wait";
      }
      case "head":
        return this.onHead(out);
      case "length": {
        const n = Math.min(st.remaining, this.buf.length);
        const part = this.buf.subarray(0, n);
        const d = this.scanner.push(part);
        if (d) return this.block(this.violationBlock(d, "body"));
        out.push(part);
        this.buf = this.buf.subarray(n);
        st.remaining -= n;
        if (st.remaining === 0) this.endMessage();
        return "more";
      }
      case "chunked":
      case "buffer":
        return this.onChunked(out, st);
    }
  }

  private endMessage(): void {
    this.scanner.reset();
    this.state = { kind: "head" };
  }

  private onHead(out: Buffer[]): "more" | "wait" | "block" {
    // Resume the search where the previous push left off (3 bytes back for a split terminator).
    const end = this.buf.indexOf("\r\n\r\n", this.headSearchFrom);
    const looksHttp = REQUEST_LINE_START.test(this.buf.subarray(0, 34).toString("latin1"));
    if (this.opts.mode.kind === "plain" && this.firstRequest && (this.buf.length >= 34 || this.buf.indexOf("\r\n") >= 0) && !looksHttp) {
      // Not HTTP on a plain connection: opaque, every secret judged without a host.
      this.plan = this.opts.planFor(null);
      this.scanner = new StreamScanner(this.plan.violations);
      this.state = { kind: "opaque" };
      return "more";
    }
    if (end < 0) {
      this.headSearchFrom = Math.max(0, this.buf.length - 3);
      if (this.buf.length > MAX_HEAD) return this.block({ action: "block", reason: `request head exceeds ${MAX_HEAD} bytes` });
      if (this.opts.mode.kind === "intercepted" && this.buf.length >= 34 && !looksHttp) return this.block({ action: "block", reason: "intercepted stream is not an HTTP/1 request" });
      return "wait";
    }
    this.firstRequest = false;
    this.headSearchFrom = 0;
    const text = this.buf.subarray(0, end).toString("latin1");
    this.buf = this.buf.subarray(end + 4);
    const parsed = parseRequestHead(text);
    if (!parsed.ok) return this.block({ action: "block", reason: parsed.reason });
    const head = parsed.head;
    let host: string | null = head.hosts.length === 1 ? hostOfAuthority(head.hosts[0]!) : null;
    if (this.opts.mode.kind === "intercepted") {
      const bad = hostMismatch(head, this.opts.mode.sni);
      if (bad) return this.block({ action: "block", reason: bad });
      host = this.opts.mode.sni;
    } else {
      this.plan = this.opts.planFor(host);
      this.scanner = new StreamScanner(this.plan.violations);
    }
    const requestLine = text.slice(0, text.indexOf("\r\n") < 0 ? text.length : text.indexOf("\r\n"));
    const ctx = { method: head.method, path: head.target.split("?")[0], host };
    // Detection over the guest's own bytes.
    const v = this.plan.violations;
    let found: { d: Detection; loc: ViolationLocation } | undefined;
    const consider = (d: Detection | undefined, loc: ViolationLocation) => {
      if (d && (!found || ACTION_RANK[d.action] > ACTION_RANK[found.d.action])) found = { d, loc };
    };
    if (v.length > 0) {
      consider(detectIn(requestLine, v), "query");
      for (const h of head.headers) {
        consider(detectIn(`${h.name}: ${h.value}`, v), "header");
        const basic = basicCredentials(h);
        if (basic !== undefined) consider(detectIn(basic, v, ["basic_auth_decoded"]), "authorization_basic");
      }
    }
    if (found) return this.block(this.violationBlock(found.d, found.loc, ctx));
    // Substitution.
    const { requestLine: newLine, headers, changed } = substituteHead(requestLine, head, this.plan.substitutions);
    const bodySubs = this.plan.substitutions.filter((s) => s.entry.injection?.body === true);
    if (head.body.kind !== "none" && bodySubs.length > 0) {
      this.state = { kind: "buffer", framing: head.body.kind, remaining: head.body.kind === "length" ? head.body.length : 0, sub: "size", line: "", body: [], size: 0, trailers: "", head, requestLine: newLine, headers };
      return "more";
    }
    out.push(changed ? serializeHead(newLine, headers) : Buffer.from(text + "\r\n\r\n", "latin1"));
    if (head.upgrade) {
      this.state = { kind: "opaque" };
      return "more";
    }
    if (head.body.kind === "length") this.state = { kind: "length", remaining: head.body.length };
    else if (head.body.kind === "chunked") this.state = { kind: "chunked", sub: "size", remaining: 0, line: "" };
    else this.endMessage();
    return "more";
  }

  /** Chunked pass-through (scanning the payload) or body buffering for substitution. */
  private onChunked(out: Buffer[], st: Extract<State, { kind: "chunked" } | { kind: "buffer" }>): "more" | "wait" | "block" {
    const buffering = st.kind === "buffer";
    if (buffering && st.framing === "length") {
      const n = Math.min(st.remaining, this.buf.length);
      st.body.push(this.buf.subarray(0, n));
      st.size += n;
      st.remaining -= n;
      this.buf = this.buf.subarray(n);
      if (st.size > MAX_SUBSTITUTED_BODY) return this.block({ action: "block", reason: `body over ${MAX_SUBSTITUTED_BODY} bytes cannot be buffered for substitution` });
      return st.remaining === 0 ? this.flushBuffered(out, st) : "more";
    }
    switch (st.sub) {
      case "size": {
        const nl = this.buf.indexOf("\r\n");
        if (nl < 0) {
          if (this.buf.length > 1024) return this.block({ action: "block", reason: "chunk size line over 1024 bytes" });
          return "wait";
        }
        const line = this.buf.subarray(0, nl).toString("latin1");
        const m = /^([0-9a-fA-F]{1,8})(?:[ \t]*;.*)?$/.exec(line);
        if (!m) return this.block({ action: "block", reason: `bad chunk size line ${JSON.stringify(line.slice(0, 40))}` });
        if (!buffering) out.push(this.buf.subarray(0, nl + 2));
        this.buf = this.buf.subarray(nl + 2);
        st.remaining = parseInt(m[1]!, 16);
        st.sub = st.remaining === 0 ? "trailer" : "data";
        return "more";
      }
      case "data": {
        const n = Math.min(st.remaining, this.buf.length);
        const part = this.buf.subarray(0, n);
        const d = this.scanner.push(part);
        if (d) return this.block(this.violationBlock(d, "body"));
        if (buffering) {
          st.body.push(part);
          st.size += n;
          if (st.size > MAX_SUBSTITUTED_BODY) return this.block({ action: "block", reason: `body over ${MAX_SUBSTITUTED_BODY} bytes cannot be buffered for substitution` });
        } else out.push(part);
        this.buf = this.buf.subarray(n);
        st.remaining -= n;
        if (st.remaining === 0) st.sub = "data-crlf";
        return "more";
      }
      case "data-crlf": {
        if (this.buf.length < 2) return "wait";
        if (this.buf[0] !== 0x0d || this.buf[1] !== 0x0a) return this.block({ action: "block", reason: "chunk data not followed by CRLF" });
        if (!buffering) out.push(this.buf.subarray(0, 2));
        this.buf = this.buf.subarray(2);
        st.sub = "size";
        return "more";
      }
      case "trailer": {
        const nl = this.buf.indexOf("\r\n");
        if (nl < 0) {
          if (this.buf.length > 8192) return this.block({ action: "block", reason: "chunked trailer line over 8192 bytes" });
          return "wait";
        }
        const line = this.buf.subarray(0, nl + 2);
        this.buf = this.buf.subarray(nl + 2);
        if (buffering) st.trailers += line.toString("latin1");
        else out.push(line);
        if (nl === 0) {
          if (buffering) return this.flushBuffered(out, st);
          this.endMessage();
        }
        return "more";
      }
    }
  }

  private flushBuffered(out: Buffer[], st: Extract<State, { kind: "buffer" }>): "more" | "block" {
    let body = Buffer.concat(st.body);
    if (st.framing === "length") {
      const d = detectIn(body.toString("latin1"), this.plan.violations);
      if (d) return this.block(this.violationBlock(d, "body"));
    }
    const subs = this.plan.substitutions.filter((s) => s.entry.injection?.body === true);
    const text = body.toString("latin1");
    const present = subs.filter((s) => text.includes(s.placeholder));
    if (present.length > 0 && st.head.contentEncoding !== undefined && st.head.contentEncoding !== "identity") {
      return this.block({ action: "block", reason: `body with Content-Encoding ${st.head.contentEncoding} carries a placeholder that cannot be substituted` });
    }
    let t = text;
    for (const s of present) t = replaceAll(t, s.placeholder, latin1(s.entry.value));
    body = Buffer.from(t, "latin1");
    let headers = st.headers;
    if (st.framing === "length") {
      headers = headers.map((h) => (h.name.toLowerCase() === "content-length" ? { name: h.name, value: String(body.length) } : h));
      out.push(serializeHead(st.requestLine, headers), body);
    } else {
      const chunk = body.length > 0 ? Buffer.concat([Buffer.from(body.length.toString(16) + "\r\n", "latin1"), body, Buffer.from("\r\n")]) : Buffer.alloc(0);
      out.push(serializeHead(st.requestLine, headers), chunk, Buffer.from("0\r\n" + (st.trailers === "" ? "\r\n" : st.trailers), "latin1"));
    }
    if (st.head.upgrade) this.state = { kind: "opaque" };
    else this.endMessage();
    return "more";
  }

  private violationBlock(d: Detection, location: ViolationLocation, ctx?: { method: string; path: string | undefined; host: string | null }): FilterBlock {
    return {
      action: d.action,
      reason: `placeholder of ${d.envVar} sent to a host it is not allowed for (${location}, ${d.form})`,
      violation: { envVar: d.envVar, placeholder: d.placeholder, location, form: d.form, ...(ctx ? { method: ctx.method, path: ctx.path ?? "", host: ctx.host } : {}) },
    };
  }
}

/** The decoded `user:pass` of an `Authorization: Basic` header, or undefined. */
export function basicCredentials(h: HeaderLine): string | undefined {
  if (h.name.toLowerCase() !== "authorization") return undefined;
  const m = /^basic[ \t]+([A-Za-z0-9+/=_-]+)\s*$/i.exec(h.value);
  if (!m) return undefined;
  return Buffer.from(m[1]!, "base64").toString("latin1");
}

/** Apply header, Basic and query substitutions to a head. */
function substituteHead(requestLine: string, head: RequestHead, subs: readonly ClassifiedSecret[]): { requestLine: string; headers: HeaderLine[]; changed: boolean } {
  let changed = false;
  let line = requestLine;
  const headers = head.headers.map((h) => ({ ...h }));
  for (const s of subs) {
    const inj = s.entry.injection ?? { headers: true, basic_auth: true, query_params: false, body: false };
    const value = latin1(s.entry.value);
    if (inj.headers !== false) {
      for (const h of headers) {
        if (h.value.includes(s.placeholder)) {
          h.value = replaceAll(h.value, s.placeholder, value);
          changed = true;
        }
      }
    }
    if (inj.basic_auth !== false) {
      for (const h of headers) {
        const cred = basicCredentials(h);
        if (cred !== undefined && cred.includes(s.placeholder)) {
          h.value = "Basic " + Buffer.from(replaceAll(cred, s.placeholder, value), "latin1").toString("base64");
          changed = true;
        }
      }
    }
    if (inj.query_params === true) {
      const sp = line.indexOf(" ");
      const ep = line.lastIndexOf(" ");
      const target = line.slice(sp + 1, ep);
      const q = target.indexOf("?");
      if (q >= 0 && target.slice(q).includes(s.placeholder)) {
        const enc = encodeURIComponent(s.entry.value);
        line = line.slice(0, sp + 1) + target.slice(0, q) + replaceAll(target.slice(q), s.placeholder, enc) + line.slice(ep);
        changed = true;
      }
    }
  }
  return { requestLine: line, headers, changed };
}
