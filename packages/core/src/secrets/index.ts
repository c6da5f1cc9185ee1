/** Barrel for secret host patterns and per-connection secret classification. */
export {
  type HostPattern,
  type NormalizedHostPattern,
  type SecretConnection,
  normalizeHostPattern,
  hostPatternMatches,
  secretHostAllowed,
  HOST_ALIAS,
} from "./hosts.js";
export {
  type BlockingAction,
  type ViolationAction,
  type NormalizedViolationAction,
  type SecretLike,
  type SecretClass,
  normalizeViolationAction,
  classifySecret,
  classifySecrets,
  strictestAction,
} from "./classify.js";
