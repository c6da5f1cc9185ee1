/** Secrets: the per-connection plan, violation scanning and the conformance probe. */
export { classifySecrets, placeholderOf, ACTION_RANK, type BlockAction, type HostContext, type SecretPlan, type SecretRole, type ClassifiedSecret } from "./classify.js";
export { StreamScanner, detectIn, percentDecode, jsonUnescape, type Detection, type Forbidden, type MatchForm } from "./scan.js";
export { runSecretProbe, runSecretProbeDetailed, type SecretProbe, type SecretProbeConfig, type SecretProbeResult, type SecretProbeDetail } from "./probe.js";
export { guestSecretEnv } from "./env.js";
