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

/** The part of the WebAssembly JS API used here (the package's TypeScript libs do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: { mem: { buffer: ArrayBuffer }; sum: (len: number) => number } };
}

/** Instantiate the kernel (synchronously: the module is 150 bytes). */
export function instantiateSimdChecksum(): SimdChecksum {
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const { exports } = new wasm.Instance(new wasm.Module(Buffer.from(CHECKSUM_WASM_HEX, "hex")), {});
  return { mem: new Uint8Array(exports.mem.buffer), sum: exports.sum };
}
