/**
 * Public types of the network stack: options for `createNetworkStack`, the events it reports, the
 * `FlowInterceptor` hook for L7 (TLS/HTTP) handlers, published ports and counters.
 */
import type { Duplex } from "node:stream";
import type { CompiledPolicy, IpAddr } from "@sandbox/core";
import type { DnsHandler } from "../dns/handler.js";
import type { FrameLink } from "../transport/link.js";
import type { AddressPlanInput } from "./addr.js";

/** A published port (semantics.md §7.5): a host listener whose connections go into the guest. */
export interface PublishedPort {
  readonly hostPort: number;
  readonly guestPort: number;
  readonly protocol: "tcp" | "udp";
  /** Host address to bind; default 127.0.0.1. Non-loopback binds are allowed (an event warns). */
  readonly hostBind?: string;
}

/** Identity of a guest TCP flow, as handed to interceptors and events. */
export interface FlowInfo {
  readonly guestIp: IpAddr;
  readonly guestPort: number;
  /** The destination the guest addressed (not rewritten to loopback). */
  readonly dstIp: IpAddr;
  readonly dstPort: number;
}

/** What an interceptor is given once the guest's first bytes are known. */
export interface InterceptedFlow extends FlowInfo {
  /** Up to 16 KiB of the guest's first bytes (the stack writes them into the returned duplex too). */
  readonly firstBytes: Uint8Array;
  /** The SNI from a TLS ClientHello in `firstBytes`, if one was found. */
  readonly sni: string | null;
  /** The stack's re-evaluation of the egress policy with that SNI (§1.10). */
  readonly decision: import("@sandbox/core").Decision;
  /** Where the stack would connect for this flow (gateway addresses already mapped to loopback). */
  readonly upstreamHost: string;
}

/**
 * The hook point for L7 handlers (TLS interception, HTTP inspection). For every guest TCP SYN the
 * stack asks `intercepts(flow)`; when true, and the SYN-time policy does not deny, the handshake is
 * completed at once (no upstream socket is opened by the stack) and the guest's first bytes are
 * collected (up to 16 KiB, until a ClientHello is complete, or 5 s). Then `intercept()` is called.
 * It returns the duplex that acts as the flow's upstream: the stack writes every guest byte into it
 * (starting with `firstBytes`), sends everything it emits to the guest, half-closes it when the
 * guest sends FIN and sends FIN when it ends; destroying it (or an error) resets the guest flow.
 * Returning null closes the flow towards the guest with FIN (a deny after the handshake). A rejected
 * promise resets the flow. The interceptor is responsible for honouring `decision` (it may deny
 * more, e.g. per HTTP request, but must not allow what `decision` denies).
 */
export interface FlowInterceptor {
  intercepts(flow: FlowInfo): boolean;
  /**
   * Whether the interceptor needs the guest's first bytes (e.g. a TLS ClientHello) before
   * `intercept()`. When it returns false and the SYN-time policy already allows the flow,
   * `intercept()` is called right after the handshake with empty `firstBytes`, so protocols in
   * which the server speaks first are not held up. Default: true.
   */
  needsFirstBytes?(flow: FlowInfo): boolean;
  intercept(flow: InterceptedFlow): Promise<Duplex | null>;
}

/** Opens a DNS-over-TLS session for a guest TCP/853 flow; without one, TCP/853 is refused (RST). */
export type DotHandler = (flow: FlowInfo) => Duplex;

/** Events reported by the stack (for logging and the control channel). */
export type StackEvent =
  | {
      readonly type: "flow";
      readonly protocol: "tcp" | "udp" | "icmpv4" | "icmpv6";
      readonly direction: "egress" | "ingress";
      /** Where the decision was made. */
      readonly stage: "syn" | "first-flight" | "datagram" | "echo" | "connect";
      readonly src: string;
      readonly srcPort: number | null;
      readonly dst: string;
      readonly dstPort: number | null;
      readonly verdict: "allow" | "deny";
      readonly rule: number | null;
      readonly reason: string;
      readonly sni?: string;
    }
  | {
      readonly type: "flow-end";
      readonly protocol: "tcp" | "udp";
      readonly src: string;
      readonly srcPort: number;
      readonly dst: string;
      readonly dstPort: number;
      readonly bytesIn: number;
      readonly bytesOut: number;
      readonly reason: string;
    }
  | { readonly type: "dhcp"; readonly message: "offer" | "ack" | "nak"; readonly ip: string; readonly mac: string }
  | { readonly type: "limit"; readonly what: "max_connections" | "udp_sessions" | "fragments"; readonly limit: number }
  | { readonly type: "drop"; readonly reason: string }
  | { readonly type: "warning"; readonly message: string };

/** Options of `createNetworkStack`. */
export interface NetworkStackOptions {
  /** The frame carrier to the guest. The stack registers its onFrame/onDrain/onClose handlers. */
  readonly link: FrameLink;
  /** The address plan (slot/pools/explicit addresses/MACs/MTU). Defaults: slot 0, default pools, MTU 1500. */
  readonly addresses?: AddressPlanInput;
  /** The compiled tenant policy (from @sandbox/core `compilePolicy`). */
  readonly policy: CompiledPolicy;
  /**
   * An optional platform floor (multi-tenant, §7.6) evaluated in addition: both must allow. Its
   * `defer` verdicts are treated like the tenant's.
   */
  readonly platformPolicy?: CompiledPolicy;
  /** Receives every UDP/TCP port-53 message from the guest (any destination address). */
  readonly dns: DnsHandler;
  /** DoT sessions for TCP/853; when absent TCP/853 is refused with RST. */
  readonly dot?: DotHandler;
  /** L7 interception hook (see `FlowInterceptor`). */
  readonly interceptor?: FlowInterceptor;
  /** UDP destination ports to drop silently before policy (QUIC blocking, §5.8). */
  readonly blockUdpPorts?: readonly number[];
  /** Concurrent guest TCP connections (§7.2): default 256, hard max 4096. */
  readonly maxConnections?: number;
  /** Event sink. Must not throw. */
  readonly events?: (ev: StackEvent) => void;
  /** Published ports opened at start. */
  readonly ports?: readonly PublishedPort[];
  /** Map connections to the gateway address to the host loopback (§7.1). Default true. */
  readonly hostLoopback?: boolean;
  /**
   * Extra IP addresses that stand for the host, like the gateway (gvproxy's `.254`): answered by
   * ARP, answered for echo, and mapped to the host loopback. Default none.
   */
  readonly hostAliasIps?: readonly string[];
  /** DHCP lease time in seconds (option 51). Default 86400. */
  readonly leaseSecs?: number;
  /** DNS servers announced in DHCP option 6; default the gateway address. */
  readonly dhcpDnsServers?: readonly string[];
  /**
   * Relay allowed echo requests to non-gateway addresses through unprivileged ICMP sockets
   * (needs the process's group in `net.ipv4.ping_group_range` and koffi). Default true; when the
   * sockets are unavailable such requests are dropped and the flow event says why.
   */
  readonly externalEcho?: boolean;
  /** Verify L4 checksums of guest frames (turn off for offload-capable libkrun links). Default true. */
  readonly verifyChecksums?: boolean;
  /**
   * Tuning (mostly for tests): TCP buffers, RTO bounds, time-wait linger, UDP idle timeout,
   * first-flight sniff timeout, upstream connect timeout.
   */
  readonly tuning?: Partial<StackTuning>;
  /** Injectable source of initial sequence numbers (tests use it for wrap-around). */
  readonly isn?: () => number;
}

/** Tunable limits and timers of the stack. */
export interface StackTuning {
  tcpRcvBuf: number;
  tcpSndBuf: number;
  rtoInitialMs: number;
  rtoMinMs: number;
  rtoMaxMs: number;
  tcpMaxRetries: number;
  timeWaitMs: number;
  /** Longest wait of the ACK of a small arrival for a reply to carry it (ms). */
  delayedAckMs: number;
  connectTimeoutMs: number;
  sniffTimeoutMs: number;
  sniffMaxBytes: number;
  udpIdleMs: number;
  udpMaxSessions: number;
  udpQueueBytes: number;
  fragmentTimeoutMs: number;
  maxReassemblies: number;
}

/** Counters returned by `stats()`. */
export interface StackStats {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  dropped: Record<string, number>;
  tcpActive: number;
  tcpOpened: number;
  tcpDenied: number;
  tcpRetransmits: number;
  udpSessions: number;
  udpDenied: number;
  dnsQueries: number;
  icmpEchoReplies: number;
  dhcpLeases: number;
  publishedPorts: number;
}

/** The running stack attached to one FrameLink. */
export interface NetworkStack {
  /** Open a host listener for a published port; resolves once listening. */
  publish(port: PublishedPort): Promise<void>;
  /** Close the listener of a published port (existing connections continue). */
  unpublish(port: Pick<PublishedPort, "hostPort" | "protocol" | "hostBind">): Promise<void>;
  /**
   * Replace the policy. Live TCP flows and UDP sessions are re-checked with the new policy
   * (TCP with the hostname source they were admitted under); flows it no longer allows are reset.
   */
  reloadPolicy(policy: CompiledPolicy, platformPolicy?: CompiledPolicy): void;
  /** Counters. */
  stats(): StackStats;
  /** The resolved address plan (guest/gateway addresses, MACs, MTU). */
  readonly addresses: import("./addr.js").AddressPlan;
  /** Stop: reset all flows, close listeners and sockets, close the link. */
  close(): Promise<void>;
}
