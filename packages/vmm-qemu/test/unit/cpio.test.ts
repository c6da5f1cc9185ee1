/** Tests of the reproducible initramfs writer, checked against GNU cpio when it is installed. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { gzipReproducible, which, writeCpio, type CpioEntry } from "../../src/index.js";

const entries: CpioEntry[] = [
  { path: "/bin/sh", kind: "symlink", target: "busybox" },
  { path: "/bin", kind: "dir" },
  { path: "/bin/busybox", kind: "file", data: Buffer.from("#!x\n"), mode: 0o755 },
  { path: "/etc", kind: "dir" },
  { path: "/etc/hosts", kind: "file", data: Buffer.from("127.0.0.1 localhost\n") },
  { path: "/dev", kind: "dir" },
  { path: "/dev/console", kind: "chardev", major: 5, minor: 1 },
];

describe("writeCpio", () => {
  it("is deterministic whatever the input order, and gzip adds no timestamp", () => {
    const a = gzipReproducible(writeCpio(entries));
    const b = gzipReproducible(writeCpio([...entries].reverse()));
    expect(a.equals(b)).toBe(true);
    expect(a.readUInt32LE(4)).toBe(0); // gzip MTIME
    expect(gunzipSync(a).subarray(0, 6).toString()).toBe("070701");
  });

  it("refuses duplicate and relative paths", () => {
    expect(() => writeCpio([entries[3]!, entries[3]!])).toThrow(/given twice/);
    expect(() => writeCpio([{ path: "etc", kind: "dir" }])).toThrow(/must be absolute/);
  });

  it.skipIf(!which("cpio"))("unpacks with GNU cpio to the same tree", () => {
    const dir = mkdtempSync(join(tmpdir(), "cpio-test-"));
    execFileSync("cpio", ["-idm", "--quiet", "--no-absolute-filenames"], { cwd: dir, input: writeCpio(entries.filter((e) => e.kind !== "chardev")) });
    expect(readFileSync(join(dir, "etc/hosts"), "utf8")).toBe("127.0.0.1 localhost\n");
    expect(readlinkSync(join(dir, "bin/sh"))).toBe("busybox");
    expect(statSync(join(dir, "bin/busybox")).mode & 0o777).toBe(0o755);
    expect(statSync(join(dir, "etc/hosts")).mtimeMs).toBe(0);
  });
});
