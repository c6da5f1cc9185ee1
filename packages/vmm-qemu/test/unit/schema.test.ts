/**
 * schemas/qemu.schema.json against its generated zod and `z.fromJSONSchema`: valid and invalid
 * settings agree in both oracles and in `normalizeSettings`, which names the same JSON path.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { normalizeSettings, QemuNetworkSettings, QemuSettingsError } from "../../src/index.js";

const schema = JSON.parse(readFileSync(fileURLToPath(new URL("../../../../schemas/qemu.schema.json", import.meta.url)), "utf8")) as Record<string, unknown>;
const fromJson = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);

const valid: Record<string, unknown> = {
  empty: {},
  "seed-mounts-only": { arch: "x86_64", network_mode: "mounts_only", agent_port: 40001, port_forwards: [], smb_cmd: "smb-stdio" },
  "seed-full-arm": { arch: "aarch64", network_mode: "full", agent_port: 40001, port_forwards: [{ host: 8080, guest: 80 }] },
  everything: { network_mode: "policy", arch: "x86_64", machine: "pc", agent_port: 2222, port_forwards: [{ host: 8443, guest: 443 }], mac: "02:00:00:00:00:02", mtu: 9000, frame_transport: { unix_path: "/run/np.sock" } },
};
const invalid: Record<string, [unknown, string]> = {
  "unknown-mode": [{ network_mode: "bridge" }, "$.network_mode"],
  "unknown-key": [{ restrict: true }, "$.restrict"],
  "port-range": [{ port_forwards: [{ host: 0, guest: 80 }] }, "$.port_forwards[0].host"],
  "missing-guest": [{ port_forwards: [{ host: 8080 }] }, "$.port_forwards[0].guest"],
  "bad-mac": [{ mac: "52-54-00-12-34-56" }, "$.mac"],
  "mtu-low": [{ mtu: 10 }, "$.mtu"],
  "two-transports": [{ frame_transport: { fd: 3, unix_path: "/x" } }, "$.frame_transport"],
  "fd-stdio": [{ frame_transport: { fd: 0 } }, "$.frame_transport.fd"],
};

describe("schemas/qemu.schema.json", () => {
  it("is owned by vmm-qemu", () => expect(schema["x-package"]).toBe("vmm-qemu"));
  for (const [name, value] of Object.entries(valid)) {
    it(`accepts ${name} in both oracles and normalizeSettings`, () => {
      expect(QemuNetworkSettings.safeParse(value).success).toBe(true);
      expect(fromJson.safeParse(value).success).toBe(true);
      expect(() => normalizeSettings(value)).not.toThrow();
    });
  }
  for (const [name, [value, path]] of Object.entries(invalid)) {
    it(`rejects ${name} in both oracles, normalizeSettings naming ${path}`, () => {
      expect(QemuNetworkSettings.safeParse(value).success).toBe(false);
      expect(fromJson.safeParse(value).success).toBe(false);
      let err: unknown;
      try {
        normalizeSettings(value);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(QemuSettingsError);
      expect((err as QemuSettingsError).path.startsWith(path)).toBe(true);
    });
  }
  it("writes every default (parse of {} fills them)", () => {
    expect(QemuNetworkSettings.parse({})).toEqual({ network_mode: "mounts_only", arch: "x86_64", machine: "auto", port_forwards: [], frame_transport: { fd: 3 } });
  });
});
