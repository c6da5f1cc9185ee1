/**
 * schemas/krun.schema.json through the generated zod: defaults written in the schema apply, bad
 * values are reported with their JSON path, and a parsed config feeds `emitAnnotations` and
 * `planVm` unchanged.
 */
import { describe, expect, it } from "vitest";
import { parseKrunSettings, krunJsonSchema } from "../src/config/types.js";
import { KrunConfigError } from "../src/config/convert.js";
import { emitAnnotations } from "../src/nerdbox/emit.js";
import { planVm } from "../src/libkrun/vm-plan.js";

describe("krun settings schema", () => {
  it("fills every default", () => {
    expect(parseKrunSettings({})).toEqual({ networks: [], tsi_port_map: [] });
    expect(parseKrunSettings({ networks: [{ mac: "5a:94:ef:e4:0c:ee" }] }).networks[0]).toEqual({
      socket: "", mode: "unixstream", mac: "5a:94:ef:e4:0c:ee", dhcp: false, addrs: [], features: [], vfkit: false, vnet_hdr: false,
    });
  });

  it("rejects with the JSON path", () => {
    const bad: [unknown, string][] = [
      [{ networks: [{ mac: "01:00:00:00:00:01" }] }, "networks[0].mac"],
      [{ networks: [{ mac: "02:00:00:00:00:01", mode: "tcp" }] }, "networks[0].mode"],
      [{ networks: [{ mac: "02:00:00:00:00:01", features: ["VIRTIO_NET_F_MRG_RXBUF"] }] }, "networks[0].features[0]"],
      [{ networks: [{ mac: "02:00:00:00:00:01", socket: "/a,b" }] }, "networks[0].socket"],
      [{ tsi_port_map: [{ host_port: 0, guest_port: 80 }] }, "tsi_port_map[0].host_port"],
      [{ bogus: 1 }, "$"],
    ];
    for (const [input, path] of bad) {
      try {
        parseKrunSettings(input);
        expect.unreachable(JSON.stringify(input));
      } catch (e) {
        expect(e).toBeInstanceOf(KrunConfigError);
        expect((e as KrunConfigError).path, JSON.stringify(input)).toBe(path);
      }
    }
  });

  it("is the JSON Schema the package owns", () => {
    expect((krunJsonSchema as Record<string, unknown>)["x-package"]).toBe("vmm-krun");
  });

  it("a parsed config drives emitAnnotations and planVm", () => {
    const s = parseKrunSettings({ networks: [{ mac: "5a:94:ef:e4:0c:ee", mode: "unixgram", vfkit: true, addrs: ["192.168.127.2/24"] }] });
    expect(emitAnnotations(s, "/run/np.sock")).toEqual({
      "io.containerd.nerdbox.network.0": "socket=/run/np.sock,mode=unixgram,mac=5a:94:ef:e4:0c:ee,addr=192.168.127.2/24,vfkit=true",
    });
    const plan = planVm({ vcpus: 1, ramMib: 64, root: "/" }, { settings: s, providerSockets: "/run/np.sock" });
    expect(plan.nics).toEqual([{ fn: "krun_add_net_unixgram", c_path: "/run/np.sock", fd: -1, mac: "5a:94:ef:e4:0c:ee", features: 0, flags: 1 }]);
  });
});
