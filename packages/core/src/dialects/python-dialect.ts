/** The Python dialect's public surface: object layer and dict wire layer. */
export * from "./python.js";
export * from "./python-dict.js";
