/**
 * The schedule that ends with the run (`rnnkit train --schedule linear`):
 * planSchedule lays it out from --steps, or from the time left and the
 * speed measured so far; the CLI keeps the plan in the model file, and an
 * interrupted run resumed to the same --steps equals an uninterrupted one.
 */

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { planSchedule } from '../src/cli/training-run.js';
import { learningRate } from '../src/train/schedules.js';

test('planSchedule: the end is the earlier of --steps and the update the time left reaches at the measured speed', () => {
  const linear = { kind: 'linear', warmup: 100 } as const;
  // 30 s left at 20 ms per update: 1,500 more updates, so the end is update 2,000; less the warm-up: horizon 1,900
  assert.deepEqual(planSchedule(linear, { step: 500, maxSteps: Infinity, leftMs: 30000, msPerStep: 20 }), { kind: 'linear', warmup: 100, horizon: 1900 });
  // --steps 1,200 comes first: horizon 1,100, whatever the speed
  assert.deepEqual(planSchedule(linear, { step: 500, maxSteps: 1200, leftMs: 30000, msPerStep: 20 }), { kind: 'linear', warmup: 100, horizon: 1100 });
  assert.deepEqual(planSchedule(linear, { step: 0, maxSteps: 1200, leftMs: Infinity, msPerStep: NaN }), { kind: 'linear', warmup: 100, horizon: 1100 });
  // no speed measured yet and no --steps: the warm-up, then η₀, until the next plan
  assert.deepEqual(planSchedule(linear, { step: 0, maxSteps: Infinity, leftMs: 60000, msPerStep: NaN }), { kind: 'constant', warmup: 100 });
  // … unless a resumed run brings its last plan: it goes on with it until the speed is measured
  const resumedPlan = { kind: 'linear', horizon: 2400, warmup: 100 } as const;
  assert.deepEqual(planSchedule(linear, { step: 2000, maxSteps: Infinity, leftMs: 60000, msPerStep: NaN }, resumedPlan), resumedPlan);
  assert.deepEqual(planSchedule(linear, { step: 2000, maxSteps: Infinity, leftMs: 30000, msPerStep: 20 }, resumedPlan), { kind: 'linear', warmup: 100, horizon: 3400 });
  // cosine with a floor, no warm-up: 10 s left at 25 ms → 400 more updates after 1,000: horizon 1,400
  assert.deepEqual(planSchedule({ kind: 'cosine', warmup: 0, floor: 1e-4 }, { step: 1000, maxSteps: Infinity, leftMs: 10000, msPerStep: 25 }), { kind: 'cosine', horizon: 1400, floor: 1e-4 });
  // the time is up: the end is now (η at the floor from this update on); the horizon is never below 1
  const late = planSchedule({ kind: 'linear', warmup: 0 }, { step: 700, maxSteps: Infinity, leftMs: -5, msPerStep: 20 });
  assert.deepEqual(late, { kind: 'linear', horizon: 700 });
  assert.equal(learningRate(late, 0.004, 700), 0);
  assert.deepEqual(planSchedule({ kind: 'linear', warmup: 50 }, { step: 10, maxSteps: 20, leftMs: Infinity, msPerStep: 3 }), { kind: 'linear', warmup: 50, horizon: 1 });
  // constant stays constant (with its warm-up)
  assert.deepEqual(planSchedule({ kind: 'constant', warmup: 0 }, { step: 5, maxSteps: 100, leftMs: 100, msPerStep: 1 }), { kind: 'constant' });
  // re-planned at a later point with the same speed, the end stays where it was
  const a = planSchedule(linear, { step: 600, maxSteps: Infinity, leftMs: 28000, msPerStep: 20 });
  assert.deepEqual(a, { kind: 'linear', warmup: 100, horizon: 1900 });
});

const BIN = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rnnkit-schedule-'));
const corpus = join(dir, 'corpus.txt');
writeFileSync(corpus, 'the cat sat on the mat. the dog sat on the log. '.repeat(40));
const TINY = ['--hidden', '16', '--seq-len', '16', '--batch', '4', '--eval-every', '10', '--sample-every', '0', '--sample-length', '20', '--lr', '0.01'];

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('train --schedule linear: interrupted, then resumed to the same --steps, equals an uninterrupted run bit for bit; the plan is in the report', async () => {
  // long enough that Ctrl-C after the first logged step lands well before the end (the run takes about 2 s)
  const N = '2000';
  const straight = join(dir, 'straight.rnn');
  const r = run(['train', corpus, ...TINY, '--schedule', 'linear', '--warmup', '20', '--steps', N, '--checkpoint-every', '0', '--out', straight]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /linear decay to 0 at the end, warm-up 20/);
  const ra = JSON.parse(readFileSync(join(dir, 'straight.report.json'), 'utf8')) as { finalValBpc: number; schedule: unknown; finalLearningRate: number };
  assert.deepEqual(ra.schedule, { kind: 'linear', horizon: 1980, warmup: 20 });
  // the last update (number 1999, 0-based) is the last before the end: η = 0.01·(1 − 1979/1980)
  assert.ok(Math.abs(ra.finalLearningRate - 0.01 / 1980) < 1e-12, String(ra.finalLearningRate));

  // the same run, stopped by Ctrl-C after its first logged step, then resumed (its schedule comes from the file)
  const split = join(dir, 'split.rnn');
  const child = spawn(process.execPath, [BIN, 'train', corpus, ...TINY, '--schedule', 'linear', '--warmup', '20', '--steps', N, '--checkpoint-every', '7', '--out', split, '--json-log'], { cwd: dir });
  let stdout = '';
  const exit = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  await new Promise<void>((started) => child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (stdout.includes('"step"')) started();
  }));
  child.kill('SIGINT');
  const code = await exit;
  assert.equal(code, 130, 'the run was not stopped by Ctrl-C, so the resume below would test nothing');
  const cut = JSON.parse(readFileSync(join(dir, 'split.report.json'), 'utf8')) as { step: number };
  assert.ok(cut.step < Number(N), `stopped at step ${cut.step}, not before the end`);
  const resumed = run(['train', '--resume', split, '--steps', N]);
  assert.equal(resumed.status, 0, resumed.stderr);
  const rb = JSON.parse(readFileSync(join(dir, 'split.report.json'), 'utf8')) as { finalValBpc: number; schedule: unknown; step: number };
  assert.equal(rb.step, Number(N));
  assert.deepEqual(rb.schedule, ra.schedule);
  assert.equal(rb.finalValBpc, ra.finalValBpc);
  const sample = (m: string) => run(['sample', m, '--prime', 'the ', '--length', '80', '--temperature', '1', '--seed', '5']).stdout;
  assert.equal(sample(split), sample(straight));
  // a constant schedule for comparison learns a different model (the schedule did act)
  const constant = join(dir, 'constant.rnn');
  assert.equal(run(['train', corpus, ...TINY, '--warmup', '20', '--steps', N, '--out', constant]).status, 0);
  const rc = JSON.parse(readFileSync(join(dir, 'constant.report.json'), 'utf8')) as { finalValBpc: number; schedule: unknown };
  assert.deepEqual(rc.schedule, { kind: 'constant', warmup: 20 });
  assert.notEqual(rc.finalValBpc, ra.finalValBpc);
});

test('train --time picks the model for the budget (from 2 minutes: hidden 384, AdamW, a peak of 0.016); --hidden, --optimizer and --lr override it; a resumed run keeps its own', () => {
  // two updates each: only the settings the run chose are read
  const chosen = (args: string[]): [number, string, number, string] => {
    const out = join(dir, `budget-${args.join('_').replace(/[^a-z0-9]/gi, '')}.rnn`);
    const r = run(['train', corpus, '--steps', '2', '--seq-len', '16', '--batch', '4', '--sample-every', '0', '--json', '--force', '-o', out, ...args]);
    assert.equal(r.status, 0, r.stderr);
    const s = (JSON.parse(r.stdout) as { settings: { hidden: number; optimizer: string; lr: number; schedule: string } }).settings;
    return [s.hidden, s.optimizer, s.lr, s.schedule];
  };
  assert.deepEqual(chosen(['--time', '60s']), [128, 'adam', 0.024, 'linear']);
  assert.deepEqual(chosen(['--time', '1m59s']), [128, 'adam', 0.024, 'linear']);
  assert.deepEqual(chosen(['--time', '2m']), [384, 'adamw', 0.016, 'linear']);
  assert.deepEqual(chosen(['--time', '1h']), [384, 'adamw', 0.016, 'linear']);
  // each default gives way to its option: an explicit size sets the peak for that size; an explicit rate is kept
  assert.deepEqual(chosen(['--time', '5m', '--hidden', '16']), [16, 'adamw', 0.024, 'linear']);
  assert.deepEqual(chosen(['--time', '5m', '--optimizer', 'adam']), [384, 'adam', 0.016, 'linear']);
  assert.deepEqual(chosen(['--time', '5m', '--lr', '0.01']), [384, 'adamw', 0.01, 'linear']);
  assert.deepEqual(chosen(['--hidden', '200', '--schedule', 'linear']), [200, 'adam', 0.016, 'linear']);
  // without --time: hidden 128, Adam at the constant rate
  assert.deepEqual(chosen([]), [128, 'adam', 0.008, 'constant']);
  // resumed with a long --time, the model keeps its size and update rule
  const small = join(dir, 'budget-small.rnn');
  assert.equal(run(['train', corpus, '--steps', '2', '--hidden', '16', '--seq-len', '16', '--batch', '4', '--sample-every', '0', '-o', small]).status, 0);
  const r = run(['train', '--resume', small, '--steps', '4', '--time', '10m', '--sample-every', '0', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const resumed = (JSON.parse(r.stdout) as { settings: { hidden: number; optimizer: string } }).settings;
  assert.deepEqual([resumed.hidden, resumed.optimizer], [16, 'adam']);
});
