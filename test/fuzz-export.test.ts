/**
 * Property-based tests of the ONNX, safetensors and TF.js readers (issue
 * 15): random truncations and random byte changes of files we export.
 * Every case ends in a FormatError whose one-line message starts with the
 * format's name — never another error — or in a load; every truncation of
 * our files is refused. Seeds are fixed so a failure is reproducible; set
 * FUZZ_SEED to explore other cases.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FormatError } from '../src/core/errors.js';
import type { Checkpoint } from '../src/io/checkpoint.js';
import { exportOnnx, importOnnx } from '../src/io/onnx.js';
import { exportSafetensors, importSafetensors } from '../src/io/safetensors.js';
import { exportTfjs, importTfjs } from '../src/io/tfjs.js';
import { distinctNet } from './helpers/portable.js';

const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : 20261203;
const RUNS = 150;

function checkpoints(): Checkpoint[] {
  const meta = { kind: 'text', tokenizer: { kind: 'char', symbols: ['\u0000', 'a', 'b', 'é'] } };
  return [
    { networks: { model: distinctNet({ cell: 'lstm', inputSize: 4, hiddenSize: 3, outputSize: 4, layers: 2, loss: 'cross-entropy' }) }, meta },
    { networks: { model: distinctNet({ cell: 'rnn', inputSize: 2, hiddenSize: 3, outputSize: 2, hiddenActivation: 'relu', bias: false }) } },
    { networks: { model: distinctNet({ cell: 'lstm', inputSize: 2, hiddenSize: 2, outputSize: 3, bidirectional: true }) } },
  ];
}

/** Runs `read`; 'error' for a one-line FormatError starting with `prefix`, 'loaded' for a load; fails on anything else. */
function outcome(prefix: string, read: () => unknown): 'error' | 'loaded' {
  try {
    read();
    return 'loaded';
  } catch (e) {
    if (!(e instanceof FormatError)) throw new assert.AssertionError({ message: `expected a FormatError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` });
    assert.ok(e.message.startsWith(`${prefix}: `), `the message must name the format: ${e.message}`);
    assert.ok(!e.message.includes('\n'), `the message must be one line: ${e.message}`);
    return 'error';
  }
}

const FORMATS: { name: string; prefix: string; bytes: (c: Checkpoint) => Uint8Array; read: (b: Uint8Array) => unknown }[] = [
  { name: 'ONNX', prefix: 'ONNX', bytes: exportOnnx, read: importOnnx },
  { name: 'safetensors', prefix: 'safetensors', bytes: (c) => exportSafetensors(c), read: importSafetensors },
  {
    name: 'TF.js weights', prefix: 'TF.js',
    bytes: (c) => exportTfjs(c).weightData,
    read: (b) => importTfjs(JSON.parse(JSON.stringify(exportTfjs(checkpoints()[0]!).modelJson)), b),
  },
];

for (const f of FORMATS) {
  const samples = f.name === 'TF.js weights' ? [f.bytes(checkpoints()[0]!)] : checkpoints().map(f.bytes);

  test(`fuzz ${f.name}: every truncation is refused with one line naming the format`, () => {
    fc.assert(fc.property(fc.nat(samples.length - 1), fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), (k, where) => {
      const bytes = samples[k]!;
      const cut = bytes.subarray(0, Math.floor(where * bytes.length));
      assert.equal(outcome(f.prefix, () => f.read(cut)), 'error', `a file cut to ${cut.length} of ${bytes.length} bytes loaded`);
    }), { seed: SEED, numRuns: RUNS });
  });

  test(`fuzz ${f.name}: changed bytes give a one-line error naming the format, or a load`, () => {
    fc.assert(fc.property(fc.nat(samples.length - 1), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }), (k, flips) => {
      const bytes = samples[k]!.slice();
      for (const [at, x] of flips) bytes[at % bytes.length]! ^= x;
      outcome(f.prefix, () => f.read(bytes));
    }), { seed: SEED, numRuns: RUNS });
  });
}

test('fuzz TF.js model.json: random values put anywhere in the manifest and topology give a one-line TF.js error, or a load', () => {
  const { modelJson, weightData } = exportTfjs(checkpoints()[0]!);
  const text = JSON.stringify(modelJson);
  fc.assert(fc.property(fc.nat(), fc.jsonValue({ maxDepth: 2 }), (seed, value) => {
    const json = JSON.parse(text) as unknown;
    // Walk to a random object or array inside the document and replace one of its entries.
    let node = json as Record<string, unknown>;
    let s = seed;
    for (let depth = 0; depth < 8; depth++) {
      const keys = Object.keys(node);
      if (keys.length === 0) break;
      const key = keys[s % keys.length]!;
      s = Math.floor(s / 7) + depth;
      const child = node[key];
      if (typeof child !== 'object' || child === null || s % 3 === 0) {
        node[key] = value;
        break;
      }
      node = child as Record<string, unknown>;
    }
    outcome('TF.js', () => importTfjs(json, weightData));
  }), { seed: SEED, numRuns: 300 });
});
