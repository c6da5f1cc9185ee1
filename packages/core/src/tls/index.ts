/** Barrel for TLS interception pattern matching. */
export { tlsPatternMatches, tlsBypassed, tlsPatternSpecificity, mostSpecificPattern } from "./bypass.js";
