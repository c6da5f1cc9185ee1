/** DNS interception: the forwarder pipeline, stream framing, upstream configuration and wire codec. */
export type { DnsHandler, DnsQueryContext } from "./handler.js";
export { createDnsHandler, HOST_ALIAS, HOST_ALIAS_TTL, type DnsEvent, type DnsForwarder, type DnsForwarderOptions, type DnsOutcome, type NameCacheWriter } from "./forwarder.js";
export { serveDnsStream, isDroppedDnsUdpPort, DROPPED_DNS_UDP_PORTS, DNS_STREAM_IDLE_MS, type DnsStreamOptions } from "./stream.js";
export { parseNameserver, formatNameserver, parseResolvConf, resolveUpstreams, type NameserverSpec, type Upstream } from "./nameservers.js";
export { NodeDnsTransport, QUERIES_PER_SOCKET, type DnsUpstreamTransport, type TransportOptions } from "./transport.js";
export { isRebindReserved, firstRebindOffender, type RebindAdmitter } from "./rebind.js";
export { runDnsMessageProbe, type DnsMessageProbe, type DnsMessageConfig, type DnsMessageResult } from "./probe.js";
export { parseMessage, buildQuery, buildResponse, readName, RR, RCODE, type WireMessage } from "./wire.js";
