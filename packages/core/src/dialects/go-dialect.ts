/** The Go dialect's public surface: struct layer and FFI wire layer. */
export * from "./go.js";
export * from "./go-ffi.js";
