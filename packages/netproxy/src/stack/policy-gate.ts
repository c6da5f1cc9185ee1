/**
 * The stack's view of the policy: the tenant's compiled policy plus an optional platform floor
 * (multi-tenant, semantics.md §7.6) that must also allow. Swappable at run time (reload).
 */
import type { CompiledPolicy, Decision, HostnameSource, IpAddr, Protocol } from "@sandbox/core";

function combine(a: Decision, b: Decision | undefined): Decision {
  if (!b) return a;
  if (a.verdict === "deny") return a;
  if (b.verdict === "deny") return { ...b, reason: `platform floor: ${b.reason}` };
  if (a.verdict === "defer" || b.verdict === "defer") return a.verdict === "defer" ? a : b;
  return a;
}

/** Tenant policy + optional platform floor. */
export class PolicyGate {
  constructor(
    private tenant: CompiledPolicy,
    private floor?: CompiledPolicy,
  ) {}

  /** Swap both policies (a reload). */
  replace(tenant: CompiledPolicy, floor?: CompiledPolicy): void {
    this.tenant = tenant;
    this.floor = floor;
  }

  /** Egress decision (§1.5) under both policies. */
  egress(ip: IpAddr, port: number | null, protocol: Protocol, source?: HostnameSource): Decision {
    return combine(this.tenant.egress(ip, port, protocol, source), this.floor?.egress(ip, port, protocol, source));
  }

  /** Ingress decision (§1.6) under both policies. */
  ingress(peer: IpAddr, guestPort: number, protocol: Protocol): Decision {
    return combine(this.tenant.ingress(peer, guestPort, protocol), this.floor?.ingress(peer, guestPort, protocol));
  }

  /** Whether either policy has Domain/DomainSuffix rules (first-flight re-evaluation, §1.10). */
  get hasDomainRules(): boolean {
    return this.tenant.hasDomainRules || (this.floor?.hasDomainRules ?? false);
  }
}
