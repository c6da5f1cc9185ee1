/**
 * The VM end-to-end suite on QEMU user networking (decision D8): `none` has no NIC, `mounts_only`
 * blocks outbound traffic while hostfwd and the SMB guestfwd work, `full` allows outbound. The
 * "outbound" target is a loopback HTTP server on the host, reached via the SLIRP gateway 10.0.2.2.
 */
import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { startVm } from "../../src/index.js";
import { freePort, guestOrReason, startHttpTarget, type HttpTarget } from "./harness.js";
import { networkSuite, type GuestCheck, type NetworkSuiteProps, type SuiteRun } from "./suite.js";

const GATEWAY = "10.0.2.2";
let target: HttpTarget | undefined;
const targetHits = (): number => target?.hits ?? 0;
let agentPort = 0;
let forwardedPorts: number[] = [];

/** Local addresses of TCP sockets listening on `port` (from /proc/net/tcp and tcp6). */
function listeners(port: number): string[] {
  const out: string[] = [];
  for (const f of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(f, "utf8").split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      const [addr, portHex] = (cols[1] ?? "").split(":");
      if (cols[3] === "0A" && portHex && parseInt(portHex, 16) === port) out.push(addr ?? "");
    }
  }
  return out;
}

function slirpProps(mode: "none" | "mounts_only" | "full"): NetworkSuiteProps {
  const nic = mode !== "none";
  return {
    name: `QEMU network_mode ${mode}`,
    skipReason: () => guestOrReason().reason,
    nic,
    hostChecks: nic
      ? [
          {
            name: "binds the agent port and every forward to 127.0.0.1 only",
            run: () => {
              for (const p of forwardedPorts) expect(listeners(p), `listeners of port ${p}`).toEqual(["0100007F"]);
            },
          },
        ]
      : [],
    ...(nic ? { lease: mode === "full" ? { router: GATEWAY, dns: "10.0.2.3" } : { router: "none", dns: "none" } } : {}),
    checks: (): GuestCheck[] => {
      if (!nic) return [{ name: "no_eth0", command: `ip link show eth0 >/dev/null 2>&1 && result no_eth0 fail || result no_eth0 ok`, expect: "ok" }];
      return [
        // outbound: the host's loopback HTTP server through the SLIRP gateway
        {
          name: "outbound_http",
          command: `check_http outbound_http http://${GATEWAY}:__TARGET_PORT__/`,
          expect: mode === "full" ? "ok" : "fail",
          ...(mode === "full" ? { fields: { code: "200" } } : { untouched: targetHits }),
        },
        // the SMB guestfwd tunnel (QEMU runs the command per connection) works in both modes
        { name: "smb_guestfwd", command: "check_tcp smb_guestfwd 10.0.2.100 445", expect: "ok", fields: { out: "smb-tunnel-ok" } },
      ];
    },
    boot: async (scenario: string): Promise<SuiteRun> => {
      const image = guestOrReason().image;
      if (!image) throw new Error("no guest");
      target ??= await startHttpTarget("host-target\n");
      const hostPort = await freePort();
      agentPort = await freePort();
      forwardedPorts = [agentPort, hostPort];
      const vm = await startVm({
        boot: { kernel: image.kernel, initrd: image.initrd },
        network: {
          network_mode: mode,
          ...(nic ? { agent_port: agentPort, port_forwards: [{ host: hostPort, guest: 80 }], smb_cmd: "printf smb-tunnel-ok" } : {}),
        },
        scenario: scenario.replaceAll("__TARGET_PORT__", String(target.port)),
      });
      const fetchPublished = async (): Promise<{ status: number; body: string }> => {
        const res = await fetch(`http://127.0.0.1:${hostPort}/index.html`, { signal: AbortSignal.timeout(10_000) });
        return { status: res.status, body: await res.text() };
      };
      return { vm, ...(nic ? { fetchPublished } : {}), close: async () => {} };
    },
  };
}

networkSuite(slirpProps("none"));
networkSuite(slirpProps("mounts_only"));
networkSuite(slirpProps("full"));
