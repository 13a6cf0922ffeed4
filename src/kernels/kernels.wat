;; Matrix kernels of `rnnkit` in WebAssembly 128-bit SIMD (float32).
;;
;; This file is the source; scripts/build-wasm.mjs compiles it with wabt
;; into four variants during `npm run build`:
;;   MEMORY  → the memory import, shared (worker threads, growth keeps views
;;             valid) or not (browsers without cross-origin isolation);
;;   (fma x y z) → x·y + z, either `f32x4.relaxed_madd` (fused, relaxed SIMD)
;;             or `f32x4.add (f32x4.mul x y) z` (plain SIMD).
;;
;; Every matrix is row-major. Pointers are byte addresses in the imported
;; memory; leading dimensions (lda, ldb, ldc, …) are in elements, as in
;; the Kernels interface (src/core/kernels.ts). Bytes [0, 4096) are this
;; module's scratch (the edge tile at TILE, the constants at 1024); the JS heap allocates above it.
(module
  (import "env" "memory" MEMORY)

  ;; 5×8 float32 tile for partial strips (N not a multiple of 8, or a block of fewer rows).
  (global $TILE i32 (i32.const 256))
  ;; K and N blocking of the packed product: a KC×NC panel of op(B) is packed
  ;; at once (KC·NC·4 = 512 KiB, resident in L2); one 8-column strip of it
  ;; (KC·32 = 8 KiB) stays in L1 while every packed 4-row block of A passes.
  (global $KC i32 (i32.const 256))
  (global $NC i32 (i32.const 512))
  ;; M blocking: an MC×KC block of A is packed (128 KiB) after the op(B) panel.
  (global $MC i32 (i32.const 128))
  ;; Whether gemm uses the 5-row micro-kernel: set (by the loader, through
  ;; setFiveRows) for the relaxed-SIMD build only. With a separate multiply
  ;; and add, ten accumulators and their products do not fit in V8's 15 xmm
  ;; registers and the 4-row kernel alone is faster.
  (global $fiveRows (mut i32) (i32.const 0))
  (func (export "setFiveRows") (param $on i32) (global.set $fiveRows (local.get $on)))

  ;; dst[0..n) += src[0..n)   (n floats, 4 at a time, then the tail)
  (func $addInto (param $dst i32) (param $src i32) (param $n i32)
    (local $end i32) (local $end4 i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done4
      (br_if $done4 (i32.ge_u (local.get $dst) (local.get $end4)))
      (loop $v
        (v128.store (local.get $dst)
          (f32x4.add (v128.load (local.get $dst)) (v128.load (local.get $src))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (br_if $v (i32.lt_u (local.get $dst) (local.get $end4)))))
    (block $done
      (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
      (loop $s
        (f32.store (local.get $dst)
          (f32.add (f32.load (local.get $dst)) (f32.load (local.get $src))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (br_if $s (i32.lt_u (local.get $dst) (local.get $end))))))

  ;; dst[0..n) = x[0..n) + y[0..n)   (n floats, 4 at a time, then the tail)
  (func $sumTo (param $dst i32) (param $x i32) (param $y i32) (param $n i32)
    (local $end i32) (local $end4 i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done4
      (br_if $done4 (i32.ge_u (local.get $dst) (local.get $end4)))
      (loop $v
        (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $x)) (v128.load (local.get $y))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br_if $v (i32.lt_u (local.get $dst) (local.get $end4)))))
    (block $done
      (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
      (loop $s
        (f32.store (local.get $dst) (f32.add (f32.load (local.get $x)) (f32.load (local.get $y))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (br_if $s (i32.lt_u (local.get $dst) (local.get $end))))))

  ;; C[r, 0..w) += TILE[r, 0..w) for r < rows: the edge of a partial strip.
  (func $flushTile (param $c i32) (param $ldcb i32) (param $rows i32) (param $w i32)
    (local $r i32) (local $t i32)
    (local.set $t (global.get $TILE))
    (loop $row
      (call $addInto (local.get $c) (local.get $t) (local.get $w))
      (local.set $c (i32.add (local.get $c) (local.get $ldcb)))
      (local.set $t (i32.add (local.get $t) (i32.const 32)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $row (i32.lt_u (local.get $r) (local.get $rows)))))

  ;; Micro-kernel: C[0..rows, 0..w) += Ap·Bp over kc steps, where Ap is a
  ;; packed 4-row block of A (kc groups of 4 floats, A(i, k) at ap + 16k + 4i)
  ;; and Bp a packed 8-column strip of op(B) (kc rows of 8 floats). Eight
  ;; f32x4 accumulators hold the 4×8 tile for the whole k loop; per k: two
  ;; loads of Bp, four broadcast loads of Ap, eight multiply-adds. (Unrolling
  ;; the k loop twice measured slower in V8: 25 against 35 GFLOP/s relaxed,
  ;; and so did a 5×8 tile with five broadcast loads: about 20, every load
  ;; being scheduled first and the registers spilling; $k5x8 splats instead.)
  ;; Eight accumulators keep at most 8 multiply-adds in flight, which the
  ;; 4-cycle latency limits to 2 per cycle: about 41 of the core's 47 GFLOP/s.
  (func $k4x8 (param $ap i32) (param $bp i32) (param $kc i32) (param $c i32) (param $ldcb i32)
              (param $w i32) (param $rows i32)
    (local $end i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    (local.set $end (i32.add (local.get $bp) (i32.shl (local.get $kc) (i32.const 5))))
    (loop $k
      ;; C[i, :] += A(i, k)·Bp[k, :]  for the 4 rows i
      (local.set $b0 (v128.load (local.get $bp)))
      (local.set $b1 (v128.load offset=16 (local.get $bp)))
      (local.set $x (v128.load32_splat (local.get $ap)))
      (local.set $c00 (fma (local.get $x) (local.get $b0) (local.get $c00)))
      (local.set $c01 (fma (local.get $x) (local.get $b1) (local.get $c01)))
      (local.set $x (v128.load32_splat offset=4 (local.get $ap)))
      (local.set $c10 (fma (local.get $x) (local.get $b0) (local.get $c10)))
      (local.set $c11 (fma (local.get $x) (local.get $b1) (local.get $c11)))
      (local.set $x (v128.load32_splat offset=8 (local.get $ap)))
      (local.set $c20 (fma (local.get $x) (local.get $b0) (local.get $c20)))
      (local.set $c21 (fma (local.get $x) (local.get $b1) (local.get $c21)))
      (local.set $x (v128.load32_splat offset=12 (local.get $ap)))
      (local.set $c30 (fma (local.get $x) (local.get $b0) (local.get $c30)))
      (local.set $c31 (fma (local.get $x) (local.get $b1) (local.get $c31)))
      (local.set $ap (i32.add (local.get $ap) (i32.const 16)))
      (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
      (br_if $k (i32.lt_u (local.get $bp) (local.get $end))))
    (if (i32.and (i32.eq (local.get $w) (i32.const 8)) (i32.eq (local.get $rows) (i32.const 4)))
      (then
        (v128.store (local.get $c) (f32x4.add (v128.load (local.get $c)) (local.get $c00)))
        (v128.store offset=16 (local.get $c) (f32x4.add (v128.load offset=16 (local.get $c)) (local.get $c01)))
        (local.set $c (i32.add (local.get $c) (local.get $ldcb)))
        (v128.store (local.get $c) (f32x4.add (v128.load (local.get $c)) (local.get $c10)))
        (v128.store offset=16 (local.get $c) (f32x4.add (v128.load offset=16 (local.get $c)) (local.get $c11)))
        (local.set $c (i32.add (local.get $c) (local.get $ldcb)))
        (v128.store (local.get $c) (f32x4.add (v128.load (local.get $c)) (local.get $c20)))
        (v128.store offset=16 (local.get $c) (f32x4.add (v128.load offset=16 (local.get $c)) (local.get $c21)))
        (local.set $c (i32.add (local.get $c) (local.get $ldcb)))
        (v128.store (local.get $c) (f32x4.add (v128.load (local.get $c)) (local.get $c30)))
        (v128.store offset=16 (local.get $c) (f32x4.add (v128.load offset=16 (local.get $c)) (local.get $c31))))
      (else
        ;; an edge tile (fewer rows or columns): through the scratch tile
        (v128.store (global.get $TILE) (local.get $c00))
        (v128.store offset=16 (global.get $TILE) (local.get $c01))
        (v128.store offset=32 (global.get $TILE) (local.get $c10))
        (v128.store offset=48 (global.get $TILE) (local.get $c11))
        (v128.store offset=64 (global.get $TILE) (local.get $c20))
        (v128.store offset=80 (global.get $TILE) (local.get $c21))
        (v128.store offset=96 (global.get $TILE) (local.get $c30))
        (v128.store offset=112 (global.get $TILE) (local.get $c31))
        (call $flushTile (local.get $c) (local.get $ldcb) (local.get $rows) (local.get $w)))))

  ;; Micro-kernel on a packed 5-row block of A (kc groups of 5 floats, A(i, k)
  ;; at ap + 20k + 4i): C[0..rows, 0..w) += Ap·Bp, ten f32x4 accumulators.
  ;; Eight accumulators leave the multiply-adds waiting on their own latency
  ;; (4 cycles, 2 per cycle: 8 in flight at most); ten fill the pipeline.
  ;; The five A values of step k come from two v128 loads and lane splats
  ;; (i8x16.shuffle): V8 schedules every load of the loop body first, so five
  ;; broadcast loads would all be live at once and spill, while the splats
  ;; are placed next to their uses (10 + 2 + 3 = 15 xmm registers, V8's
  ;; allocatable set). The second load reads 12 bytes past the group (the
  ;; next group, or the slack after the packed A). 45–46 GFLOP/s against the
  ;; 4×8 kernel's 41 in isolation (the core's f32x4 multiply-add peak is about 47).
  (func $k5x8 (param $ap i32) (param $bp i32) (param $kc i32) (param $c i32) (param $ldcb i32)
              (param $w i32) (param $rows i32)
    (local $end i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $c40 v128) (local $c41 v128)
    (local $b0 v128) (local $b1 v128) (local $a v128) (local $x v128)
    (local.set $end (i32.add (local.get $bp) (i32.shl (local.get $kc) (i32.const 5))))
    (loop $k
      (local.set $b0 (v128.load (local.get $bp)))
      (local.set $b1 (v128.load offset=16 (local.get $bp)))
      (local.set $a (v128.load (local.get $ap)))
      (local.set $x (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $a) (local.get $a)))
      (local.set $c00 (fma (local.get $x) (local.get $b0) (local.get $c00)))
      (local.set $c01 (fma (local.get $x) (local.get $b1) (local.get $c01)))
      (local.set $x (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $a) (local.get $a)))
      (local.set $c10 (fma (local.get $x) (local.get $b0) (local.get $c10)))
      (local.set $c11 (fma (local.get $x) (local.get $b1) (local.get $c11)))
      (local.set $x (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $a) (local.get $a)))
      (local.set $c20 (fma (local.get $x) (local.get $b0) (local.get $c20)))
      (local.set $c21 (fma (local.get $x) (local.get $b1) (local.get $c21)))
      (local.set $x (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $a) (local.get $a)))
      (local.set $c30 (fma (local.get $x) (local.get $b0) (local.get $c30)))
      (local.set $c31 (fma (local.get $x) (local.get $b1) (local.get $c31)))
      (local.set $a (v128.load offset=16 (local.get $ap)))
      (local.set $x (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $a) (local.get $a)))
      (local.set $c40 (fma (local.get $x) (local.get $b0) (local.get $c40)))
      (local.set $c41 (fma (local.get $x) (local.get $b1) (local.get $c41)))
      (local.set $ap (i32.add (local.get $ap) (i32.const 20)))
      (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
      (br_if $k (i32.lt_u (local.get $bp) (local.get $end))))
    (if (i32.and (i32.eq (local.get $w) (i32.const 8)) (i32.eq (local.get $rows) (i32.const 5)))
      (then
        (v128.store (local.get $c) (f32x4.add (v128.load (local.get $c)) (local.get $c00)))
        (v128.store offset=16 (local.get $c) (f32x4.add (v128.load offset=16 (local.get $c)) (local.get $c01)))
        (local.set $c (i32.add (local.get $c) (local.get $ldcb)))
        (v128.store (local.get $c) (f32x4.add (v128.load (local.get $c)) (local.get $c10)))
        (v128.store offset=16 (local.get $c) (f32x4.add (v128.load offset=16 (local.get $c)) (local.get $c11)))
        (local.set $c (i32.add (local.get $c) (local.get $ldcb)))
        (v128.store (local.get $c) (f32x4.add (v128.load (local.get $c)) (local.get $c20)))
        (v128.store offset=16 (local.get $c) (f32x4.add (v128.load offset=16 (local.get $c)) (local.get $c21)))
        (local.set $c (i32.add (local.get $c) (local.get $ldcb)))
        (v128.store (local.get $c) (f32x4.add (v128.load (local.get $c)) (local.get $c30)))
        (v128.store offset=16 (local.get $c) (f32x4.add (v128.load offset=16 (local.get $c)) (local.get $c31)))
        (local.set $c (i32.add (local.get $c) (local.get $ldcb)))
        (v128.store (local.get $c) (f32x4.add (v128.load (local.get $c)) (local.get $c40)))
        (v128.store offset=16 (local.get $c) (f32x4.add (v128.load offset=16 (local.get $c)) (local.get $c41))))
      (else
        (v128.store (global.get $TILE) (local.get $c00))
        (v128.store offset=16 (global.get $TILE) (local.get $c01))
        (v128.store offset=32 (global.get $TILE) (local.get $c10))
        (v128.store offset=48 (global.get $TILE) (local.get $c11))
        (v128.store offset=64 (global.get $TILE) (local.get $c20))
        (v128.store offset=80 (global.get $TILE) (local.get $c21))
        (v128.store offset=96 (global.get $TILE) (local.get $c30))
        (v128.store offset=112 (global.get $TILE) (local.get $c31))
        (v128.store offset=128 (global.get $TILE) (local.get $c40))
        (v128.store offset=144 (global.get $TILE) (local.get $c41))
        (call $flushTile (local.get $c) (local.get $ldcb) (local.get $rows) (local.get $w)))))

  ;; Micro-kernel for the last 2 rows of a panel of 5m + 2 (a batch of 32 is
  ;; 6 blocks of 5 and this): a packed 2-row block (kc groups of 2 floats)
  ;; times two adjacent 8-column strips at bp and bq, eight accumulators
  ;; (as many as the 4×8 kernel, with half its rows). C[0..2, 0..w0) and
  ;; C[0..2, 8..8+w1) are added to; w1 = 0 leaves the second strip unused.
  (func $k2x16 (param $ap i32) (param $bp i32) (param $bq i32) (param $kc i32) (param $c i32) (param $ldcb i32)
               (param $w0 i32) (param $w1 i32)
    (local $end i32)
    (local $c00 v128) (local $c01 v128) (local $c02 v128) (local $c03 v128)
    (local $c10 v128) (local $c11 v128) (local $c12 v128) (local $c13 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128) (local $x v128) (local $y v128)
    (local.set $end (i32.add (local.get $bp) (i32.shl (local.get $kc) (i32.const 5))))
    (loop $k
      (local.set $b0 (v128.load (local.get $bp)))
      (local.set $b1 (v128.load offset=16 (local.get $bp)))
      (local.set $b2 (v128.load (local.get $bq)))
      (local.set $b3 (v128.load offset=16 (local.get $bq)))
      (local.set $x (v128.load32_splat (local.get $ap)))
      (local.set $y (v128.load32_splat offset=4 (local.get $ap)))
      (local.set $c00 (fma (local.get $x) (local.get $b0) (local.get $c00)))
      (local.set $c01 (fma (local.get $x) (local.get $b1) (local.get $c01)))
      (local.set $c02 (fma (local.get $x) (local.get $b2) (local.get $c02)))
      (local.set $c03 (fma (local.get $x) (local.get $b3) (local.get $c03)))
      (local.set $c10 (fma (local.get $y) (local.get $b0) (local.get $c10)))
      (local.set $c11 (fma (local.get $y) (local.get $b1) (local.get $c11)))
      (local.set $c12 (fma (local.get $y) (local.get $b2) (local.get $c12)))
      (local.set $c13 (fma (local.get $y) (local.get $b3) (local.get $c13)))
      (local.set $ap (i32.add (local.get $ap) (i32.const 8)))
      (local.set $bq (i32.add (local.get $bq) (i32.const 32)))
      (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
      (br_if $k (i32.lt_u (local.get $bp) (local.get $end))))
    (if (i32.and (i32.eq (local.get $w0) (i32.const 8)) (i32.eq (local.get $w1) (i32.const 8)))
      (then
        (v128.store (local.get $c) (f32x4.add (v128.load (local.get $c)) (local.get $c00)))
        (v128.store offset=16 (local.get $c) (f32x4.add (v128.load offset=16 (local.get $c)) (local.get $c01)))
        (v128.store offset=32 (local.get $c) (f32x4.add (v128.load offset=32 (local.get $c)) (local.get $c02)))
        (v128.store offset=48 (local.get $c) (f32x4.add (v128.load offset=48 (local.get $c)) (local.get $c03)))
        (local.set $c (i32.add (local.get $c) (local.get $ldcb)))
        (v128.store (local.get $c) (f32x4.add (v128.load (local.get $c)) (local.get $c10)))
        (v128.store offset=16 (local.get $c) (f32x4.add (v128.load offset=16 (local.get $c)) (local.get $c11)))
        (v128.store offset=32 (local.get $c) (f32x4.add (v128.load offset=32 (local.get $c)) (local.get $c12)))
        (v128.store offset=48 (local.get $c) (f32x4.add (v128.load offset=48 (local.get $c)) (local.get $c13))))
      (else
        ;; an edge: each strip's half through the scratch tile
        (v128.store (global.get $TILE) (local.get $c00))
        (v128.store offset=16 (global.get $TILE) (local.get $c01))
        (v128.store offset=32 (global.get $TILE) (local.get $c10))
        (v128.store offset=48 (global.get $TILE) (local.get $c11))
        (call $flushTile (local.get $c) (local.get $ldcb) (i32.const 2) (local.get $w0))
        (if (i32.gt_s (local.get $w1) (i32.const 0))
          (then
            (v128.store (global.get $TILE) (local.get $c02))
            (v128.store offset=16 (global.get $TILE) (local.get $c03))
            (v128.store offset=32 (global.get $TILE) (local.get $c12))
            (v128.store offset=48 (global.get $TILE) (local.get $c13))
            (call $flushTile (i32.add (local.get $c) (i32.const 32)) (local.get $ldcb) (i32.const 2) (local.get $w1)))))))

  ;; How many 5-row blocks a panel of m rows is cut into, the rest being
  ;; 4-row blocks: the most that leave a multiple of 4 (m = 5a + 4b, which
  ;; every m ≥ 12 allows), else ⌊m/5⌋ and a zero-padded last block.
  (func $fiveBlocks (param $m i32) (result i32)
    (local $a i32)
    (local.set $a (i32.div_u (local.get $m) (i32.const 5)))
    (loop $try
      (if (i32.eqz (i32.and (i32.sub (local.get $m) (i32.mul (local.get $a) (i32.const 5))) (i32.const 3)))
        (then (return (local.get $a))))
      (local.set $a (i32.sub (local.get $a) (i32.const 1)))
      (br_if $try (i32.ge_s (local.get $a) (i32.const 0))))
    (i32.div_u (local.get $m) (i32.const 5)))

  ;; Packs rows [0, rows) × columns [0, kc) of A (A(i, k) at a + i·rs + k·cs)
  ;; into row blocks: n5 blocks of 5 rows, then one block of 2 when `two`
  ;; (rows = 5·n5 + 2) or else blocks of 4. A block of r rows is kcp (even
  ;; ≥ kc) groups of r floats, group k = A(i..i+r−1, k), zero-padded past
  ;; `rows` and past kc.
  (func $packA (param $a i32) (param $rs i32) (param $cs i32) (param $rows i32) (param $n5 i32) (param $two i32)
               (param $kc i32) (param $kcp i32) (param $dst i32)
    (local $i i32) (local $r i32) (local $j i32) (local $k i32) (local $k4 i32) (local $p i32) (local $q i32) (local $d i32)
    (local $n i32) (local $gs i32) (local $rs2 i32) (local $rs3 i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $rs2 (i32.shl (local.get $rs) (i32.const 1)))
    (local.set $rs3 (i32.add (local.get $rs2) (local.get $rs)))
    (loop $block
      (local.set $r (select (i32.const 5) (select (i32.const 2) (i32.const 4) (local.get $two))
                            (i32.lt_s (local.get $i) (i32.mul (local.get $n5) (i32.const 5)))))
      (local.set $gs (i32.shl (local.get $r) (i32.const 2)))
      (local.set $n (i32.sub (local.get $rows) (local.get $i)))
      (if (i32.gt_s (local.get $n) (local.get $r)) (then (local.set $n (local.get $r))))
      (if (i32.or (i32.lt_s (local.get $n) (local.get $r)) (i32.ne (local.get $kc) (local.get $kcp)))
        (then (memory.fill (local.get $dst) (i32.const 0) (i32.mul (local.get $kcp) (local.get $gs)))))
      (local.set $p (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rs))))
      (local.set $d (local.get $dst))
      (local.set $k (i32.const 0))
      (if (i32.and (i32.ge_s (local.get $n) (i32.const 4)) (i32.eq (local.get $rs) (i32.const 4)))
        (then
          ;; Aᵀ stored: rows i..i+3 of step k are adjacent, one v128 (and a fifth float)
          (loop $kv
            (v128.store (local.get $d) (v128.load (local.get $p)))
            (if (i32.eq (local.get $n) (i32.const 5))
              (then (f32.store offset=16 (local.get $d) (f32.load offset=16 (local.get $p)))))
            (local.set $p (i32.add (local.get $p) (local.get $cs)))
            (local.set $d (i32.add (local.get $d) (local.get $gs)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br_if $kv (i32.lt_u (local.get $k) (local.get $kc)))))
        (else
          (if (i32.and (i32.ge_s (local.get $n) (i32.const 4)) (i32.eq (local.get $cs) (i32.const 4)))
            (then
              ;; A stored row-major: 4 steps of rows i..i+3 as a 4×4 block,
              ;; transposed in registers into 4 groups (the fifth row lane by lane)
              (local.set $k4 (i32.and (local.get $kc) (i32.const -4)))
              (block $done4
                (br_if $done4 (i32.eqz (local.get $k4)))
                (loop $kq
                  (local.set $x0 (v128.load (local.get $p)))
                  (local.set $x1 (v128.load (i32.add (local.get $p) (local.get $rs))))
                  (local.set $x2 (v128.load (i32.add (local.get $p) (local.get $rs2))))
                  (local.set $x3 (v128.load (i32.add (local.get $p) (local.get $rs3))))
                  (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x0) (local.get $x1)))
                  (local.set $t1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x2) (local.get $x3)))
                  (local.set $t2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $x0) (local.get $x1)))
                  (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $x2) (local.get $x3)))
                  (local.set $q (local.get $d))
                  (v128.store (local.get $q) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1)))
                  (local.set $q (i32.add (local.get $q) (local.get $gs)))
                  (v128.store (local.get $q) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1)))
                  (local.set $q (i32.add (local.get $q) (local.get $gs)))
                  (v128.store (local.get $q) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t2) (local.get $t3)))
                  (local.set $q (i32.add (local.get $q) (local.get $gs)))
                  (v128.store (local.get $q) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t2) (local.get $t3)))
                  (if (i32.eq (local.get $n) (i32.const 5))
                    (then
                      (local.set $x0 (v128.load (i32.add (local.get $p) (i32.shl (local.get $rs) (i32.const 2)))))
                      (v128.store32_lane offset=16 0 (local.get $d) (local.get $x0))
                      (v128.store32_lane offset=36 1 (local.get $d) (local.get $x0))
                      (v128.store32_lane offset=56 2 (local.get $d) (local.get $x0))
                      (v128.store32_lane offset=76 3 (local.get $d) (local.get $x0))))
                  (local.set $p (i32.add (local.get $p) (i32.const 16)))
                  (local.set $d (i32.add (local.get $d) (i32.shl (local.get $gs) (i32.const 2))))
                  (local.set $k (i32.add (local.get $k) (i32.const 4)))
                  (br_if $kq (i32.lt_u (local.get $k) (local.get $k4)))))))
          ;; what is left (all of it for fewer than 4 rows or other strides): one float at a time
          (block $done1
            (br_if $done1 (i32.ge_u (local.get $k) (local.get $kc)))
            (local.set $j (i32.const 0))
            (loop $row
              (local.set $q (i32.add (local.get $p) (i32.mul (local.get $j) (local.get $rs))))
              (local.set $k4 (local.get $k))
              (local.set $d (i32.add (i32.add (local.get $dst) (i32.mul (local.get $k) (local.get $gs))) (i32.shl (local.get $j) (i32.const 2))))
              (loop $ks
                (f32.store (local.get $d) (f32.load (local.get $q)))
                (local.set $q (i32.add (local.get $q) (local.get $cs)))
                (local.set $d (i32.add (local.get $d) (local.get $gs)))
                (local.set $k4 (i32.add (local.get $k4) (i32.const 1)))
                (br_if $ks (i32.lt_u (local.get $k4) (local.get $kc))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br_if $row (i32.lt_u (local.get $j) (local.get $n)))))))
      (local.set $dst (i32.add (local.get $dst) (i32.mul (local.get $kcp) (local.get $gs))))
      (local.set $i (i32.add (local.get $i) (local.get $r)))
      (br_if $block (i32.lt_s (local.get $i) (local.get $rows)))))

  ;; Stores the transpose of the 4×4 block whose rows are r0..r3 as four
  ;; 4-float columns at d, d+32, d+64, d+96 (one packed strip row apart).
  (func $transpose4 (param $r0 v128) (param $r1 v128) (param $r2 v128) (param $r3 v128) (param $d i32)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    ;; t0 = (r0₀ r1₀ r0₁ r1₁), t1 = (r2₀ r3₀ r2₁ r3₁), t2, t3 the same for lanes 2, 3
    (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
    (local.set $t1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
    (local.set $t2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
    (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
    ;; column k = (r0ₖ r1ₖ r2ₖ r3ₖ)
    (v128.store (local.get $d) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1)))
    (v128.store offset=32 (local.get $d) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1)))
    (v128.store offset=64 (local.get $d) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t2) (local.get $t3)))
    (v128.store offset=96 (local.get $d) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t2) (local.get $t3))))

  ;; A full 8-column strip of op(B) = Bᵀ: column jj of the strip is row jj of
  ;; B from src (= &B[j0, k0]), read along k; 4×4 blocks transposed in registers.
  (func $packT8 (param $src i32) (param $ldbb i32) (param $kc i32) (param $dst i32)
    (local $k i32) (local $q i32) (local $l2 i32) (local $l3 i32) (local $l4 i32) (local $jj i32)
    (local.set $l2 (i32.shl (local.get $ldbb) (i32.const 1)))
    (local.set $l3 (i32.add (local.get $l2) (local.get $ldbb)))
    (local.set $l4 (i32.shl (local.get $ldbb) (i32.const 2)))
    (block $done4
      (br_if $done4 (i32.lt_s (local.get $kc) (i32.const 4)))
      (loop $k4
        (local.set $q (i32.add (local.get $src) (i32.shl (local.get $k) (i32.const 2))))
        (call $transpose4
          (v128.load (local.get $q))
          (v128.load (i32.add (local.get $q) (local.get $ldbb)))
          (v128.load (i32.add (local.get $q) (local.get $l2)))
          (v128.load (i32.add (local.get $q) (local.get $l3)))
          (i32.add (local.get $dst) (i32.shl (local.get $k) (i32.const 5))))
        (local.set $q (i32.add (local.get $q) (local.get $l4)))
        (call $transpose4
          (v128.load (local.get $q))
          (v128.load (i32.add (local.get $q) (local.get $ldbb)))
          (v128.load (i32.add (local.get $q) (local.get $l2)))
          (v128.load (i32.add (local.get $q) (local.get $l3)))
          (i32.add (i32.add (local.get $dst) (i32.shl (local.get $k) (i32.const 5))) (i32.const 16)))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br_if $k4 (i32.le_s (i32.add (local.get $k) (i32.const 4)) (local.get $kc)))))
    ;; the kc mod 4 rows left, one float at a time
    (block $done
      (br_if $done (i32.ge_s (local.get $k) (local.get $kc)))
      (loop $k1
        (local.set $jj (i32.const 0))
        (loop $col
          (f32.store (i32.add (i32.add (local.get $dst) (i32.shl (local.get $k) (i32.const 5))) (i32.shl (local.get $jj) (i32.const 2)))
            (f32.load (i32.add (i32.add (local.get $src) (i32.mul (local.get $jj) (local.get $ldbb))) (i32.shl (local.get $k) (i32.const 2)))))
          (local.set $jj (i32.add (local.get $jj) (i32.const 1)))
          (br_if $col (i32.lt_u (local.get $jj) (i32.const 8))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $k1 (i32.lt_s (local.get $k) (local.get $kc))))))

  ;; Packs op(B)[k0..k0+kc, n0..n0+nc) into 8-column strips at dst:
  ;; strip s holds kcp rows of 8 floats (columns n0+8s ..), zero-padded past
  ;; nc and past kc (kcp = kc rounded up to even).
  ;; op(B)(k, j) is B[k, j] (b + k·ldbb + 4j) or, when tB, B[j, k] (b + j·ldbb + 4k).
  (func $pack (param $tB i32) (param $b i32) (param $ldbb i32) (param $k0 i32) (param $kc i32) (param $kcp i32)
              (param $n0 i32) (param $nc i32) (param $dst i32)
    (local $j0 i32) (local $w i32) (local $k i32) (local $jj i32) (local $src i32) (local $d i32) (local $base i32)
    (local.set $j0 (local.get $n0))
    (loop $strip
     (local.set $base (local.get $dst))
     (block $next
      (local.set $w (i32.sub (i32.add (local.get $n0) (local.get $nc)) (local.get $j0)))
      (if (i32.gt_s (local.get $w) (i32.const 8)) (then (local.set $w (i32.const 8))))
      (if (i32.eqz (local.get $tB))
        (then
          (local.set $src (i32.add (i32.add (local.get $b) (i32.mul (local.get $k0) (local.get $ldbb)))
                                   (i32.shl (local.get $j0) (i32.const 2))))
          (local.set $k (i32.const 0))
          (if (i32.eq (local.get $w) (i32.const 8))
            (then
              (loop $rowfull
                (v128.store (local.get $dst) (v128.load (local.get $src)))
                (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $src)))
                (local.set $src (i32.add (local.get $src) (local.get $ldbb)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br_if $rowfull (i32.lt_u (local.get $k) (local.get $kc)))))
            (else
              (loop $rowpart
                (v128.store (local.get $dst) (v128.const i32x4 0 0 0 0))
                (v128.store offset=16 (local.get $dst) (v128.const i32x4 0 0 0 0))
                (local.set $jj (i32.const 0))
                (loop $col
                  (f32.store (i32.add (local.get $dst) (i32.shl (local.get $jj) (i32.const 2)))
                    (f32.load (i32.add (local.get $src) (i32.shl (local.get $jj) (i32.const 2)))))
                  (local.set $jj (i32.add (local.get $jj) (i32.const 1)))
                  (br_if $col (i32.lt_u (local.get $jj) (local.get $w))))
                (local.set $src (i32.add (local.get $src) (local.get $ldbb)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br_if $rowpart (i32.lt_u (local.get $k) (local.get $kc)))))))
        (else
          ;; transposed: column jj of the strip is row j0+jj of B, read along k
          (if (i32.eq (local.get $w) (i32.const 8))
            (then
              (call $packT8 (i32.add (i32.add (local.get $b) (i32.mul (local.get $j0) (local.get $ldbb))) (i32.shl (local.get $k0) (i32.const 2)))
                (local.get $ldbb) (local.get $kc) (local.get $dst))
              (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $kc) (i32.const 5))))
              (br $next)))
          (memory.fill (local.get $dst) (i32.const 0) (i32.shl (local.get $kc) (i32.const 5)))
          (local.set $jj (i32.const 0))
          (loop $col
            (local.set $src (i32.add (i32.add (local.get $b) (i32.mul (i32.add (local.get $j0) (local.get $jj)) (local.get $ldbb)))
                                     (i32.shl (local.get $k0) (i32.const 2))))
            (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $jj) (i32.const 2))))
            (local.set $k (i32.const 0))
            (loop $row
              (f32.store (local.get $d) (f32.load (local.get $src)))
              (local.set $src (i32.add (local.get $src) (i32.const 4)))
              (local.set $d (i32.add (local.get $d) (i32.const 32)))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br_if $row (i32.lt_u (local.get $k) (local.get $kc))))
            (local.set $jj (i32.add (local.get $jj) (i32.const 1)))
            (br_if $col (i32.lt_u (local.get $jj) (local.get $w))))
          (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $kc) (i32.const 5)))))))
      ;; odd kc: one zero row, so that the micro-kernel can take k two at a time
      (local.set $dst (i32.add (local.get $base) (i32.shl (local.get $kcp) (i32.const 5))))
      (if (i32.ne (local.get $kc) (local.get $kcp))
        (then
          (v128.store offset=0 (i32.sub (local.get $dst) (i32.const 32)) (v128.const i32x4 0 0 0 0))
          (v128.store offset=16 (i32.sub (local.get $dst) (i32.const 32)) (v128.const i32x4 0 0 0 0))))
      (local.set $j0 (i32.add (local.get $j0) (i32.const 8)))
      (br_if $strip (i32.lt_s (local.get $j0) (i32.add (local.get $n0) (local.get $nc))))))

  ;; Few rows, B not transposed: C[i, :] += Σ_k A(i, k)·B[k, :], streaming
  ;; B's rows (no packing: for M < 4 packing would cost as much as the product).
  (func $rowsAxpy (param $M i32) (param $N i32) (param $K i32) (param $a i32) (param $rs i32) (param $cs i32)
                  (param $b i32) (param $ldbb i32) (param $c i32) (param $ldcb i32)
    (local $i i32) (local $k i32) (local $ak i32) (local $bk i32) (local $cj i32) (local $bj i32)
    (local $end16 i32) (local $end i32) (local $x v128) (local $xs f32)
    (loop $row
      (local.set $ak (local.get $a))
      (local.set $bk (local.get $b))
      (local.set $end16 (i32.add (local.get $c) (i32.shl (i32.and (local.get $N) (i32.const -16)) (i32.const 2))))
      (local.set $end (i32.add (local.get $c) (i32.shl (local.get $N) (i32.const 2))))
      (local.set $k (i32.const 0))
      (loop $kk
        (local.set $xs (f32.load (local.get $ak)))
        (local.set $x (f32x4.splat (local.get $xs)))
        (local.set $cj (local.get $c))
        (local.set $bj (local.get $bk))
        (block $d16
          (br_if $d16 (i32.ge_u (local.get $cj) (local.get $end16)))
          (loop $j16
            (v128.store (local.get $cj) (fma (local.get $x) (v128.load (local.get $bj)) (v128.load (local.get $cj))))
            (v128.store offset=16 (local.get $cj) (fma (local.get $x) (v128.load offset=16 (local.get $bj)) (v128.load offset=16 (local.get $cj))))
            (v128.store offset=32 (local.get $cj) (fma (local.get $x) (v128.load offset=32 (local.get $bj)) (v128.load offset=32 (local.get $cj))))
            (v128.store offset=48 (local.get $cj) (fma (local.get $x) (v128.load offset=48 (local.get $bj)) (v128.load offset=48 (local.get $cj))))
            (local.set $cj (i32.add (local.get $cj) (i32.const 64)))
            (local.set $bj (i32.add (local.get $bj) (i32.const 64)))
            (br_if $j16 (i32.lt_u (local.get $cj) (local.get $end16)))))
        (block $d1
          (br_if $d1 (i32.ge_u (local.get $cj) (local.get $end)))
          (loop $j1
            (f32.store (local.get $cj) (f32.add (f32.load (local.get $cj)) (f32.mul (local.get $xs) (f32.load (local.get $bj)))))
            (local.set $cj (i32.add (local.get $cj) (i32.const 4)))
            (local.set $bj (i32.add (local.get $bj) (i32.const 4)))
            (br_if $j1 (i32.lt_u (local.get $cj) (local.get $end)))))
        (local.set $ak (i32.add (local.get $ak) (local.get $cs)))
        (local.set $bk (i32.add (local.get $bk) (local.get $ldbb)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $kk (i32.lt_u (local.get $k) (local.get $K))))
      (local.set $a (i32.add (local.get $a) (local.get $rs)))
      (local.set $c (i32.add (local.get $c) (local.get $ldcb)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $row (i32.lt_u (local.get $i) (local.get $M)))))

;; Few rows, B not transposed, the first N32 columns (a multiple of 32):
  ;; C[i, j..j+32) += Σ_k A(i, k)·B[k, j..j+32), the 32 sums in eight f32x4
  ;; accumulators for the whole k loop, so C is read and written once per
  ;; strip rather than at every k (per multiply-add: 1 load of B and 1/8 of a
  ;; broadcast, against a load and a store of C as well in $rowsAxpy; eight
  ;; independent chains cover the multiply-add latency). Same k order, same
  ;; results as $rowsAxpy.
  (func $rowsStrips (param $M i32) (param $N32 i32) (param $K i32) (param $a i32) (param $rs i32) (param $cs i32)
                    (param $b i32) (param $ldbb i32) (param $c i32) (param $ldcb i32)
    (local $i i32) (local $j i32) (local $k i32) (local $ak i32) (local $bk i32) (local $cj i32) (local $x v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local $c4 v128) (local $c5 v128) (local $c6 v128) (local $c7 v128)
    (loop $row
      (local.set $j (i32.const 0))
      (loop $strip
        (local.set $cj (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $c0 (v128.load (local.get $cj)))
        (local.set $c1 (v128.load offset=16 (local.get $cj)))
        (local.set $c2 (v128.load offset=32 (local.get $cj)))
        (local.set $c3 (v128.load offset=48 (local.get $cj)))
        (local.set $c4 (v128.load offset=64 (local.get $cj)))
        (local.set $c5 (v128.load offset=80 (local.get $cj)))
        (local.set $c6 (v128.load offset=96 (local.get $cj)))
        (local.set $c7 (v128.load offset=112 (local.get $cj)))
        (local.set $ak (local.get $a))
        (local.set $bk (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $k (local.get $K))
        (loop $kk
          (local.set $x (v128.load32_splat (local.get $ak)))
          (local.set $c0 (fma (local.get $x) (v128.load (local.get $bk)) (local.get $c0)))
          (local.set $c1 (fma (local.get $x) (v128.load offset=16 (local.get $bk)) (local.get $c1)))
          (local.set $c2 (fma (local.get $x) (v128.load offset=32 (local.get $bk)) (local.get $c2)))
          (local.set $c3 (fma (local.get $x) (v128.load offset=48 (local.get $bk)) (local.get $c3)))
          (local.set $c4 (fma (local.get $x) (v128.load offset=64 (local.get $bk)) (local.get $c4)))
          (local.set $c5 (fma (local.get $x) (v128.load offset=80 (local.get $bk)) (local.get $c5)))
          (local.set $c6 (fma (local.get $x) (v128.load offset=96 (local.get $bk)) (local.get $c6)))
          (local.set $c7 (fma (local.get $x) (v128.load offset=112 (local.get $bk)) (local.get $c7)))
          (local.set $ak (i32.add (local.get $ak) (local.get $cs)))
          (local.set $bk (i32.add (local.get $bk) (local.get $ldbb)))
          (local.set $k (i32.sub (local.get $k) (i32.const 1)))
          (br_if $kk (local.get $k)))
        (v128.store (local.get $cj) (local.get $c0))
        (v128.store offset=16 (local.get $cj) (local.get $c1))
        (v128.store offset=32 (local.get $cj) (local.get $c2))
        (v128.store offset=48 (local.get $cj) (local.get $c3))
        (v128.store offset=64 (local.get $cj) (local.get $c4))
        (v128.store offset=80 (local.get $cj) (local.get $c5))
        (v128.store offset=96 (local.get $cj) (local.get $c6))
        (v128.store offset=112 (local.get $cj) (local.get $c7))
        (local.set $j (i32.add (local.get $j) (i32.const 32)))
        (br_if $strip (i32.lt_u (local.get $j) (local.get $N32))))
      (local.set $a (i32.add (local.get $a) (local.get $rs)))
      (local.set $c (i32.add (local.get $c) (local.get $ldcb)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $row (i32.lt_u (local.get $i) (local.get $M)))))

    ;; Few rows, B transposed, A not: C[i, j] += A[i, :]·B[j, :], two rows read
  ;; along k, 8 at a time into two accumulators, then a horizontal sum.
  (func $rowsDot (param $M i32) (param $N i32) (param $K i32) (param $a i32) (param $ldab i32)
                 (param $b i32) (param $ldbb i32) (param $c i32) (param $ldcb i32)
    (local $i i32) (local $j i32) (local $p i32) (local $q i32) (local $end8 i32) (local $end i32)
    (local $s0 v128) (local $s1 v128) (local $s f32) (local $cj i32)
    (loop $row
      (local.set $j (i32.const 0))
      (local.set $cj (local.get $c))
      (loop $col
        (local.set $p (local.get $a))
        (local.set $q (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $ldbb))))
        (local.set $end8 (i32.add (local.get $p) (i32.shl (i32.and (local.get $K) (i32.const -8)) (i32.const 2))))
        (local.set $end (i32.add (local.get $p) (i32.shl (local.get $K) (i32.const 2))))
        (local.set $s0 (v128.const i32x4 0 0 0 0))
        (local.set $s1 (v128.const i32x4 0 0 0 0))
        (block $d8
          (br_if $d8 (i32.ge_u (local.get $p) (local.get $end8)))
          (loop $k8
            (local.set $s0 (fma (v128.load (local.get $p)) (v128.load (local.get $q)) (local.get $s0)))
            (local.set $s1 (fma (v128.load offset=16 (local.get $p)) (v128.load offset=16 (local.get $q)) (local.get $s1)))
            (local.set $p (i32.add (local.get $p) (i32.const 32)))
            (local.set $q (i32.add (local.get $q) (i32.const 32)))
            (br_if $k8 (i32.lt_u (local.get $p) (local.get $end8)))))
        (local.set $s0 (f32x4.add (local.get $s0) (local.get $s1)))
        (local.set $s (f32.add
          (f32.add (f32x4.extract_lane 0 (local.get $s0)) (f32x4.extract_lane 1 (local.get $s0)))
          (f32.add (f32x4.extract_lane 2 (local.get $s0)) (f32x4.extract_lane 3 (local.get $s0)))))
        (block $d1
          (br_if $d1 (i32.ge_u (local.get $p) (local.get $end)))
          (loop $k1
            (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $p)) (f32.load (local.get $q)))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $q (i32.add (local.get $q) (i32.const 4)))
            (br_if $k1 (i32.lt_u (local.get $p) (local.get $end)))))
        (f32.store (local.get $cj) (f32.add (f32.load (local.get $cj)) (local.get $s)))
        (local.set $cj (i32.add (local.get $cj) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $col (i32.lt_u (local.get $j) (local.get $N))))
      (local.set $a (i32.add (local.get $a) (local.get $ldab)))
      (local.set $c (i32.add (local.get $c) (local.get $ldcb)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $row (i32.lt_u (local.get $i) (local.get $M)))))

  ;; C (+)= op(A)·op(B): op(A) M×K, op(B) K×N, C M×N (BLAS sgemm, row-major).
  ;; `packBuf` is scratch for packed op(B) (KC·NC floats) followed by packed
  ;; A (MC·KC floats): 640 KiB in all. Loops, outside in: K blocks of KC,
  ;; N blocks of NC (pack op(B)), M blocks of MC (pack A), 8-column strips,
  ;; 5- and 4-row blocks (the micro-kernels). `bPacked`, when not 0, is op(B) packed
  ;; by packB (b and ldb must still describe B: fewer than 4 rows read it).
  (func (export "gemm") (param $tA i32) (param $tB i32) (param $M i32) (param $N i32) (param $K i32)
        (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32)
        (param $acc i32) (param $packBuf i32) (param $bPacked i32)
    (local $panel i32)
    (local $ldab i32) (local $ldbb i32) (local $ldcb i32) (local $rs i32) (local $cs i32) (local $i i32)
    (local $k0 i32) (local $kc i32) (local $kcp i32) (local $n0 i32) (local $nc i32) (local $m0 i32) (local $mr i32)
    (local $s i32) (local $w i32) (local $bp i32) (local $ap i32) (local $apack i32) (local $cp i32) (local $row i32)
    (local $rows i32) (local $n5 i32) (local $two i32) (local $r i32) (local $w1 i32)
    (if (i32.or (i32.eqz (local.get $M)) (i32.eqz (local.get $N))) (then (return)))
    (local.set $ldab (i32.shl (local.get $lda) (i32.const 2)))
    (local.set $ldbb (i32.shl (local.get $ldb) (i32.const 2)))
    (local.set $ldcb (i32.shl (local.get $ldc) (i32.const 2)))
    ;; C = 0 first unless accumulating; every path below adds into C
    (if (i32.eqz (local.get $acc))
      (then
        (local.set $row (local.get $c))
        (loop $z
          (memory.fill (local.get $row) (i32.const 0) (i32.shl (local.get $N) (i32.const 2)))
          (local.set $row (i32.add (local.get $row) (local.get $ldcb)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $z (i32.lt_u (local.get $i) (local.get $M))))))
    (if (i32.eqz (local.get $K)) (then (return)))
    ;; A(i, k) at a + i·rs + k·cs
    (if (local.get $tA)
      (then (local.set $rs (i32.const 4)) (local.set $cs (local.get $ldab)))
      (else (local.set $rs (local.get $ldab)) (local.set $cs (i32.const 4))))
    (if (i32.lt_u (local.get $M) (i32.const 4))
      (then
        (if (i32.eqz (local.get $tB))
          (then
            ;; columns in strips of 32 held in registers, the rest streamed
            (local.set $i (i32.and (local.get $N) (i32.const -32)))
            (if (local.get $i)
              (then
                (call $rowsStrips (local.get $M) (local.get $i) (local.get $K) (local.get $a) (local.get $rs) (local.get $cs)
                  (local.get $b) (local.get $ldbb) (local.get $c) (local.get $ldcb))))
            (if (i32.lt_u (local.get $i) (local.get $N))
              (then
                (call $rowsAxpy (local.get $M) (i32.sub (local.get $N) (local.get $i)) (local.get $K) (local.get $a) (local.get $rs) (local.get $cs)
                  (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))) (local.get $ldbb)
                  (i32.add (local.get $c) (i32.shl (local.get $i) (i32.const 2))) (local.get $ldcb))))
            (return)))
        (if (i32.eqz (local.get $tA))
          (then
            (call $rowsDot (local.get $M) (local.get $N) (local.get $K) (local.get $a) (local.get $ldab)
              (local.get $b) (local.get $ldbb) (local.get $c) (local.get $ldcb))
            (return)))))
    (local.set $apack (i32.add (local.get $packBuf) (i32.shl (i32.mul (global.get $KC) (global.get $NC)) (i32.const 2))))
    (loop $kblock
      (local.set $kc (i32.sub (local.get $K) (local.get $k0)))
      (if (i32.gt_s (local.get $kc) (global.get $KC)) (then (local.set $kc (global.get $KC))))
      (local.set $kcp (i32.and (i32.add (local.get $kc) (i32.const 1)) (i32.const -2)))
      (local.set $n0 (i32.const 0))
      (loop $nblock
        (local.set $nc (i32.sub (local.get $N) (local.get $n0)))
        (if (i32.gt_s (local.get $nc) (global.get $NC)) (then (local.set $nc (global.get $NC))))
        ;; this K×N panel of op(B): packed by packB beforehand (panels in this
        ;; loop order, one after another), or packed now into the scratch
        (if (local.get $bPacked)
          (then
            (local.set $panel (local.get $bPacked))
            (local.set $bPacked (i32.add (local.get $bPacked)
              (i32.shl (i32.mul (i32.shr_u (i32.add (local.get $nc) (i32.const 7)) (i32.const 3)) (local.get $kcp)) (i32.const 5)))))
          (else
            (call $pack (local.get $tB) (local.get $b) (local.get $ldbb) (local.get $k0) (local.get $kc) (local.get $kcp)
              (local.get $n0) (local.get $nc) (local.get $packBuf))
            (local.set $panel (local.get $packBuf))))
        (local.set $m0 (i32.const 0))
        (loop $mblock
          (local.set $mr (i32.sub (local.get $M) (local.get $m0)))
          (if (i32.gt_s (local.get $mr) (global.get $MC)) (then (local.set $mr (global.get $MC))))
          ;; row blocks: all of 4 (plain SIMD), or 5s and a 2 (mr = 5m + 2), or 5s and 4s
          (local.set $n5 (i32.const 0))
          (local.set $two (i32.const 0))
          (if (global.get $fiveRows)
            (then
              (local.set $n5 (i32.div_u (local.get $mr) (i32.const 5)))
              (if (i32.eq (i32.sub (local.get $mr) (i32.mul (local.get $n5) (i32.const 5))) (i32.const 2))
                (then (local.set $two (i32.const 1)))
                (else (local.set $n5 (call $fiveBlocks (local.get $mr)))))))
          (call $packA
            (i32.add (i32.add (local.get $a) (i32.mul (local.get $m0) (local.get $rs))) (i32.mul (local.get $k0) (local.get $cs)))
            (local.get $rs) (local.get $cs) (local.get $mr) (local.get $n5) (local.get $two) (local.get $kc) (local.get $kcp) (local.get $apack))
          (local.set $s (i32.const 0))
          (local.set $bp (local.get $panel))
          (loop $strip
            (local.set $w (i32.sub (local.get $nc) (local.get $s)))
            (if (i32.gt_s (local.get $w) (i32.const 8)) (then (local.set $w (i32.const 8))))
            (local.set $ap (local.get $apack))
            (local.set $cp (i32.add (i32.add (local.get $c) (i32.mul (local.get $m0) (local.get $ldcb)))
                                    (i32.shl (i32.add (local.get $n0) (local.get $s)) (i32.const 2))))
            (local.set $i (i32.const 0))
            (loop $rowblock
              ;; the n5 blocks of 5 rows first, then a block of 2 or blocks of 4 (see $packA)
              (local.set $r (select (i32.const 5) (select (i32.const 2) (i32.const 4) (local.get $two))
                                    (i32.lt_s (local.get $i) (i32.mul (local.get $n5) (i32.const 5)))))
              (local.set $rows (i32.sub (local.get $mr) (local.get $i)))
              (if (i32.gt_s (local.get $rows) (local.get $r)) (then (local.set $rows (local.get $r))))
              (if (i32.eq (local.get $r) (i32.const 5))
                (then (call $k5x8 (local.get $ap) (local.get $bp) (local.get $kcp) (local.get $cp) (local.get $ldcb)
                        (local.get $w) (local.get $rows)))
                (else
                  (if (i32.eq (local.get $r) (i32.const 4))
                    (then (call $k4x8 (local.get $ap) (local.get $bp) (local.get $kcp) (local.get $cp) (local.get $ldcb)
                            (local.get $w) (local.get $rows)))
                    (else
                      ;; 2 rows: this strip and the next at once, from the even strips
                      (if (i32.eqz (i32.and (local.get $s) (i32.const 8)))
                        (then
                          (local.set $w1 (i32.sub (i32.sub (local.get $nc) (local.get $s)) (i32.const 8)))
                          (if (i32.gt_s (local.get $w1) (i32.const 8)) (then (local.set $w1 (i32.const 8))))
                          (if (i32.lt_s (local.get $w1) (i32.const 0)) (then (local.set $w1 (i32.const 0))))
                          (call $k2x16 (local.get $ap) (local.get $bp)
                            (select (i32.add (local.get $bp) (i32.shl (local.get $kcp) (i32.const 5))) (local.get $bp) (local.get $w1))
                            (local.get $kcp) (local.get $cp) (local.get $ldcb) (local.get $w) (local.get $w1))))))))
              (local.set $ap (i32.add (local.get $ap) (i32.mul (local.get $kcp) (i32.shl (local.get $r) (i32.const 2)))))
              (local.set $cp (i32.add (local.get $cp) (i32.mul (local.get $ldcb) (local.get $r))))
              (local.set $i (i32.add (local.get $i) (local.get $r)))
              (br_if $rowblock (i32.lt_s (local.get $i) (local.get $mr))))
            (local.set $bp (i32.add (local.get $bp) (i32.shl (local.get $kcp) (i32.const 5))))
            (local.set $s (i32.add (local.get $s) (i32.const 8)))
            (br_if $strip (i32.lt_s (local.get $s) (local.get $nc))))
          (local.set $m0 (i32.add (local.get $m0) (global.get $MC)))
          (br_if $mblock (i32.lt_s (local.get $m0) (local.get $M))))
        (local.set $n0 (i32.add (local.get $n0) (global.get $NC)))
        (br_if $nblock (i32.lt_s (local.get $n0) (local.get $N))))
      (local.set $k0 (i32.add (local.get $k0) (global.get $KC)))
      (br_if $kblock (i32.lt_s (local.get $k0) (local.get $K)))))

;; Packs all of op(B) (K×N) at dst in the layout gemm's loops read it:
  ;; KC×NC panels, K blocks outside, N blocks inside, one after another, each
  ;; as 8-column strips of kcp rows (see $pack): roundup(N, 8)·(K + K mod 2)
  ;; floats in all. A gemm given this (bPacked) skips its own packing of op(B),
  ;; so a weight matrix used at every time step is packed once per pass.
  (func (export "packB") (param $tB i32) (param $K i32) (param $N i32) (param $b i32) (param $ldb i32) (param $dst i32)
    (local $ldbb i32) (local $k0 i32) (local $kc i32) (local $kcp i32) (local $n0 i32) (local $nc i32)
    (if (i32.or (i32.le_s (local.get $K) (i32.const 0)) (i32.le_s (local.get $N) (i32.const 0))) (then (return)))
    (local.set $ldbb (i32.shl (local.get $ldb) (i32.const 2)))
    (loop $kblock
      (local.set $kc (i32.sub (local.get $K) (local.get $k0)))
      (if (i32.gt_s (local.get $kc) (global.get $KC)) (then (local.set $kc (global.get $KC))))
      (local.set $kcp (i32.and (i32.add (local.get $kc) (i32.const 1)) (i32.const -2)))
      (local.set $n0 (i32.const 0))
      (loop $nblock
        (local.set $nc (i32.sub (local.get $N) (local.get $n0)))
        (if (i32.gt_s (local.get $nc) (global.get $NC)) (then (local.set $nc (global.get $NC))))
        (call $pack (local.get $tB) (local.get $b) (local.get $ldbb) (local.get $k0) (local.get $kc) (local.get $kcp)
          (local.get $n0) (local.get $nc) (local.get $dst))
        (local.set $dst (i32.add (local.get $dst)
          (i32.shl (i32.mul (i32.shr_u (i32.add (local.get $nc) (i32.const 7)) (i32.const 3)) (local.get $kcp)) (i32.const 5))))
        (local.set $n0 (i32.add (local.get $n0) (global.get $NC)))
        (br_if $nblock (i32.lt_s (local.get $n0) (local.get $N))))
      (local.set $k0 (i32.add (local.get $k0) (global.get $KC)))
      (br_if $kblock (i32.lt_s (local.get $k0) (local.get $K)))))

    ;; X[r, :] += b for r < rows (X is rows×N with row stride ldx).
  (func (export "addRowVector") (param $rows i32) (param $N i32) (param $x i32) (param $ldx i32) (param $b i32)
    (local $r i32)
    (if (i32.eqz (local.get $rows)) (then (return)))
    (loop $row
      (call $addInto (local.get $x) (local.get $b) (local.get $N))
      (local.set $x (i32.add (local.get $x) (i32.shl (local.get $ldx) (i32.const 2))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $row (i32.lt_u (local.get $r) (local.get $rows)))))

  ;; out[c] += Σ_r X[r, c]
  (func (export "sumRowsInto") (param $rows i32) (param $N i32) (param $x i32) (param $ldx i32) (param $out i32)
    (local $r i32)
    (if (i32.eqz (local.get $rows)) (then (return)))
    (loop $row
      (call $addInto (local.get $out) (local.get $x) (local.get $N))
      (local.set $x (i32.add (local.get $x) (i32.shl (local.get $ldx) (i32.const 2))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $row (i32.lt_u (local.get $r) (local.get $rows)))))

  ;; C[r, :] (+)= W[index[r], :]; index −1 gives a zero row (or adds nothing).
  (func (export "gatherRows") (param $rows i32) (param $N i32) (param $idx i32) (param $w i32) (param $ldw i32)
        (param $c i32) (param $ldc i32) (param $acc i32)
    (local $r i32) (local $k i32) (local $src i32) (local $nb i32)
    (if (i32.eqz (local.get $rows)) (then (return)))
    (local.set $nb (i32.shl (local.get $N) (i32.const 2)))
    (loop $row
      (local.set $k (i32.load (local.get $idx)))
      (local.set $src (i32.add (local.get $w) (i32.mul (local.get $k) (i32.shl (local.get $ldw) (i32.const 2)))))
      (if (i32.lt_s (local.get $k) (i32.const 0))
        (then (if (i32.eqz (local.get $acc)) (then (memory.fill (local.get $c) (i32.const 0) (local.get $nb)))))
        (else
          (if (local.get $acc)
            (then (call $addInto (local.get $c) (local.get $src) (local.get $N)))
            (else (memory.copy (local.get $c) (local.get $src) (local.get $nb))))))
      (local.set $idx (i32.add (local.get $idx) (i32.const 4)))
      (local.set $c (i32.add (local.get $c) (i32.shl (local.get $ldc) (i32.const 2))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $row (i32.lt_u (local.get $r) (local.get $rows)))))

  ;; C[r, :] = W[index[r], :] + b (index −1: C[r, :] = b): the one-hot input
  ;; and its bias in one pass, with the same sums as gatherRows then addRowVector.
  (func (export "gatherRowsBias") (param $rows i32) (param $N i32) (param $idx i32) (param $w i32) (param $ldw i32)
        (param $b i32) (param $c i32) (param $ldc i32)
    (local $r i32) (local $k i32)
    (if (i32.eqz (local.get $rows)) (then (return)))
    (loop $row
      (local.set $k (i32.load (local.get $idx)))
      (if (i32.lt_s (local.get $k) (i32.const 0))
        (then (memory.copy (local.get $c) (local.get $b) (i32.shl (local.get $N) (i32.const 2))))
        (else
          (call $sumTo (local.get $c)
            (i32.add (local.get $w) (i32.mul (local.get $k) (i32.shl (local.get $ldw) (i32.const 2))))
            (local.get $b) (local.get $N))))
      (local.set $idx (i32.add (local.get $idx) (i32.const 4)))
      (local.set $c (i32.add (local.get $c) (i32.shl (local.get $ldc) (i32.const 2))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $row (i32.lt_u (local.get $r) (local.get $rows)))))

  ;; dW[index[r], :] += dC[r, :] (index −1 skipped) and out += dC[r, :] for
  ;; every row: scatterAddRows and sumRowsInto in one pass over dC (the
  ;; one-hot input's weight gradient and the bias gradient), same sums.
  (func (export "scatterAddRowsSum") (param $rows i32) (param $N i32) (param $idx i32) (param $dc i32) (param $ldc i32)
        (param $dw i32) (param $ldw i32) (param $out i32)
    (local $r i32) (local $k i32)
    (if (i32.eqz (local.get $rows)) (then (return)))
    (loop $row
      (local.set $k (i32.load (local.get $idx)))
      (if (i32.ge_s (local.get $k) (i32.const 0))
        (then
          (call $addInto
            (i32.add (local.get $dw) (i32.mul (local.get $k) (i32.shl (local.get $ldw) (i32.const 2))))
            (local.get $dc) (local.get $N))))
      (call $addInto (local.get $out) (local.get $dc) (local.get $N))
      (local.set $idx (i32.add (local.get $idx) (i32.const 4)))
      (local.set $dc (i32.add (local.get $dc) (i32.shl (local.get $ldc) (i32.const 2))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $row (i32.lt_u (local.get $r) (local.get $rows)))))

  ;; dW[index[r], :] += dC[r, :]; index −1 is skipped.
  (func (export "scatterAddRows") (param $rows i32) (param $N i32) (param $idx i32) (param $dc i32) (param $ldc i32)
        (param $dw i32) (param $ldw i32)
    (local $r i32) (local $k i32)
    (if (i32.eqz (local.get $rows)) (then (return)))
    (loop $row
      (local.set $k (i32.load (local.get $idx)))
      (if (i32.ge_s (local.get $k) (i32.const 0))
        (then
          (call $addInto
            (i32.add (local.get $dw) (i32.mul (local.get $k) (i32.shl (local.get $ldw) (i32.const 2))))
            (local.get $dc) (local.get $N))))
      (local.set $idx (i32.add (local.get $idx) (i32.const 4)))
      (local.set $dc (i32.add (local.get $dc) (i32.shl (local.get $ldc) (i32.const 2))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $row (i32.lt_u (local.get $r) (local.get $rows)))))

  ;; ---- element-wise: the LSTM gate math, fused, 4 lanes at a time ----

  ;; e^x for 4 lanes: x = n·ln2 + r with n = round(x·log₂e), |r| ≤ ln2/2;
  ;; e^r by Cephes' degree-7 expf polynomial, 2ⁿ from the exponent bits.
  ;; Relative error about 2⁻²³ (float32 rounding) for x in [−87, 88].
  ;; The constants of exp4, tanh4 and their inline copies, stored once at instantiation
  ;; at CONSTS (bytes 1024.., in the scratch below the heap): a v128.load
  ;; from there is one instruction, where V8 builds a v128.const from
  ;; general registers (about four) on every call.
  (func $initConstants
    (v128.store offset=1024 (i32.const 0) (v128.const f32x4 -87.0 -87.0 -87.0 -87.0))
    (v128.store offset=1040 (i32.const 0) (v128.const f32x4 88.0 88.0 88.0 88.0))
    (v128.store offset=1056 (i32.const 0) (v128.const f32x4 1.44269504 1.44269504 1.44269504 1.44269504))
    (v128.store offset=1072 (i32.const 0) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))
    (v128.store offset=1088 (i32.const 0) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))
    (v128.store offset=1104 (i32.const 0) (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
    (v128.store offset=1120 (i32.const 0) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3))
    (v128.store offset=1136 (i32.const 0) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3))
    (v128.store offset=1152 (i32.const 0) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2))
    (v128.store offset=1168 (i32.const 0) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1))
    (v128.store offset=1184 (i32.const 0) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1))
    (v128.store offset=1200 (i32.const 0) (v128.const f32x4 1.0 1.0 1.0 1.0))
    (v128.store offset=1216 (i32.const 0) (v128.const f32x4 8388735.0 8388735.0 8388735.0 8388735.0))
    (v128.store offset=1232 (i32.const 0) (v128.const f32x4 -2.0 -2.0 -2.0 -2.0))
    (v128.store offset=1248 (i32.const 0) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000)))
  (start $initConstants)

  (func $exp4 (param $x v128) (result v128)
    (local $n v128) (local $r v128) (local $p v128)
    ;; clamp to [−87, 88] with pmax/pmin (one instruction each; f32x4.min/max
    ;; cost several in V8 for their NaN and ±0 rules, which do not matter here)
    (local.set $x (f32x4.pmin (f32x4.pmax (local.get $x) (v128.load offset=1024 (i32.const 0)))
                              (v128.load offset=1040 (i32.const 0))))
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $x) (v128.load offset=1056 (i32.const 0)))))
    ;; r = x − n·ln2, with ln2 split in two for accuracy
    (local.set $r (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) (v128.load offset=1072 (i32.const 0)))))
    (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $n) (v128.load offset=1088 (i32.const 0)))))
    (local.set $p (fma (v128.load offset=1104 (i32.const 0)) (local.get $r)
                       (v128.load offset=1120 (i32.const 0))))
    (local.set $p (fma (local.get $p) (local.get $r) (v128.load offset=1136 (i32.const 0))))
    (local.set $p (fma (local.get $p) (local.get $r) (v128.load offset=1152 (i32.const 0))))
    (local.set $p (fma (local.get $p) (local.get $r) (v128.load offset=1168 (i32.const 0))))
    (local.set $p (fma (local.get $p) (local.get $r) (v128.load offset=1184 (i32.const 0))))
    ;; e^r = 1 + r + r²·p
    (local.set $p (f32x4.add (fma (local.get $p) (f32x4.mul (local.get $r) (local.get $r)) (local.get $r))
                             (v128.load offset=1200 (i32.const 0))))
    ;; · 2ⁿ: n + 127 + 2²³ puts the integer n + 127 (in [1, 254] after the
    ;; clamp) in the low mantissa bits; shifting left by 23 leaves exactly
    ;; (n + 127) << 23, the bits of 2ⁿ (cheaper than i32x4.trunc_sat_f32x4_s)
    (f32x4.mul (local.get $p)
      (i32x4.shl (f32x4.add (local.get $n) (v128.load offset=1216 (i32.const 0))) (i32.const 23))))

  ;; tanh x = sign(x)·(1 − e^−2|x|) / (1 + e^−2|x|)
  (func $tanh4 (param $x v128) (result v128)
    (local $e v128)
    (local.set $e (call $exp4 (f32x4.mul (f32x4.abs (local.get $x)) (v128.load offset=1232 (i32.const 0)))))
    (v128.or
      (v128.and (local.get $x) (v128.load offset=1248 (i32.const 0)))
      (f32x4.div (f32x4.sub (v128.load offset=1200 (i32.const 0)) (local.get $e))
                 (f32x4.add (v128.load offset=1200 (i32.const 0)) (local.get $e)))))

  ;; In place over n floats at p (n and n3 multiples of 4): σ on [0, n3), tanh
  ;; on [n3, n), with $exp4's arithmetic inline (a call per 4 lanes, with its
  ;; frame and spilled registers, costs about as much as the arithmetic):
  ;;   σ(x) = 1 / (1 + e^−x)      tanh x = sign(x)·(1 − e^−2|x|) / (1 + e^−2|x|)
  ;; (for tanh the same operations as $tanh4, so the same results).
  (func $sigmoidTanh (param $p i32) (param $n3 i32) (param $n i32)
    (local $mid i32) (local $end i32)
    (local $x v128) (local $y v128) (local $e v128) (local $nn v128) (local $r v128) (local $q v128) (local $one v128)
    (local.set $one (v128.load offset=1200 (i32.const 0)))
    (local.set $mid (i32.add (local.get $p) (i32.shl (local.get $n3) (i32.const 2))))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    ;; σ(x) = 1 / (1 + e^−x)
    (block $doneS
      (br_if $doneS (i32.ge_u (local.get $p) (local.get $mid)))
      (loop $vs
        (local.set $y (f32x4.neg (v128.load (local.get $p))))
        (local.set $y (f32x4.pmin (f32x4.pmax (local.get $y) (v128.load offset=1024 (i32.const 0))) (v128.load offset=1040 (i32.const 0))))
        (local.set $nn (f32x4.nearest (f32x4.mul (local.get $y) (v128.load offset=1056 (i32.const 0)))))
        (local.set $r (f32x4.sub (local.get $y) (f32x4.mul (local.get $nn) (v128.load offset=1072 (i32.const 0)))))
        (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $nn) (v128.load offset=1088 (i32.const 0)))))
        (local.set $q (fma (v128.load offset=1104 (i32.const 0)) (local.get $r) (v128.load offset=1120 (i32.const 0))))
        (local.set $q (fma (local.get $q) (local.get $r) (v128.load offset=1136 (i32.const 0))))
        (local.set $q (fma (local.get $q) (local.get $r) (v128.load offset=1152 (i32.const 0))))
        (local.set $q (fma (local.get $q) (local.get $r) (v128.load offset=1168 (i32.const 0))))
        (local.set $q (fma (local.get $q) (local.get $r) (v128.load offset=1184 (i32.const 0))))
        (local.set $q (f32x4.add (fma (local.get $q) (f32x4.mul (local.get $r) (local.get $r)) (local.get $r)) (v128.load offset=1200 (i32.const 0))))
        (local.set $e (f32x4.mul (local.get $q) (i32x4.shl (f32x4.add (local.get $nn) (v128.load offset=1216 (i32.const 0))) (i32.const 23))))
        (v128.store (local.get $p) (f32x4.div (local.get $one) (f32x4.add (local.get $one) (local.get $e))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br_if $vs (i32.lt_u (local.get $p) (local.get $mid)))))
    ;; tanh x = sign(x)·(1 − e^−2|x|) / (1 + e^−2|x|)
    (block $doneT
      (br_if $doneT (i32.ge_u (local.get $p) (local.get $end)))
      (loop $vt
        (local.set $x (v128.load (local.get $p)))
        (local.set $y (f32x4.mul (f32x4.abs (local.get $x)) (v128.load offset=1232 (i32.const 0))))
        (local.set $y (f32x4.pmin (f32x4.pmax (local.get $y) (v128.load offset=1024 (i32.const 0))) (v128.load offset=1040 (i32.const 0))))
        (local.set $nn (f32x4.nearest (f32x4.mul (local.get $y) (v128.load offset=1056 (i32.const 0)))))
        (local.set $r (f32x4.sub (local.get $y) (f32x4.mul (local.get $nn) (v128.load offset=1072 (i32.const 0)))))
        (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $nn) (v128.load offset=1088 (i32.const 0)))))
        (local.set $q (fma (v128.load offset=1104 (i32.const 0)) (local.get $r) (v128.load offset=1120 (i32.const 0))))
        (local.set $q (fma (local.get $q) (local.get $r) (v128.load offset=1136 (i32.const 0))))
        (local.set $q (fma (local.get $q) (local.get $r) (v128.load offset=1152 (i32.const 0))))
        (local.set $q (fma (local.get $q) (local.get $r) (v128.load offset=1168 (i32.const 0))))
        (local.set $q (fma (local.get $q) (local.get $r) (v128.load offset=1184 (i32.const 0))))
        (local.set $q (f32x4.add (fma (local.get $q) (f32x4.mul (local.get $r) (local.get $r)) (local.get $r)) (v128.load offset=1200 (i32.const 0))))
        (local.set $e (f32x4.mul (local.get $q) (i32x4.shl (f32x4.add (local.get $nn) (v128.load offset=1216 (i32.const 0))) (i32.const 23))))
        (v128.store (local.get $p)
          (v128.or (v128.and (local.get $x) (v128.load offset=1248 (i32.const 0)))
                   (f32x4.div (f32x4.sub (local.get $one) (local.get $e)) (f32x4.add (local.get $one) (local.get $e)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br_if $vt (i32.lt_u (local.get $p) (local.get $end))))))

  ;; One LSTM step's element-wise math for B rows (H a multiple of 4), in
  ;; place on the pre-activations a = [a_f | a_i | a_o | a_C] (row stride 4H):
  ;;   f = σ(a_f)  i = σ(a_i)  o = σ(a_o)  C̃ = tanh(a_C)   (written back over a)
  ;;   C(t) = f ∘ C(t−1) + i ∘ C̃     tc = tanh C(t)     h(t) = o ∘ tc
  ;; cPrev, c, h, tc are B×H with row stride H. Row by row: the gates in one
  ;; pass over the 4H pre-activations, C(t) (into c and tc), tanh in place
  ;; over tc, then h.
  (func (export "lstmGates") (param $B i32) (param $H i32) (param $a i32) (param $cPrev i32) (param $c i32)
        (param $h i32) (param $tc i32)
    (local $b i32) (local $j i32) (local $hb i32) (local $p i32) (local $cv v128)
    (if (i32.or (i32.eqz (local.get $B)) (i32.eqz (local.get $H))) (then (return)))
    (local.set $hb (i32.shl (local.get $H) (i32.const 2)))
    (loop $row
      (call $sigmoidTanh (local.get $a) (i32.mul (local.get $H) (i32.const 3)) (i32.shl (local.get $H) (i32.const 2)))
      ;; C(t) = f ∘ C(t−1) + i ∘ C̃
      (local.set $j (i32.const 0))
      (loop $col
        (local.set $p (i32.add (local.get $a) (local.get $j)))
        (local.set $cv (f32x4.add (f32x4.mul (v128.load (local.get $p)) (v128.load (i32.add (local.get $cPrev) (local.get $j))))
                                  (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $hb)))
                                             (v128.load (i32.add (local.get $p) (i32.mul (local.get $hb) (i32.const 3)))))))
        (v128.store (i32.add (local.get $c) (local.get $j)) (local.get $cv))
        (v128.store (i32.add (local.get $tc) (local.get $j)) (local.get $cv))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br_if $col (i32.lt_u (local.get $j) (local.get $hb))))
      ;; tc = tanh C(t);  h(t) = o ∘ tc
      (call $sigmoidTanh (local.get $tc) (i32.const 0) (local.get $H))
      (local.set $j (i32.const 0))
      (loop $col2
        (v128.store (i32.add (local.get $h) (local.get $j))
          (f32x4.mul (v128.load (i32.add (i32.add (local.get $a) (i32.shl (local.get $hb) (i32.const 1))) (local.get $j)))
                     (v128.load (i32.add (local.get $tc) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br_if $col2 (i32.lt_u (local.get $j) (local.get $hb))))
      (local.set $a (i32.add (local.get $a) (i32.shl (local.get $hb) (i32.const 2))))
      (local.set $cPrev (i32.add (local.get $cPrev) (local.get $hb)))
      (local.set $c (i32.add (local.get $c) (local.get $hb)))
      (local.set $h (i32.add (local.get $h) (local.get $hb)))
      (local.set $tc (i32.add (local.get $tc) (local.get $hb)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $row (i32.lt_u (local.get $b) (local.get $B)))))

  ;; e^x of one float, through the 4-lane routine.
  (func $exp1 (param $x f32) (result f32)
    (f32x4.extract_lane 0 (call $exp4 (f32x4.splat (local.get $x)))))

  ;; a[i] = tanh a[i] for i < n, in place (g_h of the RNN).
  (func (export "tanhInPlace") (param $a i32) (param $n i32)
    (local $end i32) (local $end4 i32) (local $x f32) (local $e f32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $d4
      (br_if $d4 (i32.ge_u (local.get $a) (local.get $end4)))
      (call $sigmoidTanh (local.get $a) (i32.const 0) (i32.and (local.get $n) (i32.const -4)))
      (local.set $a (local.get $end4)))
    (block $d1
      (br_if $d1 (i32.ge_u (local.get $a) (local.get $end)))
      (loop $s
        (f32.store (local.get $a) (f32x4.extract_lane 0 (call $tanh4 (v128.load32_splat (local.get $a)))))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (br_if $s (i32.lt_u (local.get $a) (local.get $end))))))

  ;; Softmax of each of `rows` rows of width n (contiguous), in place,
  ;; stabilised by the row maximum: ŷ_k = e^(z_k − max z) / Σ_j e^(z_j − max z).
  (func (export "softmaxRows") (param $a i32) (param $rows i32) (param $n i32)
    (local $r i32) (local $p i32) (local $end i32) (local $end4 i32)
    (local $m v128) (local $mx f32) (local $s v128) (local $sum f32) (local $e v128) (local $inv v128) (local $x f32)
    (local $y v128) (local $nn v128) (local $rr v128) (local $q v128)
    (if (i32.or (i32.eqz (local.get $rows)) (i32.eqz (local.get $n))) (then (return)))
    (loop $row
      (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
      (local.set $end4 (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
      ;; max z
      (local.set $m (v128.load32_splat (local.get $a)))
      (local.set $p (local.get $a))
      (block $m4 (br_if $m4 (i32.ge_u (local.get $p) (local.get $end4)))
        (loop $lm
          (local.set $m (f32x4.pmax (local.get $m) (v128.load (local.get $p))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $lm (i32.lt_u (local.get $p) (local.get $end4)))))
      (block $m1 (br_if $m1 (i32.ge_u (local.get $p) (local.get $end)))
        (loop $lm1
          (local.set $m (f32x4.pmax (local.get $m) (v128.load32_splat (local.get $p))))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (br_if $lm1 (i32.lt_u (local.get $p) (local.get $end)))))
      (local.set $mx (f32.max (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
                              (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
      (local.set $m (f32x4.splat (local.get $mx)))
      ;; e = e^(z − max), Σ e
      (local.set $s (v128.const f32x4 0 0 0 0))
      (local.set $sum (f32.const 0))
      (local.set $p (local.get $a))
      (block $e4 (br_if $e4 (i32.ge_u (local.get $p) (local.get $end4)))
        (loop $le
          ;; e = e^(z − max), $exp4 inline
          (local.set $y (f32x4.sub (v128.load (local.get $p)) (local.get $m)))
          (local.set $y (f32x4.pmin (f32x4.pmax (local.get $y) (v128.load offset=1024 (i32.const 0))) (v128.load offset=1040 (i32.const 0))))
          (local.set $nn (f32x4.nearest (f32x4.mul (local.get $y) (v128.load offset=1056 (i32.const 0)))))
          (local.set $rr (f32x4.sub (local.get $y) (f32x4.mul (local.get $nn) (v128.load offset=1072 (i32.const 0)))))
          (local.set $rr (f32x4.sub (local.get $rr) (f32x4.mul (local.get $nn) (v128.load offset=1088 (i32.const 0)))))
          (local.set $q (fma (v128.load offset=1104 (i32.const 0)) (local.get $rr) (v128.load offset=1120 (i32.const 0))))
          (local.set $q (fma (local.get $q) (local.get $rr) (v128.load offset=1136 (i32.const 0))))
          (local.set $q (fma (local.get $q) (local.get $rr) (v128.load offset=1152 (i32.const 0))))
          (local.set $q (fma (local.get $q) (local.get $rr) (v128.load offset=1168 (i32.const 0))))
          (local.set $q (fma (local.get $q) (local.get $rr) (v128.load offset=1184 (i32.const 0))))
          (local.set $q (f32x4.add (fma (local.get $q) (f32x4.mul (local.get $rr) (local.get $rr)) (local.get $rr)) (v128.load offset=1200 (i32.const 0))))
          (local.set $e (f32x4.mul (local.get $q) (i32x4.shl (f32x4.add (local.get $nn) (v128.load offset=1216 (i32.const 0))) (i32.const 23))))
          (v128.store (local.get $p) (local.get $e))
          (local.set $s (f32x4.add (local.get $s) (local.get $e)))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $le (i32.lt_u (local.get $p) (local.get $end4)))))
      (block $e1 (br_if $e1 (i32.ge_u (local.get $p) (local.get $end)))
        (loop $le1
          (local.set $x (call $exp1 (f32.sub (f32.load (local.get $p)) (local.get $mx))))
          (f32.store (local.get $p) (local.get $x))
          (local.set $sum (f32.add (local.get $sum) (local.get $x)))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (br_if $le1 (i32.lt_u (local.get $p) (local.get $end)))))
      (local.set $sum (f32.add (local.get $sum)
        (f32.add (f32.add (f32x4.extract_lane 0 (local.get $s)) (f32x4.extract_lane 1 (local.get $s)))
                 (f32.add (f32x4.extract_lane 2 (local.get $s)) (f32x4.extract_lane 3 (local.get $s))))))
      ;; ŷ = e / Σ e
      (local.set $inv (f32x4.splat (f32.div (f32.const 1) (local.get $sum))))
      (local.set $p (local.get $a))
      (block $n4 (br_if $n4 (i32.ge_u (local.get $p) (local.get $end4)))
        (loop $ln
          (v128.store (local.get $p) (f32x4.mul (v128.load (local.get $p)) (local.get $inv)))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $ln (i32.lt_u (local.get $p) (local.get $end4)))))
      (block $n1 (br_if $n1 (i32.ge_u (local.get $p) (local.get $end)))
        (loop $ln1
          (f32.store (local.get $p) (f32.mul (f32.load (local.get $p)) (f32x4.extract_lane 0 (local.get $inv))))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (br_if $ln1 (i32.lt_u (local.get $p) (local.get $end)))))
      (local.set $a (local.get $end))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $row (i32.lt_u (local.get $r) (local.get $rows)))))

  ;; The backward of one LSTM step's element-wise math for B rows (H a
  ;; multiple of 4). In: the gates f, i, o, C̃ of step t (row stride 4H),
  ;; C(t−1) and tanh C(t) (B×H), δh(t) in dh, the carried δC(t+1)∘f(t+1) in dc.
  ;;   δC    = δh ∘ o ∘ (1 − tanh²C) + dc
  ;;   δa_f  = δC ∘ C(t−1) ∘ f(1 − f)     δa_i = δC ∘ C̃ ∘ i(1 − i)
  ;;   δa_o  = δh ∘ tanh C ∘ o(1 − o)     δa_C = δC ∘ i ∘ (1 − C̃²)
  ;; Out: δa (row stride 4H) at out, dc = δC ∘ f (the carry to t−1), next = 0.
  (func (export "lstmGatesBackward") (param $B i32) (param $H i32) (param $g i32) (param $cPrev i32) (param $tc i32)
        (param $dh i32) (param $dc i32) (param $out i32) (param $next i32)
    (local $b i32) (local $j i32) (local $hb i32) (local $p i32) (local $q i32)
    (local $f v128) (local $i v128) (local $o v128) (local $ct v128) (local $t v128) (local $d v128) (local $dC v128)
    (local $one v128)
    (if (i32.or (i32.eqz (local.get $B)) (i32.eqz (local.get $H))) (then (return)))
    (local.set $one (v128.const f32x4 1.0 1.0 1.0 1.0))
    (local.set $hb (i32.shl (local.get $H) (i32.const 2)))
    (loop $row
      (local.set $j (i32.const 0))
      (loop $col
        (local.set $p (i32.add (local.get $g) (local.get $j)))
        (local.set $f (v128.load (local.get $p)))
        (local.set $i (v128.load (i32.add (local.get $p) (local.get $hb))))
        (local.set $o (v128.load (i32.add (local.get $p) (i32.shl (local.get $hb) (i32.const 1)))))
        (local.set $ct (v128.load (i32.add (local.get $p) (i32.mul (local.get $hb) (i32.const 3)))))
        (local.set $t (v128.load (i32.add (local.get $tc) (local.get $j))))
        (local.set $d (v128.load (i32.add (local.get $dh) (local.get $j))))
        ;; δC = δh ∘ o ∘ (1 − tanh²C) + dc
        (local.set $dC (f32x4.add
          (f32x4.mul (f32x4.mul (local.get $d) (local.get $o))
                     (f32x4.sub (local.get $one) (f32x4.mul (local.get $t) (local.get $t))))
          (v128.load (i32.add (local.get $dc) (local.get $j)))))
        (local.set $q (i32.add (local.get $out) (local.get $j)))
        ;; δa_f = δC ∘ C(t−1) ∘ f(1 − f)
        (v128.store (local.get $q)
          (f32x4.mul (f32x4.mul (local.get $dC) (v128.load (i32.add (local.get $cPrev) (local.get $j))))
                     (f32x4.mul (local.get $f) (f32x4.sub (local.get $one) (local.get $f)))))
        ;; δa_i = δC ∘ C̃ ∘ i(1 − i)
        (v128.store (i32.add (local.get $q) (local.get $hb))
          (f32x4.mul (f32x4.mul (local.get $dC) (local.get $ct))
                     (f32x4.mul (local.get $i) (f32x4.sub (local.get $one) (local.get $i)))))
        ;; δa_o = δh ∘ tanh C ∘ o(1 − o)
        (v128.store (i32.add (local.get $q) (i32.shl (local.get $hb) (i32.const 1)))
          (f32x4.mul (f32x4.mul (local.get $d) (local.get $t))
                     (f32x4.mul (local.get $o) (f32x4.sub (local.get $one) (local.get $o)))))
        ;; δa_C = δC ∘ i ∘ (1 − C̃²)
        (v128.store (i32.add (local.get $q) (i32.mul (local.get $hb) (i32.const 3)))
          (f32x4.mul (f32x4.mul (local.get $dC) (local.get $i))
                     (f32x4.sub (local.get $one) (f32x4.mul (local.get $ct) (local.get $ct)))))
        ;; carry δC ∘ f to step t−1; nothing bypasses W_h on an unmasked row
        (v128.store (i32.add (local.get $dc) (local.get $j)) (f32x4.mul (local.get $dC) (local.get $f)))
        (v128.store (i32.add (local.get $next) (local.get $j)) (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br_if $col (i32.lt_u (local.get $j) (local.get $hb))))
      (local.set $g (i32.add (local.get $g) (i32.shl (local.get $hb) (i32.const 2))))
      (local.set $out (i32.add (local.get $out) (i32.shl (local.get $hb) (i32.const 2))))
      (local.set $cPrev (i32.add (local.get $cPrev) (local.get $hb)))
      (local.set $tc (i32.add (local.get $tc) (local.get $hb)))
      (local.set $dh (i32.add (local.get $dh) (local.get $hb)))
      (local.set $dc (i32.add (local.get $dc) (local.get $hb)))
      (local.set $next (i32.add (local.get $next) (local.get $hb)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $row (i32.lt_u (local.get $b) (local.get $B)))))

  ;; The RNN's δneth for one step with g_h = tanh, fused:
  ;;   δneth = (∂J/∂h + carry) ∘ (1 − h²), with 1 − h² as (1 − h)(1 + h)
  ;;   (no cancellation when |h| is near 1)
  ;; over n elements (h = tanh neth as stored; carry = δneth(t+1)·Wᵀ).
  (func (export "tanhBackward") (param $n i32) (param $h i32) (param $dh i32) (param $carry i32) (param $out i32)
    (local $end i32) (local $end4 i32) (local $y v128) (local $one v128)
    (local.set $one (v128.const f32x4 1.0 1.0 1.0 1.0))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $out) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $d4
      (br_if $d4 (i32.ge_u (local.get $out) (local.get $end4)))
      (loop $v
        (local.set $y (v128.load (local.get $h)))
        (v128.store (local.get $out)
          (f32x4.mul (f32x4.add (v128.load (local.get $dh)) (v128.load (local.get $carry)))
                     (f32x4.mul (f32x4.sub (local.get $one) (local.get $y)) (f32x4.add (local.get $one) (local.get $y)))))
        (local.set $h (i32.add (local.get $h) (i32.const 16)))
        (local.set $dh (i32.add (local.get $dh) (i32.const 16)))
        (local.set $carry (i32.add (local.get $carry) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br_if $v (i32.lt_u (local.get $out) (local.get $end4)))))
    (block $d1
      (br_if $d1 (i32.ge_u (local.get $out) (local.get $end)))
      (loop $s
        (f32.store (local.get $out)
          (f32.mul (f32.add (f32.load (local.get $dh)) (f32.load (local.get $carry)))
                   (f32.mul (f32.sub (f32.const 1) (f32.load (local.get $h))) (f32.add (f32.const 1) (f32.load (local.get $h))))))
        (local.set $h (i32.add (local.get $h) (i32.const 4)))
        (local.set $dh (i32.add (local.get $dh) (i32.const 4)))
        (local.set $carry (i32.add (local.get $carry) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br_if $s (i32.lt_u (local.get $out) (local.get $end))))))

  ;; Adam over n float32 parameters, in float64 arithmetic (two lanes of
  ;; f64x2, no fused multiply-add) in the same order as the JavaScript loop
  ;; of src/train/optimizers.ts, so the results are bit-identical to it:
  ;;   g ← g + λθ;  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g·g
  ;;   θ ← θ·shrink − (stepSize·m) / (√v / √(1−β₂ᵗ) + ε)
  ;; m and v are stored rounded to float32; θ uses the unrounded m and v.
  (func (export "adam") (param $n i32) (param $th i32) (param $g i32) (param $m i32) (param $v i32)
        (param $l2 f64) (param $b1 f64) (param $c1 f64) (param $b2 f64) (param $c2 f64)
        (param $step f64) (param $bc f64) (param $eps f64) (param $shrink f64)
    (local $end i32) (local $end2 i32)
    (local $x v128) (local $gg v128) (local $mm v128) (local $vv v128)
    (local $L2 v128) (local $B1 v128) (local $C1 v128) (local $B2 v128) (local $C2 v128)
    (local $STEP v128) (local $BC v128) (local $EPS v128) (local $SHRINK v128)
    (local $xs f64) (local $gs f64) (local $ms f64) (local $vs f64)
    (local.set $L2 (f64x2.splat (local.get $l2)))
    (local.set $B1 (f64x2.splat (local.get $b1)))
    (local.set $C1 (f64x2.splat (local.get $c1)))
    (local.set $B2 (f64x2.splat (local.get $b2)))
    (local.set $C2 (f64x2.splat (local.get $c2)))
    (local.set $STEP (f64x2.splat (local.get $step)))
    (local.set $BC (f64x2.splat (local.get $bc)))
    (local.set $EPS (f64x2.splat (local.get $eps)))
    (local.set $SHRINK (f64x2.splat (local.get $shrink)))
    (local.set $end (i32.add (local.get $th) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end2 (i32.add (local.get $th) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 2))))
    (block $d2
      (br_if $d2 (i32.ge_u (local.get $th) (local.get $end2)))
      (loop $pair
        (local.set $x (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $th))))
        (local.set $gg (f64x2.add (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $g)))
                                  (f64x2.mul (local.get $L2) (local.get $x))))
        (local.set $mm (f64x2.add (f64x2.mul (local.get $B1) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $m))))
                                  (f64x2.mul (local.get $C1) (local.get $gg))))
        (local.set $vv (f64x2.add (f64x2.mul (local.get $B2) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $v))))
                                  (f64x2.mul (f64x2.mul (local.get $C2) (local.get $gg)) (local.get $gg))))
        (v128.store64_lane 0 (local.get $m) (f32x4.demote_f64x2_zero (local.get $mm)))
        (v128.store64_lane 0 (local.get $v) (f32x4.demote_f64x2_zero (local.get $vv)))
        (v128.store64_lane 0 (local.get $th) (f32x4.demote_f64x2_zero
          (f64x2.sub (f64x2.mul (local.get $x) (local.get $SHRINK))
                     (f64x2.div (f64x2.mul (local.get $STEP) (local.get $mm))
                                (f64x2.add (f64x2.div (f64x2.sqrt (local.get $vv)) (local.get $BC)) (local.get $EPS))))))
        (local.set $th (i32.add (local.get $th) (i32.const 8)))
        (local.set $g (i32.add (local.get $g) (i32.const 8)))
        (local.set $m (i32.add (local.get $m) (i32.const 8)))
        (local.set $v (i32.add (local.get $v) (i32.const 8)))
        (br_if $pair (i32.lt_u (local.get $th) (local.get $end2)))))
    ;; an odd last element, the same arithmetic on one lane
    (if (i32.lt_u (local.get $th) (local.get $end))
      (then
        (local.set $xs (f64.promote_f32 (f32.load (local.get $th))))
        (local.set $gs (f64.add (f64.promote_f32 (f32.load (local.get $g))) (f64.mul (local.get $l2) (local.get $xs))))
        (local.set $ms (f64.add (f64.mul (local.get $b1) (f64.promote_f32 (f32.load (local.get $m)))) (f64.mul (local.get $c1) (local.get $gs))))
        (local.set $vs (f64.add (f64.mul (local.get $b2) (f64.promote_f32 (f32.load (local.get $v))))
                                (f64.mul (f64.mul (local.get $c2) (local.get $gs)) (local.get $gs))))
        (f32.store (local.get $m) (f32.demote_f64 (local.get $ms)))
        (f32.store (local.get $v) (f32.demote_f64 (local.get $vs)))
        (f32.store (local.get $th) (f32.demote_f64
          (f64.sub (f64.mul (local.get $xs) (local.get $shrink))
                   (f64.div (f64.mul (local.get $step) (local.get $ms))
                            (f64.add (f64.div (f64.sqrt (local.get $vs)) (local.get $bc)) (local.get $eps)))))))))
)
