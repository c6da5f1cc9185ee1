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

/** Where the provider listens: one path for all empty-socket networks (only valid for one), one per network, or a function. */
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

function socketFor(sockets: ProviderSockets | undefined, i: number, emptyCount: number): string {
  if (sockets === undefined) return "";
  if (typeof sockets === "function") return sockets(i);
  if (typeof sockets === "string") {
    if (emptyCount > 1) throw new KrunConfigError("networks", `${emptyCount} networks have no socket but one provider path was given; each NIC needs its own socket`);
    return sockets;
  }
  return sockets[i] ?? "";
}

/**
 * Emit `io.containerd.nerdbox.network.<i>` annotations for `settings.networks`, in order (D7 keeps
 * that order on the way back). Networks with an empty `socket` get the provider's path.
 * @throws KrunConfigError naming the JSON path of anything that cannot be expressed.
 */
export function emitAnnotations(settings: Pick<KrunNetworkSettings, "networks">, providerSockets?: ProviderSockets): Record<string, string> {
  const out: Record<string, string> = {};
  const emptyCount = settings.networks.filter((n) => n.socket === "").length;
  settings.networks.forEach((n, i) => {
    const socket = n.socket !== "" ? n.socket : socketFor(providerSockets, i, emptyCount);
    out[`${NETWORK_ANNOTATION_PREFIX}${i}`] = annotationValue(toNerdboxNetwork(n, `networks[${i}]`, socket));
  });
  return out;
}
