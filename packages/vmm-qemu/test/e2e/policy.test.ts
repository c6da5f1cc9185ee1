/**
 * The VM end-to-end suite for network_mode `policy`: the guest's NIC is a `-netdev stream` on an
 * inherited socketpair to @sandbox/netproxy, which runs in a network namespace whose only routes
 * lead to test hosts in their own namespaces (TEST-NET-3 203.0.113.0/24 and private 10.77.0.0/24,
 * plus 169.254.169.254 for "metadata"). Checks: DHCP lease, DNS through interception, HTTP allowed
 * to a public test host, private/metadata/loopback denied before any packet leaves, a blocked name
 * answered NXDOMAIN, a published port reachable from the host side.
 */
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { startVm } from "../../src/index.js";
import { guestOrReason } from "./harness.js";
import { netnsUnavailable, NsTopology, type NsProcess } from "./netns.js";
import { netproxyState } from "./netproxy-state.js";
import { networkSuite, type GuestCheck, type SuiteRun } from "./suite.js";

const pkgDir = fileURLToPath(new URL("../../", import.meta.url));
const fixture = (name: string): string[] => ["--conditions=@sandbox/source", "--import", "tsx", `${pkgDir}test/fixtures/${name}`];

const np = await netproxyState();

const PUBLIC_IP = "203.0.113.10";
const DNS_IP = "203.0.113.53";
const PRIVATE_IP = "10.77.0.10";
const METADATA_IP = "169.254.169.254";
const LOOPBACK_PORT = 8081;
const PUBLISHED_PORT = 8080;

let pub: NsProcess | undefined;
let priv: NsProcess | undefined;
let loop: NsProcess | undefined;
let procNetTcp: () => string = () => "";
const hits = (p: NsProcess | undefined, test: (m: Record<string, unknown>) => boolean): number => p?.messages.filter(test).length ?? 0;

networkSuite({
  name: "QEMU network_mode policy (behind @sandbox/netproxy in a netns)",
  skipReason: () => np.reason ?? guestOrReason().reason ?? netnsUnavailable(),
  softSkip: () => np.soft === true,
  nic: true,
  lease: { router: /^\d+\.\d+\.\d+\.\d+$/, dns: "=router", mtu: "1500" },
  hostChecks: [
    {
      name: "netproxy publishes the port on 127.0.0.1 only (in its namespace)",
      run: () => {
        const rows = procNetTcp()
          .split("\n")
          .slice(1)
          .map((l) => l.trim().split(/\s+/))
          .filter((c) => c[3] === "0A" && parseInt((c[1] ?? "").split(":")[1] ?? "", 16) === PUBLISHED_PORT);
        expect(rows.map((c) => (c[1] ?? "").split(":")[0])).toEqual(["0100007F"]);
      },
    },
  ],
  checks: (): GuestCheck[] => [
    { name: "dns_public", command: "check_dns dns_public public.test", expect: "ok", fields: { addr: PUBLIC_IP } },
    { name: "http_public", command: "check_http http_public http://public.test/", expect: "ok", fields: { code: "200", body: "public-ok" } },
    {
      name: "http_private",
      command: `check_http http_private http://${PRIVATE_IP}/`,
      expect: "fail",
      untouched: () => hits(priv, (m) => m.on === `${PRIVATE_IP}:80`),
    },
    {
      name: "http_metadata",
      command: `check_http http_metadata http://${METADATA_IP}/`,
      expect: "fail",
      untouched: () => hits(priv, (m) => m.on === `${METADATA_IP}:80`),
    },
    {
      name: "http_gateway_loopback",
      command: `check_http http_gateway_loopback http://$router:${LOOPBACK_PORT}/`,
      expect: "fail",
      untouched: () => hits(loop, (m) => m.hit === "http"),
    },
    {
      name: "dns_blocked",
      command: "check_dns dns_blocked blocked.test",
      expect: "nxdomain",
      untouched: () => hits(pub, (m) => m.name === "blocked.test"),
    },
    { name: "dns_rebind_loopback", command: "check_dns dns_rebind_loopback loop.test", expect: "nxdomain" },
  ],
  boot: async (scenario: string): Promise<SuiteRun> => {
    const image = guestOrReason().image!;
    const topo = new NsTopology();
    try {
      const nsNp = topo.netns("np");
      const nsPub = topo.netns("pub");
      const nsPriv = topo.netns("priv");
      topo.veth(nsNp, "vp0", ["203.0.113.1/24"], nsPub, "vp1", [`${PUBLIC_IP}/24`, `${DNS_IP}/24`]);
      topo.veth(nsNp, "vq0", ["10.77.0.1/24"], nsPriv, "vq1", [`${PRIVATE_IP}/24`, `${METADATA_IP}/32`]);
      topo.route(nsNp, `${METADATA_IP}/32`, "dev", "vq0");
      pub = topo.spawn(nsPub, process.execPath, [
        ...fixture("test-host.ts"),
        ...["--http", `${PUBLIC_IP}:80:public-ok`, "--dns", `${DNS_IP}:53`],
        ...["--record", `public.test=${PUBLIC_IP}`, "--record", `blocked.test=${PUBLIC_IP}`, "--record", "loop.test=127.0.0.1"],
      ], { cwd: pkgDir });
      priv = topo.spawn(nsPriv, process.execPath, [...fixture("test-host.ts"), "--http", `${PRIVATE_IP}:80:private`, "--http", `${METADATA_IP}:80:metadata`], { cwd: pkgDir });
      loop = topo.spawn(nsNp, process.execPath, [...fixture("test-host.ts"), "--http", `127.0.0.1:${LOOPBACK_PORT}:loopback`], { cwd: pkgDir });
      for (const p of [pub, priv, loop]) await p.waitFor((m) => m.ready === true, 30_000, "a test host");

      const dir = mkdtempSync(join(tmpdir(), "vmq-policy-"));
      const configPath = join(dir, "network.json");
      writeFileSync(
        configPath,
        JSON.stringify({
          preset: "public-only",
          policy: {
            default_egress: "deny",
            default_ingress: "allow",
            rules: [{ direction: "egress", destination: { cidr: `${PUBLIC_IP}/32` }, protocols: ["tcp"], ports: [{ start: 80, end: 80 }], action: "allow" }],
          },
          deny_domains: ["blocked.test"],
          dns: { nameservers: [DNS_IP] },
          ports: [{ host_port: PUBLISHED_PORT, guest_port: 80 }],
        }),
      );
      const vm = await startVm({
        boot: { kernel: image.kernel, initrd: image.initrd },
        network: { network_mode: "policy", frame_transport: { fd: 3 } },
        scenario,
      });
      const proxy = topo.spawn(nsNp, process.execPath, [...fixture("netproxy.ts"), configPath, "fd:3"], { cwd: pkgDir, stdio3: vm.frameSocket! });
      vm.frameSocket!.destroy(); // netproxy holds its own copy of the socket now
      await proxy.waitFor((m) => m.attached === true, 30_000, "netproxy to attach");
      const fetchPublished = async (): Promise<{ status: number; body: string }> => {
        const out = topo.exec(nsNp, "curl", ["-sS", "-m", "8", "-w", "\n%{http_code}", `http://127.0.0.1:${PUBLISHED_PORT}/index.html`]);
        const nl = out.lastIndexOf("\n");
        return { status: Number(out.slice(nl + 1)), body: out.slice(0, nl) };
      };
      procNetTcp = () => topo.exec(nsNp, "cat", ["/proc/net/tcp"]) + topo.exec(nsNp, "cat", ["/proc/net/tcp6"]).split("\n").slice(1).join("\n");
      return { vm, fetchPublished, close: () => topo.destroy() };
    } catch (e) {
      await topo.destroy();
      throw e;
    }
  },
});
