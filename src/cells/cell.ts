/**
 * What every recurrent cell (RNN, LSTM, GRU) provides to the network that
 * unrolls it. A cell owns no buffers of its own: per-shape work buffers live
 * in a cache made by {@link Cell.createCache}, allocated once per (T, B)
 * and reused, never inside the time-step loop.
 *
 * Layout conventions (row-major, batch-major):
 * - an input sequence is T×B×D: step t (1-based in the maths, 0-based in
 *   code) is the contiguous B×D block at offset (t−1)·B·D;
 * - a state sequence is (T+1)×B×H with slot 0 holding h(0), so h(t−1) and
 *   h(t) are neighbouring blocks and h(0..T−1) is one contiguous matrix.
 */

import type { Kernels } from '../core/kernels.js';
import type { ParamSet, ParamSpec } from '../core/params.js';
import type { Float } from '../core/tensor.js';

/** The cell types `rnnkit` provides. */
export const CELL_KINDS = ['rnn', 'lstm', 'gru'] as const;
export type CellKind = (typeof CELL_KINDS)[number];

/**
 * A layer's input for T steps of B sequences: dense values (T×B×D), or
 * symbol indices (T×B) standing for one-hot vectors, which the first layer
 * turns into a row gather instead of a matrix product. Index −1 is the zero
 * vector.
 */
export type SequenceInput =
  | { readonly kind: 'dense'; readonly data: Float }
  | { readonly kind: 'index'; readonly data: Int32Array };

/**
 * Validity of each (t, b): 1 where sequence b has a real step t, 0 where it
 * has ended (padding). A masked step leaves the state unchanged and passes
 * the gradient through untouched. T×B; absent means all valid.
 */
export type StepMask = Uint8Array;

/** How BPTT runs. */
export interface BackwardOptions {
  /**
   * Truncation: the gradient entering a layer at step t (from the loss or the
   * layer above) is carried back at most this many steps (t, t−1, …,
   * t−k+1). Infinity (default) is exact BPTT.
   */
  readonly truncate?: number;
  /**
   * `"exact"` (default) is the true gradient. `"lecture"` computes the
   * lecture slides' formulas (docs/maths.md §5), which are NOT the gradient of J;
   * only the single-layer RNN supports it.
   */
  readonly gradientMode?: 'exact' | 'lecture';
}

/** The recurrent state of B sequences: h (B×H), and C (B×H) for the LSTM. */
export interface CellState {
  readonly h: Float;
  readonly c?: Float;
}

/** Per-shape buffers a cell keeps between its forward and backward pass. */
export interface CellCache {
  /** Steps the buffers can hold. */
  readonly capacityT: number;
  /** Batch size the buffers were made for. */
  readonly B: number;
  /** h(0..T) as (T+1)×B×H; slot 0 is the initial state. */
  readonly hs: Float;
}

/** A recurrent cell: its parameters, and its forward and backward pass over a sequence. */
export interface Cell<C extends CellCache = CellCache> {
  readonly kind: CellKind;
  /** Input width D. */
  readonly inputSize: number;
  /** Hidden width H. */
  readonly hiddenSize: number;
  /** Names of the state vectors: `["h"]`, or `["h", "c"]` for the LSTM. */
  readonly stateNames: readonly ('h' | 'c')[];

  /** Work buffers for up to T steps of B sequences. */
  createCache(T: number, B: number): C;

  /**
   * Forward pass over steps 1..T. `init` gives h(0) (and C(0)); absent means
   * zeros. After it, `cache.hs` holds h(0..T) and the cache holds whatever
   * the backward pass needs.
   */
  forward(x: SequenceInput, T: number, B: number, cache: C, init?: CellState, mask?: StepMask): void;

  /**
   * Forward pass of step t alone (1-based), for generation, where x(t)
   * depends on the output at t−1. Steps must be taken in order from 1, after
   * {@link beginSequence}. `x` holds at least t steps.
   */
  forwardStep(x: SequenceInput, t: number, B: number, cache: C, mask?: StepMask): void;

  /** Sets the initial state before {@link forwardStep} (zeros when absent). */
  beginSequence(B: number, cache: C, init?: CellState): void;

  /** The state after step t (views into the cache, valid until the next forward). */
  stateAt(t: number, B: number, cache: C): CellState;

  /**
   * BPTT over steps T..1. `dH` (T×B×H) holds ∂J/∂h(t) arriving from above
   * (the output layer or the next layer); it may be overwritten. Parameter
   * gradients are ADDED to the parameter set's gradient buffer. When `dX`
   * (T×B×D) is given it receives ∂J/∂x(t) (for the layer below); when
   * `dInit` is given it receives ∂J/∂h(0) (and ∂J/∂C(0)).
   */
  backward(
    x: SequenceInput, T: number, B: number, cache: C, dH: Float,
    dX: Float | null, dInit: CellState | null, mask?: StepMask, options?: BackwardOptions,
  ): void;
}

/** Everything a cell constructor needs. */
export interface CellConfig {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  /** Prefix of this layer's parameter names, e.g. `"layer0."`. */
  readonly prefix: string;
  readonly kernels: Kernels;
}

/** A cell class's static side: its parameter declarations. */
export type ParamSpecsOf = (config: Omit<CellConfig, 'kernels'>) => ParamSpec[];

/** Binds a cell to its parameters in a model's {@link ParamSet}. */
export type CellFactory = (config: CellConfig, params: ParamSet) => Cell;
