/** Barrel for IP addresses, CIDRs and prefix tries. */
export {
  type IpAddr,
  ipv4,
  parseIp,
  parseIpv4Number,
  parseIpv6Bytes,
  formatIp,
  formatIpv4,
  formatIpv6,
  ipFromBytes,
  ipToBytes,
  unmapIp,
  ipEquals,
  isMappedV6,
  mappedV4,
} from "./ip.js";
export { type Cidr, parseCidr, formatCidr, cidrContains, cidrCovers, bytesPrefixEqual, v4Mask } from "./cidr.js";
export { PrefixTrie4, PrefixTrie6 } from "./trie.js";
