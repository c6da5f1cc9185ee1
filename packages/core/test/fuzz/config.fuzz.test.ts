/**
 * Bounded fuzz run of the config and dialect parsers (seeded; FUZZ_SEED / FUZZ_STEPS override).
 * A failure names the seed and step; `bench/fuzz/run.ts --parser NAME --seed N` replays it. Both
 * outcomes of each target occur: the inputs are not all rejected at the door.
 */
import { fuzzSuite } from "@sandbox/fuzz-kit";
import { CORE_TARGETS } from "./targets.js";

fuzzSuite("fuzz: config parsers", CORE_TARGETS, 1000);
