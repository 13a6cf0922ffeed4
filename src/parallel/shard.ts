/**
 * Splitting a batch by sequences: shard [b0, b1) of a T×B batch holds, for
 * every step t, rows t·B + b0 … t·B + b1 − 1 of each time-major array, and
 * rows b0 … b1 − 1 of the per-sequence ones (loss weights, initial states).
 * The gradient of a batch is the sum of its shards' gradients, because
 * J = Σ_b J_b and sequences share nothing but θ.
 */

import { allocate, type Float } from '../core/tensor.js';
import type { CellState, StepMask } from '../cells/cell.js';
import type { SequenceBatch } from '../model/network.js';
import { floatView, shardLayout, type ShardDims, type ShardHeader } from './protocol.js';

/** A shard's arrays (each sized for exactly its B sequences). */
export interface ShardArrays {
  readonly x: Int32Array | Float;
  readonly y: Int32Array | Float;
  readonly mask: StepMask | null;
  readonly weights: Float64Array | null;
  readonly initH: (Float | null)[];
  readonly initC: (Float | null)[];
}

/** The header of shard [b0, b1) of a batch. */
export function headerOf(batch: SequenceBatch, b0: number, b1: number): ShardHeader {
  return {
    T: batch.T, B: b1 - b0, xDense: batch.x.kind === 'dense', yDense: batch.y.kind === 'dense',
    mask: !!batch.mask, weights: !!batch.weights, init: !!batch.init,
  };
}

/** Copies sequences [b0, b1) of `src` into a shard's arrays. */
export function copyColumns(src: SequenceBatch, b0: number, b1: number, dst: ShardArrays, d: ShardDims): void {
  const { T, B } = src;
  const n = b1 - b0;
  const rows = (a: ArrayLike<number> & { subarray(s: number, e: number): ArrayLike<number> }, into: { set(a: ArrayLike<number>, o: number): void }, w: number) => {
    for (let t = 0; t < T; t++) into.set(a.subarray((t * B + b0) * w, (t * B + b1) * w), t * n * w);
  };
  rows(src.x.data, dst.x, src.x.kind === 'dense' ? d.D : 1);
  rows(src.y.data as Float | Int32Array, dst.y, src.y.kind === 'dense' ? d.K : 1);
  if (src.mask && dst.mask) rows(src.mask, dst.mask, 1);
  if (src.weights && dst.weights) for (let b = b0; b < b1; b++) dst.weights[b - b0] = src.weights[b]!;
  if (src.init) {
    src.init.forEach((s, l) => {
      dst.initH[l]?.set(s.h.subarray(b0 * d.H, b1 * d.H));
      if (s.c) dst.initC[l]?.set(s.c.subarray(b0 * d.H, b1 * d.H));
    });
  }
}

/** A batch over a shard's arrays, with the sequence shape (`lossAt`, `feedback`) of the batch it came from. */
export function shardBatch(h: ShardHeader, a: ShardArrays, shape: Pick<SequenceBatch, 'lossAt' | 'feedback'>): SequenceBatch {
  return {
    T: h.T, B: h.B,
    x: h.xDense ? { kind: 'dense', data: a.x as Float } : { kind: 'index', data: a.x as Int32Array },
    y: h.yDense ? { kind: 'dense', data: a.y as Float } : { kind: 'index', data: a.y as Int32Array },
    ...(a.mask ? { mask: a.mask } : {}),
    ...(a.weights ? { weights: a.weights } : {}),
    ...(h.init ? { init: a.initH.map((hh, l): CellState => (a.initC[l] ? { h: hh!, c: a.initC[l]! } : { h: hh! })) } : {}),
    ...(shape.lossAt ? { lossAt: shape.lossAt } : {}),
    ...(shape.feedback ? { feedback: shape.feedback } : {}),
  };
}

/** Views of a shard's arrays, and of its final states, in a shared data block. */
export interface SharedShard extends ShardArrays {
  readonly finalH: Float[];
  readonly finalC: (Float | null)[];
}

export function sharedShard(buffer: ArrayBufferLike, h: ShardHeader, d: ShardDims): SharedShard {
  const L = shardLayout(h, d);
  const rows = h.T * h.B;
  const f = (o: number, n: number) => floatView(buffer, d.dtype, o, n);
  const s = h.B * d.H;
  return {
    x: h.xDense ? f(L.x, rows * d.D) : new Int32Array(buffer, L.x, rows),
    y: h.yDense ? f(L.y, rows * d.K) : new Int32Array(buffer, L.y, rows),
    mask: L.mask >= 0 ? new Uint8Array(buffer, L.mask, rows) : null,
    weights: L.weights >= 0 ? new Float64Array(buffer, L.weights, h.B) : null,
    initH: L.initH.map((o) => (o >= 0 ? f(o, s) : null)),
    initC: L.initC.map((o) => (o >= 0 ? f(o, s) : null)),
    finalH: L.finalH.map((o) => f(o, s)),
    finalC: L.finalC.map((o) => (o >= 0 ? f(o, s) : null)),
  };
}

/**
 * A shard's arrays in the thread's own memory (float arrays from
 * {@link allocate}, so the WebAssembly kernels use them in place), reused
 * while the shape stays within their capacity.
 */
export class LocalShard {
  private arrays: ShardArrays | null = null;
  private key = '';

  constructor(private readonly d: ShardDims) {}

  /** Copies sequences [b0, b1) of `src` and returns them as a batch. */
  load(src: SequenceBatch, b0: number, b1: number): SequenceBatch {
    const h = headerOf(src, b0, b1);
    const a = this.arraysFor(h);
    copyColumns(src, b0, b1, a, this.d);
    return shardBatch(h, a, src);
  }

  private arraysFor(h: ShardHeader): ShardArrays {
    const key = JSON.stringify(h);
    if (this.arrays && key === this.key) return this.arrays;
    const d = this.d;
    const rows = h.T * h.B;
    const s = h.B * d.H;
    this.key = key;
    this.arrays = {
      x: h.xDense ? allocate(d.dtype, rows * d.D) : new Int32Array(rows),
      y: h.yDense ? allocate(d.dtype, rows * d.K) : new Int32Array(rows),
      mask: h.mask ? new Uint8Array(rows) : null,
      weights: h.weights ? new Float64Array(h.B) : null,
      initH: d.hasC.map(() => (h.init ? allocate(d.dtype, s) : null)),
      initC: d.hasC.map((c) => (h.init && c ? allocate(d.dtype, s) : null)),
    };
    return this.arrays;
  }
}
