/**
 * @sandbox/netproxy as the network provider of a libkrun NIC: starts netproxy listening on a unix
 * socket in the NIC's mode (`unixstream`: length-prefixed frames; `unixgram`: one frame per
 * datagram, VFKT-aware, locked to the first peer), reads netproxy's address plan, checks it meets
 * what nerdbox's guest assumes (gateway = first address of the subnet, DNS on the gateway), and
 * returns the canonical NIC plus its `io.containerd.nerdbox.network.<n>` annotation.
 */
import { macString } from "../go/mac.js";
import { addrString, parsePrefix } from "../go/netip.js";
import { staticGateway } from "../nerdbox/guest.js";
import { annotationValue } from "../nerdbox/emit.js";
import { NETWORK_ANNOTATION_PREFIX } from "../nerdbox/bundle.js";
import { toNerdboxNetwork } from "../config/convert.js";
import type { KrunNetwork } from "../config/types.js";

/** The part of @sandbox/netproxy's `Netproxy` handle this provider uses. */
export interface NetproxyHandle {
  readonly address: string;
  readonly addresses: {
    readonly guestMac: Uint8Array;
    readonly mtu: number;
    readonly v4: { readonly guest: Uint8Array; readonly gateway: Uint8Array; readonly prefixLen: number } | null;
    readonly v6: { readonly guest: Uint8Array; readonly gateway: Uint8Array; readonly prefixLen: number } | null;
  };
  readonly attached: Promise<void>;
  readonly closed: Promise<Error | undefined>;
  /** Counters, as netproxy's control channel reports them (link frames in/out among them). */
  stats?(): { link: { rx_frames: number; tx_frames: number } };
  close(): Promise<void>;
}

/** The part of `startNetproxy`'s options this provider passes. */
export interface StartNetproxyLike {
  (opts: { config: unknown; listen: string; controlSocket?: string; slot?: number; onEvent?: (e: unknown) => void }): Promise<NetproxyHandle>;
}

/** @sandbox/netproxy (or the piece this provider needs) is not available. */
export class ProviderUnavailableError extends Error {
  constructor(detail: string) {
    super(`@sandbox/netproxy cannot serve as the libkrun network provider: ${detail}`);
    this.name = "ProviderUnavailableError";
  }
}

/** Load `startNetproxy` from @sandbox/netproxy, or explain why it is not there. */
export async function loadStartNetproxy(): Promise<StartNetproxyLike> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import("@sandbox/netproxy")) as Record<string, unknown>;
  } catch (e) {
    throw new ProviderUnavailableError(`importing it failed: ${(e as Error).message}`);
  }
  if (typeof mod.startNetproxy !== "function") throw new ProviderUnavailableError("it does not export startNetproxy (yet)");
  return mod.startNetproxy as StartNetproxyLike;
}

/** Options of {@link startNetproxyProvider}. */
export interface NetproxyProviderOptions {
  /** The sandbox network config (@sandbox/core wire format: policy, dns, interface, ports, …). */
  config: unknown;
  /** Socket type libkrun will use for this NIC. */
  mode: "unixstream" | "unixgram";
  /** Where netproxy listens (libkrun connects here at VM start); at most 107 bytes, no comma. */
  socketPath: string;
  /** Annotation index: the key is `io.containerd.nerdbox.network.<index>` (D7: `.0` = eth0 = default route). Default 0. */
  index?: number;
  /** `static` (default): pass netproxy's guest address as `addr=` (nerdbox's guest configures it directly). `dhcp`: `dhcp=true`, netproxy's DHCP server (rapid commit, MTU option) hands it out. */
  addressing?: "static" | "dhcp";
  /** unixgram only: ask libkrun to send VFKT first (netproxy consumes it and locks the peer at once). Default true. */
  vfkit?: boolean;
  /** netproxy control channel socket. */
  controlSocket?: string;
  /** Sandbox slot for netproxy's address plan. */
  slot?: number;
  /** netproxy control events. */
  onEvent?: (e: unknown) => void;
  /** Injected `startNetproxy` (default: the one exported by @sandbox/netproxy). */
  startNetproxy?: StartNetproxyLike;
}

/** A running provider for one NIC. */
export interface NetproxyProvider {
  /** The canonical NIC, `socket` filled in. */
  readonly network: KrunNetwork;
  /** `{ "io.containerd.nerdbox.network.<index>": "socket=…,mode=…,mac=…,…" }`. */
  readonly annotation: Record<string, string>;
  /** Gateway (and DNS server) addresses the guest will use. */
  readonly gateway: { ipv4?: string; ipv6?: string };
  /** The running netproxy. */
  readonly netproxy: NetproxyHandle;
  /** Stop netproxy. */
  close(): Promise<void>;
}

function ip(bytes: Uint8Array): string {
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  return addrString({ is4: bytes.length === 4, value, zone: "" });
}

/**
 * Start netproxy for one libkrun NIC and describe the NIC.
 * @throws ProviderUnavailableError when @sandbox/netproxy cannot be loaded.
 * @throws Error when netproxy's gateway is not where nerdbox's guest looks for it (netproxy is stopped again).
 */
export async function startNetproxyProvider(opts: NetproxyProviderOptions): Promise<NetproxyProvider> {
  const index = opts.index ?? 0;
  const start = opts.startNetproxy ?? (await loadStartNetproxy());
  const listen = `${opts.mode === "unixstream" ? "stream" : "dgram"}:unix:${opts.socketPath}`;
  const np = await start({
    config: opts.config,
    listen,
    ...(opts.controlSocket ? { controlSocket: opts.controlSocket } : {}),
    ...(opts.slot !== undefined ? { slot: opts.slot } : {}),
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  });
  try {
    const plan = np.addresses;
    const addrs: string[] = [];
    const gateway: { ipv4?: string; ipv6?: string } = {};
    if (plan.v4) {
      addrs.push(`${ip(plan.v4.guest)}/${plan.v4.prefixLen}`);
      gateway.ipv4 = ip(plan.v4.gateway);
    }
    if (plan.v6) {
      addrs.push(`${ip(plan.v6.guest)}/${plan.v6.prefixLen}`);
      gateway.ipv6 = ip(plan.v6.gateway);
    }
    const addressing = opts.addressing ?? "static";
    if (addressing === "static") {
      if (addrs.length === 0) throw new Error("netproxy's address plan has neither IPv4 nor IPv6; nothing to configure statically (use addressing: dhcp or give interface.ipv4_address)");
      // nerdbox's guest takes the gateway (and its only nameserver) to be the first address of the
      // IPv4 subnet if there is one, else of the IPv6 subnet.
      const first = addrs[0]!;
      const assumed = staticGateway(plan.v4 ? { addr4: parsePrefix(first), addr6: null } : { addr4: null, addr6: parsePrefix(first) });
      const actual = plan.v4 ? gateway.ipv4 : gateway.ipv6;
      if (assumed !== actual) {
        throw new Error(
          `netproxy's gateway ${actual} is not the first address of ${first}; nerdbox's guest would route and send DNS to ${assumed}. ` +
            "Give interface.ipv4_address with the guest right after the gateway (e.g. 192.168.127.2/24 with gateway .1), or use addressing: dhcp",
        );
      }
    } else if (!plan.v4) {
      throw new Error("addressing dhcp needs IPv4 in netproxy's address plan (nerdbox's guest runs a DHCPv4 client only)");
    }
    const network: KrunNetwork = {
      socket: opts.socketPath,
      mode: opts.mode,
      mac: macString(plan.guestMac),
      dhcp: addressing === "dhcp",
      addrs: addressing === "static" ? addrs : [],
      features: [],
      vfkit: opts.mode === "unixgram" && opts.vfkit !== false,
      vnet_hdr: false,
    };
    const value = annotationValue(toNerdboxNetwork(network, `networks[${index}]`, opts.socketPath));
    return {
      network,
      annotation: { [`${NETWORK_ANNOTATION_PREFIX}${index}`]: value },
      gateway,
      netproxy: np,
      close: () => np.close(),
    };
  } catch (e) {
    await np.close().catch(() => {});
    throw e;
  }
}
