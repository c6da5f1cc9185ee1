/**
 * A small network-namespace topology for the `policy` end-to-end suite (root only): namespaces
 * joined by veth pairs, processes started inside them whose JSON stdout lines are collected, and
 * a cleanup that removes everything. Nothing here routes outside the namespaces it creates.
 */
import { execFileSync, spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { existsSync } from "node:fs";
import type { Socket } from "node:net";

let counter = 0;

/** Why namespaces cannot be used here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== "linux") return "network namespaces need Linux";
  if (process.getuid?.() !== 0) return "network namespaces need root";
  const probe = `vmq-probe-${process.pid}-${counter++}`;
  try {
    execFileSync("ip", ["netns", "add", probe], { stdio: "pipe" });
    execFileSync("ip", ["netns", "del", probe], { stdio: "pipe" });
  } catch (e) {
    return `ip netns add failed: ${(e as Error).message.split("\n")[0]}`;
  }
  return undefined;
}

/** A process started in a namespace, with its parsed JSON stdout lines. */
export interface NsProcess {
  child: ChildProcess;
  messages: Record<string, unknown>[];
  stderr: string;
  /** Wait for a message satisfying `test`. */
  waitFor(test: (m: Record<string, unknown>) => boolean, timeoutMs: number, what: string): Promise<Record<string, unknown>>;
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: "pipe" });
}

/** Namespaces, links and processes of one test; `destroy()` removes them. */
export class NsTopology {
  private readonly names: string[] = [];
  private readonly procs: ChildProcess[] = [];
  private readonly tag = `vmq${process.pid % 100000}x${counter++}`;

  /** Create namespace `<tag>-<suffix>` with loopback up. */
  netns(suffix: string): string {
    const name = `${this.tag}-${suffix}`;
    ip("netns", "add", name);
    this.names.push(name);
    ip("-n", name, "link", "set", "lo", "up");
    return name;
  }

  /** A veth pair between two namespaces, each end with its addresses (CIDR), up. */
  veth(a: string, ifA: string, addrsA: string[], b: string, ifB: string, addrsB: string[]): void {
    ip("link", "add", ifA, "netns", a, "type", "veth", "peer", "name", ifB, "netns", b);
    for (const [ns, ifn, addrs] of [
      [a, ifA, addrsA],
      [b, ifB, addrsB],
    ] as const) {
      for (const addr of addrs) ip("-n", ns, "addr", "add", addr, "dev", ifn);
      ip("-n", ns, "link", "set", ifn, "up");
    }
  }

  /** `ip -n ns route add ...`. */
  route(ns: string, ...spec: string[]): void {
    ip("-n", ns, "route", "add", ...spec);
  }

  /** Start `cmd args` inside `ns`; stdout lines that parse as JSON objects are collected. */
  spawn(ns: string, cmd: string, args: string[], opts: { cwd?: string; stdio3?: Socket } = {}): NsProcess {
    const stdio: StdioOptions = ["ignore", "pipe", "pipe"];
    if (opts.stdio3 !== undefined) stdio.push(opts.stdio3);
    const child = spawn("ip", ["netns", "exec", ns, cmd, ...args], { stdio, ...(opts.cwd ? { cwd: opts.cwd } : {}) });
    this.procs.push(child);
    const p: NsProcess = {
      child,
      messages: [],
      stderr: "",
      waitFor: (test, timeoutMs, what) =>
        new Promise((resolve, reject) => {
          const found = p.messages.find(test);
          if (found) return resolve(found);
          const timer = setTimeout(() => done(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; stderr: ${p.stderr.slice(-800)}`)), timeoutMs);
          const onLine = (m: Record<string, unknown>): void => {
            if (test(m)) done(undefined, m);
          };
          const onExit = (code: number | null): void => done(new Error(`${cmd} exited (${code}) before ${what}; stderr: ${p.stderr.slice(-800)}`));
          const done = (err?: Error, m?: Record<string, unknown>): void => {
            clearTimeout(timer);
            listeners.delete(onLine);
            child.off("exit", onExit);
            if (err) reject(err);
            else resolve(m!);
          };
          listeners.add(onLine);
          child.once("exit", onExit);
        }),
    };
    const listeners = new Set<(m: Record<string, unknown>) => void>();
    let buf = "";
    child.stdout?.on("data", (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const m = JSON.parse(line) as unknown;
          if (m && typeof m === "object") {
            p.messages.push(m as Record<string, unknown>);
            for (const l of [...listeners]) l(m as Record<string, unknown>);
          }
        } catch {
          // not a JSON line
        }
      }
    });
    child.stderr?.on("data", (d: Buffer) => (p.stderr += d.toString()));
    return p;
  }

  /** Run a command inside a namespace to completion; returns stdout. */
  exec(ns: string, cmd: string, args: string[]): string {
    return execFileSync("ip", ["netns", "exec", ns, cmd, ...args], { encoding: "utf8", timeout: 20_000 });
  }

  /** Kill the processes and delete the namespaces. Never throws. */
  async destroy(): Promise<void> {
    for (const c of this.procs) c.kill("SIGKILL");
    await Promise.all(this.procs.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once("exit", r)))));
    for (const n of this.names.splice(0).reverse()) {
      try {
        if (existsSync(`/run/netns/${n}`)) ip("netns", "del", n);
      } catch {
        // already gone
      }
    }
  }
}
