/**
 * SDK dialects: each front-end's own config shape and API, producing the canonical config with
 * that SDK's error texts (semantics §3.2-§3.6; D5: upstream SDK bugs are not reproduced).
 * Exported as namespaces because the SDKs share class names (`NetworkPolicy`, `Rule`, ...).
 */
export { DialectError, atPath, type DialectName } from "./errors.js";
export * as goDialect from "./go-dialect.js";
export * as pythonDialect from "./python-dialect.js";
export * as rustDialect from "./rust-dialect.js";
export * as tsSdkDialect from "./ts-sdk.js";
export * as tsDialect from "./ts.js";
export * as quicksandDialect from "./quicksand.js";
