/**
 * What the Keras/TF.js and PyTorch weight formats share: where each layer's
 * weights live in a {@link Network}, the gate orders of the three
 * conventions, the block copies that reorder (and transpose) gate blocks,
 * and the checks every imported tensor goes through.
 *
 * Our layout (row vectors, x·W): a layer has an input kernel Wx (D×gH), a
 * recurrent kernel Wh (H×gH), an input-side bias b (1×gH), with g gate
 * blocks of H columns each, in our gate order; the GRU's reset-after
 * variant adds b_hn (1×H), the recurrent bias of its candidate n.
 * - RNN: Wx = `layer{l}.U`, Wh = `layer{l}.W`, b = `layer{l}.b_h`; one block.
 * - LSTM: Wx, Wh = rows 0..D−1 and D..D+H−1 of `layer{l}.W`; blocks [f | i | o | c].
 * - GRU: the same rows of `layer{l}.W`; blocks [z | r | n]; `layer{l}.b_hn`.
 * A bidirectional layer has a second set, `layer{l}.reverse.…`, for its
 * backward direction, and every layer above the first reads D = 2H.
 */

import { FormatError, ShapeError } from '../core/errors.js';
import type { Float } from '../core/tensor.js';
import type { CellKind } from '../cells/cell.js';
import { gruVariant, type GruVariant } from '../cells/gru.js';
import { stateWidth, type Network } from '../model/network.js';

/** Tensor values: flat row-major numbers, or nested arrays (as `tensor.tolist()` gives). */
export type TensorValues = ArrayLike<number> | readonly TensorValues[];

/** A gate's name; `c` is the LSTM candidate C̃ (Keras `c`, PyTorch `g`), `n` the GRU candidate (Keras `h`). */
export type Gate = 'h' | 'f' | 'i' | 'o' | 'c' | 'z' | 'r' | 'n';

/** Gate blocks of `layer{l}.W` / `layer{l}.b` in our layout. */
export const OUR_GATES: Readonly<Record<CellKind, readonly Gate[]>> = {
  rnn: ['h'],
  lstm: ['f', 'i', 'o', 'c'],
  gru: ['z', 'r', 'n'],
};

/** Gate blocks in Keras / TensorFlow.js kernels and biases (LSTM i, f, c, o; GRU z, r, h). */
export const KERAS_GATES: Readonly<Record<CellKind, readonly Gate[]>> = {
  rnn: ['h'],
  lstm: ['i', 'f', 'c', 'o'],
  gru: ['z', 'r', 'n'],
};

/** Gate blocks in PyTorch weights and biases (LSTM i, f, g, o; GRU r, z, n). */
export const TORCH_GATES: Readonly<Record<CellKind, readonly Gate[]>> = {
  rnn: ['h'],
  lstm: ['i', 'f', 'c', 'o'],
  gru: ['r', 'z', 'n'],
};

/** perm[k] = the index in our order of the foreign order's k-th gate block. */
export function gatePermutation(cell: CellKind, foreign: Readonly<Record<CellKind, readonly Gate[]>>): number[] {
  const ours = OUR_GATES[cell];
  return foreign[cell].map((g) => ours.indexOf(g));
}

/** Live views of one recurrent layer's weights in our layout. */
export interface LayerSlots {
  readonly cell: CellKind;
  /** Layer index l (0 = bottom). */
  readonly index: number;
  /** The backward direction of a bidirectional layer (`layer{l}.reverse.…`). */
  readonly reverse: boolean;
  /** Input width of this layer: D for layer 0, H above it (2H when bidirectional). */
  readonly D: number;
  readonly H: number;
  /** Number of gate blocks g (1, 4 or 3). */
  readonly gates: number;
  /** Input kernel, D×gH (our gate order). */
  readonly Wx: Float;
  /** Recurrent kernel, H×gH. */
  readonly Wh: Float;
  /** Input-side bias, 1×gH, or null without biases. */
  readonly b: Float | null;
  /** GRU reset-after: recurrent bias of n, 1×H, or null. */
  readonly b_hn: Float | null;
  /** GRU: whether r multiplies h·W_hn (+ b_hn) after the product. False for RNN and LSTM. */
  readonly resetAfter: boolean;
  /** Our parameter names, for messages. */
  readonly names: { readonly Wx: string; readonly Wh: string; readonly b: string; readonly b_hn: string };
}

/** The GRU variant of a network (`"reset-after"` unless set). */
export function networkGruVariant(net: Network): GruVariant {
  return gruVariant(net.config.variant);
}

/**
 * Views of every recurrent layer's weights, bottom first; a bidirectional
 * layer gives two, forward then backward. Find one with {@link slotOf}.
 */
export function layerSlots(net: Network): LayerSlots[] {
  const { cell, layers, inputSize, hiddenSize: H } = net.config;
  const p = net.params;
  const gates = OUR_GATES[cell].length;
  const resetAfter = cell === 'gru' && networkGruVariant(net) === 'reset-after';
  const directions = net.config.bidirectional ? [false, true] : [false];
  return Array.from({ length: layers }, (_, l) => directions.map((reverse) => {
    const D = l === 0 ? inputSize : stateWidth(net.config);
    const pre = `layer${l}.${reverse ? 'reverse.' : ''}`;
    const bName = cell === 'rnn' ? `${pre}b_h` : `${pre}b`;
    const names = cell === 'rnn'
      ? { Wx: `${pre}U`, Wh: `${pre}W`, b: bName, b_hn: `${pre}b_hn` }
      : { Wx: `${pre}W (rows 0..${D - 1})`, Wh: `${pre}W (rows ${D}..${D + H - 1})`, b: bName, b_hn: `${pre}b_hn` };
    let Wx: Float;
    let Wh: Float;
    if (cell === 'rnn') {
      Wx = p.view(`${pre}U`);
      Wh = p.view(`${pre}W`);
    } else {
      const W = p.view(`${pre}W`);
      Wx = W.subarray(0, D * gates * H);
      Wh = W.subarray(D * gates * H, (D + H) * gates * H);
    }
    expectSize(names.Wx, Wx, D * gates * H);
    expectSize(names.Wh, Wh, H * gates * H);
    const b = p.has(bName) ? p.view(bName) : null;
    const b_hn = resetAfter && p.has(`${pre}b_hn`) ? p.view(`${pre}b_hn`) : null;
    if (net.config.bias && !b) throw new FormatError(`the network has biases but no parameter "${bName}"`);
    if (resetAfter && net.config.bias && !b_hn) throw new FormatError(`a reset-after GRU with biases needs "${pre}b_hn", which the network lacks`);
    return { cell, index: l, reverse, D, H, gates, Wx, Wh, b, b_hn, resetAfter, names };
  })).flat();
}

/** The slot of layer l's forward (or only) direction, or of its backward direction. */
export function slotOf(slots: readonly LayerSlots[], layer: number, reverse: boolean): LayerSlots {
  const s = slots.find((x) => x.index === layer && x.reverse === reverse);
  if (!s) throw new FormatError(`the network has no ${reverse ? 'backward direction of ' : ''}layer ${layer}`);
  return s;
}

function expectSize(name: string, a: Float, n: number): void {
  if (a.length !== n) throw new FormatError(`parameter ${name} has ${a.length} values, expected ${n}; the cell's parameter layout is not the one this exporter knows`);
}

/**
 * Reorders gate blocks: out (rows×gH) block k ← src (rows×gH) block perm[k].
 * With perm from {@link gatePermutation} this maps ours → foreign.
 */
export function permuteBlocks(src: ArrayLike<number>, rows: number, H: number, perm: readonly number[]): number[] {
  const gH = perm.length * H;
  const out = new Array<number>(rows * gH);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < perm.length; k++) {
      for (let j = 0; j < H; j++) out[r * gH + k * H + j] = src[r * gH + perm[k]! * H + j]!;
    }
  }
  return out;
}

/** Inverse of {@link permuteBlocks}: dst (rows×gH, ours) block perm[k] ← values block k. */
export function unpermuteBlocks(values: ArrayLike<number>, dst: Float, rows: number, H: number, perm: readonly number[]): void {
  const gH = perm.length * H;
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < perm.length; k++) {
      for (let j = 0; j < H; j++) dst[r * gH + perm[k]! * H + j] = values[r * gH + k * H + j]!;
    }
  }
}

/**
 * Reorders and transposes: out (gH×rows) row k·H+j ← column perm[k]·H+j of
 * src (rows×gH). Ours (x·W) → PyTorch (W·x): weight = Wᵀ with blocks reordered.
 */
export function permuteTransposed(src: ArrayLike<number>, rows: number, H: number, perm: readonly number[]): number[] {
  const gH = perm.length * H;
  const out = new Array<number>(rows * gH);
  for (let k = 0; k < perm.length; k++) {
    for (let j = 0; j < H; j++) {
      const o = (k * H + j) * rows;
      const c = perm[k]! * H + j;
      for (let r = 0; r < rows; r++) out[o + r] = src[r * gH + c]!;
    }
  }
  return out;
}

/** Inverse of {@link permuteTransposed}: dst (rows×gH, ours) ← values (gH×rows). */
export function unpermuteTransposed(values: ArrayLike<number>, dst: Float, rows: number, H: number, perm: readonly number[]): void {
  const gH = perm.length * H;
  for (let k = 0; k < perm.length; k++) {
    for (let j = 0; j < H; j++) {
      const o = (k * H + j) * rows;
      const c = perm[k]! * H + j;
      for (let r = 0; r < rows; r++) dst[r * gH + c] = values[o + r]!;
    }
  }
}

/** Transposes a rows×cols row-major matrix. */
export function transpose(src: ArrayLike<number>, rows: number, cols: number): number[] {
  const out = new Array<number>(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c]!;
  return out;
}

/** `[a, b]` → `"[a, b]"`, for messages. */
export function showShape(shape: readonly (number | null)[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Flattens a tensor's values and checks them against the expected shape.
 * Throws a {@link ShapeError} naming the tensor when the declared shape, the
 * nesting or the number of values differs, and a {@link FormatError} for a
 * value that is not a finite number.
 */
export function readTensor(name: string, shape: readonly (number | null)[] | undefined, values: TensorValues, expected: readonly number[]): Float64Array {
  // a file read as JSON can hold anything here
  if (typeof values !== 'object' || values === null) throw new FormatError(`tensor "${name}" has values ${values === null ? 'null' : typeof values}, expected an array of numbers (nested or flat) or a typed array`);
  const nested = isNested(values);
  const declared = shape ?? (nested ? nestedShape(name, values) : [values.length]);
  if (!Array.isArray(declared) || declared.length !== expected.length || declared.some((d, i) => d !== expected[i])) {
    const transposed = Array.isArray(declared) && declared.length === 2 && expected.length === 2 && declared[0] === expected[1] && declared[1] === expected[0];
    throw new ShapeError(`tensor "${name}" has shape ${Array.isArray(declared) ? showShape(declared) : String(declared)}, expected ${showShape(expected)}${transposed ? ' (it looks transposed)' : ''}`);
  }
  const n = expected.reduce((a, b) => a * b, 1);
  const flat = new Float64Array(n);
  let count = 0;
  const push = (v: TensorValues): void => {
    if (isNested(v)) {
      for (let i = 0; i < v.length; i++) push(v[i]!);
      return;
    }
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new FormatError(`tensor "${name}" value ${count} is ${String(x)}, expected a finite number`);
      if (count < n) flat[count] = x;
      count++;
    }
  };
  push(values);
  if (count !== n) throw new ShapeError(`tensor "${name}" has ${count} values, but its shape ${showShape(expected)} needs ${n}`);
  return flat;
}

function isNested(v: TensorValues): v is readonly TensorValues[] {
  return Array.isArray(v) && v.length > 0 && typeof v[0] === 'object' && v[0] !== null;
}

function nestedShape(name: string, v: TensorValues): number[] {
  const shape: number[] = [];
  let cur: TensorValues = v;
  for (;;) {
    shape.push(cur.length);
    if (!isNested(cur)) return shape;
    cur = cur[0]!;
    if (shape.length > 8) throw new FormatError(`tensor "${name}" is nested too deeply`);
  }
}

/** Throws unless every value is zero: a network without biases can take only zero biases. */
export function expectZeros(name: string, values: ArrayLike<number>): void {
  let worst = 0;
  for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(values[i]!));
  if (worst !== 0) {
    throw new FormatError(`tensor "${name}" has non-zero values (max |b| = ${worst}), but the network was built with bias: false; build it with bias: true to import these biases`);
  }
}

/**
 * Runs `write` on the network's parameters and restores them if it throws,
 * so a refused import leaves the network unchanged.
 */
export function withRollback(net: Network, write: () => void): void {
  const keep = net.params.data.slice();
  try {
    write();
  } catch (e) {
    net.params.data.set(keep);
    throw e;
  }
}
