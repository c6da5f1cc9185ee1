/**
 * @sandbox/core: the wire types of the @sandbox network config (generated from
 * schemas/network.schema.json) and the policy semantics. Pure TypeScript, no I/O.
 */
export * from "./gen/index.js";
export * from "./config/index.js";
