/**
 * Helpers for the cell tests: central differences of the loss, and a
 * brute-force truncated-BPTT gradient built without any backward code.
 */

import type { CellState } from '../../src/cells/cell.js';
import { numericGradient as centralDifferences, relativeError as normRelativeError } from '../../src/model/gradcheck.js';
import { Network, type SequenceBatch } from '../../src/model/network.js';

/** ∂(Σ loss)/∂θ for every parameter element by central differences (float64 network). */
export function numericGradient(net: Network, batches: readonly SequenceBatch[], eps = 1e-6): Float64Array {
  return centralDifferences(net.params.data, () => batches.reduce((s, b) => s + net.loss(b).loss, 0), eps);
}

/** ‖a − b‖ / (‖a‖ + ‖b‖), the norm-wise relative error used by gradientCheck. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return normRelativeError(a, b, 1e-300);
}

/**
 * The truncated gradient by brute force, for a ONE-layer network and a batch
 * with symbol targets (so that a target of −1 switches a step's loss off).
 *
 * Definition (the semantics of `truncate: k`): the gradient entering the
 * layer at step t is carried back through steps t, t−1, …, t−k+1 only.
 * Equivalently, with J(t) the loss at step t,
 *
 *   g_k = Σ_t ∂J(t)/∂θ  with the state after step t−k held constant,
 *
 * i.e. the state is "detached" k steps before each source. Built here as:
 * for each t, re-run steps t−k'+1..t (k' = min(k, t)) starting from the full
 * run's state after step t−k' as a fixed initial state, with a loss at the
 * last step only, and differentiate that short run by central differences.
 * No backward pass of any cell is used. When t ≤ k the re-run starts from
 * the real initial state, so nothing is cut.
 */
export function bruteForceTruncated(net: Network, batch: SequenceBatch, k: number, eps = 1e-6): Float64Array {
  const { T, B } = batch;
  const D = net.config.inputSize;
  if (batch.x.kind !== 'dense' || batch.y.kind !== 'index') throw new Error('bruteForceTruncated needs dense x and index targets');
  if (net.layers.length !== 1) throw new Error('bruteForceTruncated handles one layer');
  net.forward(batch);
  // The full run's states after steps 0..T, copied (stateAt gives views).
  const states: CellState[] = [];
  for (let s = 0; s <= T; s++) {
    const st = net.stateAt(s, B)[0]!;
    states.push(st.c ? { h: st.h.slice(), c: st.c.slice() } : { h: st.h.slice() });
  }
  const subs: SequenceBatch[] = [];
  for (let t = 1; t <= T; t++) {
    const steps = Math.min(k, t);
    const s0 = t - steps;
    const y = new Int32Array(steps * B).fill(-1);
    y.set(batch.y.data.subarray((t - 1) * B, t * B), (steps - 1) * B);
    subs.push({
      T: steps,
      B,
      x: { kind: 'dense', data: batch.x.data.slice(s0 * B * D, t * B * D) },
      y: { kind: 'index', data: y },
      ...(batch.mask ? { mask: batch.mask.slice(s0 * B, t * B) } : {}),
      init: [states[s0]!],
    });
  }
  return numericGradient(net, subs, eps);
}

/** ∂(loss)/∂(initial state) of every layer by central differences; perturbs `batch.init` in place and restores it. */
export function numericInitGradient(net: Network, batch: SequenceBatch, eps = 1e-6): { h: number[]; c?: number[] }[] {
  if (!batch.init) throw new Error('numericInitGradient needs batch.init');
  const diff = (v: Float64Array | Float32Array): number[] => Array.from(centralDifferences(v, () => net.loss(batch).loss, eps));
  return batch.init.map((s) => (s.c ? { h: diff(s.h), c: diff(s.c) } : { h: diff(s.h) }));
}

/**
 * The truncated gradient of a STACK of L ≥ 1 layers (any cell, masks
 * allowed) by brute force, with dense x and dense targets (squared error,
 * linear output).
 *
 * Definition (the semantics of `truncate: k` in every layer): a gradient
 * that enters layer l at step s — from the loss when l is the top layer,
 * from the layer above through its input x_l(s) = h_{l−1}(s) otherwise — is
 * carried back through steps s, s−1, …, s−k+1 of layer l only. So for a
 * stack the cut is NOT one "state held constant k steps before each loss":
 * each entry point into each layer has its own window.
 *
 * Built without any backward code, from forward passes only:
 * - one full forward pass records every layer's states S_l(0..T) and inputs;
 * - source t: a = ∂J(t)/∂h_L(t) by central differences of the output layer
 *   alone (J(t) = Σ over valid sequences of Σ_j (y − h·V − b_o)²);
 * - enter(l, s, a): re-run layer l alone (a one-layer network holding a copy
 *   of layer l's parameters) over steps s−k'+1..s, k' = min(k, s), from the
 *   recorded state S_l(s−k') held fixed, with the recorded inputs; f = a·h(s).
 *   ∂f/∂θ_l by central differences is added to the gradient, and for l > 0,
 *   ∂f/∂x_l(r) (again by central differences) enters layer l−1 at each r of
 *   the window.
 * V and b_o are not recurrent: their gradient is the plain finite-difference
 * gradient of the whole loss.
 */
export function bruteForceTruncatedStack(net: Network, batch: SequenceBatch, k: number, eps = 1e-6): Float64Array {
  const { T, B, mask } = batch;
  const { inputSize: D, hiddenSize: H, outputSize: K, layers: L } = net.config;
  if (batch.x.kind !== 'dense' || batch.y.kind !== 'dense') throw new Error('bruteForceTruncatedStack needs dense x and dense targets');
  if (net.config.loss !== 'mse' || net.config.outputActivation !== 'linear') throw new Error('bruteForceTruncatedStack needs squared error with a linear output');
  if (batch.init || batch.lossAt === 'last' || batch.weights || batch.feedback === 'argmax') throw new Error('bruteForceTruncatedStack handles plain many-to-many batches');
  const x = batch.x.data;
  const y = batch.y.data;
  const grad = new Float64Array(net.params.size);

  // The full forward pass: states S_l(s) and layer inputs (copies).
  net.forward(batch);
  const states: CellState[][] = [];
  for (let l = 0; l < L; l++) {
    states.push([]);
    for (let s = 0; s <= T; s++) {
      const st = net.stateAt(s, B)[l]!;
      states[l]!.push(st.c ? { h: Float64Array.from(st.h), c: Float64Array.from(st.c) } : { h: Float64Array.from(st.h) });
    }
  }
  const inputOf = (l: number, s: number): Float64Array => (l === 0 ? Float64Array.from(x.subarray((s - 1) * B * D, s * B * D)) : states[l - 1]![s]!.h as Float64Array);

  // One single-layer network per layer, holding a copy of that layer's parameters.
  const prefix = (l: number): string => `layer${l}.`;
  const subs = Array.from({ length: L }, (_, l) => {
    const sub = new Network({
      cell: net.config.cell, inputSize: l === 0 ? D : H, hiddenSize: H, outputSize: 1, layers: 1,
      hiddenActivation: net.config.hiddenActivation, bias: net.config.bias, dtype: 'float64',
      ...(net.config.variant !== undefined ? { variant: net.config.variant } : {}),
    });
    // (offset in sub, offset in net) of every parameter element of layer l
    const pairs: [number, number][] = [];
    for (const e of net.params.entries) {
      if (!e.name.startsWith(prefix(l))) continue;
      const se = sub.params.entry(`layer0.${e.name.slice(prefix(l).length)}`);
      if (se.size !== e.size) throw new Error(`layer ${l}: ${e.name} has ${e.size} values, its copy ${se.size}`);
      for (let i = 0; i < e.size; i++) {
        sub.params.data[se.offset + i] = net.params.data[e.offset + i]!;
        pairs.push([se.offset + i, e.offset + i]);
      }
    }
    return { sub, pairs };
  });

  /** a·h(s) of layer l re-run over steps s0+1..s from S_l(s0), with inputs xs (steps × B × width). */
  const windowValue = (l: number, s0: number, steps: number, xs: Float64Array, a: Float64Array): number => {
    const { sub } = subs[l]!;
    sub.forward({
      T: steps, B,
      x: { kind: 'dense', data: xs },
      y: { kind: 'dense', data: new Float64Array(steps * B) },
      ...(mask ? { mask: mask.slice(s0 * B, (s0 + steps) * B) } : {}),
      init: [states[l]![s0]!],
    });
    const h = sub.stateAt(steps, B)[0]!.h;
    let f = 0;
    for (let i = 0; i < B * H; i++) f += a[i]! * h[i]!;
    return f;
  };

  const central = (v: Float64Array, i: number, f: () => number): number => {
    const keep = v[i]!;
    v[i] = keep + eps;
    const plus = f();
    v[i] = keep - eps;
    const minus = f();
    v[i] = keep;
    return (plus - minus) / (2 * eps);
  };

  const enter = (l: number, s: number, a: Float64Array): void => {
    const steps = Math.min(k, s);
    const s0 = s - steps;
    const width = l === 0 ? D : H;
    const xs = new Float64Array(steps * B * width);
    for (let r = 1; r <= steps; r++) xs.set(inputOf(l, s0 + r), (r - 1) * B * width);
    const f = (): number => windowValue(l, s0, steps, xs, a);
    const { sub, pairs } = subs[l]!;
    const theta = sub.params.data as Float64Array;
    for (const [si, ni] of pairs) grad[ni]! += central(theta, si, f);
    if (l === 0) return;
    const dx = new Float64Array(xs.length);
    for (let i = 0; i < xs.length; i++) dx[i] = central(xs, i, f);
    for (let r = 1; r <= steps; r++) enter(l - 1, s0 + r, dx.subarray((r - 1) * B * H, r * B * H));
  };

  // Sources: J(t) of the valid sequences at step t, through the output layer.
  const V = net.params.view('V');
  const bo = net.config.bias ? net.params.view('b_o') : null;
  for (let t = 1; t <= T; t++) {
    const h = Float64Array.from(states[L - 1]![t]!.h);
    const Jt = (): number => {
      let J = 0;
      for (let b = 0; b < B; b++) {
        if (mask && !mask[(t - 1) * B + b]) continue;
        for (let j = 0; j < K; j++) {
          let o = bo ? bo[j]! : 0;
          for (let i = 0; i < H; i++) o += h[b * H + i]! * V[i * K + j]!;
          J += (y[((t - 1) * B + b) * K + j]! - o) ** 2;
        }
      }
      return J;
    };
    const a = new Float64Array(B * H);
    for (let i = 0; i < B * H; i++) a[i] = central(h, i, Jt);
    enter(L - 1, t, a);
  }

  // V and b_o: the exact gradient, by central differences of the whole loss.
  const full = numericGradient(net, [batch], eps);
  for (const name of bo ? ['V', 'b_o'] : ['V']) {
    const e = net.params.entry(name);
    grad.set(full.subarray(e.offset, e.offset + e.size), e.offset);
  }
  return grad;
}
