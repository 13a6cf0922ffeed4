/**
 * Weights in the Keras / TensorFlow.js layout, in the order
 * `model.getWeights()` returns them and `model.setWeights()` takes them:
 *
 *   for each recurrent layer l:  kernel (D_l × gH), recurrent_kernel (H × gH), bias (gH)
 *   then the Dense output layer: kernel (H × K), bias (K)
 *
 * Keras computes x·kernel + h·recurrent_kernel + bias with row vectors, as we
 * do, so kernel and recurrent_kernel are the x-rows and h-rows of our
 * weights with the gate blocks reordered: LSTM [i | f | c | o] (ours
 * [f | i | o | c]), GRU [z | r | h] (ours [z | r | n]). A GRU with
 * reset_after=True has bias of shape (2, 3H): row 0 the input biases, row 1
 * the recurrent ones, whose z and r parts add to the input ones and whose h
 * part is our b_hn. The full tables are in docs/weights.md.
 *
 * A bidirectional network is a stack of `Bidirectional(layer)` wrappers
 * (merge_mode "concat"): each lists its forward layer's three weights, then
 * its backward layer's (`layer{l}/forward/kernel`, …,
 * `layer{l}/backward/bias`); layers above the first read D = 2H, and the
 * Dense kernel is 2H × K. Keras's output at t is [h→(t) | h←(t)], ours too.
 */

import { FormatError, ShapeError } from '../core/errors.js';
import { stateWidth, type Network } from '../model/network.js';
import {
  expectZeros, gatePermutation, KERAS_GATES, layerSlots, networkGruVariant, permuteBlocks, readTensor, showShape, slotOf, unpermuteBlocks,
  withRollback, type LayerSlots, type TensorValues,
} from './layout.js';

/** One exported Keras weight: its name (`layer0/kernel`, …, `dense/bias`), shape and row-major values. */
export interface KerasWeight {
  readonly name: string;
  readonly shape: number[];
  readonly values: number[];
}

/**
 * One weight to import. Position in the list decides what it is (the order of
 * {@link exportKeras} and of `model.getWeights()`); when `name` is given, its
 * last path component (`kernel`, `recurrent_kernel` or `bias`, any `:0`
 * suffix dropped) must agree, which catches lists in the wrong order.
 */
export interface KerasWeightInput {
  readonly name?: string;
  /** The tensor's shape (TF.js's `Shape` type allows null entries; they never match). Absent: taken from nested values. */
  readonly shape?: readonly (number | null)[];
  readonly values: TensorValues;
}

/** Options of {@link exportKeras} and {@link importKeras}. */
export interface KerasOptions {
  /** Whether the list includes the Dense output layer (V, b_o) after the recurrent layers. Default true. */
  readonly output?: boolean;
}

export type KerasKind = 'kernel' | 'recurrent_kernel' | 'bias';

/** Where one Keras weight goes: its name, kind and shape. */
export interface KerasWeightSpec {
  readonly name: string;
  readonly kind: KerasKind;
  readonly shape: number[];
  /** Recurrent layer index, or -1 for the Dense layer. */
  readonly layer: number;
  /** The backward direction of a bidirectional layer. */
  readonly reverse: boolean;
}

/**
 * The names and shapes of the Keras weights of `net`, in order. Without
 * biases (`bias: false`, Keras `useBias: false`) there are no bias entries;
 * `withBias` forces them in (for reading a list that carries zero biases).
 */
export function kerasWeightSpecs(net: Network, options: KerasOptions = {}, withBias = net.config.bias): KerasWeightSpec[] {
  const { cell, layers, inputSize, hiddenSize: H, outputSize: K } = net.config;
  const g = KERAS_GATES[cell].length;
  const resetAfter = cell === 'gru' && networkGruVariant(net) === 'reset-after';
  const specs: KerasWeightSpec[] = [];
  const S = stateWidth(net.config);
  const directions = net.config.bidirectional ? [false, true] : [false];
  for (let l = 0; l < layers; l++) {
    const D = l === 0 ? inputSize : S;
    for (const reverse of directions) {
      const pre = `layer${l}/${net.config.bidirectional ? (reverse ? 'backward/' : 'forward/') : ''}`;
      specs.push({ name: `${pre}kernel`, kind: 'kernel', shape: [D, g * H], layer: l, reverse });
      specs.push({ name: `${pre}recurrent_kernel`, kind: 'recurrent_kernel', shape: [H, g * H], layer: l, reverse });
      if (withBias) specs.push({ name: `${pre}bias`, kind: 'bias', shape: resetAfter ? [2, g * H] : [g * H], layer: l, reverse });
    }
  }
  if (options.output ?? true) {
    specs.push({ name: 'dense/kernel', kind: 'kernel', shape: [S, K], layer: -1, reverse: false });
    if (withBias) specs.push({ name: 'dense/bias', kind: 'bias', shape: [K], layer: -1, reverse: false });
  }
  return specs;
}

/**
 * Exports the network's weights in the Keras / TF.js layout, in
 * `model.getWeights()` order (see the module comment). For TF.js:
 *
 *   model.setWeights(exportKeras(net).map((w) => tf.tensor(w.values, w.shape)))
 *
 * where `model` stacks `tf.layers.simpleRNN | lstm | gru` (units H,
 * returnSequences true below the top; `recurrentActivation: 'sigmoid'` for
 * LSTM and GRU; `resetAfter` as the GRU variant; `useBias` as `bias`) and a
 * `tf.layers.dense` (units K). The RNN's `activation` must be the network's
 * hiddenActivation; the Dense activation its outputActivation.
 */
export function exportKeras(net: Network, options: KerasOptions = {}): KerasWeight[] {
  const slots = layerSlots(net);
  const out: KerasWeight[] = [];
  for (const spec of kerasWeightSpecs(net, options)) {
    out.push({ name: spec.name, shape: spec.shape, values: exportOne(net, spec, slots) });
  }
  return out;
}

function exportOne(net: Network, spec: KerasWeightSpec, slots: readonly LayerSlots[]): number[] {
  if (spec.layer < 0) {
    // Dense: kernel = V (H×K), bias = b_o.
    return Array.from(spec.kind === 'kernel' ? net.V : net.b_o!);
  }
  const s = slotOf(slots, spec.layer, spec.reverse);
  const perm = gatePermutation(s.cell, KERAS_GATES);
  switch (spec.kind) {
    case 'kernel':
      return permuteBlocks(s.Wx, s.D, s.H, perm);
    case 'recurrent_kernel':
      return permuteBlocks(s.Wh, s.H, s.H, perm);
    case 'bias': {
      const input = permuteBlocks(s.b!, 1, s.H, perm);
      if (!s.resetAfter) return input;
      // reset_after: row 0 input biases, row 1 recurrent biases [0 | 0 | b_hn].
      const recurrent = new Array<number>(s.gates * s.H).fill(0);
      const n = KERAS_GATES.gru.indexOf('n');
      for (let j = 0; j < s.H; j++) recurrent[n * s.H + j] = s.b_hn![j]!;
      return [...input, ...recurrent];
    }
  }
}

/**
 * Groups an exported list by Keras layer (the part of the name before the
 * first `/`), giving one array per layer in the order `layer.setWeights()`
 * takes (a `Bidirectional` layer takes its forward and backward weights together).
 */
export function kerasLayerWeights(weights: readonly KerasWeight[]): KerasWeight[][] {
  const groups = new Map<string, KerasWeight[]>();
  for (const w of weights) {
    const key = w.name.includes('/') ? w.name.slice(0, w.name.indexOf('/')) : w.name;
    const g = groups.get(key);
    if (g) g.push(w);
    else groups.set(key, [w]);
  }
  return [...groups.values()];
}

/**
 * Imports weights in the Keras / TF.js layout (the order of
 * {@link exportKeras} and `model.getWeights()`), e.g. from TF.js:
 *
 *   importKeras(net, model.weights.map((w) => ({ name: w.name, shape: w.shape, values: w.read().dataSync() })))
 *
 * The network must already have the right cell, sizes, layers and GRU
 * variant. A network without biases accepts a list with bias entries only if
 * they are all zero. A refused import leaves the network unchanged.
 *
 * @throws FormatError for a missing, extra or misplaced tensor, a non-finite
 *   value or non-zero biases for a network without biases.
 * @throws ShapeError for a tensor of the wrong shape; the message names it
 *   and the shape expected.
 */
export function importKeras(net: Network, weights: readonly KerasWeightInput[], options: KerasOptions = {}): void {
  if (!Array.isArray(weights)) throw new FormatError('importKeras: expected an array of { name?, shape, values } in model.getWeights() order');
  let specs = kerasWeightSpecs(net, options);
  if (!net.config.bias) {
    const withBias = kerasWeightSpecs(net, options, true);
    if (weights.length === withBias.length) specs = withBias;
  }
  if (net.config.bias && weights.length === kerasWeightSpecs(net, options, false).length) {
    const first = specs.find((s) => s.kind === 'bias')!;
    throw new FormatError(`missing tensor "${first.name}" (shape ${showShape(first.shape)}) and the other biases: the list has ${weights.length} tensors, as a model built with useBias: false has; build the network with bias: false`);
  }
  const slots = layerSlots(net);
  withRollback(net, () => {
    specs.forEach((spec, i) => {
      const w = weights[i];
      if (!w) throw new FormatError(`missing tensor "${spec.name}" (#${i}, shape ${showShape(spec.shape)}): got ${weights.length} tensors, expected ${specs.length}`);
      const label = w.name ?? spec.name;
      if (w.name !== undefined) checkKind(w.name, i, spec);
      if (spec.kind === 'bias' && spec.layer >= 0 && net.config.cell === 'gru') checkGruBias(label, w.shape, spec);
      const values = readTensor(label, w.shape, w.values, spec.shape);
      importOne(net, spec, slots, values, label);
    });
    if (weights.length > specs.length) {
      const extra = weights[specs.length]!;
      throw new FormatError(`unexpected tensor #${specs.length}${extra.name ? ` "${extra.name}"` : ''}: expected ${specs.length} tensors (${specs.map((s) => s.name).join(', ')})`);
    }
  });
}

/** A GRU bias of the other variant's shape gets a message that says which variant it comes from. */
function checkGruBias(label: string, shape: readonly (number | null)[] | undefined, spec: KerasWeightSpec): void {
  if (!shape || shape.length === spec.shape.length) return;
  const got = shape.length === 2 ? 'reset_after=True' : 'reset_after=False (the only TF.js GRU)';
  const variant = shape.length === 2 ? 'reset-after' : 'reset-before';
  throw new ShapeError(`tensor "${label}" has shape ${showShape(shape)}, expected ${showShape(spec.shape)}: it comes from a GRU with ${got}; build the network with variant: "${variant}"`);
}

function checkKind(name: string, i: number, spec: KerasWeightSpec): void {
  const last = name.slice(name.lastIndexOf('/') + 1).replace(/:\d+$/, '');
  if (last === spec.kind) return;
  const known = last === 'kernel' || last === 'recurrent_kernel' || last === 'bias';
  const why = known ? 'is out of place (a tensor is missing or the list is out of order)' : 'is not a known Keras weight name';
  throw new FormatError(`tensor #${i} "${name}" ${why}: expected ${spec.name} (a ${spec.kind} of shape ${showShape(spec.shape)})`);
}

function importOne(net: Network, spec: KerasWeightSpec, slots: readonly LayerSlots[], v: Float64Array, label: string): void {
  if (spec.layer < 0) {
    if (spec.kind === 'kernel') net.V.set(v);
    else if (net.b_o) net.b_o.set(v);
    else expectZeros(label, v);
    return;
  }
  const s = slotOf(slots, spec.layer, spec.reverse);
  const perm = gatePermutation(s.cell, KERAS_GATES);
  if (spec.kind === 'kernel') return unpermuteBlocks(v, s.Wx, s.D, s.H, perm);
  if (spec.kind === 'recurrent_kernel') return unpermuteBlocks(v, s.Wh, s.H, s.H, perm);
  if (!s.b) return expectZeros(label, v);
  const gH = s.gates * s.H;
  if (!s.resetAfter) return unpermuteBlocks(v, s.b, 1, s.H, perm);
  // reset_after: b = input + recurrent biases for z and r; b_n = input only; b_hn = recurrent n.
  const sum = new Float64Array(gH);
  const n = KERAS_GATES.gru.indexOf('n');
  for (let c = 0; c < gH; c++) sum[c] = v[c]! + (Math.floor(c / s.H) === n ? 0 : v[gH + c]!);
  unpermuteBlocks(sum, s.b, 1, s.H, perm);
  for (let j = 0; j < s.H; j++) s.b_hn![j] = v[gH + n * s.H + j]!;
}
