/**
 * Fault tests (issue 9): a child process training with a checkpoint after
 * every step is killed at random moments — SIGKILL, SIGINT, SIGTERM — many
 * times; every time the checkpoint on disk must load and be the latest one
 * the child completed. Also: the output-path lock (two runs writing the same
 * model file do not interleave; a stale lock is taken over).
 *
 * The children run the compiled library (dist/), so build first
 * (`npm run build`). Randomness of the kill moments comes from a seeded
 * generator (FAULT_SEED), so a failure can be replayed.
 */

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, test } from 'node:test';
import { Rng } from '../src/core/rng.js';
import { crc32 } from '../src/io/crc32.js';
import { loadCheckpointFileSync } from '../src/node/checkpoint-file.js';
import { OptionError } from '../src/core/errors.js';
import { LockError, lockFileOf, lockOutput } from '../src/node/lock.js';

/** The compiled tree: this file's own when compiled, else ../dist (when run through tsx). */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const DIST = process.env.RECURRENT_DIST ?? (path.basename(path.dirname(HERE)) === 'dist' ? path.dirname(HERE) : path.join(HERE, '..', 'dist'));
const distUrl = (p: string): string => pathToFileURL(path.join(DIST, p)).href;
const SEED = process.env.FAULT_SEED !== undefined ? Number(process.env.FAULT_SEED) : 9;
/** The kill experiments need the compiled library for their children. */
const NOT_BUILT = fs.existsSync(path.join(DIST, 'src', 'train', 'fit.js')) ? false : `${DIST} is not built (npm run build)`;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-faults-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

// ---------------------------------------------------------------- the child

/**
 * The child: trains a small LSTM with `fit`, saving an atomic checkpoint
 * after every update and then printing `saved <step> <crc32 of θ>`. On
 * SIGINT/SIGTERM (when GRACEFUL) it stops `fit` through its AbortSignal,
 * saves the final state and prints `final <step> <crc>`, as the CLI does.
 */
const CHILD = `
import { Network } from '${distUrl('src/model/network.js')}';
import { fit } from '${distUrl('src/train/fit.js')}';
import { StreamBatches, symbolStream } from '${distUrl('src/data/windows.js')}';
import { saveCheckpointFile } from '${distUrl('src/node/checkpoint-file.js')}';
import { crc32 } from '${distUrl('src/io/crc32.js')}';
const [file, graceful] = process.argv.slice(2);
const net = new Network({ cell: 'lstm', inputSize: 12, hiddenSize: 24, outputSize: 12, loss: 'cross-entropy', seed: 3 });
const ids = new Int32Array(4000).map((_, i) => (i * 7 + (i >> 3)) % 12);
const data = new StreamBatches(symbolStream(ids, 12), { batchSize: 4, seqLen: 16 });
const controller = new AbortController();
if (graceful === '1') {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => controller.abort());
}
const theta = () => crc32(new Uint8Array(net.params.data.buffer, net.params.data.byteOffset, net.params.data.byteLength));
const save = (step) => saveCheckpointFile(file, { networks: { model: net }, step });
let last = 0;
process.stdout.write('ready\\n');
await fit(net, data, {
  optimizer: { kind: 'adam' }, learningRate: 0.01, epochs: 100000, signal: controller.signal, yieldEveryMs: 1,
  onStep: async (rec) => {
    await save(rec.step);
    last = rec.step;
    process.stdout.write('saved ' + rec.step + ' ' + theta() + '\\n');
  },
});
if (last > 0) await save(last);
process.stdout.write('final ' + last + ' ' + theta() + '\\n');
`;
const childFile = path.join(dir, 'child.mjs');
fs.writeFileSync(childFile, CHILD);

interface RunResult {
  readonly saved: { step: number; crc: number }[];
  readonly final: { step: number; crc: number } | null;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Collects a child's stdout lines; resolves when it exits. */
function watch(child: ChildProcess, onLine: (line: string) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let buf = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  child.stderr!.on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
}

/**
 * Runs the child and sends `sig` `delayMs` after it printed "ready" (its
 * modules loaded), or, with `afterSaves`, that many ms after its n-th
 * "saved" line — to land inside the next save.
 */
async function runAndKill(file: string, sig: NodeJS.Signals, graceful: boolean, delayMs: number, afterSaves: number): Promise<RunResult> {
  const child = spawn(process.execPath, [childFile, file, graceful ? '1' : '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const saved: { step: number; crc: number }[] = [];
  let final: { step: number; crc: number } | null = null;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    timer = setTimeout(() => child.kill(sig), delayMs);
  };
  const done = watch(child, (line) => {
    const [what, a, b] = line.split(' ');
    if (what === 'ready' && afterSaves === 0) arm();
    if (what === 'saved') {
      saved.push({ step: Number(a), crc: Number(b) });
      if (saved.length === afterSaves) arm();
    }
    if (what === 'final') final = { step: Number(a), crc: Number(b) };
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const r = await done;
  clearTimeout(timer);
  clearTimeout(guard);
  return { saved, final, ...r };
}

function thetaCrc(file: string): { step: number; crc: number } {
  const c = loadCheckpointFileSync(file);
  const p = c.networks.model!.params.data;
  return { step: c.step ?? -1, crc: crc32(new Uint8Array(p.buffer, p.byteOffset, p.byteLength)) };
}

/** Temporary files a killed writer may leave next to `file` (they never replace it). */
function leftovers(file: string): string[] {
  const base = path.basename(file);
  return fs.readdirSync(path.dirname(file)).filter((f) => f.startsWith(`.${base}.`) && f.endsWith('.tmp'));
}

/** Runs `n` kill experiments, two at a time, and checks each with `verify`. */
async function experiments(n: number, make: (k: number, rng: Rng) => Parameters<typeof runAndKill>, verify: (r: RunResult, file: string, what: string) => void): Promise<{ runs: number; leftovers: number; steps: number[] }> {
  const rng = new Rng(SEED);
  const plans = Array.from({ length: n }, (_, k) => make(k, rng));
  let leftoverCount = 0;
  const steps: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < plans.length) {
      const k = next++;
      const [file, sig, graceful, delay, afterSaves] = plans[k]!;
      const r = await runAndKill(file, sig, graceful, delay, afterSaves);
      const what = `run ${k}: ${sig}${graceful ? ' (graceful)' : ''} ${delay} ms after ${afterSaves ? `save ${afterSaves}` : 'start'}; child reported ${r.saved.length} saves${r.final ? `, final ${r.final.step}` : ''}, exit ${r.code ?? r.signal}`;
      assert.ok(!/Error|at .*\.js/.test(r.stderr), `${what}: the child wrote an error: ${r.stderr}`);
      verify(r, file, what);
      leftoverCount += leftovers(file).length;
      steps.push(r.saved.length);
    }
  };
  await Promise.all([worker(), worker()]);
  return { runs: n, leftovers: leftoverCount, steps };
}

/** The exact check: the file is the last save the child reported, or the one it was making when killed. */
function latestCompleted(r: RunResult, file: string, what: string): void {
  const last = r.saved[r.saved.length - 1];
  if (!fs.existsSync(file)) {
    assert.equal(r.saved.length, 0, `${what}: no checkpoint on disk after a reported save`);
    return;
  }
  const onDisk = thetaCrc(file); // throws (fails the test) unless the file is complete and intact
  if (!last) {
    assert.equal(onDisk.step, 1, `${what}: a checkpoint other than the first in flight`);
    return;
  }
  assert.ok(onDisk.step === last.step || onDisk.step === last.step + 1, `${what}: the file holds step ${onDisk.step}, the last completed save was step ${last.step}`);
  if (onDisk.step === last.step) assert.equal(onDisk.crc, last.crc, `${what}: step ${last.step} on disk has other parameters than were saved`);
}

test('SIGKILL at random moments: the checkpoint on disk always loads and is the latest completed one', { skip: NOT_BUILT }, async () => {
  const r = await experiments(20, (k, rng) => [path.join(dir, `kill-${k}.rnn`), 'SIGKILL', false, Math.floor(rng.uniform(0, 300)), k % 3 === 0 ? 0 : 1 + Math.floor(rng.uniform(0, 12))], latestCompleted);
  assert.ok(r.steps.filter((s) => s > 0).length >= 10, `too few runs got as far as a save: ${r.steps.join(',')}`);
  // A killed writer may leave its temporary file behind (it cannot clean up), never a damaged model file.
  console.log(`# SIGKILL: ${r.runs} runs, saves before the kill: ${r.steps.join(',')}; temporary files left: ${r.leftovers}`);
});

test('SIGINT and SIGTERM without a handler (the process dies at once): the same guarantee', { skip: NOT_BUILT }, async () => {
  const r = await experiments(10, (k, rng) => [path.join(dir, `int-${k}.rnn`), k % 2 ? 'SIGINT' : 'SIGTERM', false, Math.floor(rng.uniform(0, 200)), 1 + Math.floor(rng.uniform(0, 12))], latestCompleted);
  console.log(`# SIGINT/SIGTERM, no handler: ${r.runs} runs, saves before the signal: ${r.steps.join(',')}; temporary files left: ${r.leftovers}`);
});

test('SIGINT, SIGTERM and SIGHUP handled (stop, save, exit): the file is exactly the final state the child reported', { skip: NOT_BUILT }, async () => {
  const r = await experiments(12, (k, rng) => [path.join(dir, `grace-${k}.rnn`), (['SIGINT', 'SIGTERM', 'SIGHUP'] as const)[k % 3]!, true, Math.floor(rng.uniform(0, 200)), k % 4 === 0 ? 0 : 1 + Math.floor(rng.uniform(0, 12))], (res, file, what) => {
    assert.equal(res.code, 0, `${what}: exit code`);
    assert.ok(res.final, `${what}: no final line`);
    if (res.final.step === 0) {
      assert.ok(!fs.existsSync(file) || thetaCrc(file).step === 1, what);
      return;
    }
    assert.deepEqual(thetaCrc(file), res.final, `${what}: the file is not the final state`);
    assert.equal(leftovers(file).length, 0, `${what}: a graceful stop left temporary files`);
  });
  console.log(`# SIGINT/SIGTERM/SIGHUP handled: ${r.runs} runs, saves before the signal: ${r.steps.join(',')}`);
});

// ---------------------------------------------------------------- the CLI

const BIN = path.join(DIST, 'src', 'cli', 'bin.js');
const corpus = path.join(dir, 'corpus.txt');
fs.writeFileSync(corpus, 'the quick brown fox jumps over the lazy dog. '.repeat(60));

/** How a CLI run is cut short: a signal, or `'EPIPE'` — its stdout closed by the reader, as `| head -2` does. */
type Stop = NodeJS.Signals | 'EPIPE';

/** Exit code of a run stopped cleanly by each cause: 128 + the signal's number (SIGPIPE for a closed stdout). */
const STOP_EXIT: Record<string, number> = { SIGHUP: 129, SIGINT: 130, EPIPE: 141, SIGTERM: 143 };

/**
 * `rnnkit train` with a checkpoint every step; stopped `delayMs` after its
 * first progress line (an event, not a guess at how long start-up takes).
 * `threads` 2 trains 16 streams data-parallel on two threads. `'EPIPE'`
 * closes the child's stdout instead of signalling it.
 */
async function killTrain(out: string, sig: Stop, delayMs: number, threads: 1 | 2): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; steps: number[]; finalStep: number | null }> {
  const child = spawn(process.execPath, [BIN, 'train', corpus, '-o', out, '--checkpoint-every', '1', '--steps', '100000', '--json-log',
    '--hidden', '16', '--seq-len', '16', ...(threads === 2 ? ['--batch', '16', '--threads', '2'] : ['--batch', '4', '--threads', '1']),
    '--sample-every', '0', '--eval-every', '1000000', '--cell', 'rnn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const steps: number[] = [];
  let finalStep: number | null = null;
  let armed = false;
  const done = watch(child, (line) => {
    let j: { step?: unknown; done?: unknown } = {};
    try {
      j = JSON.parse(line) as typeof j;
    } catch {
      return;
    }
    if (typeof j.step === 'number') {
      if (j.done === true) finalStep = j.step;
      else steps.push(j.step);
      if (!armed) {
        armed = true;
        setTimeout(() => (sig === 'EPIPE' ? child.stdout!.destroy() : child.kill(sig)), delayMs);
      }
    }
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const r = await done;
  clearTimeout(guard);
  return { ...r, steps, finalStep };
}

test('rnnkit train --checkpoint-every 1, on one thread or two, killed (SIGKILL), stopped (SIGINT, SIGTERM, SIGHUP) or its stdout closed at random moments: the model file always loads and holds the step reported', async (t) => {
  if (!fs.existsSync(BIN)) {
    t.skip(`${BIN} is not built`);
    return;
  }
  const rng = new Rng(SEED + 1);
  const stops: Stop[] = ['SIGKILL', 'SIGINT', 'SIGHUP', 'SIGTERM', 'EPIPE'];
  const plans = Array.from({ length: 15 }, (_, k) => ({
    out: path.join(dir, `cli-${k}.rnn`), sig: stops[k % stops.length]!, delay: Math.floor(rng.uniform(0, 500)),
    threads: (Math.floor(k / stops.length) % 2 === 0 ? 1 : 2) as 1 | 2,
  }));
  let next = 0;
  const summary: string[] = [];
  const worker = async (): Promise<void> => {
    while (next < plans.length) {
      const { out, sig, delay, threads } = plans[next++]!;
      const r = await killTrain(out, sig, delay, threads);
      const lastReported = r.steps.length ? Math.max(...r.steps) : 0;
      const what = `${sig} ${delay} ms after the first progress line, ${threads} thread(s) (last reported step ${lastReported}, exit ${r.code ?? r.signal})`;
      assert.ok(!r.stderr.includes('    at '), `${what}: stack trace: ${r.stderr}`);
      if (sig !== 'SIGKILL') {
        // stops cleanly: saves, exit code 128 + the signal's number (never 0)
        assert.equal(r.code, STOP_EXIT[sig], `${what}: ${r.stderr}`);
        if (sig === 'EPIPE') {
          // stdout is gone, so the step is the one the report beside the model gives
          const report = JSON.parse(fs.readFileSync(out.replace(/\.rnn$/, '.report.json'), 'utf8')) as { step: number; stopReason: string };
          assert.equal(loadCheckpointFileSync(out).step, report.step, what);
          assert.equal(report.stopReason, 'interrupted', what);
          assert.ok(report.step >= lastReported, `${what}: the model holds step ${report.step}`);
        } else {
          assert.ok(r.finalStep !== null, `${what}: no final summary`);
          assert.equal(loadCheckpointFileSync(out).step, r.finalStep, what);
        }
        assert.equal(leftovers(out).length, 0, `${what}: temporary files left`);
        assert.ok(!fs.existsSync(lockFileOf(out)), `${what}: lock file left behind`);
      } else if (fs.existsSync(out)) {
        // progress for step s is printed before step s is saved: the file holds s − 1 or later
        const step = loadCheckpointFileSync(out).step ?? 0;
        assert.ok(step >= lastReported - 1, `${what}: the file holds step ${step}`);
      } else {
        assert.ok(lastReported <= 1, `${what}: no model file after step ${lastReported}`);
      }
      summary.push(`${sig}@${delay}ms×${threads}→${r.finalStep ?? lastReported}`);
    }
  };
  await Promise.all([worker(), worker()]);
  console.log(`# CLI: ${summary.join(' ')}`);
});

test('rnnkit train --json-log | head -2: the run stops, saves the model and its report, and exits 141, not 0', async (t) => {
  if (!fs.existsSync(BIN)) {
    t.skip(`${BIN} is not built`);
    return;
  }
  const sub = fs.mkdtempSync(path.join(dir, 'head-'));
  const out = path.join(sub, 'm.rnn');
  const child = spawn(process.execPath, [BIN, 'train', corpus, '--steps', '100000', '--json-log', '-o', out, '--hidden', '8', '--seq-len', '8',
    '--batch', '2', '--cell', 'rnn', '--sample-every', '0', '--checkpoint-every', '0', '--threads', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let lines = 0;
  const done = watch(child, () => {
    // what head -2 does: read two lines, then close the pipe
    if (++lines === 2) child.stdout!.destroy();
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const r = await done;
  clearTimeout(guard);
  assert.equal(r.code, 141, r.stderr);
  assert.ok(!r.stderr.includes('    at '), r.stderr);
  const report = JSON.parse(fs.readFileSync(path.join(sub, 'm.report.json'), 'utf8')) as { step: number; stopReason: string };
  assert.ok(report.step > 0 && report.step < 100000, `report step ${report.step}`);
  assert.equal(loadCheckpointFileSync(out).step, report.step);
  assert.ok(!fs.existsSync(lockFileOf(out)), 'lock file left behind');
});

test('rnnkit sample --length 10000000 | head -c 80: exits 141 within 3 s of the reader going, not after drawing every symbol', async (t) => {
  if (!fs.existsSync(BIN)) {
    t.skip(`${BIN} is not built`);
    return;
  }
  const sub = fs.mkdtempSync(path.join(dir, 'sample-head-'));
  const model = path.join(sub, 'm.rnn');
  const made = spawnSync(process.execPath, [BIN, 'train', corpus, '-o', model, '--steps', '2', '--hidden', '8', '--seq-len', '8', '--batch', '2', '--sample-every', '0'], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  // drawing all 10 million symbols takes tens of seconds here; the pipe closes after the first chunk
  const child = spawn(process.execPath, [BIN, 'sample', model, '--length', '10000000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let closedAt = 0;
  child.stdout!.once('data', () => {
    closedAt = Date.now();
    child.stdout!.destroy();
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(guard);
  const afterMs = Date.now() - closedAt;
  assert.equal(code, 141, stderr);
  assert.equal(stderr, '');
  assert.ok(afterMs < 3000, `sample went on for ${afterMs} ms after its reader closed the pipe`);
});

// ---------------------------------------------------------------- the output lock

test('lock: a second writer of the same output is refused with the holder named; released, it can take it', () => {
  const out = path.join(dir, 'locked.rnn');
  const a = lockOutput(out, { command: 'rnnkit train' });
  assert.ok(fs.existsSync(lockFileOf(out)));
  assert.throws(() => lockOutput(out), (e: unknown) => e instanceof LockError &&
    e.message.includes(`is being written by another run (rnnkit train, pid ${process.pid}`) && e.message.includes(`delete ${lockFileOf(out)}`));
  a.release();
  a.release();
  assert.ok(!fs.existsSync(lockFileOf(out)));
  lockOutput(out).release();
  assert.throws(() => lockOutput(path.join(dir, 'no', 'such', 'dir', 'x.rnn')), /its directory does not exist/);
});

test('lock: an output that exists but is not a regular file (directory, device, symbolic link) is refused before anything runs', () => {
  const sub = fs.mkdtempSync(path.join(dir, 'out-'));
  fs.writeFileSync(path.join(sub, 'model.rnn'), 'old');
  fs.symlinkSync(path.join(sub, 'model.rnn'), path.join(sub, 'link.rnn'));
  assert.throws(() => lockOutput(sub), (e: unknown) => e instanceof OptionError && / is a directory; give the path of a file to write/.test(e.message));
  assert.throws(() => lockOutput(path.join(sub, 'link.rnn')), / is a symbolic link;/);
  assert.throws(() => lockOutput('/dev/null'), /\/dev\/null is not a regular file \(a device, pipe or socket\)/);
  assert.ok(!fs.existsSync(`${sub}.lock`) && !fs.existsSync('/dev/null.lock'));
  lockOutput(path.join(sub, 'model.rnn')).release();
  lockOutput(path.join(sub, 'new.rnn')).release();
});

test('lock: a stale lock (its process is gone) is taken over; a fresh unreadable one is not, an old one is', () => {
  const out = path.join(dir, 'stale.rnn');
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const deadPid = Number(dead.stdout);
  fs.writeFileSync(lockFileOf(out), JSON.stringify({ pid: deadPid, host: os.hostname(), started: 'earlier', command: 'rnnkit train', token: 'x' }));
  const l = lockOutput(out);
  assert.equal(JSON.parse(fs.readFileSync(lockFileOf(out), 'utf8')).pid, process.pid);
  l.release();

  fs.writeFileSync(lockFileOf(out), '');
  assert.throws(() => lockOutput(out), /locked by another run \(lock file .*, being created or damaged\)/);
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(lockFileOf(out), old, old);
  lockOutput(out).release();

  // another host's lock cannot be checked: refused
  fs.writeFileSync(lockFileOf(out), JSON.stringify({ pid: 1, host: 'elsewhere', started: 'earlier', command: 'rnnkit train', token: 'y' }));
  assert.throws(() => lockOutput(out), /pid 1 on host elsewhere/);
  fs.rmSync(lockFileOf(out));
});

test('lock: processes racing for the same output, many rounds: exactly one wins each round', async (t) => {
  if (!fs.existsSync(path.join(DIST, 'src', 'node', 'lock.js'))) {
    t.skip(`${DIST} is not built`);
    return;
  }
  const script = path.join(dir, 'racer.mjs');
  fs.writeFileSync(script, `
import { lockOutput } from '${distUrl('src/node/lock.js')}';
// ready → wait for "go" → try the lock → report → hold it until "release", then exit
const [out] = process.argv.slice(2);
let lock = null;
let tried = false;
let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buffered += d;
  if (buffered.includes('go\\n') && !tried) {
    tried = true;
    try {
      lock = lockOutput(out);
      process.stdout.write('won\\n');
    } catch (e) {
      process.stdout.write(e.name === 'LockError' ? 'lost\\n' : 'error ' + e.message + '\\n');
    }
  }
  if (buffered.includes('release\\n')) {
    lock?.release();
    process.exit(0);
  }
});
process.stdout.write('ready\\n');
`);
  for (let round = 0; round < 4; round++) {
    const out = path.join(dir, `race-${round}.rnn`);
    if (round % 2) {
      // a stale lock to fight over
      fs.writeFileSync(lockFileOf(out), JSON.stringify({ pid: 999999999, host: os.hostname(), started: 'earlier', command: 'x', token: 'stale' }));
    }
    // Events, not a head start: every racer has loaded the lock code and said
    // "ready" before any is told "go"; the winner holds the lock until every
    // racer has answered, so a slow loser cannot arrive after the release.
    const racers = [0, 1, 2].map(() => {
      const c = spawn(process.execPath, [script, out], { stdio: ['pipe', 'pipe', 'inherit'] });
      let s = '';
      const waiters: { line: RegExp; resolve: (m: string) => void }[] = [];
      c.stdout.setEncoding('utf8');
      c.stdout.on('data', (d: string) => {
        s += d;
        for (const w of waiters.splice(0)) {
          const m = w.line.exec(s);
          if (m) w.resolve(m[1]!);
          else waiters.push(w);
        }
      });
      const closed = new Promise<void>((resolve) => c.on('close', () => resolve()));
      const next = (line: RegExp): Promise<string> => new Promise((resolve) => {
        const m = line.exec(s);
        if (m) resolve(m[1]!);
        else waiters.push({ line, resolve });
      });
      return { c, closed, next };
    });
    await Promise.all(racers.map((r) => r.next(/^(ready)\n/m)));
    for (const r of racers) r.c.stdin.write('go\n');
    const results = await Promise.all(racers.map((r) => r.next(/^(won|lost|error .*)\n/m)));
    for (const r of racers) r.c.stdin.write('release\n');
    await Promise.all(racers.map((r) => r.closed));
    assert.equal(results.filter((r) => r === 'won').length, 1, `round ${round}: ${results.join(', ')}`);
    assert.equal(results.filter((r) => r === 'lost').length, 2, `round ${round}: ${results.join(', ')}`);
    assert.ok(!fs.existsSync(lockFileOf(out)), `round ${round}: the winner's lock was not released`);
  }
});

// ---------------------------------------------------------------- divergence

test('NaN/Inf in training: stops at once naming the step, the quantity and a hint; the checkpoint on disk stays the last good one', async () => {
  const { Network } = await import('../src/model/network.js');
  const { fit } = await import('../src/train/fit.js');
  const { StreamBatches, symbolStream } = await import('../src/data/windows.js');
  const { saveCheckpointFile } = await import('../src/node/checkpoint-file.js');
  const { TrainingError } = await import('../src/core/errors.js');
  const { findNonFinite } = await import('../src/train/clip.js');
  for (const [kind, lr] of [['sgd', 1e38], ['adam', 1e39]] as const) {
    const file = path.join(dir, `diverge-${kind}-${lr}.rnn`);
    const net = new Network({ cell: 'rnn', inputSize: 5, hiddenSize: 8, outputSize: 5, loss: 'cross-entropy', seed: 2 });
    const ids = new Int32Array(400).map((_, i) => (i * 3) % 5);
    let saved = 0;
    let error: unknown;
    try {
      await fit(net, new StreamBatches(symbolStream(ids, 5), { batchSize: 2, seqLen: 8 }), {
        optimizer: { kind }, learningRate: lr, epochs: 50,
        onStep: async (rec) => {
          await saveCheckpointFile(file, { networks: { model: net }, step: rec.step });
          saved = rec.step;
        },
      });
    } catch (e) {
      error = e;
    }
    const what = `${kind} with learning rate ${lr}`;
    assert.ok(error instanceof TrainingError, `${what}: expected a TrainingError, got ${String(error)}`);
    assert.match(error.message, /at step \d+/, what);
    assert.match(error.message, /loss|gradient/, what);
    assert.match(error.message, /[Ll]ower the learning rate/, what);
    assert.ok(!error.message.includes('\n'), `${what}: one line`);
    const failedAt = Number(/at step (\d+)/.exec(error.message)![1]);
    assert.equal(failedAt, saved + 1, `${what}: stopped at step ${failedAt}, not right after the last update ${saved}`);
    if (saved > 0) {
      const c = loadCheckpointFileSync(file);
      assert.equal(c.step, saved, what);
      const bad = findNonFinite(c.networks.model!.params, 'data');
      assert.equal(bad, null, `${what}: the checkpoint of step ${saved} (the last one before the error) holds ${bad?.name}[${bad?.row}][${bad?.col}] = ${bad?.value}`);
    }
  }
});

test('rnnkit train: divergence on resume stops with step, quantity and hint; the model file keeps the last good step', async (t) => {
  if (!fs.existsSync(BIN)) {
    t.skip(`${BIN} is not built`);
    return;
  }
  const { findNonFinite } = await import('../src/train/clip.js');
  const out = path.join(dir, 'diverge-cli.rnn');
  const common = ['--checkpoint-every', '1', '--sample-every', '0', '--eval-every', '1000000'];
  const first = spawnSync(process.execPath, [BIN, 'train', corpus, '-o', out, '--steps', '3', '--hidden', '8', '--seq-len', '8', '--batch', '2', '--cell', 'rnn', ...common], { encoding: 'utf8' });
  assert.equal(first.status, 0, first.stderr);
  const before = fs.readFileSync(out);
  const r = spawnSync(process.execPath, [BIN, 'train', '--resume', out, '--steps', '10', '--lr', '1e39', ...common], { encoding: 'utf8' });
  const line = r.stderr.trim().split('\n').pop()!;
  assert.equal(r.status, 1, r.stderr);
  assert.match(line, /^rnnkit: training diverged at step 4 .*: the [a-z ]+ is -?(Infinity|NaN); .*[Ll]ower the learning rate/);
  assert.ok(!/^\s+at /m.test(r.stderr), r.stderr);
  const c = loadCheckpointFileSync(out);
  assert.equal(c.step, 3);
  assert.equal(findNonFinite(c.networks.model!.params, 'data'), null);
  assert.deepEqual(fs.readFileSync(out), before, 'the good checkpoint was rewritten');
});

test('rnnkit train: a second run writing the same model file is refused while the first runs, and allowed after', async (t) => {
  if (!fs.existsSync(BIN)) {
    t.skip(`${BIN} is not built`);
    return;
  }
  const out = path.join(dir, 'shared.rnn');
  const args = ['train', corpus, '-o', out, '--hidden', '8', '--seq-len', '8', '--batch', '2', '--cell', 'rnn', '--sample-every', '0', '--checkpoint-every', '1'];
  const first = spawn(process.execPath, [BIN, ...args, '--steps', '100000', '--json-log'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const done = watch(first, (line) => {
    if (line.includes('"step"')) started();
  });
  await running;
  const second = spawnSync(process.execPath, [BIN, ...args, '--steps', '2'], { encoding: 'utf8' });
  first.kill('SIGINT');
  const r1 = await done;
  assert.equal(second.status, 1, second.stderr);
  const line = second.stderr.trim().split('\n').pop()!;
  assert.match(line, new RegExp(`^rnnkit: ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is being written by another run \\(rnnkit train, pid ${first.pid}, since .*\\); wait for it to finish or write to another file \\(--out\\); if that run is gone, delete .*shared\\.rnn\\.lock$`));
  assert.equal(r1.code, 130, r1.stderr);
  const stepAfterFirst = loadCheckpointFileSync(out).step!;
  assert.ok(!fs.existsSync(lockFileOf(out)), 'the first run left its lock');
  const third = spawnSync(process.execPath, [BIN, ...args, '--resume', out, '--steps', String(stepAfterFirst + 2)].filter((a) => a !== corpus), { encoding: 'utf8' });
  assert.equal(third.status, 0, third.stderr);
  assert.equal(loadCheckpointFileSync(out).step, stepAfterFirst + 2);
});

// ---------------------------------------------------------------- Ctrl-C is never ignored

/**
 * Starts `rnnkit <args>` in its own folder and sends SIGINT once it has
 * shown it is working: its first line of output (progress on stderr, or a
 * result on stdout) — an event, not a fixed wait. Times the exit.
 */
async function interruptWhenWorking(args: readonly string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; exitMs: number; files: string[] }> {
  const cwd = fs.mkdtempSync(path.join(dir, 'int-'));
  const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let sentAt = 0;
  const send = (): void => {
    if (sentAt) return;
    sentAt = Date.now();
    child.kill('SIGINT');
  };
  child.stderr!.once('data', send);
  const done = watch(child, send);
  const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const r = await done;
  clearTimeout(guard);
  return { ...r, exitMs: sentAt ? Date.now() - sentAt : 0, files: fs.readdirSync(cwd) };
}

test('SIGINT stops every long-running command within 3 s (never ignored), with no temporary or half-written file left', async (t) => {
  if (!fs.existsSync(BIN)) {
    t.skip(`${BIN} is not built`);
    return;
  }
  const model = path.join(dir, 'for-sample.rnn');
  const made = spawnSync(process.execPath, [BIN, 'train', corpus, '-o', model, '--steps', '2', '--hidden', '8', '--seq-len', '8', '--batch', '2', '--sample-every', '0'], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const commands: [string, string[]][] = [
    ['sample', ['sample', model, '--length', '10000000']],
    ['train', ['train', corpus, '--steps', '100000', '--hidden', '32', '--sample-every', '0']],
    ['forecast', ['forecast', '--dataset', 'us-births', '--epochs', '500', '--hidden', '16']],
    ['classify', ['classify', '--dataset', 'first-names', '--epochs', '500', '--hidden', '16']],
  ];
  const slow: string[] = [];
  for (const [name, args] of commands) {
    const r = await interruptWhenWorking(args);
    const what = `${name}: exit ${r.code ?? r.signal} ${r.exitMs} ms after SIGINT`;
    assert.ok(!/^\s+at /m.test(r.stderr), `${what}: stack trace: ${r.stderr}`);
    assert.ok(r.code === 130 || r.signal === 'SIGINT', what);
    if (r.exitMs > 3000) slow.push(what);
    assert.deepEqual(r.files.filter((f) => /\.tmp/.test(f)), [], `${what}: temporary files left`);
    assert.deepEqual(r.files.filter((f) => /\.lock$/.test(f)), [], `${what}: lock file left behind`);
    console.log(`# ${what}; files: ${r.files.join(', ') || 'none'}`);
  }
  assert.deepEqual(slow, [], 'commands that ignored Ctrl-C');
});

test('a save removes the temporary files of killed writers (process gone, older than a minute) and no others', async () => {
  const { saveCheckpointFile } = await import('../src/node/checkpoint-file.js');
  const { Network } = await import('../src/model/network.js');
  const sub = fs.mkdtempSync(path.join(dir, 'sweep-'));
  const file = path.join(sub, 'model.rnn');
  const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
  const old = new Date(Date.now() - 5 * 60_000);
  const make = (name: string, age: Date | null): string => {
    const f = path.join(sub, name);
    fs.writeFileSync(f, 'partial');
    if (age) fs.utimesSync(f, age, age);
    return name;
  };
  const stale = make(`.model.rnn.${dead}.0123456789ab.tmp`, old);
  const young = make(`.model.rnn.${dead}.ba9876543210.tmp`, null);
  const live = make(`.model.rnn.${process.pid}.aaaaaaaaaaaa.tmp`, old);
  const other = make(`.other.rnn.${dead}.0123456789ab.tmp`, old);
  await saveCheckpointFile(file, { networks: { model: new Network({ inputSize: 1, hiddenSize: 1, outputSize: 1 }) } });
  const left = fs.readdirSync(sub);
  assert.ok(!left.includes(stale), 'the stale temporary file is still there');
  for (const keep of [young, live, other, 'model.rnn']) assert.ok(left.includes(keep), `${keep} was removed`);
});
