/**
 * The VM end-to-end suite for network_mode `policy`: the guest's NIC is a `-netdev stream` on an
 * inherited socketpair to @sandbox/netproxy, which runs in a network namespace whose only routes
 * lead to test hosts in their own namespaces (TEST-NET-3 203.0.113.0/24 and private 10.77.0.0/24,
 * plus 169.254.169.254 for "metadata"). Checks: DHCP lease, DNS through interception, HTTP allowed
 * to a public test host, private/metadata/loopback denied before any packet leaves, a blocked name
 * answered NXDOMAIN, a published port reachable from the host side.
 */
import { spawnNetproxy, spawnTestHost, type TestHostHit, type TestHostProcess } from "@sandbox/netproxy";
import { expect } from "vitest";
import { startVm } from "../../src/index.js";
import { guestOrReason } from "./harness.js";
import { netproxyState } from "./netproxy-state.js";
import { buildNpWorld, DNS_IP, METADATA_IP, netnsUnavailable, PRIVATE_IP, PUBLIC_IP } from "./np-world.js";
import { networkSuite, type GuestCheck, type SuiteRun } from "./suite.js";

const np = await netproxyState();

const LOOPBACK_PORT = 8081;
const PUBLISHED_PORT = 8080;

let pub: TestHostProcess | undefined;
let priv: TestHostProcess | undefined;
let loop: TestHostProcess | undefined;
let procNetTcp: () => Promise<string> = async () => "";
const hits = (p: TestHostProcess | undefined, test: (m: TestHostHit) => boolean): number => p?.count(test) ?? 0;

networkSuite({
  name: "QEMU network_mode policy (behind @sandbox/netproxy in a netns)",
  skipReason: () => np.reason ?? guestOrReason().reason ?? netnsUnavailable(),
  softSkip: () => np.soft === true,
  nic: true,
  lease: { router: /^\d+\.\d+\.\d+\.\d+$/, dns: "=router", mtu: "1500" },
  hostChecks: [
    {
      name: "netproxy publishes the port on 127.0.0.1 only (in its namespace)",
      run: async () => {
        const rows = (await procNetTcp())
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
    { name: "http_public", command: "check_http http_public http://public.test/", expect: "ok", fields: { code: "200", body: "public-ok_" } }, // the newline the test host ends its body with shows as "_"
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
    const world = await buildNpWorld({
      tag: "vmqpol",
      pub: [
        ...["--http", `${PUBLIC_IP}:80:public-ok`, "--dns", `${DNS_IP}:53`],
        ...["--record", `public.test=${PUBLIC_IP}`, "--record", `blocked.test=${PUBLIC_IP}`, "--record", "loop.test=127.0.0.1"],
      ],
      priv: ["--http", `${PRIVATE_IP}:80:private`, "--http", `${METADATA_IP}:80:metadata`],
    });
    try {
      pub = world.pubHost;
      priv = world.privHost;
      loop = spawnTestHost(world.topo, world.np, ["--http", `127.0.0.1:${LOOPBACK_PORT}:loopback`]);
      await loop.waitReady();
      const config = {
        preset: "public-only",
        policy: {
          default_egress: "deny",
          default_ingress: "allow",
          rules: [{ direction: "egress", destination: { cidr: `${PUBLIC_IP}/32` }, protocols: ["tcp"], ports: [{ start: 80, end: 80 }], action: "allow" }],
        },
        deny_domains: ["blocked.test"],
        dns: { nameservers: [DNS_IP] },
        ports: [{ host_port: PUBLISHED_PORT, guest_port: 80 }],
      };
      const vm = await startVm({
        boot: { kernel: image.kernel, initrd: image.initrd },
        network: { network_mode: "policy", frame_transport: { fd: 3 } },
        scenario,
      });
      const proxy = spawnNetproxy(world.topo, world.np, { config, dir: world.dir, listen: "fd:3", fd3: vm.frameSocket! });
      vm.frameSocket!.destroy(); // netproxy holds its own copy of the socket now
      await proxy.attached(30_000);
      const fetchPublished = async (): Promise<{ status: number; body: string }> => {
        const out = await world.exec(world.np, "curl", ["-sS", "-m", "8", "-w", "\n%{http_code}", `http://127.0.0.1:${PUBLISHED_PORT}/index.html`]);
        const nl = out.lastIndexOf("\n");
        return { status: Number(out.slice(nl + 1)), body: out.slice(0, nl) };
      };
      procNetTcp = async () => (await world.exec(world.np, "cat", ["/proc/net/tcp"])) + (await world.exec(world.np, "cat", ["/proc/net/tcp6"])).split("\n").slice(1).join("\n");
      return { vm, fetchPublished, close: () => world.destroy() };
    } catch (e) {
      await world.destroy();
      throw e;
    }
  },
});
