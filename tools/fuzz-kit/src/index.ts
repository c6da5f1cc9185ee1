/** Test-only helpers shared by the packages' fuzz targets (see README). */
export { Choice } from "./choice.js";
export { FuzzFailure, type FuzzSession, type FuzzTarget } from "./target.js";
export { fuzzSuite, seedOf } from "./suite.js";
