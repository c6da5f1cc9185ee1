/** Tests of the network argv builder: the shared qemu_netdev vectors byte for byte, then the edges. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { buildNetworkArgs, QemuSettingsError, runQemuProbe, type QemuNetdevProbe } from "../../src/index.js";

const sharedDir = fileURLToPath(new URL("../../../../../shared/", import.meta.url));
interface Vector {
  id: string;
  probe: { kind: string };
  expect: unknown;
}
const vectors = (JSON.parse(readFileSync(`${sharedDir}vectors/seed.json`, "utf8")) as Vector[]).filter(
  (v) => v.probe.kind === "qemu_netdev",
);

describe("qemu_netdev vectors (shared/vectors/seed.json)", () => {
  it("exist", () => expect(vectors.length).toBeGreaterThanOrEqual(3));
  for (const v of vectors) {
    it(v.id, () => expect(runQemuProbe(v.probe as QemuNetdevProbe)).toEqual(v.expect));
  }
});

function refused(settings: unknown, path: string, fragment: RegExp): void {
  let err: unknown;
  try {
    buildNetworkArgs(settings);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(QemuSettingsError);
  expect((err as QemuSettingsError).path).toBe(path);
  expect((err as Error).message).toMatch(fragment);
}

describe("buildNetworkArgs", () => {
  it("defaults to mounts_only on x86_64 q35 with no forwards", () => {
    expect(buildNetworkArgs({})).toEqual([
      "-netdev",
      "user,id=net0,restrict=on",
      "-device",
      "virtio-net-pci,netdev=net0",
      "-global",
      "virtio-net-pci.romfile=",
    ]);
  });

  it("keeps the order: agent port, then forwards in order, then the SMB guestfwd", () => {
    const argv = buildNetworkArgs({
      network_mode: "full",
      agent_port: 5000,
      port_forwards: [
        { host: 8443, guest: 443 },
        { host: 8080, guest: 80 },
      ],
      smb_cmd: "smbd --stdio",
    });
    expect(argv[1]).toBe(
      "user,id=net0,hostfwd=tcp:127.0.0.1:5000-:5000,hostfwd=tcp:127.0.0.1:8443-:443,hostfwd=tcp:127.0.0.1:8080-:80,guestfwd=tcp:10.0.2.100:445-cmd:smbd --stdio",
    );
  });

  it("escapes commas in the SMB command for QEMU's option syntax", () => {
    expect(buildNetworkArgs({ smb_cmd: "relay a,b" })[1]).toBe("user,id=net0,restrict=on,guestfwd=tcp:10.0.2.100:445-cmd:relay a,,b");
  });

  it("picks the device by machine", () => {
    expect(buildNetworkArgs({ machine: "pc", mac: "52:54:00:AA:bb:01", mtu: 1400 }).slice(2)).toEqual([
      "-device",
      "virtio-net-pci,netdev=net0,mac=52:54:00:aa:bb:01,host_mtu=1400",
      "-global",
      "virtio-net-pci.romfile=",
    ]);
    expect(buildNetworkArgs({ machine: "microvm" }).slice(2)).toEqual(["-device", "virtio-net-device,netdev=net0"]);
    expect(buildNetworkArgs({ arch: "aarch64", network_mode: "full" }).slice(2)).toEqual(["-device", "virtio-net-device,netdev=net0"]);
  });

  it("policy mode: -netdev stream on an inherited fd (default 3) or a unix path, no hostfwd", () => {
    expect(buildNetworkArgs({ network_mode: "policy", agent_port: 4000, port_forwards: [{ host: 8080, guest: 80 }], mac: "02:00:00:00:00:01", mtu: 1500 })).toEqual([
      "-netdev",
      "stream,id=net0,server=off,addr.type=fd,addr.str=3",
      "-device",
      "virtio-net-pci,netdev=net0,mac=02:00:00:00:00:01,host_mtu=1500",
      "-global",
      "virtio-net-pci.romfile=",
    ]);
    expect(buildNetworkArgs({ network_mode: "policy", machine: "microvm", frame_transport: { unix_path: "/run/a,b.sock" } })).toEqual([
      "-netdev",
      "stream,id=net0,server=off,addr.type=unix,addr.path=/run/a,,b.sock",
      "-device",
      "virtio-net-device,netdev=net0",
    ]);
  });

  it("the none preset attaches no NIC", () => {
    expect(buildNetworkArgs({ network_mode: "policy" }, { policy: "none" })).toEqual(["-nic", "none"]);
    expect(buildNetworkArgs({ network_mode: "policy" }, { policy: { preset: "None" } })).toEqual(["-nic", "none"]);
    expect(buildNetworkArgs({ network_mode: "policy" }, { policy: { enabled: false, policy: {} } })).toEqual(["-nic", "none"]);
    expect(buildNetworkArgs({ network_mode: "policy" }, { policy: { preset: "public-only" } })[0]).toBe("-netdev");
  });

  it("refuses invalid input, naming the field", () => {
    refused({ network_mode: "bridged" }, "$.network_mode", /unknown value "bridged"; accepted: none, mounts_only, full, policy/);
    refused({ agent_port: 0 }, "$.agent_port", /out of range/);
    refused({ port_forwards: [{ host: 70000, guest: 80 }] }, "$.port_forwards[0].host", /out of range; accepted: an integer 1-65535/);
    refused({ port_forwards: [{ host: 80, guest: 1.5 }] }, "$.port_forwards[0].guest", /1.5 is not accepted; accepted: an integer 1-65535/);
    refused(
      { port_forwards: [{ host: 8080, guest: 80 }, { host: 8080, guest: 81 }] },
      "$.port_forwards[1].host",
      /host port 8080 is already used by \$\.port_forwards\[0\]\.host/,
    );
    refused({ agent_port: 9000, port_forwards: [{ host: 9000, guest: 80 }] }, "$.port_forwards[0].host", /already used by \$\.agent_port/);
    refused({ port_forwards: [{ host: 1, guest: 2, proto: "udp" }] }, "$.port_forwards[0].proto", /unknown field/);
    refused({ arch: "riscv64" }, "$.arch", /accepted: x86_64, aarch64/);
    refused({ arch: "aarch64", machine: "q35" }, "$.machine", /does not exist for arch "aarch64"/);
    refused({ mac: "01:00:5e:00:00:01" }, "$.mac", /multicast/);
    refused({ mac: "52:54:00:12:34" }, "$.mac", /"52:54:00:12:34" is not in the accepted format/);
    refused({ mtu: 67 }, "$.mtu", /68-65535/);
    refused({ network_mode: "none", port_forwards: [{ host: 8080, guest: 80 }] }, "$.port_forwards", /attaches no NIC/);
    refused({ network_mode: "policy", smb_cmd: "x" }, "$.smb_cmd", /only on SLIRP/);
    refused({ network_mode: "policy", frame_transport: { fd: 2 } }, "$.frame_transport.fd", /2 is out of range; accepted: an integer 3-1023/);
    refused({ restrict: true }, "$.restrict", /unknown field/);
  });

  it("runQemuProbe takes the none preset from the probe or the vector's config", () => {
    expect(runQemuProbe({ kind: "qemu_netdev", network_mode: "policy" }, { preset: "none" })).toEqual({ argv: ["-nic", "none"] });
    expect(runQemuProbe({ kind: "qemu_netdev", network_mode: "policy", policy: "none" }, {})).toEqual({ argv: ["-nic", "none"] });
    const r = runQemuProbe({ kind: "qemu_netdev", network_mode: "policy" }, {});
    expect("argv" in r && r.argv.slice(0, 2)).toEqual(["-netdev", "stream,id=net0,server=off,addr.type=fd,addr.str=3"]);
  });

  it("runQemuProbe reports refusals as {error}", () => {
    expect(runQemuProbe({ kind: "qemu_netdev", network_mode: "nat" })).toEqual({
      error: { path: "$.network_mode", message: expect.stringMatching(/unknown value "nat"/) },
    });
  });
});
