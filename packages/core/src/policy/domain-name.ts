/**
 * Domain-name canonicalization (§1.3): strip leading/trailing dots, validate against the DNS label
 * grammar (RFC 2181: underscores allowed), lower-case ASCII. Also the single-label suffix guard
 * and the label-aligned matching helpers (D1: suffix rules exclude the apex).
 */

/** Result of parsing a domain name: the canonical name or an error text. */
export type DomainNameResult = { ok: true; name: string } | { ok: false; error: string };

/** UTF-8 byte length of a string (no allocation). */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function labelError(label: string, name: string): string | undefined {
  if (label.length === 0) return `invalid domain name: empty label in \`${name}\``;
  if (utf8Length(label) > 63) return `invalid domain name: label \`${label}\` is longer than 63 bytes`;
  if (label === "*") return undefined; // a literal `*` label is accepted (and never matches)
  if (label.charCodeAt(0) === 45) return `invalid domain name: label \`${label}\` starts with \`-\``;
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    const ok =
      (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95 || c > 127;
    if (!ok) {
      return `invalid domain name: character \`${label[i]}\` is not allowed in label \`${label}\` (letters, digits, \`-\` and \`_\` are)`;
    }
  }
  return undefined;
}

/**
 * The common case in one pass without allocating: already canonical (lower-case ASCII letters,
 * digits, `-`, `_`; no leading or trailing dot; no empty label; no label starting with `-` or
 * longer than 63; at most 253 bytes). Everything else takes the full path, which gives the error.
 */
function isPlainCanonicalName(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 253) return false;
  let labelStart = 0;
  for (let i = 0; i <= n; i++) {
    const c = i === n ? 46 : s.charCodeAt(i);
    if (c === 46) {
      const len = i - labelStart;
      if (len === 0 || len > 63 || s.charCodeAt(labelStart) === 45) return false;
      labelStart = i + 1;
    } else if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95)) {
      return false;
    }
  }
  return true;
}

/**
 * Parses and canonicalizes a domain name (§1.3). Errors: `domain name is empty`,
 * `invalid domain name: <why>`.
 */
export function parseDomainName(input: string): DomainNameResult {
  if (isPlainCanonicalName(input)) return { ok: true, name: input };
  let a = 0;
  let b = input.length;
  while (a < b && input.charCodeAt(a) === 46) a++;
  while (b > a && input.charCodeAt(b - 1) === 46) b--;
  const trimmed = input.slice(a, b);
  if (trimmed.length === 0) return { ok: false, error: "domain name is empty" };
  if (utf8Length(trimmed) > 253) {
    return { ok: false, error: `invalid domain name: \`${trimmed}\` is longer than 253 bytes` };
  }
  for (const label of trimmed.split(".")) {
    const e = labelError(label, trimmed);
    if (e !== undefined) return { ok: false, error: e };
  }
  return { ok: true, name: asciiLower(trimmed) };
}

/** Lower-cases ASCII letters only (non-ASCII is kept as written, as upstream does). */
export function asciiLower(s: string): string {
  let needs = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) {
      needs = true;
      break;
    }
  }
  if (!needs) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : s[i];
  }
  return out;
}

/**
 * Parses a domain name for use as a suffix: as {@link parseDomainName}, then rejects single-label
 * names (the builder/CLI guard of §1.3).
 */
export function parseDomainSuffix(input: string): DomainNameResult {
  const r = parseDomainName(input);
  if (!r.ok) return r;
  if (!r.name.includes(".")) {
    return {
      ok: false,
      error: `suffix \`${r.name}\` is a single DNS label and would match every domain under that TLD; add at least one parent label to scope it (e.g. \`myco.${r.name}\`)`,
    };
  }
  return r;
}

/**
 * Canonical form of a hostname seen on the wire (SNI, DNS query name, cache key): lower-case
 * ASCII, trailing dots removed. Does not validate.
 */
export function canonicalHost(h: string): string {
  let b = h.length;
  while (b > 0 && h.charCodeAt(b - 1) === 46) b--;
  return asciiLower(b === h.length ? h : h.slice(0, b));
}

/** Exact-domain rule match (both sides canonical). */
export function domainMatches(rule: string, host: string): boolean {
  return host === rule;
}

/**
 * Suffix rule match under D1: strict, label-aligned subdomains only (`a.example.com` and
 * `a.b.example.com` match `example.com`; `example.com` and `evilexample.com` do not).
 */
export function suffixMatches(suffix: string, host: string): boolean {
  return (
    host.length > suffix.length + 1 &&
    host.endsWith(suffix) &&
    host.charCodeAt(host.length - suffix.length - 1) === 46
  );
}

/** Suffix match including the apex (deny lists, secret wildcards, TLS bypass patterns). */
export function suffixOrApexMatches(suffix: string, host: string): boolean {
  return host === suffix || suffixMatches(suffix, host);
}
