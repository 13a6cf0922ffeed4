/**
 * What the main thread and a gradient replica share, in plain memory both
 * can see (SharedArrayBuffer), so a training step needs no message:
 *
 * - θ: one buffer all replicas read at the start of a step;
 * - per replica, a control block (step counter, status, the shard's shape and
 *   options, the shard's J and count, an error text), a gradient slot
 *   (∂J/∂θ of its sequences) and a data block holding the shard: x, y, mask,
 *   loss weights, initial state in, final state out.
 *
 * The data block's layout follows from the shard's header and the network's
 * sizes ({@link shardLayout}), so both sides compute it; only a larger data
 * block travels as a message (a new generation, {@link C.GEN}).
 */

import type { DType, Float } from '../core/tensor.js';
import { stateWidth, type NetworkConfig } from '../model/network.js';
import type { ModelDescription } from '../train/trainable.js';

/** What a replica copies: a network by its config, or a shardable trainable by its description. */
export type ReplicaModel = { readonly kind: 'network'; readonly config: NetworkConfig } | ModelDescription;

/** Offsets (in int32 units) of the control block's fields. */
export const C = {
  /** Step counter: the main thread increments it to hand the replica a step. */
  SEQ: 0,
  /** The step the replica finished last (= SEQ when done). */
  DONE: 1,
  /** 0 after a good step, 1 when the step threw (the error text is set). */
  STATUS: 2,
  /** Generation of the data block the step needs. */
  GEN: 3,
  /** 1: compute a gradient; 2: exit. */
  CMD: 4,
  T: 5,
  B: 6,
  /** 0: symbol indices, 1: dense values. */
  X_DENSE: 7,
  Y_DENSE: 8,
  HAS_MASK: 9,
  HAS_WEIGHTS: 10,
  HAS_INIT: 11,
  /** 0: loss at every step, 1: at each sequence's last step. */
  LOSS_LAST: 12,
  /** 0: none, 1: argmax feedback. */
  FEEDBACK: 13,
  /** Truncation k, 0 for exact BPTT. */
  TRUNCATE: 14,
  /** 0: exact gradient, 1: lecture formulas. */
  LECTURE: 15,
  /** Bytes of the error text. */
  ERROR_BYTES: 16,
} as const;

export const CMD_STEP = 1;
export const CMD_EXIT = 2;

const CONTROL_INTS = 32;
const RESULT_OFFSET = CONTROL_INTS * 4; // two float64: J, count
const ERROR_OFFSET = RESULT_OFFSET + 16;
const ERROR_CAPACITY = 4096;
/** Bytes of one replica's control block. */
export const CONTROL_BYTES = ERROR_OFFSET + ERROR_CAPACITY;

/** Typed views of a control block. */
export interface ControlViews {
  readonly ints: Int32Array;
  /** [J, count] of the replica's last step. */
  readonly result: Float64Array;
  readonly error: Uint8Array;
}

export function controlViews(buffer: SharedArrayBuffer): ControlViews {
  return {
    ints: new Int32Array(buffer, 0, CONTROL_INTS),
    result: new Float64Array(buffer, RESULT_OFFSET, 2),
    error: new Uint8Array(buffer, ERROR_OFFSET, ERROR_CAPACITY),
  };
}

/** Writes an error as `name\nmessage` into the control block (truncated to fit). */
export function writeError(c: ControlViews, e: unknown): void {
  const name = e instanceof Error ? e.name : 'Error';
  const message = e instanceof Error ? e.message : String(e);
  const bytes = new TextEncoder().encode(`${name}\n${message}`).subarray(0, ERROR_CAPACITY);
  c.error.set(bytes);
  c.ints[C.ERROR_BYTES] = bytes.length;
}

/** Reads what {@link writeError} wrote. */
export function readError(c: ControlViews): { name: string; message: string } {
  // TextDecoder refuses views of shared memory: copy first
  const text = new TextDecoder().decode(c.error.slice(0, c.ints[C.ERROR_BYTES]));
  const cut = text.indexOf('\n');
  return cut < 0 ? { name: 'Error', message: text } : { name: text.slice(0, cut), message: text.slice(cut + 1) };
}

/** The sizes a data block's layout depends on besides the header. */
export interface ShardDims {
  readonly D: number;
  readonly K: number;
  /** Width of a layer's state: H, or 2H for a bidirectional network. */
  readonly H: number;
  /** Per layer: whether it has a cell state C (LSTM). */
  readonly hasC: readonly boolean[];
  readonly dtype: DType;
}

export function shardDims(c: NetworkConfig): ShardDims {
  return {
    D: c.inputSize, K: c.outputSize, H: stateWidth(c), dtype: c.dtype,
    hasC: Array.from({ length: c.layers }, () => c.cell === 'lstm'),
  };
}

/** A shard's header: what the layout needs to know about the batch. */
export interface ShardHeader {
  readonly T: number;
  readonly B: number;
  readonly xDense: boolean;
  readonly yDense: boolean;
  readonly mask: boolean;
  readonly weights: boolean;
  readonly init: boolean;
}

/** Byte offsets of a shard's arrays in its data block (−1: absent). */
export interface ShardLayout {
  readonly x: number;
  readonly y: number;
  readonly mask: number;
  readonly weights: number;
  /** Per layer: h(0) and C(0) (C −1 without a cell state), then the final h(T), C(T). */
  readonly initH: number[];
  readonly initC: number[];
  readonly finalH: number[];
  readonly finalC: number[];
  readonly bytes: number;
}

/** The layout of a shard (8-byte aligned arrays). */
export function shardLayout(h: ShardHeader, d: ShardDims): ShardLayout {
  const f = d.dtype === 'float64' ? 8 : 4;
  let at = 0;
  const take = (bytes: number): number => {
    const o = at;
    at += Math.ceil(bytes / 8) * 8;
    return o;
  };
  const rows = h.T * h.B;
  const x = take(h.xDense ? rows * d.D * f : rows * 4);
  const y = take(h.yDense ? rows * d.K * f : rows * 4);
  const mask = h.mask ? take(rows) : -1;
  const weights = h.weights ? take(h.B * 8) : -1;
  const state = h.B * d.H * f;
  const initH: number[] = [], initC: number[] = [], finalH: number[] = [], finalC: number[] = [];
  for (const c of d.hasC) {
    initH.push(h.init ? take(state) : -1);
    initC.push(h.init && c ? take(state) : -1);
  }
  for (const c of d.hasC) {
    finalH.push(take(state));
    finalC.push(c ? take(state) : -1);
  }
  return { x, y, mask, weights, initH, initC, finalH, finalC, bytes: at };
}

/** A float view of `n` elements at byte `offset` of a buffer, of the network's dtype. */
export function floatView(buffer: ArrayBufferLike, dtype: DType, offset: number, n: number): Float {
  return dtype === 'float64' ? new Float64Array(buffer, offset, n) : new Float32Array(buffer, offset, n);
}

/** Writes a shard's header into a control block. */
export function writeHeader(ints: Int32Array, h: ShardHeader): void {
  ints[C.T] = h.T;
  ints[C.B] = h.B;
  ints[C.X_DENSE] = +h.xDense;
  ints[C.Y_DENSE] = +h.yDense;
  ints[C.HAS_MASK] = +h.mask;
  ints[C.HAS_WEIGHTS] = +h.weights;
  ints[C.HAS_INIT] = +h.init;
}

/** Reads a shard's header from a control block. */
export function readHeader(ints: Int32Array): ShardHeader {
  return {
    T: ints[C.T]!, B: ints[C.B]!, xDense: ints[C.X_DENSE] === 1, yDense: ints[C.Y_DENSE] === 1,
    mask: ints[C.HAS_MASK] === 1, weights: ints[C.HAS_WEIGHTS] === 1, init: ints[C.HAS_INIT] === 1,
  };
}

/** The messages the main thread sends a replica. */
export type ToReplica =
  | {
    readonly type: 'setup';
    readonly model: ReplicaModel;
    /** The main thread's kernel backend: the replica uses the same family. */
    readonly kernels: 'js' | 'wasm';
    readonly control: SharedArrayBuffer;
    readonly theta: SharedArrayBuffer;
    readonly grad: SharedArrayBuffer;
    readonly data: SharedArrayBuffer;
    readonly generation: number;
  }
  | { readonly type: 'data'; readonly data: SharedArrayBuffer; readonly generation: number };

/** The messages a replica sends back (only while setting up; steps go through shared memory). */
export type FromReplica =
  | { readonly type: 'ready'; readonly kernels: string }
  | { readonly type: 'error'; readonly name: string; readonly message: string };
