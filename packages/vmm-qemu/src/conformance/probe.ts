/**
 * The vmm-qemu side of the conformance testee: answers `qemu_netdev` probes from the shared
 * vectors with the network argv, or with the error a refused input produces.
 */
import { buildNetworkArgs } from "../network/argv.js";
import { QemuSettingsError } from "../network/settings.js";

/** A `qemu_netdev` probe: `kind` plus the fields of schemas/qemu.schema.json. */
export interface QemuNetdevProbe {
  kind: "qemu_netdev";
  [field: string]: unknown;
}

/** Result of a probe: the argv, or the refusal (JSON path and message). */
export type QemuProbeResult = { argv: string[] } | { error: { path: string; message: string } };

/**
 * Run one `qemu_netdev` probe. Every probe field except `kind` and `policy` is a settings field.
 * The sandbox's network config decides whether mode `policy` attaches a NIC (the `none` preset
 * does not): the probe's `policy` field if present, else the vector's `config`.
 */
export function runQemuProbe(probe: QemuNetdevProbe, config?: unknown): QemuProbeResult {
  if (probe.kind !== "qemu_netdev") {
    throw new Error(`runQemuProbe: probe.kind is ${JSON.stringify(probe.kind)}; accepted: "qemu_netdev"`);
  }
  const { kind: _kind, policy, ...settings } = probe;
  try {
    return { argv: buildNetworkArgs(settings, { policy: policy ?? config }) };
  } catch (err) {
    if (err instanceof QemuSettingsError) return { error: { path: err.path, message: err.message } };
    throw err;
  }
}
