/**
 * The libkrun adapter end to end: one call starts a libkrun guest behind @sandbox/netproxy.
 * A sandbox network config (@sandbox/core wire format) decides the shape: preset `none`
 * (`enabled: false`) → no NIC and TSI off; otherwise one NIC whose provider is netproxy (never
 * TSI, which no policy can filter). netproxy is stopped when the VM exits.
 */
import { join } from "node:path";
import { canonicalizeNetworkConfigOrThrow } from "@sandbox/core";
import { startKrunVm, type KrunVmHandle, type StartKrunOptions } from "../libkrun/launcher.js";
import type { KrunVmSpec } from "../libkrun/vm-plan.js";
import { startNetproxyProvider, type NetproxyProvider, type NetproxyProviderOptions } from "./netproxy-provider.js";

/** Options of {@link startKrunSandbox}. */
export interface KrunSandboxOptions {
  /** The VM (root or kernel, exec, resources). */
  vm: KrunVmSpec;
  /** The sandbox network config (policy, dns, interface, ports, …). */
  config: unknown;
  /** NIC socket type. Default `unixstream` (no native helper needed on the netproxy side). */
  mode?: "unixstream" | "unixgram";
  /** Directory for the provider socket (and libkrun's unixgram socket, via TMPDIR). */
  runDir: string;
  /** Passed to the provider (`static` addresses by default, or `dhcp`). */
  addressing?: NetproxyProviderOptions["addressing"];
  /** netproxy control socket. */
  controlSocket?: string;
  /** Passed to `startKrunVm` (library, stdio, env, warnings). */
  krun?: StartKrunOptions;
  /** Injected `startNetproxy` (default: @sandbox/netproxy's). */
  startNetproxy?: NetproxyProviderOptions["startNetproxy"];
}

/** A running sandbox VM. */
export interface KrunSandbox {
  /** The VM process. */
  readonly vm: KrunVmHandle;
  /** The network provider, or null for preset `none`. */
  readonly provider: NetproxyProvider | null;
  /** nerdbox annotation of the NIC (empty for `none`), for runtimes that take annotations. */
  readonly annotations: Record<string, string>;
  /** Stop the VM and the provider. */
  stop(): Promise<void>;
}

/** Start netproxy (unless the config disables networking) and then the libkrun VM. */
export async function startKrunSandbox(opts: KrunSandboxOptions): Promise<KrunSandbox> {
  const canonical = canonicalizeNetworkConfigOrThrow(opts.config);
  if (canonical.enabled === false) {
    const vm = startKrunVm(opts.vm, { settings: { networks: [], tsi_port_map: [] }, noNetwork: true }, opts.krun);
    return { vm, provider: null, annotations: {}, stop: async () => void (await vm.stop()) };
  }
  const mode = opts.mode ?? "unixstream";
  const provider = await startNetproxyProvider({
    config: opts.config,
    mode,
    socketPath: join(opts.runDir, `netproxy-${mode}.sock`),
    ...(opts.addressing ? { addressing: opts.addressing } : {}),
    ...(opts.controlSocket ? { controlSocket: opts.controlSocket } : {}),
    ...(opts.startNetproxy ? { startNetproxy: opts.startNetproxy } : {}),
  });
  let vm: KrunVmHandle;
  try {
    vm = startKrunVm(
      opts.vm,
      { settings: { networks: [provider.network], tsi_port_map: [] } },
      { ...opts.krun, env: { TMPDIR: opts.runDir, ...opts.krun?.env } },
    );
  } catch (e) {
    await provider.close();
    throw e;
  }
  void vm.exited.then(() => provider.close());
  return {
    vm,
    provider,
    annotations: provider.annotation,
    stop: async () => {
      await vm.stop();
      await provider.close();
    },
  };
}
