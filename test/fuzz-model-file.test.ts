/**
 * Property-based tests of the model-file loader (issue 9): random
 * truncations, random bit flips, random and mutated headers (re-sealed with
 * correct checksums so that the checks behind the checksums are reached).
 * Every case must end in a clean {@link FormatError} — never another error,
 * a hang or a large allocation — or in a load that equals the original
 * bit for bit. Seeds are fixed so that a failure is reproducible; set
 * FUZZ_SEED to explore other cases.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FormatError } from '../src/core/errors.js';
import type { DType } from '../src/core/tensor.js';
import { CELL_KINDS, type CellKind } from '../src/cells/cell.js';
import { cellType } from '../src/cells/registry.js';
import { Network } from '../src/model/network.js';
import { crc32 } from '../src/io/crc32.js';
import { CHECKPOINT_MAGIC, CHECKPOINT_VERSION, decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../src/io/checkpoint.js';
import { createOptimizer, type OptimizerKind } from '../src/train/optimizers.js';

const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : 20261126;
const AVAILABLE = CELL_KINDS.filter((k) => cellType(k) !== undefined);

interface Sample {
  readonly what: string;
  readonly bytes: Uint8Array;
}

/** A few small, valid checkpoints of different shapes (cells, dtypes, optimizers, meta). */
function samples(): Sample[] {
  const out: Sample[] = [];
  const kinds: OptimizerKind[] = ['adam', 'sgd', 'momentum'];
  AVAILABLE.forEach((cell: CellKind, k) => {
    const dtype: DType = k % 2 === 0 ? 'float32' : 'float64';
    const net = new Network({ cell, inputSize: 3, hiddenSize: 2, outputSize: 3, layers: 1 + (k % 2), dtype, seed: 7 + k });
    const kind = kinds[k % kinds.length]!;
    const opt = createOptimizer({ kind }, net.params.size, dtype);
    const c: Checkpoint = {
      networks: { model: net }, optimizer: opt.getState(), step: 12 + k, rngState: [1, 2, 3, 4 + k],
      meta: { kind: 'fuzz', vocabulary: ['a', 'b', '\u00e9'], nested: { list: [1, [2, [3]]] } }, extra: { note: 'ok' },
    };
    out.push({ what: `${cell} ${dtype} ${kind}`, bytes: encodeCheckpoint(c) });
  });
  return out;
}

const SAMPLES = samples();

/** Bytes of a typed array, to compare parameters bit for bit. */
function rawBytes(a: Float32Array | Float64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** True when two decoded checkpoints hold the same networks, state and JSON, bit for bit. */
function sameCheckpoint(a: Checkpoint, b: Checkpoint): boolean {
  const names = Object.keys(a.networks);
  if (names.join() !== Object.keys(b.networks).join()) return false;
  for (const n of names) {
    const x = a.networks[n]!;
    const y = b.networks[n]!;
    if (JSON.stringify(x.config) !== JSON.stringify(y.config)) return false;
    if (Buffer.compare(rawBytes(x.params.data), rawBytes(y.params.data)) !== 0) return false;
  }
  const rest = (c: Checkpoint): string => JSON.stringify({ meta: c.meta, step: c.step, rng: c.rngState, extra: c.extra, opt: c.optimizer && { ...c.optimizer, slots: Object.keys(c.optimizer.slots) } });
  return rest(a) === rest(b);
}

/** Largest growth of ArrayBuffer memory a rejected file may cause (the samples are a few hundred bytes). */
const ALLOCATION_BOUND = 16 * 1024 * 1024;

/**
 * Decodes `bytes`; returns "error" for a FormatError and the checkpoint for
 * a load. Fails the property for any other outcome, for a decode that
 * allocates more than {@link ALLOCATION_BOUND}, or one that takes > 2 s.
 */
function outcome(bytes: Uint8Array, what: string): Checkpoint | 'error' {
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  let result: Checkpoint | 'error';
  try {
    result = decodeCheckpoint(bytes);
  } catch (e) {
    if (!(e instanceof FormatError)) {
      throw new assert.AssertionError({ message: `${what}: expected a FormatError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` });
    }
    assert.ok(e.message.length > 0 && !e.message.includes('\n'), `${what}: the message must be one line: ${e.message}`);
    result = 'error';
  }
  const grew = process.memoryUsage().arrayBuffers - before;
  assert.ok(grew < ALLOCATION_BOUND, `${what}: decoding allocated ${grew} bytes`);
  assert.ok(performance.now() - t0 < 2000, `${what}: decoding took ${performance.now() - t0} ms`);
  return result;
}

// ---------------------------------------------------------------- layout helpers

const PREFIX = 20;

function headerLength(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(12, true);
}

function splitFile(bytes: Uint8Array): { header: Record<string, unknown>; payload: Uint8Array } {
  const L = headerLength(bytes);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(PREFIX, PREFIX + L))) as Record<string, unknown>;
  return { header, payload: bytes.subarray(Math.ceil((PREFIX + L) / 8) * 8) };
}

/** A file from header bytes and payload with correct magic, version, lengths, checksum and padding. */
function seal(headerBytes: Uint8Array, payload: Uint8Array, version = CHECKPOINT_VERSION): Uint8Array {
  const start = Math.ceil((PREFIX + headerBytes.length) / 8) * 8;
  const out = new Uint8Array(start + payload.length);
  const dv = new DataView(out.buffer);
  out.set(CHECKPOINT_MAGIC, 0);
  dv.setUint32(8, version, true);
  dv.setUint32(12, headerBytes.length, true);
  dv.setUint32(16, crc32(headerBytes), true);
  out.set(headerBytes, PREFIX);
  out.set(payload, start);
  return out;
}

function sealJson(header: unknown, payload: Uint8Array): Uint8Array {
  return seal(new TextEncoder().encode(JSON.stringify(header)), payload);
}

// ---------------------------------------------------------------- properties

/** fc.assert, with the failing case's own error message in the thrown error (the test runner prints only the message). */
function check<T>(property: fc.IProperty<T>, params: fc.Parameters<T>): void {
  const details = fc.check(property, params);
  if (!details.failed) return;
  const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new assert.AssertionError({ message: `property failed after ${details.numRuns} runs (seed ${details.seed}, path "${details.counterexamplePath}"): ${cause}\ncounterexample: ${fc.stringify(details.counterexample).slice(0, 2000)}` });
}

const sampleIndex = fc.integer({ min: 0, max: SAMPLES.length - 1 });

test('the samples load and survive a round trip (sanity of the properties below)', () => {
  assert.ok(SAMPLES.length >= 2);
  for (const s of SAMPLES) {
    const c = outcome(s.bytes, s.what);
    assert.notEqual(c, 'error');
    assert.deepEqual(encodeCheckpoint(c as Checkpoint), s.bytes, s.what);
  }
});

test('random truncation: every proper prefix is a FormatError saying "truncated" (or "not an rnnkit model file" for none)', () => {
  check(fc.property(sampleIndex, fc.double({ min: 0, max: 1, noNaN: true }), (k, f) => {
    const s = SAMPLES[k]!;
    const n = Math.min(s.bytes.length - 1, Math.floor(f * s.bytes.length));
    const what = `${s.what}, first ${n} of ${s.bytes.length} bytes`;
    assert.throws(() => decodeCheckpoint(s.bytes.subarray(0, n)), (e: unknown) => e instanceof FormatError && /truncated/.test(e.message), what);
    assert.equal(outcome(s.bytes.subarray(0, n), what), 'error');
  }), { seed: SEED, numRuns: 300 });
});

test('random bit flips (1 to 4 bits anywhere): a FormatError, or the original when flips cancel out', () => {
  check(fc.property(sampleIndex, fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 }), (k, flips) => {
    const s = SAMPLES[k]!;
    const b = s.bytes.slice();
    for (const [f, bit] of flips) b[Math.floor(f * b.length)]! ^= 1 << bit;
    const changed = b.some((v, i) => v !== s.bytes[i]);
    const what = `${s.what}, flips ${JSON.stringify(flips.map(([f, bit]) => [Math.floor(f * b.length), bit]))}`;
    const r = outcome(b, what);
    if (changed) assert.equal(r, 'error', `${what}: a damaged file loaded`);
    else assert.ok(r !== 'error' && sameCheckpoint(r, decodeCheckpoint(s.bytes)), what);
  }), { seed: SEED, numRuns: 400 });
});

test('random bytes overwriting a random span: a FormatError every time', () => {
  check(fc.property(sampleIndex, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.uint8Array({ minLength: 1, maxLength: 24 }), (k, f, junk) => {
    const s = SAMPLES[k]!;
    const b = s.bytes.slice();
    const at = Math.floor(f * b.length);
    b.set(junk.subarray(0, b.length - at), at);
    const changed = b.some((v, i) => v !== s.bytes[i]);
    const r = outcome(b, `${s.what}, ${junk.length} random bytes at ${at}`);
    if (changed) assert.equal(r, 'error');
  }), { seed: SEED, numRuns: 300 });
});

test('random files: arbitrary bytes, and arbitrary bytes behind a valid magic and version, are FormatErrors', () => {
  check(fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (junk, withPrefix) => {
    let b = junk;
    if (withPrefix) {
      b = new Uint8Array(12 + junk.length);
      b.set(CHECKPOINT_MAGIC, 0);
      new DataView(b.buffer).setUint32(8, CHECKPOINT_VERSION, true);
      b.set(junk, 12);
    }
    assert.equal(outcome(b, `${b.length} random bytes${withPrefix ? ' after magic and version' : ''}`), 'error');
  }), { seed: SEED, numRuns: 400 });
});

test('random JSON headers (sealed with correct checksums): a FormatError every time', () => {
  check(fc.property(fc.jsonValue({ maxDepth: 6 }), fc.uint8Array({ maxLength: 64 }), (json, payload) => {
    assert.equal(outcome(sealJson(json, payload), `header ${JSON.stringify(json).slice(0, 200)}`), 'error');
  }), { seed: SEED, numRuns: 300 });
});

test('random header text (any string, sealed with a correct checksum): a FormatError with a one-line message', () => {
  const jsonish = fc.array(fc.constantFrom('{', '}', '[', ']', '"', ':', ',', '\n', '\r', 'x', '1', ' ', '\u0000'), { maxLength: 12 }).map((a) => a.join(''));
  check(fc.property(fc.oneof(jsonish, fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 80 }), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v, null, 1).slice(0, -1))), (text) => {
    assert.equal(outcome(seal(new TextEncoder().encode(text), new Uint8Array(8)), `header text ${JSON.stringify(text)}`), 'error');
  }), { seed: SEED, numRuns: 300 });
  assert.equal(outcome(seal(Uint8Array.from([0x7b, 0xff, 0x7d]), new Uint8Array(0)), 'header bytes 7B FF 7D'), 'error');
});

/** Paths to every value inside a JSON value (objects and arrays), the root excluded. */
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof v !== 'object' || v === null) return [];
  const keys: (string | number)[] = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
  return keys.flatMap((k) => [[...prefix, k], ...paths((v as Record<string | number, unknown>)[k], [...prefix, k])]);
}

function setPath(root: unknown, path: readonly (string | number)[], value: unknown, remove: boolean): void {
  let o = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (remove) {
    if (Array.isArray(o)) o.splice(Number(last), 1);
    else delete o[last];
  } else o[last] = value;
}

/** Values a hostile or damaged header might hold: wrong types, huge and negative sizes, deep nesting. */
const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(0, -1, -8, 0.5, 1e9, 1e15, 2 ** 31, 2 ** 32, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e308, '', 'rnn', 'lstm', 'gru', 'float64', 'float32', 'adam', '__proto__', 'constructor', null, true),
  fc.integer({ min: 1, max: 300 }).map((d) => {
    let deep: unknown = 0;
    for (let i = 0; i < d; i++) deep = i % 2 ? { a: deep } : [deep];
    return deep;
  }),
);

test('mutated headers (one or more fields replaced, added or removed, re-sealed): a FormatError or a correct load', () => {
  check(fc.property(sampleIndex, fc.array(fc.tuple(fc.nat(), hostileValue, fc.boolean()), { minLength: 1, maxLength: 3 }), fc.boolean(), (k, edits, fixPayloadCrc) => {
    const s = SAMPLES[k]!;
    const { header, payload } = splitFile(s.bytes);
    for (const [p, value, remove] of edits) {
      const all = paths(header);
      setPath(header, all[p % all.length]!, value, remove);
    }
    if (fixPayloadCrc && typeof header.payload === 'object' && header.payload !== null) {
      (header.payload as Record<string, unknown>).crc32 = crc32(payload);
    }
    const what = `${s.what}, edits ${JSON.stringify(edits).slice(0, 300)}`;
    const r = outcome(sealJson(header, payload), what);
    if (r !== 'error') {
      // Only edits that keep the header consistent (in meta/extra, a value set to itself, an
      // optional part dropped) may load, and then each network must hold exactly the bytes the
      // header points at, and the result must survive a round trip.
      const nets = header.networks as { name: string; offset: number; count: number }[];
      for (const n of nets) {
        const data: Float32Array | Float64Array = (r as Checkpoint).networks[n.name]!.params.data;
        assert.equal(data.length, n.count, what);
        assert.deepEqual(rawBytes(data), payload.subarray(n.offset, n.offset + data.byteLength), `${what}: ${n.name} holds other bytes than the header points at`);
      }
      assert.ok(sameCheckpoint(r, decodeCheckpoint(encodeCheckpoint(r))), `${what}: no round trip`);
    }
  }), { seed: SEED, numRuns: 600 });
});

test('hostile prefixes: huge header lengths and versions are refused before anything is read or allocated', () => {
  check(fc.property(sampleIndex, fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), (k, length, version) => {
    const s = SAMPLES[k]!;
    const b = s.bytes.slice();
    const dv = new DataView(b.buffer);
    dv.setUint32(12, length, true);
    if (version !== CHECKPOINT_VERSION) dv.setUint32(8, version, true);
    const r = outcome(b, `${s.what}, header length ${length}, version ${version}`);
    if (length !== headerLength(s.bytes) || version !== CHECKPOINT_VERSION) assert.equal(r, 'error');
  }), { seed: SEED, numRuns: 300 });
});

test('each fault has its own message', () => {
  const s = SAMPLES[0]!;
  const { header, payload } = splitFile(s.bytes);
  const msg = (b: Uint8Array): string => {
    try {
      decodeCheckpoint(b);
    } catch (e) {
      assert.ok(e instanceof FormatError, String(e));
      return e.message;
    }
    assert.fail('loaded');
  };
  const mutate = (f: (h: any) => void): Uint8Array => {
    const h = structuredClone(header);
    f(h);
    return sealJson(h, payload);
  };
  const flip = (at: number): Uint8Array => {
    const b = s.bytes.slice();
    b[at]! ^= 0x10;
    return b;
  };
  const deep = '['.repeat(1000) + ']'.repeat(1000);
  const cases: [string, Uint8Array, RegExp][] = [
    ['truncated', s.bytes.subarray(0, s.bytes.length - 5), /^checkpoint is truncated/],
    ['flipped bit in the payload', flip(s.bytes.length - 3), /^checkpoint payload is corrupt: its CRC-32 is 0x[0-9a-f]{8}, the header says 0x[0-9a-f]{8}$/],
    ['flipped bit in the header', flip(PREFIX + 5), /^checkpoint header is corrupt: its CRC-32/],
    ['wrong magic', new TextEncoder().encode('hello, world: not a model at all'), /^not an rnnkit model file/],
    ['newer version', seal(new TextEncoder().encode(JSON.stringify(header)), payload, CHECKPOINT_VERSION + 1), /is newer than this library reads.*upgrade rnnkit/],
    ['unknown version', seal(new TextEncoder().encode(JSON.stringify(header)), payload, 0), /^unknown checkpoint format version 0/],
    ['config/parameter mismatch', mutate((h) => { h.networks[0].config.hiddenSize = 3; }), /has \d+ parameters but the file holds \d+/],
    ['huge declared count', mutate((h) => { h.networks[0].count = 1e15; }), /declares bytes 0\.\.\d+, beyond the \d+-byte payload/],
    ['huge declared payload', mutate((h) => { h.payload.length = 2 ** 52; }), /truncated: the header declares a 4503599627370496-byte payload/],
    ['huge header length', (() => { const b = s.bytes.slice(); new DataView(b.buffer).setUint32(12, 0xfffffff0, true); return b; })(), /header is too large: it declares 4294967280 bytes/],
    ['deep nesting', mutate((h) => { h.meta = JSON.parse(deep); }), /nests 1001 levels deep, more than the 64 allowed/],
    ['trailing bytes', (() => { const b = new Uint8Array(s.bytes.length + 8); b.set(s.bytes); return b; })(), /8 unexpected bytes after the payload/],
  ];
  const seen = new Set<string>();
  for (const [what, bytes, pattern] of cases) {
    const m = msg(bytes);
    assert.match(m, pattern, what);
    assert.ok(!seen.has(m), `${what}: same message as another fault`);
    seen.add(m);
  }
});
