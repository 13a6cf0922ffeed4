/**
 * The attention layer (src/seq2seq/attention.ts) on its own, for
 * `npm run mutate -- seq2seq`: H = 2, S = 3 (so a swapped width shows),
 * float64, against a direct computation here of
 *
 *   score(r, j) = s(r)·W_a·e(j)ᵀ,  α(r, ·) = softmax_j score(r, ·) over the real steps,
 *   c(r) = Σ_j α(r, j)·e(j),  h̃(r) = tanh([c(r) | s(r)]·W_c + b_c),
 *
 * and its backward against central differences of J = Σ g ∘ h̃. Padded
 * memory rows hold NaN: a padded step that is read at all makes the result
 * NaN. Work buffers grow and shrink through a sequence of shapes.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsKernels } from '../src/core/kernels.js';
import { Rng } from '../src/core/rng.js';
import { numericGradient } from '../src/model/gradcheck.js';
import { Attention, attentionParamSpecs, ATTENTION_KINDS, type AttentionConfig } from '../src/seq2seq/attention.js';
import { assertClose } from './helpers/approx.js';
import { refuses } from './helpers/refuses.js';

const H = 2;
const S = 3;

function layer(bias: boolean, seed = 4): Attention {
  const a = new Attention({ queryWidth: H, memoryWidth: S, bias, dtype: 'float64' }, seed, jsKernels);
  const rng = new Rng(seed + 10);
  for (let i = 0; i < a.params.size; i++) a.params.data[i] = rng.uniform(-1.5, 1.5);
  return a;
}

interface Case {
  Ts: number;
  Bs: number;
  /** Real length of each source. */
  lengths: number[];
  /** Source of each query row. */
  source: number[];
  memory: Float64Array;
  query: Float64Array;
  mask: Uint8Array | undefined;
}

function makeCase(seed: number, lengths: number[], source: number[], withMask = true): Case {
  const rng = new Rng(seed);
  const Bs = lengths.length;
  const Ts = Math.max(...lengths);
  const memory = Float64Array.from({ length: Ts * Bs * S }, () => rng.uniform(-1.5, 1.5));
  const mask = new Uint8Array(Ts * Bs);
  for (let j = 0; j < Ts; j++) {
    for (let b = 0; b < Bs; b++) {
      if (j < lengths[b]!) mask[j * Bs + b] = 1;
      else memory.fill(NaN, (j * Bs + b) * S, (j * Bs + b + 1) * S); // padding: must never be read
    }
  }
  const query = Float64Array.from({ length: source.length * H }, () => rng.uniform(-1.5, 1.5));
  return { Ts, Bs, lengths, source, memory, query, mask: withMask ? mask : undefined };
}

/** h̃ and α by the definitions (α of padded steps 0). */
function reference(a: Attention, c: Case): { out: number[]; alpha: number[] } {
  const out: number[] = [];
  const alpha: number[] = [];
  c.source.forEach((b, r) => {
    const s = Array.from(c.query.subarray(r * H, (r + 1) * H));
    const e = (j: number): number[] => Array.from(c.memory.subarray((j * c.Bs + b) * S, (j * c.Bs + b + 1) * S));
    const scores: number[] = [];
    for (let j = 0; j < c.Ts; j++) {
      if (j >= c.lengths[b]!) {
        scores.push(-Infinity);
        continue;
      }
      let v = 0;
      for (let h = 0; h < H; h++) for (let i = 0; i < S; i++) v += s[h]! * a.W_a[h * S + i]! * e(j)[i]!;
      scores.push(v);
    }
    const top = Math.max(...scores);
    const ex = scores.map((v) => (v === -Infinity ? 0 : Math.exp(v - top)));
    const total = ex.reduce((p, q) => p + q, 0);
    const w = ex.map((v) => v / total);
    alpha.push(...w);
    const ctx = new Array<number>(S).fill(0);
    w.forEach((wj, j) => {
      if (wj > 0) e(j).forEach((v, i) => (ctx[i]! += wj * v));
    });
    const cat = [...ctx, ...s];
    for (let o = 0; o < H; o++) {
      let z = a.b_c ? a.b_c[o]! : 0;
      for (let i = 0; i < S + H; i++) z += cat[i]! * a.W_c[i * H + o]!;
      out.push(Math.tanh(z));
    }
  });
  return { out, alpha };
}

function run(a: Attention, c: Case): Float64Array {
  return Float64Array.from(a.forward(c.memory, c.Ts, c.Bs, c.mask, c.query, { rows: c.source.length, source: Int32Array.from(c.source) }));
}

function checkForward(a: Attention, c: Case, what: string, peaked = false): void {
  const got = run(a, c);
  const ref = reference(a, c);
  assert.equal(got.length, c.source.length * H, `${what}: h̃ length`);
  assertClose(got, ref.out, 1e-12, `${what}: h̃`);
  const alpha = a.weights();
  assert.equal(alpha.length, c.source.length * c.Ts, `${what}: α length`);
  assertClose(alpha, ref.alpha, 1e-12, `${what}: α`);
  c.source.forEach((b, r) => {
    let sum = 0;
    for (let j = 0; j < c.Ts; j++) {
      sum += alpha[r * c.Ts + j]!;
      if (j >= c.lengths[b]!) assert.equal(alpha[r * c.Ts + j], 0, `${what}: row ${r} padded step ${j}`);
      else if (!peaked) assert.ok(alpha[r * c.Ts + j]! > 0, `${what}: row ${r} step ${j}`);
    }
    assert.ok(Math.abs(sum - 1) < 1e-12, `${what}: row ${r} weights sum to ${sum}`);
  });
}

/**
 * The backward pass against central differences of J = Σ g ∘ h̃: parameter
 * gradients and ∂J/∂e ADDED (buffers prefilled), ∂J/∂s written (prefilled
 * with garbage), padded memory gradients untouched.
 */
function checkBackward(a: Attention, c: Case, seed: number, what: string): void {
  const rng = new Rng(seed);
  const R = c.source.length;
  const g = Float64Array.from({ length: R * H }, () => rng.uniform(-1, 1));
  const J = (): number => {
    const out = a.forward(c.memory, c.Ts, c.Bs, c.mask, c.query, { rows: R, source: Int32Array.from(c.source) });
    let v = 0;
    for (let i = 0; i < R * H; i++) v += g[i]! * out[i]!;
    return v;
  };
  J();
  a.params.grad.fill(0.5);
  const dQuery = new Float64Array(R * H).fill(7);
  const dMemory = new Float64Array(c.memory.length).fill(0.25);
  a.backward(g, dQuery, dMemory);
  const dParams = Float64Array.from(a.params.grad, (v) => v - 0.5);
  const nParams = numericGradient(a.params.data, J, 1e-6);
  assertClose(dParams, nParams, 1e-8, `${what}: ∂J/∂θ`);
  const nQuery = numericGradient(c.query, J, 1e-6);
  assertClose(dQuery, nQuery, 1e-8, `${what}: ∂J/∂s`);
  for (let k = 0; k < c.memory.length; k++) {
    if (Number.isNaN(c.memory[k])) {
      assert.equal(dMemory[k], 0.25, `${what}: ∂J/∂e of a padded step, element ${k}`);
      continue;
    }
    const keep = c.memory[k]!;
    c.memory[k] = keep + 1e-6;
    const plus = J();
    c.memory[k] = keep - 1e-6;
    const minus = J();
    c.memory[k] = keep;
    const n = (plus - minus) / 2e-6;
    assert.ok(Math.abs(dMemory[k]! - 0.25 - n) < 1e-8, `${what}: ∂J/∂e[${k}] = ${dMemory[k]! - 0.25}, numeric ${n}`);
  }
  // the gradient is not trivially zero
  assert.ok(Math.max(...nParams.map(Math.abs)) > 1e-3 && Math.max(...nQuery.map(Math.abs)) > 1e-3, `${what}: gradients of size`);
}

test('attention forward: h̃ and α by the definitions; padded steps get α = 0 and are never read; rows sum to 1', () => {
  for (const bias of [true, false]) {
    const a = layer(bias);
    // two sources (lengths 3 and 2), four query rows reading them in mixed order
    checkForward(a, makeCase(1, [3, 2], [0, 1, 1, 0]), `bias ${bias}, masked`);
    // no mask: every step of every source is real
    checkForward(a, makeCase(2, [3, 3], [1, 0, 1], false), `bias ${bias}, no mask`);
  }
});

test('attention backward: every parameter, ∂J/∂s and ∂J/∂e against central differences (with and without b_c)', () => {
  for (const bias of [true, false]) {
    const a = layer(bias, 6);
    checkBackward(a, makeCase(3, [3, 2], [0, 1, 1, 0]), 30, `bias ${bias}, masked`);
    const c = makeCase(5, [2, 2, 2], [2, 0, 1], false);
    checkBackward(a, c, 31, `bias ${bias}, no mask`);
    // a fresh layer, the same shape twice (every buffer exactly as large as the pass): each row of δp is the new pass's own
    const fresh = layer(bias, 7);
    checkBackward(fresh, c, 32, `bias ${bias}, fresh layer`);
    checkBackward(fresh, c, 33, `bias ${bias}, fresh layer, again`);
  }
});

test('attention work buffers: shapes that grow in rows, in source steps, and shrink again give the definitions\' values', () => {
  const a = layer(true, 8);
  const shapes: [number[], number[]][] = [
    [[2], [0, 0]],
    [[1, 3], [1, 0, 1, 1, 0]],
    [[4, 2, 1], [2, 0, 1]],
    [[1], [0]],
    [[2, 3], [0, 1, 1, 0, 0, 1]],
    [[5, 4], [1, 0, 1]],
  ];
  shapes.forEach(([lengths, source], i) => {
    const c = makeCase(40 + i, lengths, source);
    checkForward(a, c, `shape ${i}`);
    checkBackward(a, c, 50 + i, `shape ${i}`);
  });
});

test('attention parameters: W_a H×S and W_c (S+H)×H by Glorot, b_c zeros; the refusals before a forward pass', () => {
  const config: AttentionConfig = { queryWidth: H, memoryWidth: S, bias: true, dtype: 'float64' };
  assert.deepEqual(ATTENTION_KINDS, ['none', 'luong']);
  assert.deepEqual(attentionParamSpecs(config), [
    { name: 'attention.W_a', rows: H, cols: S, init: 'glorot' },
    { name: 'attention.W_c', rows: S + H, cols: H, init: 'glorot' },
    { name: 'attention.b_c', rows: 1, cols: H, init: 'zeros' },
  ]);
  assert.deepEqual(attentionParamSpecs({ ...config, bias: false }).map((s) => s.name), ['attention.W_a', 'attention.W_c']);
  const a = new Attention(config, 3, jsKernels);
  assert.equal(a.params.size, H * S + (S + H) * H + H);
  assert.deepEqual(Array.from(a.b_c!), [0, 0]);
  for (const [w, bound] of [[a.W_a, Math.sqrt(6 / (H + S))], [a.W_c, Math.sqrt(6 / (S + H + H))]] as const) {
    for (const v of w) assert.ok(v !== 0 && Math.abs(v) <= bound, `Glorot value ${v}, bound ${bound}`);
  }
  // the views are the parameter set's storage
  assert.equal(a.W_a.buffer, a.params.data.buffer);
  a.W_a[0] = 9;
  assert.equal(a.params.view('attention.W_a')[0], 9);
  a.dW_c[1] = 4;
  assert.equal(a.params.gradView('attention.W_c')[1], 4);
  a.db_c![1] = 2;
  assert.equal(a.params.gradView('attention.b_c')[1], 2);
  const same = new Attention(config, 3, jsKernels);
  const other = new Attention(config, 4, jsKernels);
  assert.deepEqual(Array.from(same.W_c), Array.from(a.W_c), 'the same seed, the same weights');
  assert.notDeepEqual(Array.from(other.W_c), Array.from(a.W_c), 'another seed, other weights');
  const none = new Attention({ ...config, bias: false }, 3, jsKernels);
  assert.equal(none.b_c, null);
  assert.equal(none.db_c, null);
  assert.equal(none.params.size, H * S + (S + H) * H);
  refuses(() => a.weights(), Error, 'Attention.weights: run forward first');
  refuses(() => a.backward(new Float64Array(H), new Float64Array(H), new Float64Array(S)), Error, 'Attention.backward: run forward first');
});

test('attention with scores thousands apart (W_a × 1000): the softmax subtracts each row\'s largest score, so nothing overflows', () => {
  const a = layer(true, 12);
  for (let i = 0; i < a.W_a.length; i++) a.W_a[i]! *= 1000;
  for (const [lengths, source] of [[[3, 2], [0, 1, 1, 0]], [[4, 4, 2], [2, 1, 0, 0, 1]]] as [number[], number[]][]) {
    const c = makeCase(60 + source.length, lengths, source);
    checkForward(a, c, `W_a × 1000, ${source.length} rows`, true);
    // scores far apart indeed: each row's weight sits on one step
    const alpha = a.weights();
    c.source.forEach((_, r) => assert.ok(Math.max(...alpha.subarray(r * c.Ts, (r + 1) * c.Ts)) > 1 - 1e-9, `row ${r} peaked`));
  }
});
