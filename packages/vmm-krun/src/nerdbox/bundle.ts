/**
 * nerdbox's shim-side reading of a bundle's OCI annotations (`FromBundle` for VM networks, then
 * `fromBundle` for container networks, then the `ctr.dns` resolv.conf): which keys are consumed and
 * stripped, in D7 order, with the wrapped error texts. Also the `-network=` init arguments.
 */
import { GoError } from "../go/strconv.js";
import { parseNetwork, type NerdboxNetwork } from "./network.js";
import { parseCtrNetwork, ctrResolvConf, type CtrNetwork } from "./ctr-network.js";
import { keysWithPrefix, compareNames } from "./order.js";
import { guestArgString } from "./guest.js";

/** Prefix of VM network annotations (trailing dot included; the suffix is never validated). */
export const NETWORK_ANNOTATION_PREFIX = "io.containerd.nerdbox.network.";
/** Prefix of container network annotations. */
export const CTR_NETWORK_ANNOTATION_PREFIX = "io.containerd.nerdbox.ctr.network.";
/** The container DNS annotation (CSV of key=value, one resolv.conf line each). */
export const CTR_DNS_ANNOTATION = "io.containerd.nerdbox.ctr.dns";

/** Everything the shim takes from the annotations. */
export interface NerdboxBundle {
  /** VM networks in D7 order (= NIC order eth0, eth1, …). */
  networks: NerdboxNetwork[];
  /** Container networks in D7 order. */
  ctrNetworks: CtrNetwork[];
  /** The container resolv.conf from `ctr.dns`, or null when that annotation is absent. */
  ctrResolvConf: string | null;
  /** Keys removed before the spec reaches the guest, in processing order. */
  stripped: string[];
  /** Keys passed through to the guest untouched, in byte order. */
  kept: string[];
}

/** A failure of `FromBundle`, carrying the full wrapped message. */
export class NerdboxAnnotationError extends Error {
  /** @param message the full message, e.g. `failed to parse network annotation: invalid network mode: tcp`. */
  constructor(message: string, readonly key: string) {
    super(message);
    this.name = "NerdboxAnnotationError";
  }
}

/**
 * Parse every nerdbox network annotation of a bundle.
 * @throws NerdboxAnnotationError with nerdbox's exact text (`failed to parse network annotation: …`
 *   or `failed to parse container network annotation: …`) for the first bad annotation in D7 order.
 */
export function fromAnnotations(annotations: Record<string, string>): NerdboxBundle {
  const stripped: string[] = [];
  const networks: NerdboxNetwork[] = [];
  for (const key of keysWithPrefix(annotations, NETWORK_ANNOTATION_PREFIX)) {
    stripped.push(key);
    try {
      networks.push(parseNetwork(annotations[key]!));
    } catch (e) {
      if (!(e instanceof GoError)) throw e;
      throw new NerdboxAnnotationError(`failed to parse network annotation: ${e.message}`, key);
    }
  }
  const ctrNetworks: CtrNetwork[] = [];
  for (const key of keysWithPrefix(annotations, CTR_NETWORK_ANNOTATION_PREFIX)) {
    stripped.push(key);
    try {
      ctrNetworks.push(parseCtrNetwork(annotations[key]!));
    } catch (e) {
      if (!(e instanceof GoError)) throw e;
      throw new NerdboxAnnotationError(`failed to parse container network annotation: ${e.message}`, key);
    }
  }
  let rc: string | null = null;
  if (Object.hasOwn(annotations, CTR_DNS_ANNOTATION)) {
    rc = ctrResolvConf(annotations[CTR_DNS_ANNOTATION]!);
    stripped.push(CTR_DNS_ANNOTATION);
  }
  const strippedSet = new Set(stripped);
  const kept = Object.keys(annotations).filter((k) => !strippedSet.has(k)).sort(compareNames);
  return { networks, ctrNetworks, ctrResolvConf: rc, stripped, kept };
}

/** nerdbox `InitArgs`: one `-network=mac=…[,dhcp=true][,addr=v4][,addr=v6]` per network, in order. */
export function initArgs(networks: readonly NerdboxNetwork[]): string[] {
  return networks.map((n) => `-network=${guestArgString(n)}`);
}
