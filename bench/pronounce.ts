/**
 * Pronunciation quality of the encoder–decoder (issue 18): trains on the
 * CMU dictionary (words of at most --max-word letters; a seeded 5 % held
 * out) within a wall-clock budget, then reports the held-out phoneme error
 * rate and word accuracy (beam search) beside the copy-through baseline,
 * with wall and CPU time. One line of JSON on stdout; progress on stderr.
 *
 *   node dist/bench/pronounce.js --attention luong --bidirectional --minutes 15
 *
 * Options (defaults): --cell gru, --hidden 64, --layers 1, --attention none|luong (none),
 * --bidirectional (off), --batch 32, --lr 0.005, --decay 0.8, --epochs 50,
 * --minutes 15 (training budget), --beam 3, --max-word 14, --seed 1,
 * --test-words N (evaluate the first N held-out words; default all of them).
 */

import { Rng } from '../src/core/rng.js';
import { useKernels } from '../src/kernels/select.js';
import type { CellKind } from '../src/cells/cell.js';
import { loadCmudict } from '../src/node/stdlib-data.js';
import { decode } from '../src/seq2seq/decode.js';
import { Seq2Seq } from '../src/seq2seq/model.js';
import type { AttentionKind } from '../src/seq2seq/attention.js';
import { PairBatches } from '../src/data/pairs.js';
import { fit } from '../src/train/fit.js';
import { tokenErrorRate } from '../src/tasks/edit-distance.js';
import { copyThrough, pronunciations } from '../src/tasks/pronounce.js';
import { SymbolTable } from '../src/tasks/symbols.js';

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1]! : fallback;
};
const settings = {
  cell: opt('cell', 'gru') as CellKind,
  hidden: Number(opt('hidden', '64')),
  layers: Number(opt('layers', '1')),
  attention: opt('attention', 'none') as AttentionKind,
  bidirectional: argv.includes('--bidirectional'),
  batch: Number(opt('batch', '32')),
  lr: Number(opt('lr', '0.005')),
  decay: Number(opt('decay', '0.8')),
  epochs: Number(opt('epochs', '50')),
  minutes: Number(opt('minutes', '15')),
  beam: Number(opt('beam', '3')),
  maxWord: Number(opt('max-word', '14')),
  seed: Number(opt('seed', '1')),
  testWords: Number(opt('test-words', '0')),
};

// the kernels the CLI uses (WebAssembly SIMD where the runtime has it); the library's default is JavaScript
const kernels = useKernels('auto').name;
const letters = new SymbolTable('abcdefghijklmnopqrstuvwxyz'.split(''));
const dictionary = pronunciations(loadCmudict(), { maxLength: settings.maxWord });
const all = new Rng(settings.seed).shuffle([...dictionary]);
const nHeld = Math.round(0.05 * all.length);
const heldOut = all.slice(0, nHeld);
const train = all.slice(nHeld);
const test = settings.testWords > 0 ? heldOut.slice(0, settings.testWords) : heldOut;
const phones = SymbolTable.fromSequences(dictionary.map((p) => p.phonemes));

const model = new Seq2Seq({
  cell: settings.cell, sourceVocabSize: letters.size, targetVocabSize: phones.size, hiddenSize: settings.hidden,
  layers: settings.layers, seed: settings.seed, bidirectional: settings.bidirectional, attention: settings.attention,
});
const wall0 = Date.now();
const cpu0 = process.cpuUsage();
const pairs = train.map((p) => ({ source: letters.encode(p.word), target: phones.encode(p.phonemes) }));
const history = await fit(model, new PairBatches(model, pairs, { batchSize: settings.batch }), {
  epochs: settings.epochs, learningRate: settings.lr, schedule: { kind: 'epoch-decay', gamma: settings.decay },
  optimizer: { kind: 'adam' }, clipNorm: 5, seed: settings.seed + 1, timeLimitMs: settings.minutes * 60_000,
  onEpoch: (e) => void process.stderr.write(`epoch ${e.epoch + 1}: cross-entropy per phoneme ${e.loss.toFixed(4)} (${((Date.now() - wall0) / 1000).toFixed(0)} s)\n`),
});
const trainWall = (Date.now() - wall0) / 1000;
const trainCpu = process.cpuUsage(cpu0);

const eval0 = Date.now();
const said: string[][] = [];
for (let s = 0; s < test.length; s += 256) {
  const part = test.slice(s, s + 256);
  said.push(...decode(model, part.map((p) => letters.encode(p.word)), { beamWidth: settings.beam, maxLength: 3 * Math.max(...part.map((p) => p.word.length)) + 5 }).map((d) => phones.decode(d.symbols)));
}
const refs = test.map((p) => p.phonemes);
const result = {
  settings,
  data: { dictionaryWords: all.length, trainWords: train.length, heldOutWords: heldOut.length, evaluatedWords: test.length },
  training: {
    epochs: history.epoch, steps: history.step, epochLoss: history.history.epochs.map((e) => e.loss), wallSeconds: trainWall,
    cpuSeconds: (trainCpu.user + trainCpu.system) / 1e6, stopReason: history.stopReason,
  },
  evaluationWallSeconds: (Date.now() - eval0) / 1000,
  model: tokenErrorRate(said, refs),
  copyThrough: tokenErrorRate(test.map((p) => copyThrough(p.word)), refs),
  parameters: model.paramSets.reduce((n, p) => n + p.size, 0),
  kernels,
  loadAverage: (await import('node:os')).loadavg(),
};
process.stdout.write(JSON.stringify(result) + '\n');
