/**
 * The matrix kernels every cell is built from, behind one small interface so
 * that a faster implementation (WebAssembly SIMD) can replace the plain
 * JavaScript one without touching any cell.
 *
 * All matrices are row-major views into typed arrays: (array, offset,
 * leading dimension). A view's rows are `ld` elements apart, so a time
 * step's B×H slice of a T×B×H buffer, or one gate's column block of a
 * B×4H buffer, is used in place without copying.
 */

import type { Float } from './tensor.js';

/**
 * op(B) of a product packed once (by {@link Kernels.packB}) for many
 * products with it, e.g. a recurrent weight matrix used at every time step.
 * Opaque: only the kernels that made it can use it.
 */
export interface PackedMatrix {
  readonly transB: boolean;
  readonly K: number;
  readonly N: number;
}

/** The kernel set a cell may call. Implementations must give identical results up to float rounding. */
export interface Kernels {
  /** Short name shown in benchmarks and `--help` (e.g. `"js"`, `"wasm-simd"`). */
  readonly name: string;

  /**
   * General matrix product, BLAS style:
   * `C = op(A)·op(B)` (or `C += op(A)·op(B)` when `accumulate`),
   * where op(X) is X or Xᵀ. op(A) is M×K, op(B) is K×N, C is M×N.
   * `lda`, `ldb`, `ldc` are the row strides of A, B, C as stored.
   */
  gemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number,
    A: Float, aOff: number, lda: number,
    B: Float, bOff: number, ldb: number,
    C: Float, cOff: number, ldc: number,
    accumulate: boolean,
  ): void;

  /** Row broadcast: `X[r, :] += b` for each of `rows` rows of an N-column view. */
  addRowVector(rows: number, N: number, X: Float, xOff: number, ldx: number, b: Float, bOff: number): void;

  /** Column sums: `out[c] += Σ_r X[r, c]` (the gradient of a broadcast bias). */
  sumRowsInto(rows: number, N: number, X: Float, xOff: number, ldx: number, out: Float, outOff: number): void;

  /**
   * One-hot product as a gather: `C[r, :] (+)= W[index[r], :]`, i.e. onehot(index)·W.
   * An index of -1 (no symbol) contributes nothing.
   */
  gatherRows(rows: number, N: number, index: Int32Array, iOff: number, W: Float, wOff: number, ldw: number,
    C: Float, cOff: number, ldc: number, accumulate: boolean): void;

  /** Its transpose for the gradient: `dW[index[r], :] += dC[r, :]`. */
  scatterAddRows(rows: number, N: number, index: Int32Array, iOff: number, dC: Float, cOff: number, ldc: number,
    dW: Float, wOff: number, ldw: number): void;

  // Optional fused element-wise kernels. Each returns true when it did the
  // work, and false (doing nothing) when it cannot take these arrays; the
  // caller then runs its own JavaScript loop. The equations are those of the
  // caller's loop (see src/cells/lstm.ts, src/cells/rnn.ts, src/model/loss.ts).

  /**
   * One unmasked LSTM step over B rows, in place over the pre-activations
   * a = [a_f | a_i | a_o | a_C] (B×4H): f, i, o = σ(·), C̃ = tanh(·) written
   * back over a; C(t) = f ∘ C(t−1) + i ∘ C̃, tc = tanh C(t), h(t) = o ∘ tc.
   */
  lstmGates?(B: number, H: number, a: Float, aOff: number, cPrev: Float, cPrevOff: number, c: Float, cOff: number,
    h: Float, hOff: number, tc: Float, tcOff: number): boolean;

  /**
   * The backward of {@link lstmGates} for one unmasked step: δC = δh ∘ o ∘
   * (1 − tc²) + dc; δa = [δC∘C(t−1)∘f(1−f) | δC∘C̃∘i(1−i) | δh∘tc∘o(1−o) |
   * δC∘i∘(1−C̃²)] into `out`; δC ∘ f into `dc`; zeros into `next`.
   */
  lstmGatesBackward?(B: number, H: number, gates: Float, gOff: number, cPrev: Float, cPrevOff: number, tc: Float, tcOff: number,
    dh: Float, dhOff: number, dc: Float, dcOff: number, out: Float, outOff: number, next: Float, nextOff: number): boolean;

  /**
   * `C[r, :] = W[index[r], :] + b` (index −1: `C[r, :] = b`): {@link gatherRows}
   * and {@link addRowVector} in one pass, with the same sums.
   */
  gatherRowsBias?(rows: number, N: number, index: Int32Array, iOff: number, W: Float, wOff: number, ldw: number,
    b: Float, bOff: number, C: Float, cOff: number, ldc: number): boolean;

  /**
   * `dW[index[r], :] += dC[r, :]` (index −1 skipped) and `out += dC[r, :]` for
   * every row: {@link scatterAddRows} and {@link sumRowsInto} in one pass, the same sums.
   */
  scatterAddRowsSum?(rows: number, N: number, index: Int32Array, iOff: number, dC: Float, cOff: number, ldc: number,
    dW: Float, wOff: number, ldw: number, out: Float, outOff: number): boolean;

  /** a = tanh(a) over n elements from `off`. */
  tanhInPlace?(a: Float, off: number, n: number): boolean;

  /** Softmax of `rows` contiguous rows of width n from `off`, stabilised by the row maximum. */
  softmaxRows?(a: Float, off: number, rows: number, n: number): boolean;

  /**
   * Packs op(B) (K×N, as for {@link gemm}) for {@link gemmPacked}, reusing
   * `reuse`'s memory when it fits; null when these kernels cannot (the
   * caller then calls gemm). The packed copy does not follow later changes
   * of B: pack again after every parameter update (e.g. once per pass).
   */
  packB?(transB: boolean, K: number, N: number, B: Float, bOff: number, ldb: number, reuse: PackedMatrix | null): PackedMatrix | null;

  /** {@link gemm} with op(B) from {@link packB}; false (doing nothing) when it cannot take these arrays. */
  gemmPacked?(transA: boolean, M: number, N: number, K: number, A: Float, aOff: number, lda: number,
    packed: PackedMatrix, C: Float, cOff: number, ldc: number, accumulate: boolean): boolean;

  /**
   * One step of the RNN's backward with g_h = tanh, over n elements:
   * `out = (dh + carry) ∘ (1 − h²)`, i.e. δneth = δh ∘ (1 − h²) with
   * δh = ∂J/∂h(t) + δneth(t+1)·Wᵀ. `out` may be `dh` or `carry`.
   */
  tanhBackward?(n: number, h: Float, hOff: number, dh: Float, dhOff: number, carry: Float, carryOff: number,
    out: Float, outOff: number): boolean;

  /**
   * Adam's update over n parameters, bit-identical to the JavaScript loop
   * of src/train/optimizers.ts (float64 arithmetic, same order):
   * g = grad + l2·θ; m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
   * θ ← θ·shrink − (stepSize·m) / (√v / sqrtBc2 + ε).
   */
  adamUpdate?(n: number, theta: Float, grad: Float, m: Float, mOff: number, v: Float, vOff: number,
    l2: number, beta1: number, beta2: number, epsilon: number, stepSize: number, sqrtBc2: number, shrink: number): boolean;
}

/** Plain JavaScript kernels: the reference every faster backend is tested against. */
export const jsKernels: Kernels = {
  name: 'js',

  gemm(transA, transB, M, N, K, A, aOff, lda, B, bOff, ldb, C, cOff, ldc, accumulate) {
    if (!accumulate) {
      for (let i = 0; i < M; i++) C.fill(0, cOff + i * ldc, cOff + i * ldc + N);
    }
    if (!transA && !transB) {
      // C[i,:] += Σ_k A[i,k]·B[k,:]   (i-k-j order: unit stride on B and C)
      for (let i = 0; i < M; i++) {
        const ci = cOff + i * ldc;
        const ai = aOff + i * lda;
        for (let k = 0; k < K; k++) {
          const a = A[ai + k]!;
          if (a === 0) continue;
          const bk = bOff + k * ldb;
          for (let j = 0; j < N; j++) C[ci + j]! += a * B[bk + j]!;
        }
      }
    } else if (transA && !transB) {
      // C[i,:] += Σ_k A[k,i]·B[k,:]   (A stored K×M)
      for (let k = 0; k < K; k++) {
        const ak = aOff + k * lda;
        const bk = bOff + k * ldb;
        for (let i = 0; i < M; i++) {
          const a = A[ak + i]!;
          if (a === 0) continue;
          const ci = cOff + i * ldc;
          for (let j = 0; j < N; j++) C[ci + j]! += a * B[bk + j]!;
        }
      }
    } else if (!transA && transB) {
      // C[i,j] += A[i,:]·B[j,:]   (B stored N×K: a dot product of two rows)
      for (let i = 0; i < M; i++) {
        const ai = aOff + i * lda;
        const ci = cOff + i * ldc;
        for (let j = 0; j < N; j++) {
          const bj = bOff + j * ldb;
          let s = 0;
          for (let k = 0; k < K; k++) s += A[ai + k]! * B[bj + k]!;
          C[ci + j]! += s;
        }
      }
    } else {
      // C[i,j] += Σ_k A[k,i]·B[j,k]
      for (let i = 0; i < M; i++) {
        const ci = cOff + i * ldc;
        for (let j = 0; j < N; j++) {
          const bj = bOff + j * ldb;
          let s = 0;
          for (let k = 0; k < K; k++) s += A[aOff + k * lda + i]! * B[bj + k]!;
          C[ci + j]! += s;
        }
      }
    }
  },

  addRowVector(rows, N, X, xOff, ldx, b, bOff) {
    for (let r = 0; r < rows; r++) {
      const o = xOff + r * ldx;
      for (let j = 0; j < N; j++) X[o + j]! += b[bOff + j]!;
    }
  },

  sumRowsInto(rows, N, X, xOff, ldx, out, outOff) {
    for (let r = 0; r < rows; r++) {
      const o = xOff + r * ldx;
      for (let j = 0; j < N; j++) out[outOff + j]! += X[o + j]!;
    }
  },

  gatherRows(rows, N, index, iOff, W, wOff, ldw, C, cOff, ldc, accumulate) {
    for (let r = 0; r < rows; r++) {
      const c = cOff + r * ldc;
      const k = index[iOff + r]!;
      if (k < 0) {
        if (!accumulate) C.fill(0, c, c + N);
        continue;
      }
      const w = wOff + k * ldw;
      if (accumulate) for (let j = 0; j < N; j++) C[c + j]! += W[w + j]!;
      else for (let j = 0; j < N; j++) C[c + j] = W[w + j]!;
    }
  },

  scatterAddRows(rows, N, index, iOff, dC, cOff, ldc, dW, wOff, ldw) {
    for (let r = 0; r < rows; r++) {
      const k = index[iOff + r]!;
      if (k < 0) continue;
      const c = cOff + r * ldc;
      const w = wOff + k * ldw;
      for (let j = 0; j < N; j++) dW[w + j]! += dC[c + j]!;
    }
  },
};

let active: Kernels = jsKernels;

/** The kernels cells use unless told otherwise. */
export function getKernels(): Kernels {
  return active;
}

/** Replaces the default kernels (e.g. with a WebAssembly backend once it has loaded). */
export function setKernels(k: Kernels): void {
  active = k;
}
