/**
 * The conformance entry point for nerdbox vectors: `runNerdboxProbe(probe)` returns an object with
 * the keys of the vectors' `expect` (see shared/spec/vmm-and-frames.md §1.9), computed by this
 * package's parser. Under D7 the network order is deterministic (`orderDeterministic: true`).
 */
import { GoError } from "../go/strconv.js";
import { fromAnnotations, initArgs, NerdboxAnnotationError } from "./bundle.js";
import { networkToJSON, type NerdboxNetworkJSON } from "./network.js";
import { ctrNetworkToJSON, type CtrNetworkJSON } from "./ctr-network.js";
import { parseGuestArg, guestView, guestSetup, type GuestView } from "./guest.js";
import { netCall, upstreamResult, type NetCall } from "../libkrun/plan.js";

/** A `nerdbox_annotations` probe: the OCI annotations of a bundle. */
export interface NerdboxAnnotationsProbe {
  /** Probe kind. */
  kind: "nerdbox_annotations";
  /** OCI annotations of the bundle (null = none). */
  annotations: Record<string, string> | null;
}

/** A `nerdbox_guest_arg` probe: one vminitd `-network` value. */
export interface NerdboxGuestArgProbe {
  /** Probe kind. */
  kind: "nerdbox_guest_arg";
  /** The `-network=` value. */
  guest_arg: string;
}

/** Either nerdbox probe kind. */
export type NerdboxProbe = NerdboxAnnotationsProbe | NerdboxGuestArgProbe;

/** Result of a failed probe: the full error text. */
export interface NerdboxErrorResult {
  /** Full error text, byte for byte as nerdbox / vminitd print it. */
  error: string;
}

/** Result of a successful `nerdbox_annotations` probe. */
export interface NerdboxAnnotationsResult {
  /** VM networks in D7 order. */
  networks: NerdboxNetworkJSON[];
  /** The libkrun call per network, same order (= eth0, eth1, …). */
  libkrun: NetCall[];
  /** vminitd `-network=` flags, same order. */
  initArgs: string[];
  /** Annotation keys removed from the spec sent to the guest. */
  strippedAnnotations: string[];
  /** Annotation keys passed through, byte order. */
  keptAnnotations: string[];
  /** The guest's default gateway (first network yielding one, D7 order), null when none. */
  gateway: string | null;
  /** The guest's `/etc/resolv.conf` (`nameserver <gateway>` per network, in order). */
  resolvConf: string;
  /** Always true here: D7 orders networks by key suffix. */
  orderDeterministic: true;
  /** Set when vminitd would reject one of the `-network` flags (first one, in order). */
  guestError?: string;
  /** What upstream libkrun v1.19 returns for the NIC calls: 0, or the first failing call's negative errno (e.g. -22). */
  libkrunResult: number;
  /** The container network when exactly one `ctr.network` annotation is present. */
  ctrNetwork?: CtrNetworkJSON;
  /** All container networks in D7 order (present when any exists). */
  ctrNetworks?: CtrNetworkJSON[];
  /** The container resolv.conf from `io.containerd.nerdbox.ctr.dns`, when present. */
  ctrResolvConf?: string;
}

/** What `runNerdboxProbe` returns. */
export type NerdboxProbeResult = NerdboxAnnotationsResult | GuestView | NerdboxErrorResult;

/** Run one nerdbox probe and return the result in the vectors' `expect` shape. */
export function runNerdboxProbe(probe: NerdboxProbe): NerdboxProbeResult {
  if (probe.kind === "nerdbox_guest_arg") {
    try {
      return guestView(parseGuestArg(probe.guest_arg));
    } catch (e) {
      if (e instanceof GoError) return { error: e.message };
      throw e;
    }
  }
  let bundle;
  try {
    bundle = fromAnnotations(probe.annotations ?? {});
  } catch (e) {
    if (e instanceof NerdboxAnnotationError) return { error: e.message };
    throw e;
  }
  const calls = bundle.networks.map(netCall);
  const args = initArgs(bundle.networks);
  const setup = guestSetup(bundle.networks);
  const out: NerdboxAnnotationsResult = {
    networks: bundle.networks.map(networkToJSON),
    libkrun: calls,
    initArgs: args,
    strippedAnnotations: bundle.stripped,
    keptAnnotations: bundle.kept,
    gateway: setup.gateway,
    resolvConf: setup.resolvConf,
    orderDeterministic: true,
    libkrunResult: 0,
  };
  for (const a of args) {
    try {
      parseGuestArg(a.slice("-network=".length));
    } catch (e) {
      if (!(e instanceof GoError)) throw e;
      out.guestError = `vminitd -network flag rejects it: ${e.message}`;
      break;
    }
  }
  for (const c of calls) {
    const rc = upstreamResult(c);
    if (rc !== 0) {
      out.libkrunResult = rc;
      break;
    }
  }
  if (bundle.ctrNetworks.length > 0) {
    out.ctrNetworks = bundle.ctrNetworks.map(ctrNetworkToJSON);
    if (bundle.ctrNetworks.length === 1) out.ctrNetwork = out.ctrNetworks[0]!;
  }
  if (bundle.ctrResolvConf !== null) out.ctrResolvConf = bundle.ctrResolvConf;
  return out;
}
