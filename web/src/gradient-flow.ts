/**
 * How far back in time a gradient reaches: ‖∂J/∂h(T−k)‖ for k = 1..T
 * steps back, with the loss only at the last step (many-to-one), computed
 * with the library itself.
 *
 * Method: one forward pass over x(1..T) gives every state h(t) (and C(t)).
 * For each k, the network is run again over the last k steps only, starting
 * from the stored state h(T−k) as its initial state, and
 * `gradient(…, { initGradient: true })` returns ∂J/∂(initial state) =
 * ∂J/∂h(T−k) exactly (and ∂J/∂C(T−k) for the LSTM). With truncation τ the
 * same call with `truncate: τ` returns what truncated BPTT lets through —
 * exactly 0 beyond τ steps. Clipping rescales the whole parameter gradient
 * by min(1, c/‖∂J/∂θ‖); it shrinks every term equally and cannot restore a
 * vanished one.
 */

import { Rng } from '../../src/core/rng.js';
import type { CellKind, CellState } from '../../src/cells/cell.js';
import { Network, type SequenceBatch } from '../../src/model/network.js';

export interface FlowOptions {
  readonly cell: CellKind;
  /** Sequence length T. */
  readonly T: number;
  readonly hiddenSize: number;
  /** Symbols in and out (D = K). */
  readonly vocabSize: number;
  readonly seed: number;
  /** RNN only: the recurrent W (orthogonal at initialisation) is multiplied by this. */
  readonly rnnGain: number;
  /** RNN only: g_h. */
  readonly rnnActivation: 'tanh' | 'linear';
  /**
   * The bias of the gate that keeps the old state: the LSTM's forget gate
   * b_f (initialised to 1 by the library) and the GRU's update gate b_z
   * (initialised to 0). Undefined keeps the initialisation.
   */
  readonly keepGateBias?: number;
  /** Truncation τ in steps; undefined = exact BPTT. */
  readonly truncate?: number;
  /** Global-norm clipping threshold; undefined = no clipping. */
  readonly clip?: number;
}

export interface FlowResult {
  /** norms[k−1] = ‖∂J/∂h(T−k)‖, k = 1..T. */
  readonly dh: number[];
  /** LSTM only: ‖∂J/∂C(T−k)‖. */
  readonly dc: number[] | null;
  /** ‖∂J/∂θ‖ over all parameters for the whole sequence (with the truncation). */
  readonly paramNorm: number;
  /** min(1, clip/‖∂J/∂θ‖), 1 without clipping. */
  readonly clipFactor: number;
}

function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

/** Runs the experiment for one cell type; see the module comment. */
export function gradientFlow(o: FlowOptions): FlowResult {
  const net = new Network({
    cell: o.cell, inputSize: o.vocabSize, hiddenSize: o.hiddenSize, outputSize: o.vocabSize, loss: 'cross-entropy',
    dtype: 'float64', seed: o.seed, ...(o.cell === 'rnn' ? { hiddenActivation: o.rnnActivation } : {}),
  });
  if (o.cell === 'rnn') {
    const W = net.params.view('layer0.W');
    for (let i = 0; i < W.length; i++) W[i]! *= o.rnnGain;
  }
  if (o.cell !== 'rnn' && o.keepGateBias !== undefined && net.params.has('layer0.b')) {
    // the first H columns of b: the LSTM's forget block [f | i | o | C], the GRU's update block [z | r | n]
    net.params.view('layer0.b').fill(o.keepGateBias, 0, o.hiddenSize);
  }
  const rng = new Rng(o.seed + 7);
  const T = o.T;
  const x = Int32Array.from({ length: T }, () => rng.int(o.vocabSize));
  const target = rng.int(o.vocabSize);
  const backward = o.truncate !== undefined ? { truncate: o.truncate } : {};

  // The whole sequence: every state, and ‖∂J/∂θ‖.
  const y = new Int32Array(T).fill(-1);
  y[T - 1] = target; // loss at the last step only: J = J(T)
  const full: SequenceBatch = { T, B: 1, x: { kind: 'index', data: x }, y: { kind: 'index', data: y } };
  net.params.zeroGrad();
  net.gradient(full, backward);
  const paramNorm = norm(net.params.grad);
  const states: CellState[][] = [];
  for (let t = 0; t <= T; t++) states.push(net.stateAt(t, 1).map((s) => (s.c ? { h: s.h.slice(), c: s.c.slice() } : { h: s.h.slice() })));

  const dh: number[] = [];
  const dc: number[] | null = net.layers[0]!.stateNames.includes('c') ? [] : null;
  for (let k = 1; k <= T; k++) {
    // the last k steps, from h(T−k): ∂J/∂(initial state) = ∂J/∂h(T−k)
    const yk = new Int32Array(k).fill(-1);
    yk[k - 1] = target;
    const batch: SequenceBatch = {
      T: k, B: 1, x: { kind: 'index', data: x.subarray(T - k) }, y: { kind: 'index', data: yk }, init: states[T - k]!,
    };
    net.params.zeroGrad();
    const r = net.gradient(batch, { ...backward, initGradient: true });
    const g = r.initGradient![0]!;
    dh.push(norm(g.h));
    if (dc) dc.push(g.c ? norm(g.c) : 0);
  }
  const clipFactor = o.clip !== undefined && paramNorm > o.clip ? o.clip / paramNorm : 1;
  return { dh, dc, paramNorm, clipFactor };
}
