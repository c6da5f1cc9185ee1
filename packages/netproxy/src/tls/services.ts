/**
 * One call that turns the `tls`, `secrets` and `trust_host_cas` sections of a canonical network
 * config into what the stack takes: the FlowInterceptor, the DoT handler, the UDP ports to drop
 * for QUIC blocking, the CA the guest must trust - and a mapping of L7 events onto the control
 * channel's `tls` and `violation` events.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import type { IpAddr, SecretsConfig, TlsConfig } from "@sandbox/core";
import type { DnsHandler } from "../dns/handler.js";
import type { Event } from "../gen/control.js";
import type { DotHandler } from "../stack/types.js";
import { loadOrCreateCa } from "./ca.js";
import { createDotHandler } from "./dot.js";
import { L7Interceptor, quicBlockedUdpPorts, type L7Event } from "./interceptor.js";
import { LeafCache } from "./leaf-cache.js";
import { guestTrustBundle, UpstreamTrust } from "./roots.js";

/** Options of {@link createL7Services}. */
export interface L7ServicesOptions {
  readonly tls: TlsConfig;
  readonly secrets: SecretsConfig;
  readonly trustHostCas: boolean;
  readonly gateway: { readonly ipv4?: string; readonly ipv6?: string };
  /** Configured host aliases (D6). */
  readonly hostAliases?: readonly string[];
  readonly cache: { anyHostFor(ip: IpAddr, pred: (host: string) => boolean): boolean };
  /** The DNS handler DoT sessions feed (required for DoT when TLS is on). */
  readonly dns?: DnsHandler;
  /** Where a generated CA is kept when the config names none (default `~/.sandbox/tls`). */
  readonly caDir?: string;
  readonly events?: (e: L7Event) => void;
  readonly onTerminate?: (reason: string) => void;
}

/** The L7 pieces for `createNetworkStack`. */
export interface L7Services {
  /** Present when TLS interception is on or secrets are configured. */
  readonly interceptor?: L7Interceptor;
  /** Present when TLS interception is on (TCP/853 is otherwise refused by the stack). */
  readonly dot?: DotHandler;
  /** UDP destination ports the stack drops before policy (QUIC on intercepted ports). */
  readonly blockUdpPorts: number[];
  /** The interception CA certificate (PEM) when TLS is on. */
  readonly caPem?: string;
  /** What the guest should trust: the interception CA and, with `trust_host_cas`, the host roots. */
  readonly guestTrustPem: string;
}

/** Build the L7 services from config sections. */
export async function createL7Services(o: L7ServicesOptions): Promise<L7Services> {
  const tlsOn = o.tls.enabled;
  let leaves: LeafCache | undefined;
  let trust: UpstreamTrust | undefined;
  let caPem: string | undefined;
  if (tlsOn) {
    const ca = await loadOrCreateCa({
      ...(o.tls.intercept_ca?.cert_path !== undefined ? { certPath: o.tls.intercept_ca.cert_path } : {}),
      ...(o.tls.intercept_ca?.key_path !== undefined ? { keyPath: o.tls.intercept_ca.key_path } : {}),
      dir: o.caDir ?? join(homedir(), ".sandbox", "tls"),
    });
    caPem = ca.certPem;
    leaves = new LeafCache(ca, { capacity: o.tls.cache.capacity, validityHours: o.tls.cache.validity_hours });
    trust = await UpstreamTrust.load(o.tls);
  }
  const wantInterceptor = tlsOn || o.secrets.secrets.length > 0;
  const interceptor = wantInterceptor
    ? new L7Interceptor({
        tls: o.tls,
        ...(leaves ? { leaves } : {}),
        ...(trust ? { trust } : {}),
        secrets: o.secrets,
        cache: o.cache,
        gateway: o.gateway,
        ...(o.hostAliases ? { hostAliases: o.hostAliases } : {}),
        ...(o.events ? { events: o.events } : {}),
        ...(o.onTerminate ? { onTerminate: o.onTerminate } : {}),
      })
    : undefined;
  const dot = tlsOn && leaves && o.dns ? createDotHandler({ leaves, dns: o.dns }) : undefined;
  const guestTrustPem = await guestTrustBundle({ ...(caPem ? { interceptCaPem: caPem } : {}), trustHostCas: o.trustHostCas });
  return {
    ...(interceptor ? { interceptor } : {}),
    ...(dot ? { dot } : {}),
    blockUdpPorts: quicBlockedUdpPorts(o.tls),
    ...(caPem ? { caPem } : {}),
    guestTrustPem,
  };
}

/**
 * The control channel's view of an L7 event: interception and bypass decisions become `tls`
 * events; secret violations, Host/SNI mismatches, missing SNI and upstream TLS failures become
 * `violation` events; a policy deny (already a stack `flow` event) and guest-side handshake
 * failures have none (null).
 */
export function l7EventToControl(e: L7Event): Event | null {
  switch (e.type) {
    case "secret_violation":
      return {
        violation: {
          kind: "secret_leak",
          detail: `${e.action}: placeholder of ${e.envVar} towards ${e.host ?? e.dst}:${e.dstPort} (${e.location}, ${e.form}${e.method ? `, ${e.method} ${e.path}` : ""})`,
        },
      };
    case "http_block":
      return { violation: { kind: /SNI/.test(e.reason) ? "sni_mismatch" : "http_malformed", detail: `${e.sni ?? e.dst}:${e.dstPort}: ${e.reason}` } };
    case "tls":
      if ((e.action === "intercept" || e.action === "bypass") && e.sni !== null) {
        return {
          tls: {
            action: e.action === "intercept" ? "intercepted" : "bypassed",
            sni: e.sni,
            src_ip: e.src,
            src_port: e.srcPort,
            dst_ip: e.dst,
            dst_port: e.dstPort,
            reason: e.reason,
          },
        };
      }
      if (e.action === "no_sni") return { violation: { kind: "no_sni", detail: `${e.dst}:${e.dstPort}: ${e.reason}` } };
      if (e.action === "upstream_error") return { violation: { kind: "upstream_tls", detail: `${e.sni}@${e.dst}:${e.dstPort}: ${e.reason}` } };
      return null;
  }
}

/** The former name of {@link l7EventToControl} (it now also returns `tls` events). */
export const l7EventToViolation = l7EventToControl;
