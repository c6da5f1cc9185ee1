/**
 * Rule buckets: for one (direction, protocol) pair, the IP-level rules indexed by destination
 * (any list, per-group lists, IPv4 and IPv6 prefix tries) with port-range indexes, so the lowest
 * matching rule index is found without walking every rule. All queries are allocation-free.
 */
import { PrefixTrie4, PrefixTrie6 } from "../net/trie.js";
import { GROUP_NAMES } from "./groups.js";
import { K_ANY, K_CIDR4, K_CIDR6, K_DOMAIN, K_GROUP, K_SUFFIX, NONE, portOk, type RuleTable } from "./rule-table.js";

/**
 * An ascending list of candidate rule indices plus, for longer lists, a port-segment index: the
 * port space cut at every range boundary, and per segment the first candidate admitting it.
 */
export interface CandList {
  readonly idx: Int32Array;
  /** Segment starts (ascending, cuts[0] = 0), or null when the list is scanned linearly. */
  readonly cuts: Int32Array | null;
  /** First admitting candidate per segment (NONE if none). */
  readonly first: Int32Array | null;
  /** First candidate without a port filter (the answer for port-less ICMP), NONE if none. */
  readonly firstNoPort: number;
}

const EMPTY: CandList = { idx: new Int32Array(0), cuts: null, first: null, firstNoPort: NONE };
const SEGMENT_MIN = 8;

/** Builds a candidate list from ascending rule indices. */
export function buildCandList(t: RuleTable, indices: readonly number[]): CandList {
  if (indices.length === 0) return EMPTY;
  const idx = Int32Array.from(indices);
  let firstNoPort = NONE;
  for (const r of idx) {
    if (t.portLen[r] === 0) {
      firstNoPort = r;
      break;
    }
  }
  if (idx.length < SEGMENT_MIN) return { idx, cuts: null, first: null, firstNoPort };
  const cutSet = new Set<number>([0]);
  for (const r of idx) {
    const off = t.portOff[r]!;
    for (let k = off; k < off + t.portLen[r]!; k++) {
      cutSet.add(t.lo[k]!);
      if (t.hi[k]! < 65535) cutSet.add(t.hi[k]! + 1);
    }
  }
  const cuts = Int32Array.from(cutSet).sort();
  const first = new Int32Array(cuts.length).fill(NONE);
  for (let s = 0; s < cuts.length; s++) {
    const p = cuts[s]!;
    for (const r of idx) {
      if (portOk(t, r, p)) {
        first[s] = r;
        break;
      }
    }
  }
  return { idx, cuts, first, firstNoPort };
}

/**
 * The first candidate `r` with `from <= r < bound` whose ports admit `port` (-1 = no port),
 * or NONE.
 */
export function firstIn(t: RuleTable, list: CandList, port: number, from: number, bound: number): number {
  const idx = list.idx;
  const len = idx.length;
  if (len === 0 || idx[0]! >= bound) return NONE;
  if (from <= idx[0]!) {
    if (port < 0) return list.firstNoPort < bound ? list.firstNoPort : NONE;
    const cuts = list.cuts;
    if (cuts !== null) {
      let a = 0;
      let b = cuts.length - 1;
      while (a < b) {
        const m = (a + b + 1) >> 1;
        if (cuts[m]! <= port) a = m;
        else b = m - 1;
      }
      const r = list.first![a]!;
      return r < bound ? r : NONE;
    }
  }
  for (let i = 0; i < len; i++) {
    const r = idx[i]!;
    if (r >= bound) return NONE;
    if (r < from) continue;
    if (portOk(t, r, port)) return r;
  }
  return NONE;
}

/**
 * A jump table over a prefix trie: for every value of the first {@link JUMP_BITS} address bits,
 * the trie node at that depth (-1 when the path ends earlier) and one merged candidate list
 * holding every rule stored on the path down to (and including) that node. Skips the top of the
 * walk. `tab` interleaves [node, list] per entry so a lookup touches one cache line.
 */
export interface Jump {
  readonly tab: Int32Array;
  readonly lists: readonly CandList[];
}

/** Address bits resolved by one jump-table lookup (small enough to stay in L1/L2: 32 KiB). */
export const JUMP_BITS = 12;

const JUMP_MIN_PREFIXES = 16;

function buildJump(
  t: RuleTable,
  left: Int32Array,
  right: Int32Array,
  slot: Int32Array,
  values: readonly number[][],
): Jump | null {
  if (values.length < JUMP_MIN_PREFIXES) return null;
  const size = 1 << JUMP_BITS;
  const node = new Int32Array(size).fill(-1);
  const list = new Int32Array(size).fill(-1);
  const lists: CandList[] = [];
  const interned = new Map<string, number>();
  const intern = (acc: number[]): number => {
    if (acc.length === 0) return -1;
    const sorted = [...acc].sort((a, b) => a - b);
    const key = sorted.join(",");
    let id = interned.get(key);
    if (id === undefined) {
      id = lists.length;
      lists.push(buildCandList(t, sorted));
      interned.set(key, id);
    }
    return id;
  };
  const visit = (n: number, depth: number, value: number, acc: number[], accId: number): void => {
    const s = slot[n]!;
    const here = s >= 0 ? [...acc, ...values[s]!] : acc;
    const hereId = s >= 0 ? intern(here) : accId;
    if (depth === JUMP_BITS) {
      node[value] = n;
      list[value] = hereId;
      return;
    }
    for (let bit = 0; bit < 2; bit++) {
      const c = bit === 0 ? left[n]! : right[n]!;
      const v = value * 2 + bit;
      if (c >= 0) visit(c, depth + 1, v, here, hereId);
      else if (hereId >= 0) {
        const span = 1 << (JUMP_BITS - 1 - depth);
        list.fill(hereId, v * span, (v + 1) * span);
      }
    }
  };
  visit(0, 0, 0, [], -1);
  const tab = new Int32Array(2 * size);
  for (let i = 0; i < size; i++) {
    tab[2 * i] = node[i]!;
    tab[2 * i + 1] = list[i]!;
  }
  return { tab, lists };
}

/** IP-level index of one (direction, protocol) slice of the policy. */
export interface Bucket {
  readonly any: CandList;
  /** Per group code. */
  readonly groups: readonly CandList[];
  readonly v4: PrefixTrie4;
  readonly v4Lists: readonly CandList[];
  readonly v4Jump: Jump | null;
  readonly v6: PrefixTrie6;
  readonly v6Lists: readonly CandList[];
  readonly v6Jump: Jump | null;
  /** Deny Domain/DomainSuffix rules (for deferred evaluation). */
  readonly domainDeny: CandList;
  /** Lowest Domain/DomainSuffix rule index in the slice, NONE if none. */
  readonly minDomain: number;
}

/** Builds a bucket from the rules selected by `pick` (ascending order preserved). */
export function buildBucket(t: RuleTable, pick: (r: number) => boolean): Bucket {
  const any: number[] = [];
  const groups: number[][] = GROUP_NAMES.map(() => []);
  const v4 = new PrefixTrie4();
  const v6 = new PrefixTrie6();
  const domainDeny: number[] = [];
  let minDomain = NONE;
  for (let r = 0; r < t.n; r++) {
    if (!pick(r)) continue;
    switch (t.kind[r]) {
      case K_ANY:
        any.push(r);
        break;
      case K_GROUP:
        groups[t.group[r]!]!.push(r);
        break;
      case K_CIDR4: {
        const c = t.cidrs[r]!;
        if (c.family === 4) v4.insert(c.v4, c.prefix, r);
        break;
      }
      case K_CIDR6: {
        const c = t.cidrs[r]!;
        if (c.family === 6) v6.insert(c.v6, c.prefix, r);
        break;
      }
      case K_DOMAIN:
      case K_SUFFIX:
        if (minDomain === NONE) minDomain = r;
        if (t.deny[r] === 1) domainDeny.push(r);
        break;
    }
  }
  return {
    any: buildCandList(t, any),
    groups: groups.map((g) => buildCandList(t, g)),
    v4,
    v4Lists: v4.values.map((l) => buildCandList(t, l)),
    v4Jump: buildJump(t, v4.left, v4.right, v4.slot, v4.values),
    v6,
    v6Lists: v6.values.map((l) => buildCandList(t, l)),
    v6Jump: buildJump(t, v6.left, v6.right, v6.slot, v6.values),
    domainDeny: buildCandList(t, domainDeny),
    minDomain,
  };
}

/**
 * Lowest rule index in `[from, bound)` of the bucket whose destination (any / group / CIDR)
 * matches the address and whose ports admit `port`. `fam` 4 uses the IPv4 address given as its
 * high and low 16-bit halves (`hi`, `lo`: small integers, so the call never boxes a number),
 * 6 uses `b6`; `g` is the
 * address's group code (-1 = none).
 */
export function firstIpMatch(
  t: RuleTable,
  b: Bucket,
  fam: number,
  hi: number,
  lo: number,
  b6: Uint8Array | null,
  g: number,
  port: number,
  from: number,
  bound: number,
): number {
  let best = firstIn(t, b.any, port, from, bound);
  if (g >= 0) {
    const r = firstIn(t, b.groups[g]!, port, from, best);
    if (r < best) best = r;
  }
  if (fam === 4) {
    const a4 = (hi << 16) | lo;
    const trie = b.v4;
    if (trie.values.length === 0) return best;
    const left = trie.left;
    const right = trie.right;
    const slot = trie.slot;
    const lists = b.v4Lists;
    let node = 0;
    let bit = 31;
    const jump = b.v4Jump;
    if (jump !== null) {
      const e = (a4 >>> (32 - JUMP_BITS)) << 1;
      const tab = jump.tab;
      const l = tab[e + 1]!;
      if (l >= 0) {
        const r = firstIn(t, jump.lists[l]!, port, from, best);
        if (r < best) best = r;
      }
      node = tab[e]!;
      if (node < 0) return best;
      node = ((a4 >>> (31 - JUMP_BITS)) & 1) === 1 ? right[node]! : left[node]!;
      bit = 30 - JUMP_BITS;
    }
    while (node >= 0) {
      const s = slot[node]!;
      if (s >= 0) {
        const r = firstIn(t, lists[s]!, port, from, best);
        if (r < best) best = r;
      }
      if (bit < 0) break;
      node = ((a4 >>> bit) & 1) === 1 ? right[node]! : left[node]!;
      bit--;
    }
    return best;
  }
  const trie = b.v6;
  if (trie.values.length === 0 || b6 === null) return best;
  const left = trie.left;
  const right = trie.right;
  const slot = trie.slot;
  const lists = b.v6Lists;
  let node = 0;
  let i = 0;
  const jump = b.v6Jump;
  if (jump !== null) {
    const e = (((b6[0]! << 8) | b6[1]!) >>> (16 - JUMP_BITS)) << 1;
    const tab = jump.tab;
    const l = tab[e + 1]!;
    if (l >= 0) {
      const r = firstIn(t, jump.lists[l]!, port, from, best);
      if (r < best) best = r;
    }
    node = tab[e]!;
    if (node < 0) return best;
    node = ((b6[JUMP_BITS >> 3]! >> (7 - (JUMP_BITS & 7))) & 1) === 1 ? right[node]! : left[node]!;
    i = JUMP_BITS + 1;
  }
  while (node >= 0) {
    const s = slot[node]!;
    if (s >= 0) {
      const r = firstIn(t, lists[s]!, port, from, best);
      if (r < best) best = r;
    }
    if (i >= 128) break;
    node = ((b6[i >> 3]! >> (7 - (i & 7))) & 1) === 1 ? right[node]! : left[node]!;
    i++;
  }
  return best;
}
