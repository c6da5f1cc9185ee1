/**
 * The DNS-rebind reserved address list (§4.4). Whether a reserved answer is admitted depends on
 * the policy's explicit evaluation and lives in the compiled evaluator (`rebindAdmits`).
 */
import { parseCidr, cidrContains, type Cidr } from "../net/cidr.js";
import { isMappedV6, mappedV4, type IpAddr } from "../net/ip.js";

const V4 = [
  "0.0.0.0/8",
  "127.0.0.0/8",
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "100.64.0.0/10",
  "169.254.0.0/16",
  "192.0.0.0/24",
  "192.0.2.0/24",
  "192.88.99.0/24",
  "198.18.0.0/15",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "224.0.0.0/4",
  "240.0.0.0/4",
];
const V6 = [
  "::1/128",
  "::/128",
  "ff00::/8",
  "fc00::/7",
  "fe80::/10",
  "fec0::/10",
  "100::/64",
  "64:ff9b:1::/48",
  "2001:db8::/32",
  "3fff::/20",
];

function parseAll(list: string[]): Cidr[] {
  return list.map((s) => {
    const c = parseCidr(s);
    if ("error" in c) throw new Error(c.error);
    return c;
  });
}

/** Reserved IPv4 networks (§4.4). */
export const REBIND_RESERVED_V4: readonly Cidr[] = parseAll(V4);
/** Reserved IPv6 networks (§4.4); mapped IPv4 is checked against the IPv4 list. */
export const REBIND_RESERVED_V6: readonly Cidr[] = parseAll(V6);

/** True when a DNS answer address is reserved for rebind protection (§4.4). */
export function isRebindReserved(ip: IpAddr): boolean {
  const a: IpAddr = ip.family === 6 && isMappedV6(ip.v6) ? { family: 4, v4: mappedV4(ip.v6) } : ip;
  const list = a.family === 4 ? REBIND_RESERVED_V4 : REBIND_RESERVED_V6;
  for (const c of list) if (cidrContains(c, a)) return true;
  return false;
}
