/** Tests for domain-name canonicalization (§1.3) and D1 suffix matching. */
import { describe, expect, it } from "vitest";
import { canonicalHost, parseDomainName, parseDomainSuffix, suffixMatches, suffixOrApexMatches } from "./imports.js";

describe("parseDomainName", () => {
  it("enforces label and name lengths in bytes", () => {
    expect(parseDomainName(`${"a".repeat(63)}.com`).ok).toBe(true);
    expect(parseDomainName(`${"a".repeat(64)}.com`)).toMatchObject({ ok: false, error: expect.stringContaining("longer than 63 bytes") });
    const name253 = [..."abcd"].map((c) => c.repeat(62)).join(".") + ".b"; // 4*62 + 3 dots + 2 = 253
    expect(name253.length).toBe(253);
    expect(parseDomainName(name253).ok).toBe(true);
    expect(parseDomainName(`${name253}c`)).toMatchObject({ ok: false });
    expect(parseDomainName(`${"é".repeat(32)}.com`)).toMatchObject({ ok: false }); // 64 UTF-8 bytes
  });

  it("accepts underscores, trailing hyphens, digits, a literal * label, unicode; rejects the rest", () => {
    for (const ok of ["_dmarc.example.com", "foo-.com", "1.2.3.4", "*.example.com", "bücher.de"]) expect(parseDomainName(ok).ok, ok).toBe(true);
    for (const bad of ["a..b", "-a.com", "a*b.com", "user@host", "http://x", "a!.com"]) expect(parseDomainName(bad).ok, bad).toBe(false);
    expect(parseDomainName("BÜCHER.De")).toEqual({ ok: true, name: "bÜcher.de" }); // ASCII-only lower-casing
  });

  it("judges already-canonical names (its one-pass fast path) exactly as the full parse does", () => {
    // A leading dot is trimmed by the full parse but always sends the input down the full path.
    let seed = 12345;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    const alphabet = "ab-_.9Z*é";
    const samples = ["a", "-a.b", "a-.b", "a..b", "a.", "_x._y", `${"a".repeat(63)}.b`, `${"a".repeat(64)}.b`, `${"ab.".repeat(84)}c`, `${"ab.".repeat(84)}cd`];
    for (let i = 0; i < 5000; i++) {
      const len = 1 + rnd(i % 10 === 0 ? 260 : 12);
      let x = "";
      for (let k = 0; k < len; k++) x += alphabet[rnd(rnd(4) === 0 ? alphabet.length : 5)];
      samples.push(x);
    }
    for (const x of samples) expect(parseDomainName(x), x).toEqual(parseDomainName(`.${x}`));
  });

  it("guards single-label suffixes", () => {
    expect(parseDomainSuffix(".com")).toMatchObject({ ok: false, error: expect.stringContaining("suffix `com` is a single DNS label") });
    expect(parseDomainSuffix("Example.COM.")).toEqual({ ok: true, name: "example.com" });
  });
});

describe("suffix matching", () => {
  it("D1: rules match strict subdomains only; deny lists / patterns include the apex", () => {
    expect(suffixMatches("example.com", "a.example.com")).toBe(true);
    expect(suffixMatches("example.com", "a.b.example.com")).toBe(true);
    expect(suffixMatches("example.com", "example.com")).toBe(false);
    expect(suffixMatches("example.com", "evilexample.com")).toBe(false);
    expect(suffixOrApexMatches("example.com", "example.com")).toBe(true);
    expect(canonicalHost("API.Example.COM..")).toBe("api.example.com");
  });
});
