/**
 * End-to-end: @sandbox/netproxy as the libkrun network provider (see helpers/provider-suite.ts).
 * Skips with the reason while @sandbox/netproxy does not export `startNetproxy`; with
 * SANDBOX_REQUIRE_E2E=1 that skip is a failure.
 */
import { describe, it } from "vitest";
import { loadStartNetproxy, type StartNetproxyLike } from "../src/provider/netproxy-provider.js";
import { haveGcc, requireOrSkip } from "./helpers/recorder.js";
import { providerSuite } from "./helpers/provider-suite.js";

let start: StartNetproxyLike | null = null;
let reason = "";
try {
  start = await loadStartNetproxy();
} catch (e) {
  reason = (e as Error).message;
}
const ok = requireOrSkip(start !== null, `the provider (${reason})`) && requireOrSkip(haveGcc(), "gcc (to build the libkrun recorder)");

describe.skipIf(!ok)(`netproxy as the libkrun network provider${ok ? "" : ` — skipped: ${reason || "gcc missing"}`}`, () => {
  if (start) providerSuite(start);
  else it("needs @sandbox/netproxy", () => {});
});
