/** TLS interception: the CA, leaf cache, ClientHello reader, trust roots, bypass list, interceptor and DoT. */
export { loadOrCreateCa, generateCa, caFromPem, issueLeaf, privateKeyPem, type InterceptCa, type CaSource, type LeafMaterial } from "./ca.js";
export { LeafCache, type Leaf, type LeafCacheOptions } from "./leaf-cache.js";
export { parseClientHello, canonicalSni, CLIENT_HELLO_MAX, type ClientHelloResult } from "./client-hello.js";
export { BypassList } from "./patterns.js";
export { UpstreamTrust, hostTrustedRoots, guestTrustBundle, splitPemCertificates, SYSTEM_BUNDLES, type UpstreamVerifyConfig, type UpstreamTlsChoice } from "./roots.js";
export { L7Interceptor, quicBlockedUdpPorts, isQuicBlocked, type L7Event, type L7Options } from "./interceptor.js";
export { createDotHandler, serveDot, type DotOptions } from "./dot.js";
export { duplexPair } from "./duplex-pair.js";
export { createL7Services, l7EventToControl, l7EventToViolation, type L7Services, type L7ServicesOptions } from "./services.js";
