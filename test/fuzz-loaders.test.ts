/**
 * Property-based tests of the data loaders (issue 9): CSV/JSON/JSONL tables
 * and their numeric and text columns, UTF-8 text files, corpora and the
 * vocabulary stored in a model file. Every case must end in a clean typed
 * error (a {@link RecurrentError} with a one-line message) or a correct
 * load, checked against an independent oracle where there is one.
 * Seeds are fixed; set FUZZ_SEED to explore.
 */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { RecurrentError } from '../src/core/errors.js';
import { DataFileError, numericColumn, parseTable, readFeatureSequences, readTable, textColumn, type Table, type TableFormat } from '../src/node/csv.js';
import { readTextFile, TextSourceError } from '../src/node/datasets.js';
import { prepareCorpus } from '../src/text/corpus.js';
import { Tokenizer } from '../src/text/tokenizer.js';

const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : 20261126;

/** fc.assert, with the failing case's own error message in the thrown error. */
function check<T>(property: fc.IProperty<T>, params: fc.Parameters<T>): void {
  const details = fc.check(property, params);
  if (!details.failed) return;
  const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new assert.AssertionError({ message: `property failed after ${details.numRuns} runs (seed ${details.seed}, path "${details.counterexamplePath}"): ${cause}\ncounterexample: ${fc.stringify(details.counterexample).slice(0, 2000)}` });
}

/** Runs `f`; a typed error with a one-line message is "error", anything else thrown fails. */
function clean<T>(f: () => T, what: string, errorType: new (...a: any[]) => Error = RecurrentError): T | 'error' {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof errorType)) {
      throw new assert.AssertionError({ message: `${what}: expected a ${errorType.name}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` });
    }
    assert.ok(e.message.length > 0 && !/[\r\n]/.test(e.message), `${what}: the message must be one line: ${JSON.stringify(e.message)}`);
    return 'error';
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recurrent-fuzz-loaders-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
function tempFile(bytes: Uint8Array | string, ext: string): string {
  const f = path.join(dir, `f${fileNo++}${ext}`);
  fs.writeFileSync(f, bytes);
  return f;
}

// ---------------------------------------------------------------- tables

/** A cell: a number written some way, empty, or text that is not a number. */
type Cell = { kind: 'number'; text: string; value: number } | { kind: 'empty'; text: string } | { kind: 'text'; text: string };

const numberCell: fc.Arbitrary<Cell> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }).map((v) => ({ kind: 'number' as const, text: String(v), value: v })),
  fc.integer({ min: -100000, max: 100000 }).map((v) => ({ kind: 'number' as const, text: ` ${v} `, value: v })),
  fc.tuple(fc.integer({ min: -999, max: 999 }), fc.integer({ min: -5, max: 5 })).map(([m, e]) => ({ kind: 'number' as const, text: `${m}e${e}`, value: Number(`${m}e${e}`) })),
);
const emptyCell: fc.Arbitrary<Cell> = fc.constantFrom('', ' ', '   ').map((text) => ({ kind: 'empty' as const, text }));
const textCell: fc.Arbitrary<Cell> = fc.oneof(
  fc.constantFrom('abc', 'NaN', 'Infinity', '-Infinity', '1.2.3', '--1', '$3', 'n/a', '1,5', 'x"y', '12abc', 'true', '∞'),
  fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s.trim() !== '' && !Number.isFinite(Number(s))),
).map((text) => ({ kind: 'text' as const, text }));
const anyCell = fc.oneof({ weight: 8, arbitrary: numberCell }, { weight: 1, arbitrary: emptyCell }, { weight: 1, arbitrary: textCell });

/** A CSV field, quoted when it must be (RFC 4180). */
function csvField(s: string): string {
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

const columnNames = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/), { minLength: 1, maxLength: 4 });
const randomTable = columnNames.chain((cols) => fc.record({
  cols: fc.constant(cols),
  rows: fc.array(fc.array(anyCell, { minLength: cols.length, maxLength: cols.length }), { minLength: 1, maxLength: 12 }),
  crlf: fc.boolean(),
  bom: fc.boolean(),
}));

test('CSV: a numeric column loads exactly, or the error names the first bad line and the column', () => {
  check(fc.property(randomTable, fc.nat(), ({ cols, rows: allRows, crlf, bom }, pick) => {
    const eol = crlf ? '\r\n' : '\n';
    const text = (bom ? '\uFEFF' : '') + [cols.join(','), ...allRows.map((r) => r.map((c) => csvField(c.text)).join(','))].join(eol) + eol;
    // In a one-column file an empty cell is an empty line; empty lines at the end are the file's end, not values.
    const rows = allRows.slice();
    while (cols.length === 1 && rows.length > 0 && rows[rows.length - 1]![0]!.text === '') rows.pop();
    const j = pick % cols.length;
    const name = cols[j]!;
    const read = (): Float64Array => {
      const table = parseTable(text, 'data.csv', 'csv');
      assert.deepEqual(table.columns, cols);
      return numericColumn(table, name);
    };
    const got = clean(read, `column ${name}`, DataFileError);
    const firstBad = rows.findIndex((r) => r[j]!.kind !== 'number');
    if (rows.length === 0) {
      assert.equal(got, 'error', 'a file without values loaded');
    } else if (firstBad < 0) {
      assert.notEqual(got, 'error', 'an all-numeric column was refused');
      assert.deepEqual(Array.from(got as Float64Array), rows.map((r) => (r[j] as { value: number }).value));
    } else {
      assert.equal(got, 'error');
      const line = `line ${firstBad + 2}`;
      assert.throws(read, (e: unknown) => e instanceof DataFileError &&
        e.message.startsWith('data.csv: ') && /[ ,]/.test(e.message.charAt(e.message.indexOf(line) + line.length)) && e.message.includes(`"${name}"`) &&
        (rows[firstBad]![j]!.kind === 'empty' ? /has no value|is empty/.test(e.message) : /is not a number/.test(e.message)));
    }
  }), { seed: SEED, numRuns: 300 });
});

test('CSV: rows with missing or extra cells, unknown columns and a lone header are DataFileErrors', () => {
  check(fc.property(columnNames, fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 8 }), (cols, widths) => {
    const rows = widths.map((w) => Array.from({ length: w }, (_, k) => String(k)).join(','));
    const text = [cols.join(','), ...rows].join('\n') + '\n';
    const ragged = widths.some((w) => (w === 0 ? false : w !== cols.length));
    const r = clean(() => numericColumn(parseTable(text, 'r.csv', 'csv'), cols[0]!), 'ragged CSV', DataFileError);
    if (ragged) assert.equal(r, 'error', `rows of ${widths.join('/')} cells under ${cols.length} columns loaded`);
  }), { seed: SEED, numRuns: 200 });
  assert.throws(() => parseTable('a,b\n', 'h.csv', 'csv'), /h\.csv: no data rows after the header/);
  assert.throws(() => numericColumn(parseTable('a,b\n1,2\n', 'c.csv', 'csv'), 'z'), /c\.csv: no column "z"; columns are "a", "b"/);
});

const formats: TableFormat[] = ['csv', 'tsv', 'json', 'jsonl'];

test('tables: arbitrary text in every format ends in a table or a DataFileError, and every column read does too', () => {
  const junk = fc.oneof(
    fc.string({ maxLength: 120 }),
    fc.string({ unit: 'binary', maxLength: 120 }),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }).map((a) => a.map((v) => JSON.stringify(v)).join('\n')),
    fc.array(fc.array(fc.constantFrom('1', '', 'x', '"', ',', '\t', '2.5', 'steps', 'label', '\n'), { maxLength: 6 }), { maxLength: 6 }).map((rs) => rs.map((r) => r.join(',')).join('\n')),
  );
  check(fc.property(junk, fc.constantFrom(...formats), (text, format) => {
    const table = clean(() => parseTable(text, `t.${format}`, format), `${format} table`, DataFileError);
    if (table === 'error') return;
    assert.ok(table.rows.length > 0);
    for (const c of table.columns) {
      const nums = clean(() => numericColumn(table, c), `numeric column ${c}`, DataFileError);
      if (nums !== 'error') assert.ok(Array.from(nums).every(Number.isFinite));
      const texts = clean(() => textColumn(table, c), `text column ${c}`, DataFileError);
      if (texts !== 'error') assert.ok(texts.every((t) => typeof t === 'string' && t.length > 0));
    }
    for (const opts of [{ labelColumn: 'label' }, { labelColumn: table.columns[0]!, idColumn: table.columns[table.columns.length - 1]! }]) {
      const seqs = clean(() => readFeatureSequences(table as Table, opts), 'feature sequences', DataFileError);
      if (seqs !== 'error') {
        for (const s of seqs) {
          assert.ok(s.steps.length > 0 && typeof s.label === 'string' && s.label.length > 0);
          assert.ok(s.steps.every((st) => st.length === s.steps[0]!.length && st.every(Number.isFinite)));
        }
      }
    }
  }), { seed: SEED, numRuns: 400 });
});

test('JSONL feature sequences: ragged steps, non-numeric features and missing labels are named by record', () => {
  const step = fc.array(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), fc.constantFrom<unknown>('x', null, [], '')), { minLength: 1, maxLength: 3 });
  const record = fc.record({ steps: fc.array(step, { minLength: 1, maxLength: 4 }), label: fc.oneof(fc.constantFrom<unknown>('a', 'b', 7), fc.constantFrom<unknown>('', null, { x: 1 })) });
  check(fc.property(fc.array(record, { minLength: 1, maxLength: 6 }), (records) => {
    const text = records.map((r) => JSON.stringify(r)).join('\n');
    const table = parseTable(text, 's.jsonl', 'jsonl');
    const r = clean(() => readFeatureSequences(table, { labelColumn: 'label' }), 'jsonl sequences', DataFileError);
    const width = records[0]!.steps[0]!.length;
    const good = records.every((rec) => rec.steps.every((s) => s.length === width && s.every((v) => typeof v === 'number')) &&
      (typeof rec.label === 'number' || (typeof rec.label === 'string' && rec.label !== '')));
    if (good) {
      assert.notEqual(r, 'error');
      assert.deepEqual((r as { steps: number[][] }[]).map((s) => s.steps), records.map((rec) => rec.steps));
    } else {
      assert.equal(r, 'error');
      assert.throws(() => readFeatureSequences(table, { labelColumn: 'label' }), /: s\.jsonl: record \d+/);
    }
  }), { seed: SEED, numRuns: 300 });
});

test('readTable: random files (missing, empty, binary, not UTF-8) end in a DataFileError naming the file, or a table', () => {
  check(fc.property(fc.uint8Array({ maxLength: 80 }), fc.constantFrom('.csv', '.json', '.jsonl'), (bytes, ext) => {
    const f = tempFile(bytes, ext);
    const r = clean(() => readTable(f), `${bytes.length} random bytes as ${ext}`, DataFileError);
    if (r === 'error') assert.throws(() => readTable(f), (e: unknown) => e instanceof Error && e.message.startsWith(f));
    // a binary or non-UTF-8 file is refused as such, not parsed into garbage cells
    const kind = textOracle(bytes);
    if (kind === 'binary' || kind === 'utf8') {
      assert.equal(r, 'error', `a ${kind === 'binary' ? 'binary' : 'non-UTF-8'} file was read as a table`);
      assert.throws(() => readTable(f), kind === 'binary' ? /binary/ : /UTF-8/);
    }
  }), { seed: SEED, numRuns: 200 });
  assert.throws(() => readTable(path.join(dir, 'missing.csv')), /missing\.csv: no such file/);
  assert.throws(() => readTable(tempFile('', '.csv')), DataFileError);
  assert.throws(() => readTable(dir), DataFileError);
});

// ---------------------------------------------------------------- text

/** What readTextFile must do with these bytes: the text, or why not. */
function textOracle(bytes: Uint8Array): string | 'empty' | 'binary' | 'utf8' | 'blank' {
  if (bytes.length === 0) return 'empty';
  if (bytes.includes(0)) return 'binary';
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return 'utf8';
  }
  return text.trim() === '' ? 'blank' : text;
}

test('readTextFile: random bytes give the decoded text or the right TextSourceError', () => {
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => new TextEncoder().encode(s)),
    fc.tuple(fc.string({ maxLength: 20 }), fc.uint8Array({ minLength: 1, maxLength: 3 }), fc.string({ maxLength: 20 }))
      .map(([a, mid, b]) => Uint8Array.from([...new TextEncoder().encode(a), ...mid, ...new TextEncoder().encode(b)])),
  );
  check(fc.property(bytes, (b) => {
    const f = tempFile(b, '.txt');
    const want = textOracle(b);
    const got = clean(() => readTextFile(f), `${b.length} bytes`, TextSourceError);
    if (want === 'empty' || want === 'binary' || want === 'utf8' || want === 'blank') {
      assert.equal(got, 'error', `${want} file was accepted`);
      const pattern = { empty: /is empty/, binary: /looks like a binary file \(a zero byte at offset \d+\)/, utf8: /is not valid UTF-8 text/, blank: /holds only white space/ }[want];
      assert.throws(() => readTextFile(f), (e: unknown) => e instanceof TextSourceError && e.message.includes(f) && pattern.test(e.message));
    } else {
      assert.equal(got, want);
    }
  }), { seed: SEED, numRuns: 300 });
  assert.throws(() => readTextFile(path.join(dir, 'nope.txt')), /no such file: .*nope\.txt/);
  assert.throws(() => readTextFile(dir), /is a directory; give a text file/);
});

test('prepareCorpus: random text and options give a consistent corpus or a typed error', () => {
  const options = fc.record({
    tokens: fc.constantFrom<'char' | 'word' | undefined>('char', 'word', undefined),
    vocabSize: fc.option(fc.oneof(fc.integer({ min: -2, max: 50 }), fc.constantFrom(0.5, NaN, 1e9)), { nil: undefined }),
    valFraction: fc.option(fc.oneof(fc.double({ min: -0.5, max: 1, noNaN: true }), fc.constant(NaN)), { nil: undefined }),
  });
  check(fc.property(fc.string({ unit: 'grapheme-composite', maxLength: 200 }), options, (text, o) => {
    const opts = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
    const c = clean(() => prepareCorpus(text, opts), `corpus of ${text.length} chars with ${JSON.stringify(opts)}`);
    if (c === 'error') return;
    const V = c.tokenizer.vocabSize;
    assert.ok(V >= 2);
    if (o.vocabSize !== undefined) assert.ok(V <= o.vocabSize);
    assert.equal(c.train.length + c.val.length, c.length);
    assert.ok(c.train.length >= 1);
    for (const a of [c.train, c.val]) for (const s of a) assert.ok(s >= 0 && s < V, `symbol ${s} outside [0, ${V})`);
    if (c.tokenizer.kind === 'char' && o.vocabSize === undefined) {
      // every character is in the vocabulary: decoding gives the (normalised) text back
      const all = new Int32Array(c.length);
      all.set(c.train);
      all.set(c.val, c.train.length);
      assert.equal(c.tokenizer.decode(all), text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n'));
    }
  }), { seed: SEED, numRuns: 300 });
});

test('Tokenizer.fromJSON (a model file\'s vocabulary): random JSON gives a tokenizer or a typed error', () => {
  const vocab = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.record({ kind: fc.constantFrom<unknown>('char', 'word', 'byte', 1, null), symbols: fc.oneof(fc.array(fc.string({ maxLength: 3 }), { maxLength: 6 }), fc.jsonValue({ maxDepth: 2 })) }),
    fc.array(fc.string({ minLength: 1, maxLength: 2 }), { maxLength: 6 }).map((s) => ({ kind: 'char', symbols: ['\uFFFD', ...s] })),
  );
  check(fc.property(vocab, (json) => {
    const t = clean(() => Tokenizer.fromJSON(json), `vocabulary ${JSON.stringify(json).slice(0, 200)}`);
    if (t === 'error') return;
    assert.deepEqual(t.toJSON(), json);
    for (let i = 0; i < t.vocabSize; i++) assert.equal(t.indexOf(t.symbol(i)), i);
  }), { seed: SEED, numRuns: 300 });
});

// ---------------------------------------------------------------- public API arguments

test('Network: random constructor options give a network or a typed error, never a huge allocation', async () => {
  const { Network } = await import('../src/model/network.js');
  const size = fc.oneof(fc.integer({ min: 1, max: 6 }), fc.constantFrom<unknown>(0, -1, 1.5, NaN, Infinity, '3', null, 1e12, 2 ** 53, 1e300));
  const options = fc.record({
    cell: fc.constantFrom<unknown>('rnn', 'lstm', 'gru', 'transformer', 1, undefined),
    inputSize: size, hiddenSize: size, outputSize: size,
    layers: fc.option(fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constantFrom<unknown>(0, -2, 1.5, 1e9)), { nil: undefined }),
    loss: fc.constantFrom<unknown>('mse', 'cross-entropy', 'hinge', undefined),
    dtype: fc.constantFrom<unknown>('float32', 'float64', 'int8', undefined),
    bias: fc.constantFrom<unknown>(true, false, 'yes', undefined),
    hiddenActivation: fc.constantFrom<unknown>('tanh', 'relu', 'swish', undefined),
  }, { requiredKeys: [] });
  check(fc.property(options, (o) => {
    const opts = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
    const before = process.memoryUsage().arrayBuffers;
    const net = clean(() => new Network(opts as never), `new Network(${JSON.stringify(opts)})`);
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024, `new Network(${JSON.stringify(opts)}) allocated too much`);
    if (net !== 'error') {
      const { inputSize: D, hiddenSize: H, outputSize: K } = net.config;
      assert.ok([D, H, K].every((v) => Number.isInteger(v) && v >= 1));
      assert.equal(net.params.data.length, net.params.size);
    }
  }), { seed: SEED, numRuns: 300 });
});

/** The compiled tree (for child processes): this file's own when compiled, else ../dist. */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const DIST = process.env.RECURRENT_DIST ?? (path.basename(path.dirname(HERE)) === 'dist' ? path.dirname(HERE) : path.join(HERE, '..', 'dist'));

test('Network: an absurd layer count is refused at once, before per-layer bookkeeping fills the heap', (t) => {
  const network = path.join(DIST, 'src', 'model', 'network.js');
  if (!fs.existsSync(network)) {
    t.skip(`${network} is not built`);
    return;
  }
  // In a child with a small heap, so that a failure is a quick crash and not minutes of growth here.
  for (const layers of [1e6, 1e9]) {
    const script = `import { Network } from ${JSON.stringify(pathToFileURL(network).href)};
try { new Network({ inputSize: 1, hiddenSize: 1, outputSize: 1, layers: ${layers} }); console.log('built'); }
catch (e) { console.log(e.constructor.name + ': ' + e.message); }`;
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['--max-old-space-size=128', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    const ms = Date.now() - t0;
    assert.match(r.stdout, /^OptionError: /, `layers ${layers}: ${r.stdout}${r.stderr.split('\n').find((l) => /FATAL|Error/.test(l)) ?? ''} (exit ${r.status ?? r.signal} after ${ms} ms)`);
    assert.ok(ms < 5000, `layers ${layers}: refused after ${ms} ms`);
  }
});

test('Network.forward and fit: batches and options of the wrong shape or range give typed errors', async () => {
  const { Network } = await import('../src/model/network.js');
  const { fit } = await import('../src/train/fit.js');
  const { BatchList } = await import('../src/data/list.js');
  const net = new Network({ cell: 'gru', inputSize: 3, hiddenSize: 4, outputSize: 2, dtype: 'float64' });
  const dims = fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constantFrom<unknown>(0, -1, 1.5, NaN));
  check(fc.property(dims, dims, fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), fc.constantFrom('float64', 'float32'), (T, B, nx, ny, dtype) => {
    const make = (n: number): Float32Array | Float64Array => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n)).fill(0.5);
    const batch = { T, B, x: { kind: 'dense', data: make(nx) }, y: { kind: 'dense', data: make(ny) } } as never;
    const r = clean(() => net.forward(batch), `forward T=${String(T)} B=${String(B)} x=${nx} y=${ny} ${dtype}`);
    const ok = typeof T === 'number' && typeof B === 'number' && Number.isInteger(T) && Number.isInteger(B) && T >= 1 && B >= 1 &&
      nx >= T * B * 3 && ny >= T * B * 2 && dtype === 'float64';
    assert.equal(r !== 'error', ok, `forward T=${String(T)} B=${String(B)} x=${nx} y=${ny} ${dtype}`);
  }), { seed: SEED, numRuns: 300 });
  const fitOptions = fc.record({
    learningRate: fc.constantFrom<unknown>(0.1, 0, -1, NaN, Infinity, '0.1'),
    epochs: fc.constantFrom<unknown>(1, 0, -1, 1.5, undefined),
    clipNorm: fc.constantFrom<unknown>(1, -1, NaN, undefined),
    optimizer: fc.constantFrom<unknown>({ kind: 'adam' }, { kind: 'rmsprop' }, { kind: 'adam', beta1: 2 }, undefined),
    bogus: fc.constantFrom<unknown>(undefined, 1),
  }, { requiredKeys: [] });
  const data = new BatchList([{ T: 2, B: 1, x: { kind: 'dense', data: new Float64Array(6) }, y: { kind: 'dense', data: new Float64Array(4) } }], { inputSize: 3, outputSize: 2 });
  await fc.assert(fc.asyncProperty(fitOptions, async (o) => {
    const opts = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
    try {
      await fit(net, data, { ...opts, maxSteps: 1 } as never);
    } catch (e) {
      assert.ok(e instanceof RecurrentError, `fit(${JSON.stringify(opts)}): ${String(e)}`);
      assert.ok(!e.message.includes('\n'));
    }
  }), { seed: SEED, numRuns: 100 });
});
