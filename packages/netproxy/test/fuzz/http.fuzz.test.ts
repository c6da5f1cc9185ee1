/** Bounded fuzz run of the HTTP/1 head parser, HPACK and the HTTP/1 and HTTP/2 secret filters. */
import { describe, expect, it } from "vitest";
import { HTTP_TARGETS } from "./targets/http.js";
import { runBounded } from "./lib/target.js";
import { fuzzSeed, FUZZ_STEPS } from "./lib/budget.js";

describe("fuzz: HTTP", () => {
  for (const t of HTTP_TARGETS) {
    it(`${t.name}: ${t.description}`, async () => {
      const n = t.name === "h2-filter" ? Math.ceil(FUZZ_STEPS / 4) : t.name.endsWith("filter") ? Math.ceil(FUZZ_STEPS / 2) : FUZZ_STEPS;
      expect(await runBounded(t, fuzzSeed(t.name), n)).toBe(n);
    });
  }
});
