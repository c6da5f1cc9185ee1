/**
 * The demo's isolated world: network namespaces built for the run and removed after it. netproxy
 * runs in its own namespace whose only routes lead to two test hosts — a "public" one on TEST-NET-3
 * (203.0.113.0/24, HTTP and the DNS server) and a "private" one (10.77.0.10, plus the cloud
 * metadata address 169.254.169.254) — and a service on the proxy namespace's loopback stands in for
 * the host's own services. No packet can reach any other network.
 */
import { spawnTestHost, Topology, type TestHostProcess } from "@sandbox/netproxy";

/** Addresses of the demo world. */
export const WORLD = {
  publicIp: "203.0.113.10",
  dnsIp: "203.0.113.53",
  privateIp: "10.77.0.10",
  metadataIp: "169.254.169.254",
  loopbackPort: 8081,
  publishedPort: 8080,
  publicName: "public.test",
  blockedName: "blocked.test",
  rebindName: "loop.test",
} as const;

/** The running world. */
export interface World {
  topo: Topology;
  /** Namespace netproxy runs in. */
  proxyNs: string;
  publicHost: TestHostProcess;
  privateHost: TestHostProcess;
  loopbackHost: TestHostProcess;
  destroy(): Promise<void>;
}

/** Build the namespaces, links, routes and test hosts. */
export async function buildWorld(): Promise<World> {
  const topo = new Topology("sbxdemo");
  try {
    const np = await topo.netns("np");
    const pub = await topo.netns("pub");
    const priv = await topo.netns("priv");
    await topo.veth(np, "vp0", "203.0.113.1/24", pub, "vp1", `${WORLD.publicIp}/24`);
    await topo.exec(pub, "ip", ["addr", "add", `${WORLD.dnsIp}/24`, "dev", "vp1"]);
    await topo.veth(np, "vq0", "10.77.0.1/24", priv, "vq1", `${WORLD.privateIp}/24`);
    await topo.exec(priv, "ip", ["addr", "add", `${WORLD.metadataIp}/32`, "dev", "vq1"]);
    await topo.route(np, `${WORLD.metadataIp}/32`, "dev", "vq0");
    const publicHost = spawnTestHost(topo, pub, [
      "--http", `${WORLD.publicIp}:80:hello-from-the-public-test-host`,
      "--dns", `${WORLD.dnsIp}:53`,
      "--record", `${WORLD.publicName}=${WORLD.publicIp}`,
      "--record", `${WORLD.blockedName}=${WORLD.publicIp}`,
      "--record", `${WORLD.rebindName}=127.0.0.1`,
    ]);
    const privateHost = spawnTestHost(topo, priv, ["--http", `${WORLD.privateIp}:80:private`, "--http", `${WORLD.metadataIp}:80:metadata`]);
    const loopbackHost = spawnTestHost(topo, np, ["--http", `127.0.0.1:${WORLD.loopbackPort}:host-loopback`]);
    await Promise.all([publicHost.waitReady(), privateHost.waitReady(), loopbackHost.waitReady()]);
    return { topo, proxyNs: np, publicHost, privateHost, loopbackHost, destroy: () => topo.destroy() };
  } catch (e) {
    await topo.destroy();
    throw e;
  }
}

/** The demo's network config: the default public-only policy, a blocked name, a published port. */
export function demoConfig(): Record<string, unknown> {
  return {
    preset: "public-only",
    deny_domains: [WORLD.blockedName],
    dns: { nameservers: [WORLD.dnsIp] },
    ports: [{ host_port: WORLD.publishedPort, guest_port: 80 }],
  };
}
