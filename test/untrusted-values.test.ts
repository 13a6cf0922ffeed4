/**
 * Numbers that cannot be trusted are typed errors naming the place
 * (issue 14): NaN/Infinity in the inputs, targets or initial states of a
 * forward or gradient pass, mask values other than 0 and 1, NaN parameters
 * given to encodeCheckpoint, and `new Network()` without its options.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionError, RecurrentError, ValueError } from '../src/core/errors.js';
import { encodeCheckpoint } from '../src/io/checkpoint.js';
import { Network, type SequenceBatch } from '../src/model/network.js';

const T = 3;
const B = 2;
const D = 2;
const K = 2;
const H = 3;

function net(): Network {
  return new Network({ cell: 'lstm', inputSize: D, hiddenSize: H, outputSize: K, loss: 'mse', outputActivation: 'linear', dtype: 'float64', seed: 4 });
}

function batch(over: Partial<SequenceBatch> = {}): SequenceBatch {
  const x = new Float64Array(T * B * D).map((_, i) => Math.sin(i));
  const y = new Float64Array(T * B * K).map((_, i) => Math.cos(i));
  return { T, B, x: { kind: 'dense', data: x }, y: { kind: 'dense', data: y }, ...over };
}

function valueError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ValueError, `expected a ValueError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

test('NaN or Infinity in x, y or an initial state: forward and gradient throw a ValueError naming t, b and the column', () => {
  const n = net();
  const x = batch().x.data as Float64Array;
  x[1 * B * D + 1 * D + 1] = NaN; // t = 2, b = 1, column 1
  valueError(() => n.forward(batch({ x: { kind: 'dense', data: x } })), /^batch\.x\[t=2, b=1, 1\] is NaN; the inputs must be finite/);
  valueError(() => n.gradient(batch({ x: { kind: 'dense', data: x } })), /batch\.x\[t=2, b=1, 1\] is NaN/);
  const y = batch().y.data as Float64Array;
  y[0] = -Infinity;
  valueError(() => n.gradient(batch({ y: { kind: 'dense', data: y } })), /^batch\.y\[t=1, b=0, 0\] is -Infinity; the targets/);
  const init = [{ h: new Float64Array(B * H), c: new Float64Array(B * H).fill(NaN) }];
  valueError(() => n.forward(batch({ init })), /^batch\.init\[0\]\.c\[b=0, 0\] is NaN/);
  // the same batch without the bad values passes, and gives finite outputs
  const ok = n.forward(batch());
  assert.ok(Array.from(ok).every(Number.isFinite));
});

test('a mask holds only 0 and 1: a 2 (run by the cells, ignored by the loss) is an error', () => {
  const n = net();
  const mask = new Uint8Array(T * B).fill(1);
  mask[3] = 2; // t = 2, b = 1
  valueError(() => n.gradient(batch({ mask })), /^batch\.mask\[t=2, b=1\] is 2; a mask holds 1 .* and 0 .*nothing else$/);
  mask[3] = 0;
  const r = n.gradient(batch({ mask }));
  assert.equal(r.count, T * B - 1); // the masked step carries no loss
});

test('new Network() without options is an OptionError, not a TypeError', () => {
  for (const bad of [undefined, null, 'lstm']) {
    assert.throws(() => new Network(bad as never), (e: unknown) => e instanceof OptionError && /needs its options/.test(e.message));
  }
});

test('encodeCheckpoint refuses a network with NaN parameters, naming the parameter', () => {
  const n = net();
  assert.ok(encodeCheckpoint({ networks: { model: n } }).length > 0);
  const V = n.params.view('V');
  V[1 * K + 0] = NaN;
  assert.throws(() => encodeCheckpoint({ networks: { model: n } }), (e: unknown) =>
    e instanceof RecurrentError && e instanceof ValueError && /^checkpoint network "model": parameter V\[1\]\[0\] is NaN \(1 non-finite values in V\); such a model is not saved/.test(e.message));
});
