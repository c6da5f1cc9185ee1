/**
 * `sandbox run`: boot a guest behind netproxy with a network config and run a command (or a
 * scenario script) in it. The guest's console goes to stdout, netproxy's decisions to stderr,
 * and the exit status is the command's. With a guest of your own (--kernel/--initrd or --disk)
 * the console is streamed until the guest powers off.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { spawn } from "node:child_process";
import type { ControlEvent } from "@sandbox/netproxy";
import type { BootSource } from "@sandbox/vmm-qemu";
import { CliError, type Command } from "../command.js";
import { loadConfigOrFail } from "../config.js";
import { renderEvent } from "../events.js";
import { Exit } from "../exit-codes.js";
import { makeOut } from "../io.js";
import { netproxyCliCommand } from "../self.js";

/** The `run` command. */
export const runCommand: Command = {
  name: "run",
  summary: "Boot a guest behind netproxy with a config and run a command or scenario in it",
  usage: "sandbox run --config FILE [--kernel K [--initrd I] | --disk IMG] [--scenario FILE] [--accel auto|kvm|tcg] [--memory MiB] [--quiet] [-- COMMAND...]",
  description:
    "Starts netproxy with the config (as `sandbox netproxy` does) on a socketpair handed to QEMU (-netdev stream, no socket file), boots the guest behind it, and runs COMMAND in the test guest (busybox sh; curl, nc, nslookup, iperf3 available) after its DHCP lease. Exit status: the command's. netproxy's decisions go to stderr (--quiet hides them). Runs on this host's network, enforced by the policy; for a fully isolated world see `sandbox demo`.",
  examples: [
    "sudo sandbox run --config examples/public-only.json -- nslookup host.microsandbox.internal",
    "sudo sandbox run --config examples/public-only.json --scenario my-checks.sh",
  ],
  options: {
    config: { type: "string", short: "c" },
    dialect: { type: "string", short: "d" },
    kernel: { type: "string" },
    initrd: { type: "string" },
    disk: { type: "string" },
    scenario: { type: "string" },
    accel: { type: "string" },
    memory: { type: "string" },
    quiet: { type: "boolean", short: "q" },
  },
  async run({ values, positionals, out, io }) {
    const plain = makeOut(io, true);
    if (!values.config) throw new CliError("--config is required", Exit.usage);
    const config = loadConfigOrFail(String(values.config), values.dialect);
    const { buildGuest, findQemu, parseGuestEvent, startVm } = await import("@sandbox/vmm-qemu");
    try {
      findQemu("x86_64");
    } catch (e) {
      throw new CliError(`${(e as Error).message} (scripts/setup.sh installs it)`, Exit.environment);
    }
    const own = values.kernel !== undefined || values.disk !== undefined;
    let boot: BootSource;
    if (values.disk !== undefined) boot = { disk: String(values.disk) };
    else if (values.kernel !== undefined) boot = { kernel: String(values.kernel), initrd: values.initrd as string | undefined };
    else {
      const image = buildGuest({ log: (m) => out.progress(`run: ${m}`) });
      boot = { kernel: image.kernel, initrd: image.initrd };
    }
    const scenario = values.scenario !== undefined ? readFileSync(String(values.scenario), "utf8") : positionals.length ? positionals.join(" ") : "";
    if (own && scenario) out.progress("run: a command or scenario only runs in the test guest; streaming your guest's console instead");

    const dir = mkdtempSync(join(tmpdir(), "sandbox-run-"));
    const configPath = join(dir, "network.json");
    writeFileSync(configPath, JSON.stringify(config));
    let rc: number | undefined;
    const vm = await startVm({
      boot,
      network: { network_mode: "policy", frame_transport: { fd: 3 } },
      policy: config.policy,
      accel: (values.accel as "auto" | "kvm" | "tcg" | undefined) ?? "auto",
      memoryMiB: values.memory === undefined ? undefined : Number(values.memory),
      scenario: own ? undefined : scenario,
      onLine: (l) => {
        const ev = parseGuestEvent(l);
        if (!ev) out.line(l);
        else if (ev.event === "done") rc = Number(ev.fields.rc ?? 1);
      },
    });
    try {
      if (vm.frameSocket) {
        const proxy = spawn(process.execPath, [...netproxyCliCommand(), "--config", configPath, "--listen", "fd:3", "--json"], {
          stdio: ["ignore", "pipe", "inherit", vm.frameSocket],
        });
        vm.frameSocket.destroy();
        createInterface({ input: proxy.stdout! }).on("line", (line) => {
          if (values.quiet) return;
          try {
            const text = renderEvent(JSON.parse(line) as ControlEvent, plain);
            if (text) out.err(`netproxy: ${text}`);
          } catch {
            /* not an event line */
          }
        });
        vm.exited.then(() => proxy.kill("SIGTERM"), () => proxy.kill("SIGTERM"));
      }
      await vm.exited;
    } finally {
      await vm.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    if (own) return Exit.ok;
    return rc ?? Exit.failed;
  },
};
