/**
 * BidirectionalCell (src/cells/bidirectional.ts) on its own, float64, for
 * every cell: its states, stateAt, finalState and backward against the two
 * one-way cells run by hand (the backward one on the time-reversed input
 * and mask), which is the layer's definition; the exact gradient, ∂J/∂x and
 * the dFinalC path against central differences; the options it passes on
 * (truncation, the lecture mode); its refusals, messages asserted whole.
 * A cache made for more steps than are run, dense and symbol input, a mask
 * with leading padding, a hole and trailing padding. Small and fast for
 * `npm run mutate -- cells`.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BidirectionalCell, type BidirectionalCache } from '../src/cells/bidirectional.js';
import type { BackwardOptions, Cell, CellKind, SequenceInput } from '../src/cells/cell.js';
import { cellType, type LayerConfig } from '../src/cells/registry.js';
import { OptionError } from '../src/core/errors.js';
import { jsKernels } from '../src/core/kernels.js';
import { ParamSet } from '../src/core/params.js';
import { Rng } from '../src/core/rng.js';

const D = 2;
const H = 2;
const T = 4;
const B = 3;
/** The cache holds more steps than are run. */
const CAPACITY = 6;
const V = 3; // symbols
/** T×B: sequence 0 ends after step 3, 1 is left-padded by one, 2 has a hole at step 2. */
const MASK = Uint8Array.from([
  1, 0, 1,
  1, 1, 0,
  1, 1, 1,
  0, 1, 1,
]);

interface Layer {
  bi: BidirectionalCell;
  fwd: Cell;
  bwd: Cell;
  params: ParamSet;
}

function layer(kind: CellKind, input: number, seed: number): Layer {
  const type = cellType(kind)!;
  const config = (prefix: string): LayerConfig => ({ inputSize: input, hiddenSize: H, bias: true, prefix, activation: 'tanh' });
  const params = new ParamSet([...type.paramSpecs(config('f.')), ...type.paramSpecs(config('b.'))], 'float64');
  const rng = new Rng(seed);
  for (let i = 0; i < params.size; i++) params.data[i] = rng.uniform(-1, 1);
  const fwd = type.create(config('f.'), params, jsKernels);
  const bwd = type.create(config('b.'), params, jsKernels);
  return { bi: new BidirectionalCell(fwd, bwd), fwd, bwd, params };
}

/** x(T+1−s) at step s: T×B×n values or T×B symbols. */
function reverseSteps<A extends Float64Array | Int32Array | Uint8Array>(a: A, n: number): A {
  const out = a.slice() as A;
  for (let s = 1; s <= T; s++) out.set(a.subarray((T - s) * B * n, (T - s + 1) * B * n), (s - 1) * B * n);
  return out;
}

function inputs(rng: Rng): { dense: SequenceInput; index: SequenceInput } {
  return {
    dense: { kind: 'dense', data: Float64Array.from({ length: T * B * D }, () => rng.uniform(-1, 1)) },
    index: { kind: 'index', data: Int32Array.from({ length: T * B }, (_, i) => (MASK[i] ? rng.int(V) : -1)) },
  };
}

function reversed(x: SequenceInput): SequenceInput {
  return x.kind === 'dense' ? { kind: 'dense', data: reverseSteps(x.data as Float64Array, D) } : { kind: 'index', data: reverseSteps(x.data, 1) };
}

/** The reference: each one-way cell over the whole sequence, own caches. */
/**
 * ∂J/∂[h→; h←] (T×B×2H, forward half first) split into the forward cell's
 * ∂J/∂h→ in time order and the backward cell's ∂J/∂h← in its own (reversed) order.
 */
function splitDirections(dH: Float64Array, T: number, B: number, H: number): { dF: Float64Array; dB: Float64Array } {
  const dF = new Float64Array(T * B * H);
  const dB = new Float64Array(T * B * H);
  for (let t = 1; t <= T; t++) {
    for (let b = 0; b < B; b++) {
      const o = ((t - 1) * B + b) * 2 * H;
      dF.set(dH.subarray(o, o + H), ((t - 1) * B + b) * H);
      dB.set(dH.subarray(o + H, o + 2 * H), ((T - t) * B + b) * H);
    }
  }
  return { dF, dB };
}

function oneWay(l: Layer, x: SequenceInput, mask: Uint8Array | undefined): { f: ReturnType<Cell['createCache']>; b: ReturnType<Cell['createCache']> } {
  const f = l.fwd.createCache(T, B);
  const b = l.bwd.createCache(T, B);
  l.fwd.forward(x, T, B, f, undefined, mask);
  l.bwd.forward(reversed(x), T, B, b, undefined, mask && reverseSteps(mask, 1));
  return { f, b };
}

const CASES: { kind: CellKind; input: 'dense' | 'index'; mask: boolean }[] = [];
for (const kind of ['rnn', 'lstm', 'gru'] as const) {
  for (const input of ['dense', 'index'] as const) for (const mask of [true, false]) CASES.push({ kind, input, mask });
}

for (const { kind, input, mask: withMask } of CASES) {
  const label = `${kind}, ${input} input, ${withMask ? 'masked' : 'no mask'}`;

  test(`${label}: h(t) = [h→(t) | h←(t)], stateAt and finalState read each direction's own steps`, () => {
    const l = layer(kind, input === 'dense' ? D : V, 7);
    const rng = new Rng(8);
    const x = inputs(rng)[input];
    const mask = withMask ? MASK : undefined;
    const cache = l.bi.createCache(CAPACITY, B);
    assert.equal(cache.capacityT, CAPACITY);
    assert.equal(cache.B, B);
    // a longer pass first: the T-step pass must not read its leftovers
    const long = { kind: 'index', data: Int32Array.from({ length: CAPACITY * B }, (_, i) => i % V) } as const;
    if (input === 'index') l.bi.forward(long, CAPACITY, B, cache);
    else l.bi.forward({ kind: 'dense', data: Float64Array.from({ length: CAPACITY * B * D }, () => rng.uniform(-2, 2)) }, CAPACITY, B, cache, undefined, new Uint8Array(CAPACITY * B).fill(1));
    cache.hs.fill(Number.NaN, 0, B * 2 * H);
    l.bi.forward(x, T, B, cache, undefined, mask);
    const ref = oneWay(l, x, mask);
    assert.equal(l.bi.hiddenSize, 2 * H);
    assert.equal(l.bi.directionSize, H);
    assert.equal(l.bi.inputSize, input === 'dense' ? D : V);
    assert.equal(l.bi.kind, kind);
    assert.deepEqual(l.bi.stateNames, kind === 'lstm' ? ['h', 'c'] : ['h']);
    const hasC = kind === 'lstm';
    const want = (t: number, name: 'h' | 'c'): number[] => {
      const out: number[] = [];
      const f = t >= 1 ? l.fwd.stateAt(t, B, ref.f)[name]! : new Float64Array(B * H);
      const r = t >= 1 ? l.bwd.stateAt(T + 1 - t, B, ref.b)[name]! : new Float64Array(B * H);
      for (let b = 0; b < B; b++) out.push(...f.subarray(b * H, (b + 1) * H), ...r.subarray(b * H, (b + 1) * H));
      return out;
    };
    for (let t = 0; t <= T; t++) {
      assert.deepEqual(Array.from(cache.hs.subarray(t * B * 2 * H, (t + 1) * B * 2 * H)), want(t, 'h'), `hs, t = ${t}`);
    }
    // stateAt, in an order where slot 0 comes after other steps have used the C buffer
    for (const t of [2, 1, T, 0, 3]) {
      const s = l.bi.stateAt(t, B, cache);
      assert.deepEqual(Array.from(s.h), want(t, 'h'), `stateAt(${t}).h`);
      if (hasC) assert.deepEqual(Array.from(s.c!), want(t, 'c'), `stateAt(${t}).c`);
      else assert.equal(s.c, undefined);
    }
    // finalState: [h→(T) | h←(1)], h←(1) being the backward cell's state after its step T
    const fin = l.bi.finalState(B, cache);
    const last = (name: 'h' | 'c'): number[] => {
      const out: number[] = [];
      const f = l.fwd.stateAt(T, B, ref.f)[name]!;
      const r = l.bwd.stateAt(T, B, ref.b)[name]!;
      for (let b = 0; b < B; b++) out.push(...f.subarray(b * H, (b + 1) * H), ...r.subarray(b * H, (b + 1) * H));
      return out;
    };
    assert.deepEqual(Array.from(fin.h), last('h'));
    if (hasC) assert.deepEqual(Array.from(fin.c!), last('c'));
    else assert.equal(fin.c, undefined);
  });

  test(`${label}: backward splits ∂J/∂h into the two directions and sums ∂J/∂x (exact, truncated, dFinalC)`, () => {
    const l = layer(kind, input === 'dense' ? D : V, 3);
    const rng = new Rng(4);
    const x = inputs(rng)[input];
    const mask = withMask ? MASK : undefined;
    const dH = Float64Array.from({ length: T * B * 2 * H }, () => rng.uniform(-1, 1));
    const dFinalC = Float64Array.from({ length: B * 2 * H }, () => rng.uniform(-1, 1));
    const optionSets: (BackwardOptions & { dFinalC?: Float64Array })[] = [{}, { truncate: 2 }, { gradientMode: 'exact' }];
    // a dFinalC longer than B×2H (a buffer made for a larger batch): its first B×2H values are read, as the LSTM cell reads the first B×H of its own
    const longer = Float64Array.from([...dFinalC, ...new Array<number>(2 * H).fill(0.5)]);
    if (kind === 'lstm') optionSets.push({ dFinalC }, { truncate: 1, dFinalC }, { dFinalC: longer });
    for (const options of optionSets) {
      const what = `${label}, options ${JSON.stringify(Object.keys(options))} truncate ${options.truncate}`;
      // the reference, by hand
      const ref = oneWay(l, x, mask);
      const { dF, dB } = splitDirections(dH, T, B, H);
      const inner = (half: 0 | 1): BackwardOptions & { dFinalC?: Float64Array } => {
        const o: BackwardOptions & { dFinalC?: Float64Array } = { ...(options.truncate !== undefined ? { truncate: options.truncate } : {}) };
        if (options.dFinalC) {
          const c = new Float64Array(B * H);
          for (let b = 0; b < B; b++) c.set(options.dFinalC.subarray(b * 2 * H + half * H, b * 2 * H + (half + 1) * H), b * H);
          o.dFinalC = c;
        }
        return o;
      };
      const dense = input === 'dense';
      const dXF = dense ? new Float64Array(T * B * D) : null;
      const dXR = dense ? new Float64Array(T * B * D) : null;
      l.params.zeroGrad();
      l.fwd.backward(x, T, B, ref.f, dF, dXF, null, mask, inner(0));
      l.bwd.backward(reversed(x), T, B, ref.b, dB, dXR, null, mask && reverseSteps(mask, 1), inner(1));
      const wantGrad = Float64Array.from(l.params.grad);
      assert.ok(wantGrad.some((v) => Math.abs(v) > 1e-3), what);
      let wantDX: Float64Array | null = null;
      if (dense) {
        wantDX = Float64Array.from(dXF!);
        const back = reverseSteps(dXR!, D);
        for (let i = 0; i < wantDX.length; i++) wantDX[i]! += back[i]!;
      }
      // the layer, on a cache made for more steps, twice (gradients are added)
      const cache = l.bi.createCache(CAPACITY, B);
      l.bi.forward(x, T, B, cache, undefined, mask);
      l.params.zeroGrad();
      const dX = dense ? new Float64Array(T * B * D).fill(Number.NaN) : null;
      l.bi.backward(x, T, B, cache, Float64Array.from(dH), dX, null, mask, options);
      assert.deepEqual(Array.from(l.params.grad), Array.from(wantGrad), `${what}: ∂J/∂θ`);
      if (dense) assert.deepEqual(Array.from(dX!), Array.from(wantDX!), `${what}: ∂J/∂x`);
      l.bi.backward(x, T, B, cache, Float64Array.from(dH), null, null, mask, options);
      wantGrad.forEach((v, i) => assert.ok(Math.abs(l.params.grad[i]! - 2 * v) < 1e-12, `${what}: second call adds`));
    }
  });
}

/** J = Σ dH·h(1..T) (+ Σ dFinalC·[C→(T) | C←(1)] for the LSTM), by a forward pass. */
function objective(l: Layer, x: SequenceInput, cache: BidirectionalCache, dH: Float64Array, dFinalC: Float64Array | null): number {
  l.bi.forward(x, T, B, cache, undefined, MASK);
  let J = 0;
  for (let i = 0; i < dH.length; i++) J += dH[i]! * cache.hs[B * 2 * H + i]!;
  if (dFinalC) {
    const c = l.bi.finalState(B, cache).c!;
    for (let i = 0; i < dFinalC.length; i++) J += dFinalC[i]! * c[i]!;
  }
  return J;
}

for (const kind of ['rnn', 'lstm', 'gru'] as const) {
  test(`${kind}: the layer's ∂J/∂θ and ∂J/∂x match central differences (masked, dense${kind === 'lstm' ? ', dFinalC' : ''})`, () => {
    const l = layer(kind, D, 5);
    const rng = new Rng(6);
    const x = inputs(rng).dense;
    const xs = x.data as Float64Array;
    const dH = Float64Array.from({ length: T * B * 2 * H }, () => rng.uniform(-1, 1));
    const dFinalC = kind === 'lstm' ? Float64Array.from({ length: B * 2 * H }, () => rng.uniform(-1, 1)) : null;
    const cache = l.bi.createCache(T, B);
    l.bi.forward(x, T, B, cache, undefined, MASK);
    l.params.zeroGrad();
    const dX = new Float64Array(T * B * D);
    l.bi.backward(x, T, B, cache, Float64Array.from(dH), dX, null, MASK, dFinalC ? ({ dFinalC } as BackwardOptions) : {});
    const grad = Float64Array.from(l.params.grad);
    const eps = 1e-6;
    const central = (a: Float64Array, i: number): number => {
      const keep = a[i]!;
      a[i] = keep + eps;
      const up = objective(l, x, cache, dH, dFinalC);
      a[i] = keep - eps;
      const down = objective(l, x, cache, dH, dFinalC);
      a[i] = keep;
      return (up - down) / (2 * eps);
    };
    for (let i = 0; i < l.params.size; i++) {
      const n = central(l.params.data as Float64Array, i);
      assert.ok(Math.abs(n - grad[i]!) < 1e-7 * Math.max(1, Math.abs(n)), `${kind} θ[${i}]: ${grad[i]} vs ${n}`);
    }
    for (let i = 0; i < xs.length; i++) {
      const n = central(xs, i);
      assert.ok(Math.abs(n - dX[i]!) < 1e-7 * Math.max(1, Math.abs(n)), `${kind} x[${i}]: ${dX[i]} vs ${n}`);
    }
    // x of a masked (t, b) has no effect; elsewhere it has
    assert.equal(dX.subarray(3 * B * D, 3 * B * D + D).every((v) => v === 0), true);
    assert.ok(dX.some((v) => Math.abs(v) > 1e-3));
  });
}

test('rnn: the lecture gradient mode reaches both directions', () => {
  const l = layer('rnn', D, 9);
  const rng = new Rng(10);
  const x = inputs(rng).dense;
  const dH = Float64Array.from({ length: T * B * 2 * H }, () => rng.uniform(-1, 1));
  const run = (gradientMode: 'exact' | 'lecture'): Float64Array => {
    const cache = l.bi.createCache(T, B);
    l.bi.forward(x, T, B, cache);
    l.params.zeroGrad();
    l.bi.backward(x, T, B, cache, Float64Array.from(dH), null, null, undefined, { gradientMode });
    return Float64Array.from(l.params.grad);
  };
  const exact = run('exact');
  const lecture = run('lecture');
  // the reference: each direction in lecture mode by hand
  const ref = oneWay(l, x, undefined);
  const { dF, dB } = splitDirections(dH, T, B, H);
  l.params.zeroGrad();
  l.fwd.backward(x, T, B, ref.f, dF, null, null, undefined, { gradientMode: 'lecture' });
  l.bwd.backward(reversed(x), T, B, ref.b, dB, null, null, undefined, { gradientMode: 'lecture' });
  assert.deepEqual(Array.from(lecture), Array.from(l.params.grad));
  // and it is not the exact gradient, in either direction's parameters
  const half = l.params.size / 2;
  assert.ok(exact.subarray(0, half).some((v, i) => Math.abs(v - lecture[i]!) > 1e-6));
  assert.ok(exact.subarray(half).some((v, i) => Math.abs(v - lecture[half + i]!) > 1e-6));
});

test('the layer refuses mismatched cells, an initial state, step-by-step use and a backward without its forward, each with its message', () => {
  const mismatch = 'a bidirectional layer needs two cells of the same kind and sizes';
  const rnn = layer('rnn', D, 1);
  const gru = layer('gru', D, 1);
  const wider = layer('rnn', D + 1, 1);
  const type = cellType('rnn')!;
  const tallParams = new ParamSet(type.paramSpecs({ inputSize: D, hiddenSize: H + 1, bias: true, prefix: '', activation: 'tanh' }), 'float64');
  const tall = type.create({ inputSize: D, hiddenSize: H + 1, bias: true, prefix: '', activation: 'tanh' }, tallParams, jsKernels);
  for (const other of [gru.bwd, wider.bwd, tall]) {
    assert.throws(() => new BidirectionalCell(rnn.fwd, other), (e: unknown) => e instanceof OptionError && e.message === mismatch);
  }
  const bi = rnn.bi;
  const cache = bi.createCache(T, B);
  const x: SequenceInput = { kind: 'dense', data: new Float64Array(T * B * D) };
  const dH = new Float64Array(T * B * 2 * H);
  assert.throws(() => bi.backward(x, T, B, cache, dH, null, null),
    (e: unknown) => e instanceof OptionError && e.message === 'bidirectional backward: run forward over the same T steps first');
  assert.throws(() => bi.forward(x, T, B, cache, { h: new Float64Array(B * 2 * H) }),
    (e: unknown) => e instanceof OptionError && e.message === 'a bidirectional layer starts both directions from zero; an initial state (batch.init) cannot be given');
  const stepwise = 'a bidirectional layer reads the whole sequence before its first output; it cannot run step by step (generation, argmax feedback)';
  assert.throws(() => bi.forwardStep(), (e: unknown) => e instanceof OptionError && e.message === stepwise);
  assert.throws(() => bi.beginSequence(), (e: unknown) => e instanceof OptionError && e.message === stepwise);
  bi.forward(x, T, B, cache);
  assert.throws(() => bi.backward(x, T - 1, B, cache, dH, null, null),
    (e: unknown) => e instanceof OptionError && e.message === 'bidirectional backward: run forward over the same T steps first');
  assert.throws(() => bi.backward(x, T, B, cache, dH, null, { h: new Float64Array(B * 2 * H) }),
    (e: unknown) => e instanceof OptionError && e.message === 'a bidirectional layer has no initial state to take a gradient of');
  assert.doesNotThrow(() => bi.backward(x, T, B, cache, dH, null, null));
  // the lecture mode is passed on: the LSTM refuses it
  const lstm = layer('lstm', D, 1);
  const lc = lstm.bi.createCache(T, B);
  lstm.bi.forward(x, T, B, lc);
  assert.throws(() => lstm.bi.backward(x, T, B, lc, dH, null, null, undefined, { gradientMode: 'lecture' }),
    (e: unknown) => e instanceof OptionError && e.message === 'gradientMode "lecture" is defined only for the RNN; use "exact" for the LSTM');
});
