/**
 * QEMU network settings: validation of the wire form (the generated zod schema from
 * schemas/qemu.schema.json, issues explained with their JSON path), the rules a schema cannot
 * express, and the resolved shape the argv builder works on.
 */
import { QemuNetworkSettings as QemuNetworkSettingsSchema, type FrameTransport, type PortForward, type QemuNetworkSettingsInput } from "../gen/index.js";
import { explainIssue } from "./issues.js";

/** Network modes: quicksand's three (seed 000, D8) plus `policy` (behind @sandbox/netproxy). */
export const NETWORK_MODES = ["none", "mounts_only", "full", "policy"] as const;
/** A network mode. */
export type NetworkMode = (typeof NETWORK_MODES)[number];
/** A guest architecture. */
export type Arch = "x86_64" | "aarch64";
/** A machine type after `auto` is resolved. */
export type ResolvedMachine = "q35" | "pc" | "microvm" | "virt";

/** Settings after defaults and validation, `machine` resolved; absent optional fields are null. */
export interface ResolvedQemuSettings {
  network_mode: NetworkMode;
  arch: Arch;
  machine: ResolvedMachine;
  agent_port: number | null;
  port_forwards: PortForward[];
  smb_cmd: string | null;
  mac: string | null;
  mtu: number | null;
  frame_transport: FrameTransport;
}

/** Invalid QEMU network settings; `path` is the JSON path of the offending field. */
export class QemuSettingsError extends Error {
  /** JSON path of the field that was wrong, e.g. `$.port_forwards[1].host`. */
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = "QemuSettingsError";
    this.path = path;
  }
}

/** Resolve `auto` and check that the machine exists for the architecture. */
function resolveMachine(arch: Arch, machine: string): ResolvedMachine {
  if (machine === "auto") return arch === "x86_64" ? "q35" : "virt";
  const ok = arch === "x86_64" ? machine !== "virt" : machine === "virt";
  if (!ok) {
    const accepted = arch === "x86_64" ? "auto, q35, pc, microvm" : "auto, virt";
    throw new QemuSettingsError("$.machine", `machine "${machine}" does not exist for arch "${arch}"; accepted: ${accepted}`);
  }
  return machine as ResolvedMachine;
}

/**
 * Validate raw settings (wire form, see schemas/qemu.schema.json), apply defaults, and check the
 * rules a schema cannot express: host ports distinct and not the agent port, the machine exists
 * for the arch, a unicast MAC, nothing that needs a NIC in mode `none`, no SMB tunnel behind
 * netproxy, a unix path that fits in sockaddr_un. Throws {@link QemuSettingsError} naming the field.
 */
export function normalizeSettings(input: QemuNetworkSettingsInput | unknown): ResolvedQemuSettings {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new QemuSettingsError("$", `expected an object of QEMU network settings, got ${JSON.stringify(input)}`);
  }
  const parsed = QemuNetworkSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    const { path, message } = explainIssue(QemuNetworkSettingsSchema, input, first);
    throw new QemuSettingsError(path, message);
  }
  const s = parsed.data;
  const machine = resolveMachine(s.arch, s.machine);
  const agent_port = s.agent_port ?? null;

  const seen = new Map<number, string>();
  if (agent_port !== null) seen.set(agent_port, "$.agent_port");
  s.port_forwards.forEach((f, i) => {
    const p = `$.port_forwards[${i}].host`;
    const prior = seen.get(f.host);
    if (prior !== undefined) throw new QemuSettingsError(p, `host port ${f.host} is already used by ${prior}; each host port may be forwarded once`);
    seen.set(f.host, p);
  });

  let mac = s.mac ?? null;
  if (mac !== null) {
    if ((parseInt(mac.slice(0, 2), 16) & 1) !== 0) {
      throw new QemuSettingsError("$.mac", `"${mac}" is a multicast address; a NIC needs a unicast MAC (first octet even)`);
    }
    mac = mac.toLowerCase();
  }
  const t = s.frame_transport;
  if ("unix_path" in t && Buffer.byteLength(t.unix_path) > 107) {
    throw new QemuSettingsError("$.frame_transport.unix_path", `the socket path is ${Buffer.byteLength(t.unix_path)} bytes; accepted: at most 107 bytes (sockaddr_un)`);
  }
  if (s.network_mode === "none" && s.port_forwards.length > 0) {
    throw new QemuSettingsError("$.port_forwards", 'network_mode "none" attaches no NIC, so nothing can be forwarded; remove the port forwards or pick another mode');
  }
  if (s.network_mode === "policy" && s.smb_cmd !== undefined) {
    throw new QemuSettingsError("$.smb_cmd", 'the SMB guestfwd tunnel exists only on SLIRP (network_mode "mounts_only" or "full"), not behind netproxy');
  }
  return {
    network_mode: s.network_mode,
    arch: s.arch,
    machine,
    agent_port,
    port_forwards: s.port_forwards,
    smb_cmd: s.smb_cmd ?? null,
    mac,
    mtu: s.mtu ?? null,
    frame_transport: t,
  };
}
