/**
 * The inverse of the annotation parser: nerdbox annotations for a canonical krun network config,
 * with the provider's (netproxy's) socket path filled in for networks whose `socket` is empty.
 * Every emitted value parses back to the same network (tested as a round trip).
 */
import { macString } from "../go/mac.js";
import { prefixString } from "../go/netip.js";
import { featureNames } from "./features.js";
import { NETWORK_ANNOTATION_PREFIX } from "./bundle.js";
import type { NerdboxNetwork } from "./network.js";
import { toNerdboxNetwork, KrunConfigError } from "../config/convert.js";
import type { KrunNetworkSettings } from "../config/types.js";

/**
 * Where the provider listens, for the networks whose `socket` is empty: one path (only valid when
 * one network needs it), a list consumed in order by those networks, or a function of the
 * network's index.
 */
export type ProviderSockets = string | readonly string[] | ((index: number) => string);

/** The annotation value nerdbox parses back into `n` (fields in nerdbox's documented order). */
export function annotationValue(n: NerdboxNetwork): string {
  const fields = [`socket=${n.socket}`, `mode=${n.mode}`, `mac=${macString(n.mac)}`];
  if (n.dhcp) fields.push("dhcp=true");
  if (n.addr4) fields.push(`addr=${prefixString(n.addr4)}`);
  if (n.addr6) fields.push(`addr=${prefixString(n.addr6)}`);
  if (n.features) fields.push(`features=${featureNames(n.features).join("|")}`);
  if (n.vfkit) fields.push("vfkit=true");
  if (n.vnetHdr) fields.push("vnet_hdr=true");
  return fields.join(",");
}

/**
 * The socket path of every network: its own `socket`, else the next provider path.
 * @throws KrunConfigError when a network is left without a socket or paths are left over.
 */
export function resolveSockets(networks: readonly { socket: string }[], providerSockets?: ProviderSockets): string[] {
  const empty = networks.map((n, i) => (n.socket === "" ? i : -1)).filter((i) => i >= 0);
  if (typeof providerSockets === "string" && empty.length > 1) {
    throw new KrunConfigError("networks", `${empty.length} networks have no socket but one provider path was given; each NIC needs its own socket`);
  }
  if (Array.isArray(providerSockets) && providerSockets.length > empty.length) {
    throw new KrunConfigError("networks", `${providerSockets.length} provider socket paths for ${empty.length} network(s) without a socket`);
  }
  let next = 0;
  return networks.map((n, i) => {
    if (n.socket !== "") return n.socket;
    if (providerSockets === undefined) return "";
    if (typeof providerSockets === "function") return providerSockets(i);
    if (typeof providerSockets === "string") return providerSockets;
    return (providerSockets as readonly string[])[next++] ?? "";
  });
}

/**
 * Emit `io.containerd.nerdbox.network.<i>` annotations for `settings.networks`, in order (D7 keeps
 * that order on the way back). Networks with an empty `socket` get the provider's path.
 * @throws KrunConfigError naming the JSON path of anything that cannot be expressed.
 */
export function emitAnnotations(settings: Pick<KrunNetworkSettings, "networks">, providerSockets?: ProviderSockets): Record<string, string> {
  const out: Record<string, string> = {};
  const sockets = resolveSockets(settings.networks, providerSockets);
  settings.networks.forEach((n, i) => {
    out[`${NETWORK_ANNOTATION_PREFIX}${i}`] = annotationValue(toNerdboxNetwork(n, `networks[${i}]`, sockets[i]!));
  });
  return out;
}
