/**
 * Helpers to build throw-away network-namespace topologies with iproute2 (root only): uniquely
 * named namespaces, veth links between them, addresses and routes, commands run inside a
 * namespace, and a cleanup that removes everything even when a test failed half-way.
 */
import { execFile, execFileSync, spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { promisify } from "node:util";
import { threadId } from "node:worker_threads";

const execFileP = promisify(execFile);
/** Per-process sequence; worker threads share a pid, so the thread id is folded in too. */
let counter = 0;
const nextId = () => threadId * 100_000 + counter++;

/** Why namespaces cannot be used here, or null when they can. */
export function netnsUnavailableReason(): string | null {
  if (process.platform !== "linux") return "network namespaces need Linux";
  if (typeof process.getuid === "function" && process.getuid() !== 0) return "network namespaces need root";
  const probe = `sbx-probe-${process.pid}-${nextId()}`;
  try {
    execFileSync("ip", ["netns", "add", probe], { stdio: "pipe" });
    execFileSync("ip", ["netns", "del", probe], { stdio: "pipe" });
  } catch (e) {
    return `ip netns add failed: ${(e as Error).message.split("\n")[0]}`;
  }
  if (!existsSync("/dev/net/tun")) return "/dev/net/tun is missing";
  return null;
}

/** True when namespaces (and TAP devices) can be created. */
export function canRunNetns(): boolean {
  return netnsUnavailableReason() === null;
}

/** Run a command and return stdout; errors carry the command line and stderr. */
export async function run(cmd: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  try {
    const r = await execFileP(cmd, args, { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 << 20 });
    return r.stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`${cmd} ${args.join(" ")} failed: ${err.stderr?.trim() || err.message}`, { cause: e });
  }
}

/** A set of namespaces and links owned by one test run; `destroy()` removes them all. */
export class Topology {
  private readonly namespaces: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private readonly etcDirs: string[] = [];
  private readonly tag: string;

  constructor(tag = "sbx") {
    this.tag = `${tag}-${process.pid}-${nextId()}`;
  }

  /** Create a namespace named `<tag>-<pid>-<n>-<suffix>` with loopback up; returns its name. */
  async netns(suffix: string): Promise<string> {
    const name = `${this.tag}-${suffix}`;
    await run("ip", ["netns", "add", name]);
    this.namespaces.push(name);
    await run("ip", ["-n", name, "link", "set", "lo", "up"]);
    return name;
  }

  /**
   * Delete namespaces left behind by an earlier run that was killed before its cleanup: names
   * `<tag>-<pid>-<n>-...` whose creating process is gone and in which no process runs any more.
   * Returns the names removed. Namespaces of live runs (or with processes) are never touched.
   */
  static async sweepStale(tag: string): Promise<string[]> {
    const removed: string[] = [];
    let list: string;
    try {
      list = await run("ip", ["netns", "list"]);
    } catch {
      return removed;
    }
    const re = new RegExp(`^${tag.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-(\\d+)-\\d+-`);
    for (const line of list.split("\n")) {
      const name = line.split(" ")[0] ?? "";
      const m = re.exec(name);
      if (!m) continue;
      const pid = Number(m[1]);
      if (pid === process.pid || existsSync(`/proc/${pid}`)) continue;
      try {
        if ((await run("ip", ["netns", "pids", name])).trim() !== "") continue;
        await run("ip", ["netns", "del", name]);
        removed.push(name);
      } catch {
        /* raced with someone else's cleanup */
      }
    }
    return removed;
  }

  /** The namespace file for `name` (what `netns:PATH` takes). */
  static path(name: string): string {
    return `/run/netns/${name}`;
  }

  /**
   * Connect two namespaces with a veth pair and give each end its addresses (`a.b.c.d/len`, or
   * IPv6 ones, which skip duplicate address detection; one, several or null). Interface names
   * must be at most 15 bytes.
   */
  async veth(nsA: string, ifA: string, addrA: string | string[] | null, nsB: string, ifB: string, addrB: string | string[] | null, mtu?: number): Promise<void> {
    await run("ip", ["link", "add", ifA, "netns", nsA, "type", "veth", "peer", "name", ifB, "netns", nsB]);
    for (const [ns, ifn, addrs] of [
      [nsA, ifA, addrA],
      [nsB, ifB, addrB],
    ] as const) {
      if (mtu) await run("ip", ["-n", ns, "link", "set", ifn, "mtu", String(mtu)]);
      for (const addr of addrs === null ? [] : typeof addrs === "string" ? [addrs] : addrs) await this.addr(ns, ifn, addr);
      await run("ip", ["-n", ns, "link", "set", ifn, "up"]);
    }
  }

  /** Add an address to an interface (IPv6 ones without duplicate address detection). */
  async addr(ns: string, ifname: string, cidr: string): Promise<void> {
    await run("ip", ["-n", ns, "addr", "add", cidr, "dev", ifname, ...(cidr.includes(":") ? ["nodad"] : [])]);
  }

  /** Add a route inside a namespace, e.g. `route(ns, "default", "via", "10.0.0.1")`. */
  async route(ns: string, ...spec: string[]): Promise<void> {
    await run("ip", ["-n", ns, "route", "add", ...spec]);
  }

  /**
   * Give a namespace its own resolv.conf: `ip netns exec` bind-mounts /etc/netns/NAME/resolv.conf
   * over /etc/resolv.conf. Removed by `destroy()`.
   */
  resolvConf(ns: string, nameservers: string[]): void {
    const dir = `/etc/netns/${ns}`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/resolv.conf`, nameservers.map((n) => `nameserver ${n}\n`).join(""));
    this.etcDirs.push(dir);
  }

  /** Run a command inside a namespace to completion; returns stdout. */
  exec(ns: string, cmd: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
    return run("ip", ["netns", "exec", ns, cmd, ...args], opts);
  }

  /** Start a long-running command inside a namespace; it is killed by `destroy()`. */
  spawn(ns: string, cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    const child = spawn("ip", ["netns", "exec", ns, cmd, ...args], { stdio: ["ignore", "pipe", "pipe"], ...opts });
    this.children.add(child);
    child.on("exit", () => this.children.delete(child));
    return child;
  }

  /** Kill started processes and delete every namespace (their veths go with them). Never throws. */
  async destroy(): Promise<void> {
    for (const c of this.children) {
      c.kill("SIGKILL");
    }
    await Promise.all(
      [...this.children].map((c) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once("exit", () => r())))),
    );
    for (const d of this.etcDirs.splice(0)) rmSync(d, { recursive: true, force: true });
    for (const ns of this.namespaces.splice(0).reverse()) {
      try {
        await run("ip", ["netns", "del", ns]);
      } catch {
        /* already gone */
      }
    }
  }
}
