/**
 * Bidirectional networks (src/cells/bidirectional.ts): float64 gradient
 * checks for every cell, 1 and 2 layers, with masks of every pattern; the
 * states against two one-way networks run by hand (the backward one on each
 * sequence's own valid steps, reversed); refusals; the checkpoint round trip.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../src/core/rng.js';
import { CELL_KINDS, type CellKind } from '../src/cells/cell.js';
import { gradientCheck } from '../src/model/gradcheck.js';
import { Network, type SequenceBatch } from '../src/model/network.js';
import { decodeCheckpoint, encodeCheckpoint } from '../src/io/checkpoint.js';
import type { CommandIO } from '../src/cli/args.js';
import { main } from '../src/cli/main.js';

/** Trailing padding, leading padding and a hole, in one T = 5, B = 3 mask (t-major). */
const MIXED_MASK = new Uint8Array([
  1, 0, 1, // t = 1: sequence 1 has leading padding
  1, 1, 0, // t = 2: a hole in sequence 2
  1, 1, 1,
  0, 1, 1, // sequence 0 ends after t = 3
  0, 1, 1,
]);

function randomNet(cell: CellKind, layers: number, rng: Rng, bias = true): Network {
  const net = new Network({ cell, inputSize: 3, hiddenSize: 3, outputSize: 2, layers, bias, dtype: 'float64', bidirectional: true });
  for (let i = 0; i < net.params.size; i++) net.params.data[i] = rng.uniform(-0.8, 0.8);
  return net;
}

function denseBatch(rng: Rng, T: number, B: number, lossAt: 'all' | 'last', mask?: Uint8Array): SequenceBatch {
  return {
    T, B, lossAt,
    x: { kind: 'dense', data: Float64Array.from({ length: T * B * 3 }, () => rng.uniform(-1, 1)) },
    y: { kind: 'dense', data: Float64Array.from({ length: T * B * 2 }, () => rng.uniform(-1, 1)) },
    ...(mask ? { mask } : {}),
  };
}

for (const cell of CELL_KINDS) {
  test(`bidirectional ${cell}: gradients match central differences (1 and 2 layers, masks, both sequence shapes)`, () => {
    const rng = new Rng(11);
    for (const layers of [1, 2]) {
      for (const lossAt of ['all', 'last'] as const) {
        for (const mask of [undefined, MIXED_MASK]) {
          const net = randomNet(cell, layers, rng);
          const batch = denseBatch(rng, 5, 3, lossAt, mask);
          const r = gradientCheck(net, batch, { epsilon: 1e-5 });
          const label = `${cell} layers=${layers} lossAt=${lossAt} mask=${mask ? 'mixed' : 'none'}`;
          assert.ok(r.maxRelError < 1e-6, `${label}: ${r.maxRelError} ${JSON.stringify(r.perParameter)}`);
          // both directions' parameters were checked
          assert.ok(Object.keys(r.perParameter).some((n) => n.startsWith(`layer${layers - 1}.reverse.`)), label);
          assert.equal(Object.keys(r.perParameter).length, net.params.entries.length, label);
        }
      }
    }
  });
}

test('bidirectional gradients with symbol (index) input and cross-entropy, without biases', () => {
  const rng = new Rng(5);
  for (const cell of CELL_KINDS) {
    const net = new Network({ cell, inputSize: 4, hiddenSize: 2, outputSize: 3, layers: 2, bias: false, loss: 'cross-entropy', dtype: 'float64', bidirectional: true });
    for (let i = 0; i < net.params.size; i++) net.params.data[i] = rng.uniform(-1, 1);
    const T = 5;
    const B = 3;
    const x = Int32Array.from({ length: T * B }, (_, i) => (MIXED_MASK[i] ? rng.int(4) : -1));
    const y = Int32Array.from({ length: T * B }, () => rng.int(3));
    const r = gradientCheck(net, { T, B, x: { kind: 'index', data: x }, y: { kind: 'index', data: y }, mask: MIXED_MASK }, { epsilon: 1e-5 });
    assert.ok(r.maxRelError < 1e-6, `${cell}: ${r.maxRelError}`);
  }
});

test('the backward direction starts at each sequence\'s own last valid step (leading padding, holes, trailing padding)', () => {
  const rng = new Rng(3);
  for (const cell of CELL_KINDS) {
    const bi = randomNet(cell, 1, rng);
    const batch = denseBatch(rng, 5, 3, 'all', MIXED_MASK);
    bi.forward(batch);
    const H = 3;
    const D = 3;
    // Two one-way networks holding the forward and the backward cell's weights.
    const one = (prefix: string): Network => {
      const n = new Network({ cell, inputSize: 3, hiddenSize: 3, outputSize: 2, dtype: 'float64' });
      for (const e of n.params.entries) {
        if (!e.name.startsWith('layer0.')) continue;
        n.params.view(e.name).set(bi.params.view(e.name.replace('layer0.', prefix)));
      }
      return n;
    };
    const fwd = one('layer0.');
    const bwd = one('layer0.reverse.');
    for (let b = 0; b < 3; b++) {
      // sequence b alone, only its valid steps, in order and reversed
      const steps = [1, 2, 3, 4, 5].filter((t) => MIXED_MASK[(t - 1) * 3 + b] === 1);
      const xs = (order: number[]): Float64Array => {
        const out = new Float64Array(order.length * D);
        order.forEach((t, i) => out.set((batch.x.data as Float64Array).subarray(((t - 1) * 3 + b) * D, ((t - 1) * 3 + b + 1) * D), i * D));
        return out;
      };
      const run = (net: Network, order: number[]): Float64Array[] => {
        net.forward({ T: order.length, B: 1, x: { kind: 'dense', data: xs(order) }, y: { kind: 'dense', data: new Float64Array(order.length * 2) } });
        return order.map((_, i) => Float64Array.from(net.stateAt(i + 1, 1)[0]!.h));
      };
      const hf = run(fwd, steps);
      const reversed = steps.slice().reverse();
      const hb = run(bwd, reversed);
      steps.forEach((t, i) => {
        const h = bi.stateAt(t, 3)[0]!.h.subarray(b * 2 * H, (b + 1) * 2 * H);
        const want = [...hf[i]!, ...hb[reversed.indexOf(t)]!];
        want.forEach((v, j) => assert.ok(Math.abs(h[j]! - v) < 1e-12, `${cell} b=${b} t=${t} unit ${j}: ${h[j]} vs ${v}`));
      });
    }
  }
});

test('many-to-one (lossAt "last"): the output reads [h→(last) | h←(1)], each direction\'s summary of the whole sequence', () => {
  const rng = new Rng(8);
  for (const cell of CELL_KINDS) {
    const bi = randomNet(cell, 1, rng);
    const batch = denseBatch(rng, 5, 3, 'last', MIXED_MASK);
    const yhat = Float64Array.from(bi.forward(batch));
    const all = bi.forward({ ...batch, lossAt: 'all' });
    const H = 3;
    const V = bi.params.view('V');
    const b_o = bi.params.view('b_o');
    for (let b = 0; b < 3; b++) {
      const steps = [1, 2, 3, 4, 5].filter((t) => MIXED_MASK[(t - 1) * 3 + b] === 1);
      const last = steps[steps.length - 1]!;
      bi.forward({ ...batch, lossAt: 'all' });
      const hLast = bi.stateAt(last, 3)[0]!.h.subarray(b * 2 * H, (b + 1) * 2 * H);
      const hFirst = bi.stateAt(1, 3)[0]!.h.subarray(b * 2 * H, (b + 1) * 2 * H);
      const summary = [...hLast.subarray(0, H), ...hFirst.subarray(H)];
      for (let k = 0; k < 2; k++) {
        let want = b_o[k]!;
        for (let i = 0; i < 2 * H; i++) want += summary[i]! * V[i * 2 + k]!;
        const row = ((last - 1) * 3 + b) * 2 + k;
        assert.ok(Math.abs(yhat[row]! - want) < 1e-12, `${cell} sequence ${b}: ${yhat[row]} vs ${want}`);
        if (last > 1) assert.ok(Math.abs(all[row]! - want) > 1e-6, `${cell}: lossAt "all" reads h←(${last}) there, not the summary`);
      }
    }
  }
});

test('bidirectional: truncation ≥ T is exact BPTT and shorter truncation changes the gradient', () => {
  const rng = new Rng(9);
  const net = randomNet('lstm', 2, rng);
  const batch = denseBatch(rng, 5, 3, 'all', MIXED_MASK);
  const grad = (truncate?: number): Float64Array => {
    net.params.zeroGrad();
    net.gradient(batch, truncate === undefined ? {} : { truncate });
    return Float64Array.from(net.params.grad);
  };
  const exact = grad();
  const full = grad(5);
  exact.forEach((v, i) => assert.ok(Math.abs(v - full[i]!) < 1e-12));
  const short = grad(1);
  let diff = 0;
  exact.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - short[i]!))));
  assert.ok(diff > 1e-3, `truncate 1 should differ from exact BPTT, max difference ${diff}`);
});

test('bidirectional networks refuse what needs a step-by-step or initial state, with one clear message', () => {
  const rng = new Rng(1);
  const net = randomNet('gru', 1, rng);
  const batch = denseBatch(rng, 4, 2, 'all');
  const h = new Float64Array(2 * 3);
  assert.throws(() => net.forward({ ...batch, init: [{ h }] }), /bidirectional network starts both directions from zero/);
  assert.throws(() => net.gradient(batch, { initGradient: true }), /initGradient: a bidirectional network/);
  const sym = new Network({ cell: 'rnn', inputSize: 2, hiddenSize: 2, outputSize: 2, bidirectional: true });
  assert.throws(() => sym.forward({ T: 2, B: 1, x: { kind: 'index', data: new Int32Array([0, 1]) }, y: { kind: 'index', data: new Int32Array([0, 1]) }, feedback: 'argmax' }), /reads the whole sequence first/);
  assert.throws(() => new Network({ inputSize: 2, hiddenSize: 2, outputSize: 2, bidirectional: 'yes' as unknown as boolean }), /bidirectional must be true or false/);
  // V reads both directions: 2H rows
  assert.equal(net.params.entries.find((e) => e.name === 'V')!.rows, 6);
});

test('a bidirectional network survives the checkpoint round trip with its outputs unchanged', () => {
  const rng = new Rng(2);
  const net = randomNet('lstm', 2, rng);
  const batch = denseBatch(rng, 4, 3, 'all', MIXED_MASK.subarray(0, 12));
  const before = Float64Array.from(net.forward(batch));
  const back = decodeCheckpoint(encodeCheckpoint({ networks: { model: net } })).networks.model!;
  assert.equal(back.config.bidirectional, true);
  const after = back.forward(batch);
  before.forEach((v, i) => assert.equal(after[i], v));
});

test('rnnkit gradcheck --bidirectional checks both directions of every layer; exit 0', async () => {
  for (const cell of CELL_KINDS) {
    let out = '';
    let err = '';
    const io: CommandIO = { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false, signal: new AbortController().signal };
    const code = await main(['gradcheck', '--bidirectional', '--cell', cell, '--layers', '2', '--shape', 'many-to-one', '--json'], io);
    assert.equal(code, 0, err);
    const j = JSON.parse(out) as { maxRelError: number; perWeightSet: Record<string, number> };
    const names = Object.keys(j.perWeightSet);
    for (const l of [0, 1]) {
      assert.ok(names.some((n) => n.startsWith(`layer${l}.reverse.`)), `${cell}: ${names.join(', ')}`);
      assert.ok(names.some((n) => n.startsWith(`layer${l}.`) && !n.includes('reverse')), `${cell}: ${names.join(', ')}`);
    }
    assert.ok(j.maxRelError < 1e-6 && j.maxRelError > 0, `${cell}: ${j.maxRelError}`);
  }
  let text = '';
  const io: CommandIO = { out: (t) => void (text += t), err: () => undefined, isTTY: false, signal: new AbortController().signal };
  assert.equal(await main(['gradcheck', '--bidirectional', '--cell', 'lstm'], io), 0);
  assert.match(text, /Gradient check: bidirectional lstm, 1 layer/);
  assert.match(text, /^  layer0\.reverse\.W_f\.h +\d\.\d\de-\d+$/m);
});
