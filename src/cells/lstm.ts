/**
 * The LSTM cell of docs/maths.md §6 and its exact BPTT (derivation: docs/lstm.md).
 * With a(t) = [x(t), h(t−1)]·W (+ b), split into four column blocks:
 *
 *   f(t)  = σ(a_f(t))                       forget gate
 *   i(t)  = σ(a_i(t))                       input gate
 *   o(t)  = σ(a_o(t))                       output gate
 *   C̃(t)  = tanh(a_C(t))                    candidate
 *   C(t)  = f(t) ∘ C(t−1) + i(t) ∘ C̃(t)     cell state
 *   h(t)  = o(t) ∘ tanh(C(t))
 *
 * Backward, step t = T..1 (δh(t) includes ∂J/∂h(t) from above):
 *
 *   δC(t)  = δh(t) ∘ o(t) ∘ (1 − tanh²C(t)) + δC(t+1) ∘ f(t+1)
 *   δa_f   = δC(t) ∘ C(t−1) ∘ f(1 − f)      δa_i = δC(t) ∘ C̃(t) ∘ i(1 − i)
 *   δa_o   = δh(t) ∘ tanh C(t) ∘ o(1 − o)   δa_C = δC(t) ∘ i(t) ∘ (1 − C̃²)
 *   δh(t−1) = δa(t)·W_hᵀ (+ ∂J/∂h(t−1) from above)
 *   ∂J/∂W = Σ_t [x(t), h(t−1)]ᵀ·δa(t)       ∂J/∂b = Σ_t δa(t)
 *
 * Parameter layout (fixed: weight import/export relies on it):
 * - `W`: (D+H)×4H. Rows 0..D−1 multiply x(t) (W_x), rows D..D+H−1 multiply
 *   h(t−1) (W_h). Column blocks [f | i | o | C]: W_f = columns 0..H−1,
 *   W_i = H..2H−1, W_o = 2H..3H−1, W_C = 3H..4H−1.
 * - `b`: 1×4H in the same gate order (biases on); every block starts at 0,
 *   the forget block at `forgetBias` when one is given (see {@link lstmParamSpecs}).
 *
 * Shapes: x(t) B×D, h(t) and C(t) B×H, a(t) B×4H.
 */

import { sigmoid } from '../core/activations.js';
import { OptionError, ShapeError } from '../core/errors.js';
import type { Kernels, PackedMatrix } from '../core/kernels.js';
import type { ParamSet, ParamSpec } from '../core/params.js';
import { allocate, dtypeOf, type Float } from '../core/tensor.js';
import type { BackwardOptions, Cell, CellCache, CellConfig, CellState, SequenceInput, StepMask } from './cell.js';
import { copyGateBlocks, type GatedCell, type StepValues } from './inspect.js';
import { addInputGradient, inputGradient, projectInput } from './input.js';

/** What the LSTM's parameter declarations need: the cell's sizes, and the forget gate's starting bias. */
export interface LstmSpecConfig extends Omit<CellConfig, 'kernels'> {
  /** b_f at the start (every unit). Default {@link DEFAULT_FORGET_BIAS}. */
  readonly forgetBias?: number;
}

/**
 * The forget gate's starting bias: 0, like the other gate biases, so
 * f(0) = σ(0) = ½ before training. The habit of 1 (f ≈ 0.73) lets the cell
 * state of a stream read window after window sum up without bound (mean |C|
 * in the tens, tanh C saturated, little gradient through it); measured in
 * docs/performance.md ("Initialisation").
 */
export const DEFAULT_FORGET_BIAS = 0;

/**
 * Parameters: W ((D+H)×4H, uniform ±1/√H) and b (1×4H: zeros, the forget
 * block b_f = `forgetBias`) when biases are on.
 */
export function lstmParamSpecs(c: LstmSpecConfig): ParamSpec[] {
  const H = c.hiddenSize;
  const forgetBias = c.forgetBias ?? DEFAULT_FORGET_BIAS;
  const specs: ParamSpec[] = [
    { name: `${c.prefix}W`, rows: c.inputSize + H, cols: 4 * H, init: 'uniform', scale: 1 / Math.sqrt(H) },
  ];
  if (c.bias) {
    specs.push({
      name: `${c.prefix}b`, rows: 1, cols: 4 * H, init: 'zeros',
      ...(forgetBias !== 0 ? { fill: { from: 0, to: H, value: forgetBias } } : {}),
    });
  }
  return specs;
}

/** Backward options of the LSTM beyond the common ones. */
export interface LstmBackwardOptions extends BackwardOptions {
  /**
   * ∂J/∂C(T) from beyond the last step (B×H), e.g. from a decoder that
   * starts from this layer's final state. ∂J/∂h(T) needs no such option: it
   * arrives in dH(T). Absent means zero.
   */
  readonly dFinalC?: Float;
}

/** Work buffers of the LSTM cell for up to `capacityT` steps. */
export interface LstmCache extends CellCache {
  /** C(0..T), (T+1)×B×H; slot 0 is C(0). */
  readonly cs: Float;
  /** a(t) as computed, then the gate activations [f | i | o | C̃], T×B×4H. */
  readonly gates: Float;
  /** tanh C(t), T×B×H. */
  readonly tc: Float;
  /** δa(t), T×B×4H. */
  readonly dA: Float;
  /** δh(t) being formed, B×H. */
  readonly dh: Float;
  /** δa(t)·W_hᵀ carried to step t−1, B×H. */
  readonly carryH: Float;
  /** δC carried to step t−1, B×H. */
  readonly carryC: Float;
  /** One truncation source's δa at one step, B×4H. */
  readonly tmpA: Float;
  /** W_h packed for the forward pass's products, and W_hᵀ for the backward's (kernels with packB; repacked every pass). */
  packedW: PackedMatrix | null;
  packedWT: PackedMatrix | null;
  /** h(0) = 0 (no initial state given): the products with h(0) are skipped. */
  zeroInit: boolean;
}

export class LstmCell implements Cell<LstmCache>, GatedCell {
  readonly kind = 'lstm' as const;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly stateNames = ['h', 'c'] as const;
  readonly gateNames = ['f', 'i', 'o', 'cTilde', 'c', 'h'] as const;
  /** [W_x; W_h], (D+H)×4H (a live view into the model's parameters). */
  readonly W: Float;
  /** Gate biases [b_f | b_i | b_og | b_C] (b_og: the output gate's), 1×4H, or null when biases are off. */
  readonly b: Float | null;
  readonly dW: Float;
  readonly db: Float | null;
  private readonly k: Kernels;

  constructor(config: CellConfig, params: ParamSet) {
    this.inputSize = config.inputSize;
    this.hiddenSize = config.hiddenSize;
    this.k = config.kernels;
    const p = config.prefix;
    this.W = params.view(`${p}W`);
    this.dW = params.gradView(`${p}W`);
    this.b = config.bias ? params.view(`${p}b`) : null;
    this.db = config.bias ? params.gradView(`${p}b`) : null;
  }

  createCache(T: number, B: number): LstmCache {
    const H = this.hiddenSize;
    const dtype = dtypeOf(this.W);
    return {
      capacityT: T,
      B,
      hs: allocate(dtype, (T + 1) * B * H),
      cs: allocate(dtype, (T + 1) * B * H),
      gates: allocate(dtype, T * B * 4 * H),
      tc: allocate(dtype, T * B * H),
      dA: allocate(dtype, T * B * 4 * H),
      dh: allocate(dtype, B * H),
      carryH: allocate(dtype, B * H),
      carryC: allocate(dtype, B * H),
      tmpA: allocate(dtype, B * 4 * H),
      packedW: null,
      packedWT: null,
      zeroInit: true,
    };
  }

  beginSequence(B: number, cache: LstmCache, init?: CellState): void {
    const n = B * this.hiddenSize;
    if (init) cache.hs.set(init.h.subarray(0, n), 0);
    else cache.hs.fill(0, 0, n);
    cache.zeroInit = !init;
    if (init?.c) cache.cs.set(init.c.subarray(0, n), 0);
    else cache.cs.fill(0, 0, n);
  }

  stateAt(t: number, B: number, cache: LstmCache): CellState {
    const n = B * this.hiddenSize;
    return { h: cache.hs.subarray(t * n, (t + 1) * n), c: cache.cs.subarray(t * n, (t + 1) * n) };
  }

  /** f, i, o, C̃, C and h at step t (1-based) of the last forward pass, B×H copies. */
  gates(cache: LstmCache, t: number, B: number): StepValues {
    const H = this.hiddenSize;
    const n = B * H;
    const out: Record<string, Float> = {};
    copyGateBlocks(cache.gates, ['f', 'i', 'o', 'cTilde'], t, B, H, out);
    out.c = cache.cs.slice(t * n, (t + 1) * n);
    out.h = cache.hs.slice(t * n, (t + 1) * n);
    return out;
  }

  forward(x: SequenceInput, T: number, B: number, cache: LstmCache, init?: CellState, mask?: StepMask): void {
    this.beginSequence(B, cache, init);
    const G = 4 * this.hiddenSize;
    // a(t) = x(t)·W_x (+ b) for all T steps at once: one (T·B)×D by D×4H product, before the time loop.
    projectInput(this.k, x, 0, T * B, this.inputSize, this.W, G, cache.gates, 0, G, this.b);
    // W_h packed once for the T products below (when the kernels can; fewer than 4 rows do not pack)
    const packed = B >= 4 ? this.k.packB?.(false, this.hiddenSize, G, this.W, this.inputSize * G, G, cache.packedW) ?? null : null;
    if (packed) cache.packedW = packed;
    for (let t = 1; t <= T; t++) this.recur(t, B, cache, mask, packed);
  }

  forwardStep(x: SequenceInput, t: number, B: number, cache: LstmCache, mask?: StepMask): void {
    const G = 4 * this.hiddenSize;
    projectInput(this.k, x, (t - 1) * B, B, this.inputSize, this.W, G, cache.gates, (t - 1) * B * G, G, this.b);
    this.recur(t, B, cache, mask);
  }

  /** a(t) += h(t−1)·W_h, then the gates, C(t) and h(t) in one element-wise loop; a masked row keeps h and C. */
  private recur(t: number, B: number, cache: LstmCache, mask?: StepMask, packed: PackedMatrix | null = null): void {
    const H = this.hiddenSize;
    const D = this.inputSize;
    const G = 4 * H;
    const n = B * H;
    const { hs, cs, gates, tc } = cache;
    const a0 = (t - 1) * B * G;
    // a(1) += h(0)·W_h is nothing to add when h(0) = 0
    if (!(t === 1 && cache.zeroInit) && !(packed && this.k.gemmPacked?.(false, B, G, H, hs, (t - 1) * n, H, packed, gates, a0, G, true))) {
      this.k.gemm(false, false, B, G, H, hs, (t - 1) * n, H, this.W, D * G, G, gates, a0, G, true);
    }
    // The fused kernel (WebAssembly) does the loop below in one call when it can.
    if (mask === undefined && this.k.lstmGates?.(B, H, gates, a0, cs, (t - 1) * n, cs, t * n, hs, t * n, tc, (t - 1) * n)) return;
    for (let b = 0; b < B; b++) {
      const kept = mask !== undefined && !mask[(t - 1) * B + b];
      const g = a0 + b * G;
      const prev = (t - 1) * n + b * H;
      const cur = t * n + b * H;
      for (let j = 0; j < H; j++) {
        const f = sigmoid(gates[g + j]!);
        const i = sigmoid(gates[g + H + j]!);
        const o = sigmoid(gates[g + 2 * H + j]!);
        const cTilde = Math.tanh(gates[g + 3 * H + j]!);
        gates[g + j] = f;
        gates[g + H + j] = i;
        gates[g + 2 * H + j] = o;
        gates[g + 3 * H + j] = cTilde;
        const cPrev = cs[prev + j]!;
        if (kept) {
          // padding: C(t) = C(t−1), h(t) = h(t−1)
          cs[cur + j] = cPrev;
          tc[prev + j] = Math.tanh(cPrev);
          hs[cur + j] = hs[prev + j]!;
          continue;
        }
        // C(t) = f ∘ C(t−1) + i ∘ C̃;  h(t) = o ∘ tanh C(t)
        const c = f * cPrev + i * cTilde;
        const tanhC = Math.tanh(c);
        cs[cur + j] = c;
        tc[prev + j] = tanhC;
        hs[cur + j] = o * tanhC;
      }
    }
  }

  backward(
    x: SequenceInput, T: number, B: number, cache: LstmCache, dH: Float,
    dX: Float | null, dInit: CellState | null, mask?: StepMask, options: LstmBackwardOptions = {},
  ): void {
    if ((options.gradientMode ?? 'exact') !== 'exact') {
      throw new OptionError('gradientMode "lecture" is defined only for the RNN; use "exact" for the LSTM');
    }
    const k = options.truncate ?? Infinity;
    const dFinalC = options.dFinalC ?? null;
    if (dFinalC && dFinalC.length < B * this.hiddenSize) {
      throw new ShapeError(`dFinalC has ${dFinalC.length} values, expected B×H = ${B}×${this.hiddenSize}`);
    }
    if (k >= T) this.exactDeltas(T, B, cache, dH, dFinalC, dInit, mask);
    else this.truncatedDeltas(T, B, cache, dH, dFinalC, dInit, mask, k);
    this.parameterGradients(x, T, B, cache, dX);
  }

  /** Exact BPTT: fills δa(t) for t = T..1; ∂J/∂h(0) and ∂J/∂C(0) go to dInit. */
  private exactDeltas(
    T: number, B: number, cache: LstmCache, dH: Float, dFinalC: Float | null, dInit: CellState | null, mask?: StepMask,
  ): void {
    const H = this.hiddenSize;
    const G = 4 * H;
    const n = B * H;
    const { dA, carryH, carryC } = cache;
    carryH.fill(0); // δa(T+1)·W_hᵀ = 0
    // the part of δC(T) from beyond the last step: 0, or ∂J/∂C(T) given by the caller
    if (dFinalC) carryC.set(dFinalC.subarray(0, n));
    else carryC.fill(0);
    // W_hᵀ packed once for the T products below (when the kernels can)
    const packed = B >= 4 ? this.k.packB?.(true, G, H, this.W, this.inputSize * G, G, cache.packedWT) ?? null : null;
    if (packed) cache.packedWT = packed;
    for (let t = T; t >= 1; t--) {
      // δh(t) = ∂J/∂h(t) + δa(t+1)·W_hᵀ, formed in carryH (a kernel call: one row of n)
      this.k.addRowVector(1, n, carryH, 0, n, dH, (t - 1) * n);
      // carryH is both δh(t) (read) and the bypass part of δh(t−1) (written after each element is read)
      this.stepBackward(t, B, cache, carryH, carryC, dA, (t - 1) * B * G, carryH, mask);
      // δh(t−1) += δa(t)·W_hᵀ (δh(0) only when ∂J/∂h(0) is asked for)
      if (t === 1 && !dInit) break;
      if (!(packed && this.k.gemmPacked?.(false, B, H, G, dA, (t - 1) * B * G, G, packed, carryH, 0, H, true))) {
        this.k.gemm(false, true, B, H, G, dA, (t - 1) * B * G, G, this.W, this.inputSize * G, G, carryH, 0, H, true);
      }
    }
    if (dInit) {
      addInto(dInit.h, carryH, n);
      if (dInit.c) addInto(dInit.c, carryC, n);
    }
  }

  /**
   * Truncated BPTT: the gradient entering at step t (through h(t), and at
   * t = T through C(T) when `dFinalC` is given) travels back through at most
   * k steps (t..t−k+1), through h and C alike, so δa(s) = Σ over sources
   * t ∈ [s, s+k).
   */
  private truncatedDeltas(
    T: number, B: number, cache: LstmCache, dH: Float, dFinalC: Float | null,
    dInit: CellState | null, mask: StepMask | undefined, k: number,
  ): void {
    const H = this.hiddenSize;
    const G = 4 * H;
    const n = B * H;
    const { dA, dh, carryH, carryC: dc, tmpA } = cache;
    dA.fill(0, 0, T * B * G);
    for (let t = T; t >= 1; t--) {
      for (let i = 0, o = (t - 1) * n; i < n; i++) dh[i] = dH[o + i]!; // δh(t) from this source alone
      if (t === T && dFinalC) for (let i = 0; i < n; i++) dc[i] = dFinalC[i]!;
      else dc.fill(0);
      const last = Math.max(1, t - k + 1);
      for (let s = t; s >= last; s--) {
        this.stepBackward(s, B, cache, dh, dc, tmpA, 0, carryH, mask);
        const o = (s - 1) * B * G;
        for (let i = 0; i < B * G; i++) dA[o + i]! += tmpA[i]!;
        this.k.gemm(false, true, B, H, G, tmpA, 0, G, this.W, this.inputSize * G, G, carryH, 0, H, true);
        dh.set(carryH);
      }
      if (last === 1 && dInit) {
        addInto(dInit.h, dh, n);
        if (dInit.c) addInto(dInit.c, dc, n);
      }
    }
  }

  /**
   * One step of the backward element-wise math. In: δh(t) in `dh`, the δC
   * carried from step t+1 in `dc`. Out: δa(t) in `out` at `outOff` (B×4H),
   * δC(t) ∘ f(t) in `dc` (the carry to t−1), and in `next` the part of
   * δh(t−1) that does not go through W_h: zero, or δh(t) itself on a masked
   * row (which passes both gradients through unchanged and adds nothing).
   */
  private stepBackward(t: number, B: number, cache: LstmCache, dh: Float, dc: Float, out: Float, outOff: number, next: Float, mask?: StepMask): void {
    const H = this.hiddenSize;
    const G = 4 * H;
    const n = B * H;
    const { gates, cs, tc } = cache;
    if (mask === undefined && this.k.lstmGatesBackward?.(B, H, gates, (t - 1) * B * G, cs, (t - 1) * n, tc, (t - 1) * n, dh, 0, dc, 0, out, outOff, next, 0)) return;
    for (let b = 0; b < B; b++) {
      const r = b * H;
      const d = outOff + b * G;
      if (mask !== undefined && !mask[(t - 1) * B + b]) {
        out.fill(0, d, d + G);
        for (let j = 0; j < H; j++) next[r + j] = dh[r + j]!;
        continue;
      }
      const g = (t - 1) * B * G + b * G;
      const prev = (t - 1) * n + r;
      for (let j = 0; j < H; j++) {
        const f = gates[g + j]!;
        const i = gates[g + H + j]!;
        const o = gates[g + 2 * H + j]!;
        const cTilde = gates[g + 3 * H + j]!;
        const tanhC = tc[prev + j]!;
        const dhj = dh[r + j]!;
        // δC(t) = δh ∘ o ∘ (1 − tanh²C) + δC(t+1) ∘ f(t+1)
        const dC = dhj * o * (1 - tanhC * tanhC) + dc[r + j]!;
        out[d + j] = dC * cs[prev + j]! * f * (1 - f); // δa_f = δC ∘ C(t−1) ∘ f(1 − f)
        out[d + H + j] = dC * cTilde * i * (1 - i); // δa_i = δC ∘ C̃ ∘ i(1 − i)
        out[d + 2 * H + j] = dhj * tanhC * o * (1 - o); // δa_o = δh ∘ tanh C ∘ o(1 − o)
        out[d + 3 * H + j] = dC * i * (1 - cTilde * cTilde); // δa_C = δC ∘ i ∘ (1 − C̃²)
        dc[r + j] = dC * f; // δC(t−1) carry = δC(t) ∘ f(t)
        next[r + j] = 0;
      }
    }
  }

  /**
   * ∂J/∂W_x += Xᵀ·δa, ∂J/∂W_h += h(0..T−1)ᵀ·δa, ∂J/∂b += Σ δa, dX = δa·W_xᵀ:
   * one product each over all steps.
   */
  private parameterGradients(x: SequenceInput, T: number, B: number, cache: LstmCache, dX: Float | null): void {
    const H = this.hiddenSize;
    const D = this.inputSize;
    const G = 4 * H;
    const rows = T * B;
    // h(0)'s rows add nothing when h(0) = 0
    const r0 = cache.zeroInit ? B : 0;
    this.k.gemm(true, false, H, G, rows - r0, cache.hs, r0 * H, H, cache.dA, r0 * G, G, this.dW, D * G, G, true);
    addInputGradient(this.k, x, rows, D, cache.dA, G, this.dW, this.db);
    if (dX) inputGradient(this.k, rows, D, cache.dA, G, this.W, dX);
  }
}

function addInto(target: Float, src: Float, n: number): void {
  for (let i = 0; i < n; i++) target[i]! += src[i]!;
}
