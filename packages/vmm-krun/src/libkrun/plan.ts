/**
 * The libkrun calls a set of nerdbox networks turns into (`krun_add_net_unixgram` /
 * `krun_add_net_unixstream` with path, fd -1, MAC, features, flags), the flag constants, and what
 * upstream libkrun v1.19 returns for each call (its own argument checks), so that combinations
 * libkrun rejects can be refused before a VM is started.
 */
import { macString } from "../go/mac.js";
import { NET_ALL_FEATURES } from "../nerdbox/features.js";
import type { NerdboxMode } from "../nerdbox/network.js";

/** libkrun `NET_FLAG_VFKIT`: send the 4-byte "VFKT" datagram after connecting (unixgram + path only). */
export const NET_FLAG_VFKIT = 1 << 0;
/** libkrun `NET_FLAG_DHCP_CLIENT` (upstream meaning of bit 1): adds `KRUN_DHCP=1` to the kernel command line. */
export const NET_FLAG_DHCP_CLIENT = 1 << 1;
/** nerdbox's name for bit 1 (`vnet_hdr=true`); only the unmerged libkrun PR #493 gives it this meaning. */
export const NERDBOX_NET_FLAG_INCLUDE_VNET_HEADER = 1 << 1;

/** Flags each upstream function accepts. */
export const ACCEPTED_FLAGS: Record<NetCall["fn"], number> = {
  krun_add_net_unixgram: NET_FLAG_VFKIT | NET_FLAG_DHCP_CLIENT,
  krun_add_net_unixstream: NET_FLAG_DHCP_CLIENT,
};

/** -EINVAL as libkrun returns it. */
export const EINVAL = -22;

/** One `krun_add_net_*` call, in the vector's spelling. */
export interface NetCall {
  /** Which libkrun function. */
  fn: "krun_add_net_unixgram" | "krun_add_net_unixstream";
  /** Socket path (`c_path`). */
  c_path: string;
  /** Always -1: nerdbox passes a path, never an fd. */
  fd: number;
  /** The MAC as parsed (libkrun reads its first 6 octets). */
  mac: string;
  /** virtio-net feature bits. */
  features: number;
  /** NET_FLAG_* bits. */
  flags: number;
}

/** What a call is built from: the parsed network fields that matter to libkrun. */
export interface NetCallSource {
  /** Provider socket path (`c_path`). */
  socket: string;
  /** Selects the function. */
  mode: NerdboxMode;
  /** MAC octets. */
  mac: Uint8Array;
  /** virtio-net feature bits. */
  features: number;
  /** Sets NET_FLAG_VFKIT. */
  vfkit: boolean;
  /** Sets bit 1 (nerdbox's vnet header flag). */
  vnetHdr: boolean;
}

/** The libkrun call for one network (nerdbox `SandboxOptions` + `krun.go`). */
export function netCall(n: NetCallSource): NetCall {
  let flags = 0;
  if (n.vfkit) flags |= NET_FLAG_VFKIT;
  if (n.vnetHdr) flags |= NERDBOX_NET_FLAG_INCLUDE_VNET_HEADER;
  return {
    fn: n.mode === "unixstream" ? "krun_add_net_unixstream" : "krun_add_net_unixgram",
    c_path: n.socket,
    fd: -1,
    mac: macString(n.mac),
    features: n.features,
    flags,
  };
}

/** What upstream libkrun v1.19 returns for a call: 0, or -EINVAL for bad path/fd, features or flags (`c_path` "" stands for NULL). */
export function upstreamResult(call: NetCall): number {
  // libkrun: a path together with fd >= 0, or neither (fd < 0 and no path), is -EINVAL.
  const hasPath = call.c_path !== "";
  if (hasPath === call.fd >= 0) return EINVAL;
  if ((call.features & ~NET_ALL_FEATURES) !== 0) return EINVAL;
  if ((call.flags & ~ACCEPTED_FLAGS[call.fn]) !== 0) return EINVAL;
  return 0;
}
