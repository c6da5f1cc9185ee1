/**
 * Conversions between the canonical settings ({@link KrunNetworkSettings}) and nerdbox's parsed
 * networks, with the checks that make every canonical network expressible as an annotation
 * (errors name the JSON path and say what is accepted).
 */
import { parseMAC, macString, isMulticastMAC } from "../go/mac.js";
import { parsePrefix, prefixString, type Prefix } from "../go/netip.js";
import { VIRTIO_NET_FEATURES, featureNames, type VirtioNetFeatureName } from "../nerdbox/features.js";
import type { NerdboxNetwork } from "../nerdbox/network.js";
import type { KrunNetwork } from "./types.js";

/** A canonical config that cannot be turned into annotations or libkrun calls. */
export class KrunConfigError extends Error {
  /** @param path JSON path of the offending value, e.g. `networks[0].addrs[1]`. */
  constructor(readonly path: string, detail: string) {
    super(`${path}: ${detail}`);
    this.name = "KrunConfigError";
  }
}

/**
 * Turn one canonical network into nerdbox's parsed form, with `socket` substituted when empty.
 * @throws KrunConfigError for a bad MAC, address, duplicate family, comma in the path or missing socket.
 */
export function toNerdboxNetwork(n: KrunNetwork, path: string, socket: string): NerdboxNetwork {
  if (socket === "") throw new KrunConfigError(`${path}.socket`, "empty, and no provider socket path was given for this network");
  if (socket.includes(",")) throw new KrunConfigError(`${path}.socket`, `${JSON.stringify(socket)} contains a comma, which nerdbox annotations cannot carry`);
  let mac: Uint8Array;
  try {
    mac = parseMAC(n.mac);
  } catch (e) {
    throw new KrunConfigError(`${path}.mac`, `${(e as Error).message}; expected six hex octets like 5a:94:ef:e4:0c:ee`);
  }
  if (mac.length !== 6) throw new KrunConfigError(`${path}.mac`, `${n.mac} has ${mac.length} octets; libkrun takes exactly 6`);
  if (isMulticastMAC(mac)) throw new KrunConfigError(`${path}.mac`, `${n.mac} has the multicast bit set; use a unicast MAC (first octet even)`);
  let addr4: Prefix | null = null;
  let addr6: Prefix | null = null;
  n.addrs.forEach((a, i) => {
    let p: Prefix;
    try {
      p = parsePrefix(a);
    } catch (e) {
      throw new KrunConfigError(`${path}.addrs[${i}]`, `${(e as Error).message}; expected an address with prefix length like 192.168.127.2/24`);
    }
    if (p.addr.is4) {
      if (addr4) throw new KrunConfigError(`${path}.addrs[${i}]`, "a second IPv4 address; at most one per family");
      addr4 = p;
    } else {
      if (addr6) throw new KrunConfigError(`${path}.addrs[${i}]`, "a second IPv6 address; at most one per family");
      addr6 = p;
    }
  });
  let features = 0;
  n.features.forEach((f, i) => {
    const bit = Object.hasOwn(VIRTIO_NET_FEATURES, f) ? VIRTIO_NET_FEATURES[f] : undefined;
    if (bit === undefined) throw new KrunConfigError(`${path}.features[${i}]`, `unknown feature ${JSON.stringify(f)}; accepted: ${Object.keys(VIRTIO_NET_FEATURES).join(", ")}`);
    features |= bit;
  });
  return { socket, mode: n.mode, mac, dhcp: n.dhcp, addr4, addr6, features, vfkit: n.vfkit, vnetHdr: n.vnet_hdr };
}

/** The canonical form of a parsed nerdbox network (MAC normalised, features by name in canonical order). */
export function fromNerdboxNetwork(n: NerdboxNetwork): KrunNetwork {
  const addrs: string[] = [];
  if (n.addr4) addrs.push(prefixString(n.addr4));
  if (n.addr6) addrs.push(prefixString(n.addr6));
  return {
    socket: n.socket,
    mode: n.mode,
    mac: macString(n.mac),
    dhcp: n.dhcp,
    addrs,
    features: featureNames(n.features) as VirtioNetFeatureName[],
    vfkit: n.vfkit,
    vnet_hdr: n.vnetHdr,
  };
}
