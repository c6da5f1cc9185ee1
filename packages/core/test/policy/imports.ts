/** Test helper: the policy-engine modules under test, imported from their barrels. */
export * from "../../src/net/index.js";
export * from "../../src/policy/index.js";
export { ResolvedNameCache as ResolvedNameCacheForTests } from "../../src/policy/index.js";
export * from "../../src/secrets/index.js";
export * from "../../src/tls/index.js";
