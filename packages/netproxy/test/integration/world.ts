/**
 * The netns world of the integration tests and the benchmark:
 *
 *   guest ns --TAP-- netproxy (runs in the proxy ns) --veth-- pub ns  198.51.100.10, 2001:db8:1::10 ("public")
 *                                                    \--veth-- priv ns 10.77.0.10, fd77::10        (private)
 *
 * The proxy namespace's only routes are the two test links, so nothing can leave the machine.
 * Test hosts record every connection they see (test-host.ts). Everything is torn down by
 * `destroy()`, which the tests call in `afterAll` even after a failure.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { Topology } from "../../src/netns/index.js";

export const PUBLIC_HOST = "198.51.100.10";
export const PRIVATE_HOST = "10.77.0.10";
/** IPv6 addresses of the same hosts (documentation prefix = public; ULA = private). */
export const PUBLIC_HOST6 = "2001:db8:1::10";
export const PRIVATE_HOST6 = "fd77::10";
const pkgDir = resolve(__dirname, "../..");
const fixtures = join(__dirname, "fixtures");

/** A record written by a test host. */
export interface HostRecord {
  proto: "tcp" | "udp";
  port: number;
  peer: string;
  /** HTTPS /headers requests: the request headers as received. */
  headers?: Record<string, string>;
}

/** Wait for a line matching `pred` on a child's stdout (or fail on exit/timeout). */
export function waitLine(child: ChildProcess, pred: (l: string) => boolean, what: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((res, rej) => {
    const rl = createInterface({ input: child.stdout! });
    const t = setTimeout(() => rej(new Error(`${what}: timed out after ${timeoutMs} ms`)), timeoutMs);
    rl.on("line", (l) => {
      if (pred(l)) {
        clearTimeout(t);
        res(l);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(t);
      rej(new Error(`${what}: exited with ${code} before it was ready`));
    });
  });
}

/** Command prefix that runs a TypeScript file with this repo's sources. */
export function tsNode(file: string, args: string[]): [string, string[]] {
  return [process.execPath, ["--conditions=@sandbox/source", "--import", "tsx", file, ...args]];
}

/** The running world. */
export class World {
  readonly topo = new Topology("sbx");
  readonly dir = mkdtempSync(join(tmpdir(), "np-world-"));
  guest = "";
  proxy = "";
  pub = "";
  priv = "";
  netproxy: ChildProcess | null = null;
  readonly netproxyStderr: string[] = [];
  readonly controlPath = join(this.dir, "control.sock");

  /** Create namespaces, links and test hosts. */
  async build(opts: { mtu?: number; tls?: { cert: string; key: string } } = {}): Promise<void> {
    const t = this.topo;
    await Topology.sweepStale("sbx"); // leftovers of a run that was killed before its cleanup
    this.guest = await t.netns("guest");
    this.proxy = await t.netns("proxy");
    this.pub = await t.netns("pub");
    this.priv = await t.netns("priv");
    await t.veth(this.proxy, "to-pub", "198.51.100.1/24", this.pub, "eth0", `${PUBLIC_HOST}/24`, opts.mtu);
    await t.veth(this.proxy, "to-priv", "10.77.0.1/24", this.priv, "eth0", `${PRIVATE_HOST}/24`, opts.mtu);
    for (const [ns, dev, addr] of [
      [this.proxy, "to-pub", "2001:db8:1::1/64"],
      [this.pub, "eth0", `${PUBLIC_HOST6}/64`],
      [this.proxy, "to-priv", "fd77::1/64"],
      [this.priv, "eth0", `${PRIVATE_HOST6}/64`],
    ] as const) {
      await t.exec(ns, "ip", ["addr", "add", addr, "dev", dev, "nodad"]);
    }
    const tls = opts.tls ? ["--tls-cert", opts.tls.cert, "--tls-key", opts.tls.key] : [];
    await Promise.all([this.startHost(this.pub, "pub", tls), this.startHost(this.priv, "priv")]);
  }

  private async startHost(ns: string, name: string, extra: string[] = []): Promise<void> {
    const zone = `public.test=${PUBLIC_HOST},other.test=${PUBLIC_HOST},private.test=${PRIVATE_HOST}`;
    const [cmd, args] = tsNode(join(fixtures, "test-host.ts"), ["--log", join(this.dir, `${name}.log`), "--name", name, "--zone", zone, ...extra]);
    writeFileSync(join(this.dir, `${name}.log`), "");
    const child = this.topo.spawn(ns, cmd, args, { cwd: pkgDir });
    await waitLine(child, (l) => l === "ready", `test host ${name}`);
  }

  /** Connections and datagrams a test host has seen. */
  records(host: "pub" | "priv"): HostRecord[] {
    return readFileSync(join(this.dir, `${host}.log`), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as HostRecord);
  }

  /** Start netproxy in the proxy namespace with a TAP in the guest namespace; resolves once attached. */
  async startNetproxy(config: object, extra: string[] = [], env?: NodeJS.ProcessEnv): Promise<void> {
    const cfgPath = join(this.dir, "config.json");
    writeFileSync(cfgPath, JSON.stringify(config));
    const [cmd, args] = tsNode(join(fixtures, "run-netproxy.ts"), [
      "--config",
      cfgPath,
      "--listen",
      `netns:${Topology.path(this.guest)}`,
      "--control",
      this.controlPath,
      ...extra,
    ]);
    const child = this.topo.spawn(this.proxy, cmd, args, { cwd: pkgDir, ...(env ? { env: { ...process.env, ...env } } : {}) });
    this.netproxy = child;
    createInterface({ input: child.stderr! }).on("line", (l) => {
      this.netproxyStderr.push(l);
      if (this.netproxyStderr.length > 2000) this.netproxyStderr.splice(0, 1000);
    });
    const line = await waitLine(child, (l) => /"event":"(attached|error|closed)"/.test(l), "netproxy");
    if (!line.includes('"attached"')) throw new Error(`netproxy did not attach: ${line}\n${this.netproxyStderr.slice(-20).join("\n")}`);
  }

  /** Run a command in the guest namespace. */
  inGuest(cmd: string, args: string[], timeoutMs = 30_000): Promise<string> {
    return this.topo.exec(this.guest, cmd, args, { timeoutMs });
  }

  /** Tear everything down (never throws). */
  async destroy(): Promise<void> {
    await this.topo.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
