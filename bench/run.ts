/**
 * `npm run bench`: training and sampling throughput of a char-level RNN and
 * LSTM (hidden 128, sequence 32, batch 32 and 1, Adam, the first 200,000
 * characters of Moby Dick) for `rnnkit` with each kernel backend and for
 * its peers, measured in one run: TensorFlow.js (cpu and wasm backends),
 * brain.js (batch 1), and a batched numpy implementation (bench/numpy_lstm.py,
 * when python3 with numpy is present).
 *
 * Every measurement runs in its own process (fresh JIT, its own peak memory):
 * warm-up, then timed repetitions, median reported (bench/measure.ts).
 *
 *   node dist/bench/run.js [--json] [--out FILE] [--seconds S] [--only PEERS] [--cells rnn,lstm] [--rounds R]
 *
 * --json prints the results as JSON instead of the table; --out also writes
 * the JSON to FILE; --seconds caps each measurement (default 3); --only keeps
 * the named peers (rnnkit, tfjs, brain, numpy); --rounds repeats the
 * whole set R times and reports each row's median over the rounds (on a
 * shared machine, whose speed drifts over minutes, this steadies the ratios).
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORPUS_CHARS, HIDDEN, SEQ, flopsPerChar, loadCorpus, type BenchCell, type BenchMode } from './task.js';
import type { WorkerSpec } from './worker.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';

interface Task {
  readonly cell: BenchCell;
  readonly mode: BenchMode;
  readonly B: number;
}

/** One row of the results. */
export interface BenchResult extends Task {
  /** e.g. "rnnkit", "tfjs", "brain.js", "numpy". */
  readonly peer: string;
  /** Kernel backend / TF backend / thread setting as the peer reported it. */
  readonly backend: string;
  readonly charsPerSec: number | null;
  /** Characters per CPU-second (all threads): the rate on an otherwise idle machine. */
  readonly charsPerCpuSec: number | null;
  readonly reps: number[];
  readonly gflops: number | null;
  readonly peakRssBytes: number | null;
  readonly error?: string;
}

interface Options {
  json: boolean;
  out: string | null;
  seconds: number;
  only: Set<string> | null;
  cells: BenchCell[];
  rounds: number;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { json: false, out: null, seconds: 3, only: null, cells: ['rnn', 'lstm'], rounds: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--json') o.json = true;
    else if (a === '--out') o.out = value();
    else if (a === '--seconds') o.seconds = Number(value());
    else if (a === '--only') o.only = new Set(value().split(','));
    else if (a === '--cells') o.cells = value().split(',') as BenchCell[];
    else if (a === '--rounds') o.rounds = Number(value());
    else if (a === '--help') {
      console.log('usage: node dist/bench/run.js [--json] [--out FILE] [--seconds S] [--only rnnkit,tfjs,brain,numpy] [--cells rnn,lstm] [--rounds R]');
      process.exit(0);
    } else throw new Error(`unknown option ${a} (try --help)`);
  }
  if (!(o.seconds > 0)) throw new Error('--seconds must be a positive number');
  if (!(Number.isInteger(o.rounds) && o.rounds >= 1)) throw new Error('--rounds must be a positive integer');
  return o;
}

function relaxedAvailable(): boolean {
  const r = spawnSync(process.execPath, [RELAXED_FLAG, '-e',
    `import('${join(here, '..', 'src', 'kernels', 'index.js').replace(/\\/g, '/')}').then(k => process.stdout.write(String(k.wasmSupport().relaxedSimd)))`], { encoding: 'utf8' });
  return r.stdout.trim() === 'true';
}

function runWorker(spec: WorkerSpec, vocab: number, log: (s: string) => void): BenchResult {
  const peer = spec.peer === 'brain' ? 'brain.js' : spec.peer;
  log(`  ${peer} ${spec.backend}${spec.threads ? ` ×${spec.threads} threads` : ''} ${spec.cell} ${spec.mode} B=${spec.B} …`);
  const r = spawnSync(process.execPath, [RELAXED_FLAG, join(here, 'worker.js'), JSON.stringify(spec)],
    { encoding: 'utf8', timeout: (spec.seconds * 10 + 120) * 1000, maxBuffer: 1 << 24 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    const out = JSON.parse(line) as { charsPerSec: number; charsPerCpuSec: number; reps: number[]; peakRss: number; backend: string };
    return {
      peer, backend: out.backend, cell: spec.cell, mode: spec.mode, B: spec.B,
      charsPerSec: out.charsPerSec, charsPerCpuSec: out.charsPerCpuSec, reps: out.reps,
      gflops: out.charsPerSec * flopsPerChar(spec.cell, spec.mode, vocab) / 1e9,
      peakRssBytes: out.peakRss,
    };
  } catch {
    const error = r.error ? r.error.message : (r.stderr || 'no output').trim().split('\n').filter((l) => !/TensorFlow.js in Node|tfjs-node|^=+$|^\s*$|Orthogonal initializer/.test(l)).slice(0, 3).join(' | ');
    return { peer, backend: spec.backend, cell: spec.cell, mode: spec.mode, B: spec.B, charsPerSec: null, charsPerCpuSec: null, reps: [], gflops: null, peakRssBytes: null, error };
  }
}

function numpyVersion(): string | null {
  try {
    return execFileSync('python3', ['-c', 'import numpy; print(numpy.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function runNumpy(task: Task, threads: 'default' | '1', textPath: string, seconds: number, vocab: number, log: (s: string) => void): BenchResult {
  const backend = threads === '1' ? 'OpenBLAS, 1 thread' : 'OpenBLAS, default threads';
  log(`  numpy ${backend} ${task.cell} ${task.mode} B=${task.B} …`);
  const env = { ...process.env };
  if (threads === '1') env.OPENBLAS_NUM_THREADS = '1';
  const r = spawnSync('python3', [join(root, 'bench', 'numpy_lstm.py'), '--cell', task.cell, '--batch', String(task.B),
    '--seq', String(SEQ), '--hidden', String(HIDDEN), '--mode', task.mode, '--seconds', String(seconds), '--text', textPath],
  { encoding: 'utf8', env, timeout: (seconds * 10 + 120) * 1000 });
  try {
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { charsPerSec: number; charsPerCpuSec: number; reps: number[]; peakRss: number };
    return {
      peer: 'numpy', backend, ...task, charsPerSec: out.charsPerSec, charsPerCpuSec: out.charsPerCpuSec, reps: out.reps,
      gflops: out.charsPerSec * flopsPerChar(task.cell, task.mode, vocab) / 1e9, peakRssBytes: out.peakRss,
    };
  } catch {
    return { peer: 'numpy', backend, ...task, charsPerSec: null, charsPerCpuSec: null, reps: [], gflops: null, peakRssBytes: null, error: (r.stderr || 'no output').trim().split('\n').slice(-2).join(' | ') };
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * One row per measurement (peer, backend, task) with the median of its
 * rounds' rates; `reps` holds each round's chars/s. A row fails only when
 * every round failed.
 */
function medianOverRounds(all: BenchResult[]): BenchResult[] {
  const groups = new Map<string, BenchResult[]>();
  for (const r of all) {
    const key = [r.peer, r.backend, r.cell, r.mode, r.B].join('|');
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((rs) => {
    const ok = rs.filter((r) => r.charsPerSec !== null);
    if (ok.length === 0 || rs.length === 1) return rs[0]!;
    const cps = median(ok.map((r) => r.charsPerSec!));
    const first = ok[0]!;
    return {
      ...first,
      charsPerSec: cps,
      charsPerCpuSec: median(ok.map((r) => r.charsPerCpuSec!)),
      reps: ok.map((r) => r.charsPerSec!),
      gflops: first.gflops === null ? null : first.gflops * cps / first.charsPerSec!,
      peakRssBytes: Math.max(...ok.map((r) => r.peakRssBytes ?? 0)),
    };
  });
}

function fmt(n: number | null, digits = 0): string {
  if (n === null) return '—';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function ratio(a: number, b: number): string {
  const r = a / b;
  return r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(r >= 1 ? 1 : 2)}×`;
}

/** Short label of a peer row in the ratio lists. */
function label(r: BenchResult): string {
  if (r.peer === 'tfjs') return `tfjs-${r.backend}`;
  if (r.peer === 'numpy') return r.backend.includes('1 thread') ? 'numpy-1t' : 'numpy';
  return r.peer;
}

/**
 * The results as a plain-text table, one block per task. For the fastest
 * rnnkit backend: its ratio to every peer, by wall-clock chars/s and
 * (in brackets) by chars per CPU-second.
 */
function table(results: BenchResult[], tasks: Task[], vocab: number): string {
  const lines: string[] = [];
  for (const task of tasks) {
    const rows = results.filter((r) => r.cell === task.cell && r.mode === task.mode && r.B === task.B);
    if (rows.length === 0) continue;
    lines.push('', `${task.cell.toUpperCase()} ${task.mode === 'train' ? 'training' : 'sampling'}, batch ${task.B}` +
      ` (${fmt(flopsPerChar(task.cell, task.mode, vocab) / 1e3)}k FLOPs/char)`);
    lines.push(`  ${'peer'.padEnd(10)} ${'backend'.padEnd(29)} ${'chars/s'.padStart(8)} ${'/CPU-s'.padStart(8)} ${'GFLOP/s'.padStart(7)} ${'peak MB'.padStart(7)}  fastest rnnkit is … (per CPU-s)`);
    const peers = rows.filter((r) => r.peer !== 'rnnkit' && r.charsPerSec !== null);
    const best = rows.filter((r) => r.peer === 'rnnkit' && r.charsPerSec !== null)
      .reduce<BenchResult | null>((m, r) => (m === null || r.charsPerSec! > m.charsPerSec! ? r : m), null);
    for (const r of rows) {
      const vs = r === best
        ? peers.map((p) => `${ratio(r.charsPerSec!, p.charsPerSec!)} ${label(p)} (${ratio(r.charsPerCpuSec!, p.charsPerCpuSec!)})`).join(', ')
        : '';
      const tail = r.error ? `failed: ${r.error.slice(0, 160)}` : vs;
      lines.push(`  ${r.peer.padEnd(10)} ${r.backend.padEnd(29)} ${fmt(r.charsPerSec).padStart(8)} ${fmt(r.charsPerCpuSec).padStart(8)} ${fmt(r.gflops, 2).padStart(7)} ${fmt(r.peakRssBytes === null ? null : r.peakRssBytes / 2 ** 20).padStart(7)}  ${tail}`);
    }
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const log = (s: string) => process.stderr.write(s + '\n');
  const want = (p: string) => !o.only || o.only.has(p);
  const corpus = loadCorpus();
  const vocab = corpus.chars.length;
  const relaxed = relaxedAvailable();
  const backends = ['js', 'wasm-simd', ...(relaxed ? ['wasm-relaxed-simd'] : [])];
  const cores = availableParallelism();
  const npVersion = want('numpy') ? numpyVersion() : null;
  const textPath = join(tmpdir(), `rnnkit-bench-moby-${process.pid}.txt`);
  writeFileSync(textPath, corpus.text);

  const tasks: Task[] = [];
  for (const cell of o.cells) {
    tasks.push({ cell, mode: 'train', B: 32 }, { cell, mode: 'train', B: 1 }, { cell, mode: 'sample', B: 1 });
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  log(`rnnkit benchmark: hidden ${HIDDEN}, sequence ${SEQ}, Adam, first ${CORPUS_CHARS.toLocaleString('en-US')} chars of Moby Dick (vocab ${vocab})`);
  log(`machine: ${machine}; relaxed SIMD: ${relaxed ? 'available (' + RELAXED_FLAG + ')' : 'not available'}; ${o.seconds} s per measurement`);

  const results: BenchResult[] = [];
  for (let round = 1; round <= o.rounds; round++) for (const task of tasks) {
    log(`${o.rounds > 1 ? `round ${round}/${o.rounds}: ` : ''}${task.cell} ${task.mode} B=${task.B}`);
    const base = { cell: task.cell, mode: task.mode, B: task.B, seconds: o.seconds };
    if (want('rnnkit')) {
      for (const backend of backends) results.push(runWorker({ peer: 'rnnkit', backend, ...base }, vocab, log));
      // data-parallel training on every core, with the fastest kernels
      if (task.mode === 'train' && task.B > 1 && cores > 1) results.push(runWorker({ peer: 'rnnkit', backend: backends.at(-1)!, threads: cores, ...base }, vocab, log));
    }
    if (want('tfjs')) for (const backend of ['cpu', 'wasm']) results.push(runWorker({ peer: 'tfjs', backend, ...base }, vocab, log));
    if (want('brain') && task.B === 1) {
      if (task.cell === 'rnn' && task.mode === 'sample') {
        // brain.js 1.6.1: RNN#run(…, true) did not return within 2 minutes here (its sampleI loops while
        // the running sum of ŷ stays below the drawn number); skipped rather than waited for
        results.push({ peer: 'brain.js', backend: 'js (batch 1)', ...task, charsPerSec: null, charsPerCpuSec: null, reps: [], gflops: null, peakRssBytes: null, error: 'skipped: brain.js RNN sampling does not return (sampleI loop)' });
      } else results.push(runWorker({ peer: 'brain', backend: 'js (batch 1)', ...base }, vocab, log));
    }
    if (npVersion) {
      results.push(runNumpy(task, '1', textPath, o.seconds, vocab, log));
      if (task.mode === 'train' && task.B > 1) results.push(runNumpy(task, 'default', textPath, o.seconds, vocab, log));
    }
  }
  const numpyNote = want('numpy') ? (npVersion ? `numpy ${npVersion}` : 'numpy: skipped (python3 with numpy not found)') : 'numpy: not requested';
  const report = {
    date: new Date().toISOString(),
    command: `node ${process.argv.slice(1).map((a) => a.replace(root + '/', '')).join(' ')}`,
    machine, relaxedSimd: relaxed, seconds: o.seconds, hidden: HIDDEN, seq: SEQ, vocab, numpy: numpyNote,
    flopsPerChar: Object.fromEntries(tasks.map((t) => [`${t.cell}-${t.mode}`, flopsPerChar(t.cell, t.mode, vocab)])),
    rounds: o.rounds,
    results: medianOverRounds(results),
  };
  if (o.out) writeFileSync(o.out, JSON.stringify(report, null, 2) + '\n');
  if (o.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return;
  }
  console.log(`rnnkit benchmark — ${report.date}\nmachine: ${machine}\nrelaxed SIMD: ${relaxed ? 'yes' : 'no'}; ${numpyNote}; median of timed repetitions, ${o.seconds} s cap per measurement${o.rounds > 1 ? `; median of ${o.rounds} rounds` : ''}`);
  console.log(table(report.results, tasks, vocab));
  console.log('\nchars/s: wall clock, median of repetitions; /CPU-s: chars per CPU-second of the process (all threads), which other load on the machine does not change.\nGFLOP/s (wall) counts the model\'s matrix products only, the same nominal FLOPs/char for every peer; peak MB is the process\'s maximum RSS.');
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
