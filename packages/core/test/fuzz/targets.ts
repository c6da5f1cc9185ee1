/**
 * Fuzz targets for the config parsers of @sandbox/core: `parseNetworkConfig`,
 * `canonicalizeNetworkConfig`, the data dialects (`fromGoFfi`, `fromPythonDict`) and
 * `parseNameserver`. Inputs are JSON values: the shared conformance vectors' configs and
 * fast-check-generated policies, then structure-aware JSON mutations (replace a node with a random
 * value of another type, delete or add keys, huge numbers and strings, deep nesting, prototype
 * keys) — generated with fast-check's arbitraries from a seed.
 *
 * Properties: the parsers never throw (the dialects throw only DialectError); every issue names a
 * path and a message; canonicalization is idempotent (canonicalizing an accepted config's
 * canonical form gives it back) and survives a JSON round trip.
 * The targets follow @sandbox/fuzz-kit's FuzzTarget shape (the one bench/fuzz/run.ts drives).
 */
import fc from "fast-check";
import { Choice, FuzzFailure, type FuzzTarget } from "@sandbox/fuzz-kit";
import { canonicalizeNetworkConfig, parseNetworkConfig, parseNameserver } from "../../src/config/index.js";
import { fromGoFfi } from "../../src/dialects/go-ffi.js";
import { fromPythonDict } from "../../src/dialects/python-dict.js";
import { DialectError } from "../../src/dialects/errors.js";
import { loadVectors } from "../policy/vector-config.js";

const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
const hostname = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join("."));
const ip4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join("."));
const destination = fc.oneof(
  fc.constant("any"),
  fc.tuple(ip4, fc.integer({ min: -1, max: 33 })).map(([a, p]) => ({ cidr: `${a}/${p}` })),
  fc.constantFrom("2001:db8::/32", "fd00::1/128", "::/0", "::ffff:10.0.0.0/104").map((c) => ({ cidr: c })),
  hostname.map((d) => ({ domain: d })),
  hostname.map((d) => ({ domain_suffix: d })),
  fc.constantFrom("public", "loopback", "private", "link_local", "metadata", "multicast", "host", "bogus").map((g) => ({ group: g })),
);
const port = fc.integer({ min: -1, max: 65536 });
const rule = fc.record(
  {
    direction: fc.constantFrom("egress", "ingress", "any", "sideways"),
    destination,
    protocols: fc.array(fc.constantFrom("tcp", "udp", "icmpv4", "icmpv6", "sctp"), { maxLength: 3 }),
    ports: fc.array(fc.tuple(port, port).map(([a, b]) => ({ start: Math.min(a, b), end: Math.max(a, b) })), { maxLength: 2 }),
    action: fc.constantFrom("allow", "deny", "log"),
  },
  { requiredKeys: ["destination", "action"] },
);
const config = fc.record(
  {
    preset: fc.constantFrom("public-only", "public_only", "allow-all", "none", "non-local", "unknown"),
    policy: fc.record({ default_egress: fc.constantFrom("allow", "deny"), default_ingress: fc.constantFrom("allow", "deny"), rules: fc.array(rule, { maxLength: 6 }) }, { requiredKeys: [] }),
    deny_domains: fc.array(hostname, { maxLength: 3 }),
    deny_domain_suffixes: fc.array(hostname, { maxLength: 3 }),
    nameservers: fc.array(fc.oneof(ip4, ip4.map((a) => `${a}:53`), fc.constantFrom("[::1]:53", "tls://1.1.1.1", "dns.example")), { maxLength: 3 }),
    max_connections: fc.integer({ min: -5, max: 10000 }),
    published_ports: fc.array(fc.record({ host_port: port, guest_port: port, protocol: fc.constantFrom("tcp", "udp", "sctp") }), { maxLength: 2 }),
  },
  { requiredKeys: [] },
);

/** Random replacement values, including the awkward ones. */
const weird = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.constantFrom(null, true, 0, -0, 1e308, -1, 4294967296, Number.MAX_SAFE_INTEGER + 2, "", "*", "0.0.0.0/0", "::", "a".repeat(5000), "__proto__", "constructor", "💥", "\u0000"),
);

/** Wrap `v` in `depth` nested arrays/objects. */
function nest(v: unknown, depth: number, ch: Choice): unknown {
  let out = v;
  for (let i = 0; i < depth; i++) out = ch.int(2) ? [out] : { policy: out };
  return out;
}

type Json = unknown;

function paths(v: Json, prefix: (string | number)[] = [], out: (string | number)[][] = [], limit = 200): (string | number)[][] {
  if (out.length >= limit || prefix.length > 64) return out;
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out, limit));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out, limit);
  return out;
}

/**
 * `root` with the node at `path` replaced (or deleted), or `root` itself when the path does not
 * lead through objects. Copies only the containers along the path (the rest is shared), so the
 * result is the same JSON value a deep clone would give, without cloning the whole document on
 * every mutation (that clone was most of the harness's time).
 */
function setAt(root: Json, path: (string | number)[], value: Json | typeof DELETE): Json {
  if (path.length === 0) return value === DELETE ? {} : value;
  if (!root || typeof root !== "object") return root;
  return setIn(root as object, path, 0, value) ?? root;
}

/** A shallow copy of a container (own enumerable members, as a clone keeps them). */
function shallow(node: object): Record<string | number, unknown> {
  return (Array.isArray(node) ? node.slice() : { ...node }) as Record<string | number, unknown>;
}

/** Set an own member (an own property even for "__proto__", as JSON.parse would make it). */
function own(cur: Record<string | number, unknown>, key: string | number, value: unknown): void {
  if (Array.isArray(cur) && typeof key === "number") cur[key] = value;
  else Object.defineProperty(cur, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The copy of `node` with path[i..] set, or undefined when the path is not there. */
function setIn(node: object, path: (string | number)[], i: number, value: Json | typeof DELETE): Json | undefined {
  const seg = path[i]!;
  if (i < path.length - 1) {
    const nextNode = (node as Record<string | number, unknown>)[seg];
    if (!nextNode || typeof nextNode !== "object") return undefined;
    const sub = setIn(nextNode, path, i + 1, value);
    if (sub === undefined) return undefined;
    const copy = shallow(node);
    own(copy, seg, sub);
    return copy;
  }
  // JSON arrays have no named members: never give one a key like "constructor".
  if (Array.isArray(node) && typeof seg !== "number") return undefined;
  const copy = shallow(node);
  if (value === DELETE) {
    if (Array.isArray(copy)) copy.splice(Number(seg), 1);
    else delete copy[seg];
  } else own(copy, seg, value);
  return copy;
}

const DELETE = Symbol("delete");

/** One structure-aware JSON mutation. */
function mutateJson(v: Json, ch: Choice, pool: readonly Json[]): Json {
  const ps = paths(v);
  const at = ch.pick(ps);
  switch (ch.int(7)) {
    case 0:
      return setAt(v, at, ch.pick(pool));
    case 1:
      return at.length ? setAt(v, at, DELETE) : v;
    case 2: {
      // An unknown or prototype-looking key next to the node.
      const parent = at.slice(0, -1);
      const key = ch.pick(["extra", "__proto__", "constructor", "prototype", "Rules", "policy ", ""]);
      return setAt(v, [...parent, key], ch.pick(pool));
    }
    case 3:
      return setAt(v, at, nest(ch.pick(pool), 1 + ch.int(40), ch));
    case 4: {
      // Duplicate an array element many times (large rule lists).
      const parent = at.slice(0, -1);
      return setAt(v, parent, Array.from({ length: 1 + ch.int(ch.int(50) === 0 ? 1000 : 20) }, () => ch.pick(pool)));
    }
    default:
      return setAt(v, at, ch.pick(pool));
  }
}

function seedConfigs(): Json[] {
  try {
    const vs = loadVectors(["microsandbox.json", "seed.json"]);
    return vs.map((v) => v.config as Json).filter((c) => c && typeof c === "object");
  } catch {
    return [];
  }
}

/**
 * A session that yields generated and mutated configs, refilling from fast-check in batches.
 * `maxDepth` bounds the occasional deeply nested value.
 */
function inputs(seed: number, maxDepth = 5000): () => Json {
  const ch = new Choice(seed);
  const vectors = seedConfigs();
  let batch = 0;
  let gen: Json[] = [];
  let pool: Json[] = [];
  const refill = () => {
    gen = fc.sample(config, { seed: (seed + batch) | 0, numRuns: 200 }) as Json[];
    pool = fc.sample(weird, { seed: (seed ^ 0x5bd1e995) + batch, numRuns: 200 }) as Json[];
    batch++;
  };
  refill();
  let used = 0;
  return () => {
    if (++used % 200 === 0) refill();
    const base = ch.int(3) === 0 && vectors.length ? ch.pick(vectors) : ch.pick(gen);
    let v = base;
    for (let i = 0, n = ch.int(4); i < n; i++) v = mutateJson(v, ch, pool);
    // Deep nesting last (cloning it again would exhaust the harness's own stack).
    if (ch.int(50) === 0) v = setAt(v, ch.pick(paths(v)), nest(ch.pick(pool), 100 + ch.int(maxDepth - 100), ch));
    return v;
  };
}

function noThrow<T>(target: string, input: unknown, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new FuzzFailure(target, "threw", input, e);
  }
}

const configTarget: FuzzTarget = {
  name: "core-config",
  description: "parseNetworkConfig and canonicalizeNetworkConfig on generated, vector and mutated JSON configs: never throw, issues name a path, canonical form is a fixed point",
  open(seed) {
    const next = inputs(seed);
    const counts = { accepted: 0, rejected: 0 };
    return {
      step() {
        const x = next();
        const p = noThrow("core-config", x, () => parseNetworkConfig(x));
        if (!p.ok && !(p.errors.length > 0 && p.errors.every((e) => typeof e.path === "string" && typeof e.message === "string" && e.message.length > 0))) throw new FuzzFailure("core-config", "rejection without path/message issues", x);
        const c = noThrow("core-config", x, () => canonicalizeNetworkConfig(x));
        if (c.ok !== p.ok) throw new FuzzFailure("core-config", `parse ok=${p.ok} but canonicalize ok=${c.ok}`, x);
        counts[c.ok ? "accepted" : "rejected"]++;
        if (c.ok) {
          const text = JSON.stringify(c.value);
          const again = noThrow("core-config", c.value, () => canonicalizeNetworkConfig(JSON.parse(text)));
          if (!again.ok || JSON.stringify(again.value) !== text) throw new FuzzFailure("core-config", `canonical form is not a fixed point: ${again.ok ? JSON.stringify(again.value).slice(0, 500) : JSON.stringify(again.errors).slice(0, 500)}`, x);
        }
      },
      stats: () => ({ ...counts }),
    };
  },
};

const dialectTarget: FuzzTarget = {
  name: "core-dialects",
  description: "fromGoFfi / fromPythonDict on mutated Go-FFI and Python-dict shaped inputs, and parseNameserver on mutated strings: only DialectError, never another exception",
  open(seed) {
    const next = inputs(seed ^ 0x1234567);
    const ch = new Choice(seed);
    const counts = { ok: 0, dialectError: 0 };
    const nsPool = ["1.1.1.1", "1.1.1.1:53", "[::1]:5353", "tls://1.1.1.1", "tls://dns.example@1.1.1.1:853", "dns.example", "", "::1", "1.1.1.1:99999", "[::1", "tls://"];
    return {
      step() {
        const x = next();
        // Reshape the generated config into the dialects' shapes now and then.
        const shaped =
          x && typeof x === "object" && !Array.isArray(x) && ch.int(2)
            ? { custom_policy: (x as Record<string, unknown>).policy, ...(ch.int(2) ? { preset: (x as Record<string, unknown>).preset } : {}) }
            : x;
        for (const [name, f] of [["go", fromGoFfi], ["python", fromPythonDict]] as const) {
          try {
            f(shaped);
            counts.ok++;
          } catch (e) {
            if (!(e instanceof DialectError)) throw new FuzzFailure("core-dialects", `${name} dialect threw ${(e as Error)?.name ?? typeof e}, not DialectError`, shaped, e);
            counts.dialectError++;
          }
        }
        let s = ch.pick(nsPool);
        for (let i = 0, n = ch.int(4); i < n; i++) {
          const at = ch.int(s.length + 1);
          s = s.slice(0, at) + ch.pick(["", ":", "[", "]", "@", "/", "tls://", "9", "\u0000", "é", "65536"]) + s.slice(at + ch.int(3));
        }
        noThrow("core-dialects", s, () => parseNameserver(s));
      },
      stats: () => ({ ...counts }),
    };
  },
};

/** The core targets. */
export const CORE_TARGETS: readonly FuzzTarget[] = [configTarget, dialectTarget];
