/**
 * nerdbox's `features` field: the eight virtio-net feature names it knows, their bit values (the
 * same as libkrun's `NET_FEATURE_*`), and the `|`-separated name list parser with its error text.
 */
import { GoError } from "../go/strconv.js";

/** Feature names accepted in `features=`, in nerdbox's canonical order, with their bit values. */
export const VIRTIO_NET_FEATURES = {
  VIRTIO_NET_F_CSUM: 1 << 0,
  VIRTIO_NET_F_GUEST_CSUM: 1 << 1,
  VIRTIO_NET_F_GUEST_TSO4: 1 << 7,
  VIRTIO_NET_F_GUEST_TSO6: 1 << 8,
  VIRTIO_NET_F_GUEST_UFO: 1 << 10,
  VIRTIO_NET_F_HOST_TSO4: 1 << 11,
  VIRTIO_NET_F_HOST_TSO6: 1 << 12,
  VIRTIO_NET_F_HOST_UFO: 1 << 14,
} as const;

/** One of the feature names nerdbox accepts. */
export type VirtioNetFeatureName = keyof typeof VIRTIO_NET_FEATURES;

/** Every bit libkrun accepts in `features` (0x5D83); anything outside makes `krun_add_net_*` return -EINVAL. */
export const NET_ALL_FEATURES = Object.values(VIRTIO_NET_FEATURES).reduce((a, b) => a | b, 0);

/** libkrun's COMPAT_NET_FEATURES (what the legacy passt/gvproxy calls enable): 0x4C83. */
export const COMPAT_NET_FEATURES =
  VIRTIO_NET_FEATURES.VIRTIO_NET_F_CSUM |
  VIRTIO_NET_FEATURES.VIRTIO_NET_F_GUEST_CSUM |
  VIRTIO_NET_FEATURES.VIRTIO_NET_F_GUEST_TSO4 |
  VIRTIO_NET_FEATURES.VIRTIO_NET_F_GUEST_UFO |
  VIRTIO_NET_FEATURES.VIRTIO_NET_F_HOST_TSO4 |
  VIRTIO_NET_FEATURES.VIRTIO_NET_F_HOST_UFO;

/**
 * Parse a `features=` value: split on `|` (no trimming), each name matched exactly, bits OR-ed.
 * @throws GoError `unknown feature: <name>` (an empty value yields an empty name).
 */
export function parseFeatures(value: string): number {
  let bits = 0;
  for (const name of value.split("|")) {
    const bit = (VIRTIO_NET_FEATURES as Record<string, number>)[name];
    if (bit === undefined || !Object.hasOwn(VIRTIO_NET_FEATURES, name)) throw new GoError(`unknown feature: ${name}`);
    bits |= bit;
  }
  return bits >>> 0;
}

/** The names of the known bits set in `bits`, in canonical order (unknown bits are ignored). */
export function featureNames(bits: number): VirtioNetFeatureName[] {
  return (Object.keys(VIRTIO_NET_FEATURES) as VirtioNetFeatureName[]).filter((n) => (bits & VIRTIO_NET_FEATURES[n]) !== 0);
}
