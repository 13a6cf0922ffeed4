/**
 * `rnnkit export` and `rnnkit import` (issue 15), as a user runs them:
 * every format there and back keeps a text model's greedy text; outputs
 * are never replaced without --force; damaged files and inexpressible
 * models fail with one line; and the command sequences of docs/weights.md
 * ("The two roads") run as written (the PyTorch one skipped, saying why,
 * without torch).
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeCheckpoint, encodeCheckpoint } from '../src/io/checkpoint.js';
import { distinctNet, forwardDense, maxDiff } from './helpers/portable.js';
import { runCli } from './helpers/cli.js';
import { runTorchrun, TORCH_SKIP } from './helpers/torch.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOC = readFileSync(path.join(ROOT, 'docs/weights.md'), 'utf8');
const CORPUS = 'the cat sees the dog. the dog hunts the whale. the sailor fears the sea. the whale finds the ship. '.repeat(120);

function workdir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rnnkit-export-cli-'));
  writeFileSync(path.join(dir, 'corpus.txt'), CORPUS);
  return dir;
}

function ok(args: string[], cwd: string): string {
  const r = runCli(args, { cwd });
  assert.equal(r.code, 0, `rnnkit ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected: ${stderr}`);
  return lines[0]!;
}

const GREEDY = ['--prime', 'the ', '--length', '60', '--greedy'];

test('export → import keeps a text model: the same greedy text after ONNX, TF.js and safetensors', () => {
  const dir = workdir();
  try {
    ok(['train', 'corpus.txt', '--steps', '40', '--hidden', '24', '--layers', '2', '--threads', '1', '-o', 'm.rnn'], dir);
    const want = ok(['sample', 'm.rnn', ...GREEDY], dir);
    assert.ok(want.trim().length > 0);
    for (const [format, out] of [['onnx', 'm.onnx'], ['tfjs', 'web'], ['safetensors', 'm.safetensors']] as const) {
      const report = JSON.parse(ok(['export', 'm.rnn', '--format', format, '-o', out, '--json'], dir)) as { files: string[] };
      assert.ok(report.files.length >= 1);
      ok(['import', out, '-o', `${format}.rnn`], dir);
      assert.equal(ok(['sample', `${format}.rnn`, ...GREEDY], dir), want, `${format}: greedy text differs`);
      const a = decodeCheckpoint(readFileSync(path.join(dir, 'm.rnn'))).networks.model!;
      const b = decodeCheckpoint(readFileSync(path.join(dir, `${format}.rnn`))).networks.model!;
      assert.deepEqual(Array.from(b.params.data), Array.from(a.params.data), `${format}: parameters differ`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('export and import replace an existing output only with --force (exit 2, one line, otherwise)', () => {
  const dir = workdir();
  try {
    writeFileSync(path.join(dir, 'm.rnn'), encodeCheckpoint({ networks: { model: distinctNet({ cell: 'gru', inputSize: 2, hiddenSize: 3, outputSize: 2 }) } }));
    ok(['export', 'm.rnn', '--format', 'onnx', '-o', 'm.onnx'], dir);
    const again = runCli(['export', 'm.rnn', '--format', 'onnx', '-o', 'm.onnx'], { cwd: dir });
    assert.equal(again.code, 2);
    assert.match(oneLine(again.stderr), /^rnnkit: output m\.onnx already exists; add --force/);
    ok(['export', 'm.rnn', '--format', 'onnx', '-o', 'm.onnx', '--force'], dir);
    ok(['import', 'm.onnx', '-o', 'back.rnn'], dir);
    const over = runCli(['import', 'm.onnx', '-o', 'back.rnn'], { cwd: dir });
    assert.equal(over.code, 2);
    assert.match(oneLine(over.stderr), /already holds a model; add --force/);
    ok(['import', 'm.onnx', '-o', 'back.rnn', '--force'], dir);
    const self = runCli(['import', 'm.onnx', '-o', 'm.onnx', '--force'], { cwd: dir });
    assert.equal(self.code, 2, 'the input is never the output');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a damaged file, an inexpressible model and bad usage fail with one line naming the file and format', () => {
  const dir = workdir();
  try {
    writeFileSync(path.join(dir, 'gru.rnn'), encodeCheckpoint({ networks: { model: distinctNet({ cell: 'gru', inputSize: 2, hiddenSize: 3, outputSize: 2 }) } }));
    const tfjs = runCli(['export', 'gru.rnn', '--format', 'tfjs', '-o', 'web'], { cwd: dir });
    assert.equal(tfjs.code, 1);
    assert.match(oneLine(tfjs.stderr), /^rnnkit: TF\.js: tf\.layers\.gru is the reset-before GRU only/);
    ok(['export', 'gru.rnn', '--format', 'safetensors', '-o', 'g.safetensors'], dir);
    const bytes = readFileSync(path.join(dir, 'g.safetensors'));
    writeFileSync(path.join(dir, 'cut.safetensors'), bytes.subarray(0, bytes.length - 10));
    const cut = runCli(['import', 'cut.safetensors', '-o', 'x.rnn'], { cwd: dir });
    assert.equal(cut.code, 1);
    assert.match(oneLine(cut.stderr), /^rnnkit: cut\.safetensors: safetensors: the file is truncated: tensor "[^"]+" ends at data byte \d+ but the data has \d+$/);
    writeFileSync(path.join(dir, 'junk.onnx'), 'not a model at all\n');
    const junk = runCli(['import', 'junk.onnx', '-o', 'x.rnn'], { cwd: dir });
    assert.equal(junk.code, 1);
    assert.match(oneLine(junk.stderr), /^rnnkit: junk\.onnx: ONNX: /);
    const usage = runCli(['export', 'gru.rnn', '-o', 'x.onnx'], { cwd: dir });
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--format is required/);
    for (const cmd of ['export', 'import']) {
      const help = runCli([cmd, '--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /--format/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The fenced block after each "<!-- test/export-cli.test.ts runs this block… -->" in docs/weights.md. */
function docBlocks(): { lang: string; body: string }[] {
  const re = /<!-- test\/export-cli\.test\.ts runs this block[^>]*-->\n```(\w+)\n([\s\S]*?)```/g;
  return [...DOC.matchAll(re)].map((m) => ({ lang: m[1]!, body: m[2]! }));
}

function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

test('docs/weights.md: "Train here, serve with ONNX Runtime" runs as written, and its ONNX Runtime snippet predicts what forward does', () => {
  const blocks = docBlocks();
  assert.equal(blocks.length, 3, 'three marked blocks in docs/weights.md');
  const [, road, snippet] = blocks;
  assert.equal(road!.lang, 'sh');
  assert.equal(snippet!.lang, 'js');
  const dir = workdir();
  try {
    const lines = road!.body.trim().split('\n');
    for (const line of lines) ok(words(line).slice(1), dir);
    const sampled = ok(words(lines.at(-1)!).slice(1), dir);
    assert.equal(ok(['sample', 'model.rnn', ...words(lines.at(-1)!).slice(3)], dir), sampled, 'the re-imported model writes the same greedy text');
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    writeFileSync(path.join(dir, 'serve.mjs'), snippet!.body);
    const net = decodeCheckpoint(readFileSync(path.join(dir, 'model.rnn'))).networks.model!;
    const { inputSize: D, layers: L, hiddenSize: H } = net.config;
    const i = 3;
    const r = spawnSync(process.execPath, ['serve.mjs', String(D), String(L), String(H), String(i)], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const y = JSON.parse(r.stdout) as number[];
    const x = new Float32Array(D);
    x[i] = 1;
    assert.ok(maxDiff(y, forwardDense(net, x, 1, 1).y) <= 1e-5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('docs/weights.md: "Train big in PyTorch, run here" runs as written (torchrun on 2 processes, loopback)', { skip: TORCH_SKIP }, async (t) => {
  const [road] = docBlocks();
  assert.equal(road!.lang, 'sh');
  const dir = workdir();
  try {
    for (const line of road!.body.trim().split('\n')) {
      const [cmd, ...args] = words(line);
      if (cmd === 'rnnkit') {
        ok(args, dir);
        continue;
      }
      assert.equal(cmd, 'torchrun');
      const script = args.findIndex((a) => a.endsWith('rnnkit_torch.py'));
      const { report, attempts } = await runTorchrun(args.slice(0, script), args.slice(script + 1), dir);
      for (const a of attempts) t.diagnostic(`retried after: ${a}`);
      assert.ok(report.heldOutAfter < report.heldOutBefore, `held-out loss fell: ${report.heldOutBefore} → ${report.heldOutAfter}`);
      assert.deepEqual(report.parameterSums[0], report.parameterSums[1]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bidirectional model goes out and back in every format (bidirectional: true, same bits); TF.js refuses a bidirectional reset-after GRU in one line', () => {
  const dir = workdir();
  try {
    const net = distinctNet({ cell: 'lstm', inputSize: 3, hiddenSize: 4, outputSize: 2, layers: 2, bidirectional: true });
    writeFileSync(path.join(dir, 'bi.rnn'), encodeCheckpoint({ networks: { model: net } }));
    for (const [format, out] of [['onnx', 'bi.onnx'], ['tfjs', 'bi-web'], ['safetensors', 'bi.safetensors']] as const) {
      ok(['export', 'bi.rnn', '--format', format, '-o', out], dir);
      ok(['import', out, '-o', `bi-${format}.rnn`], dir);
      const back = decodeCheckpoint(readFileSync(path.join(dir, `bi-${format}.rnn`))).networks.model!;
      assert.equal(back.config.bidirectional, true, format);
      assert.deepEqual(Array.from(back.params.data), Array.from(net.params.data), `${format}: parameters differ`);
    }
    writeFileSync(path.join(dir, 'bigru.rnn'), encodeCheckpoint({ networks: { model: distinctNet({ cell: 'gru', inputSize: 2, hiddenSize: 3, outputSize: 2, bidirectional: true }) } }));
    const r = runCli(['export', 'bigru.rnn', '--format', 'tfjs', '-o', 'bigru-web'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(oneLine(r.stderr), /TF\.js: tf\.layers\.gru is the reset-before GRU only/);
    assert.equal(existsSync(path.join(dir, 'bigru-web')), false, 'no folder written');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
