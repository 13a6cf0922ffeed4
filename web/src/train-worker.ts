/**
 * The training worker: owns the character model and trains it with the
 * library's `fit` on the text's windows (`textBatches`: B parallel streams
 * read in windows of T characters, the state carried between windows,
 * BPTT truncated at T, mean cross-entropy per character, the gradient
 * clipped to a global norm, Adam). `fit` yields to the event loop every
 * few tens of milliseconds, so pause, temperature, sample and save messages
 * are handled while it trains; Pause aborts it and keeps its state, and
 * Start resumes from that state exactly.
 *
 * With a batch of 16 sequences or more, in a cross-origin-isolated page,
 * the gradient is computed data-parallel: nested Web Workers hold replicas
 * of the network and each computes a share of the batch's sequences
 * (threads.ts). They start with the first Start of a model and stop when
 * the model is replaced (Reset, Load).
 */

import { Rng } from '../../src/core/rng.js';
import { allocate } from '../../src/core/tensor.js';
import type { StreamBatches } from '../../src/data/windows.js';
import type { Network } from '../../src/model/network.js';
import type { DataParallel } from '../../src/parallel/data-parallel.js';
import { prepareCorpus, type Corpus } from '../../src/text/corpus.js';
import { generate } from '../../src/text/sample.js';
import { evaluateText, textBatches, validationBatches } from '../../src/text/batches.js';
import { fit } from '../../src/train/fit.js';
import type { FitState } from '../../src/train/fit-types.js';
import { charNetwork, modelSettingsOf } from './char-model.js';
import { decodeTextModel, encodeTextModel, type TextModel } from './model-file.js';
import type { FromWorker, ToWorker, TrainSettings } from './protocol.js';
import { planThreads, startThreads, type ThreadPlan } from './threads.js';
import { chooseKernels } from './kernel-choice.js';

/** Updates after which a sample is shown (then every 500). */
const MILESTONES = [10, 25, 50, 100, 200, 300, 500, 750, 1000];
/** How often progress goes to the page. */
const PROGRESS_MS = 150;
const VALID_EVERY = 25;
const SAMPLE_LENGTH = 160;
/** Share of the text held out at its end for the validation loss. */
const VALID_FRACTION = 0.1;

interface Run {
  readonly settings: TrainSettings;
  readonly corpus: Corpus;
  readonly net: Network;
  readonly data: StreamBatches;
  readonly validation: StreamBatches | undefined;
  /** Where training stopped (undefined before the first update). */
  state: FitState | undefined;
  readonly rng: Rng;
  /** The threads this run should train on. */
  readonly plan: ThreadPlan;
  /** The replicas, started by the first Start (null parallel: one thread). */
  threads: Promise<{ parallel: DataParallel | null; plan: ThreadPlan }> | undefined;
}

/**
 * The matrix kernels of every network built here: WebAssembly SIMD where the
 * browser has it (about ten times the JavaScript kernels' speed), else
 * JavaScript. Chosen once, before the first network.
 */
const kernels = chooseKernels();

let run: Run | null = null;
let temperature = 0.8;
/** The fit in progress and its cancel switch. */
let training: { readonly abort: AbortController; readonly done: Promise<void> } | null = null;

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  (self as unknown as Worker).postMessage(msg, transfer);
}

function setUp(text: string, settings: TrainSettings, loaded?: TextModel): Run {
  const corpus = prepareCorpus(text, { tokens: 'char', valFraction: VALID_FRACTION, ...(loaded ? { tokenizer: loaded.tokenizer } : {}) });
  const net = loaded?.net ?? charNetwork(settings, corpus.tokenizer.vocabSize, settings.seed);
  const vocabSize = corpus.tokenizer.vocabSize;
  const windows = { seqLen: settings.seqLength, batchSize: settings.batchSize };
  const data = textBatches(corpus.train, vocabSize, windows);
  // the held-out tail as one stream from a cold start, as the CLI and evaluateText read it (docs/maths.md §7)
  const validation = corpus.val.length >= 2 ? validationBatches(corpus.val, vocabSize) : undefined;
  return {
    settings: { ...settings, ...modelSettingsOf(net) }, corpus, net, data, validation,
    state: loaded?.state ? withCarryFor(loaded.state, net, data.B) : undefined, rng: new Rng(settings.seed + 1),
    plan: planThreads(data.B, settings.threads), threads: undefined,
  };
}

/** Stops a run's replica threads (the run is being replaced). */
function release(r: Run | null): void {
  void r?.threads?.then((t) => t.parallel?.dispose());
}

/**
 * A saved training state whose carried state was made for another number of
 * streams (a file from the CLI, or other settings) restarts its windows from
 * h = 0 (and C = 0); the step, the optimizer and the generator are kept.
 */
function withCarryFor(state: FitState, net: Network, B: number): FitState {
  const n = B * net.config.hiddenSize;
  if (!state.carry || state.carry.every((s) => s.h.length === n)) return state;
  const dtype = net.config.dtype;
  const carry = net.layers.map((cell) => (cell.stateNames.includes('c') ? { h: allocate(dtype, n), c: allocate(dtype, n) } : { h: allocate(dtype, n) }));
  return { ...state, carry };
}

function sample(r: Run, prime: string, length: number): string {
  return generate(r.net, r.corpus.tokenizer, { prime, length, temperature, rng: r.rng });
}

function isMilestone(step: number): boolean {
  return MILESTONES.includes(step) || (step > 1000 && step % 500 === 0);
}

/** Starts (or resumes) training in the background; returns at once. */
function start(r: Run): void {
  if (training) return;
  const abort = new AbortController();
  let points: [number, number][] = [];
  let valid: [number, number] | undefined;
  let tokens = 0;
  let sliceStart = performance.now();
  const flush = (): void => {
    const seconds = (performance.now() - sliceStart) / 1000;
    post({ type: 'progress', points, ...(valid ? { valid } : {}), charsPerSecond: seconds > 0 ? tokens / seconds : 0 });
    points = [];
    valid = undefined;
    tokens = 0;
    sliceStart = performance.now();
  };
  r.threads ??= startThreads(r.net, r.plan);
  const done = r.threads.then(({ parallel, plan }) => {
    post({ type: 'threads', ...plan });
    return fit(r.net, r.data, {
      optimizer: { kind: 'adam' }, learningRate: r.settings.learningRate, clipNorm: r.settings.clip,
      maxSteps: Number.MAX_SAFE_INTEGER, signal: abort.signal, seed: r.settings.seed,
      ...(r.validation ? { validation: r.validation, validateEvery: VALID_EVERY } : {}),
      ...(r.state ? { resume: r.state } : {}),
      ...(parallel ? { parallel } : {}),
      yieldEveryMs: 40,
      onStep: (s) => {
        points.push([s.step, s.loss]);
        tokens += r.data.B * r.data.seqLen; // characters read by this update (B windows of T)
        if (isMilestone(s.step)) {
          flush();
          post({ type: 'sample', step: s.step, text: sample(r, '\n', SAMPLE_LENGTH), temperature, onRequest: false });
        } else if (performance.now() - sliceStart >= PROGRESS_MS) flush();
      },
      onValidation: (v) => { valid = [v.step, v.loss]; },
    });
  }).then((result) => {
    r.state = result.state;
    flush();
  }, (err: unknown) => {
    flush();
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }).finally(() => {
    training = null;
    post({ type: 'running', running: false });
  });
  training = { abort, done };
  post({ type: 'running', running: true });
}

/** Stops training after the update in progress and waits for `fit` to return its state. */
async function stop(): Promise<void> {
  const t = training;
  if (!t) return;
  t.abort.abort();
  await t.done;
}

function announce(r: Run): void {
  post({
    type: 'ready', vocabSize: r.corpus.tokenizer.vocabSize, parameters: r.net.params.size, trainChars: r.corpus.train.length,
    validChars: r.corpus.val.length, settings: r.settings, step: r.state?.step ?? 0, kernels,
  });
  post({ type: 'threads', ...r.plan });
  if (r.validation) {
    // the validation loss before (or, for a loaded model, where) training starts
    const loss = evaluateText(r.net, r.corpus.val);
    post({ type: 'progress', points: [], valid: [r.state?.step ?? 0, loss], charsPerSecond: 0 });
  }
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'init':
      await stop();
      release(run);
      run = null;
      run = setUp(msg.text, msg.settings);
      announce(run);
      break;
    case 'load': {
      await stop();
      const model = decodeTextModel(msg.bytes, msg.fileName);
      release(run);
      run = null;
      run = setUp(msg.text, msg.settings, model);
      announce(run);
      break;
    }
    case 'start':
      if (!run) throw new Error('there is no model yet: choose a text and press Reset');
      start(run);
      break;
    case 'pause':
      await stop();
      break;
    case 'temperature':
      temperature = msg.value;
      break;
    case 'sample':
      if (run) post({ type: 'sample', step: run.state?.step ?? 0, text: sample(run, msg.prime, msg.length), temperature, onRequest: true });
      break;
    case 'save': {
      if (!run) return;
      const wasRunning = training !== null;
      await stop(); // fit hands back its exact state when it returns
      const bytes = encodeTextModel(run.net, run.corpus.tokenizer, run.state);
      const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      const s = run.settings;
      post({ type: 'saved', bytes: buffer, fileName: `text-${s.cell}-h${s.hiddenSize}x${s.layers}-step${run.state?.step ?? 0}.rnn` }, [buffer]);
      if (wasRunning) start(run);
      break;
    }
    case 'snapshot':
      if (run) {
        post({ type: 'snapshot', snapshot: { settings: modelSettingsOf(run.net), symbols: run.corpus.tokenizer.symbols, params: Float32Array.from(run.net.params.data), step: run.state?.step ?? 0 } });
      }
      break;
  }
}

// Messages are handled one at a time, in order (a load waits for a pause to finish).
let queue: Promise<void> = Promise.resolve();
self.onmessage = (e: MessageEvent<ToWorker>) => {
  queue = queue.then(() => handle(e.data)).catch((err: unknown) => {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  });
};
