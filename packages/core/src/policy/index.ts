/** Barrel for the policy engine: groups, domain names, cache, compiled evaluator, DNS, lint. */
export type {
  Protocol,
  ActionLike,
  DirectionLike,
  DestinationGroup,
  DestinationLike,
  PortRangeLike,
  RuleLike,
  PolicyLike,
  HostnameSource,
  Decision,
  GatewayLike,
} from "./types.js";
export {
  parseDomainName,
  parseDomainSuffix,
  canonicalHost,
  asciiLower,
  domainMatches,
  suffixMatches,
  suffixOrApexMatches,
  type DomainNameResult,
} from "./domain-name.js";
export {
  classifyIp,
  classifyCode,
  classifyV4,
  classifyV4Parts,
  classifyV6,
  parseGateway,
  groupCode,
  GROUP_NAMES,
  GROUP_NONE,
  type ParsedGateway,
} from "./groups.js";
export {
  ResolvedNameCache,
  extractAddresses,
  type CacheEntry,
  type CacheFamily,
  type AnswerRecord,
} from "./cache.js";
export { LabelTrie } from "./label-trie.js";
export { compilePolicy, type CompiledPolicy, type PolicyEnv } from "./compile.js";
export { codeRule, codeVerdict, codeVerdictName, V_ALLOW, V_DENY, V_DEFER } from "./decision.js";
export { describeRule, describeDestination } from "./explain.js";
export { isRebindReserved, REBIND_RESERVED_V4, REBIND_RESERVED_V6 } from "./rebind.js";
export {
  dnsPipeline,
  dnsTransportTuple,
  type DnsTransport,
  type DnsPipelineInput,
  type DnsPipelineResult,
} from "./dns.js";
export { lintPolicy, type LintWarning, type LintCode, type LintOptions } from "./lint.js";
export { traceFlow, type Trace, type TraceStep, type TraceInput } from "./trace.js";
