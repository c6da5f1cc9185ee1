/** Tests for IP parsing/formatting, CIDRs and the prefix tries. */
import { describe, expect, it } from "vitest";
import {
  cidrContains,
  cidrCovers,
  formatCidr,
  formatIp,
  ipEquals,
  ipFromBytes,
  ipToBytes,
  parseCidr,
  parseIp,
  PrefixTrie4,
  PrefixTrie6,
  unmapIp,
} from "../../src/net/index.js";

describe("parseIp / formatIp", () => {
  it("parses strict IPv4 and rejects legacy short forms, leading zeros, junk", () => {
    expect(parseIp("8.8.8.8")).toEqual({ family: 4, v4: 0x08080808 });
    expect(parseIp("255.255.255.255")).toEqual({ family: 4, v4: 0xffffffff });
    for (const bad of ["10.1", "10", "1.2.3.4.5", "01.2.3.4", "256.1.1.1", "1.2.3.", " 1.2.3.4", "1.2.3.4/8", "", "0x7f.0.0.1"]) {
      expect(parseIp(bad), bad).toBeUndefined();
    }
  });

  it("parses IPv6 forms and formats per RFC 5952", () => {
    const cases: [string, string][] = [
      ["::", "::"],
      ["::1", "::1"],
      ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
      ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
      ["2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329"],
      ["fe80::1:0:0:0", "fe80::1:0:0:0"],
      ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
      ["1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"],
      ["::ffff:127.0.0.1", "::ffff:127.0.0.1"],
      ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
      ["fd42:6d73:62::1", "fd42:6d73:62::1"],
    ];
    for (const [input, out] of cases) expect(formatIp(parseIp(input)!), input).toBe(out);
    for (const bad of [":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "::g", "1:2:3:4:5:6:7", "[::1]", "fe80::1%eth0", ":1::", "1::2:"]) {
      expect(parseIp(bad), bad).toBeUndefined();
    }
  });

  it("round-trips bytes and collapses mapped addresses", () => {
    expect(formatIp(ipFromBytes(Uint8Array.of(10, 0, 0, 5)))).toBe("10.0.0.5");
    const m = parseIp("::ffff:10.0.0.5")!;
    expect(formatIp(unmapIp(m))).toBe("10.0.0.5");
    expect(ipEquals(m, parseIp("10.0.0.5")!)).toBe(true);
    expect(ipToBytes(parseIp("1.2.3.4")!)).toEqual(Uint8Array.of(1, 2, 3, 4));
    expect(() => ipFromBytes(new Uint8Array(5))).toThrow(/4 or 16 bytes/);
  });
});

describe("CIDR", () => {
  it("parses, formats and tests containment (host bits allowed)", () => {
    const c = parseCidr("10.1.2.3/8");
    if ("error" in c) throw new Error(c.error);
    expect(formatCidr(c)).toBe("10.1.2.3/8");
    expect(cidrContains(c, parseIp("10.200.0.1")!)).toBe(true);
    expect(cidrContains(c, parseIp("11.0.0.1")!)).toBe(false);
    expect(cidrContains(c, parseIp("::ffff:10.0.0.1")!)).toBe(false); // family must agree
    const all = parseCidr("0.0.0.0/0") as Exclude<ReturnType<typeof parseCidr>, { error: string }>;
    expect(cidrContains(all, parseIp("2606:4700::1111")!)).toBe(false);
    expect(parseCidr("1.2.3.4")).toMatchObject({ prefix: 32 });
    expect(parseCidr("2001:db8::/129")).toMatchObject({ error: expect.stringContaining("0..128") });
    expect(parseCidr("10.1/8")).toMatchObject({ error: expect.stringContaining("not an IPv4 or IPv6") });
  });

  it("covers", () => {
    const p = (s: string) => parseCidr(s) as Exclude<ReturnType<typeof parseCidr>, { error: string }>;
    expect(cidrCovers(p("10.0.0.0/8"), p("10.1.0.0/16"))).toBe(true);
    expect(cidrCovers(p("10.1.0.0/16"), p("10.0.0.0/8"))).toBe(false);
    expect(cidrCovers(p("2001:db8::/32"), p("2001:db8:1::/48"))).toBe(true);
    expect(cidrCovers(p("2001:db8::/32"), p("10.0.0.0/8"))).toBe(false);
  });
});

describe("prefix tries", () => {
  it("return the lowest value among containing prefixes (v4)", () => {
    const t = new PrefixTrie4();
    const ins = (s: string, v: number) => {
      const c = parseCidr(s) as { family: 4; v4: number; prefix: number };
      t.insert(c.v4, c.prefix, v);
    };
    ins("10.0.0.0/8", 5);
    ins("10.1.0.0/16", 2);
    ins("10.1.2.3/32", 7);
    ins("0.0.0.0/0", 9);
    const at = (s: string) => t.lowest((parseIp(s) as { v4: number }).v4);
    expect(at("10.1.2.3")).toBe(2);
    expect(at("10.2.0.0")).toBe(5);
    expect(at("11.0.0.0")).toBe(9);
    expect(t.slotsFor((parseIp("10.1.2.3") as { v4: number }).v4).map((s) => t.values[s])).toEqual([[9], [5], [2], [7]]);
  });

  it("return the lowest value among containing prefixes (v6)", () => {
    const t = new PrefixTrie6();
    const ins = (s: string, v: number) => {
      const c = parseCidr(s) as { family: 6; v6: Uint8Array; prefix: number };
      t.insert(c.v6, c.prefix, v);
    };
    ins("2001:db8::/32", 3);
    ins("2001:db8:1::/48", 1);
    ins("::1/128", 4);
    const at = (s: string) => t.lowest((parseIp(s) as { v6: Uint8Array }).v6);
    expect(at("2001:db8:1::5")).toBe(1);
    expect(at("2001:db8:2::5")).toBe(3);
    expect(at("::1")).toBe(4);
    expect(at("::2")).toBe(-1);
  });
});
