/** The Rust-style builder dialect's public surface: policy and network builders. */
export * from "./rust-policy.js";
export { NetworkBuilder, TlsBuilder, DnsBuilder, SecretBuilder, type PolicyArg } from "./rust.js";
export * from "./runtime.js";
