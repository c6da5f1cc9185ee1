/**
 * The per-sandbox address plan (semantics.md §0): for slot s, guest IPv4 = pool + 4s + 2, gateway
 * = guest - 1, prefix /30; guest IPv6 = pool + (s << 64) + 2, gateway = the same /64's ::1, prefix
 * /64; guest MAC 02:6d:73:SS:SS:02, gateway MAC 02:6d:73:SS:SS:01; MTU 1500. Explicit addresses
 * override the pool; a family can be disabled.
 */
import { parseMac } from "../frame/ethernet.js";
import { parseIpv4Bytes, parseIpv6Bytes } from "./ip.js";

/** Default IPv4 pool. */
export const DEFAULT_IPV4_POOL = "172.16.0.0/12";
/** Default IPv6 pool. */
export const DEFAULT_IPV6_POOL = "fd42:6d73:62::/48";

/** Inputs for the address plan. Any explicit value overrides the pool-derived one. */
export interface AddressPlanInput {
  /** Sandbox slot, 0..65535 (default 0). */
  slot?: number;
  /** IPv4 pool CIDR (prefix /30 or shorter); default 172.16.0.0/12. `false` disables IPv4. */
  ipv4Pool?: string | false;
  /** IPv6 pool CIDR (prefix /64 or shorter); default fd42:6d73:62::/48. `false` disables IPv6. */
  ipv6Pool?: string | false;
  /** Explicit guest IPv4 address (then `gatewayIpv4` and `ipv4PrefixLen` may be given too). */
  guestIpv4?: string;
  gatewayIpv4?: string;
  ipv4PrefixLen?: number;
  /** Explicit guest IPv6 address (then `gatewayIpv6` may be given too; prefix is /64). */
  guestIpv6?: string;
  gatewayIpv6?: string;
  guestMac?: string;
  gatewayMac?: string;
  /** Link MTU (default 1500, range 576..65520). */
  mtu?: number;
}

/** The IPv4 side of the plan. */
export interface Ipv4Plan {
  readonly guest: Uint8Array;
  readonly gateway: Uint8Array;
  readonly prefixLen: number;
  readonly mask: Uint8Array;
  readonly broadcast: Uint8Array;
}

/** The IPv6 side of the plan. */
export interface Ipv6Plan {
  readonly guest: Uint8Array;
  readonly gateway: Uint8Array;
  /** The /64 prefix (first 8 bytes meaningful). */
  readonly prefix: Uint8Array;
  readonly prefixLen: 64;
  /** The gateway's link-local address fe80::1, used as the source of router advertisements. */
  readonly gatewayLinkLocal: Uint8Array;
}

/** The resolved address plan of one sandbox network. */
export interface AddressPlan {
  readonly slot: number;
  readonly guestMac: Uint8Array;
  readonly gatewayMac: Uint8Array;
  readonly mtu: number;
  readonly v4: Ipv4Plan | null;
  readonly v6: Ipv6Plan | null;
}

function parseCidr(s: string, v6: boolean): { addr: Uint8Array; len: number } {
  const slash = s.indexOf("/");
  if (slash === -1) throw new Error(`invalid ${v6 ? "IPv6" : "IPv4"} pool \`${s}\`: expected ADDRESS/PREFIX`);
  const addr = v6 ? parseIpv6Bytes(s.slice(0, slash)) : parseIpv4Bytes(s.slice(0, slash));
  const lenText = s.slice(slash + 1);
  const len = /^[0-9]{1,3}$/.test(lenText) ? Number(lenText) : NaN;
  if (!addr || !(len >= 0 && len <= (v6 ? 128 : 32))) {
    throw new Error(`invalid ${v6 ? "IPv6" : "IPv4"} pool \`${s}\`: expected ADDRESS/PREFIX`);
  }
  return { addr, len };
}

function maskBytes(len: number, n: number): Uint8Array {
  const m = new Uint8Array(n);
  for (let i = 0; i < n; i++) m[i] = len >= 8 * (i + 1) ? 0xff : len <= 8 * i ? 0 : (0xff << (8 - (len - 8 * i))) & 0xff;
  return m;
}

function v4num(b: Uint8Array): number {
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}
function v4bytes(n: number): Uint8Array {
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** Resolve the address plan. Throws with a message naming the bad input. */
export function planAddresses(input: AddressPlanInput = {}): AddressPlan {
  const slot = input.slot ?? 0;
  if (!Number.isInteger(slot) || slot < 0 || slot > 65535) throw new Error(`slot ${slot} out of range 0..65535`);
  const mtu = input.mtu ?? 1500;
  if (!Number.isInteger(mtu) || mtu < 576 || mtu > 65520) throw new Error(`mtu ${mtu} out of range 576..65520`);
  const macFor = (last: number, override: string | undefined, what: string): Uint8Array => {
    if (override !== undefined) {
      const m = parseMac(override);
      if (!m) throw new Error(`invalid ${what} MAC \`${override}\`: expected six hex octets aa:bb:cc:dd:ee:ff`);
      return m;
    }
    return Uint8Array.of(0x02, 0x6d, 0x73, slot >>> 8, slot & 0xff, last);
  };

  let v4: Ipv4Plan | null = null;
  if (input.guestIpv4 !== undefined) {
    const guest = parseIpv4Bytes(input.guestIpv4);
    if (!guest) throw new Error(`invalid guest IPv4 address \`${input.guestIpv4}\``);
    const prefixLen = input.ipv4PrefixLen ?? 30;
    if (prefixLen < 1 || prefixLen > 30) throw new Error(`IPv4 prefix /${prefixLen} out of range /1../30`);
    const gw = input.gatewayIpv4 !== undefined ? parseIpv4Bytes(input.gatewayIpv4) : v4bytes(v4num(guest) - 1);
    if (!gw) throw new Error(`invalid gateway IPv4 address \`${input.gatewayIpv4}\``);
    const mask = maskBytes(prefixLen, 4);
    v4 = { guest, gateway: gw, prefixLen, mask, broadcast: v4bytes((v4num(guest) | ~v4num(mask)) >>> 0) };
  } else if (input.ipv4Pool !== false) {
    const pool = parseCidr(input.ipv4Pool ?? DEFAULT_IPV4_POOL, false);
    if (pool.len > 30) throw new Error(`invalid IPv4 pool \`${input.ipv4Pool}\`: prefix must be /30 or shorter`);
    const size = 2 ** (32 - pool.len);
    if (4 * slot + 4 > size) throw new Error(`slot ${slot} does not fit in IPv4 pool ${input.ipv4Pool ?? DEFAULT_IPV4_POOL}`);
    const net = (v4num(pool.addr) & v4num(maskBytes(pool.len, 4))) >>> 0;
    const base = net + 4 * slot;
    v4 = { guest: v4bytes(base + 2), gateway: v4bytes(base + 1), prefixLen: 30, mask: maskBytes(30, 4), broadcast: v4bytes(base + 3) };
  }

  let v6: Ipv6Plan | null = null;
  const linkLocal = parseIpv6Bytes("fe80::1")!;
  if (input.guestIpv6 !== undefined) {
    const guest = parseIpv6Bytes(input.guestIpv6);
    if (!guest) throw new Error(`invalid guest IPv6 address \`${input.guestIpv6}\``);
    const prefix = Uint8Array.from(guest);
    prefix.fill(0, 8);
    let gateway: Uint8Array | null;
    if (input.gatewayIpv6 !== undefined) gateway = parseIpv6Bytes(input.gatewayIpv6);
    else {
      gateway = Uint8Array.from(prefix);
      gateway[15] = 1;
    }
    if (!gateway) throw new Error(`invalid gateway IPv6 address \`${input.gatewayIpv6}\``);
    v6 = { guest, gateway, prefix, prefixLen: 64, gatewayLinkLocal: linkLocal };
  } else if (input.ipv6Pool !== false) {
    const pool = parseCidr(input.ipv6Pool ?? DEFAULT_IPV6_POOL, true);
    if (pool.len > 64) throw new Error(`invalid IPv6 pool \`${input.ipv6Pool}\`: prefix must be /64 or shorter`);
    if (pool.len > 48 && slot >= 2 ** (64 - pool.len)) {
      throw new Error(`slot ${slot} does not fit in IPv6 pool ${input.ipv6Pool}`);
    }
    const prefix = Uint8Array.from(pool.addr);
    const m = maskBytes(pool.len, 16);
    for (let i = 0; i < 16; i++) prefix[i] = prefix[i]! & m[i]!;
    // network + (slot << 64): add the slot into bytes 6..7 with carry into the upper bytes.
    let carry = slot;
    for (let i = 7; i >= 0 && carry > 0; i--) {
      const v = prefix[i]! + (carry & 0xff);
      prefix[i] = v & 0xff;
      carry = (carry >>> 8) + (v >>> 8);
    }
    const guest = Uint8Array.from(prefix);
    guest[15] = 2;
    const gateway = Uint8Array.from(prefix);
    gateway[15] = 1;
    v6 = { guest, gateway, prefix, prefixLen: 64, gatewayLinkLocal: linkLocal };
  }
  return { slot, guestMac: macFor(2, input.guestMac, "guest"), gatewayMac: macFor(1, input.gatewayMac, "gateway"), mtu, v4, v6 };
}
