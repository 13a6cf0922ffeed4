/**
 * The compiled CLI end to end: `rnnkit train` writes a model file, a loss
 * curve and a report; `rnnkit sample` streams text from the model;
 * `--resume` continues to the total `--steps`; Ctrl-C stops and saves;
 * bad options exit 2 and a missing file exits 1, each with a clear message.
 */

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'recurrent-cli-'));
const corpus = join(dir, 'corpus.txt');
writeFileSync(corpus, 'the cat sat on the mat. the dog sat on the log. '.repeat(40));
const TINY = ['--hidden', '16', '--seq-len', '16', '--batch', '4', '--eval-every', '10', '--sample-every', '0', '--sample-length', '20'];

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('train a tiny model, then sample from it', () => {
  const model = join(dir, 'tiny.rnn');
  const r = run(['train', corpus, ...TINY, '--steps', '30', '--out', model, '--lr', '0.01']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /trained 30 steps/);
  assert.match(r.stdout, /validation: \d\.\d{3} bits per char/);
  assert.ok(existsSync(model));
  const svg = readFileSync(join(dir, 'tiny.loss.svg'), 'utf8');
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /<polyline/);
  assert.match(svg, />training step</);
  const report = JSON.parse(readFileSync(join(dir, 'tiny.report.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(report.step, 30);
  assert.equal(report.stopReason, 'steps');
  assert.equal(typeof report.finalValBpc, 'number');
  assert.ok((report.charsPerSec as number) > 0);
  assert.equal((report.settings as { hidden: number }).hidden, 16);

  const s = run(['sample', model, '--prime', 'the ', '--length', '50', '--seed', '3']);
  assert.equal(s.status, 0, s.stderr);
  assert.equal([...s.stdout.replace(/\n$/, '')].length, 50);
  assert.equal(run(['sample', model, '--prime', 'the ', '--length', '50', '--seed', '3']).stdout, s.stdout, 'same seed, same text');
  const greedy = run(['sample', model, '--prime', 'the ', '--length', '40', '--greedy']);
  assert.equal(run(['sample', model, '--prime', 'the ', '--length', '40', '--top-k', '1', '--seed', '8']).stdout, greedy.stdout);
  const json = JSON.parse(run(['sample', model, '--length', '10', '--json']).stdout) as { text: string };
  assert.equal([...json.text].length, 10);
});

test('--resume continues to the total --steps, and --json-log prints one JSON object per line', () => {
  const model = join(dir, 'resume.rnn');
  assert.equal(run(['train', corpus, ...TINY, '--steps', '20', '--out', model]).status, 0);
  const r = run(['train', '--resume', model, '--steps', '40', '--json-log', '--eval-every', '10']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const logs = lines; // progress lines, sample lines and the final "done" line alike
  assert.ok(logs.length >= 2, r.stdout);
  for (const l of logs) {
    for (const key of ['step', 'trainLoss', 'charsPerSec', 'elapsedSec']) assert.equal(typeof l[key], 'number', `${key} in ${JSON.stringify(l)}`);
    assert.ok((l.step as number) > 20, 'a resumed run starts after step 20');
  }
  assert.ok(logs.some((l) => typeof l.valBpc === 'number'));
  assert.equal(logs[logs.length - 1]!.done, true);
  const report = JSON.parse(readFileSync(join(dir, 'resume.report.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(report.step, 40);
  assert.equal(report.stepsThisRun, 20);
  // a fixed model option may not change on resume
  const bad = run(['train', '--resume', model, '--hidden', '32']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--hidden 32 conflicts with the resumed model's 16/);
});

test('training 40 steps straight equals 20 steps, then resuming to 40 (with checkpoints on the way)', () => {
  const straight = join(dir, 'straight.rnn');
  const split = join(dir, 'split.rnn');
  assert.equal(run(['train', corpus, ...TINY, '--steps', '40', '--checkpoint-every', '0', '--out', straight]).status, 0);
  assert.equal(run(['train', corpus, ...TINY, '--steps', '20', '--out', split]).status, 0);
  const r = run(['train', '--resume', split, '--steps', '40', '--checkpoint-every', '15']);
  assert.equal(r.status, 0, r.stderr);
  const a = run(['sample', straight, '--prime', 'the ', '--length', '80', '--temperature', '1', '--seed', '5']);
  const b = run(['sample', split, '--prime', 'the ', '--length', '80', '--temperature', '1', '--seed', '5']);
  assert.equal(b.stdout, a.stdout);
  const ra = JSON.parse(readFileSync(join(dir, 'straight.report.json'), 'utf8')) as { finalValBpc: number };
  const rb = JSON.parse(readFileSync(join(dir, 'split.report.json'), 'utf8')) as { finalValBpc: number };
  assert.equal(rb.finalValBpc, ra.finalValBpc);
});

test('the first Ctrl-C stops training cleanly and saves the model', async () => {
  const model = join(dir, 'interrupted.rnn');
  const child = spawn(process.execPath, [BIN, 'train', corpus, ...TINY, '--steps', '1000000', '--out', model, '--json-log'], { cwd: dir });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  await new Promise<void>((started) => child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (stdout.includes('"step"')) started();
  }));
  child.kill('SIGINT');
  const code = await exit;
  assert.equal(code, 130, stderr);
  assert.ok(existsSync(model), 'model saved');
  const report = JSON.parse(readFileSync(join(dir, 'interrupted.report.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(report.stopReason, 'interrupted');
  assert.ok((report.step as number) >= 1);
});

test('bad options exit 2 with a one-line message; a missing file exits 1', () => {
  for (const [args, pattern] of [
    [['train', corpus, '--hidden', '0'], /--hidden must be at least 1/],
    [['train', corpus, '--cell', 'transformer'], /--cell must be one of rnn, lstm, gru/],
    [['train', corpus, '--time', 'soon'], /--time must be a duration/],
    [['train'], /give a text file to train on, or --dataset moby-dick/],
    [['train', corpus, '--dataset', 'moby-dick'], /either a text file or --dataset/],
    [['sample', 'm.rnn', '--top-p', '1.5'], /--top-p must be at most 1/],
  ] as const) {
    const r = run([...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    const first = r.stderr.split('\n')[0]!;
    assert.match(first, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  const missing = run(['train', join(dir, 'no-such.txt'), '--steps', '1']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^rnnkit: no such file: .*no-such\.txt\n$/);
  const noModel = run(['sample', join(dir, 'no-such.rnn')]);
  assert.equal(noModel.status, 1);
  assert.match(noModel.stderr, /no-such\.rnn/);
});

test('--threads 2 trains the same model as --threads 1 up to float32 summation order; --threads 0 is bad usage', () => {
  const losses: number[] = [];
  for (const threads of ['1', '2']) {
    const model = join(dir, `threads${threads}.rnn`);
    const r = run(['train', corpus, ...TINY, '--batch', '16', '--steps', '25', '--out', model, '--threads', threads]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`kernels, ${threads} thread${threads === '1' ? '' : 's'}\\)`));
    const report = JSON.parse(readFileSync(join(dir, `threads${threads}.report.json`), 'utf8')) as { threads: number; finalTrainLoss: number; finalValBpc: number };
    assert.equal(report.threads, Number(threads));
    losses.push(report.finalTrainLoss, report.finalValBpc);
  }
  assert.ok(Math.abs(losses[0]! - losses[2]!) < 1e-3, `train loss ${losses[0]} vs ${losses[2]}`);
  assert.ok(Math.abs(losses[1]! - losses[3]!) < 1e-3, `validation bpc ${losses[1]} vs ${losses[3]}`);
  const bad = run(['train', corpus, '--threads', '0']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--threads/);
});
