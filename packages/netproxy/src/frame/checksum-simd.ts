/**
 * The SIMD kernel of the Internet checksum: checksum.wat assembled by `wat2wasm` (wabt 1.0.32).
 * Do not edit the bytes; change checksum.wat and re-assemble (test/frame/checksum-simd.test.ts
 * fails when they differ).
 */

/** checksum.wat, assembled. */
export const CHECKSUM_WASM_HEX =
  "0061736d0100000001060160017f017c030201000503010005070d02036d656d02000373756d00000a74017202017f027b02400340200120004f0d0120022001fd000400fd7ffdae01210220032001fd000410fd7ffdae012103200141206a21010c000b0b2002fd1b00ad2002fd1b01ad7c2002fd1b02ad2002fd1b03ad7c7c2003fd1b00ad2003fd1b01ad7c2003fd1b02ad2003fd1b03ad7c7c7cba0b";

/** Largest number of bytes one `sum` call takes (the kernel's lanes cannot overflow below it). */
export const SIMD_CHUNK = 256 * 1024;

/** The instantiated kernel: its memory (offset 0 is the input) and the summing function. */
export interface SimdChecksum {
  readonly mem: Uint8Array;
  /** Sum of the little-endian 16-bit words of mem[0, len); len a multiple of 32, at most SIMD_CHUNK. */
  sum(len: number): number;
}

/** Instantiate the kernel (synchronously: the module is 150 bytes). */
export function instantiateSimdChecksum(): SimdChecksum {
  const inst = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(CHECKSUM_WASM_HEX, "hex")), {});
  const mem = new Uint8Array((inst.exports.mem as WebAssembly.Memory).buffer);
  return { mem, sum: inst.exports.sum as (len: number) => number };
}
