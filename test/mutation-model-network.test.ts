/**
 * The network's forward paths and bookkeeping that the other mutation-model
 * files leave open, for `npm run mutate -- model`, each against values
 * computed here:
 *
 * - argmax feedback with dense (one-hot) inputs: the caller's x is not
 *   written, and the fed one-hot rows give, bit for bit, the outputs of a
 *   plain pass on them; ties between outputs go to the first symbol; the
 *   feedback pass starts from the given initial states; a sigmoid output;
 * - the output layer: a float32 softmax on the WebAssembly kernels is their
 *   own softmax kernel, bit for bit, in a whole pass and step by step;
 * - the length refusals with B > 1 in their messages (T×B differs from
 *   T/B), and symbol arrays longer than T×B: only the first T×B are read;
 * - work buffers: a size whose buffers grow becomes the most recently used,
 *   one reused keeps its place; the memory refused for one shape, S > 1;
 * - the GRU's variant reaches its cells and parameter list; the refusal of
 *   a bad inputSize names it.
 *
 * The gradients' side is in mutation-model-backward.test.ts.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShapeError } from '../src/core/errors.js';
import { jsKernels } from '../src/core/kernels.js';
import { Rng } from '../src/core/rng.js';
import { useKernels } from '../src/kernels/index.js';
import { Network, type SequenceBatch } from '../src/model/network.js';
import { randomNetwork as randomNet } from './helpers/random-network.js';


const K = 3;

function feedbackNet(seed: number): Network {
  const n = new Network({ inputSize: K, hiddenSize: 3, outputSize: K, dtype: 'float64', loss: 'cross-entropy', kernels: jsKernels });
  const rng = new Rng(seed);
  for (let i = 0; i < n.params.size; i++) n.params.data[i] = rng.uniform(-1.5, 1.5);
  return n;
}

/** What argmax feedback feeds: step 0's symbols from x, then at each step t ≥ 1 the argmax of step t − 1's output (first of ties). */
function argmaxInputs(x: Int32Array, fed: Float32Array | Float64Array, T: number, B: number, K: number): Int32Array {
  const inputs = Int32Array.from(x);
  for (let t = 1; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const row = fed.subarray(((t - 1) * B + b) * K, ((t - 1) * B + b + 1) * K);
      inputs[t * B + b] = row.indexOf(Math.max(...row));
    }
  }
  return inputs;
}

test('argmax feedback with dense inputs: x is not written; each later row is the one-hot of the previous argmax (a plain pass on those rows gives the same outputs)', () => {
  const [T, B] = [5, 3];
  const n = feedbackNet(8);
  // step 1: a one-hot of symbol b per sequence; the later rows hold values the feedback must replace
  const x = new Float64Array(T * B * K).fill(0.25);
  for (let b = 0; b < B; b++) {
    x.fill(0, b * K, (b + 1) * K);
    x[b * K + b] = 1;
  }
  const given = Array.from(x);
  const y: SequenceBatch['y'] = { kind: 'index', data: new Int32Array(T * B) };
  const fed = Float64Array.from(n.forward({ T, B, x: { kind: 'dense', data: x }, y, feedback: 'argmax' }));
  assert.deepEqual(Array.from(x), given, 'the caller\'s x is not written');
  const onehots = new Float64Array(T * B * K);
  onehots.set(x.subarray(0, B * K));
  const symbols: number[] = [];
  for (let t = 1; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const row = fed.subarray(((t - 1) * B + b) * K, ((t - 1) * B + b + 1) * K);
      const best = row.indexOf(Math.max(...row));
      symbols.push(best);
      onehots[(t * B + b) * K + best] = 1;
    }
  }
  assert.ok(new Set(symbols).size > 1, `the fed symbols vary: ${symbols}`);
  const plain = n.forward({ T, B, x: { kind: 'dense', data: onehots }, y });
  assert.deepEqual(Array.from(plain), Array.from(fed));
});

test('argmax feedback: a tie between outputs feeds the first symbol (dense and symbol inputs)', () => {
  const [T, B] = [3, 2];
  const n = feedbackNet(3);
  // V = 0 and b_o = 0: every output row is uniform, so every argmax is a tie, decided for symbol 0
  n.V.fill(0);
  n.b_o!.fill(0);
  const y: SequenceBatch['y'] = { kind: 'index', data: new Int32Array(T * B) };
  const statesOf = (batch: SequenceBatch): number[] => {
    n.forward(batch);
    return [1, 2, 3].flatMap((t) => Array.from(n.stateAt(t, B)[0]!.h));
  };
  const symbols = Int32Array.from([1, 2, 0, 0, 0, 0]);
  const want = statesOf({ T, B, x: { kind: 'index', data: symbols }, y });
  // a symbol other than 0 would give other states (U's rows differ)
  assert.notDeepEqual(statesOf({ T, B, x: { kind: 'index', data: Int32Array.from([1, 2, 2, 2, 2, 2]) }, y }), want);
  assert.deepEqual(statesOf({ T, B, x: { kind: 'index', data: Int32Array.from([1, 2, -1, -1, -1, -1]) }, y, feedback: 'argmax' }), want);
  const dense = new Float64Array(T * B * K);
  symbols.forEach((s, r) => { dense[r * K + s] = 1; });
  const noisy = Float64Array.from(dense);
  noisy.fill(0.5, B * K);
  assert.deepEqual(statesOf({ T, B, x: { kind: 'dense', data: noisy }, y, feedback: 'argmax' }), want);
});

test('argmax feedback starts from the given initial states (symbol inputs)', () => {
  const [T, B, H] = [4, 2, 3];
  const n = feedbackNet(8);
  const rng = new Rng(21);
  const init = [{ h: Float64Array.from({ length: B * H }, () => rng.uniform(-1, 1)) }];
  const y: SequenceBatch['y'] = { kind: 'index', data: new Int32Array(T * B) };
  const x = Int32Array.from([0, 1, -1, -1, -1, -1, -1, -1]);
  // a pass from zero states first, so that the work buffers hold other states
  n.forward({ T, B, x: { kind: 'index', data: x }, y, feedback: 'argmax' });
  const fed = Float64Array.from(n.forward({ T, B, x: { kind: 'index', data: x }, y, feedback: 'argmax', init }));
  const inputs = argmaxInputs(x, fed, T, B, K);
  const plain = Float64Array.from(n.forward({ T, B, x: { kind: 'index', data: inputs }, y, init }));
  assert.deepEqual(Array.from(fed), Array.from(plain));
  const fromZero = n.forward({ T, B, x: { kind: 'index', data: inputs }, y });
  assert.notDeepEqual(Array.from(fromZero), Array.from(plain), 'the initial state matters');
});


test('batch refusals with B > 1: the T×B products in the messages; symbol arrays read to T×B only', () => {
  const n = randomNet({ inputSize: 3, hiddenSize: 2, outputSize: 2 }, 43);
  const [T, B] = [2, 4];
  const refuses = (batch: Partial<SequenceBatch>, message: string): void => {
    assert.throws(() => n.forward({ T, B, x: { kind: 'dense', data: new Float64Array(24) }, y: { kind: 'dense', data: new Float64Array(16) }, ...batch }), (e: unknown) => {
      assert.ok(e instanceof ShapeError, String(e));
      assert.equal((e as Error).message, message);
      return true;
    });
  };
  refuses({ x: { kind: 'dense', data: new Float64Array(23) } }, 'batch.x has 23 values, expected T×B×D = 2×4×3 = 24');
  refuses({ x: { kind: 'index', data: new Int32Array(7) } }, 'batch.x has 7 indices, expected T×B = 2×4 = 8');
  refuses({ y: { kind: 'dense', data: new Float64Array(15) } }, 'batch.y has 15 values, expected T×B×K = 2×4×2 = 16');
  refuses({ y: { kind: 'index', data: new Int32Array(7) } }, 'batch.y has 7 indices, expected T×B = 2×4 = 8');
  refuses({ mask: new Uint8Array(7) }, 'batch.mask has 7 entries, expected T×B = 8');
  // every one of the T×B symbols is checked, the last one too (not only the first T/B)
  refuses({ x: { kind: 'index', data: Int32Array.from([0, 1, 2, 0, 1, 2, 0, 3]) } }, 'batch.x index 3 at position 7 is outside [−1, 3) (inputSize D = 3)');
  refuses({ y: { kind: 'index', data: Int32Array.from([0, 1, 1, 0, 1, 0, 0, 2]) } }, 'batch.y index 2 at position 7 is outside [−1, 2) (outputSize K = 2)');
  // past T×B, values outside [−1, D) and [−1, K) are not read
  const long = Int32Array.from([0, 1, 2, -1, 0, 1, 2, -1, 99]);
  const y = Int32Array.from([0, 1, 1, -1, 0, 1, 0, -1, 99]);
  const withTail = Float64Array.from(n.forward({ T, B, x: { kind: 'index', data: long }, y: { kind: 'index', data: y } }));
  const exact = n.forward({ T, B, x: { kind: 'index', data: long.subarray(0, 8) }, y: { kind: 'index', data: y.subarray(0, 8) } });
  assert.deepEqual(withTail, Float64Array.from(exact));
});

test('work buffers: a batch size whose buffers grow becomes the most recently used (a fifth size drops another)', () => {
  const n = randomNet({ inputSize: 1, hiddenSize: 2, outputSize: 1 }, 47);
  const pass = (T: number, B: number): void => {
    n.forward({ T, B, x: { kind: 'dense', data: new Float64Array(T * B).fill(0.5) }, y: { kind: 'dense', data: new Float64Array(T * B) } });
  };
  pass(2, 1);
  pass(2, 2);
  pass(3, 1); // B = 1 grows: now the newest
  pass(2, 3);
  pass(2, 4);
  pass(2, 5); // drops B = 2, the oldest
  assert.throws(() => n.stateAt(1, 2), /no forward pass of that shape/);
  for (const B of [1, 3, 4, 5]) n.stateAt(1, B);
  n.stateAt(3, 1);
  // a pass that fits the buffers (T equal to their capacity) reuses them and keeps their place: B = 1 stays the oldest
  pass(3, 1);
  pass(2, 6);
  assert.throws(() => n.stateAt(1, 1), /no forward pass of that shape/);
  for (const B of [3, 4, 5, 6]) n.stateAt(1, B);
});

test('work buffers of one shape: the memory refused counts T·B·(L·12·S + 3K + 2S + D) elements, with S > 1', () => {
  // symbol inputs and targets whose length alone is read: nothing is allocated before the refusal
  const unread = (n: number): { kind: 'index'; data: Int32Array } => ({ kind: 'index', data: { length: n } as Int32Array });
  const refusal = (n: Network, T: number, B: number, perRow: number): void => {
    const gib = (T * B * perRow * 8 / 1024 ** 3).toPrecision(3);
    assert.throws(() => n.forward({ T, B, x: unread(T * B), y: unread(T * B) }), {
      name: 'OptionError',
      message: `the work buffers for T = ${T}, B = ${B} would need ${gib} GiB of memory (limit 8 GiB); choose smaller sizes`,
    });
  };
  // 256 layers of width 8: L·12·S = 24576 of the 24596 elements per row
  const deep = new Network({ inputSize: 1, hiddenSize: 8, outputSize: 1, layers: 256, dtype: 'float64', bias: false });
  refusal(deep, 1500000, 2, 256 * 12 * 8 + 3 + 2 * 8 + 1);
  // one layer of width 64: 2S = 128 of the 900
  const wide = new Network({ inputSize: 1, hiddenSize: 64, outputSize: 1, dtype: 'float64', bias: false });
  refusal(wide, 1000000, 2, 12 * 64 + 3 + 2 * 64 + 1);
});

test('argmax feedback on the WebAssembly kernels in float32: each step\'s softmax rows (their kernel, from row (t−1)·B) as in a plain pass', () => {
  const wasm = useKernels('wasm');
  const [T, B] = [5, 3];
  const n = new Network({ inputSize: K, hiddenSize: 4, outputSize: K, loss: 'cross-entropy', kernels: wasm });
  const rng = new Rng(8);
  for (let i = 0; i < n.params.size; i++) n.params.data[i] = rng.uniform(-1.5, 1.5);
  const x = new Int32Array(T * B).fill(-1);
  for (let b = 0; b < B; b++) x[b] = b;
  const y: SequenceBatch['y'] = { kind: 'index', data: new Int32Array(T * B) };
  const fed = Float32Array.from(n.forward({ T, B, x: { kind: 'index', data: x }, y, feedback: 'argmax' }));
  const inputs = argmaxInputs(x, fed, T, B, K);
  assert.ok(new Set(inputs.subarray(B)).size > 1, `the fed symbols vary: ${inputs}`);
  const plain = n.forward({ T, B, x: { kind: 'index', data: inputs }, y });
  for (let i = 0; i < fed.length; i++) assert.ok(Math.abs(fed[i]! - plain[i]!) < 1e-6, `element ${i}: ${fed[i]} ≠ ${plain[i]}`);
});

test('float32 softmax on the WebAssembly kernels: ŷ is their softmax kernel applied to neto, bit for bit (not the JavaScript softmax)', () => {
  const wasm = useKernels('wasm');
  const [D, H, Kn, T, B] = [3, 4, 5, 3, 2];
  const soft = new Network({ inputSize: D, hiddenSize: H, outputSize: Kn, loss: 'cross-entropy', kernels: wasm, seed: 5 });
  const lin = new Network({ inputSize: D, hiddenSize: H, outputSize: Kn, kernels: wasm, seed: 5 });
  lin.params.data.set(soft.params.data);
  for (let j = 0; j < Kn; j++) soft.b_o![j] = lin.b_o![j] = 0.4 * (j - 2);
  const rng = new Rng(6);
  const x = Float32Array.from({ length: T * B * D }, () => rng.uniform(-2, 2));
  const batch = (): SequenceBatch => ({ T, B, x: { kind: 'dense', data: Float32Array.from(x) }, y: { kind: 'dense', data: new Float32Array(T * B * Kn) } });
  const neto = lin.forward(batch());
  const kernel = lin.kernels.softmaxRows ? Float32Array.from(neto) : null;
  assert.ok(kernel, 'the WebAssembly kernels have a softmax');
  // the kernel works in place on arrays in its heap: apply it to neto where it lies, then read it
  assert.equal(lin.kernels.softmaxRows!(neto, 0, T * B, Kn), true);
  kernel!.set(neto);
  const js = Float32Array.from(lin.forward(batch()));
  softmaxByJs(js, Kn);
  assert.notDeepEqual(Array.from(js), Array.from(kernel!), 'the two softmaxes differ in some bit here');
  assert.deepEqual(Array.from(soft.forward(batch())), Array.from(kernel!));
});

/** The JavaScript softmax (src/core/activations.ts's, as applyOutputActivation does it) of each row, in place. */
function softmaxByJs(a: Float32Array, n: number): void {
  for (let o = 0; o < a.length; o += n) {
    let max = -Infinity;
    for (let j = 0; j < n; j++) if (a[o + j]! > max) max = a[o + j]!;
    let sum = 0;
    for (let j = 0; j < n; j++) sum += (a[o + j] = Math.exp(a[o + j]! - max));
    const inv = 1 / sum;
    for (let j = 0; j < n; j++) a[o + j]! *= inv;
  }
}

test('argmax feedback with a sigmoid output: equals a plain pass on the inputs it fed itself', () => {
  const [T, B, H] = [5, 3, 3];
  const n = new Network({ inputSize: K, hiddenSize: H, outputSize: K, outputActivation: 'sigmoid', dtype: 'float64', kernels: jsKernels });
  const rng = new Rng(51); // a seed whose fed symbols vary
  for (let i = 0; i < n.params.size; i++) n.params.data[i] = rng.uniform(-1.5, 1.5);
  const y: SequenceBatch['y'] = { kind: 'dense', data: new Float64Array(T * B * K) };
  const x = new Int32Array(T * B).fill(-1);
  for (let b = 0; b < B; b++) x[b] = b;
  const fed = Float64Array.from(n.forward({ T, B, x: { kind: 'index', data: x }, y, feedback: 'argmax' }));
  for (const v of fed) assert.ok(v > 0 && v < 1, `${v} is a sigmoid's value`);
  const inputs = argmaxInputs(x, fed, T, B, K);
  assert.ok(new Set(inputs.subarray(B)).size > 1, `the fed symbols vary: ${inputs}`);
  assert.deepEqual(Array.from(n.forward({ T, B, x: { kind: 'index', data: inputs }, y })), Array.from(fed));
});

test('the GRU variant reaches every layer (cells and parameters); a bad inputSize is named', () => {
  const before = new Network({ cell: 'gru', variant: 'reset-before', inputSize: 2, hiddenSize: 2, outputSize: 1, layers: 2 });
  assert.deepEqual(before.params.entries.map((e) => e.name), ['layer0.W', 'layer0.b', 'layer1.W', 'layer1.b', 'V', 'b_o']);
  assert.deepEqual(before.layers.map((c) => (c as unknown as { variant: string }).variant), ['reset-before', 'reset-before']);
  const after = new Network({ cell: 'gru', inputSize: 2, hiddenSize: 2, outputSize: 1, layers: 2 });
  assert.deepEqual(after.params.entries.map((e) => e.name), ['layer0.W', 'layer0.b', 'layer0.b_hn', 'layer1.W', 'layer1.b', 'layer1.b_hn', 'V', 'b_o']);
  assert.deepEqual(after.layers.map((c) => (c as unknown as { variant: string }).variant), ['reset-after', 'reset-after']);
  assert.throws(() => new Network({ inputSize: 0, hiddenSize: 2, outputSize: 1 }), { name: 'OptionError', message: 'inputSize must be a positive integer, got 0' });
});
