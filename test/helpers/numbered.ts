/** Networks whose weights name their own place: parameter i is (i + 1) / 4 (exact in float32). */
import type { DType } from '../../src/core/tensor.js';
import { Network, type NetworkOptions } from '../../src/model/network.js';

/** A network (float64 unless `dtype` or the options say otherwise) whose parameter i is (i + 1) / 4, so every exported weight shows where it came from. */
export function numbered(options: NetworkOptions, dtype: DType = 'float64'): Network {
  const net = new Network({ seed: 1, dtype, ...options });
  const p = net.params.data;
  for (let i = 0; i < p.length; i++) p[i] = (i + 1) / 4;
  return net;
}

/** The values (i + 1) / 4 … as stored: q(1, 2) = [0.25, 0.5], the first two parameters. */
export const q = (...i: number[]): number[] => i.map((k) => k / 4);
