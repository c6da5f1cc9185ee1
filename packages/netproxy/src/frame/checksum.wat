;; The bulk of the Internet checksum (RFC 1071) with WebAssembly SIMD. Assembled with
;; `wat2wasm checksum.wat` (wabt); the bytes live in checksum-simd.ts, and
;; test/frame/checksum-simd.test.ts checks they are this file's assembly.
;; The caller copies up to 256 KiB into the exported memory at offset 0 and calls `sum`.
(module
  (memory (export "mem") 5)
  ;; Sum the little-endian u16 words of bytes [0, len): len a multiple of 32, at most 256 KiB, so
  ;; no 32-bit lane can overflow (8192 steps x 2 words x 65535 per lane). The two accumulators
  ;; let consecutive loads overlap; the lanes are widened to 64 bits and returned as an f64
  ;; (exact below 2^53), with no end-around-carry folding.
  (func (export "sum") (param $len i32) (result f64)
    (local $i i32) (local $a v128) (local $b v128)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $a (i32x4.add (local.get $a) (i32x4.extadd_pairwise_i16x8_u (v128.load (local.get $i)))))
        (local.set $b (i32x4.add (local.get $b) (i32x4.extadd_pairwise_i16x8_u (v128.load offset=16 (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $next)))
    (f64.convert_i64_u
    (i64.add
      (i64.add
        (i64.add (i64.extend_i32_u (i32x4.extract_lane 0 (local.get $a))) (i64.extend_i32_u (i32x4.extract_lane 1 (local.get $a))))
        (i64.add (i64.extend_i32_u (i32x4.extract_lane 2 (local.get $a))) (i64.extend_i32_u (i32x4.extract_lane 3 (local.get $a)))))
      (i64.add
        (i64.add (i64.extend_i32_u (i32x4.extract_lane 0 (local.get $b))) (i64.extend_i32_u (i32x4.extract_lane 1 (local.get $b))))
        (i64.add (i64.extend_i32_u (i32x4.extract_lane 2 (local.get $b))) (i64.extend_i32_u (i32x4.extract_lane 3 (local.get $b)))))))))
