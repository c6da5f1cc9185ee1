/**
 * The contract between the network stack and the DNS component: the stack hands every guest DNS
 * message (UDP or TCP, port 53 on any address) to a `DnsHandler`, which decides and answers.
 */
import type { IpAddr } from "@sandbox/core";

/** Where a DNS message came from and how it travelled. */
export interface DnsQueryContext {
  /** The transport the guest used. */
  readonly transport: "udp" | "tcp" | "dot";
  /** The address the guest sent the query to (the gateway or a resolver of its choosing). */
  readonly resolverIp: IpAddr;
  /** The guest's source address. */
  readonly clientIp: IpAddr;
  /** The guest's EDNS/UDP payload limit for the answer (512 without OPT); UDP only. */
  readonly maxUdpPayload?: number;
  /** DoT only: the server name the guest sent in its ClientHello (used when re-encrypting). */
  readonly sni?: string;
}

/** Answers guest DNS messages. Resolves to the wire answer, or null when no answer is sent. */
export interface DnsHandler {
  handle(query: Uint8Array, ctx: DnsQueryContext): Promise<Uint8Array | null>;
}
