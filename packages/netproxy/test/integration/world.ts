/**
 * The netns world of the netns tests (integration, TLS, faults, adversarial) and the soak, built on
 * the netns module (src/netns: Topology, spawnNetproxy, spawnTestHost):
 *
 *   guest ns --TAP-- netproxy (runs in the proxy ns) --veth-- pub ns  198.51.100.10, 2001:db8:1::10 ("public")
 *                                                    \--veth-- priv ns 10.77.0.10, fd77::10        (private)
 *
 * The proxy namespace's only routes are the two test links, so nothing can leave the machine.
 * The test hosts (src/netns test host: HTTP 80 with /blob and /headers, HTTPS 443 with `tls`, echo
 * TCP 7, sink TCP 9, UDP echo 7, DNS 53) report every hit. `useWorld()` (use-world.ts)
 * builds it for a describe block; `destroy()` removes everything, even after a failure.
 */
import { execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnNetproxy, spawnTestHost, Topology, type TestHostProcess } from "../../src/netns/index.js";

export const PUBLIC_HOST = "198.51.100.10";
export const PRIVATE_HOST = "10.77.0.10";
/** IPv6 addresses of the same hosts (documentation prefix = public; ULA = private). */
export const PUBLIC_HOST6 = "2001:db8:1::10";
export const PRIVATE_HOST6 = "fd77::10";
/** The guest's gateway (netproxy's default address plan). */
export const GATEWAY = "172.16.0.1";
/** What a test host saw: one per HTTP(S) request, TCP connection, datagram or DNS query. */
export interface HostRecord {
  proto: "tcp" | "udp";
  port: number;
  peer: string;
  /** GET /headers (HTTP or HTTPS): the request headers as received. */
  headers?: Record<string, string>;
}

/**
 * Certificates for the public host's HTTPS (`build({ tls })`): a test CA (which netproxy is told to
 * trust upstream) and a server certificate for public.test and other.test, written to `dir`.
 */
export function upstreamCerts(dir: string): { ca: string; cert: string; key: string } {
  const o = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  o(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=sbx test upstream CA"]);
  o(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=public.test"]);
  writeFileSync(join(dir, "srv.ext"), "subjectAltName=DNS:public.test,DNS:other.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
  o(["x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "srv.pem", "-days", "2", "-extfile", "srv.ext"]);
  return { ca: join(dir, "ca.pem"), cert: join(dir, "srv.pem"), key: join(dir, "srv.key") };
}

/** The running world. */
export class World {
  readonly topo: Topology;
  readonly dir = mkdtempSync(join(tmpdir(), "np-world-"));
  guest = "";
  proxy = "";
  pub = "";
  priv = "";
  netproxy: ChildProcess | null = null;
  private readonly hosts: Partial<Record<"pub" | "priv", TestHostProcess>> = {};
  /** netproxy's pid (the node process itself, not `ip netns exec`'s). */
  netproxyPid = 0;
  readonly controlPath = join(this.dir, "control.sock");

  constructor(private readonly tag = "sbx") {
    this.topo = new Topology(tag);
  }

  /** Create namespaces, links and test hosts. */
  async build(opts: { mtu?: number; tls?: { cert: string; key: string }; /** false: the hosts keep no records (long runs). */ records?: boolean } = {}): Promise<void> {
    const t = this.topo;
    await Topology.sweepStale(this.tag); // leftovers of a run that was killed before its cleanup
    this.guest = await t.netns("guest");
    this.proxy = await t.netns("proxy");
    this.pub = await t.netns("pub");
    this.priv = await t.netns("priv");
    await t.veth(this.proxy, "to-pub", ["198.51.100.1/24", "2001:db8:1::1/64"], this.pub, "eth0", [`${PUBLIC_HOST}/24`, `${PUBLIC_HOST6}/64`], opts.mtu);
    await t.veth(this.proxy, "to-priv", ["10.77.0.1/24", "fd77::1/64"], this.priv, "eth0", [`${PRIVATE_HOST}/24`, `${PRIVATE_HOST6}/64`], opts.mtu);
    const tls = opts.tls ? ["--tls-cert", opts.tls.cert, "--tls-key", opts.tls.key] : [];
    const hits = ["--hits", opts.records === false ? "off" : "on"];
    this.hosts.pub = this.startHost(this.pub, "pub", [PUBLIC_HOST, PUBLIC_HOST6], [...hits, ...tls]);
    this.hosts.priv = this.startHost(this.priv, "priv", [PRIVATE_HOST, PRIVATE_HOST6], hits);
    await Promise.all([this.hosts.pub.waitReady(), this.hosts.priv.waitReady()]);
  }

  /** Every service on each address; HTTPS too with `tls` (`--tls-cert F --tls-key F`). */
  private startHost(ns: string, name: string, addrs: string[], extra: string[]): TestHostProcess {
    const args: string[] = ["--dns", `${addrs[0]}:53`, "--udp-echo", `${addrs[0]}:7`];
    for (const r of [`public.test=${PUBLIC_HOST}`, `other.test=${PUBLIC_HOST}`, `private.test=${PRIVATE_HOST}`]) args.push("--record", r);
    for (const a of addrs) {
      const at = a.includes(":") ? `[${a}]` : a;
      args.push("--http", `${at}:80:hello from ${name}`, "--echo", `${at}:7`, "--sink", `${at}:9`);
      if (extra.includes("--tls-cert")) args.push("--https", `${at}:443:hello from ${name}`);
    }
    return spawnTestHost(this.topo, ns, [...args, ...extra]);
  }

  /** What a test host has seen so far. */
  records(host: "pub" | "priv"): HostRecord[] {
    return (this.hosts[host]?.hits ?? []).map((h) => ({
      proto: h.hit === "dns" || h.hit === "udp_echo" ? "udp" : "tcp",
      port: Number(h.on.slice(h.on.lastIndexOf(":") + 1)),
      peer: h.peer ?? "",
      ...(h.headers ? { headers: h.headers as Record<string, string> } : {}),
    }));
  }

  /** Start netproxy in the proxy namespace with a TAP in the guest namespace; resolves once attached. */
  async startNetproxy(config: object, extra: string[] = [], env?: NodeJS.ProcessEnv): Promise<void> {
    const np = spawnNetproxy(this.topo, this.proxy, {
      config,
      dir: this.dir,
      listen: `netns:${Topology.path(this.guest)}`,
      control: this.controlPath,
      args: extra,
      ...(env ? { env } : {}),
    });
    this.netproxy = np.child;
    this.netproxyPid = await np.listening();
    await np.attached();
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
