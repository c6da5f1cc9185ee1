/**
 * Locating libkrun: `$SANDBOX_LIBKRUN` (a path) first, then the usual library directories. Debian
 * 12 ships no libkrun; tests point `SANDBOX_LIBKRUN` at the recorder library they build.
 */
import { existsSync } from "node:fs";

/** Directories searched for `libkrun.so.1` / `libkrun.so` when `$SANDBOX_LIBKRUN` is unset. */
export const LIBKRUN_SEARCH_DIRS = ["/usr/local/lib64", "/usr/local/lib", "/usr/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"];

/** libkrun could not be found. */
export class LibkrunNotFoundError extends Error {
  /** @param searched the paths that were tried. */
  constructor(readonly searched: string[]) {
    super(`libkrun not found: set SANDBOX_LIBKRUN to the path of libkrun.so, or install libkrun (tried ${searched.join(", ")})`);
    this.name = "LibkrunNotFoundError";
  }
}

/**
 * The libkrun shared library to load.
 * @throws LibkrunNotFoundError when `$SANDBOX_LIBKRUN` names a missing file or nothing is installed.
 */
export function findLibkrun(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.SANDBOX_LIBKRUN;
  if (explicit) {
    if (existsSync(explicit)) return explicit;
    throw new LibkrunNotFoundError([`$SANDBOX_LIBKRUN=${explicit}`]);
  }
  const tried: string[] = [];
  for (const dir of LIBKRUN_SEARCH_DIRS) {
    for (const name of ["libkrun.so.1", "libkrun.so"]) {
      const p = `${dir}/${name}`;
      tried.push(p);
      if (existsSync(p)) return p;
    }
  }
  throw new LibkrunNotFoundError(tried);
}
