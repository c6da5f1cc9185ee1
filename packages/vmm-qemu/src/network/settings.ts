/**
 * Network settings for a QEMU guest: the normalised shape the argv builder works on, defaults
 * from schemas/qemu.schema.json, and validation with errors that name the offending field.
 */

/** Network modes: quicksand's three (seed 000, D8) plus `policy` (behind @sandbox/netproxy). */
export const NETWORK_MODES = ["none", "mounts_only", "full", "policy"] as const;
/** A network mode. */
export type NetworkMode = (typeof NETWORK_MODES)[number];

/** Guest architectures. */
export const ARCHES = ["x86_64", "aarch64"] as const;
/** A guest architecture. */
export type Arch = (typeof ARCHES)[number];

/** Machine types (`auto` = q35 on x86_64, virt on aarch64). */
export const MACHINES = ["auto", "q35", "pc", "microvm", "virt"] as const;
/** A machine type. */
export type Machine = (typeof MACHINES)[number];

/** One TCP port forward from host 127.0.0.1:`host` to guest port `guest`. */
export interface PortForward {
  /** Host port on 127.0.0.1. */
  host: number;
  /** Guest port. */
  guest: number;
}

/** How QEMU's `-netdev stream` reaches netproxy in mode `policy`. */
export type FrameTransport = { fd: number } | { unix_path: string };

/** Input settings (wire shape of schemas/qemu.schema.json; every field optional). */
export interface QemuNetworkSettingsInput {
  network_mode?: string;
  arch?: string;
  machine?: string;
  agent_port?: number | null;
  port_forwards?: PortForward[];
  smb_cmd?: string | null;
  mac?: string | null;
  mtu?: number | null;
  frame_transport?: FrameTransport;
}

/** Settings after defaults and validation; `machine` is resolved (never `auto`). */
export interface QemuNetworkSettings {
  network_mode: NetworkMode;
  arch: Arch;
  machine: Exclude<Machine, "auto">;
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

const KNOWN_KEYS = new Set([
  "network_mode",
  "arch",
  "machine",
  "agent_port",
  "port_forwards",
  "smb_cmd",
  "mac",
  "mtu",
  "frame_transport",
]);

function oneOf<T extends string>(path: string, value: unknown, allowed: readonly T[], dflt: T): T {
  if (value === undefined) return dflt;
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  throw new QemuSettingsError(path, `unknown value ${JSON.stringify(value)}; accepted: ${allowed.join(", ")}`);
}

function port(path: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw new QemuSettingsError(path, `port ${JSON.stringify(value)} is out of range; accepted: an integer 1-65535`);
  }
  return value;
}

function nullableString(path: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string" || value.length === 0) {
    throw new QemuSettingsError(path, `expected a non-empty string or null, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Resolve `auto` and check that the machine exists for the architecture. */
function resolveMachine(arch: Arch, machine: Machine): Exclude<Machine, "auto"> {
  if (machine === "auto") return arch === "x86_64" ? "q35" : "virt";
  const ok = arch === "x86_64" ? machine !== "virt" : machine === "virt";
  if (!ok) {
    const accepted = arch === "x86_64" ? "auto, q35, pc, microvm" : "auto, virt";
    throw new QemuSettingsError("$.machine", `machine "${machine}" does not exist for arch "${arch}"; accepted: ${accepted}`);
  }
  return machine;
}

function frameTransport(value: unknown): FrameTransport {
  if (value === undefined) return { fd: 3 };
  const path = "$.frame_transport";
  if (typeof value !== "object" || value === null || Array.isArray(value) || Object.keys(value).length !== 1) {
    throw new QemuSettingsError(path, `expected exactly one of {"fd": <n>} or {"unix_path": "<path>"}, got ${JSON.stringify(value)}`);
  }
  const v = value as Record<string, unknown>;
  if ("fd" in v) {
    if (typeof v.fd !== "number" || !Number.isInteger(v.fd) || v.fd < 3 || v.fd > 1023) {
      throw new QemuSettingsError(`${path}.fd`, `expected an integer 3-1023 (0-2 are stdio), got ${JSON.stringify(v.fd)}`);
    }
    return { fd: v.fd };
  }
  if ("unix_path" in v) {
    const p = v.unix_path;
    if (typeof p !== "string" || p.length === 0 || Buffer.byteLength(p) > 107) {
      throw new QemuSettingsError(`${path}.unix_path`, `expected a socket path of 1-107 bytes, got ${JSON.stringify(p)}`);
    }
    return { unix_path: p };
  }
  throw new QemuSettingsError(path, `unknown key ${JSON.stringify(Object.keys(v)[0])}; accepted: fd, unix_path`);
}

/**
 * Apply defaults to raw settings and validate them, including the rules a schema cannot express:
 * host ports distinct and not the agent port, a MAC that is unicast, nothing that needs a NIC in
 * mode `none`, no SMB tunnel behind netproxy. Throws {@link QemuSettingsError} naming the field.
 */
export function normalizeSettings(input: unknown): QemuNetworkSettings {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new QemuSettingsError("$", `expected an object of QEMU network settings, got ${JSON.stringify(input)}`);
  }
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!KNOWN_KEYS.has(key)) {
      throw new QemuSettingsError(`$.${key}`, `unknown field; accepted: ${[...KNOWN_KEYS].join(", ")}`);
    }
  }
  const network_mode = oneOf("$.network_mode", raw.network_mode, NETWORK_MODES, "mounts_only");
  const arch = oneOf("$.arch", raw.arch, ARCHES, "x86_64");
  const machine = resolveMachine(arch, oneOf("$.machine", raw.machine, MACHINES, "auto"));
  const agent_port = raw.agent_port === undefined || raw.agent_port === null ? null : port("$.agent_port", raw.agent_port);

  const forwardsRaw = raw.port_forwards ?? [];
  if (!Array.isArray(forwardsRaw)) {
    throw new QemuSettingsError("$.port_forwards", `expected an array of {host, guest}, got ${JSON.stringify(forwardsRaw)}`);
  }
  const seen = new Map<number, string>();
  if (agent_port !== null) seen.set(agent_port, "$.agent_port");
  const port_forwards = forwardsRaw.map((f: unknown, i): PortForward => {
    const p = `$.port_forwards[${i}]`;
    if (typeof f !== "object" || f === null || Array.isArray(f)) {
      throw new QemuSettingsError(p, `expected {"host": <port>, "guest": <port>}, got ${JSON.stringify(f)}`);
    }
    const o = f as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      if (key !== "host" && key !== "guest") throw new QemuSettingsError(`${p}.${key}`, "unknown field; accepted: host, guest");
    }
    const host = port(`${p}.host`, o.host);
    const guest = port(`${p}.guest`, o.guest);
    const prior = seen.get(host);
    if (prior !== undefined) {
      throw new QemuSettingsError(`${p}.host`, `host port ${host} is already used by ${prior}; each host port may be forwarded once`);
    }
    seen.set(host, `${p}.host`);
    return { host, guest };
  });

  const smb_cmd = nullableString("$.smb_cmd", raw.smb_cmd);
  let mac = nullableString("$.mac", raw.mac);
  if (mac !== null) {
    if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac)) {
      throw new QemuSettingsError("$.mac", `"${mac}" is not a MAC address; accepted: six colon-separated hex octets, e.g. 52:54:00:12:34:56`);
    }
    if ((parseInt(mac.slice(0, 2), 16) & 1) !== 0) {
      throw new QemuSettingsError("$.mac", `"${mac}" is a multicast address; a NIC needs a unicast MAC (first octet even)`);
    }
    mac = mac.toLowerCase();
  }
  let mtu: number | null = null;
  if (raw.mtu !== undefined && raw.mtu !== null) {
    if (typeof raw.mtu !== "number" || !Number.isInteger(raw.mtu) || raw.mtu < 68 || raw.mtu > 65535) {
      throw new QemuSettingsError("$.mtu", `MTU ${JSON.stringify(raw.mtu)} is out of range; accepted: an integer 68-65535`);
    }
    mtu = raw.mtu;
  }
  const frame_transport = frameTransport(raw.frame_transport);

  if (network_mode === "none" && port_forwards.length > 0) {
    throw new QemuSettingsError("$.port_forwards", 'network_mode "none" attaches no NIC, so nothing can be forwarded; remove the port forwards or pick another mode');
  }
  if (network_mode === "policy" && smb_cmd !== null) {
    throw new QemuSettingsError("$.smb_cmd", 'the SMB guestfwd tunnel exists only on SLIRP (network_mode "mounts_only" or "full"), not behind netproxy');
  }
  return { network_mode, arch, machine, agent_port, port_forwards, smb_cmd, mac, mtu, frame_transport };
}
