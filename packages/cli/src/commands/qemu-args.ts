/**
 * `sandbox qemu-args`: the QEMU network arguments for quicksand's modes (`none`, `mounts_only`,
 * `full` on SLIRP, decision D8) or `policy` (the guest behind netproxy on a stream socket).
 */
import { quicksandDialect } from "@sandbox/core";
import { CliError, type Command } from "../command.js";
import { Exit } from "../exit-codes.js";
import { readJson } from "../input.js";

function port(v: string, what: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 65535) throw new CliError(`${what}: "${v}" is not a port 1..65535`, Exit.usage);
  return n;
}

/** The `qemu-args` command. */
export const qemuArgsCommand: Command = {
  name: "qemu-args",
  summary: "Print QEMU network arguments for a mode (none, mounts_only, full, policy)",
  usage: "sandbox qemu-args [settings.json] [--mode M] [--arch x86_64|aarch64] [--machine M] [--agent-port N] [--forward HOST:GUEST]... [--smb-cmd CMD] [--socket PATH | --fd N] [--mac MAC] [--mtu N]",
  description:
    "Builds the -netdev/-device arguments exactly as quicksand does for its network modes (D8): `none` → -nic none; `mounts_only` (default) → user networking with restrict=on; `full` → the same without restrict; the agent port's hostfwd first, then one hostfwd per forward (always 127.0.0.1), then the SMB guestfwd. `policy` puts the guest behind netproxy: -netdev stream on --socket PATH or an inherited --fd. Settings come from a file (schemas/qemu.schema.json) and/or flags (flags win). One argument per line, or a JSON array with --json.",
  examples: [
    "sandbox qemu-args --mode full --agent-port 40001 --forward 8080:80",
    "sandbox qemu-args --mode policy --socket /run/sandbox/np.sock --machine q35",
    "sandbox qemu-args --mode none",
  ],
  options: {
    mode: { type: "string" },
    arch: { type: "string" },
    machine: { type: "string" },
    "agent-port": { type: "string" },
    forward: { type: "string", multiple: true },
    "smb-cmd": { type: "string" },
    socket: { type: "string" },
    fd: { type: "string" },
    mac: { type: "string" },
    mtu: { type: "string" },
  },
  async run({ positionals, values, out, json }) {
    const settings: Record<string, unknown> = positionals[0] ? (readJson(positionals[0]) as Record<string, unknown>) : {};
    if (values.mode !== undefined) {
      try {
        settings.network_mode = quicksandDialect.quicksandNetworkMode(String(values.mode));
      } catch (e) {
        throw new CliError(`--mode: ${(e as Error).message}`, Exit.invalid);
      }
    }
    if (values.arch !== undefined) settings.arch = values.arch;
    if (values.machine !== undefined) settings.machine = values.machine;
    if (values["agent-port"] !== undefined) settings.agent_port = port(String(values["agent-port"]), "--agent-port");
    if (values.forward !== undefined) {
      settings.port_forwards = (values.forward as string[]).map((f) => {
        const [h, g] = f.split(":");
        if (h === undefined || g === undefined) throw new CliError(`--forward: "${f}" is not HOST:GUEST`, Exit.usage);
        return { host: port(h, "--forward host"), guest: port(g, "--forward guest") };
      });
    }
    if (values["smb-cmd"] !== undefined) settings.smb_cmd = values["smb-cmd"];
    if (values.socket !== undefined) settings.frame_transport = { unix_path: values.socket };
    if (values.fd !== undefined) settings.frame_transport = { fd: Number(values.fd) };
    if (values.mac !== undefined) settings.mac = values.mac;
    if (values.mtu !== undefined) settings.mtu = Number(values.mtu);
    let argv: string[];
    const { buildNetworkArgs } = await import("@sandbox/vmm-qemu");
    try {
      argv = buildNetworkArgs(settings);
    } catch (e) {
      throw new CliError((e as Error).message, Exit.invalid);
    }
    if (json) out.json(argv);
    else for (const a of argv) out.line(a);
    return Exit.ok;
  },
};
