/**
 * The vanilla (Elman) RNN cell of docs/maths.md §1 and its exact BPTT (§4):
 *
 *   neth(t) = h(t−1)·W + x(t)·U (+ b_h)        h(t) = g_h(neth(t))
 *
 *   δh(t)    = ∂J/∂h(t) from above + δneth(t+1)·Wᵀ
 *   δneth(t) = δh(t) ∘ g_h'(neth(t))
 *   ∂J/∂W = Σ_t h(t−1)ᵀ·δneth(t)    ∂J/∂U = Σ_t x(t)ᵀ·δneth(t)    ∂J/∂b_h = Σ_t δneth(t)
 *
 * Shapes: x(t) B×D, h(t) B×H, U D×H, W H×H, b_h 1×H.
 */

import { activate, multiplyByDerivative, type HiddenActivation } from '../core/activations.js';
import { OptionError } from '../core/errors.js';
import type { Kernels, PackedMatrix } from '../core/kernels.js';
import type { ParamSet, ParamSpec } from '../core/params.js';
import { allocate, type Float } from '../core/tensor.js';
import type { BackwardOptions, Cell, CellCache, CellConfig, CellState, SequenceInput, StepMask } from './cell.js';
import { addInputGradient, projectInput, inputGradient } from './input.js';

/** Options of the RNN cell beyond the common ones. */
export interface RnnCellConfig extends CellConfig {
  /** g_h; default tanh. */
  readonly activation: HiddenActivation;
}

/** Parameters: U (D×H), W (H×H), and b_h (1×H) when biases are on. */
export function rnnParamSpecs(c: Omit<RnnCellConfig, 'kernels'>): ParamSpec[] {
  const H = c.hiddenSize;
  const specs: ParamSpec[] = [
    { name: `${c.prefix}U`, rows: c.inputSize, cols: H, init: 'uniform', scale: 1 / Math.sqrt(H) },
    { name: `${c.prefix}W`, rows: H, cols: H, init: 'orthogonal' },
  ];
  if (c.bias) specs.push({ name: `${c.prefix}b_h`, rows: 1, cols: H, init: 'zeros' });
  return specs;
}

/** Work buffers of the RNN cell for up to `capacityT` steps. */
export interface RnnCache extends CellCache {
  /** δneth(t) for every step, T×B×H. */
  readonly dNet: Float;
  /** δneth(t+1)·Wᵀ carried back one step, B×H. */
  readonly carry: Float;
  /** Scratch rows for masked steps and truncated chains, B×H each. */
  readonly tmp: Float;
  readonly tmp2: Float;
  /** W packed for the forward pass's products, and Wᵀ for the backward's (kernels with packB; repacked every pass). */
  packedW: PackedMatrix | null;
  packedWT: PackedMatrix | null;
  /** h(0) = 0 (no initial state given): the products with h(0) are skipped. */
  zeroInit: boolean;
}

export class RnnCell implements Cell<RnnCache> {
  readonly kind = 'rnn' as const;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly stateNames = ['h'] as const;
  readonly activation: HiddenActivation;
  /** Input → hidden weights, D×H (a live view into the model's parameters). */
  readonly U: Float;
  /** Hidden → hidden (recurrent) weights, H×H. */
  readonly W: Float;
  /** Hidden bias, 1×H, or null when biases are off. */
  readonly b_h: Float | null;
  readonly dU: Float;
  readonly dW: Float;
  readonly db_h: Float | null;
  private readonly k: Kernels;

  constructor(config: RnnCellConfig, params: ParamSet) {
    this.inputSize = config.inputSize;
    this.hiddenSize = config.hiddenSize;
    this.activation = config.activation;
    this.k = config.kernels;
    const p = config.prefix;
    this.U = params.view(`${p}U`);
    this.W = params.view(`${p}W`);
    this.dU = params.gradView(`${p}U`);
    this.dW = params.gradView(`${p}W`);
    this.b_h = config.bias ? params.view(`${p}b_h`) : null;
    this.db_h = config.bias ? params.gradView(`${p}b_h`) : null;
  }

  createCache(T: number, B: number): RnnCache {
    const H = this.hiddenSize;
    const dtype = this.U instanceof Float64Array ? 'float64' : 'float32';
    return {
      capacityT: T,
      B,
      hs: allocate(dtype, (T + 1) * B * H),
      dNet: allocate(dtype, T * B * H),
      carry: allocate(dtype, B * H),
      tmp: allocate(dtype, B * H),
      tmp2: allocate(dtype, B * H),
      packedW: null,
      packedWT: null,
      zeroInit: true,
    };
  }

  beginSequence(B: number, cache: RnnCache, init?: CellState): void {
    const n = B * this.hiddenSize;
    if (init) cache.hs.set(init.h.subarray(0, n), 0);
    else cache.hs.fill(0, 0, n);
    cache.zeroInit = !init;
  }

  stateAt(t: number, B: number, cache: RnnCache): CellState {
    const n = B * this.hiddenSize;
    return { h: cache.hs.subarray(t * n, (t + 1) * n) };
  }

  forward(x: SequenceInput, T: number, B: number, cache: RnnCache, init?: CellState, mask?: StepMask): void {
    this.beginSequence(B, cache, init);
    const H = this.hiddenSize;
    // x(t)·U (+ b_h) for all T steps at once: one (T·B)×D by D×H product, before the time loop.
    projectInput(this.k, x, 0, T * B, this.inputSize, this.U, H, cache.hs, B * H, H, this.b_h);
    // W packed once for the T products below (when the kernels can; fewer than 4 rows do not pack)
    const packed = B >= 4 ? this.k.packB?.(false, H, H, this.W, 0, H, cache.packedW) ?? null : null;
    if (packed) cache.packedW = packed;
    for (let t = 1; t <= T; t++) this.recur(t, B, cache, mask, packed);
  }

  forwardStep(x: SequenceInput, t: number, B: number, cache: RnnCache, mask?: StepMask): void {
    const H = this.hiddenSize;
    projectInput(this.k, x, (t - 1) * B, B, this.inputSize, this.U, H, cache.hs, t * B * H, H, this.b_h);
    this.recur(t, B, cache, mask);
  }

  /** neth(t) += h(t−1)·W; h(t) = g_h(neth(t)); a masked row keeps h(t−1). */
  private recur(t: number, B: number, cache: RnnCache, mask?: StepMask, packed: PackedMatrix | null = null): void {
    const H = this.hiddenSize;
    const n = B * H;
    const hs = cache.hs;
    // neth(1) += h(0)·W is nothing to add when h(0) = 0
    if (!(t === 1 && cache.zeroInit) && !(packed && this.k.gemmPacked?.(false, B, H, H, hs, (t - 1) * n, H, packed, hs, t * n, H, true))) {
      this.k.gemm(false, false, B, H, H, hs, (t - 1) * n, H, this.W, 0, H, hs, t * n, H, true);
    }
    if (!(this.activation === 'tanh' && this.k.tanhInPlace?.(hs, t * n, n))) activate(this.activation, hs, t * n, n);
    if (mask) {
      for (let b = 0; b < B; b++) {
        if (mask[(t - 1) * B + b]) continue;
        hs.copyWithin(t * n + b * H, (t - 1) * n + b * H, (t - 1) * n + (b + 1) * H);
      }
    }
  }

  backward(
    x: SequenceInput, T: number, B: number, cache: RnnCache, dH: Float,
    dX: Float | null, dInit: CellState | null, mask?: StepMask, options: BackwardOptions = {},
  ): void {
    const mode = options.gradientMode ?? 'exact';
    const k = options.truncate ?? Infinity;
    if (mode === 'lecture') {
      if (mask || dX || dInit) throw new OptionError('gradientMode "lecture" supports only a single unmasked RNN layer');
      this.lectureFactors(T, B, cache, dH);
    } else if (k >= T) {
      this.exactDeltas(T, B, cache, dH, dInit, mask);
    } else {
      this.truncatedDeltas(T, B, cache, dH, dInit, mask, k);
    }
    this.parameterGradients(x, T, B, cache, dX);
  }

  /** Exact BPTT: fills δneth(t) for t = T..1 and leaves δneth(1)·Wᵀ (= ∂J/∂h(0)) in dInit. */
  private exactDeltas(T: number, B: number, cache: RnnCache, dH: Float, dInit: CellState | null, mask?: StepMask): void {
    const H = this.hiddenSize;
    const n = B * H;
    const { hs, dNet, carry, tmp } = cache;
    carry.fill(0); // δneth(T+1)·Wᵀ = 0
    // Wᵀ packed once for the T products below (when the kernels can)
    const packed = B >= 4 ? this.k.packB?.(true, H, H, this.W, 0, H, cache.packedWT) ?? null : null;
    if (packed) cache.packedWT = packed;
    for (let t = T; t >= 1; t--) {
      const o = (t - 1) * n;
      // δneth(t) = (∂J/∂h(t) + δneth(t+1)·Wᵀ) ∘ (1 − h²), fused, when the kernels have it (tanh, no mask)
      if (!mask && this.activation === 'tanh' && this.k.tanhBackward?.(n, hs, t * n, dH, o, carry, 0, dNet, o)) {
        // δneth(1)·Wᵀ is ∂J/∂h(0): needed only when asked for
        if (t === 1 && !dInit) break;
        if (!(packed && this.k.gemmPacked?.(false, B, H, H, dNet, o, H, packed, carry, 0, H, false))) {
          this.k.gemm(false, true, B, H, H, dNet, o, H, this.W, 0, H, carry, 0, H, false);
        }
        continue;
      }
      // δh(t) = ∂J/∂h(t) + δneth(t+1)·Wᵀ
      for (let i = 0; i < n; i++) dNet[o + i] = dH[o + i]! + carry[i]!;
      if (mask) passMaskedRows(mask, t, B, H, dNet, o, tmp);
      // δneth(t) = δh(t) ∘ g_h'(neth(t))
      multiplyByDerivative(this.activation, hs, t * n, dNet, o, n);
      // carry = δneth(t)·Wᵀ, the recurrent part of δh(t−1)
      if (!(packed && this.k.gemmPacked?.(false, B, H, H, dNet, o, H, packed, carry, 0, H, false))) {
        this.k.gemm(false, true, B, H, H, dNet, o, H, this.W, 0, H, carry, 0, H, false);
      }
      if (mask) restoreMaskedRows(mask, t, B, H, tmp, carry);
    }
    if (dInit) addInto(dInit.h, carry, n);
  }

  /**
   * Truncated BPTT: the gradient entering at step t travels back through at
   * most k steps (t..t−k+1), so δneth(s) = Σ over sources t ∈ [s, s+k).
   */
  private truncatedDeltas(T: number, B: number, cache: RnnCache, dH: Float, dInit: CellState | null, mask: StepMask | undefined, k: number): void {
    const H = this.hiddenSize;
    const n = B * H;
    const { hs, dNet, carry: dh, tmp, tmp2 } = cache;
    dNet.fill(0, 0, T * n);
    for (let t = T; t >= 1; t--) {
      for (let i = 0, o = (t - 1) * n; i < n; i++) dh[i] = dH[o + i]!; // δh(t) from this source alone
      const last = Math.max(1, t - k + 1);
      for (let s = t; s >= last; s--) {
        tmp.set(dh);
        if (mask) passMaskedRows(mask, s, B, H, tmp, 0, tmp2);
        multiplyByDerivative(this.activation, hs, s * n, tmp, 0, n);
        const o = (s - 1) * n;
        for (let i = 0; i < n; i++) dNet[o + i]! += tmp[i]!;
        this.k.gemm(false, true, B, H, H, tmp, 0, H, this.W, 0, H, dh, 0, H, false);
        if (mask) restoreMaskedRows(mask, s, B, H, tmp2, dh);
      }
      if (last === 1 && dInit) addInto(dInit.h, dh, n);
    }
  }

  /**
   * The lecture slides' formulas (docs/maths.md §5), NOT the gradient of J:
   * factor(t) = δo(t)·Vᵀ·Π_{z=2..t}(g_h'(neth(z−1))·Wᵀ), then
   * ∂J/∂W = Σ_t h(t−1)ᵀ·factor(t) and ∂J/∂U = Σ_t x(t)ᵀ·factor(t).
   * Here dH(t) is δo(t)·Vᵀ; the factors go where δneth(t) would.
   */
  private lectureFactors(T: number, B: number, cache: RnnCache, dH: Float): void {
    const H = this.hiddenSize;
    const n = B * H;
    const { hs, dNet, tmp } = cache;
    for (let t = 1; t <= T; t++) {
      const o = (t - 1) * n;
      for (let i = o; i < o + n; i++) dNet[i] = dH[i]!;
      for (let z = 2; z <= t; z++) {
        multiplyByDerivative(this.activation, hs, (z - 1) * n, dNet, o, n);
        this.k.gemm(false, true, B, H, H, dNet, o, H, this.W, 0, H, tmp, 0, H, false);
        dNet.set(tmp, o);
      }
    }
  }

  /** ∂J/∂W += h(0..T−1)ᵀ·δneth, ∂J/∂U += Xᵀ·δneth, ∂J/∂b_h += Σ δneth, dX = δneth·Uᵀ: one product each over all steps. */
  private parameterGradients(x: SequenceInput, T: number, B: number, cache: RnnCache, dX: Float | null): void {
    const H = this.hiddenSize;
    const rows = T * B;
    // h(0)'s rows add nothing when h(0) = 0
    const r0 = cache.zeroInit ? B : 0;
    this.k.gemm(true, false, H, H, rows - r0, cache.hs, r0 * H, H, cache.dNet, r0 * H, H, this.dW, 0, H, true);
    addInputGradient(this.k, x, rows, this.inputSize, cache.dNet, H, this.dU, this.db_h);
    if (dX) inputGradient(this.k, rows, this.inputSize, cache.dNet, H, this.U, dX);
  }
}

/**
 * Before δneth is formed: for each masked row (b at step t) keep δh in
 * `save` and zero it in `d`, so the step adds nothing to the gradients.
 */
export function passMaskedRows(mask: StepMask, t: number, B: number, H: number, d: Float, dOff: number, save: Float): void {
  for (let b = 0; b < B; b++) {
    if (mask[(t - 1) * B + b]) continue;
    const o = dOff + b * H;
    for (let j = 0; j < H; j++) {
      save[b * H + j] = d[o + j]!;
      d[o + j] = 0;
    }
  }
}

/** After the recurrent product: a masked row passes δh(t) to δh(t−1) unchanged. */
export function restoreMaskedRows(mask: StepMask, t: number, B: number, H: number, save: Float, carry: Float): void {
  for (let b = 0; b < B; b++) {
    if (mask[(t - 1) * B + b]) continue;
    for (let j = 0; j < H; j++) carry[b * H + j] = save[b * H + j]!;
  }
}

function addInto(target: Float, src: Float, n: number): void {
  for (let i = 0; i < n; i++) target[i]! += src[i]!;
}
