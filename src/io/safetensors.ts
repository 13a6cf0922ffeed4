/**
 * safetensors files (Hugging Face's format for PyTorch state dicts), bytes in
 * and bytes out, so they work in a browser too.
 *
 * Layout: an unsigned 64-bit little-endian header length N; N bytes of UTF-8
 * JSON, `{ "__metadata__": { string: string }, "<name>": { "dtype": "F32",
 * "shape": [..], "data_offsets": [begin, end] }, … }`; then the data, each
 * tensor row-major little-endian at [begin, end) from the data's start, the
 * tensors covering the data without gaps or overlaps.
 *
 * A model is stored with the names {@link exportPyTorch} uses (`weight_ih_l0`,
 * `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, …, `linear.weight`,
 * `linear.bias`), in float32, so `load_state_dict(strict=True)` into
 * `nn.RNN | nn.LSTM | nn.GRU` (num_layers L) plus `nn.Linear(H, K)` takes it.
 * A bidirectional network adds each layer's backward direction under the
 * `_reverse` names (`weight_ih_l0_reverse`, …): `bidirectional=True` and
 * `nn.Linear(2H, K)`.
 * The network's config and the checkpoint's `meta` go into `__metadata__`
 * (see exchange.ts).
 */

import { FormatError, OptionError } from '../core/errors.js';
import type { Checkpoint } from './checkpoint.js';
import {
  buildPortable, formatError, fromColumns, portableCheckpoint, portableMetadata, portableModel, toColumns, withFormat, type InferredShape,
} from './exchange.js';
import { readFloatsLE, writeFloatsLE } from './floats.js';
import { layerSlots, showShape, slotOf, TORCH_GATES, transpose } from './layout.js';
import { stateWidth } from '../model/network.js';
import { pyTorchWeightSpecs, type PyTorchOptions } from './pytorch.js';
import type { CellKind } from '../cells/cell.js';

const FORMAT = 'safetensors';
/** Largest header this reader accepts (a state dict's header is a few kilobytes). */
const MAX_HEADER = 100 * 1024 * 1024;
const ITEM_SIZE: Readonly<Record<string, number>> = { F32: 4, F64: 8 };

/** One tensor of a safetensors file. */
export interface SafeTensor {
  readonly shape: readonly number[];
  /** Row-major values; Float32Array is written as F32, Float64Array as F64. */
  readonly data: Float32Array | Float64Array;
}

/** What {@link decodeSafetensors} returns. */
export interface SafetensorsContent {
  readonly tensors: ReadonlyMap<string, SafeTensor>;
  readonly metadata: Readonly<Record<string, string>>;
}

/** Writes tensors (in the given order) and string metadata as a safetensors file. */
export function encodeSafetensors(tensors: ReadonlyMap<string, SafeTensor>, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new OptionError('a tensor may not be named "__metadata__"');
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new OptionError(`tensor "${name}" has ${t.data.length} values but its shape ${showShape(t.shape)} needs ${count}`);
    const end = offset + t.data.byteLength;
    header[name] = { dtype: t.data instanceof Float64Array ? 'F64' : 'F32', shape: [...t.shape], data_offsets: [offset, end] };
    offset = end;
  }
  let text = JSON.stringify(header);
  // Pad with spaces so the data starts at a multiple of 8, as the reference writer does.
  const encoded = new TextEncoder().encode(text);
  const pad = (8 - ((8 + encoded.length) % 8)) % 8;
  text += ' '.repeat(pad);
  const headerBytes = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    writeFloatsLE(out, at, t.data);
    at += t.data.byteLength;
  }
  return out;
}

/**
 * Reads a safetensors file, checking everything before it allocates: the
 * header's length against the file, its JSON, every tensor's dtype (F32 or
 * F64), shape and offsets, and that the tensors tile the data exactly.
 * @throws FormatError naming the problem, prefixed `safetensors:`.
 */
export function decodeSafetensors(input: Uint8Array | ArrayBuffer): SafetensorsContent {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length < 8) throw formatError(FORMAT, `the file is truncated: ${bytes.length} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER)) throw formatError(FORMAT, `the header declares ${n} bytes, more than the ${MAX_HEADER} accepted; this is not a safetensors file or it is damaged`);
  const headerLength = Number(n);
  if (8 + headerLength > bytes.length) throw formatError(FORMAT, `the file is truncated: the header needs bytes 8..${8 + headerLength} but the file has ${bytes.length}`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    throw formatError(FORMAT, 'the header is not valid UTF-8 JSON; the file is damaged or not a safetensors file');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw formatError(FORMAT, 'the header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const raw = json as Record<string, unknown>;
  const entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  for (const name of Object.keys(raw)) {
    const e = raw[name];
    if (name === '__metadata__') {
      if (typeof e !== 'object' || e === null || Array.isArray(e)) throw formatError(FORMAT, '"__metadata__" must be an object of strings');
      for (const [k, v] of Object.entries(e)) {
        if (typeof v !== 'string') throw formatError(FORMAT, `"__metadata__"."${k}" is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw formatError(FORMAT, `tensor "${name}" is not described by an object`);
    const { dtype, shape, data_offsets: offsets } = e as Record<string, unknown>;
    if (typeof dtype !== 'string') throw formatError(FORMAT, `tensor "${name}" has no dtype`);
    if (!Object.hasOwn(ITEM_SIZE, dtype)) throw formatError(FORMAT, `tensor "${name}" is ${dtype}; this reader takes F32 and F64 (save the state dict as float32)`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0) || shape.length > 8) throw formatError(FORMAT, `tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && d >= 0) || offsets[1] < offsets[0]) {
      throw formatError(FORMAT, `tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== count * ITEM_SIZE[dtype]!) throw formatError(FORMAT, `tensor "${name}" ${showShape(shape as number[])} ${dtype} needs ${count * ITEM_SIZE[dtype]!} bytes but its data_offsets span ${end - begin}`);
    if (end > dataLength) throw formatError(FORMAT, `the file is truncated: tensor "${name}" ends at data byte ${end} but the data has ${dataLength}`);
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin);
  let covered = 0;
  for (const e of sorted) {
    if (e.begin !== covered) throw formatError(FORMAT, `tensor "${e.name}" starts at data byte ${e.begin}, expected ${covered}: the tensors overlap or leave a gap`);
    covered = e.end;
  }
  if (covered !== dataLength) throw formatError(FORMAT, `the file has ${dataLength - covered} bytes after the last tensor; it is damaged or two files were joined`);
  const tensors = new Map<string, SafeTensor>();
  for (const e of entries) {
    const count = e.shape.reduce((a, b) => a * b, 1);
    const data = e.dtype === 'F64' ? new Float64Array(count) : new Float32Array(count);
    readFloatsLE(bytes, dataStart + e.begin, data);
    tensors.set(e.name, { shape: e.shape, data });
  }
  return { tensors, metadata };
}

/**
 * A checkpoint's network as a safetensors file with the PyTorch names of
 * {@link exportPyTorch} (same `prefix` and `linear` options), float32, and
 * the config and `meta` in `__metadata__`. Throws a FormatError for what
 * PyTorch cannot express: an RNN whose activation is not tanh or relu, a
 * reset-before GRU, a checkpoint of several networks.
 */
export function exportSafetensors(checkpoint: Checkpoint, options: PyTorchOptions = {}): Uint8Array {
  const model = portableModel(checkpoint, FORMAT);
  const net = model.net;
  const act = net.config.hiddenActivation;
  if (net.config.cell === 'rnn' && act !== 'tanh' && act !== 'relu') {
    throw formatError(FORMAT, `PyTorch's nn.RNN offers nonlinearity tanh or relu; this RNN uses ${act}, which a PyTorch state dict cannot express (ONNX and TF.js can)`);
  }
  const specs = withFormat(FORMAT, () => pyTorchWeightSpecs(net, { ...options, output: true }));
  const slots = layerSlots(net);
  const tensors = new Map<string, SafeTensor>();
  for (const spec of specs) {
    let data: Float32Array;
    if (spec.layer < 0) {
      // Linear: weight = Vᵀ, K × H (K × 2H when bidirectional).
      data = spec.kind === 'weight' ? Float32Array.from(transpose(net.V, stateWidth(net.config), net.config.outputSize)) : Float32Array.from(net.b_o!);
    } else {
      const c = toColumns(slotOf(slots, spec.layer, spec.reverse), TORCH_GATES);
      data = spec.kind === 'weight_ih' ? c.W : spec.kind === 'weight_hh' ? c.R : spec.kind === 'bias_ih' ? c.Wb! : c.Rb!;
    }
    tensors.set(spec.name, { shape: spec.shape, data });
  }
  return encodeSafetensors(tensors, portableMetadata(model));
}

/**
 * Reads a safetensors state dict into a checkpoint: the cell, sizes and
 * layer count from the tensors' shapes (weight_hh_l0 is gH × H: g = 1 RNN,
 * 4 LSTM, 3 GRU), activations and `meta` from our `__metadata__` when
 * present (else tanh and a linear output). Refuses any name or shape that
 * does not match, listing the names and shapes it expected.
 */
export function importSafetensors(bytes: Uint8Array | ArrayBuffer, options: PyTorchOptions = {}): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes);
  return withFormat(FORMAT, () => {
    const shape = inferShape(tensors, options);
    const model = buildPortable(FORMAT, shape, metadata);
    const net = model.net;
    const specs = pyTorchWeightSpecs(net, { ...options, output: true }, shape.bias);
    const expected = specs.map((s) => `${s.name} ${showShape(s.shape)}`).join(', ');
    const known = new Set(specs.map((s) => s.name));
    for (const name of tensors.keys()) {
      if (!known.has(name)) {
        const why = name.endsWith('_reverse')
          ? (shape.bidirectional ? ' (a backward direction of a layer the file does not have)' : ` (a bidirectional=True tensor, but ${options.prefix ?? ''}weight_hh_l0_reverse is missing)`)
          : name.includes('weight_hr') ? ' (LSTM projections, proj_size > 0, are not supported)' : '';
        throw new FormatError(`unexpected tensor "${name}"${why}; expected exactly ${expected}`);
      }
    }
    const get = (name: string, want: readonly number[]): Float32Array | Float64Array => {
      const t = tensors.get(name);
      if (!t) throw new FormatError(`missing tensor "${name}" ${showShape(want)}; expected exactly ${expected}`);
      if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) throw new FormatError(`tensor "${name}" has shape ${showShape(t.shape)}, expected ${showShape(want)}; expected exactly ${expected}`);
      const bad = t.data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new FormatError(`tensor "${name}" value ${bad} is ${t.data[bad]}, expected a finite number`);
      return t.data;
    };
    for (const s of specs) get(s.name, s.shape);
    const specOf = (layer: number, reverse: boolean, kind: string) => specs.find((x) => x.layer === layer && x.reverse === reverse && x.kind === kind);
    const byKind = (layer: number, kind: string, reverse = false): Float32Array | Float64Array | null => {
      const s = specOf(layer, reverse, kind);
      return s ? get(s.name, s.shape) : null;
    };
    for (const slot of layerSlots(net)) {
      const { index: l, reverse } = slot;
      const names = { Wb: specOf(l, reverse, 'bias_ih')?.name ?? 'bias_ih', Rb: specOf(l, reverse, 'bias_hh')?.name ?? 'bias_hh' };
      fromColumns(slot, TORCH_GATES, { W: byKind(l, 'weight_ih', reverse)!, R: byKind(l, 'weight_hh', reverse)!, Wb: byKind(l, 'bias_ih', reverse), Rb: byKind(l, 'bias_hh', reverse) }, names);
    }
    const K = net.config.outputSize;
    net.V.set(transpose(byKind(-1, 'weight')!, K, stateWidth(net.config)));
    const bo = byKind(-1, 'bias');
    if (net.b_o) net.b_o.set(bo ?? new Float32Array(K));
    else if (bo && bo.some((v) => v !== 0)) throw new FormatError(`tensor "${specs.find((x) => x.layer < 0 && x.kind === 'bias')!.name}" has non-zero values but the model has no biases`);
    return portableCheckpoint(model);
  });
}

/** The network's shape from PyTorch names: layers from weight_hh_l{k}, sizes from the shapes. */
function inferShape(tensors: ReadonlyMap<string, SafeTensor>, options: PyTorchOptions): InferredShape {
  const pre = options.prefix ?? '';
  const lin = options.linear ?? 'linear';
  const hh = tensors.get(`${pre}weight_hh_l0`);
  const ih = tensors.get(`${pre}weight_ih_l0`);
  const out = tensors.get(`${lin}.weight`);
  if (!hh || !ih || !out) {
    const missing = [!ih ? `${pre}weight_ih_l0` : '', !hh ? `${pre}weight_hh_l0` : '', !out ? `${lin}.weight` : ''].filter(Boolean).join(', ');
    const have = [...tensors.keys()].slice(0, 12).join(', ');
    throw new FormatError(`missing ${missing}: expected the state dict of nn.RNN/nn.LSTM/nn.GRU (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, …) and nn.Linear (${lin}.weight, ${lin}.bias); the file has ${have || 'no tensors'}`);
  }
  if (hh.shape.length !== 2 || ih.shape.length !== 2 || out.shape.length !== 2) throw new FormatError(`weight_hh_l0, weight_ih_l0 and ${lin}.weight must be matrices; got ${showShape(hh.shape)}, ${showShape(ih.shape)}, ${showShape(out.shape)}`);
  const H = hh.shape[1]!;
  const g = H > 0 ? hh.shape[0]! / H : 0;
  const cells: Record<number, CellKind> = { 1: 'rnn', 4: 'lstm', 3: 'gru' };
  const cell = cells[g];
  if (!cell) throw new FormatError(`${pre}weight_hh_l0 has shape ${showShape(hh.shape)}: its rows are not 1, 3 or 4 times its columns (RNN, GRU, LSTM)`);
  let layers = 1;
  while (tensors.has(`${pre}weight_hh_l${layers}`)) layers++;
  // nn.LSTM(..., bidirectional=True): every layer also has weight_hh_l{k}_reverse.
  const bidirectional = tensors.has(`${pre}weight_hh_l0_reverse`);
  return {
    cell, inputSize: ih.shape[1]!, hiddenSize: H, outputSize: out.shape[0]!, layers,
    bias: tensors.has(`${pre}bias_ih_l0`) || tensors.has(`${lin}.bias`),
    ...(bidirectional ? { bidirectional } : {}),
  };
}
