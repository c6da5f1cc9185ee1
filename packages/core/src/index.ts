/**
 * @sandbox/core: the wire types of the @sandbox network config (generated from
 * schemas/network.schema.json) and the policy semantics. Pure TypeScript, no I/O.
 */
export * from "./gen/index.js";
export * from "./config/index.js";
export * from "./net/index.js";
export * from "./policy/index.js";
export * from "./secrets/index.js";
export * from "./tls/index.js";
export * from "./dialects/index.js";
// The policy engine declares structural twins of these wire types; the generated ones are canonical.
export { DestinationGroup, Protocol, HostPattern, ViolationAction } from "./gen/index.js";
