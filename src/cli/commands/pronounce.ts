/**
 * `rnnkit pronounce`: spelling → pronunciation with the encoder–decoder
 * on the CMU Pronouncing Dictionary. Trains, saves the model (a `.rnn`
 * model of kind "seq2seq" that `rnnkit predict` uses), reports the held-out
 * phoneme error rate and word accuracy beside the copy-through baseline,
 * and pronounces the words given on the command line by beam search.
 *
 * Defaults (issue 18): a bidirectional encoder with Luong attention,
 * trained on the whole dictionary (words up to --max-word letters) but a
 * seeded 5 % held out, for 15 minutes. --threads splits each batch's word
 * pairs across threads as in `train` (DataParallel, one replica of the
 * encoder–decoder per thread).
 */

import type { CellKind } from '../../cells/cell.js';
import { OptionError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import type { DType } from '../../core/tensor.js';
import { PairBatches } from '../../data/pairs.js';
import { encodeModel } from '../../io/model-file.js';
import { writeFileAtomic } from '../../node/outputs.js';
import { loadCmudict } from '../../node/stdlib-data.js';
import { ATTENTION_KINDS, type AttentionKind } from '../../seq2seq/attention.js';
import { Seq2Seq } from '../../seq2seq/model.js';
import { tokenErrorRate } from '../../tasks/edit-distance.js';
import { copyThrough, pronunciations, type Pronunciation } from '../../tasks/pronounce.js';
import { SymbolTable } from '../../tasks/symbols.js';
import type { FitState } from '../../train/fit-types.js';
import { UsageError, type Command } from '../args.js';
import { fmt } from '../format.js';
import { rnnkitCommand } from '../hints.js';
import { loadModelFile } from '../model-input.js';
import { normaliseWord, pronounceWords } from '../pronounce-words.js';
import { modelOptions, table } from '../task-format.js';
import { checkBatch, finishRun, guardRunOutputs, runLimits, runOptions, runTraining, threadCount, withOutputLock } from '../training-run.js';
import { MIN_SEQUENCES_PER_THREAD } from '../../parallel/data-parallel.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyz'.split('');

/** The settings that define the model and its word split; saved with it and fixed by --resume. */
interface PronounceSettings {
  readonly words: number;
  readonly testWords: number;
  readonly maxWord: number;
  readonly stress: boolean;
  readonly decay: number;
  readonly cell: CellKind;
  readonly hidden: number;
  readonly layers: number;
  readonly batch: number;
  readonly seed: number;
  readonly dtype: DType;
  /** Absent in files written before these options (one-way, no attention). */
  readonly bidirectional?: boolean;
  readonly attention?: AttentionKind;
}

/** The held-out part when --test-words is not given: 5 % of the usable words, fixed by the seed. */
const HELD_OUT_FRACTION = 0.05;
/** The training time when none of --time, --epochs, --steps is given. */
const DEFAULT_TIME = '15m';

/** What a pronunciation model's file keeps about the run (its `extra`). */
interface PronounceExtra {
  readonly command: 'pronounce';
  readonly settings: PronounceSettings;
}

export const pronounceCommand: Command = {
  name: 'pronounce',
  summary: 'train spelling → pronunciation (CMU dictionary) with an encoder–decoder, save it, and score it',
  usage: '[options] [word ...]',
  description: [
    'Trains an encoder–decoder on the CMU Pronouncing Dictionary (letters in, ARPAbet phonemes',
    'out, stress removed unless --stress) and saves it to -o (default cmu.rnn). By default the',
    'encoder reads each word both ways (--no-bidirectional: one way), the decoder attends over',
    'the letters (--attention none: it reads only the encoder\'s final state), and it trains',
    `for ${DEFAULT_TIME} (unless --time, --epochs or --steps) on every dictionary word of at most`,
    `--max-word letters except a held-out ${HELD_OUT_FRACTION * 100} % (fixed by --seed). As in train, --threads N`,
    'splits each batch\'s words across N threads (by default as many as the cores, with at least',
    `${MIN_SEQUENCES_PER_THREAD} words each); the result equals one thread's up to rounding.`,
    'Reports the phoneme error rate (edit distance / reference length) and word accuracy on',
    'the held-out words beside the copy-through baseline (each letter copied to one fixed',
    'phoneme), then prints the pronunciation of each word given. With --resume the model and',
    'word split come from the model file. Pronounce more words (--n-best, --alignment) with:',
    'echo stone | rnnkit predict cmu.rnn',
  ].join('\n'),
  options: [
    { name: 'words', type: 'int', min: 10, arg: 'N', help: 'training words, a seeded sample (default: every word not held out)' },
    { name: 'test-words', type: 'int', min: 0, arg: 'N', help: `held-out words for the error rate, 0 skips it (default: ${HELD_OUT_FRACTION * 100} % of the words)` },
    { name: 'bidirectional', type: 'boolean', default: true, help: 'the encoder reads each word both ways (on by default; --no-bidirectional: one way)' },
    { name: 'attention', type: 'choice', choices: ATTENTION_KINDS, default: 'luong', help: 'the decoder attends over the encoder\'s states (Luong), or not' },
    { name: 'max-word', type: 'int', min: 1, default: 14, arg: 'N', help: 'ignore dictionary words longer than N letters' },
    { name: 'stress', type: 'boolean', help: 'keep stress digits on vowels (AH0, EY1)' },
    { name: 'beam', type: 'int', min: 1, default: 3, arg: 'K', help: 'beam width (1 = greedy)' },
    { name: 'decay', type: 'number', min: 0, max: 1, exclusiveMin: true, default: 0.8, arg: 'F', help: 'learning rate × F after each epoch' },
    ...modelOptions({ cell: 'gru', hidden: 128, lr: 0.005, batch: 32 }),
    ...runOptions({ out: 'cmu.rnn', checkpointEvery: 500, limit: 'epochs', limitDefault: 0 }).map((spec) => (
      spec.name === 'epochs' ? { ...spec, help: 'passes over the training data, resumed runs included' }
        : spec.name === 'time' ? { ...spec, help: `time budget of this run above zero, e.g. 90s, 5m (default ${DEFAULT_TIME} when no --epochs or --steps)` }
          : spec)),
  ],
  positionals: [0, 1000],
  async run(args, io) {
    const o = args.options;
    let resumed: { model: Seq2Seq; phones: SymbolTable; state: FitState; settings: PronounceSettings } | null = null;
    if (typeof o.resume === 'string') {
      const decoded = await loadModelFile(o.resume);
      const extra = decoded.extra as Partial<PronounceExtra>;
      if (decoded.model.kind !== 'seq2seq' || extra.command !== 'pronounce' || !extra.settings) {
        throw new OptionError(`${o.resume} is not a pronunciation model saved by rnnkit pronounce; resume it with the command that made it, or start a new run`);
      }
      if (!decoded.state) throw new OptionError(`${o.resume} holds a model but not the training state to resume it; start a new run instead`);
      resumed = { model: decoded.model.model, phones: decoded.model.target, state: decoded.state, settings: extra.settings };
    }
    const maxWord = resumed ? resumed.settings.maxWord : o['max-word'] as number;
    const stress = resumed ? resumed.settings.stress : o.stress === true;
    const dictionary = pronunciations(loadCmudict(), { stress, maxLength: maxWord });
    const testWords = typeof o['test-words'] === 'number' ? o['test-words'] : Math.round(HELD_OUT_FRACTION * dictionary.length);
    const s: PronounceSettings = resumed ? resumed.settings : {
      words: typeof o.words === 'number' ? o.words : dictionary.length - testWords, testWords, maxWord, stress,
      decay: o.decay as number, cell: o.cell as CellKind, hidden: o.hidden as number, layers: o.layers as number,
      batch: o.batch as number, seed: o.seed as number, dtype: o.dtype as DType,
      bidirectional: o.bidirectional !== false, attention: o.attention as AttentionKind,
    };
    const letters = new SymbolTable(LETTERS);
    const words = args.positionals.map((w) => normaliseWord(w, letters));
    const out = String(o.out ?? o.resume ?? 'cmu.rnn');
    const limits = runLimits(o.time === undefined && o.epochs === undefined && o.steps === undefined ? { ...o, time: DEFAULT_TIME } : o, {});
    return withOutputLock(out, 'pronounce', 'lower --lr', async () => {
      const replacing = guardRunOutputs(o, out, [], []);
      if (replacing) io.err(`${replacing}\n`);
      const all = new Rng(s.seed).shuffle([...dictionary]);
      if (s.testWords + s.words > all.length) throw new UsageError(`--words ${s.words} + --test-words ${s.testWords} exceeds the ${all.length} usable dictionary words`);
      const test = all.slice(0, s.testWords);
      const train = all.slice(s.testWords, s.testWords + s.words);
      const phones = resumed ? resumed.phones : SymbolTable.fromSequences(dictionary.map((p) => p.phonemes));
      const model = resumed ? resumed.model : new Seq2Seq({
        cell: s.cell, sourceVocabSize: letters.size, targetVocabSize: phones.size, hiddenSize: s.hidden, layers: s.layers, seed: s.seed, dtype: s.dtype,
        bidirectional: s.bidirectional === true, attention: s.attention ?? 'none',
      });
      const pairs = train.map((p) => ({ source: letters.encode(p.word), target: phones.encode(p.phonemes) }));
      let maxTarget = 1;
      for (const p of pairs) maxTarget = Math.max(maxTarget, p.target.length);
      const batches = new PairBatches(model, pairs, { batchSize: s.batch });
      checkBatch(s.batch, batches.B, 'training words');
      const extra: PronounceExtra = { command: 'pronounce', settings: s };
      const save = async (state: FitState | undefined): Promise<void> => {
        await writeFileAtomic(out, encodeModel(
          { kind: 'seq2seq', model, source: letters, target: phones, maxSourceLength: s.maxWord, maxTargetLength: maxTarget },
          { ...(state ? { state } : {}), extra: { ...extra } }));
      };
      const threads = threadCount(o, batches.B);
      if (!args.json) {
        io.err(`${resumed ? `resuming at step ${resumed.state.step}` : 'training'} on ${train.length} words (${test.length} held out), ${shape(s)}, ${threads} thread${threads > 1 ? 's' : ''}, saving to ${out}\n`);
      }
      const started = Date.now();
      const run = await runTraining({
        model, data: batches, limits,
        checkpointEvery: o['checkpoint-every'] as number, threads, signal: io.signal,
        fit: {
          optimizer: { kind: 'adam' }, learningRate: o.lr as number, schedule: { kind: 'epoch-decay', gamma: s.decay }, clipNorm: 5, seed: s.seed + 1,
          divergence: { baseline: Math.log(phones.size + 1) },
        },
        ...(resumed ? { resume: resumed.state } : {}),
        ...(args.json ? {} : { onEpoch: (e) => io.err(`epoch ${e.epoch + 1}: cross-entropy per phoneme ${fmt(e.loss, 4)} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`) }),
        save,
        saved: (at) => { if (!args.json) io.err(`saved ${out} at step ${at}\n`); },
      });
      const stopped = await finishRun(run, save, { io, out, command: 'pronounce' });
      if (stopped !== null) return stopped;
      const beam = o.beam as number;
      const say = (ws: readonly string[]): string[][] => pronounceWords(model, letters, phones, ws, beam).map((r) => r.phonemes);
      const evaluation = test.length > 0 ? evaluate(test, say) : null;
      const said = say(words);
      const dictLookup = new Map(dictionary.map((p) => [p.word, p.phonemes]));
      const result = {
        model: out, cell: s.cell, hidden: s.hidden, bidirectional: s.bidirectional === true, attention: s.attention ?? 'none', beam, stress: s.stress,
        training: { words: train.length, step: run.step, epochs: run.epoch, stopReason: run.stop, seconds: run.seconds, threads },
        ...(evaluation ? { heldOut: evaluation } : {}),
        words: words.map((w, i) => ({ word: w, phonemes: said[i]!, dictionary: dictLookup.get(w) ?? null })),
      };
      if (args.json) {
        io.out(JSON.stringify(result, null, 2) + '\n');
        return 0;
      }
      const lines: string[] = [`trained ${shape(s)} on ${train.length} words: ${run.step} steps, ${run.epoch} epochs in ${run.seconds.toFixed(0)} s; saved to ${out}`];
      if (evaluation) {
        lines.push(`held-out: ${test.length} words (stress ${s.stress ? 'kept' : 'removed'}), beam width ${beam}`, '', ...table([
          ['', 'phoneme error rate', 'word accuracy'],
          ['encoder–decoder', fmt(evaluation.model.errorRate, 4), fmt(evaluation.model.wordAccuracy, 4)],
          ['copy-through baseline', fmt(evaluation.copyThrough.errorRate, 4), fmt(evaluation.copyThrough.wordAccuracy, 4)],
        ]));
      }
      if (words.length > 0) {
        lines.push('');
        result.words.forEach((w) => lines.push(`${w.word}  ${w.phonemes.join(' ')}${w.dictionary ? `   (dictionary: ${w.dictionary.join(' ')})` : ''}`));
      }
      lines.push('', `pronounce more words with: echo stone | ${rnnkitCommand()} predict ${out}`);
      io.out(lines.join('\n') + '\n');
      return 0;
    });
  },
};

/** "gru, H = 64, bidirectional encoder, Luong attention": the model in a phrase. */
function shape(s: PronounceSettings): string {
  return `${s.cell}, H = ${s.hidden}${s.layers > 1 ? ` ×${s.layers} layers` : ''}, ${s.bidirectional ? 'bidirectional' : 'one-way'} encoder, ${s.attention === 'luong' ? 'Luong attention' : 'no attention'}`;
}

function evaluate(test: readonly Pronunciation[], pronounce: (w: readonly string[]) => string[][]): { model: { errorRate: number; wordAccuracy: number }; copyThrough: { errorRate: number; wordAccuracy: number } } {
  const refs = test.map((p) => p.phonemes);
  return {
    model: tokenErrorRate(pronounce(test.map((p) => p.word)), refs),
    copyThrough: tokenErrorRate(test.map((p) => copyThrough(p.word)), refs),
  };
}
