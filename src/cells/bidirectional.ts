/**
 * A bidirectional layer: two cells of the same kind read the sequence, one
 * forwards (t = 1..T) and one backwards (t = T..1), and the layer's state at
 * step t is both states side by side, 2H wide:
 *
 *   h→(t) = cell→(x(t), h→(t−1))      h←(t) = cell←(x(t), h←(t+1))
 *   h(t)  = [h→(t) | h←(t)]           (B×2H, what the next layer and V read)
 *
 * The backward cell runs on the time-reversed sequence (step s = T+1−t) with
 * the reversed mask. A masked step keeps its state, and both directions start
 * from zero, so h←(t) starts at each sequence's own last valid step (trailing
 * padding leaves it at zero), passes through holes, and holds over leading
 * padding — whatever the padding pattern.
 *
 * BPTT splits ∂J/∂h(t) into its two halves: the forward half goes to cell→
 * as it is, the backward half to cell← at reversed step T+1−t; each cell
 * runs its own exact (or truncated) BPTT, and ∂J/∂x(t) is the sum of the two
 * cells' input gradients, the backward one un-reversed.
 *
 * Truncation (`truncate: k`) applies to each direction along its own time:
 * the forward cell carries a gradient back at most k steps towards t = 1,
 * the backward cell at most k steps towards t = T. An initial state cannot be
 * given (h←'s "initial" state lies after the end), and a bidirectional layer
 * cannot run step by step: it needs the whole sequence before its first output.
 */

import { OptionError } from '../core/errors.js';
import { allocate, type Float } from '../core/tensor.js';
import type { BackwardOptions, Cell, CellCache, CellState, SequenceInput, StepMask } from './cell.js';

/** Work buffers of a bidirectional layer. */
export interface BidirectionalCache extends CellCache {
  /** h(0..T) as (T+1)×B×2H, [h→(t) | h←(t)] per row; slot 0 is zero. */
  readonly hs: Float;
  /** The two cells' own caches. */
  readonly forward: CellCache;
  readonly backward: CellCache;
  /** The reversed input x(T+1−s) of the backward cell: symbols (T×B) or values (T×B×D). */
  readonly xIndex: Int32Array;
  readonly xDense: Float;
  /** The reversed mask, T×B. */
  readonly mask: Uint8Array;
  /** ∂J/∂h→ and ∂J/∂h← (reversed time), T×B×H each. */
  readonly dF: Float;
  readonly dB: Float;
  /** ∂J/∂x of the backward cell (reversed time), T×B×D. */
  readonly dXB: Float;
  /** C of the last forward pass at a given step, [C→ | C←], B×2H (LSTM; for stateAt). */
  readonly c: Float;
  /** The final state [h→(T) | h←(1)] (and C), B×2H each, for {@link BidirectionalCell.finalState}. */
  readonly finalH: Float;
  readonly finalC: Float;
  /** ∂J/∂C→(T) and ∂J/∂C←(1), B×H each, split from a `dFinalC` option. */
  readonly dFinalCF: Float;
  readonly dFinalCB: Float;
  /** Steps of the last forward pass. */
  lastT: number;
  /** The input the backward cell read in the last forward pass. */
  reversed: SequenceInput | null;
}

/** Two cells, one per direction, seen from outside as one cell of width 2H. */
export class BidirectionalCell implements Cell<BidirectionalCache> {
  readonly kind: Cell['kind'];
  readonly inputSize: number;
  /** 2H: the width of the concatenated state. */
  readonly hiddenSize: number;
  readonly stateNames: readonly ('h' | 'c')[];
  /** H of each direction. */
  readonly directionSize: number;

  constructor(readonly forwardCell: Cell, readonly backwardCell: Cell) {
    if (forwardCell.kind !== backwardCell.kind || forwardCell.inputSize !== backwardCell.inputSize || forwardCell.hiddenSize !== backwardCell.hiddenSize) {
      throw new OptionError('a bidirectional layer needs two cells of the same kind and sizes');
    }
    this.kind = forwardCell.kind;
    this.inputSize = forwardCell.inputSize;
    this.directionSize = forwardCell.hiddenSize;
    this.hiddenSize = 2 * forwardCell.hiddenSize;
    this.stateNames = forwardCell.stateNames;
  }

  createCache(T: number, B: number): BidirectionalCache {
    const forward = this.forwardCell.createCache(T, B);
    const backward = this.backwardCell.createCache(T, B);
    const dtype = forward.hs instanceof Float64Array ? 'float64' : 'float32';
    const H = this.directionSize;
    const D = this.inputSize;
    return {
      capacityT: T,
      B,
      hs: allocate(dtype, (T + 1) * B * 2 * H),
      forward,
      backward,
      xIndex: new Int32Array(T * B),
      xDense: allocate(dtype, T * B * D),
      mask: new Uint8Array(T * B),
      dF: allocate(dtype, T * B * H),
      dB: allocate(dtype, T * B * H),
      dXB: allocate(dtype, T * B * D),
      c: allocate(dtype, B * 2 * H),
      finalH: allocate(dtype, B * 2 * H),
      finalC: allocate(dtype, B * 2 * H),
      dFinalCF: allocate(dtype, B * H),
      dFinalCB: allocate(dtype, B * H),
      lastT: 0,
      reversed: null,
    };
  }

  forward(x: SequenceInput, T: number, B: number, cache: BidirectionalCache, init?: CellState, mask?: StepMask): void {
    if (init) throw new OptionError('a bidirectional layer starts both directions from zero; an initial state (batch.init) cannot be given');
    const D = this.inputSize;
    const H = this.directionSize;
    // x←(s) = x(T+1−s), and the same for the mask
    let reversed: SequenceInput;
    if (x.kind === 'index') {
      for (let s = 1; s <= T; s++) cache.xIndex.set(x.data.subarray((T - s) * B, (T - s + 1) * B), (s - 1) * B);
      reversed = { kind: 'index', data: cache.xIndex.subarray(0, T * B) };
    } else {
      const n = B * D;
      for (let s = 1; s <= T; s++) cache.xDense.set(x.data.subarray((T - s) * n, (T - s + 1) * n), (s - 1) * n);
      reversed = { kind: 'dense', data: cache.xDense.subarray(0, T * n) };
    }
    let reversedMask: StepMask | undefined;
    if (mask) {
      for (let s = 1; s <= T; s++) cache.mask.set(mask.subarray((T - s) * B, (T - s + 1) * B), (s - 1) * B);
      reversedMask = cache.mask.subarray(0, T * B);
    }
    this.forwardCell.forward(x, T, B, cache.forward, undefined, mask);
    this.backwardCell.forward(reversed, T, B, cache.backward, undefined, reversedMask);
    cache.reversed = reversed;
    cache.lastT = T;
    // h(t) = [h→(t) | h←(t)], h←(t) being the backward cell's state after its step T+1−t
    const hf = cache.forward.hs;
    const hb = cache.backward.hs;
    const hs = cache.hs;
    hs.fill(0, 0, B * 2 * H);
    for (let t = 1; t <= T; t++) {
      const s = T + 1 - t;
      for (let b = 0; b < B; b++) {
        const o = (t * B + b) * 2 * H;
        hs.set(hf.subarray((t * B + b) * H, (t * B + b + 1) * H), o);
        hs.set(hb.subarray((s * B + b) * H, (s * B + b + 1) * H), o + H);
      }
    }
  }

  forwardStep(): void {
    throw new OptionError('a bidirectional layer reads the whole sequence before its first output; it cannot run step by step (generation, argmax feedback)');
  }

  beginSequence(): void {
    throw new OptionError('a bidirectional layer reads the whole sequence before its first output; it cannot run step by step (generation, argmax feedback)');
  }

  /** [h→(t) | h←(t)] (and [C→(t) | C←(t)] for the LSTM) after the last forward pass. */
  stateAt(t: number, B: number, cache: BidirectionalCache): CellState {
    const n = B * this.hiddenSize;
    const h = cache.hs.subarray(t * n, (t + 1) * n);
    if (!this.stateNames.includes('c') || t < 1) return this.stateNames.includes('c') ? { h, c: cache.c.fill(0, 0, n).subarray(0, n) } : { h };
    const H = this.directionSize;
    const cf = this.forwardCell.stateAt(t, B, cache.forward).c!;
    const cb = this.backwardCell.stateAt(cache.lastT + 1 - t, B, cache.backward).c!;
    for (let b = 0; b < B; b++) {
      cache.c.set(cf.subarray(b * H, (b + 1) * H), b * 2 * H);
      cache.c.set(cb.subarray(b * H, (b + 1) * H), b * 2 * H + H);
    }
    return { h, c: cache.c.subarray(0, n) };
  }

  /**
   * Each direction's last state: [h→(T) | h←(1)] (and [C→(T) | C←(1)] for
   * the LSTM), B×2H: what a decoder starts from. Its gradient enters
   * {@link backward} through dH(T)'s left half, dH(1)'s right half and, for
   * C, a `dFinalC` option of B×2H values [∂J/∂C→(T) | ∂J/∂C←(1)].
   */
  finalState(B: number, cache: BidirectionalCache): CellState {
    const H = this.directionSize;
    const T = cache.lastT;
    const f = this.forwardCell.stateAt(T, B, cache.forward);
    const r = this.backwardCell.stateAt(T, B, cache.backward);
    const hasC = this.stateNames.includes('c');
    for (let b = 0; b < B; b++) {
      cache.finalH.set(f.h.subarray(b * H, (b + 1) * H), b * 2 * H);
      cache.finalH.set(r.h.subarray(b * H, (b + 1) * H), b * 2 * H + H);
      if (!hasC) continue;
      cache.finalC.set(f.c!.subarray(b * H, (b + 1) * H), b * 2 * H);
      cache.finalC.set(r.c!.subarray(b * H, (b + 1) * H), b * 2 * H + H);
    }
    const h = cache.finalH.subarray(0, B * 2 * H);
    return hasC ? { h, c: cache.finalC.subarray(0, B * 2 * H) } : { h };
  }

  backward(
    x: SequenceInput, T: number, B: number, cache: BidirectionalCache, dH: Float,
    dX: Float | null, dInit: CellState | null, mask?: StepMask, options: BackwardOptions = {},
  ): void {
    if (dInit) throw new OptionError('a bidirectional layer has no initial state to take a gradient of');
    if (!cache.reversed || cache.lastT !== T) throw new OptionError('bidirectional backward: run forward over the same T steps first');
    const H = this.directionSize;
    const D = this.inputSize;
    // ∂J/∂h→(t) = left half of ∂J/∂h(t); ∂J/∂h←, at reversed step s = T+1−t, the right half
    for (let t = 1; t <= T; t++) {
      const s = T + 1 - t;
      for (let b = 0; b < B; b++) {
        const o = ((t - 1) * B + b) * 2 * H;
        cache.dF.set(dH.subarray(o, o + H), ((t - 1) * B + b) * H);
        cache.dB.set(dH.subarray(o + H, o + 2 * H), ((s - 1) * B + b) * H);
      }
    }
    const reversedMask = mask ? cache.mask.subarray(0, T * B) : undefined;
    // the options both directions share; an encoder's gradient on its final C is split below
    const inner: BackwardOptions = {
      ...(options.truncate !== undefined ? { truncate: options.truncate } : {}),
      ...(options.gradientMode !== undefined ? { gradientMode: options.gradientMode } : {}),
    };
    let innerF: BackwardOptions & { dFinalC?: Float } = inner;
    let innerB: BackwardOptions & { dFinalC?: Float } = inner;
    const dFinalC = (options as { readonly dFinalC?: Float }).dFinalC;
    if (dFinalC) {
      // [∂J/∂C→(T) | ∂J/∂C←(1)] → each direction's gradient on its own final C
      for (let b = 0; b < B; b++) {
        cache.dFinalCF.set(dFinalC.subarray(b * 2 * H, b * 2 * H + H), b * H);
        cache.dFinalCB.set(dFinalC.subarray(b * 2 * H + H, (b + 1) * 2 * H), b * H);
      }
      innerF = { ...inner, dFinalC: cache.dFinalCF.subarray(0, B * H) };
      innerB = { ...inner, dFinalC: cache.dFinalCB.subarray(0, B * H) };
    }
    this.forwardCell.backward(x, T, B, cache.forward, cache.dF, dX, null, mask, innerF);
    this.backwardCell.backward(cache.reversed, T, B, cache.backward, cache.dB, dX ? cache.dXB : null, null, reversedMask, innerB);
    if (!dX) return;
    // ∂J/∂x(t) = ∂J/∂x(t) through h→ + ∂J/∂x←(T+1−t) through h←
    const n = B * D;
    for (let t = 1; t <= T; t++) {
      const o = (t - 1) * n;
      const r = (T - t) * n;
      for (let i = 0; i < n; i++) dX[o + i]! += cache.dXB[r + i]!;
    }
  }
}
