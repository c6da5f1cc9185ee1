/**
 * quicksand dialect (seed 000, decision D8): the Python `Sandbox(network_mode=..., port_forwards=
 * [PortForward(host=..., guest=...)])` network arguments turned into plain data of the shape of
 * schemas/qemu.schema.json (`QemuNetworkSettings`, owned by @sandbox/vmm-qemu, which turns it
 * into QEMU arguments). Accepts the enum spellings `NetworkMode.FULL`, `FULL` and `full`.
 */
import { DialectError } from "./errors.js";

/** quicksand network modes (plus `policy`, the @sandbox mode behind netproxy). */
export type QuicksandNetworkMode = "none" | "mounts_only" | "full" | "policy";

/** `PortForward(host=..., guest=...)`. */
export interface QuicksandPortForward {
  host: number;
  guest: number;
}

/** The `Sandbox(...)` keyword arguments that concern the network. */
export interface QuicksandSandboxArgs {
  /** `NetworkMode.MOUNTS_ONLY` (default), `NetworkMode.FULL`, `NetworkMode.NONE`, or `policy`. */
  network_mode?: string;
  /** Published TCP ports (always on the host's 127.0.0.1). */
  port_forwards?: QuicksandPortForward[];
  /** Host/guest port of the guest agent (its hostfwd comes first); absent or null = none. */
  agent_port?: number | null;
  /** Guest architecture. */
  arch?: "x86_64" | "aarch64";
  /** Command serving SMB on stdin/stdout for the mounts tunnel; absent or null = none. */
  smb_cmd?: string | null;
}

/** Plain data in the shape of schemas/qemu.schema.json (optional fields absent when unset). */
export interface QuicksandQemuSettings {
  network_mode: QuicksandNetworkMode;
  arch: "x86_64" | "aarch64";
  agent_port?: number;
  port_forwards: QuicksandPortForward[];
  smb_cmd?: string;
}

const MODES: readonly QuicksandNetworkMode[] = ["none", "mounts_only", "full", "policy"];

function fail(message: string): never {
  throw new DialectError("quicksand", message);
}

/** Normalizes a network mode spelling (`NetworkMode.FULL`, `FULL`, `full`). */
export function quicksandNetworkMode(m: string | undefined): QuicksandNetworkMode {
  if (m === undefined) return "mounts_only";
  const s = m.replace(/^NetworkMode\./, "").toLowerCase();
  if (!(MODES as readonly string[]).includes(s)) fail(`invalid network_mode ${JSON.stringify(m)}; expected NetworkMode.NONE, NetworkMode.MOUNTS_ONLY, NetworkMode.FULL or "policy"`);
  return s as QuicksandNetworkMode;
}

function port(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 65535) fail(`${what} must be an integer 1..65535, got ${JSON.stringify(v)}`);
  return v;
}

/** `Sandbox(...)` network arguments -> QEMU network settings (validated: ports 1..65535, distinct host ports). */
export function fromQuicksand(args: QuicksandSandboxArgs): QuicksandQemuSettings {
  const network_mode = quicksandNetworkMode(args.network_mode);
  const agent_port = args.agent_port === undefined || args.agent_port === null ? null : port(args.agent_port, "agent_port");
  const seen = new Set<number>(agent_port === null ? [] : [agent_port]);
  const port_forwards = (args.port_forwards ?? []).map((f, i) => {
    const host = port(f.host, `port_forwards[${i}].host`);
    const guest = port(f.guest, `port_forwards[${i}].guest`);
    if (seen.has(host)) fail(`port_forwards[${i}].host ${host} is already forwarded${host === agent_port ? " (it is the agent port)" : ""}`);
    seen.add(host);
    return { host, guest };
  });
  const arch = args.arch ?? "x86_64";
  if (arch !== "x86_64" && arch !== "aarch64") fail(`invalid arch ${JSON.stringify(arch)}; expected "x86_64" or "aarch64"`);
  const out: QuicksandQemuSettings = { network_mode, arch, port_forwards };
  if (agent_port !== null) out.agent_port = agent_port;
  if (args.smb_cmd !== undefined && args.smb_cmd !== null) out.smb_cmd = args.smb_cmd;
  return out;
}
