/**
 * The GRU cell and its exact BPTT (derivation: docs/gru.md), in two variants.
 * With x = x(t), h = h(t−1):
 *
 *   z(t) = σ(x·W_xz + h·W_hz + b_z)                 update gate
 *   r(t) = σ(x·W_xr + h·W_hr + b_r)                 reset gate
 *   reset-after  (default; PyTorch, Keras reset_after=True):
 *     n(t) = tanh(x·W_xn + b_n + r(t) ∘ (h·W_hn + b_hn))
 *   reset-before (classic; TensorFlow.js):
 *     n(t) = tanh(x·W_xn + (r(t) ∘ h)·W_hn + b_n)
 *   h(t) = (1 − z(t)) ∘ n(t) + z(t) ∘ h(t−1)
 *
 * Backward, step t = T..1, with a_z, a_r, a_n the gates' pre-activations:
 *
 *   δa_n = δh(t) ∘ (1 − z) ∘ (1 − n²)      δa_z = δh(t) ∘ (h(t−1) − n) ∘ z(1 − z)
 *   reset-after:  δa_r = δa_n ∘ (h·W_hn + b_hn) ∘ r(1 − r);  δ(h·W_hn + b_hn) = δa_n ∘ r
 *   reset-before: δ(r∘h) = δa_n·W_hnᵀ;  δa_r = δ(r∘h) ∘ h ∘ r(1 − r)
 *   δh(t−1) = δh(t) ∘ z + [δa_z | δa_r]·[W_hz | W_hr]ᵀ + (δa_n ∘ r)·W_hnᵀ   (reset-after)
 *           = δh(t) ∘ z + [δa_z | δa_r]·[W_hz | W_hr]ᵀ + δ(r∘h) ∘ r        (reset-before)
 *
 * Parameter layout (fixed: weight import/export relies on it):
 * - `W`: (D+H)×3H. Rows 0..D−1 multiply x(t) (W_x), rows D..D+H−1 multiply
 *   h(t−1) (W_h). Column blocks [z | r | n]: update, reset, candidate.
 * - `b`: 1×3H input-side bias [b_z | b_r | b_n] (biases on).
 * - `b_hn`: 1×H, reset-after with biases only: the recurrent bias of the
 *   candidate, inside r ∘ (h·W_hn + b_hn).
 *
 * Shapes: x(t) B×D, h(t) B×H, pre-activations B×3H.
 */

import { sigmoid } from '../core/activations.js';
import { expectChoice, OptionError } from '../core/errors.js';
import type { Kernels } from '../core/kernels.js';
import type { ParamSet, ParamSpec } from '../core/params.js';
import { allocate, dtypeOf, type Float } from '../core/tensor.js';
import type { BackwardOptions, Cell, CellCache, CellConfig, CellState, SequenceInput, StepMask } from './cell.js';
import { copyGateBlocks, type GatedCell, type StepValues } from './inspect.js';
import { addInputGradient, inputGradient, projectInput } from './input.js';

/** Where the GRU applies its reset gate: after the recurrent product (default) or before it. */
export const GRU_VARIANTS = ['reset-after', 'reset-before'] as const;
export type GruVariant = (typeof GRU_VARIANTS)[number];

/** Options of the GRU cell beyond the common ones. */
export interface GruCellConfig extends CellConfig {
  /** Default `"reset-after"`. */
  readonly variant?: GruVariant;
}

/** The variant named by an option, validated (OptionError for anything else). */
export function gruVariant(variant: string | undefined): GruVariant {
  return variant === undefined ? 'reset-after' : expectChoice('variant (GRU)', variant, GRU_VARIANTS);
}

/** Parameters: W ((D+H)×3H, uniform ±1/√H), b (1×3H) and, for reset-after, b_hn (1×H) when biases are on. */
export function gruParamSpecs(c: Omit<GruCellConfig, 'kernels'>): ParamSpec[] {
  const H = c.hiddenSize;
  const variant = gruVariant(c.variant);
  const specs: ParamSpec[] = [
    { name: `${c.prefix}W`, rows: c.inputSize + H, cols: 3 * H, init: 'uniform', scale: 1 / Math.sqrt(H) },
  ];
  if (c.bias) {
    specs.push({ name: `${c.prefix}b`, rows: 1, cols: 3 * H, init: 'zeros' });
    if (variant === 'reset-after') specs.push({ name: `${c.prefix}b_hn`, rows: 1, cols: H, init: 'zeros' });
  }
  return specs;
}

/** Work buffers of the GRU cell for up to `capacityT` steps. */
export interface GruCache extends CellCache {
  /** x(t)·W_x + b as computed, then the activations [z | r | n], T×B×3H. */
  readonly gates: Float;
  /** reset-after: h(t−1)·W_hn + b_hn; reset-before: r(t) ∘ h(t−1). T×B×H. */
  readonly hn: Float;
  /** h(t−1)·W_h of the current step, B×3H. */
  readonly hp: Float;
  /** δ of the pre-activations [δa_z | δa_r | δa_n], T×B×3H. */
  readonly dAx: Float;
  /** reset-after: δ(h·W_hn + b_hn) = δa_n ∘ r, T×B×H. */
  readonly dHn: Float;
  /** δh(t) being formed, the carry to t−1, and scratch, B×H each. */
  readonly dh: Float;
  readonly carry: Float;
  readonly tmpH: Float;
  /** One truncation source's deltas at one step: B×3H and B×H. */
  readonly tmpX: Float;
  readonly tmpN: Float;
}

export class GruCell implements Cell<GruCache>, GatedCell {
  readonly kind = 'gru' as const;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly variant: GruVariant;
  readonly stateNames = ['h'] as const;
  readonly gateNames = ['z', 'r', 'n', 'h'] as const;
  /** [W_x; W_h], (D+H)×3H (a live view into the model's parameters). */
  readonly W: Float;
  /** Input-side biases [b_z | b_r | b_n], 1×3H, or null. */
  readonly b: Float | null;
  /** Recurrent candidate bias b_hn, 1×H (reset-after with biases), or null. */
  readonly b_hn: Float | null;
  readonly dW: Float;
  readonly db: Float | null;
  readonly db_hn: Float | null;
  private readonly k: Kernels;

  constructor(config: GruCellConfig, params: ParamSet) {
    this.inputSize = config.inputSize;
    this.hiddenSize = config.hiddenSize;
    this.variant = gruVariant(config.variant);
    this.k = config.kernels;
    const p = config.prefix;
    this.W = params.view(`${p}W`);
    this.dW = params.gradView(`${p}W`);
    this.b = config.bias ? params.view(`${p}b`) : null;
    this.db = config.bias ? params.gradView(`${p}b`) : null;
    const hasBhn = config.bias && this.variant === 'reset-after';
    this.b_hn = hasBhn ? params.view(`${p}b_hn`) : null;
    this.db_hn = hasBhn ? params.gradView(`${p}b_hn`) : null;
  }

  createCache(T: number, B: number): GruCache {
    const H = this.hiddenSize;
    const dtype = dtypeOf(this.W);
    return {
      capacityT: T,
      B,
      hs: allocate(dtype, (T + 1) * B * H),
      gates: allocate(dtype, T * B * 3 * H),
      hn: allocate(dtype, T * B * H),
      hp: allocate(dtype, B * 3 * H),
      dAx: allocate(dtype, T * B * 3 * H),
      dHn: allocate(dtype, T * B * H),
      dh: allocate(dtype, B * H),
      carry: allocate(dtype, B * H),
      tmpH: allocate(dtype, B * H),
      tmpX: allocate(dtype, B * 3 * H),
      tmpN: allocate(dtype, B * H),
    };
  }

  beginSequence(B: number, cache: GruCache, init?: CellState): void {
    const n = B * this.hiddenSize;
    if (init) cache.hs.set(init.h.subarray(0, n), 0);
    else cache.hs.fill(0, 0, n);
  }

  stateAt(t: number, B: number, cache: GruCache): CellState {
    const n = B * this.hiddenSize;
    return { h: cache.hs.subarray(t * n, (t + 1) * n) };
  }

  /** z, r, n and h at step t (1-based) of the last forward pass, B×H copies. */
  gates(cache: GruCache, t: number, B: number): StepValues {
    const H = this.hiddenSize;
    const n = B * H;
    const out: Record<string, Float> = {};
    copyGateBlocks(cache.gates, ['z', 'r', 'n'], t, B, H, out);
    out.h = cache.hs.slice(t * n, (t + 1) * n);
    return out;
  }

  forward(x: SequenceInput, T: number, B: number, cache: GruCache, init?: CellState, mask?: StepMask): void {
    this.beginSequence(B, cache, init);
    const G = 3 * this.hiddenSize;
    // x(t)·W_x + b for all T steps at once: one (T·B)×D by D×3H product, before the time loop.
    projectInput(this.k, x, 0, T * B, this.inputSize, this.W, G, cache.gates, 0, G, this.b);
    for (let t = 1; t <= T; t++) this.recur(t, B, cache, mask);
  }

  forwardStep(x: SequenceInput, t: number, B: number, cache: GruCache, mask?: StepMask): void {
    const G = 3 * this.hiddenSize;
    projectInput(this.k, x, (t - 1) * B, B, this.inputSize, this.W, G, cache.gates, (t - 1) * B * G, G, this.b);
    this.recur(t, B, cache, mask);
  }

  private recur(t: number, B: number, cache: GruCache, mask?: StepMask): void {
    if (this.variant === 'reset-after') this.recurResetAfter(t, B, cache, mask);
    else this.recurResetBefore(t, B, cache, mask);
  }

  /** hp = h(t−1)·W_h (one B×3H product), then z, r, n and h(t) element-wise. */
  private recurResetAfter(t: number, B: number, cache: GruCache, mask?: StepMask): void {
    const H = this.hiddenSize;
    const G = 3 * H;
    const n = B * H;
    const { hs, gates, hn, hp } = cache;
    this.k.gemm(false, false, B, G, H, hs, (t - 1) * n, H, this.W, this.inputSize * G, G, hp, 0, G, false);
    const bhn = this.b_hn;
    for (let b = 0; b < B; b++) {
      const g = (t - 1) * B * G + b * G;
      const p = b * G;
      const prev = (t - 1) * n + b * H;
      const kept = mask !== undefined && !mask[(t - 1) * B + b];
      for (let j = 0; j < H; j++) {
        const z = sigmoid(gates[g + j]! + hp[p + j]!);
        const r = sigmoid(gates[g + H + j]! + hp[p + H + j]!);
        const hnj = hp[p + 2 * H + j]! + (bhn ? bhn[j]! : 0); // h·W_hn + b_hn
        const nj = Math.tanh(gates[g + 2 * H + j]! + r * hnj); // n = tanh(x·W_xn + b_n + r ∘ (h·W_hn + b_hn))
        gates[g + j] = z;
        gates[g + H + j] = r;
        gates[g + 2 * H + j] = nj;
        hn[prev + j] = hnj;
        const hPrev = hs[prev + j]!;
        // h(t) = (1 − z) ∘ n + z ∘ h(t−1); padding keeps h(t−1)
        hs[prev + n + j] = kept ? hPrev : (1 - z) * nj + z * hPrev;
      }
    }
  }

  /** hp[z, r] = h(t−1)·[W_hz | W_hr]; r ∘ h(t−1); hp[n] = (r ∘ h(t−1))·W_hn; then n and h(t). */
  private recurResetBefore(t: number, B: number, cache: GruCache, mask?: StepMask): void {
    const H = this.hiddenSize;
    const D = this.inputSize;
    const G = 3 * H;
    const n = B * H;
    const { hs, gates, hn: rh, hp } = cache;
    this.k.gemm(false, false, B, 2 * H, H, hs, (t - 1) * n, H, this.W, D * G, G, hp, 0, G, false);
    for (let b = 0; b < B; b++) {
      const g = (t - 1) * B * G + b * G;
      const p = b * G;
      const prev = (t - 1) * n + b * H;
      for (let j = 0; j < H; j++) {
        const z = sigmoid(gates[g + j]! + hp[p + j]!);
        const r = sigmoid(gates[g + H + j]! + hp[p + H + j]!);
        gates[g + j] = z;
        gates[g + H + j] = r;
        rh[prev + j] = r * hs[prev + j]!; // r ∘ h(t−1)
      }
    }
    this.k.gemm(false, false, B, H, H, rh, (t - 1) * n, H, this.W, D * G + 2 * H, G, hp, 2 * H, G, false);
    for (let b = 0; b < B; b++) {
      const g = (t - 1) * B * G + b * G;
      const p = b * G;
      const prev = (t - 1) * n + b * H;
      const kept = mask !== undefined && !mask[(t - 1) * B + b];
      for (let j = 0; j < H; j++) {
        const nj = Math.tanh(gates[g + 2 * H + j]! + hp[p + 2 * H + j]!); // n = tanh(x·W_xn + b_n + (r ∘ h)·W_hn)
        gates[g + 2 * H + j] = nj;
        const z = gates[g + j]!;
        const hPrev = hs[prev + j]!;
        // h(t) = (1 − z) ∘ n + z ∘ h(t−1); padding keeps h(t−1)
        hs[prev + n + j] = kept ? hPrev : (1 - z) * nj + z * hPrev;
      }
    }
  }

  backward(
    x: SequenceInput, T: number, B: number, cache: GruCache, dH: Float,
    dX: Float | null, dInit: CellState | null, mask?: StepMask, options: BackwardOptions = {},
  ): void {
    if ((options.gradientMode ?? 'exact') !== 'exact') {
      throw new OptionError('gradientMode "lecture" is defined only for the RNN; use "exact" for the GRU');
    }
    const k = options.truncate ?? Infinity;
    if (k >= T) this.exactDeltas(T, B, cache, dH, dInit, mask);
    else this.truncatedDeltas(T, B, cache, dH, dInit, mask, k);
    this.parameterGradients(x, T, B, cache, dX);
  }

  /** Exact BPTT: fills the deltas of every step, t = T..1; ∂J/∂h(0) goes to dInit. */
  private exactDeltas(T: number, B: number, cache: GruCache, dH: Float, dInit: CellState | null, mask?: StepMask): void {
    const H = this.hiddenSize;
    const n = B * H;
    const { dAx, dHn, dh, carry } = cache;
    carry.fill(0); // ∂J/∂h(T) through h(T+1) = 0
    for (let t = T; t >= 1; t--) {
      const o = (t - 1) * n;
      // δh(t) = ∂J/∂h(t) from above + the part through h(t+1)
      for (let i = 0; i < n; i++) dh[i] = dH[o + i]! + carry[i]!;
      this.stepBackward(t, B, cache, dh, dAx, (t - 1) * B * 3 * H, dHn, o, carry, mask);
    }
    if (dInit) addInto(dInit.h, carry, n);
  }

  /** Truncated BPTT: the gradient entering at step t travels back through at most k steps (t..t−k+1). */
  private truncatedDeltas(
    T: number, B: number, cache: GruCache, dH: Float, dInit: CellState | null, mask: StepMask | undefined, k: number,
  ): void {
    const H = this.hiddenSize;
    const G = 3 * H;
    const n = B * H;
    const { dAx, dHn, dh, carry, tmpX, tmpN } = cache;
    dAx.fill(0, 0, T * B * G);
    dHn.fill(0, 0, T * n);
    for (let t = T; t >= 1; t--) {
      dh.set(dH.subarray((t - 1) * n, t * n)); // δh(t) from this source alone
      const last = Math.max(1, t - k + 1);
      for (let s = t; s >= last; s--) {
        this.stepBackward(s, B, cache, dh, tmpX, 0, tmpN, 0, carry, mask);
        const ox = (s - 1) * B * G;
        for (let i = 0; i < B * G; i++) dAx[ox + i]! += tmpX[i]!;
        const on = (s - 1) * n;
        for (let i = 0; i < n; i++) dHn[on + i]! += tmpN[i]!;
        dh.set(carry);
      }
      if (last === 1 && dInit) addInto(dInit.h, dh, n);
    }
  }

  /**
   * One backward step. In: δh(t) in `dh`. Out: [δa_z | δa_r | δa_n] in `outX`
   * (B×3H at `xOff`), for reset-after δa_n ∘ r in `outN` (B×H at `nOff`),
   * and δh(t−1) (the part through step t) in `next`. A masked row adds
   * nothing and passes δh(t) through unchanged.
   */
  private stepBackward(
    t: number, B: number, cache: GruCache, dh: Float,
    outX: Float, xOff: number, outN: Float, nOff: number, next: Float, mask?: StepMask,
  ): void {
    const H = this.hiddenSize;
    const D = this.inputSize;
    const G = 3 * H;
    const n = B * H;
    const { gates, hs, hn } = cache;
    const after = this.variant === 'reset-after';
    for (let b = 0; b < B; b++) {
      const r0 = b * H;
      const d = xOff + b * G;
      if (mask !== undefined && !mask[(t - 1) * B + b]) {
        outX.fill(0, d, d + G);
        outN.fill(0, nOff + r0, nOff + r0 + H);
        for (let j = 0; j < H; j++) next[r0 + j] = dh[r0 + j]!;
        continue;
      }
      const g = (t - 1) * B * G + b * G;
      const prev = (t - 1) * n + r0;
      for (let j = 0; j < H; j++) {
        const z = gates[g + j]!;
        const r = gates[g + H + j]!;
        const nj = gates[g + 2 * H + j]!;
        const dhj = dh[r0 + j]!;
        const dAn = dhj * (1 - z) * (1 - nj * nj); // δa_n = δh ∘ (1 − z) ∘ (1 − n²)
        outX[d + j] = dhj * (hs[prev + j]! - nj) * z * (1 - z); // δa_z = δh ∘ (h(t−1) − n) ∘ z(1 − z)
        outX[d + 2 * H + j] = dAn;
        if (after) {
          outX[d + H + j] = dAn * hn[prev + j]! * r * (1 - r); // δa_r = δa_n ∘ (h·W_hn + b_hn) ∘ r(1 − r)
          outN[nOff + r0 + j] = dAn * r; // δ(h·W_hn + b_hn) = δa_n ∘ r
        }
        next[r0 + j] = dhj * z; // the direct path: ∂h(t)/∂h(t−1) ∋ z
      }
    }
    const Wh = D * G;
    if (after) {
      // δh(t−1) += (δa_n ∘ r)·W_hnᵀ
      this.k.gemm(false, true, B, H, H, outN, nOff, H, this.W, Wh + 2 * H, G, next, 0, H, true);
    } else {
      // δ(r ∘ h) = δa_n·W_hnᵀ
      const dRh = cache.tmpH;
      this.k.gemm(false, true, B, H, H, outX, xOff + 2 * H, G, this.W, Wh + 2 * H, G, dRh, 0, H, false);
      for (let b = 0; b < B; b++) {
        if (mask !== undefined && !mask[(t - 1) * B + b]) continue;
        const r0 = b * H;
        const g = (t - 1) * B * G + b * G;
        const prev = (t - 1) * n + r0;
        for (let j = 0; j < H; j++) {
          const r = gates[g + H + j]!;
          outX[xOff + b * G + H + j] = dRh[r0 + j]! * hs[prev + j]! * r * (1 - r); // δa_r = δ(r∘h) ∘ h ∘ r(1 − r)
          next[r0 + j]! += dRh[r0 + j]! * r; // δh(t−1) += δ(r∘h) ∘ r
        }
      }
    }
    // δh(t−1) += [δa_z | δa_r]·[W_hz | W_hr]ᵀ
    this.k.gemm(false, true, B, H, 2 * H, outX, xOff, G, this.W, Wh, G, next, 0, H, true);
  }

  /**
   * Over all steps at once: ∂J/∂W_x += Xᵀ·δa, ∂J/∂b += Σ δa, dX = δa·W_xᵀ;
   * ∂J/∂[W_hz | W_hr] += h(0..T−1)ᵀ·[δa_z | δa_r]; and ∂J/∂W_hn +=
   * h(0..T−1)ᵀ·(δa_n ∘ r), ∂J/∂b_hn += Σ δa_n ∘ r (reset-after) or
   * ∂J/∂W_hn += (r ∘ h)ᵀ·δa_n (reset-before).
   */
  private parameterGradients(x: SequenceInput, T: number, B: number, cache: GruCache, dX: Float | null): void {
    const H = this.hiddenSize;
    const D = this.inputSize;
    const G = 3 * H;
    const rows = T * B;
    const { hs, hn, dAx, dHn } = cache;
    addInputGradient(this.k, x, rows, D, dAx, G, this.dW, this.db);
    if (dX) inputGradient(this.k, rows, D, dAx, G, this.W, dX);
    this.k.gemm(true, false, H, 2 * H, rows, hs, 0, H, dAx, 0, G, this.dW, D * G, G, true);
    if (this.variant === 'reset-after') {
      this.k.gemm(true, false, H, H, rows, hs, 0, H, dHn, 0, H, this.dW, D * G + 2 * H, G, true);
      if (this.db_hn) this.k.sumRowsInto(rows, H, dHn, 0, H, this.db_hn, 0);
    } else {
      this.k.gemm(true, false, H, H, rows, hn, 0, H, dAx, 2 * H, G, this.dW, D * G + 2 * H, G, true);
    }
  }
}

function addInto(target: Float, src: Float, n: number): void {
  for (let i = 0; i < n; i++) target[i]! += src[i]!;
}
