;; The SIMD prefilter of literal-set.ts: "Teddy" (the multi-literal prefilter of Hyperscan and
;; ripgrep) on WebAssembly SIMD. Each of up to 8 buckets holds some literals; for the first three
;; bytes of a literal, two 16-entry tables (by low and by high nibble) give the buckets whose
;; literals may have that byte there. A lane of a 16-byte block survives when all three of its
;; bytes agree on a bucket; a block with a survivor is returned for the caller to verify exactly.
;; Assembled with `wat2wasm` (SIMD is on by default) into literal-set-wasm.ts (scripts/build-wasm.mjs).
(module
  (import "env" "memory" (memory 1))
  ;; Lanes of the block last returned that hold a candidate (bit i: byte p + i).
  (global $mask (export "mask") (mut i32) (i32.const 0))
  ;; Blocks of 16 bytes from $p while $p < $end: the first with a candidate, or -1. The six tables
  ;; sit at bytes 0..95 of memory; up to 18 bytes past $end are read (the caller leaves room).
  (func (export "scan") (param $p i32) (param $end i32) (result i32)
    (local $lo0 v128) (local $hi0 v128) (local $lo1 v128) (local $hi1 v128)
    (local $lo2 v128) (local $hi2 v128) (local $low v128) (local $v v128) (local $m v128)
    (local.set $lo0 (v128.load offset=0 (i32.const 0)))
    (local.set $hi0 (v128.load offset=16 (i32.const 0)))
    (local.set $lo1 (v128.load offset=32 (i32.const 0)))
    (local.set $hi1 (v128.load offset=48 (i32.const 0)))
    (local.set $lo2 (v128.load offset=64 (i32.const 0)))
    (local.set $hi2 (v128.load offset=80 (i32.const 0)))
    (local.set $low (i8x16.splat (i32.const 15)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (v128.load (local.get $p)))
        (local.set $m
          (v128.and
            (i8x16.swizzle (local.get $lo0) (v128.and (local.get $v) (local.get $low)))
            (i8x16.swizzle (local.get $hi0) (i8x16.shr_u (local.get $v) (i32.const 4)))))
        (local.set $v (v128.load offset=1 (local.get $p)))
        (local.set $m
          (v128.and
            (local.get $m)
            (v128.and
              (i8x16.swizzle (local.get $lo1) (v128.and (local.get $v) (local.get $low)))
              (i8x16.swizzle (local.get $hi1) (i8x16.shr_u (local.get $v) (i32.const 4))))))
        (local.set $v (v128.load offset=2 (local.get $p)))
        (local.set $m
          (v128.and
            (local.get $m)
            (v128.and
              (i8x16.swizzle (local.get $lo2) (v128.and (local.get $v) (local.get $low)))
              (i8x16.swizzle (local.get $hi2) (i8x16.shr_u (local.get $v) (i32.const 4))))))
        (if (v128.any_true (local.get $m))
          (then
            (global.set $mask
              (i8x16.bitmask (i8x16.ne (local.get $m) (v128.const i64x2 0 0))))
            (return (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $next)))
    (i32.const -1)))
