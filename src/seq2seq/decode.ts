/**
 * Decoding with a trained {@link Seq2Seq}: greedy (beam width 1) and beam
 * search, both stopping at the end symbol or a length limit.
 *
 * The decoder advances one step at a time for all R = B·beamWidth
 * hypotheses together. Each step starts the decoder's cells afresh from the
 * hypotheses' current states (`beginSequence` with those states, then step
 * 1), so reordering beams is a row copy of our own state buffers:
 *
 *   h(t) = cell(x(t) = previous symbol, h(t−1)),  log ŷ(t) = log softmax(h_L(t)·V + b_o)
 *
 * A hypothesis' score is Σ log ŷ of its symbols (end symbol included).
 *
 * n-best: with `nBest: N` (N ≤ beamWidth) a source's search runs until its
 * N-th best finished hypothesis scores at least as high as every alive one
 * (scores only fall as symbols are added, so no alive hypothesis can still
 * enter the N best), and the N best finished hypotheses come back, best
 * first. N = 1 stops where plain beam search stops.
 *
 * With attention, each row's top state s(t) attends over its own source's
 * encoder states and the output reads h̃(t) (src/seq2seq/attention.ts); a
 * hypothesis carries the weights α of every symbol it emitted.
 */

import { expectPositiveInt, OptionError } from '../core/errors.js';
import { allocate, type Float } from '../core/tensor.js';
import type { CellCache, CellState, SequenceInput } from '../cells/cell.js';
import type { Seq2Seq } from './model.js';

/** Options of {@link decode}. */
export interface Seq2SeqDecodeOptions {
  /** Hypotheses kept per source; 1 is greedy decoding. Default 1. */
  readonly beamWidth?: number;
  /** Longest output, in symbols (end symbol excluded). Default 2 × the longest source + 5. */
  readonly maxLength?: number;
  /** Return each output step's attention weights (a model with attention only). Default false. */
  readonly attention?: boolean;
  /** Also return the N best finished hypotheses (N ≤ beamWidth) as `nBest`, best first. Default: not returned. */
  readonly nBest?: number;
}

/** One hypothesis of the beam: its symbols and score. */
export interface Seq2SeqHypothesis {
  /** Target symbols, without boundary symbols. */
  readonly symbols: number[];
  /** Σ log ŷ of the chosen symbols (and of the end symbol when it was reached). */
  readonly logProb: number;
  /** False when the length limit stopped it before the end symbol. */
  readonly ended: boolean;
  /**
   * With `attention: true`: for each emitted symbol (the end symbol too, when
   * reached), its weights over the source's symbols (they sum to 1).
   */
  readonly attention?: number[][];
}

/** One decoded output: the best hypothesis, and with `nBest` the N best. */
export interface Seq2SeqDecoded extends Seq2SeqHypothesis {
  /**
   * With `nBest: N`: the N best finished hypotheses, sorted by score (best
   * first; the first is the one above). Fewer when fewer finished before
   * the length limit; when none did, the length-limited ones (`ended: false`).
   */
  readonly nBest?: readonly Seq2SeqHypothesis[];
}

interface Hypothesis {
  symbols: number[];
  logProb: number;
  ended: boolean;
  /** α of each emitted symbol, when asked for. */
  alphas: number[][];
}

/**
 * Decodes each source sequence (symbol indices) into target symbols by
 * beam search (greedy when `beamWidth` is 1).
 */
export function decode(model: Seq2Seq, sources: readonly (readonly number[])[], options: Seq2SeqDecodeOptions = {}): Seq2SeqDecoded[] {
  const beam = options.beamWidth === undefined ? 1 : expectPositiveInt('beamWidth', options.beamWidth);
  const nBest = options.nBest === undefined ? 1 : expectPositiveInt('nBest', options.nBest);
  if (nBest > beam) throw new OptionError(`decode: nBest ${nBest} exceeds beamWidth ${beam}; the beam keeps at most beamWidth hypotheses, so raise beamWidth to at least ${nBest}`);
  if (sources.length === 0) return [];
  const longest = sources.reduce((m, s) => Math.max(m, s.length), 0); // a loop: any number of sources
  const maxLength = options.maxLength === undefined ? 2 * longest + 5 : expectPositiveInt('maxLength', options.maxLength);
  const attention = model.attention;
  const withWeights = options.attention ?? false;
  if (withWeights && !attention) throw new OptionError('decode: attention weights were asked for, but the model has no attention');
  const B = sources.length;
  const batch = model.makeBatch(sources.map((source) => ({ source, target: [] })));
  const finals = model.encode(batch);
  const memory = attention ? model.encoder.topStates() : null;
  const dec = model.decoder;
  const H = dec.config.hiddenSize;
  const K = dec.config.outputSize;
  const L = dec.layers.length;
  const R = B * beam;
  const dtype = dec.config.dtype;
  const hasC = dec.layers[0]!.stateNames.includes('c');
  // Per-layer state of each hypothesis row (R×H), and a second set for reordering.
  const mkStates = (): { h: Float; c: Float }[] => dec.layers.map(() => ({ h: allocate(dtype, R * H), c: allocate(dtype, R * H) }));
  let states = mkStates();
  let spare = mkStates();
  for (let l = 0; l < L; l++) {
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < beam; k++) {
        const r = b * beam + k;
        states[l]!.h.set(finals[l]!.h.subarray(b * H, (b + 1) * H), r * H);
        if (hasC) states[l]!.c.set(finals[l]!.c!.subarray(b * H, (b + 1) * H), r * H);
      }
    }
  }
  const caches: CellCache[] = dec.layers.map((cell) => cell.createCache(1, R));
  const xIndex = new Int32Array(R);
  const logits = allocate(dtype, R * K);
  // row r = b·beam + k reads source b's encoder states
  const rowSource = Int32Array.from({ length: R }, (_, r) => Math.floor(r / beam));
  // Hypotheses per source; at the start only beam slot 0 is alive, so the first step does not pick duplicates.
  const alive: Hypothesis[][] = sources.map(() => [{ symbols: [], logProb: 0, ended: false, alphas: [] }]);
  const done: Hypothesis[][] = sources.map(() => []);
  for (let step = 0; step <= maxLength; step++) {
    // x(t) = previous symbol of each hypothesis (⟨s⟩ first); rows of dead slots decode ⟨s⟩ and are ignored.
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < beam; k++) {
        const hyp = alive[b]![k];
        xIndex[b * beam + k] = hyp && hyp.symbols.length > 0 ? hyp.symbols[hyp.symbols.length - 1]! : model.boundary;
      }
    }
    let input: SequenceInput = { kind: 'index', data: xIndex };
    for (let l = 0; l < L; l++) {
      const cell = dec.layers[l]!;
      const init: CellState = hasC ? { h: states[l]!.h, c: states[l]!.c } : { h: states[l]!.h };
      cell.beginSequence(R, caches[l]!, init);
      cell.forwardStep(input, 1, R, caches[l]!);
      const s = cell.stateAt(1, R, caches[l]!);
      states[l]!.h.set(s.h.subarray(0, R * H));
      if (hasC && s.c) states[l]!.c.set(s.c.subarray(0, R * H));
      input = { kind: 'dense', data: states[l]!.h };
    }
    // neto = h_L·V + b_o (h̃·V + b_o with attention), then log-softmax row by row
    const top = attention ? attention.forward(memory!, batch.sourceT, B, batch.sourceMask, states[L - 1]!.h, { rows: R, source: rowSource }) : states[L - 1]!.h;
    const alpha = attention ? attention.weights() : null;
    const Ts = batch.sourceT;
    const weightsOf = (hyp: Hypothesis, row: number, b: number): number[][] => (withWeights
      ? [...hyp.alphas, Array.from(alpha!.subarray(row * Ts, row * Ts + sources[b]!.length))]
      : hyp.alphas);
    dec.kernels.gemm(false, false, R, K, H, top, 0, H, dec.V, 0, K, logits, 0, K, false);
    if (dec.b_o) dec.kernels.addRowVector(R, K, logits, 0, K, dec.b_o, 0);
    logSoftmaxRows(logits, R, K);
    const lastStep = step === maxLength;
    let anyAlive = false;
    for (let b = 0; b < B; b++) {
      const hyps = alive[b]!;
      if (hyps.length === 0) continue;
      // Candidates: every alive hypothesis extended by every symbol.
      const cand: { from: number; sym: number; logProb: number }[] = [];
      hyps.forEach((hyp, k) => {
        const o = (b * beam + k) * K;
        for (let j = 0; j < K; j++) cand.push({ from: k, sym: j, logProb: hyp.logProb + logits[o + j]! });
      });
      cand.sort((p, q) => q.logProb - p.logProb);
      const next: Hypothesis[] = [];
      const fromSlots: number[] = [];
      for (const c of cand) {
        if (next.length >= beam) break;
        const prev = hyps[c.from]!;
        const row = b * beam + c.from;
        if (c.sym === model.boundary) {
          done[b]!.push({ symbols: prev.symbols.slice(), logProb: c.logProb, ended: true, alphas: weightsOf(prev, row, b) });
          continue;
        }
        if (lastStep) continue;
        next.push({ symbols: [...prev.symbols, c.sym], logProb: c.logProb, ended: false, alphas: weightsOf(prev, row, b) });
        fromSlots.push(c.from);
      }
      // Stop a source when its N-th best finished hypothesis beats every alive one (scores only fall).
      const nthDone = nthBest(done[b]!, nBest);
      const bestAlive = next.reduce((m, h) => Math.max(m, h.logProb), -Infinity);
      if (nthDone >= bestAlive) {
        if (lastStep && done[b]!.length === 0) done[b]!.push(...hyps); // the length limit stopped every hypothesis
        alive[b] = [];
        continue;
      }
      alive[b] = next;
      anyAlive = true;
      // Reorder state rows: new slot k continues old slot fromSlots[k].
      for (let l = 0; l < L; l++) {
        fromSlots.forEach((from, k) => {
          const src = (b * beam + from) * H;
          const dst = (b * beam + k) * H;
          spare[l]!.h.set(states[l]!.h.subarray(src, src + H), dst);
          if (hasC) spare[l]!.c.set(states[l]!.c.subarray(src, src + H), dst);
        });
      }
    }
    if (!anyAlive) break;
    [states, spare] = [spare, states];
    // (rows of sources that stopped are never read again)
  }
  const shown = (h: Hypothesis): Seq2SeqHypothesis => ({ symbols: h.symbols, logProb: h.logProb, ended: h.ended, ...(withWeights ? { attention: h.alphas } : {}) });
  return done.map((list, b) => {
    if (list.length === 0) throw new OptionError(`decode: no hypothesis for source ${b}`);
    // best first; a stable sort keeps the earlier-found hypothesis first on a tie
    const sorted = list.slice().sort((p, q) => q.logProb - p.logProb);
    const best = shown(sorted[0]!);
    return options.nBest === undefined ? best : { ...best, nBest: [best, ...sorted.slice(1, nBest).map(shown)] };
  });
}

/** The N-th best score of a list of hypotheses (−∞ when it holds fewer than N). */
function nthBest(list: readonly Hypothesis[], n: number): number {
  if (list.length < n) return -Infinity;
  if (n === 1) return list.reduce((m, h) => Math.max(m, h.logProb), -Infinity);
  return list.map((h) => h.logProb).sort((p, q) => q - p)[n - 1]!;
}

/** log ŷ = neto − log Σ exp(neto), row by row (stable: subtract the row max). */
function logSoftmaxRows(a: Float, rows: number, K: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * K;
    let m = -Infinity;
    for (let j = 0; j < K; j++) if (a[o + j]! > m) m = a[o + j]!;
    let s = 0;
    for (let j = 0; j < K; j++) s += Math.exp(a[o + j]! - m);
    const lse = m + Math.log(s);
    for (let j = 0; j < K; j++) a[o + j] = a[o + j]! - lse;
  }
}
