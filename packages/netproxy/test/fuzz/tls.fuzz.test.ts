/** Bounded fuzz run of the two ClientHello/SNI readers. */
import { describe, expect, it } from "vitest";
import { TLS_TARGETS } from "./targets/tls.js";
import { runBounded } from "./lib/target.js";
import { fuzzSeed, FUZZ_STEPS } from "./lib/budget.js";
import { parseClientHello } from "../../src/tls/client-hello.js";
import { sniffClientHello } from "../../src/stack/tcp/sni.js";

describe("fuzz: TLS ClientHello", () => {
  for (const t of TLS_TARGETS) {
    it(`${t.name}: ${t.description}`, async () => {
      expect(await runBounded(t, fuzzSeed(t.name), FUZZ_STEPS)).toBe(FUZZ_STEPS);
    });
  }

  it("a handshake header claiming 16 MiB is refused by both readers without buffering it", () => {
    const rec = Uint8Array.of(0x16, 3, 1, 0, 8, 1, 0xff, 0xff, 0xff, 3, 3, 0, 0);
    expect(parseClientHello(rec)).toMatchObject({ kind: "not-tls" });
    // The first-flight sniffer adapts the same reader: done at once, no SNI.
    expect(sniffClientHello(rec)).toEqual({ state: "done", tls: true, sni: null });
  });
});
