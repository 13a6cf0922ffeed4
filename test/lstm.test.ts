/**
 * The LSTM cell (docs/maths.md §6): float64 gradient checks of every parameter for
 * each sequence shape, single and stacked, with and without biases, with
 * masks and B > 1; truncation against a brute-force truncated gradient;
 * introspection against a hand computation; float32 against float64.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GRADCHECK_EPSILON, gradcheckProblem, SEQUENCE_SHAPES } from '../src/cli/commands/gradcheck.js';
import { OptionError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';
import { LstmCell, lstmParamSpecs } from '../src/cells/lstm.js';
import { jsKernels } from '../src/core/kernels.js';
import { ParamSet } from '../src/core/params.js';
import { gradientCheck } from '../src/model/gradcheck.js';
import { Network, type SequenceBatch } from '../src/model/network.js';
import { assertClose } from './helpers/approx.js';
import { bruteForceTruncated, numericGradient, numericInitGradient, relativeError } from './helpers/truncation.js';

const TOL = 1e-6;

function assertChecks(label: string, r: { maxRelError: number; perParameter: Record<string, number> }): void {
  assert.ok(r.maxRelError < TOL, `${label}: max relative error ${r.maxRelError}\n${JSON.stringify(r.perParameter)}`);
}

test('parameter layout: W is (D+H)×4H, b is 1×4H (zeros; the forget block at forgetBias when given)', () => {
  const net = new Network({ cell: 'lstm', inputSize: 3, hiddenSize: 4, outputSize: 2, layers: 2, dtype: 'float64' });
  assert.deepEqual(net.params.entries.map((e) => [e.name, e.rows, e.cols]), [
    ['layer0.W', 7, 16], ['layer0.b', 1, 16], ['layer1.W', 8, 16], ['layer1.b', 1, 16], ['V', 4, 2], ['b_o', 1, 2],
  ]);
  assert.deepEqual(Array.from(net.params.view('layer1.b')), new Array(16).fill(0));
  const habit = new Network({ cell: 'lstm', inputSize: 3, hiddenSize: 4, outputSize: 2, layers: 2, dtype: 'float64', forgetBias: 1 });
  assert.deepEqual(Array.from(habit.params.view('layer1.b')), [1, 1, 1, 1, ...new Array(12).fill(0)]);
  const W = net.params.view('layer0.W');
  assert.ok(W.every((v) => Math.abs(v) <= 0.5) && W.some((v) => v !== 0), 'W ~ U(−1/√H, 1/√H) = U(−0.5, 0.5)');
  assert.equal(net.layers[0]!.stateNames.join(), 'h,c');
  const noBias = new Network({ cell: 'lstm', inputSize: 3, hiddenSize: 4, outputSize: 2, bias: false });
  assert.deepEqual(noBias.params.entries.map((e) => e.name), ['layer0.W', 'V']);
  assert.throws(() => new Network({ cell: 'lstm', inputSize: 1, hiddenSize: 1, outputSize: 1, variant: 'reset-after' }), OptionError);
});

test('gradient check: every shape, 1 and 3 layers, with and without biases', () => {
  for (const shape of SEQUENCE_SHAPES) {
    for (const layers of [1, 3]) {
      for (const bias of [true, false]) {
        const { net, batch } = gradcheckProblem({ cell: 'lstm', shape, layers, bias, seed: 11 + layers, D: 3, H: 4, K: 2, T: 4, B: 2 });
        assertChecks(`${shape}, ${layers} layers, bias ${bias}`, gradientCheck(net, batch, { epsilon: GRADCHECK_EPSILON }));
      }
    }
  }
});

test('gradient check: masks (variable lengths) and B = 3, two layers, each shape', () => {
  for (const shape of SEQUENCE_SHAPES) {
    const { net, batch } = gradcheckProblem({ cell: 'lstm', shape, layers: 2, seed: 5, D: 2, H: 3, K: 3, T: 5, B: 3, lengths: [5, 2, 4] });
    assertChecks(`${shape} masked`, gradientCheck(net, batch, { epsilon: GRADCHECK_EPSILON }));
  }
});

test('a masked step leaves h and C unchanged', () => {
  const { net, batch } = gradcheckProblem({ cell: 'lstm', D: 2, H: 3, K: 2, T: 4, B: 2, lengths: [4, 2] });
  net.forward(batch);
  const s2 = net.stateAt(2, 2)[0]!;
  const s4 = net.stateAt(4, 2)[0]!;
  assertClose(s4.h.subarray(3, 6), s2.h.subarray(3, 6), 0, 'h of the short sequence');
  assertClose(s4.c!.subarray(3, 6), s2.c!.subarray(3, 6), 0, 'C of the short sequence');
  assert.notDeepEqual(Array.from(s4.h.subarray(0, 3)), Array.from(s2.h.subarray(0, 3)));
});

test('symbol (one-hot index) input and cross-entropy: gradient check', () => {
  const net = new Network({ cell: 'lstm', inputSize: 4, hiddenSize: 3, outputSize: 4, layers: 2, loss: 'cross-entropy', dtype: 'float64', seed: 3 });
  const rng = new Rng(9);
  for (let i = 0; i < net.params.data.length; i++) net.params.data[i] = rng.uniform(-0.5, 0.5);
  const batch: SequenceBatch = {
    T: 4, B: 2,
    x: { kind: 'index', data: Int32Array.from([0, 3, 2, -1, 1, 1, 3, 0]) },
    y: { kind: 'index', data: Int32Array.from([3, 2, -1, 1, 0, 0, 2, 3]) },
  };
  assertChecks('index input', gradientCheck(net, batch, { epsilon: GRADCHECK_EPSILON }));
});

test('∂J/∂h(0) and ∂J/∂C(0) of every layer match finite differences', () => {
  const { net, batch } = gradcheckProblem({ cell: 'lstm', layers: 2, D: 2, H: 3, K: 2, T: 4, B: 2, lengths: [4, 3] });
  const rng = new Rng(4);
  const init = [0, 1].map(() => ({
    h: Float64Array.from({ length: 6 }, () => rng.uniform(-0.5, 0.5)),
    c: Float64Array.from({ length: 6 }, () => rng.uniform(-0.5, 0.5)),
  }));
  const withInit: SequenceBatch = { ...batch, init };
  net.params.zeroGrad();
  const g = net.gradient(withInit, { initGradient: true }).initGradient!;
  const numericInit = numericInitGradient(net, withInit);
  for (let l = 0; l < 2; l++) {
    for (const key of ['h', 'c'] as const) {
      const numeric = numericInit[l]![key]!;
      const analytic = g[l]![key]!;
      assert.ok(relativeError(analytic, numeric) < TOL, `layer ${l} ∂J/∂${key}(0): ${relativeError(analytic, numeric)}`);
    }
  }
});

test('masks with holes and left padding: gradients pass through masked steps to h(0) and C(0)', () => {
  const { net, batch } = gradcheckProblem({ cell: 'lstm', layers: 2, D: 2, H: 3, K: 2, T: 5, B: 3, seed: 14 });
  const rng = new Rng(15);
  const masked: SequenceBatch = {
    ...batch,
    // columns are sequences: b = 0 all valid, b = 1 left-padded by 2, b = 2 with holes at t = 2 and 4
    mask: Uint8Array.from([1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1]),
    init: [0, 1].map(() => ({
      h: Float64Array.from({ length: 9 }, () => rng.uniform(-0.5, 0.5)),
      c: Float64Array.from({ length: 9 }, () => rng.uniform(-0.5, 0.5)),
    })),
  };
  assertChecks('mask with holes', gradientCheck(net, masked, { epsilon: GRADCHECK_EPSILON }));
  net.params.zeroGrad();
  const g = net.gradient(masked, { initGradient: true }).initGradient!;
  const numeric = numericInitGradient(net, masked);
  for (let l = 0; l < 2; l++) {
    assert.ok(relativeError(g[l]!.h, numeric[l]!.h) < TOL, `layer ${l} ∂J/∂h(0)`);
    assert.ok(relativeError(g[l]!.c!, numeric[l]!.c!) < TOL, `layer ${l} ∂J/∂C(0)`);
  }
});

test('truncated BPTT: ∂J/∂h(0) and ∂J/∂C(0) collect only the sources within k steps of the start', () => {
  const T = 5;
  const B = 2;
  const net = new Network({ cell: 'lstm', inputSize: 2, hiddenSize: 3, outputSize: 3, loss: 'cross-entropy', dtype: 'float64' });
  const rng = new Rng(17);
  for (let i = 0; i < net.params.data.length; i++) net.params.data[i] = rng.uniform(-0.8, 0.8);
  const y = Int32Array.from({ length: T * B }, () => rng.int(3));
  const batch: SequenceBatch = {
    T, B,
    x: { kind: 'dense', data: Float64Array.from({ length: T * B * 2 }, () => rng.uniform(-1, 1)) },
    y: { kind: 'index', data: y },
    init: [{ h: Float64Array.from({ length: 6 }, () => rng.uniform(-0.5, 0.5)), c: Float64Array.from({ length: 6 }, () => rng.uniform(-0.5, 0.5)) }],
  };
  for (const k of [1, 2, 3]) {
    net.params.zeroGrad();
    const g = net.gradient(batch, { truncate: k, initGradient: true }).initGradient![0]!;
    // Only the losses at steps t ≤ k reach the initial state, and through all their steps:
    // the same as the exact ∂/∂init of the loss with every later target switched off (−1).
    const early: SequenceBatch = { ...batch, y: { kind: 'index', data: y.map((v, i) => (i < k * B ? v : -1)) } };
    const numeric = numericInitGradient(net, early)[0]!;
    assert.ok(relativeError(g.h, numeric.h) < TOL, `truncate ${k}: ∂J/∂h(0)`);
    assert.ok(relativeError(g.c!, numeric.c!) < TOL, `truncate ${k}: ∂J/∂C(0)`);
  }
});

test('truncated BPTT equals the brute-force detached-state gradient (k = 1, 2, 3), with a mask', () => {
  const T = 6;
  const B = 2;
  const net = new Network({ cell: 'lstm', inputSize: 2, hiddenSize: 3, outputSize: 3, loss: 'cross-entropy', dtype: 'float64' });
  const rng = new Rng(21);
  for (let i = 0; i < net.params.data.length; i++) net.params.data[i] = rng.uniform(-0.8, 0.8);
  const batch: SequenceBatch = {
    T, B,
    x: { kind: 'dense', data: Float64Array.from({ length: T * B * 2 }, () => rng.uniform(-1, 1)) },
    y: { kind: 'index', data: Int32Array.from({ length: T * B }, () => rng.int(3)) },
    mask: Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0]), // lengths 6 and 3
  };
  net.params.zeroGrad();
  net.gradient(batch);
  const exact = Float64Array.from(net.params.grad);
  for (const k of [1, 2, 3]) {
    net.params.zeroGrad();
    net.gradient(batch, { truncate: k });
    const truncated = Float64Array.from(net.params.grad);
    const brute = bruteForceTruncated(net, batch, k);
    const err = relativeError(truncated, brute);
    assert.ok(err < TOL, `truncate ${k}: relative error ${err} against the brute-force gradient`);
    const gap = relativeError(truncated, exact);
    // measured 0.018, 0.0061, 0.00059 for k = 1, 2, 3 against an agreement of ~1e-9
    assert.ok(gap > 1e-4, `truncate ${k} must differ from exact BPTT: ${gap}`);
  }
  net.params.zeroGrad();
  net.gradient(batch, { truncate: T });
  assert.ok(relativeError(net.params.grad, exact) < 1e-14, 'truncate ≥ T is exact BPTT');
  assert.ok(relativeError(exact, numericGradient(net, [batch])) < TOL, 'exact BPTT on this batch');
});

test('introspection: one step with D = H = 1, by hand', () => {
  const net = new Network({ cell: 'lstm', inputSize: 1, hiddenSize: 1, outputSize: 1, dtype: 'float64' });
  // W rows: x then h; columns [f | i | o | C]
  net.params.view('layer0.W').set([0.5, -1, 0.25, 2, 1, 0.5, -2, -1]);
  net.params.view('layer0.b').set([0.1, 0.2, -0.3, 0.4]);
  const batch: SequenceBatch = {
    T: 1, B: 1,
    x: { kind: 'dense', data: Float64Array.from([0.5]) },
    y: { kind: 'dense', data: Float64Array.from([0]) },
    init: [{ h: Float64Array.from([0.2]), c: Float64Array.from([-0.3]) }],
  };
  net.forward(batch);
  // By hand, x = 0.5, h(0) = 0.2, C(0) = −0.3:
  // a_f = 0.5·0.5 + 0.2·1 + 0.1 = 0.55         f = σ(0.55)   = 0.6341355910
  // a_i = 0.5·(−1) + 0.2·0.5 + 0.2 = −0.2      i = σ(−0.2)   = 0.4501660027
  // a_o = 0.5·0.25 + 0.2·(−2) − 0.3 = −0.575   o = σ(−0.575) = 0.3600839033
  // a_C = 0.5·2 + 0.2·(−1) + 0.4 = 1.2         C̃ = tanh(1.2) = 0.8336546070
  // C(1) = f·C(0) + i·C̃ = 0.1850422848;  h(1) = o·tanh C(1) = 0.0658805284
  const [trace] = net.inspect(1, 1);
  const v = trace!.values;
  assert.deepEqual(trace!.names, ['f', 'i', 'o', 'cTilde', 'c', 'h']);
  assertClose(v.f!, [0.6341355910], 1e-10, 'f');
  assertClose(v.i!, [0.4501660027], 1e-10, 'i');
  assertClose(v.o!, [0.3600839033], 1e-10, 'o');
  assertClose(v.cTilde!, [0.8336546070], 1e-10, 'C̃');
  assertClose(v.c!, [0.1850422848], 1e-10, 'C');
  assertClose(v.h!, [0.0658805284], 1e-10, 'h');
  const cell = net.layers[0] as LstmCell;
  assert.ok(cell instanceof LstmCell);
});

test('inspect(): per layer, T×B×H arrays that agree with the states', () => {
  const { net, batch } = gradcheckProblem({ cell: 'lstm', layers: 2, D: 2, H: 3, K: 2, T: 4, B: 2 });
  net.forward(batch);
  const traces = net.inspect(4, 2);
  assert.equal(traces.length, 2);
  for (let l = 0; l < 2; l++) {
    const tr = traces[l]!;
    assert.equal(tr.values.f!.length, 4 * 2 * 3);
    for (let t = 1; t <= 4; t++) {
      const s = net.stateAt(t, 2)[l]!;
      assertClose(tr.values.h!.subarray((t - 1) * 6, t * 6), s.h, 0, `h layer ${l} step ${t}`);
      assertClose(tr.values.c!.subarray((t - 1) * 6, t * 6), s.c!, 0, `C layer ${l} step ${t}`);
      // h = o ∘ tanh C and every gate in (0, 1)
      for (let i = 0; i < 6; i++) {
        const o = tr.values.o![(t - 1) * 6 + i]!;
        assert.ok(Math.abs(s.h[i]! - o * Math.tanh(s.c![i]!)) < 1e-15);
        for (const g of ['f', 'i', 'o'] as const) assert.ok(tr.values[g]![(t - 1) * 6 + i]! > 0 && tr.values[g]![(t - 1) * 6 + i]! < 1);
      }
    }
  }
  assert.throws(() => net.inspect(4, 3), OptionError);
});

test('float32 forward equals float64 to 1e-5', () => {
  const { net: n64, batch } = gradcheckProblem({ cell: 'lstm', layers: 3, D: 3, H: 5, K: 2, T: 6, B: 3, lengths: [6, 4, 5] });
  const n32 = new Network({ cell: 'lstm', inputSize: 3, hiddenSize: 5, outputSize: 2, layers: 3, dtype: 'float32' });
  n32.params.data.set(n64.params.data);
  const y64 = n64.forward(batch);
  const b32: SequenceBatch = { ...batch, x: { kind: 'dense', data: Float32Array.from(batch.x.data as Float64Array) } };
  const y32 = n32.forward(b32);
  assertClose(y32, y64, 1e-5, 'ŷ float32 vs float64');
});

test('step-by-step forward (argmax feedback) equals the whole-sequence forward', () => {
  const net = new Network({ cell: 'lstm', inputSize: 3, hiddenSize: 4, outputSize: 3, layers: 2, dtype: 'float64', seed: 8 });
  const T = 5;
  const x = new Float64Array(T * 3);
  x[0] = 1;
  const base: SequenceBatch = { T, B: 1, x: { kind: 'dense', data: x }, y: { kind: 'dense', data: new Float64Array(T * 3) } };
  const stepped = Float64Array.from(net.forward({ ...base, feedback: 'argmax' }));
  // Rebuild the fed-back inputs from the outputs and run the ordinary forward pass.
  const fed = new Float64Array(T * 3);
  fed[0] = 1;
  for (let t = 1; t < T; t++) {
    const row = Array.from(stepped.subarray((t - 1) * 3, t * 3));
    fed[t * 3 + row.indexOf(Math.max(...row))] = 1;
  }
  assertClose(net.forward({ ...base, x: { kind: 'dense', data: fed } }), stepped, 1e-15, 'ŷ');
});

test('the cell alone: ∂L/∂x(t) (dX) and a gradient on C(T) from beyond (dFinalC), exact and truncated', () => {
  // L = Σ_t ⟨g(t), h(t)⟩ + ⟨w, C(T)⟩ with fixed random g and w, so ∂L/∂h(t) = g(t) and ∂L/∂C(T) = w.
  const [T, B, D, H] = [4, 2, 3, 2];
  const rng = new Rng(23);
  const params = new ParamSet(lstmParamSpecs({ inputSize: D, hiddenSize: H, bias: true, prefix: '' }), 'float64');
  for (let i = 0; i < params.data.length; i++) params.data[i] = rng.uniform(-0.8, 0.8);
  const cell = new LstmCell({ inputSize: D, hiddenSize: H, bias: true, prefix: '', kernels: jsKernels }, params);
  const cache = cell.createCache(T, B);
  const xs = Float64Array.from({ length: T * B * D }, () => rng.uniform(-1, 1));
  const x = { kind: 'dense' as const, data: xs };
  const g = Float64Array.from({ length: T * B * H }, () => rng.uniform(-1, 1));
  const w = Float64Array.from({ length: B * H }, () => rng.uniform(-1, 1));
  const mask = Uint8Array.from([1, 1, 1, 1, 1, 0, 1, 0]); // the second sequence ends after step 2
  const L = (): number => {
    cell.forward(x, T, B, cache, undefined, mask);
    let s = 0;
    for (let i = 0; i < T * B * H; i++) s += g[i]! * cache.hs[B * H + i]!;
    for (let i = 0; i < B * H; i++) s += w[i]! * cache.cs[T * B * H + i]!;
    return s;
  };
  const eps = 1e-6;
  const numeric = (v: Float64Array): number[] => Array.from(v, (keep, i) => {
    v[i] = keep + eps;
    const plus = L();
    v[i] = keep - eps;
    const minus = L();
    v[i] = keep;
    return (plus - minus) / (2 * eps);
  });
  L();
  params.zeroGrad();
  const dX = new Float64Array(T * B * D);
  cell.backward(x, T, B, cache, Float64Array.from(g), dX, null, mask, { dFinalC: w });
  assert.ok(relativeError(params.grad, numeric(params.data as Float64Array)) < TOL, 'parameters with dFinalC');
  assert.ok(relativeError(dX, numeric(xs)) < TOL, 'dX');
  // Truncated (k = 2) with only the C(T) source: the same as differentiating ⟨w, C(T)⟩ over a re-run
  // of steps T−1..T that starts from the full run's (h, C)(T−2), held constant.
  const k = 2;
  L();
  const n = B * H;
  const init = { h: cache.hs.slice((T - k) * n, (T - k + 1) * n), c: cache.cs.slice((T - k) * n, (T - k + 1) * n) };
  params.zeroGrad();
  cell.backward(x, T, B, cache, new Float64Array(T * n), null, null, mask, { dFinalC: w, truncate: k });
  const truncated = Float64Array.from(params.grad);
  const sub = cell.createCache(k, B);
  const subX = { kind: 'dense' as const, data: xs.slice((T - k) * B * D) };
  const subMask = mask.slice((T - k) * B);
  const windowC = (): number => {
    cell.forward(subX, k, B, sub, init, subMask);
    let s = 0;
    for (let i = 0; i < n; i++) s += w[i]! * sub.cs[k * n + i]!;
    return s;
  };
  const brute = Array.from(params.data, (keep, i) => {
    params.data[i] = keep + eps;
    const plus = windowC();
    params.data[i] = keep - eps;
    const minus = windowC();
    params.data[i] = keep;
    return (plus - minus) / (2 * eps);
  });
  assert.ok(relativeError(truncated, brute) < TOL, `dFinalC with truncate ${k}: ${relativeError(truncated, brute)}`);
});
