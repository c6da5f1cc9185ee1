/**
 * Bounded fuzz run of the nerdbox annotation parser (seeded; FUZZ_SEED / FUZZ_STEPS override).
 * A failure names the seed and step; `bench/fuzz/run.ts --parser NAME --seed N` replays it. Every
 * outcome occurs: accepted and refused networks, accepted and refused bundles.
 */
import { fuzzSuite } from "@sandbox/fuzz-kit";
import { KRUN_TARGETS } from "./targets.js";

fuzzSuite("fuzz: nerdbox annotations", KRUN_TARGETS, 4000);
