/**
 * One `io.containerd.nerdbox.ctr.network.*` annotation value: a container NIC inside the VM
 * (nerdbox `internal/shim/task/ctrnetworking.go` parseCtrNetwork), and the `ctr.dns` annotation
 * that becomes the container's resolv.conf. Errors are the inner texts (without the
 * `failed to parse container network annotation: ` wrapper).
 */
import { parseMAC, macString, isMulticastMAC } from "../go/mac.js";
import { parseAddr, parsePrefix, prefixString, addrString, type Addr, type Prefix } from "../go/netip.js";
import { GoError } from "../go/strconv.js";

/** Linux IFNAMSIZ: interface names are at most 15 bytes. */
const IF_NAME_SIZE = 16;

/** A parsed container network (nerdbox `nwcfg.Network`). */
export interface CtrNetwork {
  /** MAC of the VM NIC this container network hangs off (required, normalised). */
  vmMAC: string;
  /** The container interface's MAC, "" when not set. */
  mac: string;
  /** Container addresses with prefix length, in order (any number, any family). */
  addrs: Prefix[];
  /** Container interface name, "" when not set. */
  ifName: string;
  /** IPv4 default gateway, or null. */
  defaultGw4: Addr | null;
  /** IPv6 default gateway, or null. */
  defaultGw6: Addr | null;
}

/** The JSON view of a {@link CtrNetwork}: nwcfg's JSON with empty fields omitted. */
export interface CtrNetworkJSON {
  /** MAC of the VM NIC. */
  vmMAC: string;
  /** Container interface MAC, when set. */
  mac?: string;
  /** Container addresses, when any. */
  addrs?: string[];
  /** Container interface name, when set. */
  ifName?: string;
  /** IPv4 default gateway, when set. */
  defaultGw4?: string;
  /** IPv6 default gateway, when set. */
  defaultGw6?: string;
}

/**
 * Parse one `ctr.network` annotation value.
 * @throws GoError with nerdbox's inner error text, e.g. `'vmmac' is missing`.
 */
export function parseCtrNetwork(annotation: string): CtrNetwork {
  const n: CtrNetwork = { vmMAC: "", mac: "", addrs: [], ifName: "", defaultGw4: null, defaultGw6: null };
  for (const field of annotation.split(",")) {
    const eq = field.indexOf("=");
    if (eq < 0) throw new GoError(`invalid container network field: ${field}`);
    const key = field.slice(0, eq);
    const value = field.slice(eq + 1);
    switch (key) {
      case "vmmac": {
        if (n.vmMAC !== "") throw new GoError("multiple VM MAC addresses specified");
        const hw = wrap("parsing MAC address", () => parseMAC(value));
        if (isMulticastMAC(hw)) throw new GoError(`invalid VM MAC address ${value}: multicast bit is set`);
        n.vmMAC = macString(hw);
        break;
      }
      case "mac": {
        if (n.mac !== "") throw new GoError("multiple container MAC addresses specified");
        const hw = wrap("parsing container MAC address", () => parseMAC(value));
        if (isMulticastMAC(hw)) throw new GoError(`invalid container MAC address ${value}: multicast bit is set`);
        n.mac = macString(hw);
        break;
      }
      case "addr":
        n.addrs.push(wrap("parsing container address", () => parsePrefix(value)));
        break;
      case "gw": {
        const a = wrap("parsing gateway address", () => parseAddr(value));
        if (a.is4) {
          if (n.defaultGw4) throw new GoError("multiple IPv4 gateways specified");
          n.defaultGw4 = a;
        } else {
          if (n.defaultGw6) throw new GoError("multiple IPv6 gateways specified");
          n.defaultGw6 = a;
        }
        break;
      }
      case "ifname": {
        const bytes = Buffer.from(value, "utf8");
        if (bytes.length >= IF_NAME_SIZE) {
          const head = bytes.subarray(0, IF_NAME_SIZE - 1).toString("utf8");
          throw new GoError(`interface name has more than ${IF_NAME_SIZE - 1} characters: ${head}...`);
        }
        n.ifName = value;
        break;
      }
      default:
        throw new GoError(`unknown network field: ${key}`);
    }
  }
  if (n.vmMAC === "") throw new GoError("'vmmac' is missing");
  return n;
}

function wrap<T>(prefix: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new GoError(`${prefix}: ${(e as Error).message}`);
  }
}

/** JSON view with nwcfg's omitempty/omitzero rules (only `vmMAC` always present). */
export function ctrNetworkToJSON(n: CtrNetwork): CtrNetworkJSON {
  const out: CtrNetworkJSON = { vmMAC: n.vmMAC };
  if (n.mac) out.mac = n.mac;
  if (n.addrs.length) out.addrs = n.addrs.map(prefixString);
  if (n.ifName) out.ifName = n.ifName;
  if (n.defaultGw4) out.defaultGw4 = addrString(n.defaultGw4);
  if (n.defaultGw6) out.defaultGw6 = addrString(n.defaultGw6);
  return out;
}

/**
 * The container resolv.conf nerdbox writes from `io.containerd.nerdbox.ctr.dns`: split on `,`, each
 * field cut at the first `=`, written as `key value` (or just `key`) lines.
 */
export function ctrResolvConf(csv: string): string {
  let out = "";
  for (const field of csv.split(",")) {
    const eq = field.indexOf("=");
    out += eq < 0 ? field : `${field.slice(0, eq)} ${field.slice(eq + 1)}`;
    out += "\n";
  }
  return out;
}
