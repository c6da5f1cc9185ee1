/**
 * Differential test of the Go standard-library ports (net.ParseMAC, strconv.ParseBool,
 * netip.ParseAddr/ParsePrefix, Prefix.Masked().Addr().Next(), strconv.Quote) against real Go: a small
 * oracle program (test/go-oracle/main.go) is built at test time and fed the same inputs, hand-picked
 * edge cases plus a few thousand seeded random strings. Skipped (with the reason) when no Go
 * toolchain is installed.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, copyFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { parseMAC, macString } from "../src/go/mac.js";
import { parseBool } from "../src/go/strconv.js";
import { parseAddr, parsePrefix, prefixString, addrString } from "../src/go/netip.js";
import { goQuote } from "../src/go/quote.js";
import { staticGateway } from "../src/nerdbox/guest.js";

const goFound = ["/usr/local/go/bin/go", "/usr/lib/go/bin/go", "/usr/bin/go"].find((p) => existsSync(p)) ??
  (spawnSync("sh", ["-c", "command -v go"], { encoding: "utf8" }).stdout.trim() || undefined);
// The ports follow current Go (1.22+ rejects a sign or leading zero in the prefix length and
// words the IPv6 group-length error differently); an older toolchain is not a valid oracle.
const goVersion = goFound ? /go1\.(\d+)/.exec(spawnSync(goFound, ["version"], { encoding: "utf8" }).stdout)?.[1] : undefined;
const goBin = goFound && goVersion !== undefined && Number(goVersion) >= 22 ? goFound : undefined;

interface OracleResult {
  mac: string | null;
  mac_err: string | null;
  bool: boolean | null;
  bool_err: string | null;
  prefix: string | null;
  is4: boolean | null;
  gateway: string | null;
  prefix_err: string | null;
  addr: string | null;
  addr_err: string | null;
  quote: string;
}

function ours(s: string): OracleResult {
  const r: OracleResult = {
    mac: null, mac_err: null, bool: null, bool_err: null, prefix: null, is4: null, gateway: null,
    prefix_err: null, addr: null, addr_err: null, quote: goQuote(s),
  };
  try { r.mac = macString(parseMAC(s)); } catch (e) { r.mac_err = (e as Error).message; }
  try { r.bool = parseBool(s); } catch (e) { r.bool_err = (e as Error).message; }
  try {
    const p = parsePrefix(s);
    r.prefix = prefixString(p);
    r.is4 = p.addr.is4;
    r.gateway = staticGateway(p.addr.is4 ? { addr4: p, addr6: null } : { addr4: null, addr6: p });
  } catch (e) { r.prefix_err = (e as Error).message; }
  try { r.addr = addrString(parseAddr(s)); } catch (e) { r.addr_err = (e as Error).message; }
  return r;
}

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EDGE = [
  "", "1", "0", "t", "T", "TRUE", "True", "true", "tRuE", "yes", " true", "f", "F", "FALSE", "False", "false", "no",
  "fa:43:25:5d:6f:b4", "FA:43:25:5D:6F:B4", "fa-43-25-5d-6f-b4", "fa43.255d.6fb4", "fa:43-25:5d:6f:b4", "fa:43:25:5d:6f",
  "02:00:5e:10:00:00:00:01", "00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01", "0000.0000.fe80.0000.0000.0000.0200.5e10.0000.0001",
  "fa:43:25:5d:6f:b4:", "fa:43:25:5d:6f:bg", "fa:43:25:5d:6f:b", "not-a-mac", "fa4.3255d.6fb4",
  "192.168.127.2/24", "192.168.127.2", "192.168.127.02/24", "192.168.127.2/33", "192.168.127.2/-1", "192.168.127.2/+8",
  "192.168.127.2/024", "192.168.127.2/0", "192.168.127.2/", "192.168.127.2/ 24", "192.168.127.2/99999999999999999999",
  "1.2.3/8", "1.2.3.4.5/8", "1..2.3/8", ".1.2.3/8", "1.2.3./8", "256.1.1.1/8", "1.2.3.4a/8", "255.255.255.255/32",
  "192.168.127.2/31", "192.168.127.3/31", "10.0.0.1/32", "0.0.0.0/0",
  "fd00::2/64", "fd06:322:d419::2/64", "fe80::1%eth0/64", "fe80::1%/64", "::/0", "::/129", "::1/128", "::ffff:1.2.3.4/96",
  "::ffff:1.2.3.4/100", "1:2:3:4:5:6:7:8/64", "1:2:3:4:5:6:7:8:9/64", "1::2::3/64", "12345::/64", ":1::/64", "1:/64",
  "1:2:3:4:5:6:1.2.3.4/64", "1:2:3:4:5:1.2.3.4/64", "::1.2.3.4/64", "1:2:3:4:5:6:7::/64", "::1:2:3:4:5:6:7:8/64",
  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "2001:db8:0:0:1:0:0:1/64", "2001:0:0:1:0:0:0:1/64", "%eth0/1", "abc/1",
  "x", "a\"b", "tab\there", "nl\n", "bs\\", "\u0007\u007f", "é", "ü/8", "\u00ad", "\u200b", "😀", "\u{10ffff}", "1.2.3.4/8\u0000",
];

const ALPHABET = "0123456789abcdefABCDEF:.-/%, =\"xgtTrueFals\u00e9\u200b";

function randomInputs(n: number): string[] {
  const r = rng(0x5eed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const kind = Math.floor(r() * 4);
    if (kind === 0) {
      // mutate an edge case
      const base = EDGE[Math.floor(r() * EDGE.length)]!;
      const pos = Math.floor(r() * (base.length + 1));
      const ch = ALPHABET[Math.floor(r() * ALPHABET.length)]!;
      out.push(r() < 0.5 ? base.slice(0, pos) + ch + base.slice(pos) : base.slice(0, pos) + base.slice(pos + 1));
    } else if (kind === 1) {
      const groups = [4, 6, 8, 2, 5][Math.floor(r() * 5)]!;
      const parts = Array.from({ length: groups }, () => Math.floor(r() * 70000).toString(16).slice(0, 1 + Math.floor(r() * 4)));
      const ell = r() < 0.5 ? Math.floor(r() * groups) : -1;
      if (ell >= 0) parts[ell] = "";
      out.push(parts.join(":") + (r() < 0.8 ? `/${Math.floor(r() * 140)}` : ""));
    } else if (kind === 2) {
      const octets = Array.from({ length: 3 + Math.floor(r() * 3) }, () => String(Math.floor(r() * 300)));
      out.push(octets.join(".") + (r() < 0.8 ? `/${Math.floor(r() * 40)}` : ""));
    } else {
      const len = Math.floor(r() * 24);
      let s = "";
      for (let k = 0; k < len; k++) s += ALPHABET[Math.floor(r() * ALPHABET.length)]!;
      out.push(s);
    }
  }
  return out;
}

describe.skipIf(!goBin)(`Go standard library ports vs real Go (${goBin ?? (goFound ? `go1.${goVersion} is older than 1.22: skipped` : "no Go toolchain installed: skipped")})`, () => {
  let oracle = "";
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), "vmm-krun-go-oracle-"));
    copyFileSync(fileURLToPath(new URL("./go-oracle/main.go", import.meta.url)), join(dir, "main.go"));
    writeFileSync(join(dir, "go.mod"), "module oracle\n\ngo 1.22\n");
    execFileSync(goBin!, ["build", "-o", "oracle", "."], { cwd: dir, env: { ...process.env, GOFLAGS: "-mod=mod", GOTOOLCHAIN: "local" } });
    oracle = join(dir, "oracle");
  }, 120_000);

  it("agrees on hand-picked edge cases and 3000 random strings", () => {
    // Lone UTF-16 surrogates have no Go (UTF-8) equivalent: drop the few the mutator produces.
    const inputs = [...EDGE, ...randomInputs(3000)].filter((s) => Buffer.from(s, "utf8").toString("utf8") === s);
    const stdout = execFileSync(oracle, [], { input: inputs.map((s) => JSON.stringify(s)).join("\n") + "\n", maxBuffer: 64 << 20 }).toString("utf8");
    const lines = stdout.trim().split("\n");
    expect(lines.length).toBe(inputs.length);
    const mismatches: string[] = [];
    inputs.forEach((s, i) => {
      const go = JSON.parse(lines[i]!) as OracleResult;
      const ts = ours(s);
      for (const k of Object.keys(go) as (keyof OracleResult)[]) {
        if (go[k] !== ts[k]) mismatches.push(`${JSON.stringify(s)} ${k}: go=${JSON.stringify(go[k])} ts=${JSON.stringify(ts[k])}`);
      }
    });
    expect(mismatches.slice(0, 20)).toEqual([]);
  });
});
