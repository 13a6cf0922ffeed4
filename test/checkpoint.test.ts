/**
 * The checkpoint format: round trips for every cell type in float32 and
 * float64 (bit-identical parameters and optimizer slots, identical
 * outputs), exact resume, every way a damaged or hostile file is rejected,
 * and the Node adapter's atomic write.
 */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mock, test } from 'node:test';
import { FormatError, OptionError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';
import type { DType, Float } from '../src/core/tensor.js';
import { CELL_KINDS, type CellKind } from '../src/cells/cell.js';
import { cellType } from '../src/cells/registry.js';
import { Network, type NetworkOptions, type SequenceBatch } from '../src/model/network.js';
import zlib from 'node:zlib';
import { crc32 } from '../src/io/crc32.js';
import { readFloatsLE, writeFloatsLE } from '../src/io/floats.js';
import { CHECKPOINT_MAGIC, decodeCheckpoint, encodeCheckpoint, readCheckpointHeader, type Checkpoint } from '../src/io/checkpoint.js';
import { clipByGlobalNorm } from '../src/train/clip.js';
import { createOptimizer } from '../src/train/optimizers.js';
import { learningRate } from '../src/train/schedules.js';
import {
  loadCheckpointFile, loadCheckpointFileSync, saveCheckpointFile, saveCheckpointFileSync, writeFileAtomic, writeFileAtomicSync,
} from '../src/node/checkpoint-file.js';

const AVAILABLE = CELL_KINDS.filter((k) => cellType(k) !== undefined);

/** The raw bytes of a typed array, to compare parameters bit for bit. */
function bits(a: Float): number[] {
  return Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

function randomBatch(net: Network, T: number, B: number, seed: number): SequenceBatch {
  const { inputSize: D, outputSize: K, dtype } = net.config;
  const rng = new Rng(seed);
  const make = (n: number): Float => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n)).map(() => rng.uniform(-1, 1));
  const mask = new Uint8Array(T * B).fill(1);
  mask[(T - 1) * B] = 0; // sequence 0 is one step shorter
  return { T, B, x: { kind: 'dense', data: make(T * B * D) }, y: { kind: 'dense', data: make(T * B * K) }, mask };
}

test(`round trip for every available cell type (${AVAILABLE.join(', ')}), float32 and float64`, () => {
  assert.ok(AVAILABLE.includes('rnn'));
  const variants: Partial<Record<CellKind, (string | undefined)[]>> = { gru: [undefined, 'reset-before'] };
  for (const cell of AVAILABLE) {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const variant of variants[cell] ?? [undefined]) {
        for (const bias of [true, false]) {
          const what = `${cell}${variant ? `/${variant}` : ''} ${dtype} bias=${bias}`;
          const options: NetworkOptions = { cell, inputSize: 3, hiddenSize: 4, outputSize: 2, layers: 2, dtype, bias, seed: 5, ...(variant ? { variant } : {}) };
          const net = new Network(options);
          const batch = randomBatch(net, 5, 3, 11);
          const opt = createOptimizer({ kind: 'adam' }, net.params.size, dtype);
          for (let k = 0; k < 3; k++) {
            net.params.zeroGrad();
            net.gradient(batch);
            opt.update(net.params.data, net.params.grad, 0.01);
          }
          const rng = new Rng(3);
          rng.next();
          const original: Checkpoint = {
            networks: { model: net }, step: 3, rngState: rng.getState(), optimizer: opt.getState(),
            meta: { vocabulary: ['a', 'b', 'é', '\u{1F600}'], task: 'test' }, extra: { history: [1.5, 1.25, 1] },
          };
          const bytes = encodeCheckpoint(original);
          assert.deepEqual(encodeCheckpoint(original), bytes, `${what}: encoding is deterministic`);
          const back = decodeCheckpoint(bytes);
          const net2 = back.networks.model!;
          assert.deepEqual(net2.config, net.config, `${what}: config`);
          assert.deepEqual(bits(net2.params.data), bits(net.params.data), `${what}: parameters bit for bit`);
          assert.deepEqual(net2.params.entries, net.params.entries, `${what}: parameter layout`);
          const y1 = Array.from(net.forward(batch));
          const y2 = Array.from(net2.forward(batch));
          assert.deepEqual(y2, y1, `${what}: identical outputs`);
          const s1 = opt.getState();
          const s2 = back.optimizer!;
          assert.equal(s2.kind, 'adam');
          assert.equal(s2.steps, 3);
          assert.deepEqual(s2.options, s1.options);
          for (const name of ['m', 'v']) {
            assert.equal(s2.slots[name]!.constructor, s1.slots[name]!.constructor, `${what}: slot ${name} dtype`);
            assert.deepEqual(bits(s2.slots[name]!), bits(s1.slots[name]!), `${what}: slot ${name} bit for bit`);
          }
          assert.equal(back.step, 3);
          assert.deepEqual(back.rngState, rng.getState());
          assert.deepEqual(back.meta, original.meta);
          assert.deepEqual(back.extra, original.extra);
        }
      }
    }
  }
});

test('several named networks in one file (encoder and decoder), index inputs, no optional fields', () => {
  const encoder = new Network({ cell: AVAILABLE.includes('lstm') ? 'lstm' : 'rnn', inputSize: 5, hiddenSize: 3, outputSize: 2, dtype: 'float64', seed: 1 });
  const decoder = new Network({ inputSize: 6, hiddenSize: 3, outputSize: 6, loss: 'cross-entropy', dtype: 'float64', seed: 2 });
  const back = decodeCheckpoint(encodeCheckpoint({ networks: { encoder, decoder } }));
  assert.deepEqual(Object.keys(back.networks), ['encoder', 'decoder']);
  assert.deepEqual(bits(back.networks.encoder!.params.data), bits(encoder.params.data));
  assert.deepEqual(bits(back.networks.decoder!.params.data), bits(decoder.params.data));
  assert.deepEqual(back.networks.decoder!.config, decoder.config);
  for (const key of ['meta', 'step', 'rngState', 'optimizer', 'extra']) assert.ok(!(key in back), `${key} absent`);
  const batch: SequenceBatch = { T: 3, B: 2, x: { kind: 'index', data: new Int32Array([0, 5, 2, 1, -1, 3]) }, y: { kind: 'index', data: new Int32Array([1, 2, 3, 4, 5, 0]) } };
  assert.deepEqual(Array.from(back.networks.decoder!.forward(batch)), Array.from(decoder.forward(batch)));
  // An ArrayBuffer works as well (what fetch() and File.arrayBuffer() give in a browser).
  const bytes = encodeCheckpoint({ networks: { decoder } });
  const copy = bytes.slice().buffer;
  assert.deepEqual(bits(decodeCheckpoint(copy).networks.decoder!.params.data), bits(decoder.params.data));
  // A view at an odd offset into a larger buffer (as Node's pooled Buffers are).
  const big = new Uint8Array(bytes.length + 10);
  big.set(bytes, 3);
  assert.deepEqual(bits(decodeCheckpoint(big.subarray(3, 3 + bytes.length)).networks.decoder!.params.data), bits(decoder.params.data));
});

test('encode validates its input', () => {
  const net = new Network({ inputSize: 2, hiddenSize: 2, outputSize: 2 });
  assert.throws(() => encodeCheckpoint({ networks: {} }), OptionError);
  assert.throws(() => encodeCheckpoint({ networks: { 'a b': net } }), /network name/);
  assert.throws(() => encodeCheckpoint({ networks: { m: {} as Network } }), /must be a Network/);
  assert.throws(() => encodeCheckpoint({ networks: { m: net }, step: -1 }), /step/);
  assert.throws(() => encodeCheckpoint({ networks: { m: net }, rngState: [0, 0, 0, 0] }), /rngState/);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => encodeCheckpoint({ networks: { m: net }, meta: cyclic }), /meta must be JSON-serialisable/);
  let deep: unknown = 0;
  for (let i = 0; i < 70; i++) deep = { a: deep };
  assert.throws(() => encodeCheckpoint({ networks: { m: net }, extra: deep }), /nest 71 levels deep/);
});

/**
 * Exact resume: N updates straight equal k updates, save, load, N − k more —
 * parameters bit for bit in float64 and the same loss history. Uses the
 * optimizer (Adam), a warm-up + cosine schedule, clipping, and a seeded
 * generator choosing each step's batch, whose state the checkpoint carries.
 */
test('resume: N steps straight = k steps, save, load, N − k steps (bit for bit, float64)', () => {
  const N = 8;
  const k = 3;
  for (const cell of AVAILABLE) {
    const make = (): Network => new Network({ cell, inputSize: 3, hiddenSize: 4, outputSize: 2, layers: 2, dtype: 'float64', seed: 9 });
    const batches = [0, 1, 2].map((s) => randomBatch(make(), 6, 2, 100 + s));
    const schedule = { kind: 'cosine', horizon: 10, warmup: 2, floor: 0.001 } as const;
    const train = (net: Network, opt: ReturnType<typeof createOptimizer>, rng: Rng, from: number, to: number, losses: number[]): void => {
      for (let step = from; step < to; step++) {
        const batch = batches[rng.int(batches.length)]!;
        net.params.zeroGrad();
        losses.push(net.gradient(batch).loss);
        clipByGlobalNorm(net.params.grad, 0.5);
        opt.update(net.params.data, net.params.grad, learningRate(schedule, 0.05, step));
      }
    };
    const straight = make();
    const straightLosses: number[] = [];
    train(straight, createOptimizer({ kind: 'adamw' }, straight.params.size, 'float64'), new Rng(42), 0, N, straightLosses);

    const first = make();
    const firstOpt = createOptimizer({ kind: 'adamw' }, first.params.size, 'float64');
    const firstRng = new Rng(42);
    const losses: number[] = [];
    train(first, firstOpt, firstRng, 0, k, losses);
    const bytes = encodeCheckpoint({ networks: { model: first }, step: k, rngState: firstRng.getState(), optimizer: firstOpt.getState(), extra: { losses } });

    const saved = decodeCheckpoint(bytes);
    const net = saved.networks.model!;
    const opt = createOptimizer(saved.optimizer!.options, net.params.size, net.config.dtype);
    opt.setState(saved.optimizer!);
    const rng = new Rng();
    rng.setState(saved.rngState!);
    const resumedLosses = [...(saved.extra as { losses: number[] }).losses];
    train(net, opt, rng, saved.step!, N, resumedLosses);
    assert.deepEqual(bits(net.params.data), bits(straight.params.data), `${cell}: parameters after resume`);
    assert.deepEqual(resumedLosses, straightLosses, `${cell}: loss history`);
    assert.equal(opt.steps, N);
  }
});

test('crc32: check value, and equal to zlib.crc32 on random pieces (continued across calls)', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  const rng = new Rng(5);
  for (let trial = 0; trial < 50; trial++) {
    const data = new Uint8Array(rng.int(300)).map(() => rng.int(256));
    const cut = rng.int(data.length + 1);
    assert.equal(crc32(data), zlib.crc32(data), `length ${data.length}`);
    assert.equal(crc32(data, cut, data.length, crc32(data, 0, cut)), zlib.crc32(data), `continued at ${cut}`);
    assert.equal(crc32(data, cut), zlib.crc32(data.subarray(cut)), `from ${cut}`);
  }
});

test('little-endian float bytes: the byte-copy and DataView paths agree bit for bit', () => {
  const rng = new Rng(8);
  for (const make of [(n: number) => new Float32Array(n), (n: number) => new Float64Array(n)]) {
    const a = make(37).map(() => rng.normal() * 1e10);
    a[0] = -0;
    a[1] = Infinity;
    a[2] = 1e-310; // subnormal in float64 (0 in float32)
    const viaCopy = new Uint8Array(8 + a.byteLength);
    const viaView = new Uint8Array(8 + a.byteLength);
    writeFloatsLE(viaCopy, 3, a, true);
    writeFloatsLE(viaView, 3, a, false);
    assert.deepEqual(viaView, viaCopy);
    const back1 = make(37);
    const back2 = make(37);
    readFloatsLE(viaCopy, 3, back1, true); // odd offset: unaligned reads work
    readFloatsLE(viaCopy, 3, back2, false);
    assert.deepEqual(bits(back1), bits(a));
    assert.deepEqual(bits(back2), bits(a));
  }
});

// ---------------------------------------------------------------- rejection

/** A small checkpoint with an optimizer, and its header JSON. */
function sample(): Uint8Array {
  const net = new Network({ inputSize: 3, hiddenSize: 4, outputSize: 2, dtype: 'float32', seed: 2 });
  const opt = createOptimizer({ kind: 'adam' }, net.params.size, 'float32');
  opt.update(net.params.data, net.params.data.map((v) => v / 2), 0.01);
  return encodeCheckpoint({ networks: { model: net }, optimizer: opt.getState(), step: 1, rngState: new Rng(1).getState(), meta: { names: ['x', 'y'] } });
}

/** Rebuilds a file with a changed header (valid checksums), keeping the payload. */
function rewriteHeader(bytes: Uint8Array, mutate: (h: Record<string, any>) => void): Uint8Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const L = dv.getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(20, 20 + L)));
  const payload = bytes.subarray(Math.ceil((20 + L) / 8) * 8);
  mutate(header);
  return assemble(new TextEncoder().encode(JSON.stringify(header)), payload);
}

function assemble(headerBytes: Uint8Array, payload: Uint8Array, version = 1): Uint8Array {
  const start = Math.ceil((20 + headerBytes.length) / 8) * 8;
  const out = new Uint8Array(start + payload.length);
  const dv = new DataView(out.buffer);
  out.set(CHECKPOINT_MAGIC, 0);
  dv.setUint32(8, version, true);
  dv.setUint32(12, headerBytes.length, true);
  dv.setUint32(16, crc32(headerBytes), true);
  out.set(headerBytes, 20);
  out.set(payload, start);
  return out;
}

function rejects(bytes: Uint8Array, pattern: RegExp, what: string): void {
  assert.throws(() => decodeCheckpoint(bytes), (e: unknown) => {
    assert.ok(e instanceof FormatError, `${what}: expected a FormatError, got ${String(e)}`);
    assert.match(e.message, pattern, what);
    return true;
  });
}

test('the sample decodes, and rewriting an unchanged header gives the same bytes', () => {
  const bytes = sample();
  decodeCheckpoint(bytes);
  assert.deepEqual(rewriteHeader(bytes, () => undefined), bytes);
});

test('rejects wrong magic', () => {
  const bytes = sample();
  const bad = bytes.slice();
  bad[1] = 0x50;
  rejects(bad, /not an rnnkit model file/, 'magic byte changed');
  rejects(new TextEncoder().encode('{"networks": []}'), /not an rnnkit model file/, 'a JSON file');
  rejects(new Uint8Array([0x89, 0x50, 0x4e, 0x47]), /not an rnnkit model file/, 'a PNG signature');
});

test('rejects unknown and newer format versions', () => {
  const bytes = sample();
  const v = (n: number): Uint8Array => {
    const b = bytes.slice();
    new DataView(b.buffer).setUint32(8, n, true);
    return b;
  };
  rejects(v(2), /format version 2 is newer than this library reads \(version 1\)/, 'version 2');
  rejects(v(0), /unknown checkpoint format version 0/, 'version 0');
});

test('rejects every truncation', () => {
  const bytes = sample();
  for (let n = 0; n < bytes.length; n++) rejects(bytes.subarray(0, n), /truncated/, `first ${n} of ${bytes.length} bytes`);
  const longer = new Uint8Array(bytes.length + 3);
  longer.set(bytes);
  rejects(longer, /3 unexpected bytes after the payload/, 'trailing bytes');
});

test('rejects every single flipped bit', () => {
  const bytes = sample();
  const b = bytes.slice();
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  const headerEnd = 20 + dv.getUint32(12, true);
  const payloadStart = Math.ceil(headerEnd / 8) * 8;
  for (let i = 0; i < b.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      b[i] ^= 1 << bit;
      const what = `bit ${bit} of byte ${i}`;
      if (i >= payloadStart) rejects(b, /payload is corrupt/, what);
      else if (i >= 20 && i < headerEnd) rejects(b, /header is corrupt/, what);
      else assert.throws(() => decodeCheckpoint(b), FormatError, what);
      b[i] ^= 1 << bit;
    }
  }
  decodeCheckpoint(b); // restored
});

test('rejects a config that does not match the parameters', () => {
  const bytes = sample();
  rejects(rewriteHeader(bytes, (h) => { h.networks[0].config.hiddenSize = 5; }), /has \d+ parameters but the file holds \d+/, 'hiddenSize changed');
  rejects(rewriteHeader(bytes, (h) => { h.networks[0].config.layers = 2; }), /has \d+ parameters but the file holds \d+/, 'layers changed');
  rejects(rewriteHeader(bytes, (h) => { h.networks[0].config.cell = 'transformer'; }), /config\.cell must be one of rnn, lstm, gru, got "transformer"/, 'unknown cell');
  rejects(rewriteHeader(bytes, (h) => { h.networks[0].config.hiddenActivation = 'swish'; }), /config.hiddenActivation must be one of linear, tanh, sigmoid, relu, got "swish"/, 'bad activation');
  rejects(rewriteHeader(bytes, (h) => { h.networks[0].config.kernels = {}; }), /unknown config key\(s\) kernels/, 'kernels from a file');
  rejects(rewriteHeader(bytes, (h) => { h.networks[0].params.reverse(); }), /does not match this version's layout/, 'parameters reordered');
  rejects(rewriteHeader(bytes, (h) => { h.networks[0].count -= 1; }), /has \d+ parameters but the file holds \d+/, 'count changed');
  rejects(rewriteHeader(bytes, (h) => { h.optimizer.slots[0].offset = h.networks[0].offset; }), /overlaps/, 'overlapping blocks');
  rejects(rewriteHeader(bytes, (h) => { h.optimizer.options.beta1 = 1; }), /optimizer\.options: beta1/, 'bad optimizer option');
  rejects(rewriteHeader(bytes, (h) => { h.optimizer.slots.pop(); }), /must have slots m, v/, 'missing slot');
});

test('rejects hostile headers without allocating what they claim', () => {
  const bytes = sample();
  const huge = bytes.slice();
  new DataView(huge.buffer).setUint32(12, 0xffffffff, true);
  rejects(huge, /header is too large: it declares 4294967295 bytes/, 'header length 4 GiB');
  assert.throws(() => decodeCheckpoint(bytes, { maxHeaderBytes: 100 }), /header is too large/);
  rejects(rewriteHeader(bytes, (h) => { h.networks[0].count = 1e15; }), /beyond the \d+-byte payload/, 'parameter count 1e15');
  rejects(rewriteHeader(bytes, (h) => { h.networks[0].config.hiddenSize = 1e9; }), /has \d+ parameters but the file holds/, 'hiddenSize 1e9');
  rejects(rewriteHeader(bytes, (h) => { h.networks[0].config.layers = 1e12; }), /declares 1000000000000 layers but the file holds only/, 'layers 1e12');
  rejects(rewriteHeader(bytes, (h) => { h.optimizer.size = 2 ** 40; }), /optimizer slot "m" declares bytes/, 'optimizer size 2^40');
  rejects(rewriteHeader(bytes, (h) => { h.payload.length = 2 ** 50; }), /truncated: the header declares a \d+-byte payload/, 'payload 2^50');
  rejects(rewriteHeader(bytes, (h) => { h.networks[0].offset = -8; }), /must be a non-negative integer/, 'negative offset');
  rejects(rewriteHeader(bytes, (h) => { h.networks[0].offset = 4; }), /not a multiple of 8/, 'misaligned offset');
  rejects(rewriteHeader(bytes, (h) => { h.networks.push(h.networks[0]); }), /appears twice/, 'duplicate network');
  rejects(rewriteHeader(bytes, (h) => { h.networks[0].name = '__proto__'; }), /name must be/, '__proto__ name');
  let deep: unknown = 1;
  for (let i = 0; i < 100; i++) deep = [deep];
  rejects(rewriteHeader(bytes, (h) => { h.meta = deep; }), /nests 101 levels deep, more than the 64 allowed/, 'deep nesting');
  // "[" inside strings does not count as nesting
  decodeCheckpoint(rewriteHeader(bytes, (h) => { h.meta = '['.repeat(1000) + '\\"{'; }));
  rejects(assemble(new TextEncoder().encode('{"networks": '), new Uint8Array(0)), /not valid JSON/, 'broken JSON');
  rejects(assemble(new Uint8Array([0x7b, 0xff, 0x7d]), new Uint8Array(0)), /not valid UTF-8/, 'invalid UTF-8');
  rejects(assemble(new TextEncoder().encode('[1]'), new Uint8Array(0)), /must be a JSON object/, 'array header');
  assert.equal(readCheckpointHeader(bytes).networks[0]!.name, 'model');
});

// ---------------------------------------------------------------- files

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-ckpt-'));
}

test('save → load through files (async and sync); no temporary file is left', async () => {
  const dir = tempDir();
  try {
    const net = new Network({ inputSize: 2, hiddenSize: 3, outputSize: 2, dtype: 'float64', seed: 4 });
    const file = path.join(dir, 'model.rnn');
    await saveCheckpointFile(file, { networks: { model: net }, step: 1 });
    assert.deepEqual(fs.readdirSync(dir), ['model.rnn']);
    const back = await loadCheckpointFile(file);
    assert.deepEqual(bits(back.networks.model!.params.data), bits(net.params.data));
    assert.equal(back.step, 1);
    // overwrite
    saveCheckpointFileSync(file, { networks: { model: net }, step: 2 });
    assert.deepEqual(fs.readdirSync(dir), ['model.rnn']);
    assert.equal(loadCheckpointFileSync(file).step, 2);
    assert.deepEqual(fs.readFileSync(file), Buffer.from(encodeCheckpoint({ networks: { model: net }, step: 2 })));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed write leaves the old file intact and no temporary file', async () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'model.rnn');
    const old = new Uint8Array([1, 2, 3]);
    await writeFileAtomic(file, old);
    // 1. into a missing directory: fails, creates nothing
    const missing = path.join(dir, 'no-such-dir', 'model.rnn');
    await assert.rejects(writeFileAtomic(missing, new Uint8Array(10)), { code: 'ENOENT' });
    assert.throws(() => writeFileAtomicSync(missing, new Uint8Array(10)), { code: 'ENOENT' });
    assert.ok(!fs.existsSync(path.join(dir, 'no-such-dir')));
    // 2. the rename fails after the temporary file was written and synced
    const rename = mock.method(fs.promises, 'rename', async () => {
      throw Object.assign(new Error('simulated rename failure'), { code: 'EIO' });
    });
    try {
      await assert.rejects(writeFileAtomic(file, new Uint8Array(1000).fill(7)), /simulated rename failure/);
    } finally {
      rename.mock.restore();
    }
    const renameSync = mock.method(fs, 'renameSync', () => {
      throw Object.assign(new Error('simulated renameSync failure'), { code: 'EIO' });
    });
    try {
      assert.throws(() => writeFileAtomicSync(file, new Uint8Array(1000).fill(7)), /simulated renameSync failure/);
    } finally {
      renameSync.mock.restore();
    }
    assert.deepEqual(new Uint8Array(fs.readFileSync(file)), old);
    assert.deepEqual(fs.readdirSync(dir), ['model.rnn']);
    // 3. the write itself fails (fsync of the temporary file)
    const fsyncSync = mock.method(fs, 'fsyncSync', () => {
      throw Object.assign(new Error('simulated fsync failure'), { code: 'EIO' });
    });
    try {
      assert.throws(() => writeFileAtomicSync(file, new Uint8Array(1000).fill(7)), /simulated fsync failure/);
    } finally {
      fsyncSync.mock.restore();
    }
    assert.deepEqual(new Uint8Array(fs.readFileSync(file)), old);
    assert.deepEqual(fs.readdirSync(dir), ['model.rnn']);
    // 4. the target is a directory: rename fails for real, the directory stays
    const sub = path.join(dir, 'sub');
    fs.mkdirSync(sub);
    fs.writeFileSync(path.join(sub, 'keep'), 'x');
    await assert.rejects(writeFileAtomic(sub, new Uint8Array(4)));
    assert.deepEqual(fs.readdirSync(dir).sort(), ['model.rnn', 'sub']);
    assert.deepEqual(fs.readdirSync(sub), ['keep']);
    // 5. an invalid checkpoint fails before anything is written
    await assert.rejects(saveCheckpointFile(file, { networks: {} }), OptionError);
    assert.deepEqual(new Uint8Array(fs.readFileSync(file)), old);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('loading: a missing file is a clear OptionError, a damaged one a FormatError naming the path', async () => {
  const dir = tempDir();
  try {
    const missing = path.join(dir, 'nope.rnn');
    await assert.rejects(loadCheckpointFile(missing), (e: unknown) => e instanceof OptionError && e.message.includes(`checkpoint file ${missing} does not exist`));
    assert.throws(() => loadCheckpointFileSync(missing), /does not exist/);
    await assert.rejects(loadCheckpointFile(dir), /is a directory/);
    const file = path.join(dir, 'bad.rnn');
    const bytes = sample();
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 1));
    await assert.rejects(loadCheckpointFile(file), (e: unknown) => e instanceof FormatError && e.message.startsWith(`${file}: checkpoint is truncated`));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('dtype of optimizer slots follows the optimizer', () => {
  const dtype: DType = 'float32';
  const net = new Network({ inputSize: 2, hiddenSize: 2, outputSize: 1, dtype });
  const opt = createOptimizer({ kind: 'momentum', momentum: 0.5 }, net.params.size, dtype);
  opt.update(net.params.data, net.params.data.map(() => 0.25), 0.1);
  const back = decodeCheckpoint(encodeCheckpoint({ networks: { net }, optimizer: opt.getState() })).optimizer!;
  assert.ok(back.slots.velocity instanceof Float32Array);
  assert.deepEqual(Array.from(back.slots.velocity!), Array.from(opt.getState().slots.velocity!));
  assert.equal(back.options.momentum, 0.5);
  const sgd = createOptimizer({ kind: 'sgd' }, net.params.size, dtype);
  const s = decodeCheckpoint(encodeCheckpoint({ networks: { net }, optimizer: sgd.getState() })).optimizer!;
  assert.deepEqual(s.slots, {});
  sgd.setState(s);
});
