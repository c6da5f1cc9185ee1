/**
 * Upstream TLS sessions for resumption by the interceptor's client side. A verifying client gets
 * a session from Node only once verification passed; a session is offered again only under the
 * same key: SNI, upstream address and port, ALPN offer, and the verification settings (the root
 * set's context and whether failures reject), so a connection that does not reject unverified
 * peers never lends its sessions to one that does. A resumed connection is not verified again: it
 * was verified when the session was made.
 *
 * Stored TLS 1.3 sessions leave out the upstream's certificate. A client resuming a session does
 * not use it, but OpenSSL 3 decodes it (its public key through the provider decoder framework)
 * each time a serialized session is loaded: 14% of the interceptor's CPU samples while it handled
 * new connections (perf, bench/netproxy-l7 handshakes); without it the interceptor's CPU per new
 * connection fell by a fifth (in-process A/B, 10 interleaved pairs: 2.48 -> 1.91 CPU-ms). A
 * resumed socket then reports no peer certificate.
 */
import type { SecureContext } from "node:tls";

/** Sessions kept at most (least recently stored dropped first). */
export const UPSTREAM_SESSIONS_MAX = 1000;

/** The parts of an upstream connection a session is bound to. */
export interface SessionScope {
  readonly sni: string;
  readonly host: string;
  readonly port: number;
  readonly alpn: readonly string[];
  readonly secureContext: SecureContext;
  readonly rejectUnauthorized: boolean;
}

/** A bounded map of upstream sessions keyed by {@link SessionScope}. */
export class UpstreamSessions {
  private readonly map = new Map<string, Buffer>();
  private readonly contextIds = new WeakMap<SecureContext, number>();
  private nextContextId = 0;

  constructor(private readonly max = UPSTREAM_SESSIONS_MAX) {}

  /** The key of `s`: the root set enters by the identity of its context. */
  key(s: SessionScope): string {
    let id = this.contextIds.get(s.secureContext);
    if (id === undefined) this.contextIds.set(s.secureContext, (id = this.nextContextId++));
    return `${s.sni}|${s.host}|${s.port}|${s.alpn.join(",")}|${id}|${s.rejectUnauthorized}`;
  }

  get(key: string): Buffer | undefined {
    return this.map.get(key);
  }

  /** Store the session Node emitted (its serialized form), without the peer certificate. */
  store(key: string, session: Buffer): void {
    this.map.delete(key);
    this.map.set(key, withoutPeerCertificate(session));
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }

  get size(): number {
    return this.map.size;
  }
}

/** One DER element: tag byte, where its whole encoding starts and ends. */
interface Element {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

/** The DER element at `at`, or null if it is not a well-formed one within `buf` (single-byte tags only). */
function element(buf: Buffer, at: number): Element | null {
  if (at + 2 > buf.length) return null;
  const tag = buf[at]!;
  if ((tag & 0x1f) === 0x1f) return null;
  let len = buf[at + 1]!;
  let p = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || p + n > buf.length) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p++]!;
  }
  return p + len > buf.length ? null : { tag, start: at, contentStart: p, end: p + len };
}

/** The ssl_version field's value for TLS 1.3. */
const TLS1_3 = 0x0304;

/** The value of a non-negative INTEGER element of at most 4 content bytes, else -1. */
function smallInt(buf: Buffer, e: Element): number {
  const n = e.end - e.contentStart;
  if (n < 1 || n > 4) return -1;
  let v = 0;
  for (let i = e.contentStart; i < e.end; i++) v = v * 256 + buf[i]!;
  return v;
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** OpenSSL's SSL_SESSION_ASN1 carries the peer certificate as its `[3] EXPLICIT` field. */
const PEER_TAG = 0xa3;

/**
 * `session` (OpenSSL's DER form of an SSL_SESSION) without its peer certificate field, for a TLS
 * 1.3 session only: Node accepts a resumed TLS 1.3 connection without a peer certificate as
 * verified (the session was verified when it was made), but counts a TLS 1.2 one without it as
 * unverified, so a 1.2 session keeps its certificate. The input comes back unchanged when it is
 * not a DER SEQUENCE of well-formed elements starting with the two INTEGERs version and
 * ssl_version, or carries no such field.
 */
export function withoutPeerCertificate(session: Buffer): Buffer {
  const outer = element(session, 0);
  if (!outer || outer.tag !== 0x30 || outer.end !== session.length) return session;
  const kept: Buffer[] = [];
  let dropped = false;
  for (let p = outer.contentStart, i = 0; p < outer.end; i++) {
    const e = element(session, p);
    if (!e || e.end > outer.end) return session;
    if (i < 2 && (e.tag !== 0x02 || (i === 1 && smallInt(session, e) !== TLS1_3))) return session;
    if (e.tag === PEER_TAG) dropped = true;
    else kept.push(session.subarray(e.start, e.end));
    p = e.end;
  }
  if (!dropped) return session;
  const body = Buffer.concat(kept);
  return Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
}
