/** @sandbox/codegen: JSON Schema → zod, TypeScript types and quicktype bindings. */
export { checkProfile, type ProfileIssue, type SchemaNode } from "./profile.js";
export { emitZod } from "./zod.js";
export { emitBindings } from "./quicktype.js";
export { loadSchemas, plan, type Outputs, type SchemaFile } from "./generate.js";
