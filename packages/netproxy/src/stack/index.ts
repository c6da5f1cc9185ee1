/**
 * The userspace network stack: `createNetworkStack` and its public types, the address plan, and
 * the FlowInterceptor hook for L7 handlers.
 */
export { createNetworkStack, DEFAULT_MAX_CONNECTIONS, DEFAULT_TUNING, MAX_CONNECTIONS_HARD_LIMIT } from "./engine.js";
export { planAddresses, DEFAULT_IPV4_POOL, DEFAULT_IPV6_POOL, type AddressPlan, type AddressPlanInput, type Ipv4Plan, type Ipv6Plan } from "./addr.js";
export { sniffClientHello, type SniffResult } from "./tcp/sni.js";
export { formatIpBytes, parseIpBytes, toIpAddr, fromIpAddr } from "./ip.js";
export type {
  DotHandler,
  FlowInfo,
  FlowInterceptor,
  InterceptedFlow,
  NetworkStack,
  NetworkStackOptions,
  PublishedPort,
  StackEvent,
  StackStats,
  StackTuning,
} from "./types.js";
