/**
 * Introspection (src/cells/inspect.ts): stateStats against hand-counted
 * values at and just beyond the saturation limits, over the first `count`
 * values only; copyGateBlocks on a gate buffer whose every value names its
 * place; isGatedCell; traceLayer of every cell against the cell's own
 * states and gates, step by step, in float64 and float32, on a cache made
 * for more steps than were run. Small and fast for `npm run mutate -- cells`.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Cell, CellKind } from '../src/cells/cell.js';
import { copyGateBlocks, isGatedCell, SATURATION, stateStats, traceLayer } from '../src/cells/inspect.js';
import { cellType } from '../src/cells/registry.js';
import { jsKernels } from '../src/core/kernels.js';
import { ParamSet } from '../src/core/params.js';
import { Rng } from '../src/core/rng.js';
import type { DType } from '../src/core/tensor.js';

test('stateStats of C: |C| beyond atanh 0.99 counts as saturated, at it does not; only the first count values', () => {
  const limit = Math.atanh(SATURATION);
  assert.equal(SATURATION, 0.99);
  // the largest |C| is neither first nor last; the values after count would change every figure
  const c = Float64Array.from([0.5, -(limit + 1e-9), limit, -3, 1, 0.99 + 1e-9, 100, -100]);
  const s = stateStats(c, 'c', 6);
  assert.equal(s.of, 'c');
  assert.equal(s.maxAbs, 3);
  assert.ok(Math.abs(s.meanAbs - (0.5 + limit + 1e-9 + limit + 3 + 1 + 0.99 + 1e-9) / 6) < 1e-15);
  assert.equal(s.saturated, 2 / 6); // −(limit + 1e-9) and −3; limit itself is not beyond it
  // the default count is every value
  const all = stateStats(c, 'c');
  assert.equal(all.maxAbs, 100);
  assert.equal(all.saturated, 4 / 8);
  assert.ok(Math.abs(all.meanAbs - (0.5 + limit + 1e-9 + limit + 3 + 1 + 0.99 + 1e-9 + 200) / 8) < 1e-13);
});

test('stateStats of h: |h| beyond 0.99 counts as saturated, at it does not', () => {
  const h = Float64Array.from([0.2, 0.99, -0.995, 0.5, 0.999]);
  const s = stateStats(h, 'h');
  assert.equal(s.of, 'h');
  assert.equal(s.saturated, 2 / 5);
  assert.equal(s.maxAbs, 0.999);
  assert.ok(Math.abs(s.meanAbs - (0.2 + 0.99 + 0.995 + 0.5 + 0.999) / 5) < 1e-15);
  // the same values measured as C are far from saturation
  assert.equal(stateStats(h, 'c').saturated, 0);
  // nothing to measure: zeros, not NaN
  assert.deepEqual(stateStats(Float64Array.from([5, 5]), 'h', 0), { of: 'h', meanAbs: 0, maxAbs: 0, saturated: 0 });
  assert.deepEqual(stateStats(new Float64Array(0), 'c'), { of: 'c', meanAbs: 0, maxAbs: 0, saturated: 0 });
});

test('copyGateBlocks: block q of each row at step t becomes row b of out[names[q]], in the gates\' dtype', () => {
  const [T, B, H] = [3, 2, 2];
  const names = ['a', 'b', 'c'];
  const G = names.length * H;
  for (const Ctor of [Float64Array, Float32Array]) {
    // value = 1000·t + 100·b + 10·q + j: each names its place
    const gates = new Ctor(T * B * G);
    for (let t = 1; t <= T; t++) for (let b = 0; b < B; b++) for (let q = 0; q < 3; q++) for (let j = 0; j < H; j++) gates[(t - 1) * B * G + b * G + q * H + j] = 1000 * t + 100 * b + 10 * q + j;
    const out: Record<string, Float32Array | Float64Array> = {};
    copyGateBlocks(gates, names, 2, B, H, out);
    assert.deepEqual(Object.keys(out), names);
    names.forEach((name, q) => {
      assert.ok(out[name] instanceof Ctor, name);
      assert.deepEqual(Array.from(out[name]!), [2000 + 10 * q, 2001 + 10 * q, 2100 + 10 * q, 2101 + 10 * q], name);
    });
  }
});

test('isGatedCell: the LSTM and the GRU report gates, the RNN does not; both members are needed', () => {
  const cell = (kind: CellKind): Cell => {
    const config = { inputSize: 2, hiddenSize: 2, bias: true, prefix: '', activation: 'tanh' as const };
    const type = cellType(kind)!;
    return type.create(config, new ParamSet(type.paramSpecs(config), 'float64'), jsKernels);
  };
  assert.equal(isGatedCell(cell('rnn')), false);
  assert.equal(isGatedCell(cell('lstm')), true);
  assert.equal(isGatedCell(cell('gru')), true);
  const rnn = cell('rnn');
  assert.equal(isGatedCell(Object.assign(Object.create(rnn) as Cell, { gates: () => ({}) })), false, 'gates without gateNames');
  assert.equal(isGatedCell(Object.assign(Object.create(rnn) as Cell, { gateNames: ['h'] })), false, 'gateNames without gates');
  assert.equal(isGatedCell(Object.assign(Object.create(rnn) as Cell, { gates: () => ({}), gateNames: 'h' })), false, 'gateNames not an array');
});

for (const kind of ['rnn', 'lstm', 'gru'] as const) {
  for (const dtype of ['float64', 'float32'] as DType[]) {
    test(`traceLayer, ${kind} ${dtype}: T×B×H arrays of each step's values, and the stats of ${kind === 'lstm' ? 'C' : 'h'}`, () => {
      const [T, B, D, H, CAP] = [3, 2, 2, 3, 5];
      const config = { inputSize: D, hiddenSize: H, bias: true, prefix: '', activation: 'tanh' as const };
      const type = cellType(kind)!;
      const params = new ParamSet(type.paramSpecs(config), dtype);
      const rng = new Rng(4);
      // large weights: some states saturate
      for (let i = 0; i < params.size; i++) params.data[i] = rng.uniform(-3, 3);
      const cell = type.create(config, params, jsKernels);
      const cache = cell.createCache(CAP, B);
      const data = dtype === 'float64' ? new Float64Array(CAP * B * D) : new Float32Array(CAP * B * D);
      for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-2, 2);
      const x = { kind: 'dense' as const, data };
      cell.forward(x, CAP, B, cache);
      cell.forward(x, T, B, cache);
      const trace = traceLayer(cell, cache, T, B);
      assert.equal(trace.kind, kind);
      assert.deepEqual([trace.T, trace.B, trace.H], [T, B, H]);
      const names = kind === 'rnn' ? ['h'] : kind === 'lstm' ? ['f', 'i', 'o', 'cTilde', 'c', 'h'] : ['z', 'r', 'n', 'h'];
      assert.deepEqual(trace.names, names);
      assert.deepEqual(Object.keys(trace.values), names);
      const n = B * H;
      for (const name of names) {
        const v = trace.values[name]!;
        assert.equal(v.length, T * n, name);
        assert.equal(v instanceof Float64Array ? 'float64' : 'float32', dtype, name);
        for (let t = 1; t <= T; t++) {
          const want = name === 'h' ? cell.stateAt(t, B, cache).h : isGatedCell(cell) ? cell.gates(cache, t, B)[name]! : null;
          assert.deepEqual(Array.from(v.subarray((t - 1) * n, t * n)), Array.from(want!), `${name}, t = ${t}`);
        }
      }
      const of = kind === 'lstm' ? 'c' : 'h';
      assert.deepEqual(trace.stats, stateStats(trace.values[of]!, of));
      if (kind === 'rnn') assert.ok(trace.stats.saturated > 0 && trace.stats.saturated < 1, `${trace.stats.saturated}`);
      if (kind === 'lstm') {
        // C, not h: the C state grows beyond 1
        assert.ok(trace.stats.maxAbs > 1, `${trace.stats.maxAbs}`);
        assert.notDeepEqual(trace.stats, stateStats(trace.values.h!, 'h'));
      }
    });
  }
}
