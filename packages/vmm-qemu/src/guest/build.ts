/**
 * Builds (and caches) the test guest: Debian's cloud kernel, and an initramfs with busybox-static,
 * the virtio-net modules, curl and iperf3 with their shared libraries, and the scenario-running
 * /init from guest/. Reproducible: the cache key hashes every input, the cpio is sorted with fixed
 * mtimes, and the gzip carries no timestamp.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipReproducible, writeCpio, type CpioEntry } from "./cpio.js";
import { extractDeb, fetchDeb, resolvePackage, sharedLibraries } from "./debian.js";

/** Bump when the image layout changes, so old cache entries are not reused. */
const FORMAT = "sandbox-guest-v1";

/** Kernel modules loaded by /init, in load order (virtio-net and its dependencies, fw_cfg). */
export const GUEST_MODULES = [
  "virtio_ring",
  "virtio",
  "virtio_pci_legacy_dev",
  "virtio_pci_modern_dev",
  "virtio_pci",
  "virtio_mmio",
  "failover",
  "net_failover",
  "virtio_net",
  "qemu_fw_cfg",
] as const;

/** Debian packages the guest is built from (kernel meta package, busybox). */
export const GUEST_DEBS = { kernel: "linux-image-cloud-amd64", busybox: "busybox-static" } as const;
/** Host binaries copied into the guest with their shared libraries (Debian packages curl, iperf3). */
export const GUEST_HOST_BINARIES = ["/usr/bin/curl", "/usr/bin/iperf3"] as const;

/** Options of {@link buildGuest}. */
export interface BuildGuestOptions {
  /** Cache root; default `$SANDBOX_CACHE_DIR` or `$XDG_CACHE_HOME/sandbox` or `~/.cache/sandbox`. */
  cacheDir?: string;
  /** Re-download the .debs even when cached. */
  refresh?: boolean;
  /** Progress messages. */
  log?: (msg: string) => void;
}

/** A built guest. */
export interface GuestImage {
  /** Path of the kernel (bzImage). */
  kernel: string;
  /** Path of the gzip'd newc initramfs. */
  initrd: string;
  /** Directory holding both and manifest.json. */
  dir: string;
  /** Hash of all inputs (the cache key). */
  hash: string;
  /** True when taken from the cache. */
  cached: boolean;
}

/** The cache root used by default. */
export function defaultCacheDir(): string {
  const env = process.env.SANDBOX_CACHE_DIR;
  if (env) return env;
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "sandbox");
}

const guestSrcDir = fileURLToPath(new URL("../../guest/", import.meta.url));

function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * Return the test guest, building it when the cache has no image for the current inputs.
 * Needs apt-get/dpkg-deb (Debian), the curl and iperf3 packages on the host, and apt lists.
 */
export function buildGuest(opts: BuildGuestOptions = {}): GuestImage {
  const log = opts.log ?? (() => {});
  const root = opts.cacheDir ?? defaultCacheDir();
  const debsDir = join(root, "debs");
  const kernelPkg = resolvePackage(GUEST_DEBS.kernel);
  const kernelDeb = fetchDeb(kernelPkg, debsDir, opts.refresh);
  const busyboxDeb = fetchDeb(GUEST_DEBS.busybox, debsDir, opts.refresh);

  const hostFiles = new Map<string, Buffer>();
  for (const bin of GUEST_HOST_BINARIES) {
    for (const p of [bin, ...sharedLibraries(bin)]) if (!hostFiles.has(p)) hostFiles.set(p, readFileSync(p));
  }
  const scripts = { init: readFileSync(join(guestSrcDir, "init.sh")), udhcpc: readFileSync(join(guestSrcDir, "udhcpc.sh")) };

  const h = createHash("sha256");
  h.update(`${FORMAT}\n${GUEST_MODULES.join(",")}\n`);
  for (const deb of [kernelDeb, busyboxDeb]) h.update(`${basename(deb)} ${sha256(readFileSync(deb))}\n`);
  for (const [p, data] of [...hostFiles].sort(([a], [b]) => (a < b ? -1 : 1))) h.update(`${p} ${sha256(data)}\n`);
  h.update(`init ${sha256(scripts.init)}\nudhcpc ${sha256(scripts.udhcpc)}\n`);
  const hash = h.digest("hex").slice(0, 16);

  const dir = join(root, "guest", hash);
  const image = { kernel: join(dir, "vmlinuz"), initrd: join(dir, "initrd.gz"), dir, hash };
  if (existsSync(join(dir, "manifest.json"))) return { ...image, cached: true };

  log(`building guest ${hash} from ${basename(kernelDeb)}, ${basename(busyboxDeb)}`);
  mkdirSync(join(root, "guest"), { recursive: true });
  const work = mkdtempSync(join(root, "guest", `.build-${hash}-`));
  try {
    extractDeb(kernelDeb, join(work, "kernel"));
    extractDeb(busyboxDeb, join(work, "busybox"));
    const bootDir = join(work, "kernel", "boot");
    const vmlinuz = readdirSync(bootDir).find((f) => f.startsWith("vmlinuz-"));
    if (!vmlinuz) throw new Error(`guest build: ${basename(kernelDeb)} has no boot/vmlinuz-*`);
    const release = vmlinuz.slice("vmlinuz-".length);
    const modRoot = join(work, "kernel", "lib", "modules", release, "kernel");

    const entries: CpioEntry[] = [];
    const dirs = new Set<string>();
    const addDirs = (p: string): void => {
      const parts = p.split("/").filter(Boolean);
      for (let i = 1; i < parts.length; i++) dirs.add(`/${parts.slice(0, i).join("/")}`);
    };
    const addFile = (p: string, data: Uint8Array, mode = 0o644): void => {
      addDirs(p);
      entries.push({ path: p, kind: "file", data, mode });
    };
    for (const d of ["/proc", "/sys", "/dev", "/tmp", "/root", "/www", "/sbin", "/usr/sbin", "/etc", "/lib/modules"]) {
      dirs.add(d);
      addDirs(d);
    }
    entries.push({ path: "/dev/console", kind: "chardev", major: 5, minor: 1 });
    entries.push({ path: "/dev/null", kind: "chardev", major: 1, minor: 3, mode: 0o666 });
    addFile("/init", scripts.init, 0o755);
    addFile("/etc/udhcpc.sh", scripts.udhcpc, 0o755);
    addFile("/etc/nsswitch.conf", Buffer.from("hosts: files dns\n"));
    addFile("/etc/hosts", Buffer.from("127.0.0.1 localhost\n"));
    addFile("/etc/passwd", Buffer.from("root:x:0:0:root:/root:/bin/sh\n"));
    addFile("/etc/group", Buffer.from("root:x:0:\n"));
    addFile("/www/index.html", Buffer.from("sandbox-guest\n"));
    addFile("/bin/busybox", readFileSync(join(work, "busybox", "bin", "busybox")), 0o755);
    entries.push({ path: "/bin/sh", kind: "symlink", target: "busybox" });
    for (const m of GUEST_MODULES) {
      const found = findModule(modRoot, `${m}.ko`);
      if (!found) throw new Error(`guest build: module ${m}.ko not found under ${modRoot}`);
      addFile(`/lib/modules/${m}.ko`, readFileSync(found));
    }
    for (const [p, data] of hostFiles) addFile(p, data, 0o755);
    for (const d of dirs) if (!entries.some((e) => e.path === d)) entries.push({ path: d, kind: "dir", mode: d === "/tmp" ? 0o1777 : 0o755 });

    const initrd = gzipReproducible(writeCpio(entries));
    writeFileSync(join(work, "initrd.gz"), initrd);
    writeFileSync(join(work, "vmlinuz"), readFileSync(join(bootDir, vmlinuz)));
    const manifest = {
      format: FORMAT,
      hash,
      kernel_release: release,
      debs: [basename(kernelDeb), basename(busyboxDeb)],
      host_files: [...hostFiles.keys()].sort(),
      modules: GUEST_MODULES,
      initrd_sha256: sha256(initrd),
    };
    rmSync(join(work, "kernel"), { recursive: true, force: true });
    rmSync(join(work, "busybox"), { recursive: true, force: true });
    writeFileSync(join(work, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    try {
      renameSync(work, dir); // atomic; fails when a concurrent build got there first
    } catch {
      if (!existsSync(join(dir, "manifest.json"))) throw new Error(`guest build: cannot move ${work} to ${dir}`);
      rmSync(work, { recursive: true, force: true });
      return { ...image, cached: true };
    }
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
  log(`guest ${hash} written to ${dir}`);
  return { ...image, cached: false };
}

function findModule(dir: string, file: string): string | undefined {
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) {
      const r = findModule(p, file);
      if (r) return r;
    } else if (ent.name === file) return p;
  }
  return undefined;
}
