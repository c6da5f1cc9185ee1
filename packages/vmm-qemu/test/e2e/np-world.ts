/**
 * The netns world of the VM end-to-end tests behind @sandbox/netproxy, built on netproxy's netns
 * module (Topology, spawnTestHost, spawnNetproxy), the same one netproxy's own netns tests use:
 *
 *   QEMU (host) ==frames==> netproxy (np ns) --veth-- pub ns  203.0.113.10 + .53 (TEST-NET-3: "public")
 *                                            \--veth-- priv ns 10.77.0.10 + 169.254.169.254 (private, metadata)
 *
 * The np namespace's only routes are these links: nothing a guest sends can leave the machine.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { netnsUnavailableReason, spawnTestHost, Topology, type TestHostProcess } from "@sandbox/netproxy";

export const PUBLIC_IP = "203.0.113.10";
export const DNS_IP = "203.0.113.53";
export const PRIVATE_IP = "10.77.0.10";
export const METADATA_IP = "169.254.169.254";

/** Why the world cannot be built here (not root, no netns), or undefined. */
export function netnsUnavailable(): string | undefined {
  return netnsUnavailableReason() ?? undefined;
}

export interface NpWorld {
  readonly topo: Topology;
  /** netproxy's namespace. */
  readonly np: string;
  readonly pub: string;
  readonly priv: string | undefined;
  /** The test host on PUBLIC_IP/DNS_IP. */
  readonly pubHost: TestHostProcess;
  readonly privHost: TestHostProcess | undefined;
  /** A scratch directory (configs, sockets), removed by `destroy()`. */
  readonly dir: string;
  /** Run a command in a namespace of the world; returns stdout. */
  exec(ns: string, cmd: string, args: string[], timeoutMs?: number): Promise<string>;
  destroy(): Promise<void>;
}

/**
 * Build the world. `pub`: test host options for the public host (e.g. `--http 203.0.113.10:80:ok`);
 * `priv`: the private host's, or undefined for no private namespace.
 */
export async function buildNpWorld(opts: { tag: string; pub: string[]; priv?: string[] }): Promise<NpWorld> {
  const topo = new Topology(opts.tag);
  const dir = mkdtempSync(join(tmpdir(), `${opts.tag}-`));
  const destroy = async (): Promise<void> => {
    await topo.destroy();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Topology.sweepStale(opts.tag);
    const np = await topo.netns("np");
    const pub = await topo.netns("pub");
    await topo.veth(np, "vp0", "203.0.113.1/24", pub, "vp1", [`${PUBLIC_IP}/24`, `${DNS_IP}/24`]);
    const pubHost = spawnTestHost(topo, pub, opts.pub);
    let priv: string | undefined;
    let privHost: TestHostProcess | undefined;
    if (opts.priv) {
      priv = await topo.netns("priv");
      await topo.veth(np, "vq0", "10.77.0.1/24", priv, "vq1", [`${PRIVATE_IP}/24`, `${METADATA_IP}/32`]);
      await topo.route(np, `${METADATA_IP}/32`, "dev", "vq0");
      privHost = spawnTestHost(topo, priv, opts.priv);
    }
    await Promise.all([pubHost.waitReady(), privHost?.waitReady()]);
    return { topo, np, pub, priv, pubHost, privHost, dir, exec: (ns, cmd, args, timeoutMs) => topo.exec(ns, cmd, args, { timeoutMs: timeoutMs ?? 20_000 }), destroy };
  } catch (e) {
    await destroy();
    throw e;
  }
}
