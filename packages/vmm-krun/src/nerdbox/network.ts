/**
 * One `io.containerd.nerdbox.network.*` annotation value, parsed exactly like nerdbox's shim
 * (`internal/shim/task/networking.go` parseNetwork): split on every `,`, each field split on the
 * first `=`, case-sensitive untrimmed keys, last value wins except `addr` (one per family), and the
 * fixed "missing required field(s)" text. Errors are the inner texts (without the
 * `failed to parse network annotation: ` wrapper).
 */
import { parseMAC, macString, isMulticastMAC } from "../go/mac.js";
import { parsePrefix, prefixString, type Prefix } from "../go/netip.js";
import { GoError, parseBool } from "../go/strconv.js";
import { parseFeatures } from "./features.js";

/** How libkrun reaches the network provider's socket. */
export type NerdboxMode = "unixgram" | "unixstream";

/** A parsed VM network (nerdbox's `network` struct). */
export interface NerdboxNetwork {
  /** Path of the provider's AF_UNIX socket (field `socket`). */
  socket: string;
  /** `unixgram` (SOCK_DGRAM) or `unixstream` (SOCK_STREAM). */
  mode: NerdboxMode;
  /** MAC octets as `net.ParseMAC` returned them (6, 8 or 20 octets). */
  mac: Uint8Array;
  /** Whether the guest runs a DHCPv4 client on this NIC. */
  dhcp: boolean;
  /** The IPv4 prefix (`addr=`), or null. */
  addr4: Prefix | null;
  /** The IPv6 prefix (including IPv4-mapped ones), or null. */
  addr6: Prefix | null;
  /** virtio-net feature bits. */
  features: number;
  /** Send the VFKT magic after connecting (libkrun flag bit 0). */
  vfkit: boolean;
  /** nerdbox's "include vnet header" flag (bit 1; upstream libkrun reads bit 1 as NET_FLAG_DHCP_CLIENT). */
  vnetHdr: boolean;
}

/** The JSON view of a {@link NerdboxNetwork}, as the conformance vectors spell it. */
export interface NerdboxNetworkJSON {
  /** Provider socket path. */
  socket: string;
  /** Socket type. */
  mode: NerdboxMode;
  /** MAC, lower case with colons (all octets, 6, 8 or 20). */
  mac: string;
  /** DHCPv4 in the guest. */
  dhcp: boolean;
  /** IPv4 prefix as Go prints it, or null. */
  addr4: string | null;
  /** IPv6 prefix as Go prints it, or null. */
  addr6: string | null;
  /** virtio-net feature bits. */
  features: number;
  /** VFKT flag. */
  vfkit: boolean;
  /** nerdbox's vnet_hdr flag. */
  vnetHdr: boolean;
}

/** The fixed error nerdbox returns when `socket`, `mode` or `mac` is missing (whichever it is). */
export const MISSING_REQUIRED = "missing required field(s): endpoint, mode, mac";

/**
 * Parse one annotation value.
 * @throws GoError with nerdbox's inner error text, e.g. `invalid network mode: tcp`.
 */
export function parseNetwork(annotation: string): NerdboxNetwork {
  let socket = "";
  let mode: NerdboxMode | "" = "";
  let mac: Uint8Array | null = null;
  const n = { dhcp: false, addr4: null as Prefix | null, addr6: null as Prefix | null, features: 0, vfkit: false, vnetHdr: false };
  for (const field of annotation.split(",")) {
    const eq = field.indexOf("=");
    if (eq < 0) throw new GoError(`invalid network field: ${field}`);
    const key = field.slice(0, eq);
    const value = field.slice(eq + 1);
    switch (key) {
      case "socket":
        socket = value;
        break;
      case "mode":
        if (value !== "unixgram" && value !== "unixstream") throw new GoError(`invalid network mode: ${value}`);
        mode = value;
        break;
      case "mac": {
        let hw: Uint8Array;
        try {
          hw = parseMAC(value);
        } catch (e) {
          throw new GoError(`parsing MAC address: ${(e as Error).message}`);
        }
        if (isMulticastMAC(hw)) throw new GoError("invalid MAC address: multicast bit is set");
        mac = hw;
        break;
      }
      case "dhcp":
        n.dhcp = wrapBool("parsing DHCP field", value);
        break;
      case "addr": {
        let p: Prefix;
        try {
          p = parsePrefix(value);
        } catch (e) {
          throw new GoError(`parsing address: ${(e as Error).message}`);
        }
        if (p.addr.is4) {
          if (n.addr4) throw new GoError("multiple IPv4 addresses specified");
          n.addr4 = p;
        } else {
          if (n.addr6) throw new GoError("multiple IPv6 addresses specified");
          n.addr6 = p;
        }
        break;
      }
      case "features":
        try {
          n.features = parseFeatures(value);
        } catch (e) {
          throw new GoError(`parsing features: ${(e as Error).message}`);
        }
        break;
      case "vfkit":
        n.vfkit = wrapBool("parsing vfkit field", value);
        break;
      case "vnet_hdr":
        n.vnetHdr = wrapBool("parsing vnet_hdr field", value);
        break;
      default:
        throw new GoError(`unknown network field: ${key}`);
    }
  }
  if (socket === "" || mode === "" || mac === null) throw new GoError(MISSING_REQUIRED);
  return { socket, mode, mac, ...n };
}

function wrapBool(prefix: string, value: string): boolean {
  try {
    return parseBool(value);
  } catch (e) {
    throw new GoError(`${prefix}: ${(e as Error).message}`);
  }
}

/** The JSON view used by vectors and reports (MAC normalised, prefixes as Go prints them). */
export function networkToJSON(n: NerdboxNetwork): NerdboxNetworkJSON {
  return {
    socket: n.socket,
    mode: n.mode,
    mac: macString(n.mac),
    dhcp: n.dhcp,
    addr4: n.addr4 ? prefixString(n.addr4) : null,
    addr6: n.addr6 ? prefixString(n.addr6) : null,
    features: n.features,
    vfkit: n.vfkit,
    vnetHdr: n.vnetHdr,
  };
}
