/**
 * Spawning netproxy as a process inside a namespace of a {@link Topology} (netproxy-main.ts), the
 * way the netns tests, the VM end-to-end tests and the soak run it: the config goes to a file, the
 * frame transport is any listen spec (`netns:PATH` for a TAP in another namespace, `stream:unix:`,
 * `fd:3` with a socket handed over as fd 3), and its status lines are followed.
 */
import type { ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { NETPROXY_NODE_FLAGS } from "../node-flags.js";
import { follow, type FollowedProcess } from "./lines.js";
import type { Topology } from "./topology.js";

export interface SpawnNetproxyOptions {
  /** The network config (written to `dir`/`name`.json). */
  config: object;
  /** A directory for the config file. */
  dir: string;
  /** The frame transport, e.g. `netns:/run/netns/NAME`, `stream:unix:PATH`, `fd:3`. */
  listen: string;
  /** The control channel's unix socket path. */
  control?: string;
  /** A socket passed to netproxy as fd 3 (with `listen: "fd:3"`). */
  fd3?: Socket;
  /** More netproxy-main options (`--ca-dir DIR`, `--trust-out FILE`, `--trace 1`). */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** File name stem of the config (several netproxies sharing a directory). Default "netproxy". */
  name?: string;
}

/** A netproxy process. */
export interface NetproxyProcess {
  readonly child: ChildProcess;
  readonly out: FollowedProcess;
  /** Resolves with netproxy's pid once it listens; rejects when it reports an error or exits. */
  listening(timeoutMs?: number): Promise<number>;
  /** Resolves once the guest side is attached; rejects when it reports an error, closes or exits first. */
  attached(timeoutMs?: number): Promise<void>;
}

/** The node arguments that run the netproxy entry (TypeScript source in-repo, JS when built), with {@link NETPROXY_NODE_FLAGS}. */
export function netproxyCommand(): string[] {
  const self = import.meta.url;
  if (self.endsWith(".ts")) return [...NETPROXY_NODE_FLAGS, "--conditions=@sandbox/source", "--import", "tsx", fileURLToPath(new URL("./netproxy-main.ts", self))];
  return [...NETPROXY_NODE_FLAGS, fileURLToPath(new URL("./netproxy-main.js", self))];
}

/** Start netproxy in namespace `ns`. */
export function spawnNetproxy(topo: Topology, ns: string, o: SpawnNetproxyOptions): NetproxyProcess {
  const cfgPath = join(o.dir, `${o.name ?? "netproxy"}.json`);
  writeFileSync(cfgPath, JSON.stringify(o.config));
  const args = [...netproxyCommand(), "--config", cfgPath, "--listen", o.listen, ...(o.control ? ["--control", o.control] : []), ...(o.args ?? [])];
  const child = topo.spawn(ns, process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe", ...(o.fd3 ? [o.fd3] : [])],
    ...(o.env ? { env: { ...process.env, ...o.env } } : {}),
  });
  const out = follow(child);
  const status = (want: string, timeoutMs: number) =>
    out.waitFor((m) => m.event === want || m.event === "error" || m.event === "closed", `netproxy in ${ns} (${want})`, timeoutMs).then((m) => {
      if (m.event !== want) throw new Error(`netproxy in ${ns}: ${JSON.stringify(m)} before "${want}"; stderr: ${out.stderr.slice(-1500)}`);
      return m;
    });
  return {
    child,
    out,
    listening: async (timeoutMs = 60_000) => Number((await status("listening", timeoutMs)).pid),
    attached: async (timeoutMs = 60_000) => void (await status("attached", timeoutMs)),
  };
}
