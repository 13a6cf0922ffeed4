/**
 * Splitting a {@link ShardableTrainable}'s batch by sequences: the model
 * lists its batch as column arrays (element (t·B + b)·width + j: step t,
 * sequence b; an array may be longer, a reused buffer), and shard [b0, b1) takes columns b0 … b1 − 1 of each at every
 * step. The gradient of the batch is the sum of its shards' gradients,
 * because the model's J is a sum over sequences that share nothing but θ.
 *
 * In a replica's shared data block the shard is a small int32 header
 * (B, flags, the number of arrays, then each array's type, steps and width)
 * followed by the arrays, 8-byte aligned; both sides compute the layout
 * from the header.
 */

import { ShapeError } from '../core/errors.js';
import { allocate } from '../core/tensor.js';
import type { BatchColumns, ColumnArray, ColumnData } from '../train/trainable.js';

/** Most arrays a batch may have. */
const MAX_ARRAYS = 16;
/** Ints of the header: B, flags, count, then (type, steps, width) per array. */
const HEADER_INTS = 3 + 3 * MAX_ARRAYS;
/** Its bytes, 8-aligned (the arrays after it may be float64). */
const HEADER_BYTES = Math.ceil((HEADER_INTS * 4) / 8) * 8;

const TYPES = ['int32', 'uint8', 'float32', 'float64'] as const;
type ColumnType = (typeof TYPES)[number];
const BYTES: Record<ColumnType, number> = { int32: 4, uint8: 1, float32: 4, float64: 8 };

/** The shape of a shard: what its layout depends on. */
export interface ColumnsHeader {
  readonly B: number;
  readonly flags: number;
  readonly arrays: readonly { readonly type: ColumnType; readonly steps: number; readonly width: number }[];
}

function typeOf(a: ColumnData): ColumnType {
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Float32Array) return 'float32';
  return 'float64';
}

/** The header of shard [b0, b1) of a batch. */
export function columnsHeader(src: BatchColumns, b0: number, b1: number): ColumnsHeader {
  if (src.arrays.length > MAX_ARRAYS) throw new ShapeError(`a batch to shard has at most ${MAX_ARRAYS} arrays, got ${src.arrays.length}`);
  src.arrays.forEach((a, i) => {
    if (a.data.length < a.steps * src.B * a.width) {
      throw new ShapeError(`array ${i} of the batch has ${a.data.length} values, fewer than steps×B×width = ${a.steps}×${src.B}×${a.width}`);
    }
  });
  return { B: b1 - b0, flags: src.flags, arrays: src.arrays.map((a) => ({ type: typeOf(a.data), steps: a.steps, width: a.width })) };
}

/** Byte offset of each array of a shard in its data block, and the block's size. */
export function columnsLayout(h: ColumnsHeader): { offsets: number[]; bytes: number } {
  let at = HEADER_BYTES;
  const offsets = h.arrays.map((a) => {
    const o = at;
    at += Math.ceil((a.steps * h.B * a.width * BYTES[a.type]) / 8) * 8;
    return o;
  });
  return { offsets, bytes: at };
}

function view(buffer: ArrayBufferLike, type: ColumnType, offset: number, n: number): ColumnData {
  switch (type) {
    case 'int32': return new Int32Array(buffer, offset, n);
    case 'uint8': return new Uint8Array(buffer, offset, n);
    case 'float32': return new Float32Array(buffer, offset, n);
    case 'float64': return new Float64Array(buffer, offset, n);
  }
}

/** Copies columns [b0, b1) of every array of `src` into `dst` (arrays of the shard's shape). */
export function copyColumnArrays(src: BatchColumns, b0: number, b1: number, dst: readonly ColumnArray[]): void {
  const B = src.B;
  const n = b1 - b0;
  src.arrays.forEach((a, i) => {
    const w = a.width;
    const into = dst[i]!.data;
    for (let t = 0; t < a.steps; t++) into.set(a.data.subarray((t * B + b0) * w, (t * B + b1) * w), t * n * w);
  });
}

/** Writes shard [b0, b1) of `src` (header and arrays) into a shared data block of at least `columnsLayout(h).bytes`. */
export function writeColumns(buffer: SharedArrayBuffer, src: BatchColumns, b0: number, b1: number, h: ColumnsHeader): void {
  const ints = new Int32Array(buffer, 0, HEADER_INTS);
  ints[0] = h.B;
  ints[1] = h.flags;
  ints[2] = h.arrays.length;
  h.arrays.forEach((a, i) => {
    ints[3 + 3 * i] = TYPES.indexOf(a.type);
    ints[4 + 3 * i] = a.steps;
    ints[5 + 3 * i] = a.width;
  });
  copyColumnArrays(src, b0, b1, viewsOf(buffer, h));
}

/** Reads the header {@link writeColumns} wrote. */
export function readColumnsHeader(buffer: SharedArrayBuffer): ColumnsHeader {
  const ints = new Int32Array(buffer, 0, HEADER_INTS);
  const arrays = Array.from({ length: ints[2]! }, (_, i) => ({ type: TYPES[ints[3 + 3 * i]!]!, steps: ints[4 + 3 * i]!, width: ints[5 + 3 * i]! }));
  return { B: ints[0]!, flags: ints[1]!, arrays };
}

/** The shard in a shared data block as columns (views, no copy). */
export function sharedColumns(buffer: SharedArrayBuffer, h: ColumnsHeader): BatchColumns {
  return { B: h.B, flags: h.flags, arrays: viewsOf(buffer, h) };
}

function viewsOf(buffer: ArrayBufferLike, h: ColumnsHeader): ColumnArray[] {
  const { offsets } = columnsLayout(h);
  return h.arrays.map((a, i) => ({ data: view(buffer, a.type, offsets[i]!, a.steps * h.B * a.width), steps: a.steps, width: a.width }));
}

/**
 * A shard's arrays in the thread's own memory (float arrays from
 * {@link allocate}, so the WebAssembly kernels use them in place), grown
 * only when a shard needs more room than any before it.
 */
export class LocalColumns {
  private buffers: ColumnData[] = [];

  /** Copies columns [b0, b1) of `src` and returns them. */
  load(src: BatchColumns, b0: number, b1: number): BatchColumns {
    const h = columnsHeader(src, b0, b1);
    const arrays = h.arrays.map((a, i): ColumnArray => {
      const n = a.steps * h.B * a.width;
      let buf = this.buffers[i];
      if (!buf || typeOf(buf) !== a.type || buf.length < n) {
        const cap = Math.max(n, buf && typeOf(buf) === a.type ? Math.ceil(buf.length * 1.5) : 0);
        buf = a.type === 'int32' ? new Int32Array(cap) : a.type === 'uint8' ? new Uint8Array(cap) : allocate(a.type, cap);
        this.buffers[i] = buf;
      }
      return { data: buf.subarray(0, n), steps: a.steps, width: a.width };
    });
    copyColumnArrays(src, b0, b1, arrays);
    return { B: h.B, flags: h.flags, arrays };
  }
}
