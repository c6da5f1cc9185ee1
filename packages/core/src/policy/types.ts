/**
 * Structural policy types the evaluator accepts (the canonical wire shape, §1.2), plus the
 * decision types it returns. The generated `NetworkPolicy` type is assignable to {@link PolicyLike}.
 */

/** Transport protocol of a flow. */
export type Protocol = "tcp" | "udp" | "icmpv4" | "icmpv6";
/** Rule action / default action. */
export type ActionLike = "allow" | "deny";
/** Rule direction; `any` rules are considered by both evaluators. */
export type DirectionLike = "egress" | "ingress" | "any";
/** Destination group names in wire spelling (§1.4). */
export type DestinationGroup = "public" | "loopback" | "private" | "link_local" | "metadata" | "multicast" | "host";
/** Rule destination in wire form. */
export type DestinationLike =
  | "any"
  | { readonly cidr: string }
  | { readonly domain: string }
  | { readonly domain_suffix: string }
  | { readonly group: DestinationGroup };
/** Inclusive port range. */
export interface PortRangeLike {
  readonly start: number;
  readonly end: number;
}
/** One policy rule in wire form. Missing `protocols`/`ports` mean "any". */
export interface RuleLike {
  readonly direction: DirectionLike;
  readonly destination: DestinationLike;
  readonly protocols?: readonly Protocol[] | undefined;
  readonly ports?: readonly PortRangeLike[] | undefined;
  readonly action: ActionLike;
}
/** A network policy in canonical wire form. */
export interface PolicyLike {
  readonly default_egress: ActionLike;
  readonly default_ingress: ActionLike;
  readonly rules: readonly RuleLike[];
}

/** Where the hostname of an egress flow comes from (§1.5). */
export type HostnameSource = { kind: "cache" } | { kind: "sni"; name: string } | { kind: "deferred" };

/** A policy decision: the verdict, the deciding rule index (null = default) and why. */
export interface Decision {
  /** `defer` = decide again once the hostname is known (TCP first flight). */
  verdict: "allow" | "deny" | "defer";
  /** Index into `policy.rules` of the deciding rule; null when the default action decided. */
  rule: number | null;
  /** Human-readable explanation: which rule or default decided and why. */
  reason: string;
}

/** Gateway addresses of the sandbox network (an absent family has no `host` group). */
export interface GatewayLike {
  readonly ipv4?: string | undefined;
  readonly ipv6?: string | undefined;
}
