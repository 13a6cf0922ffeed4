/**
 * The Kernels interface (src/core/kernels.ts) on WebAssembly 128-bit SIMD,
 * for float32. Float64 calls go to the JavaScript kernels unchanged.
 *
 * Operands that live in the kernels' memory ({@link WasmHeap}) are used in
 * place; any other float32 operand is copied into a staging area before the
 * call (and C back out after it), so every array works, and arrays made by
 * `allocate()` while this backend is active work without copies.
 */

import { jsKernels, type Kernels, type PackedMatrix } from '../core/kernels.js';
import type { Float } from '../core/tensor.js';
import type { WasmHeap } from './heap.js';

/** The functions kernels.wat exports (pointers are byte addresses, leading dimensions elements). */
export interface KernelExports {
  gemm(tA: number, tB: number, M: number, N: number, K: number, a: number, lda: number,
    b: number, ldb: number, c: number, ldc: number, acc: number, pack: number, bPacked: number): void;
  packB(tB: number, K: number, N: number, b: number, ldb: number, dst: number): void;
  addRowVector(rows: number, N: number, x: number, ldx: number, b: number): void;
  sumRowsInto(rows: number, N: number, x: number, ldx: number, out: number): void;
  gatherRows(rows: number, N: number, idx: number, w: number, ldw: number, c: number, ldc: number, acc: number): void;
  scatterAddRows(rows: number, N: number, idx: number, dc: number, ldc: number, dw: number, ldw: number): void;
  gatherRowsBias(rows: number, N: number, idx: number, w: number, ldw: number, b: number, c: number, ldc: number): void;
  scatterAddRowsSum(rows: number, N: number, idx: number, dc: number, ldc: number, dw: number, ldw: number, out: number): void;
  lstmGates(B: number, H: number, a: number, cPrev: number, c: number, h: number, tc: number): void;
  tanhInPlace(a: number, n: number): void;
  softmaxRows(a: number, rows: number, n: number): void;
  lstmGatesBackward(B: number, H: number, g: number, cPrev: number, tc: number, dh: number, dc: number, out: number, next: number): void;
  tanhBackward(n: number, h: number, dh: number, carry: number, out: number): void;
  setFiveRows(on: number): void;
  adam(n: number, theta: number, grad: number, m: number, v: number, l2: number, b1: number, c1: number,
    b2: number, c2: number, stepSize: number, sqrtBc2: number, eps: number, shrink: number): void;
}

/**
 * Packing scratch of the gemm: KC×NC floats of op(B), then MC×KC of A (see
 * kernels.wat), and 64 bytes of slack that the 5-row micro-kernel reads past the last block.
 */
export const PACK_BYTES = (256 * 512 + 128 * 256) * 4 + 64;

// staging slots for operands outside the heap
const SLOT_A = 0;
const SLOT_B = 1;
const SLOT_C = 2;
const SLOT_INDEX = 3;

/** Elements a row-major view spans: (rows − 1)·ld + cols. */
function extent(rows: number, cols: number, ld: number): number {
  return rows > 0 && cols > 0 ? (rows - 1) * ld + cols : 0;
}

/** op(B) packed by {@link WasmKernels.packB}: the packed floats in the heap, and B itself (read when M < 4). */
class WasmPackedMatrix implements PackedMatrix {
  transB = false;
  K = 0;
  N = 0;
  B: Float32Array;
  bOff = 0;
  ldb = 0;
  constructor(readonly owner: WasmKernels, readonly data: Float32Array, B: Float32Array) {
    this.B = B;
  }
}

/** WebAssembly SIMD kernels bound to one module instance and its heap. */
export class WasmKernels implements Kernels {
  readonly name: string;
  /** Whether this instance uses `f32x4.relaxed_madd` (fused multiply-add) rather than mul + add. */
  readonly relaxed: boolean;
  readonly heap: WasmHeap;
  private readonly ex: KernelExports;
  private readonly pack: number;

  constructor(exports: KernelExports, heap: WasmHeap, relaxed: boolean, packPtr: number) {
    this.ex = exports;
    this.heap = heap;
    this.relaxed = relaxed;
    this.pack = packPtr;
    this.name = relaxed ? 'wasm-relaxed-simd' : 'wasm-simd';
    // the 5-row micro-kernel pays only with fused multiply-add (see kernels.wat)
    exports.setFiveRows(relaxed ? 1 : 0);
  }

  /**
   * C (+)= op(A)·op(B) (BLAS sgemm, row-major): op(A) M×K, op(B) K×N, C M×N.
   * Register-blocked micro-kernels (5×8 with relaxed SIMD, and 4×8) over packed
   * row blocks of A and 8-column strips of op(B), both packed per call; fewer
   * than 4 rows stream B's rows (or take dot products with Bᵀ).
   */
  gemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number,
    A: Float, aOff: number, lda: number, B: Float, bOff: number, ldb: number,
    C: Float, cOff: number, ldc: number, accumulate: boolean,
  ): void {
    if (!(A instanceof Float32Array && B instanceof Float32Array && C instanceof Float32Array) || K === 0) {
      jsKernels.gemm(transA, transB, M, N, K, A, aOff, lda, B, bOff, ldb, C, cOff, ldc, accumulate);
      return;
    }
    if (M <= 0 || N <= 0) return;
    const h = this.heap;
    let pa = h.addressOf(A);
    let pb = h.addressOf(B);
    let pc = h.addressOf(C);
    if (pa >= 0 && pb >= 0 && pc >= 0) {
      this.ex.gemm(+transA, +transB, M, N, K, pa + aOff * 4, lda, pb + bOff * 4, ldb, pc + cOff * 4, ldc, +accumulate, this.pack, 0);
      return;
    }
    // some operand lives outside the heap: stage it (C's whole extent, so the gaps between its rows survive)
    const nA = extent(transA ? K : M, transA ? M : K, lda);
    const nB = extent(transB ? N : K, transB ? K : N, ldb);
    const nC = extent(M, N, ldc);
    const sa = pa < 0 ? h.stage(SLOT_A, nA * 4) : 0;
    const sb = pb < 0 ? h.stage(SLOT_B, nB * 4) : 0;
    const sc = pc < 0 ? h.stage(SLOT_C, nC * 4) : 0;
    if (sa < 0 || sb < 0 || sc < 0) {
      jsKernels.gemm(transA, transB, M, N, K, A, aOff, lda, B, bOff, ldb, C, cOff, ldc, accumulate);
      return;
    }
    const f = h.f32;
    if (pa < 0) { f.set(A.subarray(aOff, aOff + nA), sa >> 2); pa = sa - aOff * 4; h.stagedFloats += nA; }
    if (pb < 0) { f.set(B.subarray(bOff, bOff + nB), sb >> 2); pb = sb - bOff * 4; h.stagedFloats += nB; }
    if (pc < 0) { f.set(C.subarray(cOff, cOff + nC), sc >> 2); pc = sc - cOff * 4; h.stagedFloats += nC; }
    this.ex.gemm(+transA, +transB, M, N, K, pa + aOff * 4, lda, pb + bOff * 4, ldb, pc + cOff * 4, ldc, +accumulate, this.pack, 0);
    if (sc > 0) { // C was staged: copy the result back
      C.set(h.f32.subarray(sc >> 2, (sc >> 2) + nC), cOff);
      h.stagedFloats += nC;
    }
  }

  /**
   * Packs op(B) (K×N; B float32 in the heap) once for many {@link gemmPacked}
   * calls: roundup(N, 8)·(K + K mod 2) floats in the heap, reusing `reuse`'s
   * when it is big enough. Null (the caller uses gemm) when B is float64 or
   * outside the heap, or the heap is full. The packed copy does not follow
   * later changes of B: pack again after an update.
   */
  packB(transB: boolean, K: number, N: number, B: Float, bOff: number, ldb: number, reuse: PackedMatrix | null): PackedMatrix | null {
    const pb = this.floatAddress(B);
    if (pb < 0 || !(K > 0 && N > 0)) return null;
    const floats = Math.ceil(N / 8) * 8 * (K + (K & 1));
    let p = reuse instanceof WasmPackedMatrix && reuse.owner === this && reuse.data.length >= floats ? reuse : null;
    if (!p) {
      const data = this.heap.floats(floats);
      if (!data) return null;
      p = new WasmPackedMatrix(this, data, B as Float32Array);
    }
    p.transB = transB;
    p.K = K;
    p.N = N;
    p.B = B as Float32Array;
    p.bOff = bOff;
    p.ldb = ldb;
    this.ex.packB(+transB, K, N, pb + bOff * 4, ldb, this.heap.addressOf(p.data));
    return p;
  }

  /**
   * C (+)= op(A)·op(B) with op(B) from {@link packB} (its K and N must match):
   * the product of {@link gemm} without packing op(B) again. False, doing
   * nothing, when A or C is not float32 in the heap or `packed` is not this
   * instance's.
   */
  gemmPacked(transA: boolean, M: number, N: number, K: number, A: Float, aOff: number, lda: number,
    packed: PackedMatrix, C: Float, cOff: number, ldc: number, accumulate: boolean): boolean {
    if (!(packed instanceof WasmPackedMatrix) || packed.owner !== this || packed.K !== K || packed.N !== N) return false;
    const pa = this.floatAddress(A);
    const pc = this.floatAddress(C);
    const pb = this.heap.addressOf(packed.B);
    if (pa < 0 || pc < 0 || pb < 0) return false;
    if (M <= 0 || N <= 0) return true;
    this.ex.gemm(+transA, +packed.transB, M, N, K, pa + aOff * 4, lda, pb + packed.bOff * 4, packed.ldb,
      pc + cOff * 4, ldc, +accumulate, this.pack, this.heap.addressOf(packed.data));
    return true;
  }

  /** X[r, :] += b for each of `rows` rows. */
  addRowVector(rows: number, N: number, X: Float, xOff: number, ldx: number, b: Float, bOff: number): void {
    const px = this.floatAddress(X);
    const pb = this.floatAddress(b);
    if (px < 0 || pb < 0) return jsKernels.addRowVector(rows, N, X, xOff, ldx, b, bOff);
    this.ex.addRowVector(rows, N, px + xOff * 4, ldx, pb + bOff * 4);
  }

  /** out[c] += Σ_r X[r, c]. */
  sumRowsInto(rows: number, N: number, X: Float, xOff: number, ldx: number, out: Float, outOff: number): void {
    const px = this.floatAddress(X);
    const po = this.floatAddress(out);
    if (px < 0 || po < 0) return jsKernels.sumRowsInto(rows, N, X, xOff, ldx, out, outOff);
    this.ex.sumRowsInto(rows, N, px + xOff * 4, ldx, po + outOff * 4);
  }

  /** C[r, :] (+)= W[index[r], :] (onehot(index)·W); index −1 contributes nothing. */
  gatherRows(rows: number, N: number, index: Int32Array, iOff: number, W: Float, wOff: number, ldw: number,
    C: Float, cOff: number, ldc: number, accumulate: boolean): void {
    const pw = this.floatAddress(W);
    const pc = this.floatAddress(C);
    const pi = pw >= 0 && pc >= 0 && rows > 0 ? this.indexAddress(index, iOff, rows) : -1;
    if (pi < 0) return jsKernels.gatherRows(rows, N, index, iOff, W, wOff, ldw, C, cOff, ldc, accumulate);
    this.ex.gatherRows(rows, N, pi, pw + wOff * 4, ldw, pc + cOff * 4, ldc, +accumulate);
  }

  /** dW[index[r], :] += dC[r, :]; index −1 is skipped. */
  scatterAddRows(rows: number, N: number, index: Int32Array, iOff: number, dC: Float, cOff: number, ldc: number,
    dW: Float, wOff: number, ldw: number): void {
    const pc = this.floatAddress(dC);
    const pw = this.floatAddress(dW);
    const pi = pw >= 0 && pc >= 0 && rows > 0 ? this.indexAddress(index, iOff, rows) : -1;
    if (pi < 0) return jsKernels.scatterAddRows(rows, N, index, iOff, dC, cOff, ldc, dW, wOff, ldw);
    this.ex.scatterAddRows(rows, N, pi, pc + cOff * 4, ldc, pw + wOff * 4, ldw);
  }

  /**
   * `C[r, :] = W[index[r], :] + b` (index −1: `C[r, :] = b`), gatherRows and
   * addRowVector in one pass (optional kernel: false, doing nothing, unless
   * W, b and C are float32 in the heap).
   */
  gatherRowsBias(rows: number, N: number, index: Int32Array, iOff: number, W: Float, wOff: number, ldw: number,
    b: Float, bOff: number, C: Float, cOff: number, ldc: number): boolean {
    const pw = this.floatAddress(W);
    const pb = this.floatAddress(b);
    const pc = this.floatAddress(C);
    if (pw < 0 || pb < 0 || pc < 0) return false;
    if (rows <= 0) return true;
    const pi = this.indexAddress(index, iOff, rows);
    if (pi < 0) return false;
    this.ex.gatherRowsBias(rows, N, pi, pw + wOff * 4, ldw, pb + bOff * 4, pc + cOff * 4, ldc);
    return true;
  }

  /**
   * `dW[index[r], :] += dC[r, :]` (index −1 skipped) and `out += dC[r, :]`
   * for every row: scatterAddRows and sumRowsInto in one pass over dC, the
   * same sums (optional kernel: false, doing nothing, unless dC, dW and out
   * are float32 in the heap).
   */
  scatterAddRowsSum(rows: number, N: number, index: Int32Array, iOff: number, dC: Float, cOff: number, ldc: number,
    dW: Float, wOff: number, ldw: number, out: Float, outOff: number): boolean {
    const pc = this.floatAddress(dC);
    const pw = this.floatAddress(dW);
    const po = this.floatAddress(out);
    if (pc < 0 || pw < 0 || po < 0) return false;
    if (rows <= 0) return true;
    const pi = this.indexAddress(index, iOff, rows);
    if (pi < 0) return false;
    this.ex.scatterAddRowsSum(rows, N, pi, pc + cOff * 4, ldc, pw + wOff * 4, ldw, po + outOff * 4);
    return true;
  }

  /**
   * One LSTM step's element-wise math, fused (an optional kernel: a cell
   * calls it when present and falls back to its own loop when it returns
   * false). On B rows, in place over the pre-activations
   * a = [a_f | a_i | a_o | a_C] (B×4H, row stride 4H):
   *
   *   f = σ(a_f), i = σ(a_i), o = σ(a_o), C̃ = tanh(a_C)   (written back over a)
   *   C(t) = f ∘ C(t−1) + i ∘ C̃,   tc = tanh C(t),   h(t) = o ∘ tc
   *
   * cPrev, c, h, tc are B×H (row stride H). e^x is a degree-7 polynomial
   * after range reduction (relative error ≈ float32 rounding). Returns false,
   * doing nothing, unless every array is float32 in the wasm heap and H is a
   * multiple of 4.
   */
  lstmGates(B: number, H: number, a: Float, aOff: number, cPrev: Float, cPrevOff: number, c: Float, cOff: number,
    h: Float, hOff: number, tc: Float, tcOff: number): boolean {
    if (H % 4 !== 0) return false;
    const pa = this.floatAddress(a);
    const pp = this.floatAddress(cPrev);
    const pc = this.floatAddress(c);
    const ph = this.floatAddress(h);
    const pt = this.floatAddress(tc);
    if (pa < 0 || pp < 0 || pc < 0 || ph < 0 || pt < 0) return false;
    this.ex.lstmGates(B, H, pa + aOff * 4, pp + cPrevOff * 4, pc + cOff * 4, ph + hOff * 4, pt + tcOff * 4);
    return true;
  }

  /**
   * The backward of {@link lstmGates} for one unmasked step (optional kernel:
   * false, doing nothing, unless every array is float32 in the heap and H is
   * a multiple of 4). In: gates f, i, o, C̃ of step t (B×4H), C(t−1) and
   * tanh C(t) (B×H), δh(t) in `dh`, δC(t+1)∘f(t+1) in `dc`. Out:
   *
   *   δC = δh ∘ o ∘ (1 − tanh²C) + dc
   *   δa = [δC ∘ C(t−1) ∘ f(1 − f) | δC ∘ C̃ ∘ i(1 − i) | δh ∘ tanh C ∘ o(1 − o) | δC ∘ i ∘ (1 − C̃²)]
   *
   * δa into `out` (B×4H), δC ∘ f into `dc`, zeros into `next`.
   */
  lstmGatesBackward(B: number, H: number, gates: Float, gOff: number, cPrev: Float, cPrevOff: number, tc: Float, tcOff: number,
    dh: Float, dhOff: number, dc: Float, dcOff: number, out: Float, outOff: number, next: Float, nextOff: number): boolean {
    if (H % 4 !== 0) return false;
    const pg = this.floatAddress(gates);
    const pp = this.floatAddress(cPrev);
    const pt = this.floatAddress(tc);
    const pdh = this.floatAddress(dh);
    const pdc = this.floatAddress(dc);
    const po = this.floatAddress(out);
    const pn = this.floatAddress(next);
    if (pg < 0 || pp < 0 || pt < 0 || pdh < 0 || pdc < 0 || po < 0 || pn < 0) return false;
    this.ex.lstmGatesBackward(B, H, pg + gOff * 4, pp + cPrevOff * 4, pt + tcOff * 4,
      pdh + dhOff * 4, pdc + dcOff * 4, po + outOff * 4, pn + nextOff * 4);
    return true;
  }

  /**
   * a[i] = tanh a[i] for n elements from `off`, in place (an optional kernel,
   * like {@link lstmGates}: false, doing nothing, unless `a` is float32 in
   * the heap). tanh x = sign(x)·(1 − e^−2|x|)/(1 + e^−2|x|).
   */
  tanhInPlace(a: Float, off: number, n: number): boolean {
    const p = this.floatAddress(a);
    if (p < 0) return false;
    this.ex.tanhInPlace(p + off * 4, n);
    return true;
  }

  /**
   * Softmax of each of `rows` contiguous rows of width n from `off`, in
   * place: ŷ_k = e^(z_k − max z) / Σ_j e^(z_j − max z). Optional kernel:
   * false, doing nothing, unless `a` is float32 in the heap.
   */
  softmaxRows(a: Float, off: number, rows: number, n: number): boolean {
    const p = this.floatAddress(a);
    if (p < 0) return false;
    this.ex.softmaxRows(p + off * 4, rows, n);
    return true;
  }

  /**
   * δneth = (dh + carry) ∘ (1 − h²) over n elements (the RNN's tanh step
   * backward; optional kernel: false, doing nothing, unless every array is
   * float32 in the heap). `out` may alias `dh` or `carry`.
   */
  tanhBackward(n: number, h: Float, hOff: number, dh: Float, dhOff: number, carry: Float, carryOff: number,
    out: Float, outOff: number): boolean {
    const ph = this.floatAddress(h);
    const pd = this.floatAddress(dh);
    const pc = this.floatAddress(carry);
    const po = this.floatAddress(out);
    if (ph < 0 || pd < 0 || pc < 0 || po < 0) return false;
    if (n > 0) this.ex.tanhBackward(n, ph + hOff * 4, pd + dhOff * 4, pc + carryOff * 4, po + outOff * 4);
    return true;
  }

  /**
   * Adam's update of n float32 parameters θ = theta[0..n) with gradient
   * grad[0..n) and slots m, v from their offsets, in float64 arithmetic in
   * the JavaScript loop's order (bit-identical to it). Optional kernel:
   * false, doing nothing, unless every array is float32 in the heap.
   */
  adamUpdate(n: number, theta: Float, grad: Float, m: Float, mOff: number, v: Float, vOff: number,
    l2: number, beta1: number, beta2: number, epsilon: number, stepSize: number, sqrtBc2: number, shrink: number): boolean {
    const pt = this.floatAddress(theta);
    const pg = this.floatAddress(grad);
    const pm = this.floatAddress(m);
    const pv = this.floatAddress(v);
    if (pt < 0 || pg < 0 || pm < 0 || pv < 0) return false;
    if (n > 0) {
      this.ex.adam(n, pt, pg, pm + mOff * 4, pv + vOff * 4, l2, beta1, 1 - beta1, beta2, 1 - beta2,
        stepSize, sqrtBc2, epsilon, shrink);
    }
    return true;
  }

  /** The heap address of a float32 array's element 0, or −1 (float64, or outside the heap). */
  private floatAddress(x: Float): number {
    return x instanceof Float32Array ? this.heap.addressOf(x) : -1;
  }

  /** The address of index[iOff..iOff+rows) in the heap, staging it (a few bytes) when it lives elsewhere. */
  private indexAddress(index: Int32Array, iOff: number, rows: number): number {
    const p = this.heap.addressOf(index);
    if (p >= 0) return p + iOff * 4;
    const s = this.heap.stage(SLOT_INDEX, rows * 4);
    if (s < 0) return -1;
    this.heap.i32.set(index.subarray(iOff, iOff + rows), s >> 2);
    return s;
  }
}
