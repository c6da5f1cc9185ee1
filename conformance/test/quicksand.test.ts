/** The quicksand dialect's settings drive @sandbox/vmm-qemu to the seed's QEMU arguments (D8). */
import { quicksandDialect } from "@sandbox/core";
import { runQemuProbe } from "@sandbox/vmm-qemu";
import { describe, expect, it } from "vitest";

describe("quicksand dialect → vmm-qemu", () => {
  it("Sandbox(network_mode=FULL, port_forwards=[...]) on arm64", () => {
    const settings = quicksandDialect.fromQuicksand({ network_mode: "NetworkMode.FULL", arch: "aarch64", agent_port: 40001, port_forwards: [{ host: 8080, guest: 80 }] });
    expect(runQemuProbe({ kind: "qemu_netdev", ...settings })).toEqual({
      argv: ["-netdev", "user,id=net0,hostfwd=tcp:127.0.0.1:40001-:40001,hostfwd=tcp:127.0.0.1:8080-:80", "-device", "virtio-net-device,netdev=net0"],
    });
  });
  it("the default mode is mounts_only (restrict=on) and NONE removes the NIC", () => {
    const mounts = quicksandDialect.fromQuicksand({ agent_port: 40001, smb_cmd: "smb-stdio" });
    expect(runQemuProbe({ kind: "qemu_netdev", ...mounts })).toMatchObject({ argv: ["-netdev", "user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:40001-:40001,guestfwd=tcp:10.0.2.100:445-cmd:smb-stdio", "-device", "virtio-net-pci,netdev=net0", "-global", "virtio-net-pci.romfile="] });
    expect(runQemuProbe({ kind: "qemu_netdev", ...quicksandDialect.fromQuicksand({ network_mode: "NONE" }) })).toEqual({ argv: ["-nic", "none"] });
  });
});
