/**
 * `rnnkit pronounce`: spelling → pronunciation with the encoder–decoder
 * on the CMU Pronouncing Dictionary. Trains (or loads a saved model),
 * reports the held-out phoneme error rate and word accuracy beside the
 * copy-through baseline, and pronounces the words given on the command
 * line by beam search.
 */

import { readFileSync } from 'node:fs';
import type { CellKind } from '../../cells/cell.js';
import { FormatError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { loadCmudict } from '../../node/stdlib-data.js';
import { decode } from '../../seq2seq/decode.js';
import { Seq2Seq, type Seq2SeqOptions } from '../../seq2seq/model.js';
import { PairBatches } from '../../data/pairs.js';
import { decodeModel, encodeModel } from '../../io/model-file.js';
import { fit } from '../../train/fit.js';
import { writeFileAtomic } from '../../node/checkpoint-file.js';
import { tokenErrorRate } from '../../tasks/edit-distance.js';
import { copyThrough, pronunciations, type Pronunciation } from '../../tasks/pronounce.js';
import { SymbolTable } from '../../tasks/symbols.js';
import { UsageError, type Command } from '../args.js';
import { fmt } from '../format.js';
import { table, trainingOptions } from '../task-format.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyz'.split('');

export const pronounceCommand: Command = {
  name: 'pronounce',
  summary: 'spelling → pronunciation (CMU dictionary) with an encoder–decoder and beam search',
  usage: '[options] [word ...]',
  description: [
    'Trains an encoder–decoder on words of the CMU Pronouncing Dictionary (letters in, ARPAbet',
    'phonemes out, stress removed unless --stress), or loads one with --model. Reports the',
    'phoneme error rate (edit distance / reference length) and word accuracy on held-out words',
    'beside the copy-through baseline (each letter copied to one fixed phoneme), then prints',
    'the pronunciation of each word given.',
  ].join('\n'),
  options: [
    { name: 'model', type: 'string', arg: 'FILE', help: 'load a trained model instead of training' },
    { name: 'save', type: 'string', default: 'cmu.rnn', arg: 'FILE', help: 'where to write the trained model (.rnn)' },
    { name: 'words', type: 'int', min: 10, default: 20000, arg: 'N', help: 'training words (a seeded sample of the dictionary)' },
    { name: 'test-words', type: 'int', min: 0, default: 1000, arg: 'N', help: 'held-out words for the error rate (0 skips it; at most the number held out in training)' },
    { name: 'max-word', type: 'int', min: 1, default: 14, arg: 'N', help: 'ignore dictionary words longer than N letters' },
    { name: 'stress', type: 'boolean', help: 'keep stress digits on vowels (AH0, EY1)' },
    { name: 'beam', type: 'int', min: 1, default: 3, arg: 'K', help: 'beam width (1 = greedy)' },
    { name: 'decay', type: 'number', min: 0, max: 1, exclusiveMin: true, default: 0.8, arg: 'F', help: 'learning rate × F after each epoch' },
    ...trainingOptions({ cell: 'gru', hidden: 64, epochs: 6, lr: 0.005, batch: 32 }),
  ],
  positionals: [0, 1000],
  async run(args, io) {
    const o = args.options;
    // A loaded model brings the split it was trained with, so its held-out words stay unseen.
    let loaded: { model: Seq2Seq; phonemes: SymbolTable; extra: Readonly<Record<string, unknown>> } | null = null;
    if (typeof o.model === 'string') {
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(o.model);
      } catch (e) {
        throw new FormatError(`${o.model}: cannot read the model (${e instanceof Error ? e.message : String(e)})`);
      }
      const file = decodeModel(bytes, { what: o.model });
      if (file.model.kind !== 'seq2seq') throw new FormatError(`${o.model} is a ${file.model.kind} model, not a pronunciation model`);
      loaded = { model: file.model.model, phonemes: file.model.target, extra: file.extra };
    }
    const split = loaded ? (loaded.extra.split as { seed: number; maxWord: number; stress: boolean; testWords: number } | undefined) : undefined;
    if (loaded && !split) throw new FormatError(`${String(o.model)}: no "extra.split" record of the training split`);
    const stress = split ? split.stress : o.stress === true;
    const seed = split ? split.seed : (o.seed as number);
    const maxWord = split ? split.maxWord : (o['max-word'] as number);
    const dictionary = pronunciations(loadCmudict(), { stress, maxLength: maxWord });
    const all = new Rng(seed).shuffle([...dictionary]);
    const letters = new SymbolTable(LETTERS);
    let model: Seq2Seq;
    let phones: SymbolTable;
    let trained: { words: number; epochs: number; seconds: number; epochLoss: number[] } | null = null;
    const nTest = o['test-words'] as number;
    if (split && nTest > split.testWords) throw new UsageError(`--test-words ${nTest} is more than the ${split.testWords} words held out when this model was trained`);
    const test = all.slice(0, nTest);
    if (loaded) {
      model = loaded.model;
      phones = loaded.phonemes;
    } else {
      const nWords = o.words as number;
      if (nTest + nWords > all.length) throw new UsageError(`--words ${nWords} + --test-words ${nTest} exceeds the ${all.length} usable dictionary words`);
      const train = all.slice(nTest, nTest + nWords);
      phones = SymbolTable.fromSequences(dictionary.map((p) => p.phonemes));
      const options: Omit<Seq2SeqOptions, 'kernels'> = {
        cell: o.cell as CellKind, sourceVocabSize: letters.size, targetVocabSize: phones.size,
        hiddenSize: o.hidden as number, layers: o.layers as number, seed: o.seed as number,
      };
      model = new Seq2Seq(options);
      const started = Date.now();
      const pairs = train.map((p) => ({ source: letters.encode(p.word), target: phones.encode(p.phonemes) }));
      const result = await fit(model, new PairBatches(model, pairs, { batchSize: o.batch as number }), {
        epochs: o.epochs as number, learningRate: o.lr as number, schedule: { kind: 'epoch-decay', gamma: o.decay as number },
        optimizer: { kind: 'adam' }, clipNorm: 5, seed: (o.seed as number) + 1,
        ...(args.json ? {} : { onEpoch: (e) => io.err(`epoch ${e.epoch + 1}: cross-entropy per phoneme ${fmt(e.loss, 4)} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`) }),
      });
      const epochLoss = result.history.epochs.map((e) => e.loss);
      trained = { words: train.length, epochs: epochLoss.length, seconds: (Date.now() - started) / 1000, epochLoss };
      let maxTarget = 1;
      for (const p of pairs) maxTarget = Math.max(maxTarget, p.target.length);
      await writeFileAtomic(o.save as string, encodeModel(
        { kind: 'seq2seq', model, source: letters, target: phones, maxSourceLength: maxWord, maxTargetLength: maxTarget },
        { extra: { split: { seed, maxWord, stress, testWords: nTest } } }));
    }
    const beam = o.beam as number;
    const pronounce = (words: readonly string[]): string[][] => {
      const out: string[][] = [];
      for (let s = 0; s < words.length; s += 256) {
        const part = words.slice(s, s + 256);
        out.push(...decode(model, part.map((w) => letters.encode(w)), { beamWidth: beam, maxLength: 3 * Math.max(...part.map((w) => w.length)) + 5 }).map((d) => phones.decode(d.symbols)));
      }
      return out;
    };
    const evaluation = test.length > 0 ? evaluate(test, pronounce) : null;
    const words = args.positionals.map((w) => w.toLowerCase());
    for (const w of words) if (!/^[a-z]+$/.test(w)) throw new UsageError(`"${w}" is not a word of letters a–z`);
    const said = pronounce(words);
    const dictLookup = new Map(dictionary.map((p) => [p.word, p.phonemes]));
    const result = {
      cell: model.decoder.config.cell, hidden: model.decoder.config.hiddenSize, beam, stress,
      ...(trained ? { training: { ...trained, savedTo: o.save } } : { loadedFrom: o.model }),
      ...(evaluation ? { heldOut: evaluation } : {}),
      words: words.map((w, i) => ({ word: w, phonemes: said[i]!, dictionary: dictLookup.get(w) ?? null })),
    };
    if (args.json) {
      io.out(JSON.stringify(result, null, 2) + '\n');
      return 0;
    }
    const lines: string[] = [];
    if (trained) lines.push(`trained ${result.cell}, H = ${result.hidden} on ${trained.words} words, ${trained.epochs} epochs in ${trained.seconds.toFixed(0)} s; saved to ${o.save}`);
    if (evaluation) {
      lines.push(`held-out: ${test.length} words (stress ${stress ? 'kept' : 'removed'}), beam width ${beam}`, '', ...table([
        ['', 'phoneme error rate', 'word accuracy'],
        ['encoder–decoder', fmt(evaluation.model.errorRate, 4), fmt(evaluation.model.wordAccuracy, 4)],
        ['copy-through baseline', fmt(evaluation.copyThrough.errorRate, 4), fmt(evaluation.copyThrough.wordAccuracy, 4)],
      ]));
    }
    if (words.length > 0) {
      lines.push('');
      result.words.forEach((w) => lines.push(`${w.word}  ${w.phonemes.join(' ')}${w.dictionary ? `   (dictionary: ${w.dictionary.join(' ')})` : ''}`));
    }
    io.out(lines.join('\n') + '\n');
    return 0;
  },
};

function evaluate(test: readonly Pronunciation[], pronounce: (w: readonly string[]) => string[][]): { model: { errorRate: number; wordAccuracy: number }; copyThrough: { errorRate: number; wordAccuracy: number } } {
  const refs = test.map((p) => p.phonemes);
  return {
    model: tokenErrorRate(pronounce(test.map((p) => p.word)), refs),
    copyThrough: tokenErrorRate(test.map((p) => copyThrough(p.word)), refs),
  };
}
