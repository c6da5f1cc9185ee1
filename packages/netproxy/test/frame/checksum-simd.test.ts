import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { internetChecksum, sumWords } from "../../src/frame/checksum.js";
import { CHECKSUM_WASM_HEX, SIMD_CHUNK } from "../../src/frame/checksum-simd.js";

/** RFC 1071 done the slow, obvious way: big-endian words, odd byte padded, end-around carry. */
function reference(b: Uint8Array, off: number, len: number): number {
  let sum = 0;
  for (let i = 0; i < len; i += 2) {
    sum += (b[off + i]! << 8) | (i + 1 < len ? b[off + i + 1]! : 0);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  return ~sum & 0xffff;
}

function hasWat2wasm(): boolean {
  try {
    execFileSync("wat2wasm", ["--version"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}

describe("SIMD checksum kernel", () => {
  const required = process.env.SANDBOX_REQUIRE_E2E === "1";
  it.skipIf(!required && !hasWat2wasm())("is the assembly of checksum.wat", () => {
    const dir = mkdtempSync(join(tmpdir(), "cks-"));
    try {
      const out = join(dir, "c.wasm");
      execFileSync("wat2wasm", [join(import.meta.dirname, "../../src/frame/checksum.wat"), "-o", out]);
      expect(readFileSync(out).toString("hex")).toBe(CHECKSUM_WASM_HEX);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("agrees with the reference on random data at every phase, across the chunk boundary", () => {
    let seed = 7;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const big = new Uint8Array(SIMD_CHUNK * 2 + 4096);
    for (let i = 0; i < big.length; i++) big[i] = rnd() >>> 24;
    big.fill(0xff, 5000, 70_000); // long runs of 0xffff words stress the carries
    const lens = [127, 128, 129, 159, 160, 161, 1460, 1500, 9000, 65_535, 65_536, 65_550, SIMD_CHUNK - 1, SIMD_CHUNK, SIMD_CHUNK + 33, SIMD_CHUNK * 2 + 17];
    for (const len of lens) {
      for (const off of [0, 1, 2, 3, 31, 33]) {
        if (off + len > big.length) continue;
        expect(internetChecksum(big, off, len), `len ${len} off ${off}`).toBe(reference(big, off, len));
        // A view with its own byteOffset: the kernel copies, so the alignment of the source is irrelevant.
        const view = big.subarray(off, off + len);
        expect(internetChecksum(view, 0, len)).toBe(reference(big, off, len));
      }
    }
    for (let k = 0; k < 200; k++) {
      const off = rnd() % 4096;
      const len = rnd() % 70_000;
      expect(internetChecksum(big, off, len)).toBe(reference(big, off, len));
    }
  });

  it("all-ones data folds without overflow (the largest lane sums)", () => {
    const ones = new Uint8Array(SIMD_CHUNK * 3).fill(0xff);
    expect(internetChecksum(ones, 0, ones.length)).toBe(reference(ones, 0, ones.length));
    // Accumulating on top of a large carried-in value stays exact.
    expect(sumWords(ones, 0, 4096, 2 ** 40) - 2 ** 40).toBe(sumWords(ones, 0, 4096));
  });
});
