/**
 * Runtime dialect (semantics §3.1, §7.6): the upstream runtime's own network config JSON, which
 * also accepts the legacy port protocol spellings `Tcp`/`Udp`, and the `multi-tenant` deployment
 * profile: interface overrides, published ports and custom nameservers cleared, rebind protection
 * forced on, `trust_host_cas` off, `max_connections` clamped to 256, and the platform policy
 * `from_profiles([public])` evaluated in addition to the tenant's policy.
 */
import type { CanonicalNetworkConfig } from "../config/normalize.js";
import { policyFromProfiles } from "../config/presets.js";
import type { NetworkPolicy } from "../gen/index.js";
import { finish, isRecord } from "./common.js";
import { DialectError } from "./errors.js";

/** Deployment profiles. */
export type DeploymentProfile = "single-tenant" | "multi-tenant";

/** A runtime config after the deployment profile: the tenant config and the extra platform policy. */
export interface RuntimeConfig {
  readonly config: CanonicalNetworkConfig;
  /** Policy evaluated in addition to the tenant's at every decision (multi-tenant only). */
  readonly platformPolicy: NetworkPolicy | null;
}

/** Applies the `multi-tenant` sanitization (§7.6) to a canonical config. */
export function applyMultiTenant(c: CanonicalNetworkConfig): CanonicalNetworkConfig {
  return {
    ...c,
    dns: { ...c.dns, rebind_protection: true, nameservers: [] },
    ports: [],
    max_connections: Math.min(c.max_connections, 256),
    trust_host_cas: false,
    interface: { mtu: c.interface.mtu },
  };
}

/** Runtime network config JSON (+ optional `deployment_profile`) -> the canonical config. */
export function fromRuntimeConfig(json: unknown): RuntimeConfig {
  if (!isRecord(json)) throw new DialectError("runtime", `network config must be an object, got ${JSON.stringify(json)}`);
  const { deployment_profile: profile, ...rest } = json;
  if (Array.isArray(rest.ports)) {
    rest.ports = rest.ports.map((p) => (isRecord(p) && (p.protocol === "Tcp" || p.protocol === "Udp") ? { ...p, protocol: p.protocol.toLowerCase() } : p));
  }
  if (profile !== undefined && profile !== "single-tenant" && profile !== "multi-tenant") {
    throw new DialectError("runtime", `unknown deployment profile \`${String(profile)}\`; expected single-tenant or multi-tenant`);
  }
  if (profile === "multi-tenant") {
    if (typeof rest.max_connections === "number" && rest.max_connections > 256) rest.max_connections = 256;
    const config = applyMultiTenant(finish("runtime", rest));
    return { config, platformPolicy: policyFromProfiles(["public"]) };
  }
  return { config: finish("runtime", rest), platformPolicy: null };
}
