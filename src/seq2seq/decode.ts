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
}

/** One decoded output. */
export interface Seq2SeqDecoded {
  /** Target symbols, without boundary symbols. */
  readonly symbols: number[];
  /** Σ log ŷ of the chosen symbols (and of the end symbol when it was reached). */
  readonly logProb: number;
  /** False when the length limit stopped it before the end symbol. */
  readonly ended: boolean;
}

interface Hypothesis {
  symbols: number[];
  logProb: number;
  ended: boolean;
}

/**
 * Decodes each source sequence (symbol indices) into target symbols by
 * beam search (greedy when `beamWidth` is 1).
 */
export function decode(model: Seq2Seq, sources: readonly (readonly number[])[], options: Seq2SeqDecodeOptions = {}): Seq2SeqDecoded[] {
  const beam = options.beamWidth === undefined ? 1 : expectPositiveInt('beamWidth', options.beamWidth);
  if (sources.length === 0) return [];
  const longest = sources.reduce((m, s) => Math.max(m, s.length), 0); // a loop: any number of sources
  const maxLength = options.maxLength === undefined ? 2 * longest + 5 : expectPositiveInt('maxLength', options.maxLength);
  const B = sources.length;
  const batch = model.makeBatch(sources.map((source) => ({ source, target: [] })));
  const finals = model.encode(batch);
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
  // Hypotheses per source; at the start only beam slot 0 is alive, so the first step does not pick duplicates.
  const alive: Hypothesis[][] = sources.map(() => [{ symbols: [], logProb: 0, ended: false }]);
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
    // neto = h_L·V + b_o, then log-softmax row by row
    dec.kernels.gemm(false, false, R, K, H, states[L - 1]!.h, 0, H, dec.V, 0, K, logits, 0, K, false);
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
        if (c.sym === model.boundary) {
          done[b]!.push({ symbols: prev.symbols.slice(), logProb: c.logProb, ended: true });
          continue;
        }
        if (lastStep) continue;
        next.push({ symbols: [...prev.symbols, c.sym], logProb: c.logProb, ended: false });
        fromSlots.push(c.from);
      }
      // Stop a source when its best finished hypothesis beats every alive one (scores only fall).
      const bestDone = done[b]!.reduce((m, h) => Math.max(m, h.logProb), -Infinity);
      const bestAlive = next.reduce((m, h) => Math.max(m, h.logProb), -Infinity);
      if (bestDone >= bestAlive) {
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
  return done.map((list, b) => {
    if (list.length === 0) throw new OptionError(`decode: no hypothesis for source ${b}`);
    let best = list[0]!;
    for (const h of list) if (h.logProb > best.logProb) best = h;
    return { symbols: best.symbols, logProb: best.logProb, ended: best.ended };
  });
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
