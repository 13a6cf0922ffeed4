/**
 * A random batch carrying every feature a data-parallel shard must carry,
 * chosen by flags: dense or index inputs and targets, a mask (sequence b has
 * length 1 + (b mod T), padding after it; the last `padded` sequences all
 * padding), per-sequence weights, initial states, the loss at the last step
 * only, argmax feedback.
 */
import type { CellState } from '../../src/cells/cell.js';
import type { Rng } from '../../src/core/rng.js';
import type { Network, SequenceBatch } from '../../src/model/network.js';

export interface BatchFeatures {
  dense?: boolean; mask?: boolean; weights?: boolean; init?: boolean; last?: boolean; feedback?: boolean;
  /** The last `padded` sequences are all padding (with `mask`). */
  padded?: number;
  /** Weights are drawn from U(minWeight, 2); default 0. */
  minWeight?: number;
}

export function makeBatch(net: Network, T: number, B: number, rng: Rng, f: BatchFeatures): SequenceBatch {
  const { inputSize: D, outputSize: K, hiddenSize: H } = net.config;
  const x = f.dense
    ? { kind: 'dense' as const, data: Float64Array.from({ length: T * B * D }, () => rng.uniform(-1, 1)) }
    : { kind: 'index' as const, data: Int32Array.from({ length: T * B }, () => rng.int(D)) };
  const y = f.dense
    ? { kind: 'dense' as const, data: Float64Array.from({ length: T * B * K }, () => rng.uniform(-1, 1)) }
    : { kind: 'index' as const, data: Int32Array.from({ length: T * B }, () => rng.int(K)) };
  const real = B - (f.padded ?? 0);
  const mask = f.mask ? Uint8Array.from({ length: T * B }, (_, r) => (r % B < real && Math.floor(r / B) <= (r % B) % T ? 1 : 0)) : undefined;
  const init = f.init
    ? net.layers.map((cell): CellState => {
      const h = Float64Array.from({ length: B * H }, () => rng.uniform(-0.5, 0.5));
      return cell.stateNames.includes('c') ? { h, c: Float64Array.from({ length: B * H }, () => rng.uniform(-0.5, 0.5)) } : { h };
    })
    : undefined;
  return {
    T, B, x, y,
    ...(mask ? { mask } : {}),
    ...(f.weights ? { weights: Float64Array.from({ length: B }, () => rng.uniform(f.minWeight ?? 0, 2)) } : {}),
    ...(init ? { init } : {}),
    ...(f.last ? { lossAt: 'last' as const } : {}),
    ...(f.feedback ? { feedback: 'argmax' as const } : {}),
  };
}
