/**
 * The checkpoint file: one versioned binary file holding one or more named
 * networks (a seq2seq model has `encoder` and `decoder`), their parameters,
 * the optimizer's state and what else training needs to resume exactly.
 * Browser-safe: bytes in, bytes out (DataView, TextEncoder), no Node APIs;
 * `rnnkit/node` writes them to disk atomically.
 *
 * Layout (all integers little-endian):
 *
 * | offset   | size | content                                                         |
 * |----------|------|-----------------------------------------------------------------|
 * | 0        | 8    | magic `89 52 4E 4E 0D 0A 1A 0A` ("\x89RNN\r\n\x1a\n", as PNG's) |
 * | 8        | 4    | format version (u32), {@link CHECKPOINT_VERSION}                |
 * | 12       | 4    | header length L in bytes (u32)                                  |
 * | 16       | 4    | CRC-32 of the header bytes (u32)                                |
 * | 20       | L    | header: UTF-8 JSON (see {@link CheckpointHeader})              |
 * | 20 + L   | 0–7  | zero padding to a multiple of 8                                 |
 * | P        | N    | payload: parameters, then optimizer slots; N = header.payload.length |
 *
 * The payload holds each array as IEEE-754 little-endian float32 or float64
 * (the network's dtype), each starting at a multiple of 8 bytes, at the
 * byte offsets the header gives; its CRC-32 is in the header. The file ends
 * at P + N exactly.
 *
 * The decoder trusts nothing it has not checked: it reads the fixed prefix,
 * bounds the header by the file size and a limit, checks both checksums,
 * checks the JSON's nesting before parsing it, checks every declared offset
 * and size against the payload, and computes each network's parameter count
 * from its config before allocating anything — so a hostile or damaged file
 * fails with a {@link FormatError} and never makes it allocate what the file
 * does not hold.
 */

import { HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS } from '../core/activations.js';
import { FormatError, OptionError, RecurrentError, ValueError } from '../core/errors.js';
import type { DType, Float } from '../core/tensor.js';
import { CELL_KINDS } from '../cells/cell.js';
import { cellType } from '../cells/registry.js';
import { LOSSES } from '../model/loss.js';
import { Network, networkOptionsOf, networkParamSpecs, type NetworkConfig } from '../model/network.js';
import { optimizerSlotNames, resolveOptimizerOptions, OPTIMIZER_KINDS, type OptimizerKind, type OptimizerOptions, type OptimizerState } from '../train/optimizers.js';
import { findNonFinite } from '../train/clip.js';
import { crc32 } from './crc32.js';
import { readFloatsLE, writeFloatsLE } from './floats.js';

/** What a checkpoint holds. Everything but `networks` is optional. */
export interface Checkpoint {
  /** The networks by name: a letter, then letters, digits, `_`, `-` or `.`; at most 64 characters. */
  readonly networks: Readonly<Record<string, Network>>;
  /** Anything JSON about the model: vocabulary, feature names, task. */
  readonly meta?: unknown;
  /** Training step (updates made) when saved. */
  readonly step?: number;
  /** The training generator's state, {@link Rng.getState}. */
  readonly rngState?: readonly number[];
  /** The optimizer's state, {@link Optimizer.getState}. */
  readonly optimizer?: OptimizerState;
  /** Anything JSON about training: loss history, schedule, options. */
  readonly extra?: unknown;
}

/** The version this library writes and the newest it reads. */
export const CHECKPOINT_VERSION = 1;

/** The 8 bytes every checkpoint starts with. */
export const CHECKPOINT_MAGIC: readonly number[] = [0x89, 0x52, 0x4e, 0x4e, 0x0d, 0x0a, 0x1a, 0x0a];

/** Bytes before the JSON header: magic, version, header length, header CRC. */
const PREFIX = 20;
/** Largest JSON nesting the decoder accepts. */
const MAX_DEPTH = 64;
/** Default limit on the JSON header (vocabularies make it large, not this large). */
const DEFAULT_MAX_HEADER = 64 * 1024 * 1024;
/** Network names: a letter, then letters, digits, `_`, `-`, `.` (so never `__proto__`). */
const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const CONFIG_KEYS = new Set(['cell', 'inputSize', 'hiddenSize', 'outputSize', 'layers', 'hiddenActivation',
  'outputActivation', 'loss', 'bias', 'dtype', 'variant', 'forgetBias',
  'bidirectional']);

/** One parameter matrix as the header lists it. */
export interface HeaderParam {
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
}

/** The JSON header (what {@link readCheckpointHeader} returns). */
export interface CheckpointHeader {
  readonly networks: readonly {
    readonly name: string;
    readonly config: NetworkConfig;
    /** Parameter matrices in buffer order (the ParamSet's entries). */
    readonly params: readonly HeaderParam[];
    /** Byte offset of the flat parameter buffer in the payload. */
    readonly offset: number;
    /** Number of values (the ParamSet's size). */
    readonly count: number;
  }[];
  readonly optimizer?: {
    readonly kind: OptimizerKind;
    readonly options: OptimizerOptions;
    readonly steps: number;
    readonly dtype: DType;
    /** Values per slot. */
    readonly size: number;
    readonly slots: readonly { readonly name: string; readonly offset: number }[];
  };
  readonly step?: number;
  readonly rngState?: readonly number[];
  readonly meta?: unknown;
  readonly extra?: unknown;
  readonly payload: { readonly length: number; readonly crc32: number };
}

/** Options of {@link decodeCheckpoint}. */
export interface DecodeOptions {
  /** Largest JSON header accepted, in bytes. Default 64 MiB. */
  readonly maxHeaderBytes?: number;
}

// ---------------------------------------------------------------- encode

/**
 * Serialises a checkpoint to bytes (layout above). Deterministic: the same
 * checkpoint always gives the same bytes. Throws an {@link OptionError} when
 * a field is invalid or `meta`/`extra` is not JSON-serialisable.
 */
export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  if (typeof c !== 'object' || c === null) throw new OptionError('checkpoint must be an object with a "networks" record');
  const names = Object.keys(c.networks ?? {});
  if (names.length === 0) throw new OptionError('checkpoint.networks must hold at least one network, e.g. { model: net }');
  let offset = 0;
  const blocks: { offset: number; data: Float }[] = [];
  const place = (data: Float): number => {
    const at = offset;
    blocks.push({ offset: at, data });
    offset = align8(at + data.byteLength);
    return at;
  };
  const networks = names.map((name) => {
    const net = c.networks[name];
    if (!NAME.test(name)) throw new OptionError(`checkpoint network name ${JSON.stringify(name)} must be a letter followed by up to 63 letters, digits, "_", "-" or "."`);
    if (!(net instanceof Network)) throw new OptionError(`checkpoint.networks.${name} must be a Network`);
    // a model with NaN or infinite parameters predicts nothing: refuse to save it over a good one
    const bad = findNonFinite(net.params, 'data');
    if (bad) {
      throw new ValueError(`checkpoint network "${name}": parameter ${bad.name}[${bad.row}][${bad.col}] is ${bad.value} (${bad.count} non-finite values in ${bad.parameters.join(', ')}); such a model is not saved — training diverged, so lower the learning rate or clip the gradients`);
    }
    const params = net.params.entries.map((e) => ({ name: e.name, rows: e.rows, cols: e.cols }));
    return { name, config: net.config, params, offset: place(net.params.data), count: net.params.size };
  });
  let optimizer: CheckpointHeader['optimizer'];
  if (c.optimizer !== undefined) {
    const o = c.optimizer;
    const options = resolveOptimizerOptions(o.options);
    if (options.kind !== o.kind) throw new OptionError(`checkpoint.optimizer.kind "${String(o.kind)}" differs from its options' kind "${options.kind}"`);
    if (!Number.isSafeInteger(o.steps) || o.steps < 0) throw new OptionError(`checkpoint.optimizer.steps must be a non-negative integer, got ${String(o.steps)}`);
    const slotNames = optimizerSlotNames(o.kind);
    const extraSlots = Object.keys(o.slots ?? {}).filter((k) => !slotNames.includes(k));
    if (extraSlots.length > 0) throw new OptionError(`checkpoint.optimizer has unknown slot(s) ${extraSlots.join(', ')}`);
    const arrays = slotNames.map((s) => {
      const a = o.slots[s];
      if (!(a instanceof Float32Array || a instanceof Float64Array)) throw new OptionError(`checkpoint.optimizer lacks slot "${s}" (a Float32Array or Float64Array)`);
      return a;
    });
    const first = arrays[0];
    if (arrays.some((a) => a.length !== first!.length || a.constructor !== first!.constructor)) {
      throw new OptionError('checkpoint.optimizer slots must all have the same length and dtype');
    }
    // sgd has no slots: its size is that of the networks together.
    const size = first ? first.length : networks.reduce((s, n) => s + n.count, 0);
    const dtype: DType = first instanceof Float32Array ? 'float32' : first instanceof Float64Array ? 'float64' : networks[0]!.config.dtype;
    optimizer = {
      kind: o.kind, options, steps: o.steps, dtype, size,
      slots: slotNames.map((name, k) => ({ name, offset: place(arrays[k]!) })),
    };
  }
  if (c.step !== undefined && (!Number.isSafeInteger(c.step) || c.step < 0)) {
    throw new OptionError(`checkpoint.step must be a non-negative integer, got ${String(c.step)}`);
  }
  if (c.rngState !== undefined && !isRngState(c.rngState)) {
    throw new OptionError('checkpoint.rngState must be four unsigned 32-bit integers, not all zero (Rng.getState())');
  }
  const payload = new Uint8Array(offset);
  for (const b of blocks) writeFloatsLE(payload, b.offset, b.data);
  const header: CheckpointHeader = {
    networks,
    ...(optimizer ? { optimizer } : {}),
    ...(c.step !== undefined ? { step: c.step } : {}),
    ...(c.rngState !== undefined ? { rngState: [...c.rngState] } : {}),
    ...(c.meta !== undefined ? { meta: jsonValue('meta', c.meta) } : {}),
    ...(c.extra !== undefined ? { extra: jsonValue('extra', c.extra) } : {}),
    payload: { length: payload.length, crc32: crc32(payload) },
  };
  const headerText = JSON.stringify(header);
  // Refuse to write what decodeCheckpoint would refuse to read.
  const depth = jsonDepth(headerText);
  if (depth > MAX_DEPTH) throw new OptionError(`checkpoint meta/extra nest ${depth} levels deep in the header, more than the ${MAX_DEPTH} a checkpoint allows`);
  const headerBytes = new TextEncoder().encode(headerText);
  if (headerBytes.length > DEFAULT_MAX_HEADER) {
    throw new OptionError(`checkpoint header would be ${headerBytes.length} bytes, more than the ${DEFAULT_MAX_HEADER} decoders accept by default; keep bulk data out of meta and extra`);
  }
  const payloadStart = align8(PREFIX + headerBytes.length);
  const out = new Uint8Array(payloadStart + payload.length);
  const dv = new DataView(out.buffer);
  out.set(CHECKPOINT_MAGIC, 0);
  dv.setUint32(8, CHECKPOINT_VERSION, true);
  dv.setUint32(12, headerBytes.length, true);
  dv.setUint32(16, crc32(headerBytes), true);
  out.set(headerBytes, PREFIX);
  out.set(payload, payloadStart);
  return out;
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

function jsonValue(what: string, value: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw new OptionError(`checkpoint.${what} must be JSON-serialisable: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (text === undefined) throw new OptionError(`checkpoint.${what} must be JSON-serialisable, got ${typeof value}`);
  return JSON.parse(text);
}

function isRngState(s: unknown): s is readonly number[] {
  return Array.isArray(s) && s.length === 4 && s.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) && s.some((w) => w !== 0);
}

// ---------------------------------------------------------------- decode

/**
 * Reads a checkpoint from bytes (in a browser, from `await file.arrayBuffer()`
 * or `await (await fetch(url)).arrayBuffer()`): rebuilds each network with
 * `new Network(config)` and copies its parameters in, bit for bit.
 *
 * Throws a {@link FormatError} saying what is wrong when the bytes are not a
 * checkpoint (wrong magic), come from an unknown or newer format version,
 * are truncated or have trailing bytes, fail a checksum (header or payload),
 * declare sizes or offsets the file does not hold, have a header that is
 * too large or too deeply nested, or whose parameters do not fit the
 * network config (e.g. a cell type whose layout changed).
 */
export function decodeCheckpoint(bytes: Uint8Array | ArrayBuffer, options: DecodeOptions = {}): Checkpoint {
  const { header, bytes: data, payloadStart } = parseHeader(bytes, options);
  const networks: Record<string, Network> = {};
  for (const n of header.networks) {
    const net = buildNetwork(n);
    readFloatsLE(data, payloadStart + n.offset, net.params.data);
    networks[n.name] = net;
  }
  let optimizer: OptimizerState | undefined;
  if (header.optimizer) {
    const o = header.optimizer;
    const slots: Record<string, Float> = {};
    for (const s of o.slots) {
      const a = o.dtype === 'float64' ? new Float64Array(o.size) : new Float32Array(o.size);
      readFloatsLE(data, payloadStart + s.offset, a);
      slots[s.name] = a;
    }
    optimizer = { kind: o.kind, steps: o.steps, options: o.options, slots };
  }
  return {
    networks,
    ...(header.meta !== undefined ? { meta: header.meta } : {}),
    ...(header.step !== undefined ? { step: header.step } : {}),
    ...(header.rngState !== undefined ? { rngState: header.rngState } : {}),
    ...(optimizer ? { optimizer } : {}),
    ...(header.extra !== undefined ? { extra: header.extra } : {}),
  };
}

/**
 * Reads and fully validates a checkpoint's header (checksums included)
 * without building the networks: to inspect a file (configs, step, meta).
 */
export function readCheckpointHeader(bytes: Uint8Array | ArrayBuffer, options: DecodeOptions = {}): CheckpointHeader {
  return parseHeader(bytes, options).header;
}

function parseHeader(input: Uint8Array | ArrayBuffer, options: DecodeOptions): { header: CheckpointHeader; bytes: Uint8Array; payloadStart: number } {
  const bytes = input instanceof Uint8Array ? input : input instanceof ArrayBuffer ? new Uint8Array(input) : null;
  if (!bytes) throw new OptionError('decodeCheckpoint takes a Uint8Array or an ArrayBuffer');
  const maxHeader = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER;
  const size = bytes.length;
  const magicLength = Math.min(size, CHECKPOINT_MAGIC.length);
  for (let i = 0; i < magicLength; i++) {
    if (bytes[i] !== CHECKPOINT_MAGIC[i]) {
      throw new FormatError('not an rnnkit model file: the data does not start with the checkpoint signature 89 52 4E 4E 0D 0A 1A 0A');
    }
  }
  if (size < PREFIX) throw new FormatError(`checkpoint is truncated: ${size} bytes, fewer than the ${PREFIX}-byte fixed prefix`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version > CHECKPOINT_VERSION) {
    throw new FormatError(`checkpoint format version ${version} is newer than this library reads (version ${CHECKPOINT_VERSION}); upgrade rnnkit to read it`);
  }
  if (version !== CHECKPOINT_VERSION) throw new FormatError(`unknown checkpoint format version ${version}; this library reads version ${CHECKPOINT_VERSION}`);
  const headerLength = view.getUint32(12, true);
  if (headerLength > maxHeader) {
    throw new FormatError(`checkpoint header is too large: it declares ${headerLength} bytes, the limit is ${maxHeader} (decode option maxHeaderBytes)`);
  }
  if (PREFIX + headerLength > size) {
    throw new FormatError(`checkpoint is truncated: the header needs bytes ${PREFIX}..${PREFIX + headerLength} but the data has ${size}`);
  }
  const storedHeaderCrc = view.getUint32(16, true);
  const headerCrc = crc32(bytes, PREFIX, PREFIX + headerLength);
  if (headerCrc !== storedHeaderCrc) {
    throw new FormatError(`checkpoint header is corrupt: its CRC-32 is ${hex(headerCrc)}, the file says ${hex(storedHeaderCrc)}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX, PREFIX + headerLength));
  } catch {
    throw new FormatError('checkpoint header is not valid UTF-8');
  }
  const depth = jsonDepth(text);
  if (depth > MAX_DEPTH) throw new FormatError(`checkpoint header nests ${depth} levels deep, more than the ${MAX_DEPTH} allowed`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // JSON.parse may quote the header's text, control characters included: escape them to keep one line
    const why = (e instanceof Error ? e.message : String(e)).replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    throw new FormatError(`checkpoint header is not valid JSON: ${why}`);
  }
  const payloadStart = align8(PREFIX + headerLength);
  for (let i = PREFIX + headerLength; i < Math.min(payloadStart, size); i++) {
    if (bytes[i] !== 0) throw new FormatError(`checkpoint is corrupt: padding byte ${i} after the header is not zero`);
  }
  const header = checkHeader(json, size - payloadStart);
  const end = payloadStart + header.payload.length;
  if (end > size) throw new FormatError(`checkpoint is truncated: the payload ends at byte ${end} but the data has ${size}`);
  if (end < size) throw new FormatError(`checkpoint has ${size - end} unexpected bytes after the payload (ends at ${end}); the file is damaged or two files were joined`);
  const payloadCrc = crc32(bytes, payloadStart, end);
  if (payloadCrc !== header.payload.crc32) {
    throw new FormatError(`checkpoint payload is corrupt: its CRC-32 is ${hex(payloadCrc)}, the header says ${hex(header.payload.crc32)}`);
  }
  return { header, bytes, payloadStart };
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

/** Deepest nesting of [ and { in a JSON text (strings skipped), without parsing it. */
function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > max) max = depth;
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return max;
}

// ---------------------------------------------------------------- header checks

function bad(message: string): never {
  throw new FormatError(`checkpoint header: ${message}`);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function natural(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) bad(`${what} must be a non-negative integer, got ${JSON.stringify(x)}`);
  return x;
}

/** Validates the parsed header's shape and every offset against the `available` payload bytes. */
function checkHeader(json: unknown, available: number): CheckpointHeader {
  if (!isObject(json)) bad('must be a JSON object');
  const payload = json.payload;
  if (!isObject(payload)) bad('lacks "payload"');
  const length = natural(payload.length, 'payload.length');
  const crc = natural(payload.crc32, 'payload.crc32');
  if (crc > 0xffffffff) bad(`payload.crc32 ${crc} is not a 32-bit value`);
  if (length > available) {
    throw new FormatError(`checkpoint is truncated: the header declares a ${length}-byte payload but only ${Math.max(available, 0)} bytes follow the header`);
  }
  const blocks: { from: number; to: number; what: string }[] = [];
  const block = (offset: unknown, count: number, bytesPer: number, what: string): number => {
    const from = natural(offset, `${what} offset`);
    if (from % 8 !== 0) bad(`${what} offset ${from} is not a multiple of 8`);
    const to = from + count * bytesPer;
    if (to > length) bad(`${what} declares bytes ${from}..${to}, beyond the ${length}-byte payload`);
    blocks.push({ from, to, what });
    return from;
  };

  if (!Array.isArray(json.networks) || json.networks.length === 0) bad('"networks" must be a non-empty array');
  const seen = new Set<string>();
  const networks = json.networks.map((n: unknown, k: number) => {
    if (!isObject(n)) bad(`networks[${k}] must be an object`);
    if (typeof n.name !== 'string' || !NAME.test(n.name)) bad(`networks[${k}].name must be a letter followed by up to 63 letters, digits, "_", "-" or "."`);
    if (seen.has(n.name)) bad(`network name "${n.name}" appears twice`);
    seen.add(n.name);
    const config = checkConfig(n.config, `network "${n.name}"`);
    const dtype = config.dtype;
    const count = natural(n.count, `network "${n.name}" count`);
    if (!Array.isArray(n.params) || n.params.length > count) bad(`network "${n.name}": params must be an array of at most ${count} entries`);
    const params = n.params.map((p: unknown, i: number): HeaderParam => {
      if (!isObject(p) || typeof p.name !== 'string') bad(`network "${n.name}": params[${i}] must be { name, rows, cols }`);
      return { name: p.name, rows: natural(p.rows, `${n.name}.${p.name}.rows`), cols: natural(p.cols, `${n.name}.${p.name}.cols`) };
    });
    const offset = block(n.offset, count, dtype === 'float64' ? 8 : 4, `network "${n.name}" parameters`);
    return { name: n.name, config, params, offset, count };
  });

  let optimizer: CheckpointHeader['optimizer'];
  if (json.optimizer !== undefined) {
    const o = json.optimizer;
    if (!isObject(o)) bad('"optimizer" must be an object');
    const kind = oneOf(o.kind, OPTIMIZER_KINDS, 'optimizer.kind');
    let options: OptimizerOptions;
    try {
      if (!isObject(o.options) || o.options.kind !== kind) bad('optimizer.options must be an object of the same kind');
      options = resolveOptimizerOptions(o.options);
    } catch (e) {
      if (e instanceof FormatError) throw e;
      bad(`optimizer.options: ${e instanceof Error ? e.message : String(e)}`);
    }
    const steps = natural(o.steps, 'optimizer.steps');
    const dtype = oneOf(o.dtype, DTYPES, 'optimizer.dtype');
    const size = natural(o.size, 'optimizer.size');
    if (size === 0) bad('optimizer.size must be at least 1');
    const expected = optimizerSlotNames(kind);
    if (!Array.isArray(o.slots) || o.slots.length !== expected.length) bad(`optimizer "${kind}" must have slots ${expected.join(', ') || '(none)'}`);
    const slots = o.slots.map((s: unknown, i: number) => {
      if (!isObject(s) || s.name !== expected[i]) bad(`optimizer slot ${i} must be named "${expected[i]}"`);
      return { name: expected[i]!, offset: block(s.offset, size, dtype === 'float64' ? 8 : 4, `optimizer slot "${expected[i]}"`) };
    });
    optimizer = { kind, options, steps, dtype, size, slots };
  }

  blocks.sort((a, b) => a.from - b.from);
  for (let i = 1; i < blocks.length; i++) {
    if (blocks[i]!.from < blocks[i - 1]!.to) bad(`${blocks[i]!.what} overlaps ${blocks[i - 1]!.what}`);
  }
  const step = json.step === undefined ? undefined : natural(json.step, 'step');
  const rngState = json.rngState;
  if (rngState !== undefined && !isRngState(rngState)) bad('rngState must be four unsigned 32-bit integers, not all zero');
  return {
    networks,
    ...(optimizer ? { optimizer } : {}),
    ...(step !== undefined ? { step } : {}),
    ...(rngState !== undefined ? { rngState } : {}),
    ...(json.meta !== undefined ? { meta: json.meta } : {}),
    ...(json.extra !== undefined ? { extra: json.extra } : {}),
    payload: { length, crc32: crc },
  };
}

function oneOf<T extends string>(x: unknown, choices: readonly T[], what: string): T {
  const found = choices.find((c) => c === x);
  if (found === undefined) bad(`${what} must be one of ${choices.join(', ')}, got ${JSON.stringify(x)}`);
  return found;
}

const DTYPES = ['float32', 'float64'] as const;

/** Checks a network config's keys and types (the Network constructor checks the rest). */
function checkConfig(raw: unknown, who: string): NetworkConfig {
  if (!isObject(raw)) bad(`${who}: config must be an object`);
  const unknown = Object.keys(raw).filter((k) => !CONFIG_KEYS.has(k));
  if (unknown.length > 0) bad(`${who}: unknown config key(s) ${unknown.join(', ')}`);
  const size = (key: string): number => {
    const v = raw[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) bad(`${who}: config.${key} must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  if (typeof raw.bias !== 'boolean') bad(`${who}: config.bias must be true or false`);
  if (raw.variant !== undefined && typeof raw.variant !== 'string') bad(`${who}: config.variant must be a string`);
  if (raw.bidirectional !== undefined && raw.bidirectional !== true) bad(`${who}: config.bidirectional must be true when present`);
  return {
    cell: oneOf(raw.cell, CELL_KINDS, `${who}: config.cell`),
    inputSize: size('inputSize'),
    hiddenSize: size('hiddenSize'),
    outputSize: size('outputSize'),
    layers: size('layers'),
    hiddenActivation: oneOf(raw.hiddenActivation, HIDDEN_ACTIVATIONS, `${who}: config.hiddenActivation`),
    outputActivation: oneOf(raw.outputActivation, OUTPUT_ACTIVATIONS, `${who}: config.outputActivation`),
    loss: oneOf(raw.loss, LOSSES, `${who}: config.loss`),
    bias: raw.bias,
    dtype: oneOf(raw.dtype, DTYPES, `${who}: config.dtype`),
    ...(raw.variant !== undefined ? { variant: raw.variant } : {}),
    ...(raw.bidirectional === true ? { bidirectional: true as const } : {}),
    ...(raw.forgetBias !== undefined ? { forgetBias: raw.forgetBias as number } : {}),
  };
}

/**
 * Builds a network from its header entry. The parameter count the config
 * implies is computed from the cell type's declarations (no allocation) and
 * compared with the file's before `new Network` allocates anything.
 */
function buildNetwork(n: CheckpointHeader['networks'][number]): Network {
  const c = n.config;
  const who = `checkpoint network "${n.name}"`;
  const kind = c.cell;
  const type = typeof kind === 'string' ? cellType(kind) : undefined;
  if (!type) throw new FormatError(`${who}: cell type ${JSON.stringify(kind)} is not available in this version of rnnkit`);
  const sizes = [c.inputSize, c.hiddenSize, c.outputSize, c.layers];
  if (!sizes.every((v) => Number.isSafeInteger(v) && v >= 1)) {
    throw new FormatError(`${who}: config sizes (inputSize, hiddenSize, outputSize, layers) must be positive integers`);
  }
  if (c.layers > n.count) throw new FormatError(`${who}: config declares ${c.layers} layers but the file holds only ${n.count} parameters`);
  let implied: HeaderParam[];
  try {
    implied = networkParamSpecs({ ...c, bias: c.bias === true }).map((s) => ({ name: s.name, rows: s.rows, cols: s.cols }));
  } catch (e) {
    if (e instanceof RecurrentError) throw new FormatError(`${who}: invalid config: ${e.message}`);
    throw e;
  }
  const impliedCount = implied.reduce((s, p) => s + p.rows * p.cols, 0);
  if (impliedCount !== n.count) {
    throw new FormatError(`${who}: its config (${c.cell}, D=${c.inputSize}, H=${c.hiddenSize}, K=${c.outputSize}, ${c.layers} layer(s)) has ${impliedCount} parameters but the file holds ${n.count}`);
  }
  checkParamList(who, implied, n.params);
  let net: Network;
  try {
    // Only NetworkConfig's keys reach the constructor (never `kernels` or `seed` from a file).
    net = new Network(networkOptionsOf(c));
  } catch (e) {
    if (e instanceof RecurrentError) throw new FormatError(`${who}: invalid config: ${e.message}`);
    throw e;
  }
  const built = net.params.entries.map((e) => ({ name: e.name, rows: e.rows, cols: e.cols }));
  checkParamList(who, built, n.params);
  return net;
}

function checkParamList(who: string, want: readonly HeaderParam[], have: readonly HeaderParam[]): void {
  const show = (p: HeaderParam | undefined): string => (p ? `${p.name} ${p.rows}×${p.cols}` : 'nothing');
  const n = Math.max(want.length, have.length);
  for (let i = 0; i < n; i++) {
    const a = want[i];
    const b = have[i];
    if (!a || !b || a.name !== b.name || a.rows !== b.rows || a.cols !== b.cols) {
      throw new FormatError(`${who}: parameter ${i} is ${show(b)} in the file, but the config makes ${show(a)}; the file does not match this version's layout`);
    }
  }
}
