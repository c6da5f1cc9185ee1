/**
 * Debian package access for the guest build: resolve a (meta) package to a concrete one, fetch
 * its .deb with `apt-get download` into a cache, unpack with `dpkg-deb -x`, and list a host
 * binary's shared libraries with `ldd`.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";

function run(cmd: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message: string };
    if (e.code === "ENOENT") throw new Error(`guest build: \`${cmd}\` is not installed (needed for ${args[0] ?? cmd}); this builder needs a Debian host with apt and dpkg`);
    throw new Error(`guest build: \`${cmd} ${args.join(" ")}\` failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

/**
 * Resolve a meta package (e.g. `linux-image-cloud-amd64`) to the `linux-image-*` package it
 * depends on; other packages resolve to themselves.
 */
export function resolvePackage(pkg: string): string {
  if (!pkg.startsWith("linux-image-") || /^linux-image-\d/.test(pkg)) return pkg;
  const out = run("apt-cache", ["depends", pkg]);
  const m = /Depends:\s*(linux-image-\d[^\s]*)/.exec(out);
  if (!m?.[1]) {
    throw new Error(`guest build: apt-cache knows no concrete kernel behind ${pkg} (output: ${out.trim() || "empty"}); run \`apt-get update\` first`);
  }
  return m[1];
}

/**
 * Return the cached .deb of `pkg` in `debsDir`, downloading it with `apt-get download` when
 * absent (or when `refresh` is set).
 */
export function fetchDeb(pkg: string, debsDir: string, refresh = false): string {
  mkdirSync(debsDir, { recursive: true });
  const find = (): string | undefined =>
    readdirSync(debsDir)
      .filter((f) => f.startsWith(`${pkg}_`) && f.endsWith(".deb"))
      .sort()
      .at(-1);
  let file = refresh ? undefined : find();
  if (file === undefined) {
    run("apt-get", ["download", "-q", pkg], debsDir);
    file = find();
    if (file === undefined) throw new Error(`guest build: apt-get download ${pkg} left no ${pkg}_*.deb in ${debsDir}`);
  }
  return join(debsDir, file);
}

/** Unpack a .deb's data into `dir`. */
export function extractDeb(deb: string, dir: string): void {
  mkdirSync(dir, { recursive: true });
  run("dpkg-deb", ["-x", deb, dir]);
}

/** The shared libraries (including the dynamic loader) a host binary needs, as absolute paths. */
export function sharedLibraries(binary: string): string[] {
  if (!existsSync(binary)) throw new Error(`guest build: ${binary} is missing on the host; install its Debian package (apt-get install -y curl iperf3)`);
  const out = run("ldd", [binary]);
  const libs: string[] = [];
  for (const line of out.split("\n")) {
    const arrow = /=>\s*(\/\S+)/.exec(line);
    const bare = /^\s*(\/\S+)\s+\(/.exec(line);
    const p = arrow?.[1] ?? bare?.[1];
    if (p) libs.push(p);
  }
  if (libs.length === 0) throw new Error(`guest build: ldd found no libraries for ${binary}: ${out.trim()}`);
  return libs;
}
