/**
 * Interpreter environments of the SDKs whose `sdk_translation` inputs are code: Python (the
 * microsandbox classes and the bare profile names), Rust (the builders, with a policy builder and
 * a network builder as implicit receivers so `egress(|e| ...)` or `ipv4_pool(...)` work alone),
 * TypeScript (the SDK namespace and a fresh `n` network builder), each with the function that
 * turns an evaluation result into its bag.
 */
import { goDialect, pythonDialect, quicksandDialect, rustDialect, tsSdkDialect, type CanonicalNetworkConfig, type NetworkPolicy as WirePolicy } from "@sandbox/core";
import type { ExprEnv } from "../interp/index.js";
import { configBag, policyBag } from "./sdk-bags.js";

const { PyNetwork, PyNetworkPolicy, PyRule, PyDestination, PyProtocol, PyNetworkProfile, PyTlsConfig, PyDnsConfig, PySecretEntry, fromPythonDict, fromPythonNetwork, parsePyRule } = pythonDialect;

/** Python names. */
export function pythonEnv(): ExprEnv {
  return {
    names: {
      Network: PyNetwork,
      NetworkPolicy: PyNetworkPolicy,
      Rule: PyRule,
      Destination: PyDestination,
      Protocol: PyProtocol,
      NetworkProfile: PyNetworkProfile,
      TlsConfig: PyTlsConfig,
      DnsConfig: PyDnsConfig,
      SecretEntry: PySecretEntry,
      PUBLIC: PyNetworkProfile.PUBLIC,
      PRIVATE: PyNetworkProfile.PRIVATE,
      HOST: PyNetworkProfile.HOST,
    },
  };
}

/** Bag of a Python evaluation result. */
export function pythonBag(v: unknown): Record<string, unknown> {
  if (v instanceof PyNetwork) return { network: v._to_dict(), ...configBag(fromPythonNetwork(v)) };
  if (v instanceof PyNetworkPolicy) {
    const d = v._to_dict();
    return { custom_policy: d, ...policyBag(fromPythonDict({ custom_policy: d }).policy) };
  }
  if (v instanceof PyRule) return { ...v._to_dict(), rule: parsePyRule(v._to_dict()), accepted: true };
  if (v instanceof PyTlsConfig) return { tls: v._to_dict(), effective: fromPythonDict({ tls: v._to_dict() }), accepted: true };
  if (v instanceof PyDnsConfig) return { dns: v._to_dict(), effective: fromPythonDict({ dns: v._to_dict() }), accepted: true };
  if (Array.isArray(v) && v.every((r) => r instanceof PyRule)) return { rules: v.map((r: InstanceType<typeof PyRule>) => r._to_dict()), accepted: true };
  throw new Error(`python expression produced an unsupported value: ${JSON.stringify(v)}`);
}

const { NetworkPolicy, NetworkPolicyBuilder, NetworkBuilder, Rule, Destination, PortRange, TlsBuilder, DnsBuilder } = rustDialect;

/** Rust names and implicit receivers (fresh per evaluation). */
export function rustEnv(): ExprEnv {
  return {
    names: {
      NetworkPolicy,
      NetworkBuilder,
      Rule,
      Destination,
      PortRange,
      TlsBuilder,
      DnsBuilder,
      Action: { Allow: "allow", Deny: "deny" },
      Protocol: { Tcp: "tcp", Udp: "udp", Icmpv4: "icmpv4", Icmpv6: "icmpv6" },
    },
    implicit: [new NetworkPolicyBuilder(), new NetworkBuilder()],
  };
}

function isPolicy(v: unknown): v is WirePolicy {
  return typeof v === "object" && v !== null && "default_egress" in v && "rules" in v;
}

/** Bag of a Rust evaluation result (builders are built). */
export function rustBag(v: unknown): Record<string, unknown> {
  if (v instanceof NetworkPolicyBuilder) return policyBag(v.buildWire());
  if (v instanceof NetworkBuilder) return configBag(v.build());
  if (isPolicy(v)) return policyBag(v);
  if (typeof v === "object" && v !== null && "enabled" in v && "policy" in v) return configBag(v as CanonicalNetworkConfig);
  throw new Error(`rust expression produced an unsupported value: ${JSON.stringify(v)}`);
}

const { TsNetworkPolicy, TsNetworkBuilder, tsPolicyToWire } = tsSdkDialect;

/** TypeScript SDK names (`n` is a fresh `NetworkBuilder`). */
export function typescriptEnv(): ExprEnv {
  return { names: { NetworkPolicy: TsNetworkPolicy, NetworkBuilder: TsNetworkBuilder, n: new TsNetworkBuilder() } };
}

/** Bag of a TypeScript evaluation result. */
export function typescriptBag(v: unknown): Record<string, unknown> {
  if (v instanceof TsNetworkBuilder) return configBag(v.build());
  if (v instanceof NetworkPolicyBuilder) return { ...(v.build() as object), wire: v.buildWire(), accepted: true };
  if (typeof v === "object" && v !== null && ("defaultEgress" in v || "rules" in v)) return { ...(v as object), wire: tsPolicyToWire(v), accepted: true };
  throw new Error(`typescript expression produced an unsupported value: ${JSON.stringify(v)}`);
}

const { GoNetworkPolicy, GoRule, fromGoNetworkConfig, goNetworkToFfi, fromGoFfi } = goDialect;

/** Go names: the `NetworkPolicy` factory and `Rule` helpers, also under the package name `m`. */
export function goEnv(): ExprEnv {
  const m = { NetworkPolicy: GoNetworkPolicy, Rule: GoRule };
  return { names: { ...m, m, microsandbox: m } };
}

/** Bag of a Go evaluation result: a `NetworkConfig` or a `PolicyRule`. */
export function goBag(v: unknown): Record<string, unknown> {
  if (typeof v === "object" && v !== null && "Action" in v) {
    return policyBag(fromGoFfi(goNetworkToFfi({ Rules: [v as goDialect.GoPolicyRule] })).policy);
  }
  if (typeof v === "object" && v !== null && !Array.isArray(v)) return configBag(fromGoNetworkConfig(v as goDialect.GoNetworkConfig));
  throw new Error(`go expression produced an unsupported value: ${JSON.stringify(v)}`);
}

/** quicksand names: `Sandbox(...)` (network keyword arguments only), `NetworkMode`, `PortForward`. */
export function quicksandEnv(): ExprEnv {
  const NETWORK_KWARGS = new Set(["network_mode", "port_forwards", "agent_port", "arch", "smb_cmd"]);
  return {
    names: {
      Sandbox: (kwargs: Record<string, unknown> = {}) => {
        const net = Object.fromEntries(Object.entries(kwargs).filter(([k]) => NETWORK_KWARGS.has(k)));
        return { sandbox: quicksandDialect.fromQuicksand(net as quicksandDialect.QuicksandSandboxArgs) };
      },
      NetworkMode: { NONE: "none", MOUNTS_ONLY: "mounts_only", FULL: "full" },
      PortForward: (kwargs: { host: number; guest: number }) => ({ host: kwargs.host, guest: kwargs.guest }),
    },
  };
}
