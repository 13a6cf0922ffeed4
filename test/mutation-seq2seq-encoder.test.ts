/**
 * The encoder (src/seq2seq/encoder.ts) on its own, for
 * `npm run mutate -- seq2seq`, float64, H = 2, source vocabulary 3:
 *
 * - forward: a one-layer RNN by hand; stacked and bidirectional encoders
 *   against one-way single-layer networks (src/model) run on each source
 *   alone, unpadded — the backward direction on the reversed source, each
 *   layer reading the states below ([h→ | h←] when bidirectional); final
 *   states [h→(n) | h←(1)] (and C), the top layer's states at every real step;
 * - backward: ∂J/∂θ for J = Σ g·h_final (+ g_C·C_final) + Σ g_top·h_top
 *   against central differences, gradients ADDED, through buffers reused
 *   across calls and shapes;
 * - every refusal by its exact message.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionError } from '../src/core/errors.js';
import { jsKernels } from '../src/core/kernels.js';
import { Rng } from '../src/core/rng.js';
import type { CellKind, CellState } from '../src/cells/cell.js';
import { numericGradient } from '../src/model/gradcheck.js';
import { Network } from '../src/model/network.js';
import { Encoder, type EncoderConfig } from '../src/seq2seq/encoder.js';
import type { HiddenActivation } from '../src/core/activations.js';
import { assertClose } from './helpers/approx.js';
import { refuses } from './helpers/refuses.js';

const D = 3;
const H = 2;

function encoder(o: Partial<EncoderConfig> & { cell: CellKind }, seed: number): Encoder {
  const e = new Encoder({ inputSize: D, hiddenSize: H, layers: 1, bias: true, hiddenActivation: 'tanh', dtype: 'float64', ...o }, seed, jsKernels);
  const rng = new Rng(seed + 1);
  for (let i = 0; i < e.params.size; i++) e.params.data[i] = rng.uniform(-1.5, 1.5);
  return e;
}

function batchOf(sources: number[][]): { x: Int32Array; mask: Uint8Array; T: number; B: number } {
  const B = sources.length;
  const T = Math.max(...sources.map((s) => s.length));
  const x = new Int32Array(T * B).fill(-1);
  const mask = new Uint8Array(T * B);
  sources.forEach((s, b) => s.forEach((v, t) => {
    x[t * B + b] = v;
    mask[t * B + b] = 1;
  }));
  return { x, mask, T, B };
}

/** States after each step of one direction of one layer, from a one-way network with that layer's parameters. */
function direction(e: Encoder, prefix: string, inputs: number[][]): { h: number[][]; c: number[][] } {
  const c = e.config;
  const T = inputs.length;
  const n = new Network({
    cell: c.cell, inputSize: inputs[0]!.length, hiddenSize: H, outputSize: 1, bias: c.bias, hiddenActivation: c.hiddenActivation,
    dtype: 'float64', kernels: jsKernels, ...(c.variant !== undefined ? { variant: c.variant } : {}),
  });
  for (const entry of n.params.entries) {
    if (entry.name.startsWith('layer0.')) n.params.view(entry.name).set(e.params.view(entry.name.replace('layer0.', prefix)));
  }
  n.forward({ T, B: 1, x: { kind: 'dense', data: Float64Array.from(inputs.flat()) }, y: { kind: 'dense', data: new Float64Array(T) } });
  const h: number[][] = [];
  const cs: number[][] = [];
  for (let t = 1; t <= T; t++) {
    const s = n.stateAt(t, 1)[0]!;
    h.push(Array.from(s.h));
    cs.push(s.c ? Array.from(s.c) : []);
  }
  return { h, c: cs };
}

/** Each layer's final state and the top layer's states of one source, unpadded. */
function reference(e: Encoder, source: number[]): { finals: { h: number[]; c: number[] }[]; top: number[][] } {
  const n = source.length;
  let inputs: number[][] = source.map((v) => Array.from({ length: D }, (_, i) => (i === v ? 1 : 0)));
  const finals: { h: number[]; c: number[] }[] = [];
  for (let l = 0; l < e.config.layers; l++) {
    const f = direction(e, `encoder.layer${l}.`, inputs);
    if (!e.config.bidirectional) {
      finals.push({ h: f.h[n - 1]!, c: f.c[n - 1]! });
      inputs = f.h;
      continue;
    }
    const r = direction(e, `encoder.layer${l}.reverse.`, inputs.slice().reverse());
    finals.push({ h: [...f.h[n - 1]!, ...r.h[n - 1]!], c: r.c[n - 1]!.length > 0 ? [...f.c[n - 1]!, ...r.c[n - 1]!] : [] });
    inputs = f.h.map((hf, t) => [...hf, ...r.h[n - 1 - t]!]);
  }
  return { finals, top: inputs };
}

function checkForward(e: Encoder, sources: number[][], what: string): void {
  const { x, mask, T, B } = batchOf(sources);
  const finals = e.forward({ kind: 'index', data: x }, T, B, mask);
  const S = e.width;
  const top = e.topStates();
  assert.equal(top.length, T * B * S, `${what}: top states T×B×S`);
  assert.equal(finals.length, e.config.layers);
  sources.forEach((source, b) => {
    const ref = reference(e, source);
    finals.forEach((f, l) => {
      assertClose(f.h.subarray(b * S, (b + 1) * S), ref.finals[l]!.h, 1e-12, `${what}: source ${b}, layer ${l} final h`);
      if (e.config.cell === 'lstm') assertClose(f.c!.subarray(b * S, (b + 1) * S), ref.finals[l]!.c, 1e-12, `${what}: source ${b}, layer ${l} final C`);
      else assert.equal(f.c, undefined);
    });
    ref.top.forEach((row, t) => assertClose(top.subarray((t * B + b) * S, (t * B + b + 1) * S), row, 1e-12, `${what}: source ${b}, top state ${t + 1}`));
  });
}

interface Grads { gFinal: CellState[]; gTop: Float64Array }

function randomGrads(e: Encoder, sources: number[][], seed: number): Grads {
  const rng = new Rng(seed);
  const { mask, T, B } = batchOf(sources);
  const S = e.width;
  const gFinal = Array.from({ length: e.config.layers }, () => ({
    h: Float64Array.from({ length: B * S }, () => rng.uniform(-1, 1)),
    ...(e.config.cell === 'lstm' ? { c: Float64Array.from({ length: B * S }, () => rng.uniform(-1, 1)) } : {}),
  }));
  // ∂J/∂h_top only at real steps (as attention sends it)
  const gTop = Float64Array.from({ length: T * B * S }, (_, i) => (mask[Math.floor(i / S)] ? rng.uniform(-1, 1) : 0));
  return { gFinal, gTop };
}

/** J = Σ g·final (h and C) + Σ g_top·top, as `useFinal` / `useTop` say. */
function objective(e: Encoder, sources: number[][], g: Grads, useFinal: boolean, useTop: boolean): () => number {
  const { x, mask, T, B } = batchOf(sources);
  return () => {
    const finals = e.forward({ kind: 'index', data: x }, T, B, mask);
    let J = 0;
    if (useFinal) {
      finals.forEach((f, l) => {
        const gl = g.gFinal[l]!;
        for (let i = 0; i < gl.h.length; i++) J += gl.h[i]! * f.h[i]!;
        if (gl.c) for (let i = 0; i < gl.c.length; i++) J += gl.c[i]! * f.c![i]!;
      });
    }
    if (useTop) {
      const top = e.topStates();
      for (let i = 0; i < g.gTop.length; i++) J += g.gTop[i]! * top[i]!;
    }
    return J;
  };
}

function checkBackward(e: Encoder, sources: number[][], g: Grads, useFinal: boolean, useTop: boolean, what: string): void {
  const J = objective(e, sources, g, useFinal, useTop);
  J();
  e.params.grad.fill(0.5);
  if (useTop) e.backward(g.gTop, useFinal ? g.gFinal : null);
  else e.backwardFromFinal(g.gFinal);
  const analytic = Float64Array.from(e.params.grad, (v) => v - 0.5);
  const numeric = numericGradient(e.params.data, J, 1e-6);
  assertClose(analytic, numeric, 1e-8, what);
  assert.ok(Math.max(...numeric.map(Math.abs)) > 1e-2, `${what}: a gradient of size`);
}

const SOURCES = [[2, 0, 1], [1, 2]];

test('encoder forward: a one-layer RNN by hand, h(t) = tanh(x(t)·U + h(t−1)·W + b); a padded step keeps the state', () => {
  const e = encoder({ cell: 'rnn' }, 3);
  const U = e.params.view('encoder.layer0.U');
  const W = e.params.view('encoder.layer0.W');
  const bh = e.params.view('encoder.layer0.b_h');
  const step = (x: number, h: number[]): number[] => [0, 1].map((j) => Math.tanh(U[x * H + j]! + h[0]! * W[j]! + h[1]! * W[H + j]! + bh[j]!));
  const h1 = step(2, [0, 0]);
  const h2 = step(0, h1);
  const g1 = step(1, [0, 0]);
  const { x, mask } = batchOf([[2, 0], [1]]);
  const [final] = e.forward({ kind: 'index', data: x }, 2, 2, mask);
  assertClose(final!.h, [...h2, ...g1], 1e-14, 'final states');
  assertClose(e.topStates(), [...h1, ...g1, ...h2, ...g1], 1e-14, 'top states');
});

const CONFIGS: [string, Partial<EncoderConfig> & { cell: CellKind }][] = [
  ['rnn ×2, relu', { cell: 'rnn', layers: 2, hiddenActivation: 'relu' as HiddenActivation }],
  ['lstm ×2, bidirectional', { cell: 'lstm', layers: 2, bidirectional: true }],
  ['gru ×2, bidirectional, reset-before', { cell: 'gru', layers: 2, bidirectional: true, variant: 'reset-before' }],
  ['lstm, no bias', { cell: 'lstm', bias: false }],
  ['gru ×2', { cell: 'gru', layers: 2 }],
];

test('encoder forward: stacked and bidirectional layers against one-way networks on each source alone', () => {
  CONFIGS.forEach(([label, o], i) => {
    const e = encoder(o, 10 + i);
    assert.equal(e.width, o.bidirectional ? 2 * H : H, label);
    assert.equal(e.layers.length, o.layers ?? 1, label);
    checkForward(e, SOURCES, label);
  });
  // the layer wiring: layer 1 reads S = 2H inputs; a reverse direction per layer; no bias, no b
  const bi = encoder({ cell: 'rnn', layers: 2, bidirectional: true }, 5);
  assert.deepEqual(bi.params.entries.map((p) => `${p.name} ${p.rows}×${p.cols}`), [
    'encoder.layer0.U 3×2', 'encoder.layer0.W 2×2', 'encoder.layer0.b_h 1×2',
    'encoder.layer0.reverse.U 3×2', 'encoder.layer0.reverse.W 2×2', 'encoder.layer0.reverse.b_h 1×2',
    'encoder.layer1.U 4×2', 'encoder.layer1.W 2×2', 'encoder.layer1.b_h 1×2',
    'encoder.layer1.reverse.U 4×2', 'encoder.layer1.reverse.W 2×2', 'encoder.layer1.reverse.b_h 1×2',
  ]);
  assert.deepEqual(encoder({ cell: 'rnn', bias: false }, 5).params.entries.map((p) => p.name), ['encoder.layer0.U', 'encoder.layer0.W']);
  // the variant reaches the cells: reset-before and the default reset-after differ
  const before = encoder({ cell: 'gru', variant: 'reset-before' }, 6);
  const after = encoder({ cell: 'gru' }, 6);
  const { x, mask, T, B } = batchOf(SOURCES);
  const hb = Array.from(before.forward({ kind: 'index', data: x }, T, B, mask)[0]!.h);
  const ha = Array.from(after.forward({ kind: 'index', data: x }, T, B, mask)[0]!.h);
  assert.ok(Math.max(...hb.map((v, k) => Math.abs(v - ha[k]!))) > 1e-3, 'reset-before and reset-after differ');
  // the seed sets the initial parameters
  const cfg: EncoderConfig = { cell: 'gru', inputSize: D, hiddenSize: H, layers: 1, bias: true, hiddenActivation: 'tanh', dtype: 'float64' };
  assert.deepEqual(Array.from(new Encoder(cfg, 7).params.data), Array.from(new Encoder(cfg, 7).params.data));
  assert.notDeepEqual(Array.from(new Encoder(cfg, 7).params.data), Array.from(new Encoder(cfg, 8).params.data));
});

test('encoder work buffers: shorter, longer and wider batches after each other give each its own values', () => {
  const e = encoder({ cell: 'lstm', layers: 2, bidirectional: true }, 20);
  // B = 2 with T = 3, 1 (the same buffers), 4 (longer: new buffers); then B = 3, 2, 1
  const shapes = [SOURCES, [[1], [0]], [[0, 1, 2, 2], [2, 1]], [[0, 1, 2, 2], [2], [1, 0]], [[2, 2], [0, 1, 1]], [[1, 0, 2]]];
  shapes.forEach((s, i) => checkForward(e, s, `shape ${i}`));
});

test('encoder backward: every parameter against central differences, from the final states, the top states, or both', () => {
  CONFIGS.forEach(([label, o], i) => {
    const e = encoder(o, 30 + i);
    const g = randomGrads(e, SOURCES, 40 + i);
    checkBackward(e, SOURCES, g, true, true, `${label}: final and top`);
    // from the final states alone, after a pass that left the top gradient in the work buffers
    checkBackward(e, SOURCES, g, true, false, `${label}: final only`);
    checkBackward(e, SOURCES, g, false, true, `${label}: top only`);
  });
  // buffers of another shape, then back
  const e = encoder({ cell: 'gru', layers: 2, bidirectional: true }, 50);
  const other = [[0, 1, 2, 2], [2], [1, 0]];
  checkBackward(e, other, randomGrads(e, other, 51), true, true, 'B = 3, T = 4');
  checkBackward(e, SOURCES, randomGrads(e, SOURCES, 52), true, true, 'B = 2, T = 3 again');
});

test('encoder refusals, each by its exact message', () => {
  refuses(() => encoder({ cell: 'elman' as CellKind }, 1), OptionError, 'cell "elman" is not available');
  const e = encoder({ cell: 'rnn', layers: 2 }, 2);
  refuses(() => e.topStates(), OptionError, 'Encoder.topStates: run forward first');
  refuses(() => e.backward(null, null), OptionError, 'Encoder.backward: run forward first');
  refuses(() => e.backwardFromFinal([]), OptionError, 'Encoder.backward: run forward first');
  const { x, mask, T, B } = batchOf(SOURCES);
  e.forward({ kind: 'index', data: x }, T, B, mask);
  refuses(() => e.backwardFromFinal([{ h: new Float64Array(B * H) }]), OptionError, 'dFinal has 1 states, expected one per layer (2)');
});
