/**
 * The body of `sandbox demo` (see commands/demo.ts): loaded only when the demo runs, so other
 * commands never load QEMU, the netns world or the demo's checks.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { canRunNetns, netnsUnavailableReason, type ControlEvent } from "@sandbox/netproxy";
import { buildGuest, findQemu, startVm, type QemuVm } from "@sandbox/vmm-qemu";
import { CliError, type Invocation } from "../command.js";
import { CHECKS, scenarioScript, type DemoCheck } from "./checks.js";
import { liveCheck, liveDecision, summary, Tally, type CheckRow } from "./report.js";
import { buildWorld, demoConfig, WORLD, type World } from "./world.js";
import { Exit } from "../exit-codes.js";
import type { Out } from "../io.js";
import { netproxyCliCommand } from "../self.js";

function requireEnvironment(): void {
  if (process.getuid?.() !== 0) throw new CliError("the demo builds network namespaces and needs root (run it with sudo)", Exit.environment);
  if (!canRunNetns()) throw new CliError(`network namespaces are unavailable: ${netnsUnavailableReason()}`, Exit.environment);
  try {
    findQemu("x86_64");
  } catch (e) {
    throw new CliError(`${(e as Error).message} (scripts/setup.sh installs it)`, Exit.environment);
  }
}

const leaseCheck: DemoCheck = { name: "lease", title: "DHCP lease from netproxy", command: "", expect: "ok" };
const publishedCheck: DemoCheck = { name: "published", title: `published port 127.0.0.1:${WORLD.publishedPort} → guest :80`, command: "", expect: "ok" };

async function followGuest(out: Out, vm: QemuVm, world: World): Promise<{ rows: CheckRow[]; lease: CheckRow }> {
  const leaseEv = await vm.waitForEvent("lease", 120_000);
  const leaseOk = leaseEv.fields.failed === undefined;
  const lease: CheckRow = { check: leaseCheck, got: leaseOk ? "ok" : "fail", detail: leaseOk ? `${leaseEv.fields.ip}/${leaseEv.fields.mask} via ${leaseEv.fields.router}, DNS ${leaseEv.fields.dns}, MTU ${leaseEv.fields.mtu}` : "", leaked: 0, pass: leaseOk };
  liveCheck(out, lease);
  const rows: CheckRow[] = [];
  for (const check of CHECKS) {
    const r = await vm.waitUntil(() => vm.results().get(check.name), 90_000, `the guest's ${check.name} result`);
    const got = r.fields.status ?? "missing";
    const leaked = check.untouched?.(world) ?? 0;
    const detail = Object.entries(r.fields).filter(([k]) => k !== "name" && k !== "status").map(([k, v]) => `${k}=${v}`).join(" ");
    const row = { check, got, detail, leaked, pass: got === check.expect && leaked === 0 };
    rows.push(row);
    liveCheck(out, row);
  }
  return { rows, lease };
}

async function checkPublished(out: Out, world: World): Promise<CheckRow> {
  let got = "fail";
  let detail = "";
  try {
    const body = await world.topo.exec(world.proxyNs, "curl", ["-sS", "-m", "8", `http://127.0.0.1:${WORLD.publishedPort}/`], { timeoutMs: 15_000 });
    got = body.trim() === "sandbox-guest" ? "ok" : "fail";
    detail = `served "${body.trim()}"`;
  } catch (e) {
    detail = (e as Error).message.split("\n")[0] ?? "";
  }
  const row = { check: publishedCheck, got, detail, leaked: 0, pass: got === "ok" };
  liveCheck(out, row);
  return row;
}

/** Run the demo; resolves to the exit code. */
export async function runDemo({ values, out }: Invocation): Promise<number> {
  const started = Date.now();
  requireEnvironment();
  out.progress("demo: building or reusing the test guest (first run downloads Debian packages)…");
  const image = buildGuest({ log: (m) => out.progress(`demo: ${m}`) });
  out.progress("demo: building the isolated network namespaces and test hosts…");
  const world = await buildWorld();
  const dir = mkdtempSync(join(tmpdir(), "sandbox-demo-"));
  const tally = new Tally();
  let vm: QemuVm | undefined;
  try {
    const configPath = join(dir, "network.json");
    writeFileSync(configPath, JSON.stringify(demoConfig(), null, 2));
    out.line(out.bold("Policy: public-only (DNS to the host, public addresses), deny_domains [blocked.test], published port 8080→80"));
    out.progress("demo: booting the guest behind netproxy…");
    vm = await startVm({
      boot: { kernel: image.kernel, initrd: image.initrd },
      network: { network_mode: "policy", frame_transport: { fd: 3 } },
      scenario: scenarioScript(),
      onLine: values.verbose ? (l) => out.line(out.dim(`  console ${l}`)) : undefined,
    });
    const proxy = world.topo.spawn(
      world.proxyNs,
      process.execPath,
      [...netproxyCliCommand(), "--config", configPath, "--listen", "fd:3", "--json"],
      { stdio: ["ignore", "pipe", "pipe", vm.frameSocket!] },
    );
    vm.frameSocket!.destroy(); // the proxy process holds its own copy of the socket
    let proxyErr = "";
    proxy.stderr?.on("data", (c: Buffer) => (proxyErr = (proxyErr + c.toString()).slice(-4000)));
    createInterface({ input: proxy.stdout! }).on("line", (line) => {
      let e: ControlEvent;
      try {
        e = JSON.parse(line) as ControlEvent;
      } catch {
        return;
      }
      tally.add(e);
      liveDecision(out, e);
    });
    proxy.once("exit", (code) => {
      if (code) out.err(`netproxy exited with ${code}: ${proxyErr}`);
    });
    const { rows, lease } = await followGuest(out, vm, world);
    const published = await checkPublished(out, world);
    const ok = summary(out, rows, tally, { lease, published, seconds: (Date.now() - started) / 1000 });
    return ok ? Exit.ok : Exit.failed;
  } finally {
    await vm?.stop();
    await world.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
