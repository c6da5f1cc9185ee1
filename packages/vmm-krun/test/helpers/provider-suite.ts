/**
 * The provider end-to-end suite, written once over a `startNetproxy` implementation: netproxy as
 * the provider of a libkrun NIC in both modes, driven (1) by the recorder libkrun through the real
 * launcher — libkrun's exact wire behaviour plus a Rapid Commit DHCPDISCOVER as the guest's first
 * frame — and (2) by QEMU with its iPXE ROM on the same socket (`-netdev stream` / `-netdev dgram`),
 * checking the DHCP lease in QEMU's own packet capture.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNetproxyProvider, type StartNetproxyLike, type NetproxyProvider } from "../../src/provider/netproxy-provider.js";
import { fromAnnotations } from "../../src/nerdbox/bundle.js";
import { fromNerdboxNetwork } from "../../src/config/convert.js";
import { staticGateway } from "../../src/nerdbox/guest.js";
import { parsePrefix } from "../../src/go/netip.js";
import { parseMAC } from "../../src/go/mac.js";
import { startKrunVm } from "../../src/libkrun/launcher.js";
import { startKrunSandbox } from "../../src/provider/sandbox.js";
import { buildRecorder, havePython, readLog, requireOrSkip } from "./recorder.js";
import { dhcpDiscover, parseDhcpReply, optIp, optInt, pcapFrames, type DhcpReply } from "./dhcp.js";

/** The sandbox network config used: nerdbox's gvproxy-style addressing (guest .2/24, gateway .1). */
export const PROVIDER_CONFIG = { interface: { mac: "5a:94:ef:e4:0c:ee", ipv4_address: "192.168.127.2/24", ipv6_address: "fd00::2/64", mtu: 1500 } };

const qemuBin = ["/usr/bin/qemu-system-x86_64", "/usr/local/bin/qemu-system-x86_64"].find((p) => existsSync(p));

function checkLease(r: DhcpReply | null, p: NetproxyProvider, expectType: number): void {
  expect(r, "a DHCP reply").not.toBeNull();
  const addr = p.network.addrs[0]!;
  const gw = staticGateway({ addr4: parsePrefix(addr), addr6: null });
  expect(r!.msgType).toBe(expectType);
  expect(r!.yiaddr).toBe(addr.split("/")[0]);
  expect(optIp(r!, 3)).toBe(gw); // router = first address of the subnet (nerdbox's assumption)
  expect(optIp(r!, 6)).toBe(gw); // DNS on the gateway
  expect(optInt(r!, 26)).toBe(1500); // MTU option always sent
  expect(optIp(r!, 1)).toBe("255.255.255.0");
}

/** Register the suite. */
export function providerSuite(start: StartNetproxyLike): void {
  let dir = "";
  let lib = "";
  const cleanup: (() => Promise<unknown> | void)[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "vmm-krun-provider-"));
    lib = buildRecorder();
  }, 60_000);
  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  for (const [mode, vfkitOn] of [["unixstream", false], ["unixgram", true], ["unixgram", false]] as const) {
    it(`${mode}${vfkitOn ? " + VFKT" : ""}: annotation, libkrun's connect, and a Rapid Commit DHCPDISCOVER answered with an ACK`, async () => {
      const socketPath = join(dir, `${mode}-${vfkitOn}.sock`);
      const p = await startNetproxyProvider({ config: PROVIDER_CONFIG, mode, socketPath, vfkit: vfkitOn, startNetproxy: start });
      cleanup.push(() => p.close());
      const vfkit = vfkitOn ? ",vfkit=true" : "";
      expect(p.annotation).toEqual({ "io.containerd.nerdbox.network.0": `socket=${socketPath},mode=${mode},mac=5a:94:ef:e4:0c:ee,addr=192.168.127.2/24,addr=fd00::2/64${vfkit}` });
      expect(p.gateway.ipv4).toBe("192.168.127.1");
      // The annotation goes through the nerdbox parser and becomes the libkrun NIC.
      const settings = { networks: fromAnnotations(p.annotation).networks.map(fromNerdboxNetwork), tsi_port_map: [] };
      const log = join(dir, `${mode}-${vfkitOn}.jsonl`);
      const frame = Buffer.from(dhcpDiscover(parseMAC(p.network.mac), true)).toString("hex");
      const vm = startKrunVm(
        { vcpus: 1, ramMib: 128, root: dir },
        { settings },
        { library: lib, env: { KRUN_RECORDER_LOG: log, KRUN_RECORDER_FRAME_HEX: frame, KRUN_RECORDER_REPLY_MS: "5000", TMPDIR: dir } },
      );
      await vm.started;
      await vm.exited;
      const calls = readLog(log);
      // Without VFKT the first datagram is the guest's frame itself: netproxy locks the peer on it and still processes it.
      expect(calls.find((c) => c.fn === "connect")).toMatchObject({ rc: 0, args: { mode, vfkt_sent: vfkitOn } });
      const reply = calls.find((c) => c.fn === "reply");
      expect(reply?.rc, "a reply frame").toBe(0);
      // libkrun's init waits only 100 ms; the latency is reported, not asserted (timing belongs in bench/).
      console.info(`[vmm-krun] ${mode}${vfkitOn ? "+VFKT" : ""}: DHCP rapid-commit reply after ${(reply!.args.elapsed_us as number) / 1000} ms`);
      checkLease(parseDhcpReply(Buffer.from(reply!.args.frame as string, "hex")), p, 5);
      expect(parseDhcpReply(Buffer.from(reply!.args.frame as string, "hex"))!.options.has(80)).toBe(true);
    });
  }

  it.skipIf(!requireOrSkip(havePython(), "python3 (the intruder's AF_UNIX datagram socket)"))("unixgram: once libkrun's socket is the locked peer, another local sender gets nothing", async () => {
    const socketPath = join(dir, "locked.sock");
    const p = await startNetproxyProvider({ config: PROVIDER_CONFIG, mode: "unixgram", socketPath, startNetproxy: start });
    cleanup.push(() => p.close());
    const settings = { networks: fromAnnotations(p.annotation).networks.map(fromNerdboxNetwork), tsi_port_map: [] };
    const log = join(dir, "locked.jsonl");
    const frame = Buffer.from(dhcpDiscover(parseMAC(p.network.mac), true)).toString("hex");
    const vm = startKrunVm({ vcpus: 1, ramMib: 128, root: dir }, { settings }, {
      library: lib,
      env: { KRUN_RECORDER_LOG: log, KRUN_RECORDER_FRAME_HEX: frame, KRUN_RECORDER_HOLD_MS: "4000", TMPDIR: dir },
    });
    cleanup.push(() => void vm.stop("SIGKILL"));
    await vm.started;
    for (let t = 0; t < 100 && !readLog(log).some((c) => c.fn === "reply"); t++) await new Promise((r) => setTimeout(r, 50));
    expect(readLog(log).find((c) => c.fn === "reply")?.rc).toBe(0);
    const rxBefore = p.netproxy.stats!().link.rx_frames;
    expect(rxBefore, "the guest's frame was received").toBeGreaterThanOrEqual(1);
    // An intruder on the same host: its own bound address, the same kind of frame.
    const intruder = Buffer.from(dhcpDiscover(Uint8Array.of(0x02, 0, 0, 0, 0, 0x66), true)).toString("hex");
    const py = [
      "import socket,sys",
      "s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)",
      "s.bind(sys.argv[2])",
      "s.settimeout(1.0)",
      "s.sendto(bytes.fromhex(sys.argv[3]),sys.argv[1])",
      "try:\n  print(s.recv(65536).hex())\nexcept socket.timeout:\n  print('none')",
    ].join("\n");
    const out = spawnSync("python3", ["-c", py, socketPath, join(dir, "intruder.sock"), intruder], { encoding: "utf8" });
    expect(out.stdout.trim(), out.stderr).toBe("none");
    await new Promise((r) => setTimeout(r, 200));
    expect(p.netproxy.stats!().link.rx_frames, "the intruder's frame must not reach the stack").toBe(rxBefore);
    await vm.stop("SIGKILL");
  });

  it("startKrunSandbox: netproxy NIC first, then the VM; the provider stops with the VM", async () => {
    const runDir = mkdtempSync(join(dir, "sb-"));
    const log = join(runDir, "calls.jsonl");
    const mac = parseMAC(PROVIDER_CONFIG.interface.mac);
    const sb = await startKrunSandbox({
      vm: { vcpus: 1, ramMib: 128, root: runDir },
      config: PROVIDER_CONFIG,
      runDir,
      startNetproxy: start,
      krun: { library: lib, env: { KRUN_RECORDER_LOG: log, KRUN_RECORDER_FRAME_HEX: Buffer.from(dhcpDiscover(mac, true)).toString("hex") } },
    });
    expect(sb.annotations).toEqual({ "io.containerd.nerdbox.network.0": `socket=${join(runDir, "netproxy-unixstream.sock")},mode=unixstream,mac=5a:94:ef:e4:0c:ee,addr=192.168.127.2/24,addr=fd00::2/64` });
    await sb.vm.started;
    await sb.vm.exited;
    await sb.provider!.netproxy.closed; // resolves once netproxy has stopped (guest gone / stopped with the VM)
    const calls = readLog(log);
    expect(calls.filter((c) => c.fn.startsWith("krun_add_net")).map((c) => c.args.c_path)).toEqual([join(runDir, "netproxy-unixstream.sock")]);
    expect(calls.some((c) => c.fn === "krun_set_port_map")).toBe(false);
    checkLease(parseDhcpReply(Buffer.from(calls.find((c) => c.fn === "reply")!.args.frame as string, "hex")), sb.provider!, 5);
  });

  describe.skipIf(!requireOrSkip(qemuBin !== undefined, "qemu-system-x86_64"))("QEMU + iPXE as the frame source on the provider's socket", () => {
    for (const mode of ["unixstream", "unixgram"] as const) {
      it(`${mode}: iPXE gets the lease nerdbox's guest expects`, async () => {
        const socketPath = join(dir, `q-${mode}.sock`);
        const p = await startNetproxyProvider({ config: PROVIDER_CONFIG, mode, socketPath, startNetproxy: start });
        cleanup.push(() => p.close());
        const pcap = join(dir, `q-${mode}.pcap`);
        const netdev =
          mode === "unixstream"
            ? `stream,id=n0,server=off,addr.type=unix,addr.path=${socketPath}`
            : `dgram,id=n0,local.type=unix,local.path=${join(dir, "qemu-local.sock")},remote.type=unix,remote.path=${socketPath}`;
        const q: ChildProcess = spawn(qemuBin!, [
          "-nodefaults", "-display", "none", "-serial", "none", "-M", "pc", "-m", "64", "-boot", "n",
          // TCG on purpose: iPXE under nested KVM here sends nothing (CPUID warning), and TCG is enough for DHCP.
          "-accel", "tcg", "-netdev", netdev,
          "-device", `virtio-net-pci,netdev=n0,mac=${p.network.mac}`,
          "-object", `filter-dump,id=f0,netdev=n0,file=${pcap}`,
        ], { stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        q.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
        cleanup.push(() => void q.kill("SIGKILL"));
        let lease: DhcpReply | null = null;
        for (let t = 0; t < 600 && !lease && q.exitCode === null; t++) {
          await new Promise((r) => setTimeout(r, 100));
          if (!existsSync(pcap)) continue;
          lease = pcapFrames(readFileSync(pcap)).map(parseDhcpReply).find((r) => r?.msgType === 5) ?? null;
        }
        q.kill("SIGKILL");
        expect(lease, `no DHCPACK in QEMU's capture (qemu: ${stderr.trim() || "no output"})`).not.toBeNull();
        checkLease(lease, p, 5);
      }, 90_000);
    }
  });
}
