/**
 * Bad input to every CLI command (issue 9): each case runs the compiled CLI
 * in a child process, as a user would, in a folder of its own, and checks
 * that it ends with a one-line message naming the problem (the last line of
 * stderr, `rnnkit: …`, followed only by the usage line for exit code 2),
 * the right exit code (2 for usage, 1 for other failures), no stack trace,
 * no hang, and no file written (nothing half-done is left behind).
 *
 * With RECURRENT_RELIABILITY_TABLE=<file> it also writes the Markdown table
 * of docs/reliability.md (input, exit code, the message the user sees).
 */

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Network } from '../src/model/network.js';
import { encodeCheckpoint, readCheckpointHeader } from '../src/io/checkpoint.js';
import { crc32 } from '../src/io/crc32.js';
import { Seq2Seq } from '../src/seq2seq/model.js';
import { encodeModel } from '../src/io/model-file.js';
import { SymbolTable } from '../src/tasks/symbols.js';
import { BIN } from './helpers/cli.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-cli-errors-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** Input files every case can ask for, by name. */
const FILES: Record<string, () => Uint8Array | string> = {
  'corpus.txt': () => 'the quick brown fox jumps over the lazy dog. '.repeat(40),
  'tiny.txt': () => 'abc',
  'short.txt': () => 'hello world, a short text.\n',
  'empty.txt': () => '',
  'blank.txt': () => '  \n\n\t\n',
  'binary.txt': () => Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00, 0x41, 0x42]),
  'latin1.txt': () => Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x61, 0x75, 0x20, 0x6c, 0x61, 0x69, 0x74, 0x0a]),
  'series.csv': () => 'day,value\n' + Array.from({ length: 200 }, (_, i) => `${i},${(Math.sin(i / 5) * 10 + 50).toFixed(3)}`).join('\n') + '\n',
  'missing-cell.csv': () => 'day,value\n0,1.5\n1,\n2,3.5\n' + Array.from({ length: 60 }, (_, i) => `${i + 3},${i}`).join('\n') + '\n',
  'non-numeric.csv': () => 'day,value\n0,1.5\n1,2.5\n2,abc\n' + Array.from({ length: 60 }, (_, i) => `${i + 3},${i}`).join('\n') + '\n',
  'ragged.csv': () => 'day,value\n0,1.5\n1\n2,3.5\n',
  'header-only.csv': () => 'day,value\n',
  'empty.csv': () => '',
  'binary.csv': () => Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00, 0x2c, 0x0a, 0x31, 0x2c, 0x32, 0x0a]),
  'latin1.csv': () => Uint8Array.from([...Buffer.from('name,value\ncaf'), 0xe9, ...Buffer.from(',1\nthe,2\n')]),
  'one-column-gap.csv': () => 'value\n1\n2\n\n4\n' + Array.from({ length: 60 }, (_, i) => `${i}`).join('\n') + '\n',
  'short-series.csv': () => 'value\n1\n2\n3\n4\n5\n',
  'broken.json': () => '[{"value": 1}, {"value": 2',
  'stray.json': () => '\nx',
  'labels.csv': () => 'text,label\n' + Array.from({ length: 40 }, (_, i) => `word${i},${i % 2 ? 'odd' : 'even'}`).join('\n') + '\n',
  'one-class.csv': () => 'text,label\n' + Array.from({ length: 40 }, (_, i) => `word${i},same`).join('\n') + '\n',
  'no-label.csv': () => 'text,kind\n' + Array.from({ length: 40 }, (_, i) => `word${i},x`).join('\n') + '\n',
  'features.jsonl': () => Array.from({ length: 30 }, (_, i) => JSON.stringify({ steps: [[1, 2], [3, i % 3 ? 4 : 'x']], label: i % 2 ? 'a' : 'b' })).join('\n') + '\n',
  'not-a-model.rnn': () => 'this is a text file, not a model\n',
  'not-text-model.rnn': () => encodeCheckpoint({ networks: { model: new Network({ inputSize: 2, hiddenSize: 3, outputSize: 2 }) } }),
  'bad-model.json': () => '{"kind": "something else"}',
  'hostile-model.json': () => JSON.stringify({ format: 'recurrent-seq2seq', version: 1, options: { cell: 'gru', sourceVocabSize: 26, targetVocabSize: 39, hiddenSize: 9000 }, params: {} }),
  'nan-model.json': () => {
    const options = { cell: 'gru' as const, sourceVocabSize: 26, targetVocabSize: 39, hiddenSize: 4, layers: 1, seed: 1 };
    const model = new Seq2Seq(options);
    return withNaNParameter(encodeModel({ kind: 'seq2seq', model, source: new SymbolTable('abcdefghijklmnopqrstuvwxyz'.split('')), target: new SymbolTable(Array.from({ length: 39 }, (_, i) => `P${i}`)), maxSourceLength: 14, maxTargetLength: 20 },
      { extra: { split: { seed: 1, maxWord: 14, stress: false, testWords: 1000 } } }));
  },
};

/**
 * The file with a parameter of the decoder set to NaN and both checksums
 * made right again (encoders refuse to write NaN, so a damaged file is made
 * by hand: header = JSON after the 20-byte prefix, payload at the next
 * multiple of 8).
 */
function withNaNParameter(bytes: Uint8Array): Uint8Array {
  const header = readCheckpointHeader(bytes);
  const start = Math.ceil((20 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true)) / 8) * 8;
  const payload = bytes.slice(start);
  new DataView(payload.buffer).setFloat32(header.networks.find((n) => n.name === 'decoder')!.offset + 12, NaN, true);
  const text = new TextEncoder().encode(JSON.stringify({ ...header, payload: { length: payload.length, crc32: crc32(payload) } }));
  const at = Math.ceil((20 + text.length) / 8) * 8;
  const out = new Uint8Array(at + payload.length);
  out.set(bytes.subarray(0, 12));
  new DataView(out.buffer).setUint32(12, text.length, true);
  new DataView(out.buffer).setUint32(16, crc32(text), true);
  out.set(text, 20);
  out.set(payload, at);
  return out;
}

/** A trained text model and its damaged variants, made once by a real `rnnkit train` run. */
let model: Uint8Array | null = null;
const MODEL_FILES: Record<string, () => Uint8Array> = {
  'model.rnn': () => model!,
  'truncated.rnn': () => model!.subarray(0, Math.floor(model!.length * 0.6)),
  'flipped.rnn': () => {
    const b = model!.slice();
    b[b.length - 10]! ^= 0x04;
    return b;
  },
  'newer.rnn': () => {
    const b = model!.slice();
    new DataView(b.buffer).setUint32(8, 7, true);
    return b;
  },
};

interface Case {
  /** What is wrong, for the table. */
  readonly what: string;
  readonly args: readonly string[];
  /** Input files placed in the case's folder first. */
  readonly files?: readonly string[];
  readonly code: 1 | 2;
  readonly message: RegExp;
  /** A folder or file created before the run (e.g. a directory named like the input). */
  readonly dir?: string;
  /** Run under `prlimit --as=<bytes>`: a machine (process) with that much memory. */
  readonly memory?: number;
  /** Longest the refusal may take, in ms (a refusal that first allocates what a file claims is slow). */
  readonly maxMs?: number;
  /** NODE_OPTIONS for the run, e.g. a small heap so that a failure is a quick crash. */
  readonly nodeOptions?: string;
  /** A FIFO (named pipe) of this name made before the run, that nobody writes. */
  readonly fifo?: string;
  /** A sparse file of this name and size in bytes made before the run (takes no disk space). */
  readonly sparse?: readonly [name: string, bytes: number];
}

/** Whether prlimit(1) is here to run a case with little memory. */
const PRLIMIT = ['/usr/bin/prlimit', '/bin/prlimit'].find((p) => fs.existsSync(p));

const CASES: Case[] = [
  // ---- any command: usage
  { what: 'unknown command', args: ['trian'], code: 2, message: /^rnnkit: unknown command "trian"; commands: / },
  { what: 'unknown option', args: ['train', '--hiden', '8', 'corpus.txt'], files: ['corpus.txt'], code: 2, message: /^rnnkit: unknown option --hiden for "train"$/ },
  { what: 'option without its value', args: ['train', 'corpus.txt', '--hidden'], files: ['corpus.txt'], code: 2, message: /^rnnkit: option --hidden needs a value \(H\)$/ },
  { what: 'malformed number', args: ['train', '--hidden', '12x', 'corpus.txt'], files: ['corpus.txt'], code: 2, message: /^rnnkit: --hidden must be a number, got "12x"$/ },
  { what: 'fractional count', args: ['train', '--batch', '2.5', 'corpus.txt'], files: ['corpus.txt'], code: 2, message: /^rnnkit: --batch must be a whole number, got "2\.5"$/ },
  { what: 'out-of-range value', args: ['train', '--lr', '0', 'corpus.txt'], files: ['corpus.txt'], code: 2, message: /^rnnkit: --lr must be greater than 0, got 0$/ },
  { what: 'value for a flag', args: ['train', '--json-log=yes', 'corpus.txt'], files: ['corpus.txt'], code: 2, message: /^rnnkit: option --json-log takes no value$/ },
  { what: 'unknown choice', args: ['train', '--cell', 'transformer', 'corpus.txt'], files: ['corpus.txt'], code: 2, message: /^rnnkit: --cell must be one of rnn, lstm, gru, got "transformer"$/ },
  { what: 'malformed duration', args: ['train', '--time', '5 minutes', 'corpus.txt'], files: ['corpus.txt'], code: 2, message: /^rnnkit: --time must be a duration such as 90s, 5m, 1m30s or 1h, got "5 minutes"$/ },
  { what: 'extra argument', args: ['train', 'corpus.txt', 'other.txt'], files: ['corpus.txt'], code: 2, message: /^rnnkit: unexpected argument "other\.txt" for "train"$/ },
  { what: 'nothing to train on', args: ['train'], code: 2, message: /^rnnkit: give a text file to train on, or --dataset moby-dick$/ },
  { what: 'absurd size', args: ['train', '--hidden', '1e9', 'corpus.txt'], files: ['corpus.txt'], code: 2, message: /^rnnkit: --hidden must be at most 8192, got 1e9$/ },
  // ---- train: files and sizes
  { what: 'missing text file', args: ['train', 'nope.txt'], code: 1, message: /^rnnkit: no such file: .*nope\.txt$/ },
  { what: 'empty text file', args: ['train', 'empty.txt'], files: ['empty.txt'], code: 1, message: /^rnnkit: .*empty\.txt is empty; give a file with some text in it$/ },
  { what: 'white space only', args: ['train', 'blank.txt'], files: ['blank.txt'], code: 1, message: /^rnnkit: .*blank\.txt holds only white space/ },
  { what: 'binary file', args: ['train', 'binary.txt'], files: ['binary.txt'], code: 1, message: /^rnnkit: .*binary\.txt looks like a binary file \(a zero byte at offset 6\); give a UTF-8 text file$/ },
  { what: 'not UTF-8 (Latin-1)', args: ['train', 'latin1.txt'], files: ['latin1.txt'], code: 1, message: /^rnnkit: .*latin1\.txt is not valid UTF-8 text; convert it/ },
  { what: 'a directory', args: ['train', 'adir'], dir: 'adir', code: 1, message: /^rnnkit: .*adir is a directory; give a text file$/ },
  { what: 'corpus shorter than one sequence', args: ['train', 'tiny.txt', '--seq-len', '64', '--steps', '1'], files: ['tiny.txt'], code: 1, message: /^rnnkit: .*(shorter|fewer|only 3).*(--seq-len|sequence|window)/ },
  { what: 'corpus shorter than one sequence (longer text, long --seq-len)', args: ['train', 'short.txt', '--seq-len', '500', '--steps', '1'], files: ['short.txt'], code: 1, message: /^rnnkit: .*(shorter|fewer|only).*(--seq-len|sequence|window)/ },
  { what: 'network over 8 GiB', args: ['train', 'corpus.txt', '--hidden', '8192', '--layers', '16'], files: ['corpus.txt'], code: 1, message: /^rnnkit: .*would need \d+(\.\d+)? GiB of memory \(limit 8 GiB\); choose smaller sizes$/ },
  { what: 'network under 8 GiB that does not fit this process (1 GB address space)', args: ['train', 'corpus.txt', '--hidden', '4096', '--steps', '1'], files: ['corpus.txt'], memory: 1e9, code: 1, message: /^rnnkit: out of memory \((Array buffer allocation failed|WebAssembly\.Memory\(\): could not allocate memory)\): .*choose smaller sizes/ },
  // ---- train: inputs that are not files, or too large for a string (issue 14)
  { what: 'a device (/dev/zero: endless)', args: ['train', '/dev/zero', '--steps', '1'], code: 1, message: /^rnnkit: \/dev\/zero is not a regular file \(a device, pipe or socket\); save the data to a file first/, maxMs: 20000 },
  { what: 'a FIFO nobody writes', args: ['train', 'pipe.txt', '--steps', '1'], fifo: 'pipe.txt', code: 1, message: /^rnnkit: .*pipe\.txt is not a regular file \(a device, pipe or socket\)/, maxMs: 20000 },
  { what: 'a 560 MB text (longer than a JavaScript string)', args: ['train', 'huge.txt', '--steps', '1'], sparse: ['huge.txt', 560 * 2 ** 20], code: 1, message: /^rnnkit: .*huge\.txt is 587\.2 MB \(587,202,560 bytes\), larger than the 536\.9 MB \(536,870,888 bytes\) a text file may have \(the longest string JavaScript can hold\); use a part of it/, maxMs: 20000 },
  { what: 'resume from a file that is not a model', args: ['train', '--resume', 'not-a-model.rnn'], files: ['not-a-model.rnn'], code: 1, message: /^rnnkit: not-a-model\.rnn: not an rnnkit model file/ },
  // ---- sample
  { what: 'model file missing', args: ['sample', 'nope.rnn'], code: 1, message: /^rnnkit: checkpoint file nope\.rnn does not exist/ },
  { what: 'model file is text', args: ['sample', 'not-a-model.rnn'], files: ['not-a-model.rnn'], code: 1, message: /^rnnkit: not-a-model\.rnn: not an rnnkit model file: the data does not start with the checkpoint signature/ },
  { what: 'model file empty', args: ['sample', 'empty.txt'], files: ['empty.txt'], code: 1, message: /^rnnkit: empty\.txt: checkpoint is truncated: 0 bytes/ },
  { what: 'model file truncated', args: ['sample', 'truncated.rnn'], files: ['truncated.rnn'], code: 1, message: /^rnnkit: truncated\.rnn: checkpoint is truncated/ },
  { what: 'model file with a flipped bit', args: ['sample', 'flipped.rnn'], files: ['flipped.rnn'], code: 1, message: /^rnnkit: flipped\.rnn: checkpoint payload is corrupt: its CRC-32 is 0x[0-9a-f]{8}, the header says 0x[0-9a-f]{8}$/ },
  { what: 'model file from a newer version', args: ['sample', 'newer.rnn'], files: ['newer.rnn'], code: 1, message: /^rnnkit: newer\.rnn: checkpoint format version 7 is newer than this library reads \(version 1\); upgrade rnnkit to read it$/ },
  { what: 'checkpoint that is not a text model', args: ['sample', 'not-text-model.rnn'], files: ['not-text-model.rnn'], code: 1, message: /^rnnkit: not-text-model\.rnn is not a text model/ },
  { what: 'model path is a directory', args: ['sample', 'adir'], dir: 'adir', code: 1, message: /^rnnkit: checkpoint file adir is a directory/ },
  { what: 'negative temperature', args: ['sample', 'model.rnn', '--temperature', '-1'], files: ['model.rnn'], code: 2, message: /^rnnkit: --temperature must be at least 0, got -1$/ },
  { what: 'contradictory options', args: ['sample', 'model.rnn', '--greedy', '--top-k', '3'], files: ['model.rnn'], code: 2, message: /^rnnkit: --greedy takes the most likely symbol: leave out --top-k and --top-p$/ },
  // ---- forecast
  { what: 'no input', args: ['forecast'], code: 2, message: /^rnnkit: give a file \(with --column\) or --dataset us-births$/ },
  { what: 'no --column', args: ['forecast', 'series.csv'], files: ['series.csv'], code: 2, message: /^rnnkit: --column NAME is required with a file$/ },
  { what: 'missing CSV', args: ['forecast', 'nope.csv', '--column', 'value'], code: 1, message: /^rnnkit: nope\.csv: no such file$/ },
  { what: 'empty CSV', args: ['forecast', 'empty.csv', '--column', 'value'], files: ['empty.csv'], code: 1, message: /^rnnkit: empty\.csv: (is empty|no data rows)/ },
  { what: 'header only', args: ['forecast', 'header-only.csv', '--column', 'value'], files: ['header-only.csv'], code: 1, message: /^rnnkit: header-only\.csv: no data rows after the header$/ },
  { what: 'binary CSV', args: ['forecast', 'binary.csv', '--column', 'value'], files: ['binary.csv'], code: 1, message: /^rnnkit: binary\.csv: .*binary/ },
  { what: 'CSV not UTF-8', args: ['forecast', 'latin1.csv', '--column', 'value'], files: ['latin1.csv'], code: 1, message: /^rnnkit: latin1\.csv: .*UTF-8/ },
  { what: 'unknown column', args: ['forecast', 'series.csv', '--column', 'price'], files: ['series.csv'], code: 1, message: /^rnnkit: series\.csv: no column "price"; columns are "day", "value"$/ },
  { what: 'missing cell', args: ['forecast', 'missing-cell.csv', '--column', 'value'], files: ['missing-cell.csv'], code: 1, message: /^rnnkit: missing-cell\.csv: line 3 has no value in column "value"; fill it in or remove the row$/ },
  { what: 'non-numeric cell', args: ['forecast', 'non-numeric.csv', '--column', 'value'], files: ['non-numeric.csv'], code: 1, message: /^rnnkit: non-numeric\.csv: line 4, column "value": "abc" is not a number$/ },
  { what: 'row with a cell missing', args: ['forecast', 'ragged.csv', '--column', 'value'], files: ['ragged.csv'], code: 1, message: /^rnnkit: ragged\.csv: not valid CSV \(.*line 3.*\)$/ },
  { what: 'blank line in a one-column series', args: ['forecast', 'one-column-gap.csv', '--column', 'value'], files: ['one-column-gap.csv'], code: 1, message: /^rnnkit: one-column-gap\.csv: line 4 (has no value|is empty)/ },
  { what: 'series too short for the window', args: ['forecast', 'short-series.csv', '--column', 'value'], files: ['short-series.csv'], code: 1, message: /^rnnkit: .*(too short|only 5|5 values|5 steps)/ },
  { what: 'broken JSON', args: ['forecast', 'broken.json', '--column', 'value'], files: ['broken.json'], code: 1, message: /^rnnkit: broken\.json: not valid JSON/ },
  { what: 'JSON whose parser message quotes a line break', args: ['forecast', 'stray.json', '--column', 'value'], files: ['stray.json'], code: 1, message: /^rnnkit: stray\.json: not valid JSON \(Unexpected token 'x', "\\nx" is not valid JSON\)$/ },
  // --hidden has one bound in every command (as in train): bad usage, exit 2
  { what: 'absurd size', args: ['forecast', 'series.csv', '--column', 'value', '--hidden', '1000000000'], files: ['series.csv'], code: 2, message: /would need \d+(\.\d+)?(e\+\d+)? GiB of memory|--hidden must be at most/ },
  { what: 'zero horizon', args: ['forecast', 'series.csv', '--column', 'value', '--horizon', '0'], files: ['series.csv'], code: 2, message: /^rnnkit: --horizon must be at least 1, got 0$/ },
  // ---- classify
  { what: 'no input', args: ['classify'], code: 2, message: /^rnnkit: give a file or --dataset first-names\|sensors$/ },
  { what: 'missing file', args: ['classify', 'nope.csv'], code: 1, message: /^rnnkit: nope\.csv: no such file$/ },
  { what: 'no label column', args: ['classify', 'no-label.csv'], files: ['no-label.csv'], code: 1, message: /^rnnkit: no-label\.csv: no column "label"; columns are "text", "kind"$/ },
  { what: 'a single class', args: ['classify', 'one-class.csv'], files: ['one-class.csv'], code: 1, message: /^rnnkit: only one class \(same\) in the data; classification needs at least two$/ },
  { what: 'non-numeric feature', args: ['classify', 'features.jsonl'], files: ['features.jsonl'], code: 1, message: /^rnnkit: features\.jsonl: record 1, column "steps\[1\]\[1\]": "x" is not a number$/ },
  { what: 'absurd size', args: ['classify', 'labels.csv', '--hidden', '1000000000'], files: ['labels.csv'], code: 2, message: /would need \d+(\.\d+)?(e\+\d+)? GiB of memory|--hidden must be at most/ },
  { what: 'absurd layer count', args: ['classify', 'labels.csv', '--layers', '1000000000'], files: ['labels.csv'], code: 2, message: /^rnnkit: --layers must be at most \d+, got 1000000000$|would need/, maxMs: 10000, nodeOptions: '--max-old-space-size=256' },
  // ---- predict (models of pronounce and the others), pronounce, gradcheck, lecture
  { what: 'model file missing', args: ['predict', 'nope.json', 'hello'], code: 1, message: /^rnnkit: nope\.json: / },
  { what: 'model file of another kind', args: ['predict', 'bad-model.json', 'hello'], files: ['bad-model.json'], code: 1, message: /^rnnkit: bad-model\.json/ },
  { what: 'model file declaring a huge network (150 bytes, hiddenSize 9000)', args: ['predict', 'hostile-model.json', 'hello'], files: ['hostile-model.json'], code: 1, message: /^rnnkit: hostile-model\.json: /, maxMs: 5000 },
  { what: 'model file with non-numeric parameters', args: ['predict', 'nan-model.json', 'hello'], files: ['nan-model.json'], code: 1, message: /^rnnkit: nan-model\.json: .*(not a (finite )?number|finite)/ },
  { what: 'too few words', args: ['pronounce', '--words', '5'], code: 2, message: /^rnnkit: --words must be at least 10, got 5$/ },
  { what: 'unknown cell', args: ['gradcheck', '--cell', 'foo'], code: 2, message: /^rnnkit: --cell must be one of rnn, lstm, gru, got "foo"$/ },
  { what: 'zero layers', args: ['gradcheck', '--layers', '0'], code: 2, message: /^rnnkit: --layers must be at least 1, got 0$/ },
  { what: 'extra argument', args: ['lecture', 'now'], code: 2, message: /^rnnkit: unexpected argument "now" for "lecture"$/ },
];

interface Outcome {
  readonly code: number | null;
  readonly signal: string | null;
  readonly stderr: string;
  readonly created: string[];
  readonly ms: number;
}

function run(c: Case, dir: string): Promise<Outcome> {
  fs.mkdirSync(dir, { recursive: true });
  for (const f of c.files ?? []) fs.writeFileSync(path.join(dir, f), (FILES[f] ?? MODEL_FILES[f])!());
  if (c.dir) fs.mkdirSync(path.join(dir, c.dir));
  if (c.fifo) execFileSync('mkfifo', [path.join(dir, c.fifo)]);
  if (c.sparse) {
    const file = path.join(dir, c.sparse[0]);
    fs.writeFileSync(file, '');
    fs.truncateSync(file, c.sparse[1]);
  }
  const before = new Set(fs.readdirSync(dir));
  const t0 = Date.now();
  return new Promise((resolve) => {
    const argv = [process.execPath, BIN, ...c.args];
    if (c.memory !== undefined) argv.unshift(PRLIMIT!, `--as=${c.memory}`);
    const env = c.nodeOptions !== undefined ? { ...process.env, NODE_OPTIONS: c.nodeOptions } : process.env;
    const child = spawn(argv[0]!, argv.slice(1), { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const created = fs.readdirSync(dir).filter((f) => !before.has(f));
      resolve({ code, signal, stderr, created, ms: Date.now() - t0 });
    });
  });
}

/** The line with the message: the last `rnnkit: ` line of stderr. */
function messageLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.startsWith('rnnkit: '));
  return lines[lines.length - 1] ?? '';
}

before(async () => {
  // A real model to damage: a few steps of `rnnkit train` on a small text.
  const dir = path.join(root, 'make-model');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'corpus.txt'), FILES['corpus.txt']!());
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'train', 'corpus.txt', '-o', 'model.rnn', '--steps', '2', '--hidden', '8', '--seq-len', '8', '--batch', '2', '--sample-every', '0', '--cell', 'rnn'], { cwd: dir, stdio: 'ignore' });
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`rnnkit train exited with ${code}`))));
  });
  model = new Uint8Array(fs.readFileSync(path.join(dir, 'model.rnn')));
});

const results: { c: Case; o: Outcome }[] = [];

/** Runs `cases` (indices into CASES), two at a time; returns one description per failed case. */
async function runCases(indices: readonly number[]): Promise<string[]> {
  let next = 0;
  const failures: string[] = [];
  const worker = async (): Promise<void> => {
    while (next < indices.length) {
      const k = indices[next++]!;
      const c = CASES[k]!;
      const o = await run(c, path.join(root, `case-${k}`));
      results[k] = { c, o };
      const line = messageLine(o.stderr);
      const problems: string[] = [];
      if (o.code !== c.code) problems.push(`exit code ${o.code ?? o.signal}, expected ${c.code}`);
      if (!c.message.test(line)) problems.push(`message ${JSON.stringify(line)} does not match ${c.message}`);
      if (/^\s+at /m.test(o.stderr) || /internal error/.test(o.stderr)) problems.push('stack trace or internal error');
      const afterMessage = o.stderr.slice(o.stderr.lastIndexOf(line) + line.length).split('\n').filter((l) => l.trim() !== '');
      if (afterMessage.some((l) => !l.startsWith('Usage: '))) problems.push(`more after the message: ${JSON.stringify(afterMessage)}`);
      if (o.created.length > 0) problems.push(`left files behind: ${o.created.join(', ')}`);
      if (c.maxMs !== undefined && o.ms > c.maxMs) problems.push(`took ${o.ms} ms (at most ${c.maxMs})`);
      if (problems.length > 0) failures.push(`rnnkit ${c.args.join(' ')} (${c.what}): ${problems.join('; ')}\n    stderr: ${JSON.stringify(o.stderr.slice(-400))}`);
    }
  };
  await Promise.all([worker(), worker()]);
  return failures;
}

const ORDINARY = CASES.map((c, k) => (c.memory === undefined ? k : -1)).filter((k) => k >= 0);
const NEEDS_PRLIMIT = CASES.map((c, k) => (c.memory !== undefined ? k : -1)).filter((k) => k >= 0);

test('every bad input: one-line message naming the problem, exit code 2 (usage) or 1, no stack trace, no file written', async () => {
  const failures = await runCases(ORDINARY);
  if (!PRLIMIT) writeTable(); // (else the next test writes it, after the prlimit cases too)
  assert.equal(failures.length, 0, `${failures.length} of ${ORDINARY.length} cases failed:\n  ${failures.join('\n  ')}`);
});

// A case that needs prlimit is reported as skipped when prlimit is missing, never counted as passed.
test('bad input under a memory limit (prlimit --as): the same one-line messages', { skip: PRLIMIT ? false : 'prlimit(1) is not installed (util-linux); these cases did not run' }, async () => {
  const failures = await runCases(NEEDS_PRLIMIT);
  writeTable();
  assert.equal(failures.length, 0, `${failures.length} of ${NEEDS_PRLIMIT.length} cases failed:\n  ${failures.join('\n  ')}`);
});

/** The Markdown table of docs/reliability.md, from these very runs. */
function writeTable(): void {
  const file = process.env.RECURRENT_RELIABILITY_TABLE;
  if (!file) return;
  const esc = (s: string): string => s.replace(/\|/g, '\\|').replace(/`/g, "'");
  const rows = results.filter(Boolean).map(({ c, o }) => {
    const line = messageLine(o.stderr).split(`${root}${path.sep}`).join('').replace(/case-\d+\//g, '');
    const cmd = `${c.memory !== undefined ? `prlimit --as=${c.memory} ` : ''}rnnkit ${c.args.join(' ')}`;
    return `| ${c.args[0]} | ${esc(c.what)} | \`${esc(cmd)}\` | ${o.code ?? o.signal} | ${esc(line) || '(none)'} |`;
  });
  fs.writeFileSync(file, ['| command | bad input | command line | exit | message (stderr) |', '|---|---|---|---|---|', ...rows].join('\n') + '\n');
}
