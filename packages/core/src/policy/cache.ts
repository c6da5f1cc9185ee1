/**
 * The resolved-hostname cache (§1.9): (canonical query name, family) -> set of IPs with an expiry,
 * plus a reverse index IP -> entries so an evaluator can ask "which live names resolve to this IP?"
 * without allocating. Mapped IPv6 answers are stored as IPv4. The clock is injectable (ms).
 */
import { isMappedV6, mappedV4, parseIp, type IpAddr } from "../net/ip.js";
import { canonicalHost } from "./domain-name.js";

/** Address family of a cache entry (A -> ipv4, AAAA -> ipv6). */
export type CacheFamily = "ipv4" | "ipv6";

/** One cached (name, family) binding. Treat as read-only outside this module. */
export interface CacheEntry {
  /** Canonical query name. */
  readonly name: string;
  /** Which query family produced it. */
  readonly family: CacheFamily;
  /** Expiry time in clock ms; the entry is live while `now < expires`. */
  expires: number;
  /** IPv4 addresses (uint32), including mapped IPv6 answers. */
  readonly v4: number[];
  /** Native IPv6 addresses. */
  readonly v6: Uint8Array[];
}

/** A DNS answer record as the forwarder sees it (names in any case, with or without trailing dot). */
export interface AnswerRecord {
  readonly name: string;
  readonly type: string; // "A" | "AAAA" | "CNAME" | others (ignored)
  readonly ttl: number;
  readonly data: string;
}

function hash6(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < 16; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h | 0;
}

/** 16-bit bucket of an IPv4 address for the presence filter. */
function slot4(v4: number): number {
  return Math.imul(v4 | 0, 0x9e3779b1) >>> 16;
}

/** 16-bit bucket of an IPv6 address for the presence filter (cheap: low and middle words). */
function slot6(b: Uint8Array): number {
  const x = ((b[12]! << 24) | (b[13]! << 16) | (b[14]! << 8) | b[15]!) ^ ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!);
  return Math.imul(x ^ b[0]! ^ (b[1]! << 8), 0x9e3779b1) >>> 16;
}

function eq16(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Extracts the addresses for `queryName` from an answer section (§1.9): A (ipv4) or AAAA (ipv6)
 * records owned by the query name or by a name reached from it through CNAMEs in the same
 * section; TTL = min over the used CNAME and address records, floored at 1 s. Returns null when
 * no usable address is present.
 */
export function extractAddresses(
  queryName: string,
  family: CacheFamily,
  answers: readonly AnswerRecord[],
): { ips: IpAddr[]; ttlSecs: number } | null {
  const chain = new Set([canonicalHost(queryName)]);
  let ttl = Infinity;
  const usedCname = new Set<number>();
  let grew = true;
  while (grew) {
    grew = false;
    answers.forEach((r, i) => {
      if (r.type.toUpperCase() !== "CNAME" || usedCname.has(i) || !chain.has(canonicalHost(r.name))) return;
      usedCname.add(i);
      ttl = Math.min(ttl, r.ttl);
      const target = canonicalHost(r.data);
      if (!chain.has(target)) {
        chain.add(target);
        grew = true;
      }
    });
  }
  const want = family === "ipv4" ? "A" : "AAAA";
  const ips: IpAddr[] = [];
  for (const r of answers) {
    if (r.type.toUpperCase() !== want || !chain.has(canonicalHost(r.name))) continue;
    const ip = parseIp(r.data);
    if (ip === undefined) continue;
    ips.push(ip);
    ttl = Math.min(ttl, r.ttl);
  }
  if (ips.length === 0) return null;
  return { ips, ttlSecs: Math.max(1, ttl) };
}

/** Per-sandbox resolved-hostname cache (§1.9). */
export class ResolvedNameCache {
  /** Entries by canonical name, one map per family (no composite key to build and hash). */
  private readonly byName4 = new Map<string, CacheEntry>();
  private readonly byName6 = new Map<string, CacheEntry>();
  private readonly rev4 = new Map<number, CacheEntry[]>();
  private readonly rev6 = new Map<number, CacheEntry[]>();
  /** Presence filters: how many (entry, address) bindings fall in each 16-bit bucket. */
  private readonly filter4 = new Uint16Array(65536);
  private readonly filter6 = new Uint16Array(65536);
  private lastSweep = -Infinity;
  /** The clock, in milliseconds. */
  readonly now: () => number;

  /** @param now clock in ms (default `Date.now`). */
  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** Replaces the (name, family) entry with `ips`, live for `ttlSecs` (floored at 1 s). */
  record(name: string, family: CacheFamily, ips: readonly IpAddr[], ttlSecs: number): void {
    const host = canonicalHost(name);
    const byName = family === "ipv4" ? this.byName4 : this.byName6;
    const t = this.now();
    const old = byName.get(host);
    if (old !== undefined && ips.length > 0 && sameAddresses(old, ips)) {
      // The same answer again (the common case): only the expiry moves; nothing is reallocated.
      old.expires = t + Math.max(1, ttlSecs) * 1000;
      this.maybeSweep(t);
      return;
    }
    this.remove(byName, host);
    if (ips.length === 0) return;
    const entry: CacheEntry = {
      name: host,
      family,
      expires: t + Math.max(1, ttlSecs) * 1000,
      v4: [],
      v6: [],
    };
    for (const ip of ips) {
      if (ip.family === 4) {
        if (!entry.v4.includes(ip.v4)) entry.v4.push(ip.v4);
      } else if (isMappedV6(ip.v6)) {
        const v = mappedV4(ip.v6);
        if (!entry.v4.includes(v)) entry.v4.push(v);
      } else if (!entry.v6.some((x) => eq16(x, ip.v6))) {
        entry.v6.push(Uint8Array.from(ip.v6));
      }
    }
    byName.set(host, entry);
    for (const v of entry.v4) {
      push(this.rev4, v, entry);
      this.filter4[slot4(v)]!++;
    }
    for (const b of entry.v6) {
      push(this.rev6, hash6(b), entry);
      this.filter6[slot6(b)]!++;
    }
    this.maybeSweep(t);
  }

  /**
   * Applies an upstream answer for an A (ipv4) or AAAA (ipv6) query: a NOERROR answer with usable
   * addresses replaces the entry (CNAME chains followed); anything else clears it.
   */
  recordAnswer(queryName: string, family: CacheFamily, rcode: string, answers: readonly AnswerRecord[]): void {
    const got = rcode.toUpperCase() === "NOERROR" ? extractAddresses(queryName, family, answers) : null;
    if (got === null) this.clear(queryName, family);
    else this.record(queryName, family, got.ips, got.ttlSecs);
  }

  /** Removes the (name, family) entry. */
  clear(name: string, family: CacheFamily): void {
    this.remove(family === "ipv4" ? this.byName4 : this.byName6, canonicalHost(name));
  }

  /** True when some live entry containing `ip` has a name satisfying `pred`. */
  anyHostFor(ip: IpAddr, pred: (host: string) => boolean): boolean {
    const t = this.now();
    const list = this.entriesFor(ip);
    if (list === undefined) return false;
    for (const e of list) if (e.expires > t && this.entryHas(e, ip) && pred(e.name)) return true;
    return false;
  }

  /** Live names bound to `ip` (deduplicated, in insertion order). */
  hostsFor(ip: IpAddr): string[] {
    const t = this.now();
    const out: string[] = [];
    for (const e of this.entriesFor(ip) ?? []) {
      if (e.expires > t && this.entryHas(e, ip) && !out.includes(e.name)) out.push(e.name);
    }
    return out;
  }

  /** All live entries (for inspection and tests). */
  entries(): CacheEntry[] {
    const t = this.now();
    return [...this.byName4.values(), ...this.byName6.values()].filter((e) => e.expires > t);
  }

  /**
   * Candidate entries for an IPv4 address (uint32). Every returned entry contains the address;
   * the caller checks expiry (replaced and cleared entries linger in the list as expired ones). Allocation-free.
   */
  entriesV4(v4: number): readonly CacheEntry[] | undefined {
    if (this.filter4[slot4(v4)] === 0) return undefined;
    return this.rev4.get(v4);
  }

  /**
   * Candidate entries for a native IPv6 address; entries may be hash collisions, so the caller
   * must confirm with {@link entryHasV6}. Allocation-free.
   */
  entriesV6(v6: Uint8Array): readonly CacheEntry[] | undefined {
    if (this.filter6[slot6(v6)] === 0) return undefined;
    return this.rev6.get(hash6(v6));
  }

  /** True when the entry contains the native IPv6 address. */
  entryHasV6(e: CacheEntry, v6: Uint8Array): boolean {
    for (const x of e.v6) if (eq16(x, v6)) return true;
    return false;
  }

  private entriesFor(ip: IpAddr): readonly CacheEntry[] | undefined {
    if (ip.family === 4) return this.rev4.get(ip.v4);
    if (isMappedV6(ip.v6)) return this.rev4.get(mappedV4(ip.v6));
    return this.rev6.get(hash6(ip.v6));
  }

  private entryHas(e: CacheEntry, ip: IpAddr): boolean {
    if (ip.family === 4) return e.v4.includes(ip.v4);
    if (isMappedV6(ip.v6)) return e.v4.includes(mappedV4(ip.v6));
    return this.entryHasV6(e, ip.v6);
  }

  private remove(byName: Map<string, CacheEntry>, host: string): void {
    const old = byName.get(host);
    if (old === undefined) return;
    byName.delete(host);
    // Marked dead (never live again: readers skip it by its expiry) and dropped from the reverse
    // lists lazily, so replacing one of many names that share an address is not linear in them.
    old.expires = REMOVED;
    for (const v of old.v4) {
      pull(this.rev4, v);
      this.filter4[slot4(v)]!--;
    }
    for (const b of old.v6) {
      pull(this.rev6, hash6(b));
      this.filter6[slot6(b)]!--;
    }
  }

  private maybeSweep(t: number): void {
    if (t - this.lastSweep < 1000) return;
    this.lastSweep = t;
    for (const byName of [this.byName4, this.byName6]) for (const [host, e] of byName) if (e.expires <= t) this.remove(byName, host);
  }
}

function hasIp(e: CacheEntry, ip: IpAddr): boolean {
  if (ip.family === 4) return e.v4.includes(ip.v4);
  if (isMappedV6(ip.v6)) return e.v4.includes(mappedV4(ip.v6));
  for (const x of e.v6) if (eq16(x, ip.v6)) return true;
  return false;
}

/** True when `ips` (duplicates and mapped forms allowed) is exactly the entry's address set. */
function sameAddresses(e: CacheEntry, ips: readonly IpAddr[]): boolean {
  for (const ip of ips) if (!hasIp(e, ip)) return false;
  for (const v of e.v4) if (!ips.some((ip) => (ip.family === 4 ? ip.v4 === v : isMappedV6(ip.v6) && mappedV4(ip.v6) === v))) return false;
  for (const b of e.v6) if (!ips.some((ip) => ip.family === 6 && eq16(ip.v6, b))) return false;
  return true;
}

/** The expiry of a removed entry: never live, and how the reverse lists recognise it. */
const REMOVED = -1;

/** A reverse list: entries sharing an address, removed ones included until the next compaction. */
type RevList = CacheEntry[] & { dead?: number };

function push(m: Map<number, CacheEntry[]>, k: number, e: CacheEntry): void {
  const l = m.get(k);
  if (l === undefined) m.set(k, [e]);
  else l.push(e);
}

/**
 * One entry of the list at `k` was removed (its expiry is {@link REMOVED}). The list is compacted,
 * in order, once removed entries outnumber live ones: amortized O(1) per removal.
 */
function pull(m: Map<number, CacheEntry[]>, k: number): void {
  const l = m.get(k) as RevList | undefined;
  if (l === undefined) return;
  const dead = (l.dead ?? 0) + 1;
  if (dead * 2 < l.length) {
    l.dead = dead;
    return;
  }
  let j = 0;
  for (let i = 0; i < l.length; i++) if (l[i]!.expires !== REMOVED) l[j++] = l[i]!;
  l.length = j;
  l.dead = 0;
  if (j === 0) m.delete(k);
}
