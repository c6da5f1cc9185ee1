/**
 * The libkrun binding end to end against the recorder library (same symbols and signatures as
 * libkrun v1.19, built with gcc at test time): every call and argument is checked, the child
 * process really connects to the NIC sockets like libkrun (unixstream connect; unixgram bind +
 * connect + VFKT), TSI plans carry an explicit port map and a warning, and refused
 * configurations never start a process.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, existsSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { createInterface } from "node:readline";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKrunVm } from "../src/libkrun/launcher.js";
import { planVm, KrunRefusedError, TSI_WARNING, type KrunVmSpec } from "../src/libkrun/vm-plan.js";
import { findLibkrun, LibkrunNotFoundError } from "../src/libkrun/find.js";
import type { KrunNetwork, KrunNetworkSettings } from "../src/config/types.js";
import { buildRecorder, haveGcc, havePython, readLog, requireOrSkip } from "./helpers/recorder.js";

const canBuild = requireOrSkip(haveGcc(), "gcc (to build the libkrun recorder)");
const canDgram = requireOrSkip(havePython(), "python3 (an AF_UNIX datagram listener)");

function nic(p: Partial<KrunNetwork> & { mac: string }): KrunNetwork {
  return { socket: "", mode: "unixstream", dhcp: false, addrs: [], features: [], vfkit: false, vnet_hdr: false, ...p };
}
function settings(networks: KrunNetwork[], tsi_port_map: KrunNetworkSettings["tsi_port_map"] = []): KrunNetworkSettings {
  return { networks, tsi_port_map };
}
const VM: KrunVmSpec = { vcpus: 2, ramMib: 512, root: "/srv/rootfs", exec: { path: "/bin/sh", argv: ["-c", "ip a"], env: ["PATH=/bin"], workdir: "/" } };

describe("planVm refuses what libkrun or the guest would reject (nothing starts)", () => {
  const cases: [string, KrunNetwork[], KrunNetworkSettings["tsi_port_map"], RegExp][] = [
    ["vfkit with unixstream", [nic({ mac: "02:00:00:00:00:01", socket: "/s", vfkit: true })], [], /networks\[0\]: vfkit=true with mode=unixstream.*-22/],
    ["8-octet MAC", [nic({ mac: "02:00:5e:10:00:00:00:01", socket: "/s" })], [], /networks\[0\]\.mac: .* has 8 octets; libkrun takes exactly 6/],
    ["multicast MAC", [nic({ mac: "01:00:5e:00:00:01", socket: "/s" })], [], /networks\[0\]\.mac: .*multicast bit/],
    ["bad MAC syntax", [nic({ mac: "02:00:00:00:00", socket: "/s" })], [], /networks\[0\]\.mac: address 02:00:00:00:00: invalid MAC address/],
    ["unknown feature", [nic({ mac: "02:00:00:00:00:01", socket: "/s", features: ["VIRTIO_NET_F_MRG_RXBUF" as never] })], [], /networks\[0\]\.features\[0\]: unknown feature/],
    ["vnet_hdr", [nic({ mac: "02:00:00:00:00:01", socket: "/s", vnet_hdr: true })], [], /networks\[0\]\.vnet_hdr: upstream libkrun has no NET_FLAG_INCLUDE_VNET_HEADER/],
    ["dhcp with addrs", [nic({ mac: "02:00:00:00:00:01", socket: "/s", dhcp: true, addrs: ["10.0.0.2/24"] })], [], /cannot specify both addr and dhcp/],
    ["duplicate MAC", [nic({ mac: "02:00:00:00:00:01", socket: "/a" }), nic({ mac: "02:00:00:00:00:01", socket: "/b" })], [], /networks\[1\]\.mac: 02:00:00:00:00:01 is already used by networks\[0\]/],
    ["long socket path", [nic({ mac: "02:00:00:00:00:01", socket: "/" + "x".repeat(107) })], [], /a unix socket path holds at most 107/],
    ["port map with NICs", [nic({ mac: "02:00:00:00:00:01", socket: "/s" })], [{ host_port: 8080, guest_port: 80 }], /tsi_port_map: only used without NICs/],
    ["duplicate TSI host port", [], [{ host_port: 8080, guest_port: 80 }, { host_port: 8080, guest_port: 81 }], /tsi_port_map\[1\]\.host_port: 8080 appears twice/],
    ["no provider socket", [nic({ mac: "02:00:00:00:00:01" })], [], /networks\[0\]\.socket: empty/],
  ];
  for (const [name, networks, ports, re] of cases) {
    it(name, () => {
      expect(() => planVm(VM, { settings: settings(networks, ports) })).toThrow(KrunRefusedError);
      expect(() => planVm(VM, { settings: settings(networks, ports) })).toThrow(re);
    });
  }
  it("argv/env that libkrun's kernel command line cannot carry", () => {
    expect(() => planVm({ ...VM, exec: { path: "/bin/sh", argv: ["-c", 'echo "hi"'], env: [] } }, { settings: settings([]) })).toThrow(/exec\.argv\[1\]: .* contains a double quote/);
    expect(() => planVm({ ...VM, exec: { path: "/bin/sh", argv: [], env: ["A=1\nB=2"] } }, { settings: settings([]) })).toThrow(/exec\.env\[0\]/);
  });
    it("lists every problem at once", () => {
    try {
      planVm({ ...VM, vcpus: 0 }, { settings: settings([nic({ mac: "01:00:00:00:00:01", socket: "/s", vfkit: true })]) });
      expect.unreachable();
    } catch (e) {
      expect((e as KrunRefusedError).problems.length).toBe(2);
    }
  });
  it("startKrunVm throws before spawning", () => {
    const log = join(mkdtempSync(join(tmpdir(), "vmm-krun-")), "calls.jsonl");
    expect(() => startKrunVm(VM, { settings: settings([nic({ mac: "02:00:00:00:00:01", socket: "/s", vfkit: true })]) }, { library: "/nonexistent", env: { KRUN_RECORDER_LOG: log } })).toThrow(KrunRefusedError);
    expect(existsSync(log)).toBe(false);
  });
});

describe("findLibkrun", () => {
  it("honours SANDBOX_LIBKRUN and says what was tried", () => {
    expect(() => findLibkrun({ SANDBOX_LIBKRUN: "/nonexistent/libkrun.so" })).toThrow(LibkrunNotFoundError);
    expect(() => findLibkrun({ SANDBOX_LIBKRUN: "/nonexistent/libkrun.so" })).toThrow("$SANDBOX_LIBKRUN=/nonexistent/libkrun.so");
  });
});

describe.skipIf(!canBuild)("libkrun child process against the recorder library", () => {
  let lib = "";
  let dir = "";
  const cleanup: (() => void)[] = [];
  beforeAll(() => {
    lib = buildRecorder();
    dir = mkdtempSync(join(tmpdir(), "vmm-krun-e2e-"));
  }, 60_000);
  afterAll(() => cleanup.forEach((f) => f()));

  function streamServer(path: string): Promise<{ server: Server; conns: Socket[] }> {
    const conns: Socket[] = [];
    const server = createServer((s) => conns.push(s));
    cleanup.push(() => server.close());
    return new Promise((resolve) => server.listen(path, () => resolve({ server, conns })));
  }

  /** A unixgram listener (python: Node has no AF_UNIX datagrams) printing "<sender> <hex>" per datagram. */
  function dgramServer(path: string): Promise<{ proc: ChildProcess; lines: string[] }> {
    const py = `import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint("ready",flush=True)\nwhile True:\n  d,a=s.recvfrom(65536)\n  print(a,d.hex(),flush=True)\n`;
    const proc = spawn("python3", ["-c", py, path], { stdio: ["ignore", "pipe", "inherit"] });
    cleanup.push(() => proc.kill());
    const lines: string[] = [];
    return new Promise((resolve) => {
      // Whole lines only: under load a line can arrive split over several chunks.
      createInterface({ input: proc.stdout! }).on("line", (l) => {
        if (l === "ready") resolve({ proc, lines });
        else if (l) lines.push(l);
      });
    });
  }

  it.skipIf(!canDgram)("makes every call with every argument, then connects to both NICs like libkrun", async () => {
    const stream = join(dir, "nic0.sock");
    const gram = join(dir, "nic1.sock");
    const log = join(dir, "nics.jsonl");
    const { conns } = await streamServer(stream);
    const { lines } = await dgramServer(gram);
    const vm = startKrunVm(
      { ...VM, consoleOutput: join(dir, "console.log") },
      {
        settings: settings([
          nic({ mac: "5A:94:EF:E4:0C:EE", mode: "unixstream", features: ["VIRTIO_NET_F_CSUM"] }),
          nic({ mac: "5a:94:ef:e4:0c:ef", mode: "unixgram", vfkit: true, addrs: ["192.168.127.2/24"] }),
        ]),
        providerSockets: [stream, gram],
      },
      { library: lib, env: { KRUN_RECORDER_LOG: log, KRUN_RECORDER_HOLD_MS: "300", KRUN_RECORDER_EXIT: "7", TMPDIR: dir } },
    );
    await vm.started;
    const exit = await vm.exited;
    expect(exit.code).toBe(7);
    const calls = readLog(log);
    expect(calls).toEqual([
      { fn: "krun_create_ctx", args: {}, rc: 0 },
      { fn: "krun_set_vm_config", args: { ctx_id: 0, num_vcpus: 2, ram_mib: 512 }, rc: 0 },
      { fn: "krun_set_root", args: { ctx_id: 0, root_path: "/srv/rootfs" }, rc: 0 },
      { fn: "krun_set_workdir", args: { ctx_id: 0, workdir_path: "/" }, rc: 0 },
      { fn: "krun_set_exec", args: { ctx_id: 0, exec_path: "/bin/sh", argv: ["-c", "ip a"], envp: ["PATH=/bin"] }, rc: 0 },
      { fn: "krun_add_net_unixstream", args: { ctx_id: 0, c_path: stream, fd: -1, c_mac: "5a:94:ef:e4:0c:ee", features: 1, flags: 0 }, rc: 0 },
      { fn: "krun_add_net_unixgram", args: { ctx_id: 0, c_path: gram, fd: -1, c_mac: "5a:94:ef:e4:0c:ef", features: 0, flags: 1 }, rc: 0 },
      { fn: "krun_set_console_output", args: { ctx_id: 0, c_filepath: join(dir, "console.log") }, rc: 0 },
      { fn: "krun_start_enter", args: { ctx_id: 0 }, rc: 0 },
      { fn: "connect", args: { nic: 0, mode: "unixstream", path: stream, local: null, vfkt_sent: false }, rc: 0 },
      { fn: "connect", args: { nic: 1, mode: "unixgram", path: gram, local: join(dir, `krun-net-${vm.pid}-1.sock`), vfkt_sent: true }, rc: 0 },
    ]);
    expect(conns.length).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(lines).toEqual([`${join(dir, `krun-net-${vm.pid}-1.sock`)} 56464b54`]);
    // krun_start_enter never returns: 8 configuration calls reported, then "entering".
    expect(vm.events.map((e) => e.event)).toEqual([...Array(8).fill("call"), "entering"]);
  });

  it("TSI: an explicit (possibly empty) port map and the unfiltered-egress warning", async () => {
    for (const ports of [[{ host_port: 8080, guest_port: 80 }, { host_port: 2222, guest_port: 22 }], []]) {
      const log = join(dir, `tsi-${ports.length}.jsonl`);
      const warnings: string[] = [];
      const vm = startKrunVm(VM, { settings: settings([], ports) }, { library: lib, env: { KRUN_RECORDER_LOG: log }, onWarning: (w) => warnings.push(w) });
      await vm.started;
      await vm.exited;
      expect(warnings).toEqual([TSI_WARNING]);
      const pm = readLog(log).find((c) => c.fn === "krun_set_port_map")!;
      expect(pm).toEqual({ fn: "krun_set_port_map", args: { ctx_id: 0, port_map: ports.map((p) => `${p.host_port}:${p.guest_port}`) }, rc: 0 });
    }
  });

  it("preset none: no NIC and TSI switched off (vsock without hijacking)", async () => {
    const log = join(dir, "none.jsonl");
    const vm = startKrunVm(VM, { settings: settings([]), noNetwork: true }, { library: lib, env: { KRUN_RECORDER_LOG: log } });
    expect(vm.plan.warnings).toEqual([]);
    await vm.started;
    await vm.exited;
    const fns = readLog(log).map((c) => [c.fn, c.args.tsi_features]);
    expect(fns).toContainEqual(["krun_disable_implicit_vsock", undefined]);
    expect(fns).toContainEqual(["krun_add_vsock", 0]);
    expect(fns.some(([f]) => f === "krun_set_port_map" || String(f).startsWith("krun_add_net"))).toBe(false);
  });

  it("a call libkrun rejects stops the child with `<fn> failed: <rc>` before the VM starts", async () => {
    const log = join(dir, "fail.jsonl");
    const vm = startKrunVm({ ...VM, logLevel: 9 }, { settings: settings([]) }, { library: lib, env: { KRUN_RECORDER_LOG: log }, onWarning: () => {} });
    await expect(vm.started).rejects.toThrow("krun_set_log_level failed: -22");
    expect((await vm.exited).code).toBe(1);
    expect(readLog(log).map((c) => c.fn)).toEqual(["krun_set_log_level"]);
  });

  it("a library that cannot be loaded is reported", async () => {
    const vm = startKrunVm(VM, { settings: settings([]) }, { library: join(dir, "missing.so"), onWarning: () => {} });
    await expect(vm.started).rejects.toThrow(/cannot load libkrun from .*missing\.so/);
  });
});
