/**
 * The QEMU argv fragment for a guest's network: `-nic none`, SLIRP (`-netdev user`) for
 * quicksand's modes (seed 000, decision D8) or `-netdev stream` to netproxy for mode `policy`,
 * plus the virtio-net device chosen by machine type.
 */
import { normalizeSettings, type ResolvedQemuSettings } from "./settings.js";

/** Fixed id of the guest's single netdev. */
export const NETDEV_ID = "net0";
/** SLIRP address of the SMB guestfwd tunnel (quicksand `GUESTFWD_SMB_IP`). */
export const SMB_GUEST_ADDR = "10.0.2.100";
/** SLIRP port of the SMB guestfwd tunnel (quicksand `GUESTFWD_SMB_PORT`). */
export const SMB_GUEST_PORT = 445;

/** Extra context for {@link buildNetworkArgs}. */
export interface BuildNetworkOptions {
  /**
   * The sandbox's network policy in mode `policy`. When it is the `none` preset (D2), the guest
   * gets no network interface at all. Accepted shapes: the preset name, or an object with `preset`.
   */
  policy?: unknown;
}

/** Escape a value for QEMU's option syntax (a literal comma is written as two). */
export function qemuOptEscape(value: string): string {
  return value.replaceAll(",", ",,");
}

/**
 * True when the sandbox's network config is the `none` preset — then no NIC is attached (D2).
 * Accepts the preset name, a config with `preset: "none"`, or a canonical config with
 * `enabled: false` (what @sandbox/core makes of the `none` preset).
 */
export function isNonePolicy(policy: unknown): boolean {
  if (typeof policy === "string") return policy.trim().toLowerCase() === "none";
  if (typeof policy !== "object" || policy === null) return false;
  const o = policy as { preset?: unknown; enabled?: unknown };
  if (o.enabled === false) return true;
  return typeof o.preset === "string" && o.preset.trim().toLowerCase() === "none";
}

/** The `-device`/`-global` arguments of the virtio-net device for the resolved machine. */
export function deviceArgs(s: ResolvedQemuSettings): string[] {
  const pci = s.machine === "q35" || s.machine === "pc";
  let dev = `${pci ? "virtio-net-pci" : "virtio-net-device"},netdev=${NETDEV_ID}`;
  if (s.mac !== null) dev += `,mac=${s.mac}`;
  if (s.mtu !== null) dev += `,host_mtu=${s.mtu}`;
  const args = ["-device", dev];
  // No iPXE option ROM: firmware never tries network boot and the ROM file is never needed.
  if (pci) args.push("-global", "virtio-net-pci.romfile=");
  return args;
}

/** The `-netdev user,...` value for the SLIRP modes. */
function slirpNetdev(s: ResolvedQemuSettings): string {
  const parts = [`user,id=${NETDEV_ID}`];
  if (s.network_mode === "mounts_only") parts.push("restrict=on");
  if (s.agent_port !== null) parts.push(`hostfwd=tcp:127.0.0.1:${s.agent_port}-:${s.agent_port}`);
  for (const f of s.port_forwards) parts.push(`hostfwd=tcp:127.0.0.1:${f.host}-:${f.guest}`);
  if (s.smb_cmd !== null) parts.push(`guestfwd=tcp:${SMB_GUEST_ADDR}:${SMB_GUEST_PORT}-cmd:${qemuOptEscape(s.smb_cmd)}`);
  return parts.join(",");
}

/** The `-netdev stream,...` value for mode `policy` (QEMU >= 7.2, QEMU is the client). */
function streamNetdev(s: ResolvedQemuSettings): string {
  const t = s.frame_transport;
  const addr = "fd" in t ? `addr.type=fd,addr.str=${t.fd}` : `addr.type=unix,addr.path=${qemuOptEscape(t.unix_path)}`;
  return `stream,id=${NETDEV_ID},server=off,${addr}`;
}

/**
 * Build the QEMU arguments that give a guest its network, from raw settings (the wire form of
 * schemas/qemu.schema.json). Throws `QemuSettingsError` naming the field on invalid input.
 *
 * In mode `policy` the agent port and port forwards are not QEMU arguments: netproxy publishes them.
 */
export function buildNetworkArgs(settings: unknown, options: BuildNetworkOptions = {}): string[] {
  return networkArgsFor(normalizeSettings(settings), options);
}

/** {@link buildNetworkArgs} for settings already validated by `normalizeSettings`. */
export function networkArgsFor(s: ResolvedQemuSettings, options: BuildNetworkOptions = {}): string[] {
  if (s.network_mode === "none") return ["-nic", "none"];
  if (s.network_mode === "policy") {
    if (isNonePolicy(options.policy)) return ["-nic", "none"];
    return ["-netdev", streamNetdev(s), ...deviceArgs(s)];
  }
  return ["-netdev", slirpNetdev(s), ...deviceArgs(s)];
}
