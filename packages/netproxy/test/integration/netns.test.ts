/**
 * End to end in network namespaces: a guest namespace whose TAP is served by netproxy (netns
 * mode), netproxy in a namespace whose only routes lead to two test hosts, real curl/nc/iperf3 in
 * the guest. Allowed flows work and carry intact data; denied flows never reach the private host.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { netnsUnavailableReason } from "../../src/netns/index.js";
import { blob } from "./fixtures/blob.js";
import { useWorld } from "./use-world.js";
import { PRIVATE_HOST, PRIVATE_HOST6, PUBLIC_HOST, PUBLIC_HOST6 } from "./world.js";

const reason = netnsUnavailableReason();
if (reason && process.env.SANDBOX_REQUIRE_E2E === "1") throw new Error(`SANDBOX_REQUIRE_E2E=1 but netns tests cannot run: ${reason}`);

const CONFIG = {
  preset: "public-only",
  dns: { nameservers: [PUBLIC_HOST] },
  policy: {
    default_egress: "deny",
    default_ingress: "allow",
    rules: [{ direction: "egress", destination: { group: "host" }, protocols: ["tcp"], ports: [{ start: 8080, end: 8080 }], action: "allow" }],
  },
};

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe.skipIf(reason !== null)("netproxy in network namespaces", () => {
  const world = useWorld({ config: CONFIG, guestResolver: true });
  const { w, events } = world;

  it("configures the guest like slirp4netns --configure (address, default route via the gateway)", async () => {
    const addr = await w.inGuest("ip", ["-o", "-4", "addr", "show", "dev", "tap0"]);
    expect(addr).toMatch(/inet 172\.16\.0\.2\/30/);
    expect(await w.inGuest("ip", ["route", "show", "default"])).toMatch(/default via 172\.16\.0\.1 dev tap0/);
  });

  it("gives the guest its static IPv6 address and route, reaches the public host over IPv6 and not the private one", async () => {
    const addr = await w.inGuest("ip", ["-o", "-6", "addr", "show", "dev", "tap0"]);
    expect(addr).toMatch(/inet6 fd42:6d73:62::2\/64/);
    expect(addr).not.toMatch(/tentative/);
    expect(await w.inGuest("ip", ["-6", "route", "show", "default"])).toMatch(/default via fd42:6d73:62::1 dev tap0/);
    expect(await w.inGuest("curl", ["-sS", "--max-time", "10", `http://[${PUBLIC_HOST6}]/`])).toBe("hello from pub\n");
    await expect(w.inGuest("curl", ["-sS", "--max-time", "5", `http://[${PRIVATE_HOST6}]/`])).rejects.toThrow(/curl/);
    expect(w.records("priv")).toEqual([]);
  });

  it("fetches from the public test host over HTTP with an intact body", async () => {
    const size = 3_000_000;
    const out = await w.inGuest("sh", ["-c", `curl -sS --max-time 20 http://${PUBLIC_HOST}/blob?size=${size} | sha256sum`]);
    expect(out.split(" ")[0]).toBe(sha(blob(size)));
    expect(w.records("pub").some((r) => r.proto === "tcp" && r.port === 80)).toBe(true);
  });

  it("uploads to the public test host with an intact body (guest to host)", async () => {
    const out = await w.inGuest("sh", [
      "-c",
      `head -c 4000000 /dev/urandom > /tmp/np-up.$$ && sha256sum < /tmp/np-up.$$ | cut -d' ' -f1 && nc -N -w 20 ${PUBLIC_HOST} 9 < /tmp/np-up.$$; rm -f /tmp/np-up.$$`,
    ]);
    const [local, remote] = out.trim().split("\n");
    expect(remote).toBe(local);
  });

  it("relays UDP to the public test host", async () => {
    const out = await w.inGuest("sh", ["-c", `echo udp-ping | nc -u -w 2 ${PUBLIC_HOST} 7`]);
    expect(out).toBe("udp-ping\n");
  });

  it("resolves names through the gateway DNS, blocks rebinding answers and reports DNS decisions", async () => {
    const before = events.length;
    expect((await w.inGuest("dig", ["+short", "+time=3", "+tries=1", "@172.16.0.1", "public.test"])).trim()).toBe(PUBLIC_HOST);
    // private.test resolves to a private address: rebind protection turns it into NXDOMAIN.
    expect(await w.inGuest("dig", ["+time=3", "+tries=1", "@172.16.0.1", "private.test"])).toMatch(/status: NXDOMAIN/);
    // The guest's resolver is the gateway; curl by name works end to end.
    expect(await w.inGuest("curl", ["-sS", "--max-time", "10", "http://public.test/"])).toBe("hello from pub\n");
    await expect.poll(() => events.slice(before).filter((e) => "dns" in e.event).map((e) => ("dns" in e.event ? `${e.event.dns.name}:${e.event.dns.outcome}` : "")), { timeout: 5000 }).toEqual(
      expect.arrayContaining(["public.test:forwarded", "private.test:rebind_blocked"]),
    );
    expect(w.records("priv")).toEqual([]);
  });

  it("runs iperf3 through the proxy", async () => {
    w.topo.spawn(w.pub, "iperf3", ["-s", "-1", "-B", PUBLIC_HOST]);
    await new Promise((r) => setTimeout(r, 300));
    const out = await w.inGuest("iperf3", ["-c", PUBLIC_HOST, "-t", "1", "-J"], 30_000);
    const r = JSON.parse(out) as { end: { sum_received: { bytes: number } } };
    expect(r.end.sum_received.bytes).toBeGreaterThan(0);
  });

  it("denies the private host: the guest gets an error and the host sees nothing", async () => {
    const before = events.length;
    await expect(w.inGuest("curl", ["-sS", "--max-time", "5", `http://${PRIVATE_HOST}/`])).rejects.toThrow(/curl/);
    await w.inGuest("sh", ["-c", `echo secret | nc -u -w 1 ${PRIVATE_HOST} 7; true`]);
    await expect.poll(() => events.slice(before).some((e) => "flow" in e.event && e.event.flow.verdict === "deny" && e.event.flow.dst_ip === PRIVATE_HOST), { timeout: 5000 }).toBe(true);
    const deny = events.slice(before).find((e) => "flow" in e.event && e.event.flow.dst_ip === PRIVATE_HOST)!;
    expect("flow" in deny.event && deny.event.flow.reason).toBeTruthy();
    expect(w.records("priv")).toEqual([]);
  });

  it("maps the gateway address to the proxy host's loopback when the policy allows it", async () => {
    const srv = w.topo.spawn(w.proxy, "sh", ["-c", "echo from-host-loopback | nc -l -N 127.0.0.1 8080"]);
    await new Promise((r) => setTimeout(r, 300));
    const out = await w.inGuest("sh", ["-c", "nc -N -w 5 172.16.0.1 8080 < /dev/null"]);
    expect(out).toBe("from-host-loopback\n");
    srv.kill();
  });

  it("reloads the policy without dropping a flow it still allows, and enforces the new one", async () => {
    const nc = w.topo.spawn(w.guest, "nc", [PUBLIC_HOST, "7"], { stdio: ["pipe", "pipe", "pipe"] });
    const got: string[] = [];
    nc.stdout!.on("data", (c: Buffer) => got.push(c.toString()));
    nc.stdin!.write("one\n");
    await expect.poll(() => got.join(""), { timeout: 5000 }).toBe("one\n");
    // Still allows public: the live flow survives.
    const same = await world.ctl.call({ reload_policy: { config_json: JSON.stringify(CONFIG) } });
    expect(same).toMatchObject({ reloaded: { closed_flows: 0 } });
    nc.stdin!.write("two\n");
    await expect.poll(() => got.join(""), { timeout: 5000 }).toBe("one\ntwo\n");
    // Deny everything: new connections to the public host are refused.
    await world.ctl.call({ reload_policy: { config_json: JSON.stringify({ policy: { default_egress: "deny", default_ingress: "deny", rules: [] } }) } });
    await expect(w.inGuest("curl", ["-sS", "--max-time", "5", `http://${PUBLIC_HOST}/`])).rejects.toThrow(/curl/);
    await world.ctl.call({ reload_policy: { config_json: JSON.stringify(CONFIG) } });
    expect(await w.inGuest("curl", ["-sS", "--max-time", "10", `http://${PUBLIC_HOST}/`])).toBe("hello from pub\n");
    nc.kill();
  });

  it("publishes a port into the guest on demand and removes it", async () => {
    const guestSrv = w.topo.spawn(w.guest, "sh", ["-c", "echo from-guest | nc -l -N 5000"]);
    await new Promise((r) => setTimeout(r, 300));
    const added = await world.ctl.call({ add_published_port: { host_port: 18080, guest_port: 5000, protocol: "tcp", host_bind: "127.0.0.1" } });
    expect(added).toMatchObject({ port_added: { host_port: 18080 } });
    const out = await w.topo.exec(w.proxy, "sh", ["-c", "nc -N -w 5 127.0.0.1 18080 < /dev/null"]);
    expect(out).toBe("from-guest\n");
    expect(await world.ctl.call({ remove_published_port: { host_port: 18080, protocol: "tcp", host_bind: "127.0.0.1" } })).toBe("done");
    await expect(w.topo.exec(w.proxy, "nc", ["-z", "-w", "2", "127.0.0.1", "18080"])).rejects.toThrow();
    guestSrv.kill();
  });

  it("reports counters and shuts down on command, removing the guest's TAP", async () => {
    const st = await world.ctl.call("get_stats");
    expect(st).toMatchObject({ stats: { transport: expect.stringMatching(/^netns:/) } });
    if (typeof st === "object" && "stats" in st) expect(st.stats.link.rx_frames).toBeGreaterThan(10);
    const exited = new Promise((r) => w.netproxy!.once("exit", r));
    expect(await world.ctl.call("shutdown")).toBe("done");
    expect(await exited).toBe(0);
    await expect.poll(async () => (await w.inGuest("ip", ["-o", "link"])).includes("tap0"), { timeout: 5000 }).toBe(false);
  });
});
