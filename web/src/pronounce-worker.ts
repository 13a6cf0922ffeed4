/**
 * The Pronounce tab's training worker: trains the page's pronouncer
 * (pronouncer.ts) with the library's `fit` on `PairBatches` of the bundled
 * words — teacher-forced cross-entropy per phoneme, the gradient clipped to
 * a global norm of 5, Adam — and reports progress. Each Start trains up to
 * STEP_LIMIT more updates; Pause stops after the update in progress and
 * keeps fit's state, so Resume continues exactly. Every EVAL_EVERY updates,
 * and when it pauses or stops, it scores the held-out words (phoneme error
 * rate, word accuracy) and sends the model as model-file bytes, which the
 * page reads with the same reader as a loaded file.
 */

import { PairBatches } from '../../src/data/pairs.js';
import { tokenErrorRate } from '../../src/tasks/edit-distance.js';
import { copyThrough, type Pronunciation } from '../../src/tasks/pronounce.js';
import { fit } from '../../src/train/fit.js';
import type { FitState } from '../../src/train/fit-types.js';
import { BATCH, encodePronouncer, LEARNING_RATE, LETTERS, newPronouncer, pronounceAll, splitWords, STEP_LIMIT, type Pronouncer } from './pronouncer.js';
import type { FromPronounceWorker, ToPronounceWorker } from './pronounce-protocol.js';
import { chooseKernels } from './kernel-choice.js';

const PROGRESS_MS = 150;
const EVAL_EVERY = 250;

const kernels = chooseKernels();

interface Run {
  readonly p: Pronouncer;
  readonly data: PairBatches;
  readonly heldOut: readonly Pronunciation[];
  state: FitState | undefined;
}

let run: Run | null = null;
let training: { readonly abort: AbortController; readonly done: Promise<void> } | null = null;

function post(msg: FromPronounceWorker, transfer: Transferable[] = []): void {
  (self as unknown as Worker).postMessage(msg, transfer);
}

/** Scores the held-out words and sends the model's bytes. */
function sendModel(r: Run, step: number): void {
  const said = pronounceAll(r.p, r.heldOut.map((w) => w.word));
  const heldOut = tokenErrorRate(said, r.heldOut.map((w) => w.phonemes));
  const bytes = encodePronouncer(r.p);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  post({ type: 'model', step, heldOut, bytes: buffer }, [buffer]);
}

function start(r: Run): void {
  if (training) return;
  const abort = new AbortController();
  const limit = (r.state?.step ?? 0) + STEP_LIMIT;
  let losses = 0;
  let count = 0;
  let words = 0;
  let sliceStart = performance.now();
  const flush = (step: number): void => {
    const seconds = (performance.now() - sliceStart) / 1000;
    // a slice cut short by a pause is too short to time
    if (count > 0) post({ type: 'progress', step, loss: losses / count, ...(seconds >= 0.1 ? { wordsPerSecond: words / seconds } : {}) });
    losses = count = words = 0;
    sliceStart = performance.now();
  };
  const done = fit(r.p.model, r.data, {
    optimizer: { kind: 'adam' }, learningRate: LEARNING_RATE, clipNorm: 5, maxSteps: limit, signal: abort.signal, seed: 2,
    ...(r.state ? { resume: r.state } : {}),
    yieldEveryMs: 40,
    onStep: (s) => {
      losses += s.loss;
      count++;
      words += r.data.B;
      if (performance.now() - sliceStart >= PROGRESS_MS) flush(s.step);
      if (s.step % EVAL_EVERY === 0) sendModel(r, s.step);
    },
  }).then((result) => {
    r.state = result.state;
    flush(result.state.step);
    sendModel(r, result.state.step);
  }, (err: unknown) => {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }).finally(() => {
    training = null;
    post({ type: 'running', running: false });
  });
  training = { abort, done };
  post({ type: 'running', running: true });
}

async function handle(msg: ToPronounceWorker): Promise<void> {
  switch (msg.type) {
    case 'init': {
      const { heldOut, train, phones } = splitWords(msg.dict);
      const p = newPronouncer(phones, [...heldOut, ...train]);
      const pairs = train.map((w) => ({ source: LETTERS.encode(w.word), target: phones.encode(w.phonemes) }));
      run = { p, data: new PairBatches(p.model, pairs, { batchSize: BATCH }), heldOut, state: undefined };
      const baseline = tokenErrorRate(heldOut.map((w) => copyThrough(w.word)), heldOut.map((w) => w.phonemes));
      post({
        type: 'ready', trainWords: train.length, heldOutWords: heldOut.map((w) => w.word), parameters: p.model.paramSets.reduce((n, s) => n + s.size, 0),
        kernels, copyThrough: baseline,
      });
      break;
    }
    case 'start':
      if (run) start(run);
      break;
    case 'pause':
      if (training) {
        training.abort.abort();
        await training.done;
      }
      break;
  }
}

let queue: Promise<void> = Promise.resolve();
self.onmessage = (e: MessageEvent<ToPronounceWorker>) => {
  queue = queue.then(() => handle(e.data)).catch((err: unknown) => {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  });
};
