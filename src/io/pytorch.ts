/**
 * Weights in the PyTorch layout: a `state_dict` of `nn.RNN | nn.LSTM |
 * nn.GRU` (num_layers L, batch_first either way) followed by an `nn.Linear`
 * output layer:
 *
 *   weight_ih_l{k}  (gH × D_k)     weight_hh_l{k}  (gH × H)
 *   bias_ih_l{k}    (gH)           bias_hh_l{k}    (gH)
 *   linear.weight   (K × H)        linear.bias     (K)
 *
 * PyTorch computes W·x with column vectors, so each weight is the transpose
 * of ours, with gate blocks in its own order: LSTM [i | f | g | o] (ours
 * [f | i | o | c]), GRU [r | z | n] (ours [z | r | n]). It keeps two biases
 * per gate; they only ever appear summed, so b = bias_ih + bias_hh — except
 * the GRU's candidate, where bias_hh's n part sits inside r ∘ (h·W_hn + b_hn)
 * and is our b_hn. PyTorch's GRU is the reset-after variant only. The full
 * tables are in docs/weights.md.
 *
 * A bidirectional network is `bidirectional=True`: after each layer's four
 * tensors come the backward direction's, named with `_reverse`
 * (`weight_ih_l{k}_reverse`, …); layers above the first read D = 2H, and
 * `linear.weight` is K × 2H. PyTorch's output at t is [h→(t) | h←(t)], ours too.
 */

import { FormatError, OptionError } from '../core/errors.js';
import { stateWidth, type Network } from '../model/network.js';
import {
  expectZeros, gatePermutation, layerSlots, networkGruVariant, permuteTransposed, readTensor, showShape, slotOf, TORCH_GATES,
  transpose, unpermuteTransposed, withRollback, type LayerSlots, type TensorValues,
} from './layout.js';

/** One exported tensor: shape and row-major values (plain numbers, so the dictionary is JSON-serialisable). */
export interface TorchTensor {
  readonly shape: number[];
  readonly values: number[];
}

/** A `state_dict`-like object: tensor name → tensor. */
export type TorchStateDict = Record<string, TorchTensor>;

/**
 * One tensor to import: `{ shape, values }` with flat or nested values, or
 * just the nested values (`tensor.tolist()` from Python), whose nesting gives
 * the shape.
 */
export type TorchTensorInput = { readonly shape?: readonly number[]; readonly values: TensorValues } | TensorValues;

/** Options of {@link exportPyTorch} and {@link importPyTorch}. */
export interface PyTorchOptions {
  /** Prefix of the recurrent module's names, e.g. `"rnn."` for `rnn.weight_ih_l0`. Default `""`. */
  readonly prefix?: string;
  /** Name of the `nn.Linear` output module (`"linear"` gives `linear.weight`, `linear.bias`). Default `"linear"`. */
  readonly linear?: string;
  /** Whether the dictionary includes the output layer (V, b_o). Default true. */
  readonly output?: boolean;
}

export type TorchKind = 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh' | 'weight' | 'bias';

/** Where one PyTorch tensor goes: its name, kind and shape. */
export interface TorchWeightSpec {
  readonly name: string;
  readonly kind: TorchKind;
  readonly shape: number[];
  /** Recurrent layer index, or -1 for the Linear layer. */
  readonly layer: number;
  /** The backward direction of a bidirectional layer (`…_reverse`). */
  readonly reverse: boolean;
}

/**
 * The names and shapes of the PyTorch tensors of `net`. Without biases
 * (`bias: false`, PyTorch `bias=False`) there are no bias entries;
 * `withBias` forces them in (for reading a dictionary that carries zero biases).
 */
export function pyTorchWeightSpecs(net: Network, options: PyTorchOptions = {}, withBias = net.config.bias): TorchWeightSpec[] {
  const { cell, layers, inputSize, hiddenSize: H, outputSize: K } = net.config;
  const S = stateWidth(net.config);
  if (cell === 'gru' && networkGruVariant(net) !== 'reset-after') {
    throw new OptionError('PyTorch\'s nn.GRU applies the reset gate after the recurrent product; a "reset-before" GRU has no PyTorch layout. Build the network with variant: "reset-after"');
  }
  const pre = options.prefix ?? '';
  const gH = TORCH_GATES[cell].length * H;
  const specs: TorchWeightSpec[] = [];
  for (let l = 0; l < layers; l++) {
    const D = l === 0 ? inputSize : S;
    for (const reverse of net.config.bidirectional ? [false, true] : [false]) {
      const suffix = `l${l}${reverse ? '_reverse' : ''}`;
      specs.push({ name: `${pre}weight_ih_${suffix}`, kind: 'weight_ih', shape: [gH, D], layer: l, reverse });
      specs.push({ name: `${pre}weight_hh_${suffix}`, kind: 'weight_hh', shape: [gH, H], layer: l, reverse });
      if (withBias) {
        specs.push({ name: `${pre}bias_ih_${suffix}`, kind: 'bias_ih', shape: [gH], layer: l, reverse });
        specs.push({ name: `${pre}bias_hh_${suffix}`, kind: 'bias_hh', shape: [gH], layer: l, reverse });
      }
    }
  }
  if (options.output ?? true) {
    const lin = options.linear ?? 'linear';
    specs.push({ name: `${lin}.weight`, kind: 'weight', shape: [K, S], layer: -1, reverse: false });
    if (withBias) specs.push({ name: `${lin}.bias`, kind: 'bias', shape: [K], layer: -1, reverse: false });
  }
  return specs;
}

/**
 * Exports the network's weights as a PyTorch-style `state_dict` (see the
 * module comment). In Python, after `json.load`:
 *
 *   model.load_state_dict({k: torch.tensor(v["values"]).reshape(v["shape"]) for k, v in d.items()})
 *
 * bias_ih carries our whole bias and bias_hh is zero, except the GRU's n
 * part of bias_hh, which is b_hn. The RNN's `nonlinearity` must be the
 * network's hiddenActivation (PyTorch offers tanh and relu).
 */
export function exportPyTorch(net: Network, options: PyTorchOptions = {}): TorchStateDict {
  const specs = pyTorchWeightSpecs(net, options);
  const slots = layerSlots(net);
  const out: TorchStateDict = {};
  for (const spec of specs) out[spec.name] = { shape: spec.shape, values: exportOne(net, spec, slots) };
  return out;
}

function exportOne(net: Network, spec: TorchWeightSpec, slots: readonly LayerSlots[]): number[] {
  const { hiddenSize: H, outputSize: K } = net.config;
  if (spec.layer < 0) {
    // Linear: weight = Vᵀ (K×H, or K×2H), bias = b_o.
    return spec.kind === 'weight' ? transpose(net.V, stateWidth(net.config), K) : Array.from(net.b_o!);
  }
  const s = slotOf(slots, spec.layer, spec.reverse);
  const perm = gatePermutation(s.cell, TORCH_GATES);
  switch (spec.kind) {
    case 'weight_ih':
      return permuteTransposed(s.Wx, s.D, H, perm);
    case 'weight_hh':
      return permuteTransposed(s.Wh, H, H, perm);
    case 'bias_ih':
      return permuteTransposed(s.b!, 1, H, perm);
    default: {
      // bias_hh: zero, but for the GRU's n block, which holds b_hn.
      const out = new Array<number>(s.gates * H).fill(0);
      if (s.b_hn) {
        const n = TORCH_GATES.gru.indexOf('n');
        for (let j = 0; j < H; j++) out[n * H + j] = s.b_hn[j]!;
      }
      return out;
    }
  }
}

/**
 * Imports a PyTorch-style `state_dict` (see the module comment) into a
 * network of the same cell, sizes and layer count. Biases merge as
 * b = bias_ih + bias_hh (GRU n: b_n = bias_ih, b_hn = bias_hh). A network
 * without biases accepts bias tensors only if they are all zero. A refused import
 * leaves the network unchanged.
 *
 * @throws FormatError for a missing or unknown name, a non-finite value or
 *   non-zero biases for a network without biases.
 * @throws ShapeError for a tensor of the wrong shape; the message names it
 *   and the shape expected.
 * @throws OptionError for a reset-before GRU (PyTorch has none).
 */
export function importPyTorch(net: Network, dict: Readonly<Record<string, TorchTensorInput>>, options: PyTorchOptions = {}): void {
  if (typeof dict !== 'object' || dict === null || Array.isArray(dict)) throw new FormatError('importPyTorch: expected an object mapping tensor names to tensors');
  const all = pyTorchWeightSpecs(net, options, true);
  const specs = net.config.bias ? all : all.filter((s) => s.kind.startsWith('weight') || s.name in dict);
  const known = new Set(all.map((s) => s.name));
  const unknown = Object.keys(dict).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    const name = unknown[0]!;
    const why = name.endsWith('_reverse') ? ' (a bidirectional=True module: build the network with bidirectional: true)'
      : name.includes('weight_hr') ? ' (LSTM projections, proj_size > 0, are not supported)' : '';
    throw new FormatError(`unknown tensor "${name}"${why}; expected ${all.map((s) => `${s.name} ${showShape(s.shape)}`).join(', ')}`);
  }
  for (const s of specs) {
    if (!(s.name in dict)) throw new FormatError(`missing tensor "${s.name}" (shape ${showShape(s.shape)})`);
  }
  const slots = layerSlots(net);
  const bias = new Map<LayerSlots, { ih?: Float64Array; hh?: Float64Array }>();
  withRollback(net, () => {
    for (const spec of specs) {
      const t = dict[spec.name]!; // anything but an array or { shape, values } is refused by readTensor
      const v = isShaped(t) ? readTensor(spec.name, t.shape, t.values, spec.shape) : readTensor(spec.name, undefined, t, spec.shape);
      if (spec.layer < 0) {
        if (spec.kind === 'weight') net.V.set(transpose(v, net.config.outputSize, stateWidth(net.config)));
        else if (net.b_o) net.b_o.set(v);
        else expectZeros(spec.name, v);
        continue;
      }
      const s = slotOf(slots, spec.layer, spec.reverse);
      const perm = gatePermutation(s.cell, TORCH_GATES);
      if (spec.kind === 'weight_ih') unpermuteTransposed(v, s.Wx, s.D, s.H, perm);
      else if (spec.kind === 'weight_hh') unpermuteTransposed(v, s.Wh, s.H, s.H, perm);
      else if (!s.b) expectZeros(spec.name, v);
      else {
        const pair = bias.get(s) ?? {};
        if (spec.kind === 'bias_ih') pair.ih = v;
        else pair.hh = v;
        bias.set(s, pair);
        if (pair.ih && pair.hh) mergeBiases(s, pair.ih, pair.hh, perm);
      }
    }
  });
}

function isShaped(t: TorchTensorInput): t is { readonly shape?: readonly number[]; readonly values: TensorValues } {
  // a typed array has a values() method: it is the values themselves
  return typeof t === 'object' && t !== null && !Array.isArray(t) && !ArrayBuffer.isView(t) && 'values' in t;
}

/** b = bias_ih + bias_hh per gate; for the GRU's n: b_n = bias_ih_n and b_hn = bias_hh_n. */
function mergeBiases(s: LayerSlots, ih: Float64Array, hh: Float64Array, perm: readonly number[]): void {
  const H = s.H;
  const gH = s.gates * H;
  const n = s.resetAfter ? TORCH_GATES.gru.indexOf('n') : -1;
  const sum = new Float64Array(gH);
  for (let c = 0; c < gH; c++) sum[c] = ih[c]! + (Math.floor(c / H) === n ? 0 : hh[c]!);
  unpermuteTransposed(sum, s.b!, 1, H, perm);
  if (n >= 0) for (let j = 0; j < H; j++) s.b_hn![j] = hh[n * H + j]!;
}
