/**
 * The canonical krun network settings (schemas/krun.schema.json, parsed form with defaults
 * applied). Hand-mirrored until codegen writes src/gen/; kept structurally identical to it.
 */
import type { VirtioNetFeatureName } from "../nerdbox/features.js";

/** One NIC, the parsed form of a nerdbox network annotation (snake_case wire names). */
export interface KrunNetwork {
  socket: string;
  mode: "unixstream" | "unixgram";
  mac: string;
  dhcp: boolean;
  addrs: string[];
  features: VirtioNetFeatureName[];
  vfkit: boolean;
  vnet_hdr: boolean;
}

/** One TSI port mapping. */
export interface TsiPortMapping {
  host_port: number;
  guest_port: number;
}

/** The whole krun network configuration. */
export interface KrunNetworkSettings {
  networks: KrunNetwork[];
  tsi_port_map: TsiPortMapping[];
}
