/** Control channel over a real unix socket: validation, commands, events, framing errors. */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unpack } from "msgpackr";
import { afterEach, describe, expect, it } from "vitest";
import { ControlClient, ControlServer, encodeControl, type ControlHandler } from "../../src/control/index.js";
import type { EventMessage, PortKey, PublishedPort } from "../../src/gen/control.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function fakeHandler() {
  const ports: PublishedPort[] = [];
  const calls: string[] = [];
  const h: ControlHandler = {
    async reloadPolicy(json) {
      calls.push("reload");
      JSON.parse(json);
      return { kept_flows: 3, closed_flows: 1 };
    },
    async addPublishedPort(p) {
      calls.push(`add ${p.host_bind}:${p.host_port}/${p.protocol}`);
      const bound = { ...p, host_port: p.host_port || 40000 };
      ports.push(bound);
      return bound;
    },
    async removePublishedPort(k: PortKey) {
      const i = ports.findIndex((p) => p.host_port === k.host_port && p.protocol === k.protocol);
      if (i < 0) throw new Error(`no published ${k.protocol} port ${k.host_bind}:${k.host_port}`);
      ports.splice(i, 1);
    },
    stats: () => ({
      uptime_ms: 5,
      transport: "test",
      link: { rx_frames: 1, rx_bytes: 60, tx_frames: 2, tx_bytes: 120, rx_oversize: 0, tx_dropped: 0 },
      counters: { tcp_flows: 2 },
      published_ports: ports,
    }),
    async shutdown() {
      calls.push("shutdown");
    },
  };
  return { h, calls, ports };
}

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), "np-ctl-"));
  const f = fakeHandler();
  const server = await ControlServer.listen(join(dir, "ctl.sock"), f.h);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => server.close());
  const client = await ControlClient.connect(server.path);
  cleanups.push(() => client.close());
  return { server, client, ...f };
}

describe("control channel", () => {
  it("answers get_stats, reload, add/remove port and shutdown", async () => {
    const { client, calls, server } = await setup();
    expect(statSync(server.path).mode & 0o777).toBe(0o600);
    const stats = await client.call("get_stats");
    expect(stats).toMatchObject({ stats: { transport: "test", counters: { tcp_flows: 2 } } });
    expect(await client.call({ reload_policy: { config_json: "{}" } })).toEqual({ reloaded: { kept_flows: 3, closed_flows: 1 } });
    // Defaults from the schema are applied before the handler sees the port.
    expect(await client.call({ add_published_port: { host_port: 0, guest_port: 80 } as PublishedPort })).toEqual({
      port_added: { host_port: 40000, guest_port: 80, protocol: "tcp", host_bind: "127.0.0.1" },
    });
    expect(calls).toContain("add 127.0.0.1:0/tcp");
    expect(await client.call({ remove_published_port: { host_port: 40000 } as PortKey })).toBe("done");
    await expect(client.call({ remove_published_port: { host_port: 40000 } as PortKey })).rejects.toThrow(/no published tcp port 127.0.0.1:40000/);
    await expect(client.call({ reload_policy: { config_json: "{nope" } })).rejects.toThrow(/JSON/);
    expect(await client.call("shutdown")).toBe("done");
    await expect.poll(() => calls).toContain("shutdown");
  });

  it("validates every command with the generated schema and names the path", async () => {
    const { client, calls } = await setup();
    const bad = await client.request({ add_published_port: { host_port: 70000, guest_port: 80 } } as never);
    expect(bad).toMatchObject({ error: { message: expect.stringMatching(/at command\.command\.add_published_port\.host_port/) } });
    const unknown = await client.request({ launch_missiles: {} } as never);
    expect(unknown).toMatchObject({ error: { message: expect.stringMatching(/invalid control message/) } });
    const extra = await client.request({ add_published_port: { host_port: 1, guest_port: 2, colour: "red" } } as never);
    expect("error" in extra).toBe(true);
    expect(calls).toEqual([]);
  });

  it("refuses non-command messages and undecodable bytes without dropping the connection", async () => {
    const { client } = await setup();
    const responses: string[] = [];
    const raw = await ControlClient.connect((await setup()).server.path);
    cleanups.push(() => raw.close());
    raw.onStrayResponse((o) => responses.push("error" in o ? o.error.message : "ok"));
    // A response message from a client is refused.
    raw.writeRaw(encodeControl({ response: { id: 9, outcome: { ok: "done" } } }));
    // Truncated msgpack: an array header announcing two items, then only one.
    raw.writeRaw(Buffer.from([0, 0, 0, 2, 0x92, 0x01]));
    // The connection still works afterwards.
    expect(await raw.call("get_stats")).toHaveProperty("stats");
    expect(responses).toHaveLength(2);
    expect(responses[0]).toMatch(/clients send `command` messages only/);
    expect(responses[1]).toMatch(/byte offset \d+ is not valid msgpack/);
    expect(await client.call("get_stats")).toHaveProperty("stats");
  });

  it("broadcasts events with sequence numbers as plain msgpack maps", async () => {
    const { server, client } = await setup();
    const other = await ControlClient.connect(server.path);
    cleanups.push(() => other.close());
    const a: EventMessage[] = [];
    const b: EventMessage[] = [];
    client.onEvent((e) => a.push(e));
    other.onEvent((e) => b.push(e));
    await expect.poll(() => server.clientCount).toBe(2);
    server.emit({
      flow: { verdict: "deny", direction: "egress", protocol: "tcp", src_ip: "172.16.0.2", src_port: 40000, dst_ip: "10.77.0.10", dst_port: 80, reason: "default egress action deny" },
    });
    server.emit({ link: { state: "up", transport: "stream:unix:/x" } });
    await expect.poll(() => b.length).toBe(2);
    await expect.poll(() => a.length).toBe(2);
    expect(a[0]!.event).toMatchObject({ flow: { verdict: "deny", dst_ip: "10.77.0.10" } });
    expect(a[0]!.seq + 1).toBe(a[1]!.seq);
    // The encoding is standard msgpack: a generic decoder sees plain maps.
    const wire = encodeControl({ event: { seq: 1, time_ms: 2, event: { link: { state: "down", transport: "t", error: "gone" } } } });
    expect(unpack(wire.subarray(4))).toEqual({ event: { seq: 1, time_ms: 2, event: { link: { state: "down", transport: "t", error: "gone" } } } });
  });

  it("closes the connection on a framing error after saying why", async () => {
    const { server } = await setup();
    const raw = await ControlClient.connect(server.path);
    raw.writeRaw(Buffer.from([0x7f, 0xff, 0xff, 0xff]));
    await expect(raw.call("get_stats")).rejects.toThrow(/closed|framing/);
  });
});
