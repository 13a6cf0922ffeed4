/**
 * sampleIndex against the algorithm it replaced: the τ = 1 path without
 * top-k/top-p (which draws from ŷ directly, with no log, exp or buffer)
 * and the general path (whose work buffers are now reused) pick the same
 * symbol as the previous code for the same generator state; the τ = 1
 * draw follows ŷ over a character vocabulary; symbols of probability 0 are
 * never drawn.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../src/core/rng.js';
import { argmax, sampleIndex, type SamplingOptions } from '../src/text/sample.js';

/**
 * The previous sampleIndex, verbatim in its arithmetic (a new weight array
 * and an index array per call; w_k = exp((ln ŷ_k − ln ŷ_max)/τ) at every τ).
 */
function referenceDraw(p: ArrayLike<number>, options: SamplingOptions, rng: Rng): number {
  const n = p.length;
  const tau = options.temperature ?? 1;
  if (options.greedy || tau === 0 || options.topK === 1) return argmax(p);
  const best = argmax(p);
  const logMax = Math.log(p[best]!);
  const w = new Float64Array(n);
  for (let k = 0; k < n; k++) w[k] = p[k]! > 0 ? Math.exp((Math.log(p[k]!) - logMax) / tau) : 0;
  let keep = n;
  let order: number[] | null = null;
  if ((options.topK !== undefined && options.topK < n) || (options.topP !== undefined && options.topP < 1)) {
    order = Array.from({ length: n }, (_, k) => k).sort((a, b) => w[b]! - w[a]! || a - b);
    if (options.topK !== undefined) keep = Math.min(keep, options.topK);
    if (options.topP !== undefined && options.topP < 1) {
      let total = 0;
      for (let r = 0; r < keep; r++) total += w[order[r]!]!;
      let cum = 0;
      for (let r = 0; r < keep; r++) {
        cum += w[order[r]!]!;
        if (cum >= options.topP * total * (1 - 1e-12)) {
          keep = r + 1;
          break;
        }
      }
    }
  }
  let total = 0;
  for (let r = 0; r < keep; r++) total += w[order ? order[r]! : r]!;
  let u = rng.next() * total;
  for (let r = 0; r < keep; r++) {
    const k = order ? order[r]! : r;
    u -= w[k]!;
    if (u < 0) return k;
  }
  for (let r = keep - 1; r >= 0; r--) {
    const k = order ? order[r]! : r;
    if (w[k]! > 0) return k;
  }
  return best;
}

/** A softmax-like distribution over n symbols (spread e^(3z)), some exactly 0, rounded to float32 when asked. */
function randomDistribution(rng: Rng, n: number, zeros: boolean, float32: boolean): Float64Array | Float32Array {
  const p = float32 ? new Float32Array(n) : new Float64Array(n);
  let s = 0;
  for (let k = 0; k < n; k++) s += (p[k] = zeros && rng.next() < 0.2 ? 0 : Math.exp(3 * rng.normal()));
  if (s === 0) p[n - 1] = s = 1;
  for (let k = 0; k < n; k++) p[k]! /= s;
  return p;
}

test('at τ = 1 the direct draw picks the symbol the previous algorithm picked', () => {
  const gen = new Rng(17);
  const a = new Rng(5);
  const b = new Rng(5);
  let draws = 0;
  for (let trial = 0; trial < 2000; trial++) {
    const n = 1 + Math.floor(gen.next() * 100);
    const p = randomDistribution(gen, n, trial % 3 === 0, trial % 2 === 0);
    // topK ≥ n and topP = 1 truncate nothing: the same direct path
    const options: SamplingOptions = [{}, { temperature: 1 }, { topK: n }, { topP: 1 }][trial % 4]!;
    for (let i = 0; i < 25; i++) {
      assert.equal(sampleIndex(p, options, a), referenceDraw(p, options, b), `trial ${trial}, draw ${i}, n = ${n}`);
      draws++;
    }
  }
  assert.equal(draws, 50000);
  assert.deepEqual(a.getState(), b.getState(), 'both consumed the generator alike');
});

test('the general path (temperature, top-k, top-p) with reused buffers picks what the previous algorithm picked', () => {
  const gen = new Rng(23);
  const a = new Rng(8);
  const b = new Rng(8);
  for (let trial = 0; trial < 3000; trial++) {
    // the vocabulary size changes between calls, so the work buffers are remade and reused
    const n = 1 + Math.floor(gen.next() * 90);
    const p = randomDistribution(gen, n, trial % 4 === 0, trial % 2 === 1);
    const options: SamplingOptions = {
      temperature: [0.3, 0.8, 1, 1.7][trial % 4]!,
      ...(trial % 3 === 0 ? { topK: 1 + Math.floor(gen.next() * n) } : {}),
      ...(trial % 5 < 2 ? { topP: 0.05 + 0.95 * gen.next() } : {}),
    };
    for (let i = 0; i < 5; i++) {
      assert.equal(sampleIndex(p, options, a), referenceDraw(p, options, b), `trial ${trial}, ${JSON.stringify(options)}, n = ${n}`);
    }
  }
});

test('τ = 1 draws follow ŷ over 85 symbols and never pick a symbol of probability 0', () => {
  const n = 85;
  const p = randomDistribution(new Rng(4), n, true, true);
  const rng = new Rng(99);
  const draws = 200_000;
  const count = new Float64Array(n);
  for (let i = 0; i < draws; i++) count[sampleIndex(p, { temperature: 1 }, rng)]!++;
  let chi2 = 0;
  let df = -1;
  for (let k = 0; k < n; k++) {
    if (p[k] === 0) {
      assert.equal(count[k], 0, `symbol ${k} has probability 0 but was drawn`);
      continue;
    }
    const expected = draws * p[k]!;
    chi2 += (count[k]! - expected) ** 2 / expected;
    df++;
  }
  // χ² with df degrees of freedom has mean df and standard deviation √(2·df)
  assert.ok(chi2 < df + 6 * Math.sqrt(2 * df), `χ² = ${chi2.toFixed(1)} with ${df} degrees of freedom`);
});

test('a one-hot distribution always gives its symbol, and plain arrays work', () => {
  const rng = new Rng(1);
  const p = [0, 0, 1, 0];
  for (let i = 0; i < 100; i++) assert.equal(sampleIndex(p, {}, rng), 2);
  assert.equal(sampleIndex([0.5, 0.5], { temperature: 1 }, new Rng(1)), referenceDraw([0.5, 0.5], {}, new Rng(1)));
});
