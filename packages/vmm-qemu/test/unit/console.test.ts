/** Tests of the console line splitter and the guest report-line parser. */
import { describe, expect, it } from "vitest";
import { LineSplitter, parseGuestEvent } from "../../src/index.js";

describe("parseGuestEvent", () => {
  it("parses events, fields and the result status", () => {
    expect(parseGuestEvent("@@sandbox lease ip=10.0.2.15 mask=255.255.255.0 router=none")).toEqual({
      event: "lease",
      fields: { ip: "10.0.2.15", mask: "255.255.255.0", router: "none" },
      rest: "",
    });
    expect(parseGuestEvent("[   3.1] noise @@sandbox result name=x status=fail rc=7 why")).toEqual({
      event: "result",
      fields: { name: "x", status: "fail", rc: "7" },
      rest: "fail rc=7 why",
    });
    expect(parseGuestEvent("plain kernel line")).toBeUndefined();
  });
});

describe("LineSplitter", () => {
  it("splits across chunks and strips CR", () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    s.push("ab");
    s.push("c\r\nd");
    s.push(Buffer.from("e\nf"));
    s.end();
    expect(lines).toEqual(["abc", "de", "f"]);
  });
});
