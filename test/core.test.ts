/** The numeric core: kernels against a naive reference, the seeded generator, initialisers, typed errors. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsKernels } from '../src/core/kernels.js';
import { Rng } from '../src/core/rng.js';
import { initOrthogonal } from '../src/core/init.js';
import { OptionError, RecurrentError, ShapeError } from '../src/core/errors.js';
import { Network } from '../src/model/network.js';
import { gradientDescent } from '../src/train/gradient-descent.js';
import { lectureBatch, lectureNetwork } from '../src/lecture/example.js';
import { assertClose } from './helpers/approx.js';

test('gemm: every transpose combination, with offsets, leading dimensions and accumulation', () => {
  const rng = new Rng(1);
  for (const [M, N, K] of [[1, 1, 1], [7, 13, 5], [4, 9, 16]] as const) {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        const lda = (tA ? M : K) + 2;
        const ldb = (tB ? K : N) + 1;
        const ldc = N + 3;
        const A = Float64Array.from({ length: 3 + lda * (tA ? K : M) }, () => rng.normal());
        const Bm = Float64Array.from({ length: 5 + ldb * (tB ? N : K) }, () => rng.normal());
        const C0 = Float64Array.from({ length: 2 + ldc * M }, () => rng.normal());
        for (const acc of [false, true]) {
          const C = Float64Array.from(C0);
          jsKernels.gemm(tA, tB, M, N, K, A, 3, lda, Bm, 5, ldb, C, 2, ldc, acc);
          for (let i = 0; i < M; i++) {
            for (let j = 0; j < N; j++) {
              let s = acc ? C0[2 + i * ldc + j]! : 0;
              for (let k = 0; k < K; k++) {
                const a = tA ? A[3 + k * lda + i]! : A[3 + i * lda + k]!;
                const b = tB ? Bm[5 + j * ldb + k]! : Bm[5 + k * ldb + j]!;
                s += a * b;
              }
              assertClose(C[2 + i * ldc + j]!, s, 1e-12, `C[${i},${j}] tA=${tA} tB=${tB} acc=${acc}`);
            }
            // padding between rows is untouched
            for (let j = N; j < ldc && i < M - 1; j++) assert.equal(C[2 + i * ldc + j], C0[2 + i * ldc + j]);
          }
        }
      }
    }
  }
});

test('gatherRows is the one-hot product and scatterAddRows its transpose', () => {
  const W = Float64Array.from([1, 2, 3, 4, 5, 6]); // 3×2
  const C = new Float64Array(6);
  jsKernels.gatherRows(3, 2, Int32Array.from([2, -1, 0]), 0, W, 0, 2, C, 0, 2, false);
  assert.deepEqual(Array.from(C), [5, 6, 0, 0, 1, 2]);
  const dW = new Float64Array(6);
  jsKernels.scatterAddRows(3, 2, Int32Array.from([2, -1, 2]), 0, Float64Array.from([1, 1, 9, 9, 2, 3]), 0, 2, dW, 0, 2);
  assert.deepEqual(Array.from(dW), [0, 0, 0, 0, 3, 4]);
});

test('Rng: a seed reproduces the stream, state round-trips, values are uniform-looking', () => {
  const a = new Rng(123);
  const b = new Rng(123);
  const first = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(first, Array.from({ length: 5 }, () => b.next()));
  assert.notDeepEqual(first, Array.from({ length: 5 }, () => new Rng(124).next()));
  const state = a.getState();
  const after = Array.from({ length: 3 }, () => a.nextUint32());
  const c = new Rng(0);
  c.setState(state);
  assert.deepEqual(Array.from({ length: 3 }, () => c.nextUint32()), after);
  let sum = 0;
  let sq = 0;
  const r = new Rng(5);
  for (let i = 0; i < 20000; i++) {
    const z = r.normal();
    sum += z;
    sq += z * z;
  }
  assert.ok(Math.abs(sum / 20000) < 0.03 && Math.abs(sq / 20000 - 1) < 0.05, 'normal() has mean 0 and variance 1');
  assert.throws(() => c.setState([0, 0, 0, 0]), OptionError);
});

test('orthogonal initialisation gives orthonormal rows (square) and orthogonal gate blocks', () => {
  const n = 5;
  const q = new Float64Array(n * n);
  initOrthogonal(q, n, n, new Rng(2));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += q[i * n + k]! * q[j * n + k]!;
      assertClose(dot, i === j ? 1 : 0, 1e-12, `QQᵀ[${i},${j}]`);
    }
  }
});

test('bad options and shapes throw typed errors that name the argument', () => {
  assert.throws(() => new Network({ inputSize: 0, hiddenSize: 2, outputSize: 1 }), (e: unknown) => e instanceof OptionError && /inputSize/.test(e.message));
  assert.throws(() => new Network({ inputSize: 2, hiddenSize: 2, outputSize: 1, cell: 'transformer' as never }), /cell must be one of rnn, lstm, gru/);
  assert.throws(() => new Network({ inputSize: 2, hiddenSize: 2, outputSize: 1, hiddenSize2: 3 } as never), /unknown network option "hiddenSize2"/);
  assert.throws(() => new Network({ inputSize: 2, hiddenSize: 2, outputSize: 2, outputActivation: 'softmax' }), /softmax.*cross-entropy/);
  assert.throws(() => new Network({ inputSize: 80, hiddenSize: 1e9, outputSize: 80 }), /would need [0-9.e+]+ GiB of memory/);
  const net = new Network({ inputSize: 3, hiddenSize: 2, outputSize: 3, dtype: 'float64' });
  assert.throws(() => net.forward({ T: 1e9, B: 64, x: { kind: 'index', data: new Int32Array(0) }, y: { kind: 'index', data: new Int32Array(0) } }), /batch\.x has 0 indices/);
  assert.throws(
    () => net.forward({ T: 2, B: 1, x: { kind: 'dense', data: new Float64Array(5) }, y: { kind: 'dense', data: new Float64Array(6) } }),
    (e: unknown) => e instanceof ShapeError && /batch\.x has 5 values, expected T×B×D = 2×1×3 = 6/.test(e.message),
  );
  assert.throws(
    () => net.forward({ T: 2, B: 1, x: { kind: 'index', data: Int32Array.from([0, 3]) }, y: { kind: 'dense', data: new Float64Array(6) } }),
    /index 3 .* outside/,
  );
  assert.throws(() => net.forward({ T: 2, B: 1, x: { kind: 'dense', data: new Float32Array(6) }, y: { kind: 'dense', data: new Float64Array(6) } }), /dtype is float64/);
  assert.throws(() => gradientDescent(lectureNetwork(), lectureBatch(), { learningRate: -1 }), (e: unknown) => e instanceof RecurrentError && /learningRate/.test(e.message));
  assert.throws(() => gradientDescent(lectureNetwork(), lectureBatch(), { lr: 0.1 } as never), /unknown gradientDescent option "lr"/);
  assert.throws(() => new Network({ inputSize: 3, hiddenSize: 2, outputSize: 3, layers: 2, dtype: 'float64' }).gradient(lectureBatch(), { gradientMode: 'lecture' }), /single-layer RNN/);
});

test('one-to-many generation feeds the argmax back as the next input', () => {
  const net = lectureNetwork();
  const batch = lectureBatch();
  gradientDescent(net, batch);
  const T = 4;
  const seed = new Float64Array(T * 3);
  seed[0] = 1;
  const y = { kind: 'dense' as const, data: new Float64Array(T * 3) };
  const fed = Float64Array.from(net.forward({ T, B: 1, x: { kind: 'dense', data: seed }, y, feedback: 'argmax' }));
  assert.equal(argmax(fed.subarray(0, 3)), 1, 'the trained model answers 2 to the seed 1');
  // The same outputs come from a plain forward pass given those inputs explicitly.
  const x = new Float64Array(T * 3);
  x[0] = 1;
  for (let t = 1; t < T; t++) x[t * 3 + argmax(fed.subarray((t - 1) * 3, t * 3))] = 1;
  const plain = net.forward({ T, B: 1, x: { kind: 'dense', data: x }, y });
  assertClose(plain, fed, 1e-15, 'ŷ with argmax feedback');
  // and the seed sequence itself is untouched
  assert.deepEqual(Array.from(seed), [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
});

function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}
