/**
 * The guest side of nerdbox networking: vminitd's `-network=` flag parser
 * (`pkg/vminit/initd/networking.go`, with `vmnetworking.Network.Validate`) and what `SetupVM` derives
 * from it — the gateway (first address of the subnet, or DHCP option 3) and `/etc/resolv.conf`
 * (`nameserver <gateway>` per NIC, in network order).
 */
import { parseMAC, macString } from "../go/mac.js";
import { parsePrefix, prefixString, prefixMasked, addrNext, addrString, type Prefix } from "../go/netip.js";
import { goQuote } from "../go/quote.js";
import { GoError, parseBool } from "../go/strconv.js";

/** One guest network as vminitd holds it. */
export interface GuestNetwork {
  /** NIC MAC octets. */
  mac: Uint8Array;
  /** IPv4 prefix or null (a repeated family overwrites: vminitd does not reject it). */
  addr4: Prefix | null;
  /** IPv6 prefix or null. */
  addr6: Prefix | null;
  /** DHCPv4 on this NIC. */
  dhcp: boolean;
}

/** Gateway text the vectors use for a DHCP network: decided at run time by the lease. */
export const DHCP_GATEWAY = "first DHCP option-3 router";
/** resolv.conf text the vectors use for a DHCP network. */
export const DHCP_RESOLV_CONF = "nameserver <router> (DHCP option 6 is ignored)\n";

/**
 * Parse one `-network` value like vminitd's `Networks.Set`.
 * @throws GoError e.g. `invalid network "mac=…,dhcp=true,addr=…": cannot specify both addr and dhcp`.
 */
export function parseGuestArg(value: string): GuestNetwork {
  let mac: Uint8Array | null = null;
  let addr4: Prefix | null = null;
  let addr6: Prefix | null = null;
  let dhcp = false;
  for (const kv of value.split(",")) {
    const parts = kv.split("=");
    if (parts.length !== 2) {
      throw new GoError(`invalid network ${goQuote(value)}: expected format: mac=<mac>,[addr=<addr>|dhcp=<dhcp>]`);
    }
    const [k, v] = parts as [string, string];
    switch (k) {
      case "mac":
        try {
          mac = parseMAC(v);
        } catch (e) {
          throw new GoError(`invalid MAC address: ${(e as Error).message}`);
        }
        break;
      case "addr": {
        let p: Prefix;
        try {
          p = parsePrefix(v);
        } catch (e) {
          throw new GoError(`invalid IP address: ${(e as Error).message}`);
        }
        if (p.addr.is4) addr4 = p;
        else addr6 = p;
        break;
      }
      case "dhcp":
        try {
          dhcp = parseBool(v);
        } catch (e) {
          throw new GoError(`invalid DHCP field: ${(e as Error).message}`);
        }
        break;
      default:
        throw new GoError(`invalid network ${goQuote(value)}: unknown field ${goQuote(k)}`);
    }
  }
  if (mac === null) throw new GoError(`invalid network ${goQuote(value)}: must specify MAC address`);
  if ((addr4 || addr6) && dhcp) throw new GoError(`invalid network ${goQuote(value)}: cannot specify both addr and dhcp`);
  return { mac, addr4, addr6, dhcp };
}

/** vminitd's `Networks.String` for one network: `mac=…[,dhcp=true][,addr=v4][,addr=v6]`. */
export function guestArgString(n: { mac: Uint8Array; dhcp: boolean; addr4: Prefix | null; addr6: Prefix | null }): string {
  const fields = [`mac=${macString(n.mac)}`];
  if (n.dhcp) fields.push("dhcp=true");
  if (n.addr4) fields.push(`addr=${prefixString(n.addr4)}`);
  if (n.addr6) fields.push(`addr=${prefixString(n.addr6)}`);
  return fields.join(",");
}

/**
 * The gateway `SetupVM` assumes for a static network: network address + 1 of the IPv4 prefix, else
 * of the IPv6 prefix; null when there is no address (L2-only) or the successor wraps.
 */
export function staticGateway(n: { addr4: Prefix | null; addr6: Prefix | null }): string | null {
  const p = n.addr4 ?? n.addr6;
  if (!p) return null;
  const next = addrNext(prefixMasked(p).addr);
  return next ? addrString(next) : null;
}

/** What the guest ends up with for one network: the vector shape of `nerdbox_guest_arg`. */
export interface GuestView {
  /** NIC MAC, normalised. */
  mac: string;
  /** IPv4 prefix or null. */
  addr4: string | null;
  /** IPv6 prefix or null. */
  addr6: string | null;
  /** DHCPv4 on this NIC. */
  dhcp: boolean;
  /** Gateway the guest assumes (static), {@link DHCP_GATEWAY} for DHCP, null for L2-only. */
  gateway: string | null;
  /** resolv.conf contribution of this NIC. */
  resolvConf: string;
  /** vminitd's `Networks.String()` of the parsed value. */
  roundTrip: string;
}

/** Derive the guest's view (gateway, resolv.conf, `String()` round trip) of one parsed network. */
export function guestView(n: GuestNetwork): GuestView {
  const gateway = n.dhcp ? DHCP_GATEWAY : staticGateway(n);
  return {
    mac: macString(n.mac),
    addr4: n.addr4 ? prefixString(n.addr4) : null,
    addr6: n.addr6 ? prefixString(n.addr6) : null,
    dhcp: n.dhcp,
    gateway,
    resolvConf: n.dhcp ? DHCP_RESOLV_CONF : resolvConf([gateway]),
    roundTrip: guestArgString(n),
  };
}

/** `SetupVM`'s resolv.conf: one `nameserver` line per valid gateway in order, newline-terminated ("" if none). */
export function resolvConf(gateways: readonly (string | null)[]): string {
  const lines = gateways.filter((g): g is string => g !== null).map((g) => `nameserver ${g}`);
  lines.push("");
  return lines.join("\n");
}

/** What `SetupVM` derives from all of a VM's networks together. */
export interface GuestSetup {
  /** Gateway of the default route: the first network that yields one (null when none does). */
  gateway: string | null;
  /** `/etc/resolv.conf`: `nameserver <gateway>` for every network's gateway, in network order. */
  resolvConf: string;
}

/**
 * The default route and resolv.conf nerdbox's guest sets up for `networks` in order. A DHCP
 * network's gateway is only known at run time; it appears as {@link DHCP_GATEWAY} and its
 * nameserver line as in {@link DHCP_RESOLV_CONF} (the same texts as the guest-arg vectors).
 */
export function guestSetup(networks: readonly { dhcp: boolean; addr4: Prefix | null; addr6: Prefix | null }[]): GuestSetup {
  const gws = networks.map((n) => (n.dhcp ? DHCP_GATEWAY : staticGateway(n)));
  const lines = gws.filter((g): g is string => g !== null).map((g) => (g === DHCP_GATEWAY ? DHCP_RESOLV_CONF.trimEnd() : `nameserver ${g}`));
  lines.push("");
  return { gateway: gws.find((g) => g !== null) ?? null, resolvConf: lines.join("\n") };
}
