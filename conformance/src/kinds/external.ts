/**
 * Executors of the kinds owned by other packages, called through their public entry points:
 * `qemu_netdev` (@sandbox/vmm-qemu `runQemuProbe`), `nerdbox_annotations` / `nerdbox_guest_arg`
 * (@sandbox/vmm-krun `runNerdboxProbe`), `secret_substitution` and `dns_message`
 * (@sandbox/netproxy `runSecretProbe` / `runDnsMessageProbe`). Entry points are looked up at run
 * time so a package that does not export one yet makes only its own vectors fail, with a message
 * naming the missing export.
 */
import type { Probe } from "../protocol.js";
import { ProbeError } from "./policy.js";

async function entry(pkg: string, name: string): Promise<(...args: unknown[]) => unknown> {
  const mod = (await import(pkg)) as Record<string, unknown>;
  const f = mod[name];
  if (typeof f !== "function") throw new Error(`${pkg} does not export ${name}`);
  return f as (...args: unknown[]) => unknown;
}

/** `qemu_netdev`: the QEMU network argv, or the refusal as an error. */
export async function runQemuNetdev(_c: Record<string, unknown>, p: Probe): Promise<unknown> {
  const run = await entry("@sandbox/vmm-qemu", "runQemuProbe");
  const r = run(p) as { argv: string[] } | { error: { path: string; message: string } };
  if ("error" in r) throw new ProbeError(`${r.error.path}: ${r.error.message}`);
  return r;
}

/** `nerdbox_annotations` / `nerdbox_guest_arg`: the parsed networks and derived calls (errors are part of the result). */
export async function runNerdbox(_c: Record<string, unknown>, p: Probe): Promise<unknown> {
  const run = await entry("@sandbox/vmm-krun", "runNerdboxProbe");
  return run(p);
}

/** `secret_substitution`: `{violation}` or `{forwarded}`. */
export async function runSecretSubstitution(c: Record<string, unknown>, p: Probe): Promise<unknown> {
  const run = await entry("@sandbox/netproxy", "runSecretProbe");
  return run(c, p);
}

/** `dns_message`: the forwarder's response summary. */
export async function runDnsMessage(c: Record<string, unknown>, p: Probe): Promise<unknown> {
  const run = await entry("@sandbox/netproxy", "runDnsMessageProbe");
  return await run(c, p);
}

/** The address plan of a sandbox slot (`runtime` sdk_translation), from @sandbox/netproxy. */
export async function planAddresses(input: { slot?: number; ipv4Pool?: string; ipv6Pool?: string }): Promise<unknown> {
  const run = await entry("@sandbox/netproxy", "planAddresses");
  return run(input);
}
