/**
 * ONNX model files, bytes in and bytes out (browser-safe), written and read
 * with protobufjs and the ONNX schema in onnx-schema.ts.
 *
 * The exported graph (opset 14), with L layers, hidden size H, K outputs:
 *
 *   inputs   x [T, B, D] float32 (time-major), h0 [L, B, H], and for the LSTM c0 [L, B, H]
 *   layer l  RNN | LSTM | GRU (direction forward) on the layer below, initial state
 *            Slice(h0, l) — Y [T, 1, B, H] → Squeeze(axis 1) → [T, B, H]
 *   output   MatMul(h_top, V) (+ Add b_o) → Softmax(axis −1) | Sigmoid | Identity → y [T, B, K]
 *   outputs  y, hT = Concat(each layer's Y_h) [L, B, H], and for the LSTM cT
 *
 * T and B are dynamic. ONNX's weights act on column vectors: W [1, gH, D],
 * R [1, gH, H], B [1, 2gH] = [input biases | recurrent biases], gate blocks
 * LSTM [i | o | f | c], GRU [z | r | h]. Our reset-after GRU is
 * `linear_before_reset = 1` (b_hn is the recurrent bias of h); the
 * reset-before GRU is the default 0. The RNN's activation is Tanh, Relu,
 * Sigmoid, or Affine(α = 1, β = 0) for linear. Every network this library
 * builds can be expressed.
 *
 * A bidirectional network has one operator per layer with direction
 * "bidirectional": W, R and B stack [forward; backward] (num_directions 2),
 * h0, c0, hT and cT have 2L rows (layer l: rows 2l forward, 2l + 1
 * backward), and Y [T, 2, B, H] → Transpose(0, 2, 1, 3) → Reshape [T, B, 2H]
 * gives each row [h→(t) | h←(t)], as the library's layer does. The config and `meta` go into `metadata_props`
 * (keys in exchange.ts), so a consumer can decode text from the vocabulary.
 *
 * Import reads our files and those `torch.onnx.export` writes for
 * nn.RNN/nn.LSTM/nn.GRU + nn.Linear: it collects the weights of the graph's
 * recurrent operators (in graph order, which ONNX requires to be
 * topological) and of the one MatMul or Gemm after them, with the Add and
 * Softmax or Sigmoid that follow it. It does not interpret other operators.
 * Forward or bidirectional layers (all the same) are read; reverse-only are refused.
 */

import type { CellKind } from '../cells/cell.js';
import type { HiddenActivation, OutputActivation } from '../core/activations.js';
import type { Checkpoint } from './checkpoint.js';
import {
  buildPortable, formatError, fromColumns, METADATA_KEYS, portableCheckpoint, portableMetadata, portableModel, toColumns, withFormat, type InferredShape,
} from './exchange.js';
import { layerSlots, transpose, type Gate } from './layout.js';
import { readFloatsLE, writeFloatsLE } from './floats.js';
import { ONNX_ATTR, ONNX_DTYPE, onnxTypes } from './onnx-schema.js';

const FORMAT = 'ONNX';
/** The opset the exporter targets (RNN, LSTM, GRU, Squeeze with axes as an input, Softmax on one axis). */
export const ONNX_OPSET = 14;
/** IR version 7 is the one that opset 14 shipped with. */
const IR_VERSION = 7;

/** Gate blocks in ONNX weights: LSTM [i | o | f | c], GRU [z | r | h]. */
export const ONNX_GATES: Readonly<Record<CellKind, readonly Gate[]>> = {
  rnn: ['h'],
  lstm: ['i', 'o', 'f', 'c'],
  gru: ['z', 'r', 'n'],
};

const OP: Readonly<Record<CellKind, string>> = { rnn: 'RNN', lstm: 'LSTM', gru: 'GRU' };
const CELL_OF: Readonly<Record<string, CellKind>> = { RNN: 'rnn', LSTM: 'lstm', GRU: 'gru' };
const RNN_ACTIVATION: Readonly<Record<HiddenActivation, string>> = { tanh: 'Tanh', relu: 'Relu', sigmoid: 'Sigmoid', linear: 'Affine' };

// ---------------------------------------------------------------- export

interface Attr { name: string; type: number; i?: number; s?: Uint8Array; f?: number; ints?: number[]; floats?: number[]; strings?: Uint8Array[] }
interface NodeSpec { op_type: string; input: string[]; output: string[]; name: string; attribute?: Attr[] }

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const intAttr = (name: string, i: number): Attr => ({ name, type: ONNX_ATTR.INT, i });
const strAttr = (name: string, s: string): Attr => ({ name, type: ONNX_ATTR.STRING, s: utf8(s) });

function floatTensor(name: string, dims: number[], data: ArrayLike<number>): object {
  const raw = new Uint8Array(data.length * 4);
  writeFloatsLE(raw, 0, data instanceof Float32Array ? data : Float32Array.from(data));
  return { name, dims, data_type: ONNX_DTYPE.FLOAT, raw_data: raw };
}

function int64Tensor(name: string, values: number[]): object {
  return { name, dims: [values.length], data_type: ONNX_DTYPE.INT64, int64_data: values };
}

function valueInfo(name: string, dims: (number | string)[]): object {
  return {
    name,
    type: { tensor_type: { elem_type: ONNX_DTYPE.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } },
  };
}

/**
 * A checkpoint's network as an ONNX model (see the module comment).
 * Throws a FormatError for a checkpoint of several networks.
 */
export function exportOnnx(checkpoint: Checkpoint): Uint8Array {
  const model = portableModel(checkpoint, FORMAT);
  const net = model.net;
  const { cell, layers: L, inputSize: D, hiddenSize: H, outputSize: K, hiddenActivation, outputActivation } = net.config;
  const lstm = cell === 'lstm';
  const nodes: NodeSpec[] = [];
  const inits: object[] = [int64Tensor('axes_1', [1])];
  const slots = layerSlots(net);
  // A bidirectional layer is one operator with num_directions = 2: its weights stack [forward; backward].
  const dirs = net.config.bidirectional ? 2 : 1;
  const S = dirs * H;
  const stack = (parts: Float32Array[]): Float32Array => {
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  let below = 'x';
  for (let l = 0; l < L; l++) {
    const pair = slots.filter((s) => s.index === l);
    const slot = pair[0]!;
    const cols = pair.map((s) => toColumns(s, ONNX_GATES));
    const g = slot.gates * H;
    inits.push(floatTensor(`W_l${l}`, [dirs, g, slot.D], stack(cols.map((c) => c.W))), floatTensor(`R_l${l}`, [dirs, g, H], stack(cols.map((c) => c.R))));
    const biased = cols[0]!.Wb !== null;
    // B [num_directions, 2gH]: per direction [input biases | recurrent biases]
    if (biased) inits.push(floatTensor(`B_l${l}`, [dirs, 2 * g], stack(cols.flatMap((c) => [c.Wb!, c.Rb!]))));
    // Layer l's initial states are rows l·dirs .. (l+1)·dirs − 1 of h0 (and c0).
    const state = (s: 'h0' | 'c0'): string => {
      if (L === 1) return s;
      inits.push(int64Tensor(`${s}_start_l${l}`, [l * dirs]), int64Tensor(`${s}_end_l${l}`, [(l + 1) * dirs]));
      nodes.push({ op_type: 'Slice', name: `slice_${s}_l${l}`, input: [s, `${s}_start_l${l}`, `${s}_end_l${l}`, 'axes_0'], output: [`${s}_l${l}`] });
      return `${s}_l${l}`;
    };
    const attribute: Attr[] = [intAttr('hidden_size', H), strAttr('direction', dirs === 2 ? 'bidirectional' : 'forward')];
    if (cell === 'rnn') {
      // One activation (and α, β) per direction.
      attribute.push({ name: 'activations', type: ONNX_ATTR.STRINGS, strings: Array.from({ length: dirs }, () => utf8(RNN_ACTIVATION[hiddenActivation])) });
      if (hiddenActivation === 'linear') {
        attribute.push({ name: 'activation_alpha', type: ONNX_ATTR.FLOATS, floats: Array(dirs).fill(1) }, { name: 'activation_beta', type: ONNX_ATTR.FLOATS, floats: Array(dirs).fill(0) });
      }
    }
    if (cell === 'gru') attribute.push(intAttr('linear_before_reset', slot.resetAfter ? 1 : 0));
    const input = [below, `W_l${l}`, `R_l${l}`, biased ? `B_l${l}` : '', '', state('h0')];
    if (lstm) input.push(state('c0'));
    const output = [`Y_l${l}`, `hT_l${l}`, ...(lstm ? [`cT_l${l}`] : [])];
    nodes.push({ op_type: OP[cell], name: `${cell}_l${l}`, input, output, attribute });
    if (dirs === 1) {
      // Y [T, 1, B, H] → [T, B, H]
      nodes.push({ op_type: 'Squeeze', name: `squeeze_l${l}`, input: [`Y_l${l}`, 'axes_1'], output: [`h_l${l}`] });
    } else {
      // Y [T, 2, B, H] → Transpose [T, B, 2, H] → Reshape [T, B, 2H]: each row [h→(t) | h←(t)], as ours.
      nodes.push({ op_type: 'Transpose', name: `transpose_l${l}`, input: [`Y_l${l}`], output: [`Yt_l${l}`], attribute: [{ name: 'perm', type: ONNX_ATTR.INTS, ints: [0, 2, 1, 3] }] });
      nodes.push({ op_type: 'Reshape', name: `reshape_l${l}`, input: [`Yt_l${l}`, 'shape_TBS'], output: [`h_l${l}`] });
    }
    below = `h_l${l}`;
  }
  if (dirs === 2) inits.push(int64Tensor('shape_TBS', [0, 0, S]));
  if (L > 1) inits.push(int64Tensor('axes_0', [0]));
  nodes.push({ op_type: 'Concat', name: 'concat_hT', input: Array.from({ length: L }, (_, l) => `hT_l${l}`), output: ['hT'], attribute: [intAttr('axis', 0)] });
  if (lstm) nodes.push({ op_type: 'Concat', name: 'concat_cT', input: Array.from({ length: L }, (_, l) => `cT_l${l}`), output: ['cT'], attribute: [intAttr('axis', 0)] });
  // ŷ = g_o(h·V + b_o)
  inits.push(floatTensor('V', [S, K], net.V));
  nodes.push({ op_type: 'MatMul', name: 'output_matmul', input: [below, 'V'], output: ['net_o'] });
  let netO = 'net_o';
  if (net.b_o) {
    inits.push(floatTensor('b_o', [K], net.b_o));
    nodes.push({ op_type: 'Add', name: 'output_bias', input: ['net_o', 'b_o'], output: ['net_o_b'] });
    netO = 'net_o_b';
  }
  const act: Record<OutputActivation, NodeSpec> = {
    softmax: { op_type: 'Softmax', name: 'output_softmax', input: [netO], output: ['y'], attribute: [intAttr('axis', -1)] },
    sigmoid: { op_type: 'Sigmoid', name: 'output_sigmoid', input: [netO], output: ['y'] },
    linear: { op_type: 'Identity', name: 'output_linear', input: [netO], output: ['y'] },
  };
  nodes.push(act[outputActivation]);
  const rows = L * dirs;
  const inputs = [valueInfo('x', ['T', 'B', D]), valueInfo('h0', [rows, 'B', H]), ...(lstm ? [valueInfo('c0', [rows, 'B', H])] : [])];
  const outputs = [valueInfo('y', ['T', 'B', K]), valueInfo('hT', [rows, 'B', H]), ...(lstm ? [valueInfo('cT', [rows, 'B', H])] : [])];
  const metadata = portableMetadata(model);
  const { Model } = onnxTypes();
  const message = Model.fromObject({
    ir_version: IR_VERSION,
    producer_name: 'rnnkit',
    doc_string: `${metadata.generator}: ${dirs === 2 ? 'bidirectional ' : ''}${cell} ${L}×${H}, ${D} inputs, ${K} ${outputActivation} outputs`,
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    graph: { name: 'rnnkit', node: nodes, initializer: inits, input: inputs, output: outputs },
    metadata_props: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
  return Model.encode(message).finish();
}

// ---------------------------------------------------------------- import

interface OnnxTensor { name?: string; dims?: number[]; data_type?: number; raw_data?: Uint8Array; float_data?: number[]; double_data?: number[] }
interface OnnxAttr { name?: string; i?: number; f?: number; s?: Uint8Array; ints?: number[]; floats?: number[]; strings?: Uint8Array[] }
interface OnnxNode { op_type?: string; domain?: string; input?: string[]; output?: string[]; attribute?: OnnxAttr[] }
interface OnnxGraph { node?: OnnxNode[]; initializer?: OnnxTensor[] }
interface OnnxModel { producer_name?: string; graph?: OnnxGraph; metadata_props?: { key?: string; value?: string }[]; opset_import?: { domain?: string; version?: number }[] }

/**
 * Reads an ONNX model into a checkpoint (see the module comment for what
 * it understands). Throws a FormatError, prefixed `ONNX:`, for bytes that
 * are not an ONNX protobuf and for a graph it cannot map onto a network:
 * no recurrent operator, mixed cells, reverse-only or mixed-direction layers,
 * peepholes, clipping, activations other than the standard ones, an output
 * layer that is missing or not a MatMul/Gemm.
 */
export function importOnnx(bytes: Uint8Array | ArrayBuffer): Checkpoint {
  const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const { Model } = onnxTypes();
  let model: OnnxModel;
  try {
    model = Model.toObject(Model.decode(data), { longs: Number, defaults: false }) as OnnxModel;
  } catch (e) {
    throw formatError(FORMAT, `the file is not a valid ONNX protobuf (${e instanceof Error ? e.message : String(e)}); it is damaged, truncated or another format`);
  }
  return withFormat(FORMAT, () => readModel(model));
}

function readModel(model: OnnxModel): Checkpoint {
  const graph = model.graph;
  if (!graph || !graph.node || graph.node.length === 0) throw formatError(FORMAT, 'the model has no graph or an empty graph');
  const metadata: Record<string, string> = {};
  for (const p of model.metadata_props ?? []) if (p.key !== undefined) metadata[p.key] = p.value ?? '';
  // Protobuf has no end marker: a file of ours cut between two fields still decodes, so ours must end with the generator entry.
  if (model.producer_name === 'rnnkit' && metadata[METADATA_KEYS.generator] === undefined) throw formatError(FORMAT, 'the file is truncated: its metadata_props end before the last entry');
  if (!(model.opset_import ?? []).some((o) => !o.domain || o.domain === 'ai.onnx')) throw formatError(FORMAT, 'the model imports no opset of the default ONNX domain; the file is damaged or truncated');
  const inits = new Map<string, OnnxTensor>();
  for (const t of graph.initializer ?? []) if (t.name) inits.set(t.name, t);
  const nodes = graph.node.filter((n) => !n.domain || n.domain === 'ai.onnx');
  const recurrent = nodes.filter((n) => n.op_type !== undefined && Object.hasOwn(CELL_OF, n.op_type));
  if (recurrent.length === 0) throw formatError(FORMAT, 'the graph has no RNN, LSTM or GRU operator; rnnkit imports a stack of one of them followed by a MatMul or Gemm output layer');
  const op = recurrent[0]!.op_type!;
  if (recurrent.some((n) => n.op_type !== op)) throw formatError(FORMAT, `the graph mixes ${[...new Set(recurrent.map((n) => n.op_type))].join(' and ')} operators; an rnnkit network has one cell type`);
  const cell = CELL_OF[op]!;

  const weight = (node: OnnxNode, k: number, what: string, required: boolean): { dims: number[]; values: Float32Array } | null => {
    const name = node.input?.[k];
    if (!name) {
      if (required) throw formatError(FORMAT, `the ${op} operator has no ${what} input`);
      return null;
    }
    const t = inits.get(name);
    if (!t) throw formatError(FORMAT, `the ${op} operator's ${what} "${name}" is computed in the graph, not stored as an initializer; export with constant folding (torch.onnx.export(..., do_constant_folding=True))`);
    return { dims: t.dims ?? [], values: tensorValues(t) };
  };

  let H = 0;
  let hiddenActivation: HiddenActivation | undefined;
  let variant: string | undefined;
  let dirs = 1;
  const layers = recurrent.map((node, l) => {
    const a = attrs(node);
    const direction = a.get('direction')?.s ? new TextDecoder().decode(a.get('direction')!.s) : 'forward';
    if (direction !== 'forward' && direction !== 'bidirectional') throw formatError(FORMAT, `layer ${l} runs ${direction}; rnnkit layers run forward or bidirectional (a reverse-only layer has no rnnkit form)`);
    const d = direction === 'bidirectional' ? 2 : 1;
    if (l === 0) dirs = d;
    else if (d !== dirs) throw formatError(FORMAT, `layer ${l} is ${direction} but layer 0 ${dirs === 2 ? 'bidirectional' : 'forward'}; rnnkit makes every layer of a network one or the other`);
    if (a.has('clip')) throw formatError(FORMAT, `layer ${l} clips its cell input (attribute clip), which rnnkit's ${op} does not do`);
    if (a.get('input_forget')?.i) throw formatError(FORMAT, `layer ${l} couples the LSTM's input and forget gates (input_forget = 1), which rnnkit's LSTM does not do`);
    if (cell === 'lstm' && node.input?.[7]) throw formatError(FORMAT, `layer ${l} has peephole weights (input P), which rnnkit's LSTM does not have`);
    const acts = (a.get('activations')?.strings ?? []).map((s) => new TextDecoder().decode(s));
    if (cell === 'rnn') {
      if (acts.length > 1 && acts.some((x) => x !== acts[0])) throw formatError(FORMAT, `layer ${l}'s two directions use activations ${acts.join(' and ')}; rnnkit uses one activation`);
      const act = readRnnActivation(acts[0] ?? 'Tanh', a);
      if (hiddenActivation && act !== hiddenActivation) throw formatError(FORMAT, `layer ${l} uses ${act} but layer 0 ${hiddenActivation}; rnnkit uses one activation for every layer`);
      hiddenActivation = act;
    } else {
      const standard = cell === 'lstm' ? ['Sigmoid', 'Tanh', 'Tanh'] : ['Sigmoid', 'Tanh'];
      if (acts.length > 0 && acts.join() !== Array.from({ length: dirs }, () => standard).flat().join()) throw formatError(FORMAT, `layer ${l} uses activations ${acts.join(', ')}; rnnkit's ${op} has ${standard.join(', ')}`);
    }
    if (cell === 'gru') {
      const v = a.get('linear_before_reset')?.i ? 'reset-after' : 'reset-before';
      if (variant && v !== variant) throw formatError(FORMAT, `layer ${l} is a ${v} GRU but layer 0 ${variant}`);
      variant = v;
    }
    const W = weight(node, 1, 'W', true)!;
    const R = weight(node, 2, 'R', true)!;
    const B = weight(node, 3, 'B', false);
    const g = ONNX_GATES[cell].length;
    if (R.dims.length !== 3 || R.dims[0] !== dirs || R.dims[1] !== g * R.dims[2]!) throw formatError(FORMAT, `layer ${l}: R has shape [${R.dims.join(', ')}], expected [${dirs}, ${g}·H, H]`);
    const h = R.dims[2]!;
    if (l === 0) H = h;
    else if (h !== H) throw formatError(FORMAT, `layer ${l} has hidden size ${h} but layer 0 ${H}; rnnkit uses one hidden size`);
    const hs = a.get('hidden_size')?.i;
    if (hs !== undefined && hs !== H) throw formatError(FORMAT, `layer ${l}: hidden_size ${hs} disagrees with R [${R.dims.join(', ')}]`);
    if (W.dims.length !== 3 || W.dims[0] !== dirs || W.dims[1] !== g * H || (l > 0 && W.dims[2] !== dirs * H)) {
      throw formatError(FORMAT, `layer ${l}: W has shape [${W.dims.join(', ')}], expected [${dirs}, ${g * H}, ${l > 0 ? dirs * H : 'D'}]`);
    }
    if (B && (B.dims.length !== 2 || B.dims[0] !== dirs || B.dims[1] !== 2 * g * H)) throw formatError(FORMAT, `layer ${l}: B has shape [${B.dims.join(', ')}], expected [${dirs}, ${2 * g * H}]`);
    return { W, R, B, D: W.dims[2]! };
  });

  const out = readOutputLayer(nodes, recurrent.at(-1)!, inits, dirs * H);
  const shape: InferredShape = {
    cell, inputSize: layers[0]!.D, hiddenSize: H, outputSize: out.K, layers: layers.length,
    bias: layers.some((x) => x.B !== null) || out.bias !== null,
    outputActivation: out.activation,
    ...(hiddenActivation ? { hiddenActivation } : {}),
    ...(variant ? { variant } : {}),
    ...(dirs === 2 ? { bidirectional: true } : {}),
  };
  const built = buildPortable(FORMAT, shape, metadata);
  const net = built.net;
  for (const slot of layerSlots(net)) {
    const l = slot.index;
    const { W, R, B } = layers[l]!;
    const g = slot.gates * H;
    // Direction d's block of each stacked tensor (d = 1: the backward direction).
    const d = slot.reverse ? 1 : 0;
    const w = W.values.subarray(d * g * slot.D, (d + 1) * g * slot.D);
    const r = R.values.subarray(d * g * H, (d + 1) * g * H);
    const b = B ? B.values.subarray(d * 2 * g, (d + 1) * 2 * g) : null;
    const where = `layer ${l}${dirs === 2 ? (slot.reverse ? ' backward' : ' forward') : ''}`;
    fromColumns(slot, ONNX_GATES, { W: w, R: r, Wb: b ? b.subarray(0, g) : null, Rb: b ? b.subarray(g) : null }, { Wb: `B (${where}, input half)`, Rb: `B (${where}, recurrent half)` });
  }
  net.V.set(out.V);
  if (net.b_o) net.b_o.set(out.bias ?? new Float32Array(out.K));
  else if (out.bias && out.bias.some((v) => v !== 0)) throw formatError(FORMAT, 'the output layer has a non-zero bias but the model has no biases');
  return portableCheckpoint(built);
}

function readRnnActivation(name: string, a: Map<string, OnnxAttr>): HiddenActivation {
  switch (name) {
    case 'Tanh':
      return 'tanh';
    case 'Relu':
      return 'relu';
    case 'Sigmoid':
      return 'sigmoid';
    case 'Affine': {
      const alpha = a.get('activation_alpha')?.floats?.[0];
      const beta = a.get('activation_beta')?.floats?.[0] ?? 0;
      if (alpha === 1 && beta === 0) return 'linear';
      throw formatError(FORMAT, `the RNN uses Affine(α = ${alpha}, β = ${beta}); rnnkit's linear activation is Affine(1, 0)`);
    }
    default:
      throw formatError(FORMAT, `the RNN uses activation ${name}; rnnkit offers Tanh, Relu, Sigmoid and linear (Affine 1, 0)`);
  }
}

/** The output layer after the last recurrent operator: MatMul (+ Add) or Gemm, then Softmax, Sigmoid or nothing. */
function readOutputLayer(nodes: OnnxNode[], last: OnnxNode, inits: Map<string, OnnxTensor>, H: number): { V: Float32Array; bias: Float32Array | null; K: number; activation: OutputActivation } {
  const after = nodes.slice(nodes.indexOf(last) + 1);
  const dense = after.find((n) => (n.op_type === 'MatMul' || n.op_type === 'Gemm') && n.input?.some((i) => inits.has(i)));
  if (!dense) throw formatError(FORMAT, 'no output layer after the recurrent operators (a MatMul or Gemm with a stored [H, K] weight, as nn.Linear exports)');
  const wName = dense.input!.find((i, k) => k === 1 && inits.has(i)) ?? dense.input!.find((i) => inits.has(i))!;
  const w = inits.get(wName)!;
  const dims = w.dims ?? [];
  const values = tensorValues(w);
  let V: Float32Array;
  let K: number;
  let bias: Float32Array | null = null;
  let tail = dense.output?.[0];
  if (dense.op_type === 'Gemm') {
    const a = attrs(dense);
    if ((a.get('alpha')?.f ?? 1) !== 1 || (a.get('beta')?.f ?? 1) !== 1 || a.get('transA')?.i) throw formatError(FORMAT, 'the output Gemm scales or transposes its input (alpha, beta, transA); only y = x·Wᵀ + b or x·W + b is understood');
    const transB = a.get('transB')?.i === 1;
    K = transB ? dims[0]! : dims[1]!;
    if (dims.length !== 2 || (transB ? dims[1] : dims[0]) !== H) throw formatError(FORMAT, `the output Gemm's weight has shape [${dims.join(', ')}], expected ${transB ? `[K, ${H}]` : `[${H}, K]`}`);
    V = transB ? Float32Array.from(transpose(values, K, H)) : values;
    const c = dense.input?.[2];
    if (c && inits.has(c)) bias = tensorValues(inits.get(c)!);
  } else {
    if (dims.length !== 2 || dims[0] !== H) throw formatError(FORMAT, `the output MatMul's weight "${wName}" has shape [${dims.join(', ')}], expected [${H}, K]`);
    K = dims[1]!;
    V = values;
    const add = after.find((n) => n.op_type === 'Add' && n.input?.includes(tail ?? '') && n.input.some((i) => inits.has(i)));
    if (add) {
      bias = tensorValues(inits.get(add.input!.find((i) => inits.has(i))!)!);
      tail = add.output?.[0];
    }
  }
  if (bias && bias.length !== K) throw formatError(FORMAT, `the output bias has ${bias.length} values, expected ${K}`);
  const next = after.find((n) => n.input?.[0] === tail && n.op_type !== 'Identity');
  let activation: OutputActivation = 'linear';
  if (next?.op_type === 'Softmax') activation = 'softmax';
  else if (next?.op_type === 'Sigmoid') activation = 'sigmoid';
  else if (next?.op_type === 'LogSoftmax') throw formatError(FORMAT, 'the output is LogSoftmax; rnnkit\'s output activations are linear, sigmoid and softmax (drop the log, or export the logits)');
  return { V, bias, K, activation };
}

function attrs(node: OnnxNode): Map<string, OnnxAttr> {
  return new Map((node.attribute ?? []).filter((a) => a.name).map((a) => [a.name!, a]));
}

/** A float tensor's values (raw little-endian bytes, float_data or double_data), checked against its dims. */
function tensorValues(t: OnnxTensor): Float32Array {
  const dims = t.dims ?? [];
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw formatError(FORMAT, `tensor "${t.name}" has invalid dims [${dims.join(', ')}]`);
  const n = dims.reduce((a, b) => a * b, 1);
  const type = t.data_type ?? 0;
  if (type !== ONNX_DTYPE.FLOAT && type !== ONNX_DTYPE.DOUBLE) throw formatError(FORMAT, `tensor "${t.name}" has data type ${type}; weights must be float32 (1) or float64 (11)`);
  const size = type === ONNX_DTYPE.FLOAT ? 4 : 8;
  // Checked before allocating: the declared dims must match the data the file holds.
  const held = t.raw_data && t.raw_data.length > 0 ? t.raw_data.length / size : (type === ONNX_DTYPE.FLOAT ? t.float_data : t.double_data)?.length ?? 0;
  if (held !== n) throw formatError(FORMAT, `tensor "${t.name}" [${dims.join(', ')}] holds ${held} values, expected ${n}; the file is damaged`);
  const out = new Float32Array(n);
  if (t.raw_data && t.raw_data.length > 0) {
    if (size === 4) readFloatsLE(t.raw_data, 0, out);
    else {
      const d = new Float64Array(n);
      readFloatsLE(t.raw_data, 0, d);
      out.set(d);
    }
  } else {
    out.set((type === ONNX_DTYPE.FLOAT ? t.float_data : t.double_data) ?? []);
  }
  for (let i = 0; i < n; i++) if (!Number.isFinite(out[i]!)) throw formatError(FORMAT, `tensor "${t.name}" value ${i} is ${out[i]}, expected a finite number`);
  return out;
}
