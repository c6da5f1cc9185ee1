/**
 * A reproducible initramfs writer: the "newc" cpio format (what the Linux kernel unpacks), entries
 * sorted by path, fixed mtimes, uid/gid 0, sequential inode numbers, then gzip with no timestamp.
 */
import { gzipSync } from "node:zlib";

/** One initramfs entry. Paths are absolute inside the image, e.g. `/bin/busybox`. */
export type CpioEntry =
  | { path: string; kind: "dir"; mode?: number }
  | { path: string; kind: "file"; data: Uint8Array; mode?: number }
  | { path: string; kind: "symlink"; target: string }
  | { path: string; kind: "chardev"; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

function header(fields: number[], name: string): Buffer {
  const nameBuf = Buffer.from(`${name}\0`, "utf8");
  const head = Buffer.from(`070701${fields.map(hex8).join("")}${hex8(nameBuf.length)}${hex8(0)}`, "ascii");
  return Buffer.concat([head, nameBuf, Buffer.alloc(pad4(head.length + nameBuf.length))]);
}

/**
 * Serialise entries as a newc cpio archive. Entries are sorted by path (so parents precede their
 * children); a path given twice is an error. `mtime` (seconds) is written on every entry.
 */
export function writeCpio(entries: readonly CpioEntry[], mtime = 0): Buffer {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const chunks: Buffer[] = [];
  let ino = 1;
  let prev = "";
  for (const e of sorted) {
    if (!e.path.startsWith("/") || e.path.length < 2) throw new Error(`cpio: path ${JSON.stringify(e.path)} must be absolute and not "/"`);
    if (e.path === prev) throw new Error(`cpio: path ${e.path} given twice`);
    prev = e.path;
    const name = e.path.slice(1);
    let mode: number;
    let data: Buffer = Buffer.alloc(0);
    let rdev: [number, number] = [0, 0];
    switch (e.kind) {
      case "dir":
        mode = S_IFDIR | (e.mode ?? 0o755);
        break;
      case "file":
        mode = S_IFREG | (e.mode ?? 0o644);
        data = Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength);
        break;
      case "symlink":
        mode = S_IFLNK | 0o777;
        data = Buffer.from(e.target, "utf8");
        break;
      case "chardev":
        mode = S_IFCHR | (e.mode ?? 0o600);
        rdev = [e.major, e.minor];
        break;
    }
    const nlink = e.kind === "dir" ? 2 : 1;
    chunks.push(header([ino++, mode, 0, 0, nlink, mtime, data.length, 0, 0, rdev[0], rdev[1]], name));
    chunks.push(data, Buffer.alloc(pad4(data.length)));
  }
  chunks.push(header([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0], "TRAILER!!!"));
  return Buffer.concat(chunks);
}

/** gzip with a zero timestamp and fixed level, so equal input gives equal bytes. */
export function gzipReproducible(data: Uint8Array): Buffer {
  return gzipSync(data, { level: 9 });
}
