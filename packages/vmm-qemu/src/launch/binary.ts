/**
 * Locating the QEMU system emulator and `setpriv` (util-linux) on PATH.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import type { Arch } from "../network/settings.js";

/** Find an executable on PATH; undefined when absent. */
export function which(name: string): string | undefined {
  if (name.includes("/")) {
    try {
      accessSync(name, constants.X_OK);
      return name;
    } catch {
      return undefined;
    }
  }
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** Thrown when a required program (QEMU), file (kernel) or facility (KVM) is missing. */
export class QemuLaunchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QemuLaunchError";
  }
}

/** The QEMU binary for an architecture (or an explicit path); throws a clear error when missing. */
export function findQemu(arch: Arch, explicit?: string): string {
  const name = explicit ?? `qemu-system-${arch}`;
  const p = which(name);
  if (!p) {
    const pkg = arch === "x86_64" ? "qemu-system-x86" : "qemu-system-arm";
    throw new QemuLaunchError(`QEMU not found: \`${name}\` is not an executable on PATH; install it (Debian: apt-get install -y ${pkg})`);
  }
  return p;
}
