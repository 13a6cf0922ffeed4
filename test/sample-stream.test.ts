/**
 * The streaming path of generation on its own: SymbolStream.step/feed give
 * the ŷ of Network.forward over the same sequence (RNN, LSTM, GRU; 1 and 2
 * layers; float64 and float32; JavaScript and WebAssembly kernels), across
 * the stream's ring of state buffers, after reset() and after syncWeights().
 * (That a long run allocates almost nothing per step is checked in
 * sample-stream-allocation.test.ts, apart: it cannot pass under the
 * instrumentation of a mutation run, and this file is in that run.)
 *
 * Relaxed SIMD is switched on (v8 flag) before the library is imported, as
 * the CLI and the benchmark do.
 */

import { test } from 'node:test';
import v8 from 'node:v8';
import { assertClose } from './helpers/approx.js';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const { useKernels, wasmSupport } = await import('../src/kernels/index.js');
const { Network } = await import('../src/model/network.js');
const { Rng } = await import('../src/core/rng.js');
const { SymbolStream } = await import('../src/text/sample.js');
type NetworkT = InstanceType<typeof Network>;

const VOCAB = 23;
const KERNELS = wasmSupport().simd ? (['js', 'wasm'] as const) : (['js'] as const);

function symbols(n: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => Math.floor(rng.next() * VOCAB));
}

/** ŷ(1..T) of one forward pass, copied (T×K). */
function forwardAll(net: NetworkT, ids: Int32Array): Float64Array {
  const T = ids.length;
  const y = new Int32Array(T).fill(-1);
  return Float64Array.from(net.forward({ T, B: 1, x: { kind: 'index', data: ids }, y: { kind: 'index', data: y } }));
}

function row(yhat: Float64Array, t: number): Float64Array {
  return yhat.subarray(t * VOCAB, (t + 1) * VOCAB);
}

for (const kernels of KERNELS) {
  test(`step() and feed() give the ŷ of Network.forward (${kernels} kernels)`, () => {
    useKernels(kernels);
    for (const dtype of ['float64', 'float32'] as const) {
      // float64 runs the same operations in the same order; float32 products of
      // one row and of T rows may round differently in the wasm kernels
      const tol = dtype === 'float64' ? 1e-12 : 1e-6;
      for (const cell of ['rnn', 'lstm', 'gru'] as const) {
        for (const layers of [1, 2]) {
          const what = `${kernels} ${dtype} ${cell} ×${layers}`;
          const net = new Network({ cell, layers, dtype, inputSize: VOCAB, hiddenSize: 12, outputSize: VOCAB, loss: 'cross-entropy', seed: 4 });
          // 75 steps: more than two rings of the stream's state buffers
          const ids = symbols(75, 9);
          const T = ids.length;
          const yhat = forwardAll(net, ids);
          const stream = new SymbolStream(net);
          assertClose(stream.distribution, new Float64Array(VOCAB).fill(1 / VOCAB), 0, `${what} uniform before the first symbol`);
          for (let t = 0; t < T; t++) assertClose(stream.step(ids[t]!), row(yhat, t), tol, `${what} step ŷ(${t + 1})`);
          assertClose(stream.distribution, row(yhat, T - 1), tol, `${what} distribution`);
          // reset(), then a prime of 40 (across a ring boundary) and single steps after it
          stream.reset();
          assertClose(stream.feed(ids.subarray(0, 40)), row(yhat, 39), tol, `${what} feed ŷ(40)`);
          for (let t = 40; t < T; t++) assertClose(stream.step(ids[t]!), row(yhat, t), tol, `${what} step after feed ŷ(${t + 1})`);
          stream.reset();
          assertClose(stream.feed(ids), row(yhat, T - 1), tol, `${what} feed of all ${T}`);
          // the source's weights change: the stream keeps the old ones until syncWeights()
          const rng = new Rng(2);
          for (let i = 0; i < net.params.data.length; i++) net.params.data[i]! += 0.2 * rng.normal();
          const yhat2 = forwardAll(net, ids);
          stream.reset();
          assertClose(stream.step(ids[0]!), row(yhat, 0), tol, `${what} before syncWeights`);
          stream.syncWeights();
          stream.reset();
          for (let t = 0; t < T; t++) assertClose(stream.step(ids[t]!), row(yhat2, t), tol, `${what} after syncWeights ŷ(${t + 1})`);
        }
      }
    }
    useKernels('auto');
  });
}

test('a GRU with reset-before and a model without biases stream like their forward pass', () => {
  for (const options of [{ cell: 'gru' as const, variant: 'reset-before' }, { cell: 'lstm' as const, bias: false }, { cell: 'rnn' as const, bias: false, layers: 3 }]) {
    const net = new Network({ ...options, dtype: 'float64', inputSize: VOCAB, hiddenSize: 8, outputSize: VOCAB, loss: 'cross-entropy', seed: 6 });
    const ids = symbols(40, 3);
    const yhat = forwardAll(net, ids);
    const stream = new SymbolStream(net);
    for (let t = 0; t < ids.length; t++) assertClose(stream.step(ids[t]!), row(yhat, t), 1e-12, `${JSON.stringify(options)} ŷ(${t + 1})`);
  }
});
