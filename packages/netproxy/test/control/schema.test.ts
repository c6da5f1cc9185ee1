/**
 * schemas/control.schema.json against its generated zod: valid and deliberately invalid messages
 * must be judged the same by the generated schema and by zod's own reading of the JSON Schema
 * (`z.fromJSONSchema`), and invalid ones must fail at the expected path.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { flattenIssues } from "../../src/control/codec.js";
import { ControlMessage } from "../../src/gen/control.js";

const schema = JSON.parse(readFileSync(join(__dirname, "../../../../schemas/control.schema.json"), "utf8"));
const oracle = z.fromJSONSchema(schema);

const valid: Record<string, unknown> = {
  "get_stats": { command: { id: 1, command: "get_stats" } },
  "shutdown": { command: { id: 4294967295, command: "shutdown" } },
  "reload": { command: { id: 2, command: { reload_policy: { config_json: '{"preset":"public-only"}' } } } },
  "add port with defaults": { command: { id: 3, command: { add_published_port: { host_port: 8080, guest_port: 80 } } } },
  "remove port": { command: { id: 3, command: { remove_published_port: { host_port: 8080, protocol: "udp", host_bind: "::1" } } } },
  "error response": { response: { id: 0, outcome: { error: { message: "bad" } } } },
  "stats response": {
    response: {
      id: 1,
      outcome: {
        ok: {
          stats: {
            uptime_ms: 1,
            transport: "fd:3",
            link: { rx_frames: 1, rx_bytes: 2, tx_frames: 3, tx_bytes: 4, rx_oversize: 0, tx_dropped: 0 },
            counters: { tcp_active: 2, dropped_bad_checksum: 1 },
            published_ports: [{ host_port: 1, guest_port: 2, protocol: "tcp", host_bind: "127.0.0.1" }],
          },
        },
      },
    },
  },
  "icmp flow event": {
    event: { seq: 1, time_ms: 2, event: { flow: { verdict: "allow", direction: "egress", protocol: "icmpv4", src_ip: "172.16.0.2", dst_ip: "1.1.1.1", rule: 0, reason: "rule 0" } } },
  },
  "dns event": { event: { seq: 2, time_ms: 3, event: { dns: { outcome: "denied", transport: "udp", name: "evil.example", qtype: 1, resolver: "172.16.0.1", reason: "rule 1 denies" } } } },
  "tls event": { event: { seq: 4, time_ms: 5, event: { tls: { action: "intercepted", sni: "api.example.com", src_ip: "172.16.0.2", src_port: 40000, dst_ip: "93.184.216.34", dst_port: 443, reason: "terminated with a leaf for the SNI" } } } },
  "link down": { event: { seq: 3, time_ms: 4, event: { link: { state: "down", transport: "netns:/run/netns/x", error: "helper exited" } } } },
};

const invalid: Record<string, [unknown, string]> = {
  "two top-level keys": [{ command: { id: 1, command: "get_stats" }, event: {} }, ""],
  "unknown command": [{ command: { id: 1, command: "reboot" } }, "command.command"],
  "id out of range": [{ command: { id: -1, command: "get_stats" } }, "command.id"],
  "port out of range": [{ command: { id: 1, command: { add_published_port: { host_port: 65536, guest_port: 1 } } } }, "command.command.add_published_port.host_port"],
  "extra key": [{ command: { id: 1, command: { remove_published_port: { host_port: 1, colour: "red" } } } }, "command.command.remove_published_port"],
  "bad verdict": [{ event: { seq: 1, time_ms: 1, event: { flow: { verdict: "maybe", direction: "egress", protocol: "tcp", src_ip: "a", dst_ip: "b", reason: "r" } } } }, "event.event.flow.verdict"],
  "tls event without an SNI": [{ event: { seq: 1, time_ms: 1, event: { tls: { action: "bypassed", src_ip: "a", src_port: 1, dst_ip: "b", dst_port: 443, reason: "r" } } } }, "event.event.tls"],
  "counter name not snake_case": [
    { event: { seq: 1, time_ms: 1, event: { counters: { uptime_ms: 1, transport: "t", link: { rx_frames: 0, rx_bytes: 0, tx_frames: 0, tx_bytes: 0, rx_oversize: 0, tx_dropped: 0 }, counters: { TcpActive: 1 }, published_ports: [] } } } },
    "event.event.counters.counters",
  ],
};

describe("control.schema.json", () => {
  it.each(Object.entries(valid))("accepts %s in both oracles", (_n, v) => {
    const r = ControlMessage.safeParse(v);
    expect(r.success, r.success ? "" : JSON.stringify(r.error.issues)).toBe(true);
    expect(oracle.safeParse(v).success).toBe(true);
  });

  it.each(Object.entries(invalid))("rejects %s in both oracles at the expected path", (_n, [v, path]) => {
    const r = ControlMessage.safeParse(v);
    expect(r.success).toBe(false);
    expect(oracle.safeParse(v).success).toBe(false);
    if (path) {
      const paths = flattenIssues(r.error!.issues as never).map((i) => i.path);
      expect(paths.some((p) => p === path || p.startsWith(path)), paths.join(", ")).toBe(true);
    }
  });

  it("fills the published-port defaults", () => {
    const r = ControlMessage.parse({ command: { id: 1, command: { add_published_port: { host_port: 1, guest_port: 2 } } } });
    expect(r).toEqual({ command: { id: 1, command: { add_published_port: { host_port: 1, guest_port: 2, protocol: "tcp", host_bind: "127.0.0.1" } } } });
  });
});
