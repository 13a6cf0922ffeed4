/** Shared by the model-file tests: small networks with distinct weights, dense inputs, forward passes. */

import { Network, type NetworkOptions } from '../../src/model/network.js';
import type { CellState } from '../../src/cells/cell.js';

/** A network whose every parameter differs (biases and b_hn included), so a swapped block shows. */
export function distinctNet(options: NetworkOptions, seed = 3): Network {
  const net = new Network({ seed, ...options });
  const p = net.params.data;
  for (let i = 0; i < p.length; i++) p[i] = p[i]! + 0.05 * Math.sin(1.7 * i + seed);
  return net;
}

/** x[t][b][d] time-major (T×B×D) with values in [−1, 1]. */
export function denseInput(T: number, B: number, D: number, seed = 1): Float32Array {
  return new Float32Array(T * B * D).map((_, i) => Math.sin(0.9 * i + seed) * Math.cos(0.31 * i));
}

/** ŷ (T×B×K) and each layer's final state, from the given initial states (zeros when absent). */
export function forwardDense(net: Network, x: Float32Array, T: number, B: number, init?: CellState[]): { y: Float64Array; states: { h: Float64Array; c?: Float64Array }[] } {
  const dtype = net.config.dtype;
  const data = dtype === 'float64' ? Float64Array.from(x) : x;
  const y = Float64Array.from(net.forward({ T, B, x: { kind: 'dense', data }, y: { kind: 'index', data: new Int32Array(T * B).fill(-1) }, ...(init ? { init } : {}) }));
  const states = net.stateAt(T, B).map((s) => ({ h: Float64Array.from(s.h), ...(s.c ? { c: Float64Array.from(s.c) } : {}) }));
  return { y, states };
}

/** Time-major [T, B, F] → batch-major [B, T, F]. */
export function batchMajor(a: ArrayLike<number>, T: number, B: number, F: number): Float32Array {
  const out = new Float32Array(T * B * F);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let f = 0; f < F; f++) out[(b * T + t) * F + f] = a[(t * B + b) * F + f]!;
  return out;
}

/** Largest |a − b|. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** Whether two parameter buffers are equal bit for bit. */
export function sameBits(a: Float32Array | Float64Array, b: Float32Array | Float64Array): boolean {
  if (a.constructor !== b.constructor || a.length !== b.length) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.every((v, i) => v === y[i]);
}

/** The variants every format is tested with: each cell, activation, GRU variant, with and without biases, 1–2 layers. */
export const VARIANTS: readonly { readonly name: string; readonly options: NetworkOptions }[] = [
  { name: 'rnn tanh, softmax, 2 layers', options: { cell: 'rnn', inputSize: 3, hiddenSize: 4, outputSize: 5, layers: 2, loss: 'cross-entropy' } },
  { name: 'rnn relu, linear', options: { cell: 'rnn', inputSize: 3, hiddenSize: 4, outputSize: 2, hiddenActivation: 'relu' } },
  { name: 'rnn sigmoid, sigmoid output', options: { cell: 'rnn', inputSize: 2, hiddenSize: 3, outputSize: 2, hiddenActivation: 'sigmoid', outputActivation: 'sigmoid' } },
  { name: 'rnn linear, no biases', options: { cell: 'rnn', inputSize: 3, hiddenSize: 3, outputSize: 2, hiddenActivation: 'linear', bias: false } },
  { name: 'lstm, softmax, 2 layers', options: { cell: 'lstm', inputSize: 3, hiddenSize: 4, outputSize: 5, layers: 2, loss: 'cross-entropy' } },
  { name: 'lstm, no biases', options: { cell: 'lstm', inputSize: 2, hiddenSize: 3, outputSize: 2, bias: false } },
  { name: 'gru reset-after, 2 layers', options: { cell: 'gru', inputSize: 3, hiddenSize: 4, outputSize: 3, layers: 2 } },
  { name: 'gru reset-before, softmax', options: { cell: 'gru', inputSize: 3, hiddenSize: 4, outputSize: 4, variant: 'reset-before', loss: 'cross-entropy' } },
  { name: 'gru reset-after, no biases', options: { cell: 'gru', inputSize: 2, hiddenSize: 3, outputSize: 2, bias: false } },
];

/** Bidirectional networks (`bidirectional: true`, states 2H wide) every format is tested with: each cell, 1–2 layers, with and without biases. */
export const BIDIRECTIONAL: readonly { readonly name: string; readonly options: NetworkOptions }[] = [
  { name: 'bidirectional rnn tanh, softmax, 2 layers', options: { cell: 'rnn', inputSize: 3, hiddenSize: 4, outputSize: 5, layers: 2, loss: 'cross-entropy', bidirectional: true } },
  { name: 'bidirectional rnn linear, no biases', options: { cell: 'rnn', inputSize: 3, hiddenSize: 3, outputSize: 2, hiddenActivation: 'linear', bias: false, bidirectional: true } },
  { name: 'bidirectional lstm, 2 layers', options: { cell: 'lstm', inputSize: 3, hiddenSize: 4, outputSize: 3, layers: 2, bidirectional: true } },
  { name: 'bidirectional lstm, no biases', options: { cell: 'lstm', inputSize: 2, hiddenSize: 3, outputSize: 2, bias: false, bidirectional: true } },
  { name: 'bidirectional gru reset-after, 2 layers', options: { cell: 'gru', inputSize: 3, hiddenSize: 4, outputSize: 3, layers: 2, bidirectional: true } },
  { name: 'bidirectional gru reset-before, sigmoid output', options: { cell: 'gru', inputSize: 3, hiddenSize: 3, outputSize: 2, variant: 'reset-before', outputActivation: 'sigmoid', bidirectional: true } },
];

/**
 * A bidirectional network's final states after a forward pass of T steps,
 * as PyTorch's h_n and ONNX's Y_h stack them: per layer, h→(T) then h←(1),
 * each B×H, so [2L, B, H].
 */
export function bidirectionalFinal(net: Network, T: number, B: number, k: 'h' | 'c'): Float64Array {
  const H = net.config.hiddenSize;
  // stateAt returns views of one buffer per layer: copy before the next call.
  const copy = (t: number) => net.stateAt(t, B).map((s) => ({ h: Float64Array.from(s.h), ...(s.c ? { c: Float64Array.from(s.c) } : {}) }));
  const last = copy(T);
  const first = copy(1);
  const out = new Float64Array(2 * net.config.layers * B * H);
  net.layers.forEach((_, l) => {
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        out[((2 * l) * B + b) * H + j] = last[l]![k]![b * 2 * H + j]!;
        out[((2 * l + 1) * B + b) * H + j] = first[l]![k]![b * 2 * H + H + j]!;
      }
    }
  });
  return out;
}
