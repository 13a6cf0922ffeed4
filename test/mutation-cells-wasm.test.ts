/**
 * The cells' float32 fast paths on the WebAssembly kernels (fused tanh
 * forward and backward, fused LSTM gates; W packed once per pass for B ≥ 4,
 * not for B = 3) against the same network in float64 on the JavaScript
 * kernels: loss, ∂J/∂θ and ∂J/∂h(0), with and without masks and truncation.
 *
 * The kernels are chosen here explicitly: a test that imports only
 * src/model never loads them (src/kernels/index.ts does), and the float32
 * network then runs the JavaScript kernels, whose products are the
 * float64 ones rounded. Small and fast for `npm run mutate -- cells`.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LstmCell, lstmParamSpecs } from '../src/cells/lstm.js';
import { jsKernels } from '../src/core/kernels.js';
import { ParamSet } from '../src/core/params.js';
import { Rng } from '../src/core/rng.js';
import { kernelsName, useKernels } from '../src/kernels/index.js';
import { Network, type NetworkOptions, type SequenceBatch } from '../src/model/network.js';
import { relativeError } from './helpers/truncation.js';

const wasm = useKernels('wasm');
const D = 2;
const H = 4; // a multiple of 4: the fused LSTM kernels refuse other widths
const K = 3;
const T = 5;
const B = 5;
/** T×B: sequence 0 with a hole at step 3, 1 left-padded by two, 2 with holes at 2 and 4, 3 ending after step 3, 4 full. */
const MASK = Uint8Array.from([
  1, 0, 1, 1, 1,
  1, 0, 0, 1, 1,
  0, 1, 1, 1, 1,
  1, 1, 0, 0, 1,
  1, 1, 1, 0, 1,
]);

type Cell = 'rnn' | 'lstm' | 'gru';
const CASES: { cell: Cell; hiddenActivation?: 'tanh' | 'relu' | 'linear' }[] = [
  { cell: 'rnn', hiddenActivation: 'tanh' }, { cell: 'rnn', hiddenActivation: 'relu' }, { cell: 'rnn', hiddenActivation: 'linear' },
  { cell: 'lstm' }, { cell: 'gru' },
];

test('the WebAssembly kernels are the ones in use (a float32 network here takes their fused paths)', () => {
  assert.notEqual(wasm, jsKernels);
  assert.match(kernelsName(), /^wasm/);
  assert.equal(typeof wasm.tanhInPlace, 'function');
  assert.equal(typeof wasm.packB, 'function');
  assert.equal(typeof wasm.lstmGates, 'function');
  // each fused kernel reports that it ran (it returns false, doing nothing, on arrays or widths it refuses)
  const names = ['tanhInPlace', 'tanhBackward', 'lstmGates', 'lstmGatesBackward', 'gemmPacked'] as const;
  const ran = new Map<string, number>(names.map((n) => [n, 0]));
  const k = wasm as unknown as Record<string, (...args: unknown[]) => boolean>;
  for (const name of names) {
    const original = k[name]!;
    k[name] = function (this: unknown, ...args: unknown[]): boolean {
      const done = original.apply(this, args);
      if (done) ran.set(name, ran.get(name)! + 1);
      return done;
    };
  }
  try {
    for (const cell of ['rnn', 'lstm'] as const) {
      const net = new Network({ cell, inputSize: D, hiddenSize: H, outputSize: K, dtype: 'float32', seed: 1 });
      const data = (n: number): { kind: 'dense'; data: Float32Array } => ({ kind: 'dense', data: Float32Array.from({ length: n }, (_, i) => Math.sin(i)) });
      net.gradient({ T, B, x: data(T * B * D), y: data(T * B * K) });
    }
  } finally {
    for (const name of names) delete k[name];
  }
  for (const name of names) assert.ok(ran.get(name)! > 0, `${name} never ran`);
});

/** The first `b` columns of MASK (its first three rows hold every kind of hole too). */
function maskOf(b: number): Uint8Array {
  return Uint8Array.from({ length: T * b }, (_, i) => MASK[Math.floor(i / b) * B + (i % b)]!);
}

for (const c of CASES) {
  const name = `${c.cell}${c.hiddenActivation ? ` ${c.hiddenActivation}` : ''}`;
  test(`${name}: float32 on the wasm kernels equals float64 on the JavaScript kernels (J, ∂J/∂θ, ∂J/∂h(0); masks, truncation, B = 5 packed and 3 not)`, () => {
    const options: NetworkOptions = { cell: c.cell, inputSize: D, hiddenSize: H, outputSize: K, seed: 9, ...(c.hiddenActivation ? { hiddenActivation: c.hiddenActivation } : {}) };
    const n64 = new Network({ ...options, dtype: 'float64', kernels: jsKernels });
    const n32 = new Network({ ...options, dtype: 'float32' });
    assert.equal(n32.kernels, wasm);
    const rng = new Rng(10);
    for (let i = 0; i < n64.params.size; i++) n64.params.data[i] = rng.uniform(-0.9, 0.9);
    n32.params.data.set(n64.params.data);
    const S = c.cell === 'lstm' ? 2 : 1;
    for (const b of [B, 3]) {
      const x = Array.from({ length: T * b * D }, () => rng.uniform(-1, 1));
      const y = Array.from({ length: T * b * K }, () => rng.uniform(-1, 1));
      const init = Array.from({ length: S }, () => Array.from({ length: b * H }, () => rng.uniform(-0.8, 0.8)));
      const batch = (A: Float64ArrayConstructor | Float32ArrayConstructor, mask: Uint8Array | undefined, withInit: boolean): SequenceBatch => ({
        T, B: b, x: { kind: 'dense', data: A.from(x) }, y: { kind: 'dense', data: A.from(y) }, ...(mask ? { mask } : {}),
        ...(withInit ? { init: [S === 2 ? { h: A.from(init[0]!), c: A.from(init[1]!) } : { h: A.from(init[0]!) }] } : {}),
      });
      for (const mask of [undefined, maskOf(b)]) {
        for (const truncate of [undefined, 2]) {
          for (const withInit of [false, true]) {
            const what = `B ${b}, mask ${mask ? 'on' : 'off'}, truncate ${truncate}, init ${withInit}`;
            // without ∂J/∂h(0) (the backward may stop at step 1), then with it
            for (const initGradient of [false, true]) {
              const opts = { ...(truncate ? { truncate } : {}), initGradient };
              n64.params.zeroGrad();
              const g64 = n64.gradient(batch(Float64Array, mask, withInit), opts);
              n32.params.zeroGrad();
              const g32 = n32.gradient(batch(Float32Array, mask, withInit), opts);
              assert.ok(Math.abs(g32.loss - g64.loss) < 1e-5 * Math.max(1, Math.abs(g64.loss)), `${what}: J ${g32.loss} vs ${g64.loss}`);
              const err = relativeError(n32.params.grad, n64.params.grad);
              assert.ok(err < 1e-5, `${what}, initGradient ${initGradient}: ∂J/∂θ relative error ${err}`);
              if (!initGradient) continue;
              const e0 = relativeError(g32.initGradient![0]!.h, g64.initGradient![0]!.h);
              assert.ok(e0 < 1e-5, `${what}: ∂J/∂h(0) relative error ${e0}`);
              assert.ok(g64.initGradient![0]!.h.some((v) => Math.abs(v) > 1e-3), `${what}: a gradient reaches h(0)`);
              if (S === 2) {
                const ec = relativeError(g32.initGradient![0]!.c!, g64.initGradient![0]!.c!);
                assert.ok(ec < 1e-5, `${what}: ∂J/∂c(0) relative error ${ec}`);
              }
            }
            // the forward alone (no gradient): the same outputs
            const o64 = n64.forward(batch(Float64Array, mask, withInit));
            const o32 = n32.forward(batch(Float32Array, mask, withInit));
            assert.ok(relativeError(o32, o64) < 1e-5, `${what}: forward`);
          }
        }
      }
    }
  });
}

test('lstm cell alone, float32 on the wasm kernels (fused gates backward) with a gradient on C(T) from beyond (dFinalC) and dX: equals float64', () => {
  const [T2, B2, D2, H2] = [4, 5, 3, 4];
  const rng = new Rng(23);
  const spec = lstmParamSpecs({ inputSize: D2, hiddenSize: H2, bias: true, prefix: '' });
  const p64 = new ParamSet(spec, 'float64');
  const p32 = new ParamSet(spec, 'float32');
  for (let i = 0; i < p64.data.length; i++) p64.data[i] = rng.uniform(-0.8, 0.8);
  p32.data.set(p64.data);
  const c64 = new LstmCell({ inputSize: D2, hiddenSize: H2, bias: true, prefix: '', kernels: jsKernels }, p64);
  const c32 = new LstmCell({ inputSize: D2, hiddenSize: H2, bias: true, prefix: '', kernels: wasm }, p32);
  const xs = Array.from({ length: T2 * B2 * D2 }, () => rng.uniform(-1, 1));
  const g = Array.from({ length: T2 * B2 * H2 }, () => rng.uniform(-1, 1));
  const w = Array.from({ length: B2 * H2 }, () => rng.uniform(-1, 1));
  const run = (cell: LstmCell, params: ParamSet, A: Float64ArrayConstructor | Float32ArrayConstructor, truncate?: number): { grad: number[]; dX: number[] } => {
    const cache = cell.createCache(T2, B2);
    const x = { kind: 'dense' as const, data: A.from(xs) };
    cell.forward(x, T2, B2, cache);
    params.zeroGrad();
    const dX = new A(T2 * B2 * D2);
    cell.backward(x, T2, B2, cache, A.from(g), dX, null, undefined, { dFinalC: A.from(w), ...(truncate ? { truncate } : {}) });
    return { grad: Array.from(params.grad), dX: Array.from(dX) };
  };
  for (const truncate of [undefined, 2]) {
    const a = run(c64, p64, Float64Array, truncate);
    const b = run(c32, p32, Float32Array, truncate);
    assert.ok(relativeError(b.grad, a.grad) < 1e-5, `truncate ${truncate}: ∂L/∂θ ${relativeError(b.grad, a.grad)}`);
    assert.ok(relativeError(b.dX, a.dX) < 1e-5, `truncate ${truncate}: dX ${relativeError(b.dX, a.dX)}`);
  }
});
