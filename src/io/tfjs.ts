/**
 * TensorFlow.js layers-format models (`model.json` + a weight shard), as
 * JSON and bytes, so they work in a browser too; rnnkit/node reads and
 * writes the directory.
 *
 * The model is a `Sequential` of L recurrent layers (`SimpleRNN`, `LSTM` or
 * `GRU`, named `layer0` … `layer{L−1}`, `return_sequences: true`,
 * `recurrent_activation: "sigmoid"`) and a `Dense` layer named `dense` with
 * the output activation: `tf.loadLayersModel` gives a model that maps
 * [B, T, D] to [B, T, K] from a zero initial state. Weights are in the
 * Keras layout of {@link exportKeras} (kernel, recurrent_kernel, bias per
 * layer, then dense/kernel, dense/bias), float32, in one shard. The config
 * and `meta` go into `userDefinedMetadata` (keys in exchange.ts).
 *
 * A bidirectional network wraps each recurrent layer in `Bidirectional`
 * (merge_mode "concat", named `layer{l}`, around `lstm{l}` etc.), whose
 * weights TF.js names `layer{l}/forward_lstm{l}/kernel`, …,
 * `layer{l}/backward_lstm{l}/bias`; the Dense layer reads 2H.
 *
 * What TF.js cannot express: the reset-after GRU (tf.layers.gru has no
 * `resetAfter`), so that export is refused; export it to ONNX or
 * safetensors instead.
 *
 * Import reads such a model.json (ours, or what `model.save` writes for a
 * Sequential of SimpleRNN/LSTM/GRU layers and a Dense layer, also inside
 * TimeDistributed; Keras's `reset_after: true` GRU included; Bidirectional
 * wrappers with merge_mode "concat").
 */

import type { CellKind } from '../cells/cell.js';
import { HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, type HiddenActivation, type OutputActivation } from '../core/activations.js';
import type { Checkpoint } from './checkpoint.js';
import { buildPortable, formatError, portableCheckpoint, portableMetadata, portableModel, withFormat } from './exchange.js';
import { readFloatsLE, writeFloatsLE } from './floats.js';
import { exportKeras, importKeras, kerasWeightSpecs, type KerasWeightInput } from './keras.js';
import { layerSlots } from './layout.js';

const FORMAT = 'TF.js';
/** The weight file our export names in the manifest (`model.save("file://…")` uses the same name). */
export const TFJS_SHARD = 'weights.bin';

const CLASS: Readonly<Record<CellKind, string>> = { rnn: 'SimpleRNN', lstm: 'LSTM', gru: 'GRU' };
const CELL_OF: Readonly<Record<string, CellKind>> = { SimpleRNN: 'rnn', LSTM: 'lstm', GRU: 'gru' };

/** One weight of a manifest group. */
export interface TfjsWeightSpec {
  readonly name: string;
  readonly shape: number[];
  readonly dtype: string;
}

/** The parts of `model.json` this library writes and reads. */
export interface TfjsModelJson {
  readonly format: 'layers-model';
  readonly generatedBy: string;
  readonly convertedBy: null;
  readonly modelTopology: unknown;
  readonly weightsManifest: { readonly paths: string[]; readonly weights: TfjsWeightSpec[] }[];
  readonly userDefinedMetadata?: Record<string, string>;
}

/** An exported TF.js model: `model.json`'s object and the bytes of its one shard ({@link TFJS_SHARD}). */
export interface TfjsModel {
  readonly modelJson: TfjsModelJson;
  readonly weightData: Uint8Array;
}

/** A checkpoint's network as a TF.js layers model (see the module comment). */
export function exportTfjs(checkpoint: Checkpoint): TfjsModel {
  const model = portableModel(checkpoint, FORMAT);
  const net = model.net;
  const { cell, layers: L, inputSize: D, hiddenSize: H, outputSize: K, hiddenActivation, outputActivation, bias, bidirectional } = net.config;
  if (cell === 'gru' && layerSlots(net)[0]!.resetAfter) {
    throw formatError(FORMAT, 'tf.layers.gru is the reset-before GRU only, so this reset-after GRU cannot be expressed; export it to ONNX or safetensors, or train a GRU with variant "reset-before"');
  }
  const layers: unknown[] = [];
  for (let l = 0; l < L; l++) {
    const input = l === 0 ? { batch_input_shape: [null, null, D] } : {};
    const recurrent = {
      class_name: CLASS[cell],
      config: {
        name: bidirectional ? innerName(cell, l) : `layer${l}`, trainable: true, dtype: 'float32', ...(bidirectional ? {} : input),
        units: H, activation: cell === 'rnn' ? hiddenActivation : 'tanh', ...(cell === 'rnn' ? {} : { recurrent_activation: 'sigmoid' }),
        use_bias: bias, return_sequences: true, return_state: false, go_backwards: false, stateful: false, unroll: false,
        ...(cell === 'gru' ? { reset_after: false } : {}),
      },
    };
    // Bidirectional(layer, merge_mode "concat"): the wrapper gives [h→(t) | h←(t)], 2H wide, as ours.
    layers.push(bidirectional
      ? { class_name: 'Bidirectional', config: { name: `layer${l}`, trainable: true, dtype: 'float32', ...input, merge_mode: 'concat', layer: recurrent } }
      : recurrent);
  }
  layers.push({ class_name: 'Dense', config: { name: 'dense', trainable: true, dtype: 'float32', units: K, activation: outputActivation, use_bias: bias } });
  const weights = exportKeras(net);
  const total = weights.reduce((n, w) => n + w.values.length, 0);
  const weightData = new Uint8Array(total * 4);
  let at = 0;
  for (const w of weights) {
    writeFloatsLE(weightData, at, Float32Array.from(w.values));
    at += w.values.length * 4;
  }
  return {
    modelJson: {
      format: 'layers-model',
      generatedBy: 'rnnkit',
      convertedBy: null,
      modelTopology: { class_name: 'Sequential', config: { name: 'rnnkit', layers }, keras_version: 'tfjs-layers (rnnkit)', backend: 'tensor_flow.js' },
      weightsManifest: [{ paths: [TFJS_SHARD], weights: weights.map((w) => ({ name: bidirectional ? tfjsName(w.name, cell) : w.name, shape: w.shape, dtype: 'float32' })) }],
      userDefinedMetadata: portableMetadata(model),
    },
    weightData,
  };
}

/** The recurrent layer inside Bidirectional wrapper `layer{l}`: `lstm0`, … */
function innerName(cell: CellKind, l: number): string {
  return `${CLASS[cell].toLowerCase()}${l}`;
}

/**
 * The manifest name TF.js gives a wrapped layer's weight: exportKeras's
 * `layer0/forward/kernel` is `layer0/forward_lstm0/kernel` (the wrapper,
 * then `forward_` or `backward_` and the inner layer's name).
 */
function tfjsName(name: string, cell: CellKind): string {
  const m = /^layer(\d+)\/(forward|backward)\/(.+)$/.exec(name);
  return m ? `layer${m[1]}/${m[2]}_${innerName(cell, Number(m[1]))}/${m[3]}` : name;
}

type Json = Record<string, unknown>;
const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The shard paths of a model.json's weightsManifest, in the order their bytes concatenate. */
export function tfjsShardPaths(modelJson: unknown): string[] {
  if (!isObject(modelJson)) throw formatError(FORMAT, 'model.json is not a JSON object');
  const manifest = modelJson.weightsManifest;
  if (!Array.isArray(manifest)) throw formatError(FORMAT, 'model.json has no weightsManifest (is it a layers model saved by model.save?)');
  const paths: string[] = [];
  for (const group of manifest) {
    if (!isObject(group) || !Array.isArray(group.paths) || !group.paths.every((p) => typeof p === 'string')) throw formatError(FORMAT, 'a weightsManifest group has no list of paths');
    paths.push(...(group.paths as string[]));
  }
  return paths;
}

/**
 * Reads a TF.js layers model: `modelJson` is model.json's parsed object,
 * `weightData` its shards' bytes concatenated in manifest order. Throws a
 * FormatError, prefixed `TF.js:`, for a topology or weights it cannot map
 * onto a network.
 */
export function importTfjs(modelJson: unknown, weightData: Uint8Array): Checkpoint {
  return withFormat(FORMAT, () => {
    if (!isObject(modelJson)) throw formatError(FORMAT, 'model.json is not a JSON object');
    const layers = topologyLayers(modelJson.modelTopology);
    const weights = readManifest(modelJson, weightData);
    const recurrent = layers.filter((l) => Object.hasOwn(CELL_OF, l.class_name));
    const dense = layers.filter((l) => l.class_name === 'Dense');
    const other = layers.find((l) => !Object.hasOwn(CELL_OF, l.class_name) && l.class_name !== 'Dense' && l.class_name !== 'InputLayer');
    if (other) throw formatError(FORMAT, `layer "${other.name}" is a ${other.class_name}; rnnkit imports SimpleRNN, LSTM or GRU layers followed by one Dense layer`);
    if (recurrent.length === 0) throw formatError(FORMAT, 'the model has no SimpleRNN, LSTM or GRU layer');
    if (dense.length !== 1 || layers.at(-1) !== dense[0]) throw formatError(FORMAT, `the model must end in exactly one Dense layer after its recurrent layers; it has ${dense.length}`);
    const cls = recurrent[0]!.class_name;
    if (recurrent.some((l) => l.class_name !== cls)) throw formatError(FORMAT, 'the model mixes recurrent layer types; an rnnkit network has one cell type');
    const cell = CELL_OF[cls]!;
    const bidirectional = recurrent[0]!.bidirectional;
    const mixed = recurrent.find((l) => l.bidirectional !== bidirectional);
    if (mixed) throw formatError(FORMAT, `layer "${mixed.name}" is ${mixed.bidirectional ? '' : 'not '}wrapped in Bidirectional unlike layer "${recurrent[0]!.name}"; rnnkit makes every layer of a network one-way or every layer bidirectional`);
    const H = num(recurrent[0]!.config.units, `${recurrent[0]!.name}.units`);
    let hiddenActivation: HiddenActivation | undefined;
    let variant: string | undefined;
    const useBias = recurrent[0]!.config.use_bias !== false;
    for (const l of [...recurrent, dense[0]!]) {
      if ((l.config.use_bias !== false) !== useBias) throw formatError(FORMAT, `layer "${l.name}" ${useBias ? 'has no' : 'has a'} bias unlike layer "${recurrent[0]!.name}"; rnnkit uses biases in every layer or in none`);
    }
    for (const l of recurrent) {
      const c = l.config;
      if (num(c.units, `${l.name}.units`) !== H) throw formatError(FORMAT, `layer "${l.name}" has ${String(c.units)} units but "${recurrent[0]!.name}" ${H}; rnnkit uses one hidden size`);
      if (c.go_backwards === true) throw formatError(FORMAT, `layer "${l.name}" runs backwards (go_backwards); rnnkit's layers run forward`);
      const act = typeof c.activation === 'string' ? c.activation : 'tanh';
      if (cell === 'rnn') {
        const a = HIDDEN_ACTIVATIONS.find((x) => x === act);
        if (!a) throw formatError(FORMAT, `layer "${l.name}" uses activation ${act}; rnnkit's RNN offers ${HIDDEN_ACTIVATIONS.join(', ')}`);
        if (hiddenActivation && a !== hiddenActivation) throw formatError(FORMAT, `layer "${l.name}" uses ${a} but the layer below ${hiddenActivation}; rnnkit uses one activation`);
        hiddenActivation = a;
      } else {
        if (act !== 'tanh') throw formatError(FORMAT, `layer "${l.name}" uses activation ${act}; rnnkit's ${cls} uses tanh`);
        const rec = typeof c.recurrent_activation === 'string' ? c.recurrent_activation : 'hard_sigmoid';
        if (rec !== 'sigmoid') throw formatError(FORMAT, `layer "${l.name}" uses recurrent_activation ${rec}; rnnkit's gates use the logistic sigmoid (build it with recurrentActivation: "sigmoid")`);
      }
      if (cell === 'gru') variant = c.reset_after === true ? 'reset-after' : 'reset-before';
    }
    const d = dense[0]!;
    const outAct = typeof d.config.activation === 'string' ? d.config.activation : 'linear';
    const outputActivation = OUTPUT_ACTIVATIONS.find((x) => x === outAct);
    if (!outputActivation) throw formatError(FORMAT, `the Dense layer uses activation ${outAct}; rnnkit's output activations are ${OUTPUT_ACTIVATIONS.join(', ')}`);
    const kernel0 = findWeight(weights, recurrent[0]!.name, 'kernel', bidirectional ? 'forward' : undefined);
    const denseKernel = findWeight(weights, d.name, 'kernel');
    const metadata: Record<string, string> = {};
    if (isObject(modelJson.userDefinedMetadata)) {
      for (const [k, v] of Object.entries(modelJson.userDefinedMetadata)) if (typeof v === 'string') metadata[k] = v;
    }
    const built = buildPortable(FORMAT, {
      cell, inputSize: kernel0.shape[0]!, hiddenSize: H, outputSize: num(d.config.units, 'dense.units'), layers: recurrent.length, bias: useBias,
      outputActivation: outputActivation as OutputActivation, ...(hiddenActivation ? { hiddenActivation } : {}), ...(variant ? { variant } : {}),
      ...(bidirectional ? { bidirectional } : {}),
    }, metadata);
    if (denseKernel.shape[1] !== built.net.config.outputSize) throw formatError(FORMAT, `dense kernel has shape [${denseKernel.shape.join(', ')}] but the Dense layer has ${built.net.config.outputSize} units`);
    const list: KerasWeightInput[] = [];
    const owner = (layer: number): string => (layer < 0 ? d.name : recurrent[layer]!.name);
    for (const spec of kerasWeightSpecs(built.net, {}, useBias)) {
      const w = findWeight(weights, owner(spec.layer), spec.kind, spec.layer >= 0 && bidirectional ? (spec.reverse ? 'backward' : 'forward') : undefined);
      list.push({ name: w.name, shape: w.shape, values: w.values });
    }
    importKeras(built.net, list);
    return portableCheckpoint(built);
  });
}

interface Layer {
  readonly class_name: string;
  readonly name: string;
  readonly config: Json;
  /** Wrapped in Bidirectional (merge_mode concat): its weights are `<name>/forward_…/…` and `<name>/backward_…/…`. */
  readonly bidirectional: boolean;
}

/** The layers of a Sequential (or a chain of a functional model), TimeDistributed unwrapped. */
function topologyLayers(topology: unknown): Layer[] {
  if (!isObject(topology)) throw formatError(FORMAT, 'model.json has no modelTopology object');
  const model = isObject(topology.model_config) ? topology.model_config : topology;
  const config = model.config;
  const raw = Array.isArray(config) ? config : isObject(config) && Array.isArray(config.layers) ? config.layers : null;
  if (!raw) throw formatError(FORMAT, 'modelTopology has no list of layers');
  return raw.map((entry: unknown, i: number): Layer => {
    if (!isObject(entry) || typeof entry.class_name !== 'string' || !isObject(entry.config)) throw formatError(FORMAT, `modelTopology layer ${i} has no class_name and config`);
    let { class_name: cls, config: c } = entry as { class_name: string; config: Json };
    const name = typeof c.name === 'string' ? c.name : `layer ${i}`;
    if (cls === 'Bidirectional') {
      const mode = c.merge_mode ?? 'concat';
      if (mode !== 'concat') throw formatError(FORMAT, `layer "${name}" is Bidirectional with merge_mode ${JSON.stringify(mode)}; rnnkit's bidirectional layers concatenate [h→ | h←] (merge_mode "concat")`);
      if (!isObject(c.layer) || typeof c.layer.class_name !== 'string' || !isObject(c.layer.config)) throw formatError(FORMAT, `layer "${name}" is Bidirectional but names no layer to wrap`);
      if (!Object.hasOwn(CELL_OF, c.layer.class_name)) throw formatError(FORMAT, `layer "${name}" wraps a ${c.layer.class_name} in Bidirectional; rnnkit's bidirectional layers are SimpleRNN, LSTM or GRU`);
      // Its weights live under the wrapper's name.
      return { class_name: c.layer.class_name, name, config: c.layer.config, bidirectional: true };
    }
    if (cls === 'TimeDistributed' && isObject(c.layer) && typeof c.layer.class_name === 'string' && isObject(c.layer.config)) {
      // Its weights live under the wrapper's name.
      cls = c.layer.class_name;
      c = c.layer.config;
    }
    return { class_name: cls, name, config: c, bidirectional: false };
  });
}

interface Weight { readonly name: string; readonly shape: number[]; readonly values: Float32Array }

function readManifest(modelJson: Json, weightData: Uint8Array): Weight[] {
  tfjsShardPaths(modelJson);
  const out: Weight[] = [];
  let at = 0;
  for (const group of modelJson.weightsManifest as Json[]) {
    if (!Array.isArray(group.weights)) throw formatError(FORMAT, 'a weightsManifest group has no list of weights');
    for (const w of group.weights as unknown[]) {
      if (!isObject(w) || typeof w.name !== 'string' || !Array.isArray(w.shape) || !w.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        throw formatError(FORMAT, 'a weightsManifest entry lacks a name or a shape of non-negative integers');
      }
      if (w.quantization !== undefined) throw formatError(FORMAT, `weight "${w.name}" is quantized; save the model without quantization (float32)`);
      if ((w.dtype ?? 'float32') !== 'float32') throw formatError(FORMAT, `weight "${w.name}" is ${String(w.dtype)}; rnnkit reads float32 weights`);
      const shape = w.shape as number[];
      const n = shape.reduce((a, b) => a * b, 1);
      if (at + 4 * n > weightData.length) throw formatError(FORMAT, `the weight shards are truncated: weight "${w.name}" needs bytes ${at}..${at + 4 * n} but the shards hold ${weightData.length}`);
      const values = new Float32Array(n);
      readFloatsLE(weightData, at, values);
      for (let i = 0; i < n; i++) if (!Number.isFinite(values[i]!)) throw formatError(FORMAT, `weight "${w.name}" value ${i} is ${values[i]}, expected a finite number`);
      out.push({ name: w.name, shape, values });
      at += 4 * n;
    }
  }
  if (at !== weightData.length) throw formatError(FORMAT, `the weight shards hold ${weightData.length} bytes but the manifest describes ${at}; they do not belong together or are damaged`);
  return out;
}

/**
 * The weight `<layer>/…/<kind>` (`kernel`, `recurrent_kernel` or `bias`; a
 * `:0` suffix allowed); in a Bidirectional wrapper, `<layer>/forward_…/…/<kind>`
 * or `<layer>/backward_…/…/<kind>` (TF.js `layer0/forward_lstm0/kernel`,
 * Python Keras `bidirectional/forward_lstm/lstm_cell/kernel:0`).
 */
function findWeight(weights: readonly Weight[], layer: string, kind: string, direction?: 'forward' | 'backward'): Weight {
  const w = weights.find((x) => {
    if (!x.name.startsWith(`${layer}/`) || x.name.slice(x.name.lastIndexOf('/') + 1).replace(/:\d+$/, '') !== kind) return false;
    return direction === undefined || x.name.slice(layer.length + 1).startsWith(`${direction}_`);
  });
  if (!w) throw formatError(FORMAT, `the manifest has no weight "${layer}/${direction ? `${direction}_…/` : ''}${kind}"; it has ${weights.map((x) => x.name).join(', ') || 'none'}`);
  return w;
}

function num(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 1) throw formatError(FORMAT, `${what} must be a positive integer, got ${JSON.stringify(x)}`);
  return x;
}
