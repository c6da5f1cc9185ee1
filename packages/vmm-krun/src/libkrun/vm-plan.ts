/**
 * Turns a VM description plus the canonical network settings into the exact, ordered list of
 * libkrun calls, refusing — before any VM starts — every combination libkrun or the guest would
 * reject (vfkit on unixstream, unknown feature bits, MACs that are not 6-octet unicast, nerdbox's
 * vnet_hdr bit, dhcp with static addresses, over-long socket paths, duplicate MACs, bad port
 * maps). Without NICs the guest uses TSI: the plan then always passes an explicit port map and
 * carries a warning that TSI egress is not filtered. With `noNetwork` TSI is switched off too.
 */
import { toNerdboxNetwork, KrunConfigError } from "../config/convert.js";
import type { KrunNetworkSettings } from "../config/types.js";
import { resolveSockets, type ProviderSockets } from "../nerdbox/emit.js";
import { macString } from "../go/mac.js";
import { netCall, upstreamResult, ACCEPTED_FLAGS, type NetCall } from "./plan.js";
import type { PlanCall } from "./signatures.js";

/** What to boot: either a root directory (libkrunfw kernel) or an explicit kernel. */
export interface KrunVmSpec {
  /** Number of vCPUs (1-255). */
  vcpus: number;
  /** Guest RAM in MiB. */
  ramMib: number;
  /** Host directory used as the guest's root filesystem (`krun_set_root`). */
  root?: string;
  /** An explicit kernel instead of libkrunfw's (`krun_set_kernel`). */
  kernel?: { path: string; format: number; initramfs?: string | null; cmdline?: string | null };
  /** The program to run in the guest (`krun_set_exec`); `env` is always passed explicitly (never the host's). */
  exec?: { path: string; argv: string[]; env: string[]; workdir?: string };
  /** Write the guest console to this file (`krun_set_console_output`). */
  consoleOutput?: string;
  /** libkrun log level 0-5 (`krun_set_log_level`). */
  logLevel?: number;
  /** Control channels: vsock port ↔ host unix socket (`krun_add_vsock_port2`). */
  vsockPorts?: { port: number; path: string; listen: boolean }[];
}

/** The network part of a VM. */
export interface KrunVmNetwork {
  /** The canonical settings (NICs or, when there are none, the TSI port map). */
  settings: KrunNetworkSettings;
  /** Paths of the provider sockets for NICs whose `socket` is empty (see `emitAnnotations`). */
  providerSockets?: ProviderSockets;
  /** No network at all (preset `none`): no NIC and TSI disabled. Requires empty settings. */
  noNetwork?: boolean;
}

/** The result of planning: the calls in order, and warnings the caller must surface. */
export interface KrunPlan {
  calls: PlanCall[];
  /** The `krun_add_net_*` calls, in NIC order (eth0, eth1, …). */
  nics: NetCall[];
  /** "tsi", "nics" or "none". */
  networking: "tsi" | "nics" | "none";
  warnings: string[];
}

/** The configuration would be rejected by libkrun or the guest; nothing was started. */
export class KrunRefusedError extends Error {
  /** @param problems one entry per problem, each naming its JSON path. */
  constructor(readonly problems: string[]) {
    super(`refusing to start the VM: ${problems.join("; ")}`);
    this.name = "KrunRefusedError";
  }
}

/** Warning attached to every TSI plan. */
export const TSI_WARNING =
  "TSI networking (no NIC): guest sockets are impersonated by the VMM process, so guest egress is NOT filtered by any @sandbox policy " +
  "and reaches whatever the VMM process can reach; only the explicit port map limits what is exposed on the host";

/**
 * Build the call list for a VM.
 * @throws KrunRefusedError listing every problem found.
 */
export function planVm(vm: KrunVmSpec, network: KrunVmNetwork): KrunPlan {
  const problems: string[] = [];
  const calls: PlanCall[] = [];
  const warnings: string[] = [];
  if (!Number.isInteger(vm.vcpus) || vm.vcpus < 1 || vm.vcpus > 255) problems.push(`vcpus: ${vm.vcpus} is not an integer in 1..255`);
  if (!Number.isInteger(vm.ramMib) || vm.ramMib < 1) problems.push(`ramMib: ${vm.ramMib} is not a positive integer`);
  if (!vm.root && !vm.kernel) problems.push("root/kernel: one of them is required");
  if (vm.logLevel !== undefined) calls.push({ fn: "krun_set_log_level", args: [vm.logLevel] });
  calls.push({ fn: "krun_create_ctx", args: [] });
  calls.push({ fn: "krun_set_vm_config", args: [vm.vcpus, vm.ramMib] });
  if (vm.root) calls.push({ fn: "krun_set_root", args: [vm.root] });
  if (vm.kernel) calls.push({ fn: "krun_set_kernel", args: [vm.kernel.path, vm.kernel.format, vm.kernel.initramfs ?? null, vm.kernel.cmdline ?? null] });
  if (vm.exec) {
    // libkrun hands argv and env to its init on the kernel command line, each wrapped in double
    // quotes: a quote or a line break inside would split or corrupt them.
    for (const [k, list] of [["argv", vm.exec.argv], ["env", vm.exec.env]] as const) {
      list.forEach((v, i) => {
        if (/["\n\r\0]/.test(v)) problems.push(`exec.${k}[${i}]: ${JSON.stringify(v)} contains a double quote, line break or NUL, which libkrun cannot pass on the kernel command line`);
      });
    }
    if (vm.exec.workdir) calls.push({ fn: "krun_set_workdir", args: [vm.exec.workdir] });
    calls.push({ fn: "krun_set_exec", args: [vm.exec.path, vm.exec.argv, vm.exec.env] });
  }

  const { settings } = network;
  const nics: NetCall[] = [];
  const macs = new Map<string, number>();
  let sockets: string[] = settings.networks.map((n) => n.socket);
  try {
    sockets = resolveSockets(settings.networks, network.providerSockets);
  } catch (e) {
    if (!(e instanceof KrunConfigError)) throw e;
    problems.push(e.message);
  }
  settings.networks.forEach((n, i) => {
    const path = `networks[${i}]`;
    const socket = sockets[i] ?? "";
    let parsed;
    try {
      parsed = toNerdboxNetwork(n, path, socket);
    } catch (e) {
      if (!(e instanceof KrunConfigError)) throw e;
      problems.push(e.message);
      return;
    }
    if (Buffer.byteLength(socket) > 107) problems.push(`${path}.socket: ${socket} is ${Buffer.byteLength(socket)} bytes; a unix socket path holds at most 107`);
    if (n.vfkit && n.mode === "unixstream") {
      problems.push(`${path}: vfkit=true with mode=unixstream; libkrun's krun_add_net_unixstream accepts only NET_FLAG_DHCP_CLIENT and returns -22 (EINVAL). VFKT is a unixgram handshake: use mode=unixgram`);
    }
    if (n.vnet_hdr) {
      problems.push(`${path}.vnet_hdr: upstream libkrun has no NET_FLAG_INCLUDE_VNET_HEADER (bit 1 is NET_FLAG_DHCP_CLIENT there) and never exchanges virtio-net headers; set vnet_hdr=false`);
    }
    if (n.dhcp && n.addrs.length > 0) problems.push(`${path}: dhcp=true together with addrs; nerdbox's guest rejects "cannot specify both addr and dhcp"`);
    const mac = macString(parsed.mac);
    const prev = macs.get(mac);
    if (prev !== undefined) problems.push(`${path}.mac: ${mac} is already used by networks[${prev}]; the guest identifies NICs by MAC`);
    macs.set(mac, i);
    const call = netCall(parsed);
    const rc = upstreamResult(call);
    if (rc !== 0) {
      problems.push(`${path}: libkrun would return ${rc} for ${call.fn} (features 0x${call.features.toString(16)}, flags ${call.flags}; accepted flags ${ACCEPTED_FLAGS[call.fn]})`);
    }
    nics.push(call);
  });

  let networking: KrunPlan["networking"];
  if (network.noNetwork) {
    networking = "none";
    if (settings.networks.length > 0) problems.push("networks: must be empty when noNetwork is set");
    if (settings.tsi_port_map.length > 0) problems.push("tsi_port_map: must be empty when noNetwork is set");
    // No NIC, and a vsock without TSI hijacking: the guest has no network path at all.
    calls.push({ fn: "krun_disable_implicit_vsock", args: [] });
    calls.push({ fn: "krun_add_vsock", args: [0] });
  } else if (settings.networks.length > 0) {
    networking = "nics";
    if (settings.tsi_port_map.length > 0) problems.push("tsi_port_map: only used without NICs (libkrun's krun_set_port_map returns -22 once a NIC exists); publish ports through the provider instead");
    for (const c of nics) calls.push({ fn: c.fn, args: [c.c_path, c.fd, Array.from(parseMacBytes(c.mac)), c.features, c.flags] });
  } else {
    networking = "tsi";
    const hosts = new Set<number>();
    const guests = new Set<number>();
    settings.tsi_port_map.forEach((m, i) => {
      for (const [k, v] of [["host_port", m.host_port], ["guest_port", m.guest_port]] as const) {
        if (!Number.isInteger(v) || v < 1 || v > 65535) problems.push(`tsi_port_map[${i}].${k}: ${v} is not a port (1..65535)`);
      }
      if (hosts.has(m.host_port)) problems.push(`tsi_port_map[${i}].host_port: ${m.host_port} appears twice (libkrun returns -22)`);
      if (guests.has(m.guest_port)) problems.push(`tsi_port_map[${i}].guest_port: ${m.guest_port} appears twice (libkrun returns -22)`);
      hosts.add(m.host_port);
      guests.add(m.guest_port);
    });
    calls.push({ fn: "krun_set_port_map", args: [settings.tsi_port_map.map((m) => `${m.host_port}:${m.guest_port}`)] });
    warnings.push(TSI_WARNING);
  }
  for (const [i, p] of (vm.vsockPorts ?? []).entries()) {
    if (!Number.isInteger(p.port) || p.port < 0 || p.port > 0xffffffff) problems.push(`vsockPorts[${i}].port: ${p.port} is not a u32`);
    calls.push({ fn: "krun_add_vsock_port2", args: [p.port, p.path, p.listen] });
  }
  if (vm.consoleOutput) calls.push({ fn: "krun_set_console_output", args: [vm.consoleOutput] });
  calls.push({ fn: "krun_start_enter", args: [] });
  if (problems.length) throw new KrunRefusedError(problems);
  return { calls, nics, networking, warnings };
}

function parseMacBytes(mac: string): Uint8Array {
  return Uint8Array.from(mac.split(":").slice(0, 6), (h) => parseInt(h, 16));
}
