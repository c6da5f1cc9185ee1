import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/index.js";
import { fromQuicksand } from "../../src/dialects/quicksand.js";
import { network, target } from "../../src/dialects/ts.js";

describe("idiomatic TypeScript builder", () => {
  it("targets read naturally", () => {
    expect(target("*.example.com")).toEqual({ domain_suffix: "example.com" });
    expect(target("link-local")).toEqual({ group: "link_local" });
    expect(target("2001:db8::1")).toEqual({ cidr: "2001:db8::1/128" });
    expect(target({ domain: "host" })).toEqual({ domain: "host" });
  });
  it("build() throws a ConfigError listing every problem with its path", () => {
    try {
      network().allowInbound("any", { protocols: "icmpv4" }).allow("bad name!").maxConnections(5000).build();
      throw new Error("expected a ConfigError");
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).issues.map((i) => i.path).sort()).toEqual(["$.max_connections", "$.policy.rules[0].protocols", "$.policy.rules[1].destination.domain"]);
    }
  });
  it("preset rules come first and the preset's defaults apply", () => {
    const c = network({ preset: "non-local" }).deny("10.0.0.0/8").build();
    expect(c.policy.rules).toHaveLength(4);
    expect(c.policy.default_ingress).toBe("allow");
  });
});

describe("quicksand dialect", () => {
  it("maps Sandbox(network_mode, port_forwards) to QEMU settings", () => {
    expect(fromQuicksand({ network_mode: "NetworkMode.FULL", port_forwards: [{ host: 8080, guest: 80 }], agent_port: 40001 })).toEqual({
      network_mode: "full",
      arch: "x86_64",
      agent_port: 40001,
      port_forwards: [{ host: 8080, guest: 80 }],
    });
    expect(fromQuicksand({ agent_port: null, smb_cmd: null })).toEqual({ network_mode: "mounts_only", arch: "x86_64", port_forwards: [] });
    expect(fromQuicksand({}).network_mode).toBe("mounts_only");
    expect(() => fromQuicksand({ network_mode: "bridged" })).toThrow(/invalid network_mode "bridged"/);
    expect(() => fromQuicksand({ agent_port: 40001, port_forwards: [{ host: 40001, guest: 80 }] })).toThrow(/agent port/);
  });
});
