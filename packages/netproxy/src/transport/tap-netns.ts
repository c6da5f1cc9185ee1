/**
 * "netns mode": a TAP device inside a target network namespace (like `slirp4netns --configure`),
 * so an ordinary process tree in that namespace gets the policy-enforced network without a VM. The
 * native helper enters the namespace, creates and configures the TAP (MAC, MTU, address, default
 * route via the gateway, loopback up) and relays its frames to us. By default the TAP carries a
 * virtio_net_hdr with checksum and TCP segmentation offload, as QEMU's tap backend does, so TCP
 * crosses the relay in segments of up to 64 KiB whatever the MTU ({@link VnetLink}).
 */
import { startHelper, type HelperStatus } from "./native-helper.js";
import type { ObservableLink, StreamLinkOptions } from "./stream-link.js";
import { VNET_HDR_LEN, VnetLink } from "./vnet-link.js";

/** Largest frame a TAP with TSO hands over: a 65535-byte IP packet plus the Ethernet header. */
const TSO_MAX_FRAME = 65535 + 14;

/** How to set up the TAP inside the namespace. */
export interface TapConfig {
  /** Network namespace file: `/run/netns/NAME` or `/proc/PID/ns/net`. */
  netns: string;
  /** Interface name inside the namespace. Default `tap0`. */
  ifname?: string;
  /** The guest-side MAC (the namespace is the guest), e.g. `02:6d:73:00:00:02`. */
  mac?: string;
  /** Guest IPv4 address. */
  address?: string;
  /** Prefix length for `address`. Default 24. */
  prefixLength?: number;
  /** Default route via this gateway (the proxy's address). */
  gateway?: string;
  /** Interface MTU. Default 1500. */
  mtu?: number;
  /** Guest IPv6 address (static; DAD is off on the TAP). */
  address6?: string;
  /** Prefix length for `address6`. Default 64. */
  prefixLength6?: number;
  /** IPv6 default route via this gateway. */
  gateway6?: string;
  /** Disable IPv6 on the TAP (no RS/MLD chatter, for stacks without IPv6). Default false. */
  disableIpv6?: boolean;
  /** Checksum and TCP segmentation offload through a virtio_net_hdr (IFF_VNET_HDR). Default true. */
  offloads?: boolean;
}

/**
 * Create and configure the TAP in `cfg.netns` and return its frame link (frames up to MTU + 14, or
 * up to 64 KiB TCP segments with offloads).
 */
export async function openTapInNetns(cfg: TapConfig, opts: StreamLinkOptions & { onStatus?: (s: HelperStatus) => void } = {}): Promise<ObservableLink> {
  const mtu = cfg.mtu ?? 1500;
  const args = ["tap", "--netns", cfg.netns, "--ifname", cfg.ifname ?? "tap0", "--mtu", String(mtu)];
  if (cfg.mac) args.push("--mac", cfg.mac);
  if (cfg.address) args.push("--addr", `${cfg.address}/${cfg.prefixLength ?? 24}`);
  if (cfg.gateway) args.push("--gateway", cfg.gateway);
  if (cfg.address6) args.push("--addr6", `${cfg.address6}/${cfg.prefixLength6 ?? 64}`);
  if (cfg.gateway6) args.push("--gateway6", cfg.gateway6);
  if (cfg.disableIpv6) args.push("--disable-ipv6");
  const name = opts.name ?? `netns:${cfg.netns}`;
  if (cfg.offloads === false) return (await startHelper(args, { maxFrameSize: mtu + 14, ...opts, name })).link;
  args.push("--vnet-hdr");
  const h = await startHelper(args, { ...opts, maxFrameSize: Math.max(TSO_MAX_FRAME, mtu + 14) + VNET_HDR_LEN, name });
  return new VnetLink(h.link);
}
