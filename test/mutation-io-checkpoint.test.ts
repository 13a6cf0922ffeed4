/**
 * The checkpoint format (src/io/checkpoint.ts), for `npm run mutate -- io`:
 * a tiny network's file byte for byte (prefix, header JSON, padding,
 * payload), the offsets and sizes of every block, each field round-tripped,
 * and every refusal — of the encoder and of the decoder — by its exact
 * message. Files are rebuilt with valid checksums around a changed header
 * so each check is reached on its own. No training: well under a second.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FormatError, OptionError, ValueError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';
import { Network, type NetworkOptions } from '../src/model/network.js';
import { CHECKPOINT_MAGIC, CHECKPOINT_VERSION, decodeCheckpoint, encodeCheckpoint, readCheckpointHeader, type Checkpoint } from '../src/io/checkpoint.js';
import { crc32 } from '../src/io/crc32.js';
import { createOptimizer, OPTIMIZER_KINDS, resolveOptimizerOptions, type OptimizerState } from '../src/train/optimizers.js';
import { refuses } from './helpers/refuses.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const hex = (n: number): string => '0x' + n.toString(16).padStart(8, '0');

/** RNN 1 → 1 → 1 without biases, float32: U = 0.1, W = −2, V = 1.5 (3 parameters). */
function tiny(options: Partial<NetworkOptions> = {}): Network {
  const net = new Network({ cell: 'rnn', inputSize: 1, hiddenSize: 1, outputSize: 1, bias: false, dtype: 'float32', seed: 1, ...options });
  net.params.data.set([0.1, -2, 1.5]);
  return net;
}

const TINY_PARAMS = '[{"name":"layer0.U","rows":1,"cols":1},{"name":"layer0.W","rows":1,"cols":1},{"name":"V","rows":1,"cols":1}]';
// 0.1f = 0x3DCCCCCD, −2 = 0xC0000000, 1.5 = 0x3FC00000, then 4 bytes of padding to a multiple of 8
const TINY_PAYLOAD = [0xcd, 0xcc, 0xcc, 0x3d, 0, 0, 0, 0xc0, 0, 0, 0xc0, 0x3f, 0, 0, 0, 0];

test('a tiny network\'s file, byte for byte: magic, version, header length, header CRC, header, zero padding, payload', () => {
  const net = tiny();
  assert.equal(JSON.stringify(net.config),
    '{"cell":"rnn","inputSize":1,"hiddenSize":1,"outputSize":1,"layers":1,"hiddenActivation":"tanh","outputActivation":"linear","loss":"mse","bias":false,"dtype":"float32"}');
  const bytes = encodeCheckpoint({ networks: { m: net } });
  const header = `{"networks":[{"name":"m","config":${JSON.stringify(net.config)},"params":${TINY_PARAMS},"offset":0,"count":3}],"payload":{"length":16,"crc32":${crc32(Uint8Array.from(TINY_PAYLOAD))}}}`;
  const L = header.length;
  const start = Math.ceil((20 + L) / 8) * 8;
  assert.notEqual((20 + L) % 8, 0, 'the header leaves padding to check');
  assert.deepEqual(Array.from(bytes), [
    0x89, 0x52, 0x4e, 0x4e, 0x0d, 0x0a, 0x1a, 0x0a, ...u32(1), ...u32(L), ...u32(crc32(ascii(header))),
    ...ascii(header), ...new Array<number>(start - 20 - L).fill(0), ...TINY_PAYLOAD,
  ]);
  assert.deepEqual(CHECKPOINT_MAGIC, [0x89, 0x52, 0x4e, 0x4e, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(CHECKPOINT_VERSION, 1);
  const back = decodeCheckpoint(bytes);
  assert.deepEqual(Object.keys(back), ['networks']);
  assert.deepEqual(Array.from(back.networks.m!.params.data), Array.from(net.params.data));
  assert.deepEqual(back.networks.m!.config, net.config);
  assert.deepEqual(readCheckpointHeader(bytes), JSON.parse(header));
  assert.deepEqual(readCheckpointHeader(bytes.slice().buffer), JSON.parse(header));
});

test('blocks start at multiples of 8: a float32 network of 3 values, then float64 optimizer slots; every field round-trips in order', () => {
  const a = tiny();
  const b = tiny({ dtype: 'float64', hiddenSize: 2 }); // U 1×2, W 2×2, V 2×1: 8 values
  b.params.data.set([1, 2, 3, 4, 5, 6, 7, 8]);
  const size = 3 + 8;
  const m = Float64Array.from({ length: size }, (_, i) => i / 4);
  const v = Float64Array.from({ length: size }, (_, i) => -i);
  const optimizer: OptimizerState = { kind: 'adam', steps: 4, options: { kind: 'adam' }, slots: { m, v } };
  const rng = new Rng(3);
  const c: Checkpoint = { networks: { a, b }, optimizer, step: 7, rngState: rng.getState(), meta: { vocab: ['x'] }, extra: { note: 'é' } };
  const bytes = encodeCheckpoint(c);
  const h = readCheckpointHeader(bytes);
  assert.deepEqual(Object.keys(h), ['networks', 'optimizer', 'step', 'rngState', 'meta', 'extra', 'payload']);
  assert.deepEqual(h.networks.map((n) => [n.name, n.offset, n.count]), [['a', 0, 3], ['b', 16, 8]]);
  assert.deepEqual(h.optimizer!.slots, [{ name: 'm', offset: 80 }, { name: 'v', offset: 168 }]);
  assert.deepEqual(Object.keys(h.optimizer!), ['kind', 'options', 'steps', 'dtype', 'size', 'slots']);
  assert.deepEqual(h.optimizer!.options, resolveOptimizerOptions({ kind: 'adam' }));
  assert.deepEqual([h.optimizer!.kind, h.optimizer!.steps, h.optimizer!.dtype, h.optimizer!.size], ['adam', 4, 'float64', 11]);
  assert.deepEqual(h.payload.length, 256); // 16 + 64 = 80, + 88 = 168, + 88 = 256
  assert.equal(bytes.length % 8, 0);
  const back = decodeCheckpoint(bytes);
  assert.deepEqual(Object.keys(back), ['networks', 'meta', 'step', 'rngState', 'optimizer', 'extra']);
  assert.deepEqual(Object.keys(back.networks), ['a', 'b']);
  assert.deepEqual(Array.from(back.networks.b!.params.data), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.ok(back.networks.a!.params.data instanceof Float32Array);
  assert.equal(back.step, 7);
  assert.deepEqual(back.rngState, rng.getState());
  assert.deepEqual(back.meta, { vocab: ['x'] });
  assert.deepEqual(back.extra, { note: 'é' });
  assert.equal(back.optimizer!.kind, 'adam');
  assert.equal(back.optimizer!.steps, 4);
  assert.deepEqual(back.optimizer!.options, h.optimizer!.options);
  assert.ok(back.optimizer!.slots.m instanceof Float64Array);
  assert.deepEqual(Array.from(back.optimizer!.slots.m!), Array.from(m));
  assert.deepEqual(Array.from(back.optimizer!.slots.v!), Array.from(v));
  // float32 slots on a float64 network: the slots' dtype is the optimizer's
  const f32: OptimizerState = { kind: 'momentum', steps: 0, options: { kind: 'momentum' }, slots: { velocity: new Float32Array(8).fill(0.5) } };
  const h32 = readCheckpointHeader(encodeCheckpoint({ networks: { b }, optimizer: f32 }));
  assert.deepEqual([h32.optimizer!.dtype, h32.optimizer!.size, h32.optimizer!.steps, h32.optimizer!.slots], ['float32', 8, 0, [{ name: 'velocity', offset: 64 }]]);
  const back32 = decodeCheckpoint(encodeCheckpoint({ networks: { b }, optimizer: f32 })).optimizer!;
  assert.ok(back32.slots.velocity instanceof Float32Array);
  assert.deepEqual(Array.from(back32.slots.velocity!), new Array<number>(8).fill(0.5));
  // sgd has no slots: its size is that of the networks together, its dtype the first network's
  const sgd = createOptimizer({ kind: 'sgd' }, size, 'float64').getState();
  const hs = readCheckpointHeader(encodeCheckpoint({ networks: { b, a }, optimizer: sgd }));
  assert.deepEqual([hs.optimizer!.size, hs.optimizer!.dtype, hs.optimizer!.slots], [11, 'float64', []]);
  assert.equal(readCheckpointHeader(encodeCheckpoint({ networks: { a, b }, optimizer: sgd })).optimizer!.dtype, 'float32');
  assert.deepEqual(decodeCheckpoint(encodeCheckpoint({ networks: { a }, optimizer: sgd })).optimizer!.slots, {});
  // step 0 and an all-but-zero generator state are kept
  const zero = decodeCheckpoint(encodeCheckpoint({ networks: { a }, step: 0, rngState: [0, 0, 0, 1] }));
  assert.deepEqual([zero.step, zero.rngState], [0, [0, 0, 0, 1]]);
  assert.deepEqual(decodeCheckpoint(encodeCheckpoint({ networks: { a }, rngState: [0xffffffff, 0, 0, 0] })).rngState, [0xffffffff, 0, 0, 0]);
});

test('meta and extra are stored as JSON (undefined fields dropped, dates as text); names up to 64 characters', () => {
  const a = tiny();
  const back = decodeCheckpoint(encodeCheckpoint({ networks: { a }, meta: { u: undefined, d: new Date(0), n: [1, null] }, extra: 'text' }));
  assert.deepEqual(back.meta, { d: '1970-01-01T00:00:00.000Z', n: [1, null] });
  assert.equal(back.extra, 'text');
  assert.deepEqual(Object.keys(decodeCheckpoint(encodeCheckpoint({ networks: { a }, meta: 0, extra: false }))), ['networks', 'meta', 'extra']);
  const long = 'a'.repeat(64);
  assert.deepEqual(Object.keys(decodeCheckpoint(encodeCheckpoint({ networks: { [long]: a, 'B-1_x.y': a } })).networks), [long, 'B-1_x.y']);
  // brackets inside strings do not nest, an escaped quote does not end a string
  const strings = ['['.repeat(70), `"${'{'.repeat(70)}`, '\\', '\\"['];
  assert.deepEqual(decodeCheckpoint(encodeCheckpoint({ networks: { a }, meta: strings })).meta, strings);
  // siblings do not add up: 100 empty arrays side by side are 3 levels
  const wide = Array.from({ length: 100 }, () => []);
  assert.deepEqual(decodeCheckpoint(encodeCheckpoint({ networks: { a }, meta: wide })).meta, wide);
  // 63 levels of meta are 64 in the header: the most a checkpoint allows
  let deep: unknown = 0;
  for (let i = 0; i < 63; i++) deep = [deep];
  decodeCheckpoint(encodeCheckpoint({ networks: { a }, meta: deep }));
  refuses(() => encodeCheckpoint({ networks: { a }, extra: [deep] }), OptionError,
    'checkpoint meta/extra nest 65 levels deep in the header, more than the 64 a checkpoint allows');
});

test('encode: every refusal by its message', () => {
  const a = tiny();
  refuses(() => encodeCheckpoint(null as unknown as Checkpoint), OptionError, 'checkpoint must be an object with a "networks" record');
  refuses(() => encodeCheckpoint('x' as unknown as Checkpoint), OptionError, 'checkpoint must be an object with a "networks" record');
  refuses(() => encodeCheckpoint({ networks: {} }), OptionError, 'checkpoint.networks must hold at least one network, e.g. { model: net }');
  refuses(() => encodeCheckpoint({} as Checkpoint), OptionError, 'checkpoint.networks must hold at least one network, e.g. { model: net }');
  for (const name of ['a b', '1a', 'a'.repeat(65), '__proto__', 'ab!']) {
    refuses(() => encodeCheckpoint({ networks: { [name]: a } }), OptionError,
      `checkpoint network name ${JSON.stringify(name)} must be a letter followed by up to 63 letters, digits, "_", "-" or "."`);
  }
  refuses(() => encodeCheckpoint({ networks: { m: {} as Network } }), OptionError, 'checkpoint.networks.m must be a Network');
  const bad = tiny({ hiddenSize: 2 });
  bad.params.view('layer0.W')[3] = NaN;
  bad.params.view('V')[0] = Infinity;
  refuses(() => encodeCheckpoint({ networks: { m: bad } }), ValueError,
    'checkpoint network "m": parameter layer0.W[1][1] is NaN (2 non-finite values in layer0.W, V); such a model is not saved — training diverged, so lower the learning rate or clip the gradients');
  const opt = (o: Partial<OptimizerState> & Record<string, unknown>): OptimizerState => ({ kind: 'adam', steps: 1, options: { kind: 'adam' }, slots: { m: new Float32Array(3), v: new Float32Array(3) }, ...o } as OptimizerState);
  refuses(() => encodeCheckpoint({ networks: { a }, optimizer: opt({ kind: 'sgd' }) }), OptionError, 'checkpoint.optimizer.kind "sgd" differs from its options\' kind "adam"');
  refuses(() => encodeCheckpoint({ networks: { a }, optimizer: opt({ steps: -1 }) }), OptionError, 'checkpoint.optimizer.steps must be a non-negative integer, got -1');
  refuses(() => encodeCheckpoint({ networks: { a }, optimizer: opt({ steps: 1.5 }) }), OptionError, 'checkpoint.optimizer.steps must be a non-negative integer, got 1.5');
  encodeCheckpoint({ networks: { a }, optimizer: opt({ steps: 0 }) });
  const m = new Float32Array(3);
  refuses(() => encodeCheckpoint({ networks: { a }, optimizer: opt({ slots: { m, v: m, x: m, y: m } }) }), OptionError, 'checkpoint.optimizer has unknown slot(s) x, y');
  refuses(() => encodeCheckpoint({ networks: { a }, optimizer: opt({ slots: { m } }) }), OptionError, 'checkpoint.optimizer lacks slot "v" (a Float32Array or Float64Array)');
  refuses(() => encodeCheckpoint({ networks: { a }, optimizer: opt({ slots: { m, v: [0, 0, 0] } as never }) }), OptionError, 'checkpoint.optimizer lacks slot "v" (a Float32Array or Float64Array)');
  refuses(() => encodeCheckpoint({ networks: { a }, optimizer: opt({ slots: { m: [0, 0, 0], v: m } as never }) }), OptionError, 'checkpoint.optimizer lacks slot "m" (a Float32Array or Float64Array)');
  refuses(() => encodeCheckpoint({ networks: { a }, optimizer: opt({ slots: { m, v: new Float32Array(4) } }) }), OptionError, 'checkpoint.optimizer slots must all have the same length and dtype');
  refuses(() => encodeCheckpoint({ networks: { a }, optimizer: opt({ slots: { m, v: new Float64Array(3) } }) }), OptionError, 'checkpoint.optimizer slots must all have the same length and dtype');
  refuses(() => encodeCheckpoint({ networks: { a }, optimizer: opt({ options: { kind: 'adam', beta1: 2 } }) }), OptionError, 'beta1 must be a number in [0, 1], got 2');
  refuses(() => encodeCheckpoint({ networks: { a }, step: -1 }), OptionError, 'checkpoint.step must be a non-negative integer, got -1');
  refuses(() => encodeCheckpoint({ networks: { a }, step: 2.5 }), OptionError, 'checkpoint.step must be a non-negative integer, got 2.5');
  for (const s of [[0, 0, 0, 0], [1, 2, 3], [1, 2, 3, 4, 5], [1, 2, 3, 2 ** 32], [-1, 1, 1, 1], [1.5, 1, 1, 1], 'abcd']) {
    refuses(() => encodeCheckpoint({ networks: { a }, rngState: s as number[] }), OptionError, 'checkpoint.rngState must be four unsigned 32-bit integers, not all zero (Rng.getState())');
  }
  refuses(() => encodeCheckpoint({ networks: { a }, meta: { n: 1n } }), OptionError, 'checkpoint.meta must be JSON-serialisable: Do not know how to serialize a BigInt');
  refuses(() => encodeCheckpoint({ networks: { a }, extra: { toJSON: () => { throw 'no'; } } }), OptionError, 'checkpoint.extra must be JSON-serialisable: no');
  refuses(() => encodeCheckpoint({ networks: { a }, meta: () => 1 }), OptionError, 'checkpoint.meta must be JSON-serialisable, got function');
  refuses(() => encodeCheckpoint({ networks: { a }, extra: Symbol('s') }), OptionError, 'checkpoint.extra must be JSON-serialisable, got symbol');
});

// ---------------------------------------------------------------- decode

/** A file around `header` (text) and `payload`, with a valid header CRC unless `crc` is given. */
function assemble(header: string | Uint8Array, payload: ArrayLike<number>, options: { version?: number; crc?: number; pad?: number } = {}): Uint8Array {
  const h = typeof header === 'string' ? ascii(header) : header;
  const start = Math.ceil((20 + h.length) / 8) * 8;
  const out = new Uint8Array(start + payload.length);
  const dv = new DataView(out.buffer);
  out.set(CHECKPOINT_MAGIC, 0);
  dv.setUint32(8, options.version ?? 1, true);
  dv.setUint32(12, h.length, true);
  dv.setUint32(16, options.crc ?? crc32(h), true);
  out.set(h, 20);
  out.fill(options.pad ?? 0, 20 + h.length, start);
  out.set(payload, start);
  return out;
}

/** The tiny file's header as an object, changed by `change`, with a payload CRC that matches. */
function tinyFile(change: (h: Record<string, any>) => void = () => undefined, payload: number[] = TINY_PAYLOAD): Uint8Array {
  const net = tiny();
  const h: Record<string, any> = {
    networks: [{ name: 'm', config: JSON.parse(JSON.stringify(net.config)), params: JSON.parse(TINY_PARAMS), offset: 0, count: 3 }],
    payload: { length: payload.length, crc32: crc32(Uint8Array.from(payload)) },
  };
  change(h);
  return assemble(JSON.stringify(h), payload);
}

function rejects(bytes: Uint8Array, message: string): void {
  refuses(() => decodeCheckpoint(bytes), FormatError, message);
}

test('decode: the prefix — type, magic, truncation, version, header length and CRC', () => {
  const good = tinyFile();
  assert.deepEqual(good, encodeCheckpoint({ networks: { m: tiny() } }));
  refuses(() => decodeCheckpoint([1, 2] as unknown as Uint8Array), OptionError, 'decodeCheckpoint takes a Uint8Array or an ArrayBuffer');
  refuses(() => readCheckpointHeader('x' as unknown as Uint8Array), OptionError, 'decodeCheckpoint takes a Uint8Array or an ArrayBuffer');
  const magic = 'not an rnnkit model file: the data does not start with the checkpoint signature 89 52 4E 4E 0D 0A 1A 0A';
  for (const i of [0, 3, 7]) {
    const b = good.slice();
    b[i] ^= 0x20;
    rejects(b, magic);
  }
  rejects(ascii('{"format": "x"}'), magic);
  rejects(new Uint8Array(0), 'checkpoint is truncated: 0 bytes, fewer than the 20-byte fixed prefix');
  rejects(good.subarray(0, 2), 'checkpoint is truncated: 2 bytes, fewer than the 20-byte fixed prefix');
  rejects(good.subarray(0, 19), 'checkpoint is truncated: 19 bytes, fewer than the 20-byte fixed prefix');
  const L = new DataView(good.buffer).getUint32(12, true);
  rejects(good.subarray(0, 20), `checkpoint is truncated: the header needs bytes 20..${20 + L} but the data has 20`);
  rejects(good.subarray(0, 19 + L), `checkpoint is truncated: the header needs bytes 20..${20 + L} but the data has ${19 + L}`);
  // the header complete, nothing after it
  rejects(good.subarray(0, 20 + L), 'checkpoint is truncated: the header declares a 16-byte payload but only 0 bytes follow the header');
  rejects(good.subarray(0, good.length - 1), 'checkpoint is truncated: the header declares a 16-byte payload but only 15 bytes follow the header');
  const header = new TextDecoder().decode(good.subarray(20, 20 + L));
  rejects(assemble(header, TINY_PAYLOAD, { version: 2 }), 'checkpoint format version 2 is newer than this library reads (version 1); upgrade rnnkit to read it');
  rejects(assemble(header, TINY_PAYLOAD, { version: 0 }), 'unknown checkpoint format version 0; this library reads version 1');
  const huge = good.slice();
  new DataView(huge.buffer).setUint32(12, 0xffffffff, true);
  rejects(huge, 'checkpoint header is too large: it declares 4294967295 bytes, the limit is 67108864 (decode option maxHeaderBytes)');
  refuses(() => decodeCheckpoint(good, { maxHeaderBytes: L - 1 }), FormatError,
    `checkpoint header is too large: it declares ${L} bytes, the limit is ${L - 1} (decode option maxHeaderBytes)`);
  assert.equal(decodeCheckpoint(good, { maxHeaderBytes: L }).networks.m!.params.size, 3);
  rejects(assemble(header, TINY_PAYLOAD, { crc: 0xabc }), `checkpoint header is corrupt: its CRC-32 is ${hex(crc32(ascii(header)))}, the file says 0x00000abc`);
  const flipped = good.slice();
  flipped[30] ^= 1;
  rejects(flipped, `checkpoint header is corrupt: its CRC-32 is ${hex(crc32(flipped, 20, 20 + L))}, the file says ${hex(crc32(ascii(header)))}`);
});

test('decode: the header text — UTF-8, nesting, JSON, padding; the payload — length, trailing bytes, CRC', () => {
  rejects(assemble(new Uint8Array([0x7b, 0xff, 0x7d]), []), 'checkpoint header is not valid UTF-8');
  let deep = '0';
  for (let i = 0; i < 65; i++) deep = `[${deep}]`;
  rejects(assemble(deep, []), 'checkpoint header nests 65 levels deep, more than the 64 allowed');
  rejects(assemble(`{"x":"\\"${'['.repeat(70)}"}`, []), 'checkpoint header: lacks "payload"');
  for (const text of ['{"networks": ', '{\n"a"\u0001}', '', '[1,\n2,\u0007x]']) {
    let why = '';
    try {
      JSON.parse(text);
    } catch (e) {
      why = (e as Error).message.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    }
    assert.ok(!/[\u0000-\u001f]/.test(why));
    if (text.endsWith('x]')) assert.ok(why.includes('\\u0007') && why.includes('\\u000a'), `the parser quotes the text, escaped: ${why}`);
    rejects(assemble(text, []), `checkpoint header is not valid JSON: ${why}`);
  }
  const good = tinyFile();
  const L = new DataView(good.buffer).getUint32(12, true);
  const start = Math.ceil((20 + L) / 8) * 8;
  assert.ok(start - (20 + L) >= 2, 'at least two padding bytes');
  for (const i of [20 + L, start - 1]) {
    const b = good.slice();
    b[i] = 1;
    rejects(b, `checkpoint is corrupt: padding byte ${i} after the header is not zero`);
  }
  rejects(Uint8Array.from([...good, 0, 0, 0]), `checkpoint has 3 unexpected bytes after the payload (ends at ${good.length}); the file is damaged or two files were joined`);
  const p = good.slice();
  p[start + 5] ^= 0x10;
  rejects(p, `checkpoint payload is corrupt: its CRC-32 is ${hex(crc32(p, start, p.length))}, the header says ${hex(crc32(Uint8Array.from(TINY_PAYLOAD)))}`);
  // a payload shorter than the file: the last network ends exactly at the declared length
  assert.equal(decodeCheckpoint(tinyFile((h) => { h.payload.length = 12; h.payload.crc32 = crc32(Uint8Array.from(TINY_PAYLOAD.slice(0, 12))); }, TINY_PAYLOAD.slice(0, 12))).networks.m!.params.size, 3);
  rejects(tinyFile((h) => { h.payload.crc32 = 0xffffffff; }), `checkpoint payload is corrupt: its CRC-32 is ${hex(crc32(Uint8Array.from(TINY_PAYLOAD)))}, the header says 0xffffffff`);
});

test('decode: the header\'s fields, each refusal by its message', () => {
  const H = 'checkpoint header: ';
  rejects(assemble('[1]', []), `${H}must be a JSON object`);
  rejects(assemble('null', []), `${H}must be a JSON object`);
  rejects(assemble('{"networks":[]}', []), `${H}lacks "payload"`);
  rejects(assemble('{"payload":[]}', []), `${H}lacks "payload"`);
  rejects(tinyFile((h) => { h.payload.length = -1; }), `${H}payload.length must be a non-negative integer, got -1`);
  rejects(tinyFile((h) => { h.payload.length = 1.5; }), `${H}payload.length must be a non-negative integer, got 1.5`);
  rejects(tinyFile((h) => { h.payload.length = '16'; }), `${H}payload.length must be a non-negative integer, got "16"`);
  rejects(tinyFile((h) => { h.payload.length = 2 ** 53; }), `${H}payload.length must be a non-negative integer, got ${2 ** 53}`);
  rejects(tinyFile((h) => { delete h.payload.crc32; }), `${H}payload.crc32 must be a non-negative integer, got undefined`);
  rejects(tinyFile((h) => { h.payload.crc32 = 2 ** 32; }), `${H}payload.crc32 4294967296 is not a 32-bit value`);
  rejects(tinyFile((h) => { h.payload.length = 24; }), 'checkpoint is truncated: the header declares a 24-byte payload but only 16 bytes follow the header');
  rejects(tinyFile((h) => { h.networks = []; }), `${H}"networks" must be a non-empty array`);
  rejects(tinyFile((h) => { h.networks = { m: 1 }; }), `${H}"networks" must be a non-empty array`);
  rejects(tinyFile((h) => { h.networks.push(7); }), `${H}networks[1] must be an object`);
  rejects(tinyFile((h) => { h.networks[0].name = 'a b'; }), `${H}networks[0].name must be a letter followed by up to 63 letters, digits, "_", "-" or "."`);
  rejects(tinyFile((h) => { h.networks[0].name = 5; }), `${H}networks[0].name must be a letter followed by up to 63 letters, digits, "_", "-" or "."`);
  rejects(tinyFile((h) => { h.networks.push({ ...h.networks[0], offset: 8 }); }), `${H}network name "m" appears twice`);
  rejects(tinyFile((h) => { h.networks[0].count = -3; }), `${H}network "m" count must be a non-negative integer, got -3`);
  rejects(tinyFile((h) => { h.networks[0].params = {}; }), `${H}network "m": params must be an array of at most 3 entries`);
  rejects(tinyFile((h) => { h.networks[0].params.push({ name: 'x', rows: 1, cols: 1 }); }), `${H}network "m": params must be an array of at most 3 entries`);
  rejects(tinyFile((h) => { h.networks[0].params[1] = 'W'; }), `${H}network "m": params[1] must be { name, rows, cols }`);
  rejects(tinyFile((h) => { h.networks[0].params[1].name = 3; }), `${H}network "m": params[1] must be { name, rows, cols }`);
  rejects(tinyFile((h) => { h.networks[0].params[1].rows = -1; }), `${H}m.layer0.W.rows must be a non-negative integer, got -1`);
  rejects(tinyFile((h) => { h.networks[0].params[2].cols = 0.5; }), `${H}m.V.cols must be a non-negative integer, got 0.5`);
  rejects(tinyFile((h) => { h.networks[0].offset = -8; }), `${H}network "m" parameters offset must be a non-negative integer, got -8`);
  rejects(tinyFile((h) => { h.networks[0].offset = 4; }), `${H}network "m" parameters offset 4 is not a multiple of 8`);
  rejects(tinyFile((h) => { h.networks[0].offset = 8; }), `${H}network "m" parameters declares bytes 8..20, beyond the 16-byte payload`);
  rejects(tinyFile((h) => { h.networks[0].config.dtype = 'float64'; }), `${H}network "m" parameters declares bytes 0..24, beyond the 16-byte payload`);
  rejects(tinyFile((h) => { h.step = -1; }), `${H}step must be a non-negative integer, got -1`);
  rejects(tinyFile((h) => { h.step = null; }), `${H}step must be a non-negative integer, got null`);
  for (const s of [[0, 0, 0, 0], [1, 2, 3], [1, 1, 1, 2 ** 32], [1, 1, 1, -1], 'x']) {
    rejects(tinyFile((h) => { h.rngState = s; }), `${H}rngState must be four unsigned 32-bit integers, not all zero`);
  }
  const kept = decodeCheckpoint(tinyFile((h) => { h.step = 0; h.rngState = [5, 0, 0, 0]; h.meta = null; h.extra = 0; }));
  assert.deepEqual([kept.step, kept.rngState, kept.meta, kept.extra], [0, [5, 0, 0, 0], null, 0]);
});

test('decode: network configs, each refusal by its message', () => {
  const C = 'checkpoint header: network "m": ';
  const config = (change: (c: Record<string, unknown>) => void): Uint8Array => tinyFile((h) => change(h.networks[0].config));
  rejects(tinyFile((h) => { h.networks[0].config = [1]; }), `${C}config must be an object`);
  rejects(config((c) => { c.kernels = {}; c.seed = 1; }), `${C}unknown config key(s) kernels, seed`);
  rejects(config((c) => { c.bias = 1; }), `${C}config.bias must be true or false`);
  rejects(config((c) => { c.variant = 2; }), `${C}config.variant must be a string`);
  rejects(config((c) => { c.bidirectional = false; }), `${C}config.bidirectional must be true when present`);
  rejects(config((c) => { c.cell = 'transformer'; }), `${C}config.cell must be one of rnn, lstm, gru, got "transformer"`);
  for (const key of ['inputSize', 'hiddenSize', 'outputSize', 'layers']) {
    rejects(config((c) => { c[key] = 0; }), `${C}config.${key} must be a positive integer, got 0`);
    rejects(config((c) => { c[key] = '1'; }), `${C}config.${key} must be a positive integer, got "1"`);
    rejects(config((c) => { c[key] = 1.5; }), `${C}config.${key} must be a positive integer, got 1.5`);
  }
  rejects(config((c) => { c.inputSize = 2 ** 53; }), `${C}config.inputSize must be a positive integer, got ${2 ** 53}`);
  rejects(config((c) => { c.hiddenActivation = 'swish'; }), `${C}config.hiddenActivation must be one of linear, tanh, sigmoid, relu, got "swish"`);
  rejects(config((c) => { c.outputActivation = 'gelu'; }), `${C}config.outputActivation must be one of linear, sigmoid, softmax, got "gelu"`);
  rejects(config((c) => { c.loss = 'l1'; }), `${C}config.loss must be one of mse, cross-entropy, got "l1"`);
  rejects(config((c) => { c.dtype = 'float16'; }), `${C}config.dtype must be one of float32, float64, got "float16"`);
  rejects(config((c) => { delete c.dtype; }), `${C}config.dtype must be one of float32, float64, got undefined`);
});

test('decode: the parameters a config implies must be the file\'s', () => {
  const N = 'checkpoint network "m": ';
  const layout = 'the file does not match this version\'s layout';
  rejects(tinyFile((h) => { h.networks[0].config.layers = 4; }), `${N}config declares 4 layers but the file holds only 3 parameters`);
  rejects(tinyFile((h) => { h.networks[0].config.layers = 3; }), `${N}its config (rnn, D=1, H=1, K=1, 3 layer(s)) has 7 parameters but the file holds 3`);
  rejects(tinyFile((h) => { h.networks[0].config.hiddenSize = 2; }), `${N}its config (rnn, D=1, H=2, K=1, 1 layer(s)) has 8 parameters but the file holds 3`);
  rejects(tinyFile((h) => { h.networks[0].config.bias = true; }), `${N}its config (rnn, D=1, H=1, K=1, 1 layer(s)) has 5 parameters but the file holds 3`);
  rejects(tinyFile((h) => { h.networks[0].count = 2; h.networks[0].params.pop(); }), `${N}its config (rnn, D=1, H=1, K=1, 1 layer(s)) has 3 parameters but the file holds 2`);
  rejects(tinyFile((h) => { h.networks[0].params.reverse(); }), `${N}parameter 0 is V 1×1 in the file, but the config makes layer0.U 1×1; ${layout}`);
  rejects(tinyFile((h) => { h.networks[0].params.pop(); }), `${N}parameter 2 is nothing in the file, but the config makes V 1×1; ${layout}`);
  rejects(tinyFile((h) => { h.networks[0].params[1].rows = 3; }), `${N}parameter 1 is layer0.W 3×1 in the file, but the config makes layer0.W 1×1; ${layout}`);
  rejects(tinyFile((h) => { h.networks[0].params[2].cols = 2; }), `${N}parameter 2 is V 1×2 in the file, but the config makes V 1×1; ${layout}`);
  rejects(tinyFile((h) => { h.networks[0].config.cell = 'gru'; h.networks[0].config.variant = 'x'; }), `${N}invalid config: variant (GRU) must be one of reset-after, reset-before, got "x"`);
  rejects(tinyFile((h) => { h.networks[0].config.forgetBias = 1; }), `${N}invalid config: forgetBias is the LSTM's forget-gate bias; cell "rnn" has none, so omit it`);
  // a wider network: params may be listed past the config's own
  const wide = tiny({ hiddenSize: 2 });
  const bytes = encodeCheckpoint({ networks: { m: wide } });
  const L = new DataView(bytes.buffer).getUint32(12, true);
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(20, 20 + L)));
  h.networks[0].params.push({ name: 'extra', rows: 1, cols: 1 });
  rejects(assemble(JSON.stringify(h), bytes.subarray(Math.ceil((20 + L) / 8) * 8)), `${N}parameter 3 is extra 1×1 in the file, but the config makes nothing; ${layout}`);
  // the GRU's variant and the LSTM's forget bias come back from the file
  const gru = new Network({ cell: 'gru', inputSize: 1, hiddenSize: 1, outputSize: 1, variant: 'reset-before', seed: 2 });
  assert.equal(decodeCheckpoint(encodeCheckpoint({ networks: { g: gru } })).networks.g!.config.variant, 'reset-before');
  const lstm = new Network({ cell: 'lstm', inputSize: 1, hiddenSize: 1, outputSize: 1, forgetBias: 2, bidirectional: true, seed: 2 });
  const back = decodeCheckpoint(encodeCheckpoint({ networks: { l: lstm } })).networks.l!;
  assert.deepEqual([back.config.forgetBias, back.config.bidirectional], [2, true]);
  assert.deepEqual(Array.from(back.params.data), Array.from(lstm.params.data));
});

test('decode: the optimizer entry, each refusal by its message; blocks may touch but not overlap', () => {
  const a = tiny();
  const state: OptimizerState = { kind: 'adam', steps: 2, options: { kind: 'adam' }, slots: { m: new Float32Array(3).fill(1), v: new Float32Array(3).fill(2) } };
  const bytes = encodeCheckpoint({ networks: { m: a }, optimizer: state });
  const L = new DataView(bytes.buffer).getUint32(12, true);
  const payload = bytes.subarray(Math.ceil((20 + L) / 8) * 8);
  const base = JSON.parse(new TextDecoder().decode(bytes.subarray(20, 20 + L)));
  assert.deepEqual(base.optimizer.slots, [{ name: 'm', offset: 16 }, { name: 'v', offset: 32 }]);
  const file = (change: (o: Record<string, any>, h: Record<string, any>) => void): Uint8Array => {
    const h = JSON.parse(JSON.stringify(base));
    change(h.optimizer, h);
    return assemble(JSON.stringify(h), payload);
  };
  const H = 'checkpoint header: ';
  assert.deepEqual(Array.from(decodeCheckpoint(file(() => undefined)).optimizer!.slots.v!), [2, 2, 2]);
  rejects(file((_, h) => { h.optimizer = 'adam'; }), `${H}"optimizer" must be an object`);
  rejects(file((o) => { o.kind = 'lion'; }), `${H}optimizer.kind must be one of ${OPTIMIZER_KINDS.join(', ')}, got "lion"`);
  rejects(file((o) => { o.options = null; }), `${H}optimizer.options must be an object of the same kind`);
  rejects(file((o) => { o.options.kind = 'adamw'; }), `${H}optimizer.options must be an object of the same kind`);
  rejects(file((o) => { o.options.beta1 = 1; }), `${H}optimizer.options: beta1 must be in [0, 1), got 1`);
  rejects(file((o) => { o.steps = -1; }), `${H}optimizer.steps must be a non-negative integer, got -1`);
  rejects(file((o) => { o.dtype = 'int8'; }), `${H}optimizer.dtype must be one of float32, float64, got "int8"`);
  rejects(file((o) => { o.size = -1; }), `${H}optimizer.size must be a non-negative integer, got -1`);
  rejects(file((o) => { o.size = 0; }), `${H}optimizer.size must be at least 1`);
  rejects(file((o) => { o.slots.pop(); }), `${H}optimizer "adam" must have slots m, v`);
  rejects(file((o) => { o.slots = {}; }), `${H}optimizer "adam" must have slots m, v`);
  rejects(file((o) => { o.kind = 'sgd'; o.options = { kind: 'sgd' }; }), `${H}optimizer "sgd" must have slots (none)`);
  rejects(file((o) => { o.slots[1].name = 'w'; }), `${H}optimizer slot 1 must be named "v"`);
  rejects(file((o) => { o.slots[0] = 16; }), `${H}optimizer slot 0 must be named "m"`);
  rejects(file((o) => { o.slots[1].offset = 36; }), `${H}optimizer slot "v" offset 36 is not a multiple of 8`);
  rejects(file((o) => { o.slots[1].offset = 40; }), `${H}optimizer slot "v" declares bytes 40..52, beyond the 48-byte payload`);
  rejects(file((o) => { o.dtype = 'float64'; }), `${H}optimizer slot "v" declares bytes 32..56, beyond the 48-byte payload`);
  rejects(file((o) => { o.slots[0].offset = 8; }), `${H}optimizer slot "m" overlaps network "m" parameters`);
  rejects(file((o) => { o.slots[1].offset = 16; }), `${H}optimizer slot "v" overlaps optimizer slot "m"`);
  // m at 16..28 and v at 32..44 may sit anywhere that does not overlap, in any order; touching is fine
  const swapped = decodeCheckpoint(file((o) => { o.slots[0].offset = 32; o.slots[1].offset = 16; }));
  assert.deepEqual(Array.from(swapped.optimizer!.slots.m!), [2, 2, 2]);
  const touching = decodeCheckpoint(file((o, h) => { o.size = 4; h.networks[0].count = 3; o.slots[1].offset = 32; }));
  assert.equal(touching.optimizer!.slots.m!.length, 4);
  // options come back resolved, as the file has them
  assert.deepEqual(decodeCheckpoint(file(() => undefined)).optimizer!.options, base.optimizer.options);
});

