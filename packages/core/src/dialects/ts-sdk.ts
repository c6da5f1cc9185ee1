/**
 * TypeScript SDK dialect (semantics §3.4): the SDK's plain camelCase, `kind`-tagged policy objects
 * (`{defaultEgress, defaultIngress, rules: [{direction, destination: {kind: "group", group:
 * "link-local"}, protocols, ports, action}]}`) converted to and from the wire policy exactly as
 * `NetworkBuilder.policy(obj)` does (a hand-written object that omits a default gets the wire
 * default deny); `NetworkPolicy.builder()` (the Rust builder semantics, `build()` returning the
 * camelCase object); and the SDK's `NetworkBuilder` (`secretEnvSimple`, `[InvalidConfig]`
 * errors). D5: `secretEnvSimple` uses the `$MSB_<env>` placeholder instead of leaking the value.
 */
import { canonicalPolicy } from "../config/normalize.js";
import type { Destination as WireDestination, HostPatternInput, NetworkPolicy as WirePolicy, Rule as WireRule, ViolationActionInput } from "../gen/index.js";
import { compact, groupFromSpelling, isRecord } from "./common.js";
import { DialectError } from "./errors.js";
import { NetworkBuilder, type PolicyArg } from "./rust.js";
import { NetworkPolicy as RustPolicy, NetworkPolicyBuilder } from "./rust-policy.js";

/** TS SDK destination object. */
export type TsDestination =
  | { kind: "any" }
  | { kind: "cidr"; cidr: string }
  | { kind: "domain"; domain: string }
  | { kind: "domainSuffix"; suffix: string }
  | { kind: "group"; group: string };

/** TS SDK rule object. */
export interface TsRule {
  direction: string;
  destination: TsDestination;
  protocols?: string[];
  ports?: { start: number; end: number }[];
  action: string;
}

/** TS SDK policy object. */
export interface TsPolicy {
  defaultEgress?: string;
  defaultIngress?: string;
  rules?: TsRule[];
}

function fail(message: string): never {
  throw new DialectError("typescript", `invalid policy JSON: ${message}`);
}

/** Converts one TS destination to the wire (`{kind: "any"}` -> `"any"`, kebab groups -> snake). */
export function tsDestinationToWire(d: unknown): WireDestination {
  if (!isRecord(d) || typeof d.kind !== "string") return fail(`destination must be an object with a \`kind\`, got ${JSON.stringify(d)}`);
  switch (d.kind) {
    case "any":
      return "any";
    case "cidr":
      return { cidr: String(d.cidr) };
    case "domain":
      return { domain: String(d.domain) };
    case "domainSuffix":
      return { domain_suffix: String(d.suffix ?? d.domainSuffix) };
    case "group": {
      const g = groupFromSpelling(String(d.group));
      if (g === undefined) return fail(`unknown variant \`${String(d.group)}\`, expected one of \`public\`, \`loopback\`, \`private\`, \`link_local\`, \`metadata\`, \`multicast\`, \`host\``);
      return { group: g };
    }
    default:
      return fail(`unknown variant \`${d.kind}\``);
  }
}

/** Converts a wire destination to the TS SDK shape (groups in kebab case). */
export function wireDestinationToTs(d: WireDestination): TsDestination {
  if (d === "any") return { kind: "any" };
  if ("cidr" in d) return { kind: "cidr", cidr: d.cidr };
  if ("domain" in d) return { kind: "domain", domain: d.domain };
  if ("domain_suffix" in d) return { kind: "domainSuffix", suffix: d.domain_suffix };
  return { kind: "group", group: d.group.replace("_", "-") };
}

/** TS SDK policy object -> wire policy (wire defaults deny/deny for omitted defaults; no single-label or ICMP checks here). */
export function tsPolicyToWire(p: unknown): WirePolicy {
  if (!isRecord(p)) return fail(`expected a policy object, got ${JSON.stringify(p)}`);
  const rules: WireRule[] = (Array.isArray(p.rules) ? p.rules : []).map((r) => {
    if (!isRecord(r)) return fail(`invalid rule ${JSON.stringify(r)}`);
    return {
      direction: r.direction as WireRule["direction"],
      destination: tsDestinationToWire(r.destination),
      protocols: (Array.isArray(r.protocols) ? r.protocols : []) as WireRule["protocols"],
      ports: (Array.isArray(r.ports) ? r.ports : []) as WireRule["ports"],
      action: r.action as WireRule["action"],
    };
  });
  return {
    default_egress: (p.defaultEgress ?? "deny") as WirePolicy["default_egress"],
    default_ingress: (p.defaultIngress ?? "deny") as WirePolicy["default_ingress"],
    rules,
  };
}

/** Wire policy -> TS SDK policy object. */
export function wirePolicyToTs(p: WirePolicy): TsPolicy {
  return {
    defaultEgress: p.default_egress,
    defaultIngress: p.default_ingress,
    rules: p.rules.map((r) => ({
      direction: r.direction,
      destination: wireDestinationToTs(r.destination),
      protocols: [...r.protocols],
      ports: r.ports.map((x) => ({ ...x })),
      action: r.action,
    })),
  };
}

const PROFILES = ["public", "private", "host"] as const;

/** The TS SDK `NetworkPolicy` namespace (plain objects). */
export const TsNetworkPolicy = {
  /** Deny both ways. */ none: (): TsPolicy => wirePolicyToTs(RustPolicy.none()),
  /** Allow both ways. */ allowAll: (): TsPolicy => wirePolicyToTs(RustPolicy.allowAll()),
  /** `fromProfiles` (RangeError for an unknown profile). */
  fromProfiles(...profiles: string[]): TsPolicy {
    for (const p of profiles.flat()) if (!(PROFILES as readonly string[]).includes(p)) throw new RangeError(`unknown network profile: ${p}`);
    return wirePolicyToTs(RustPolicy.fromProfiles(...(profiles.flat() as (typeof PROFILES)[number][])));
  },
  /** The recorded builder; `build()` returns the camelCase object. */
  builder: (): NetworkPolicyBuilder<TsPolicy> => new NetworkPolicyBuilder<TsPolicy>(wirePolicyToTs),
};

/** The TS SDK `ViolationActionBuilder`: one blocking action, or passthrough to listed hosts. */
export class ViolationActionBuilder {
  private action: "block" | "block-and-log" | "block-and-terminate" | undefined;
  private readonly hosts: HostPatternInput[] = [];
  /** Drop silently. */ block(): this { this.action = "block"; return this; }
  /** Drop and log (the default). */ blockAndLog(): this { this.action = "block-and-log"; return this; }
  /** Drop, log and stop the sandbox. */ blockAndTerminate(): this { this.action = "block-and-terminate"; return this; }
  /** Forward the placeholder unchanged to this exact host. */ passthroughHost(h: string): this { this.hosts.push({ exact: h }); return this; }
  /** Forward the placeholder unchanged to hosts matching `*.suffix`. */ passthroughHostPattern(p: string): this { this.hosts.push({ wildcard: p }); return this; }
  /** Forward the placeholder unchanged to every host. */ passthroughAllHosts(b: boolean): this { if (b) this.hosts.push("any"); return this; }
  /** The wire violation action (passthrough wins when hosts were listed). */
  build(): ViolationActionInput {
    return this.hosts.length > 0 ? { passthrough: [...this.hosts] } : (this.action ?? "block-and-log");
  }
}

/** The TS SDK `NetworkBuilder`: Rust semantics, plain-object policies, `[InvalidConfig]` errors. */
export class TsNetworkBuilder extends NetworkBuilder {
  /** Accepts a TS plain policy object, a wire policy or a builder. */
  override policy(p: PolicyArg | TsPolicy): this {
    if (isRecord(p) && !("buildWire" in p) && !("build" in p) && ("defaultEgress" in p || "defaultIngress" in p || (Array.isArray(p.rules) && p.rules.some((r) => isRecord(r) && isRecord(r.destination))))) {
      try {
        return super.policy(canonicalPolicy(tsPolicyToWire(p)));
      } catch (e) {
        this.errors.push((e as Error).message);
        return this;
      }
    }
    return super.policy(p as PolicyArg);
  }
  /** A violation action string/object, or a closure over a {@link ViolationActionBuilder}. */
  override onSecretViolation(a: ViolationActionInput | ((v: ViolationActionBuilder) => unknown)): this {
    if (typeof a !== "function") return super.onSecretViolation(a);
    const b = new ViolationActionBuilder();
    a(b);
    return super.onSecretViolation(b.build());
  }
  /** `secretEnvSimple(env, value, host)`: exact host, placeholder `$MSB_<env>` (D5). */
  secretEnvSimple(env: string, value: string, host: string): this {
    return this.secret(compact({ env_var: env, value, placeholder: `$MSB_${env}`, allowed_hosts: [{ exact: host }] }));
  }
  protected override error(message: string): Error {
    return new DialectError("typescript", `[InvalidConfig] network builder: ${message}`);
  }
}
