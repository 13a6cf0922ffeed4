/**
 * docs/maths.md §5 prints the worked example number for number; this test
 * recomputes every number from the code (`lectureWalkthrough`, float64) and
 * checks the document both ways: each value the walkthrough shows is in the
 * section, and each 4-decimal number in the section is one the code
 * computes (to half a unit in the last place) — so no number in the
 * document can go stale.
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { CommandIO } from '../src/cli/args.js';
import { exactHiddenDeltas } from '../src/cli/commands/lecture.js';
import { main } from '../src/cli/main.js';
import { lectureWalkthrough } from '../src/lecture/walkthrough.js';
import type { CellState } from '../src/cells/cell.js';
import { Rng } from '../src/core/rng.js';
import { numericGradient, relativeError } from '../src/model/gradcheck.js';
import { Network, type SequenceBatch } from '../src/model/network.js';

const DOC = fileURLToPath(new URL('../../docs/maths.md', import.meta.url));

/** The text of `## 5.` up to `## 6.`, with Unicode minus signs made ASCII. */
function section5(): string {
  const text = readFileSync(DOC, 'utf8');
  const start = text.indexOf('\n## 5. ');
  const end = text.indexOf('\n## 6. ');
  assert.ok(start > 0 && end > start, 'docs/maths.md has sections 5 and 6');
  return text.slice(start, end).replaceAll('−', '-');
}

const rowTimesT = (a: readonly number[], M: readonly (readonly number[])[]): number[] =>
  M.map((row) => row.reduce((s, m, j) => s + m * a[j]!, 0)); // a·Mᵀ
const plus = (a: readonly number[], b: readonly number[]): number[] => a.map((v, i) => v + b[i]!);

/** Every number the section derives, from the code. */
function computed(): number[] {
  const w = lectureWalkthrough();
  const f = w.forward;
  const { U, V, W } = w.weights;
  const dOV = f.deltaO.map((d) => rowTimesT(d, V)); // δo(t)·Vᵀ
  const dNet2 = dOV[1]!;
  const dNet2W = rowTimesT(dNet2, W); // δneth(2)·Wᵀ
  const dNet1 = plus(dOV[0]!, dNet2W);
  const y = [[0, 1, 0], [0, 0, 1]];
  const err = f.yhat.map((row, t) => row.map((v, j) => y[t]![j]! - v)); // y(t) − ŷ(t)
  const Jt = err.map((row) => row.reduce((s, e) => s + e * e, 0));
  const ex = w.gradients.exact!;
  const le = w.gradients.lecture!;
  const te = w.training.exact!;
  const tl = w.training.lecture!;
  const shown = [
    ...U.flat(), ...V.flat(), ...W.flat(),
    ...f.h.flat(), ...f.yhat.flat(), f.J, f.rmse, ...f.deltaO.flat(),
    ...ex.dV.flat(), ...ex.dW.flat(), ...ex.dU[0]!, ...le.dW.flat(), ...le.dU[0]!,
    ...err.flat(), ...Jt, ...dOV.flat(), ...dNet1, ...dNet2, ...dNet2W,
    ...[te, tl].flatMap((t) => [...t.U.flat(), ...t.W.flat(), ...t.V.flat(), ...t.yhat.flat(), ...t.rmse.slice(0, 4)]),
  ];
  return shown;
}

/** Numbers written with exactly 4 decimals in a text. */
function fourDecimals(text: string): number[] {
  return [...text.matchAll(/-?\d+\.\d{4}(?!\d)/g)].map((m) => Number(m[0]));
}

test('every number of the walkthrough appears in docs/maths.md §5, to 4 decimals', () => {
  const text = section5();
  const inDoc = fourDecimals(text);
  const missing = computed().filter((v) => !inDoc.some((d) => Math.abs(d - v) <= 5e-5 + 1e-12));
  assert.deepEqual(missing, []);
});

test('every 4-decimal number in docs/maths.md §5 is one the code computes', () => {
  // The slides' own rounding, quoted as such: W[2][1] printed −0.4082 (the code: −0.4081) and ŷ(1)[2] printed 1.0001.
  const quoted = [-0.4082, 1.0001];
  const values = computed();
  const inDoc = fourDecimals(section5());
  assert.ok(inDoc.length > 100, `found ${inDoc.length} numbers`);
  const stray = inDoc.filter((d) => !quoted.includes(d) && !values.some((v) => Math.abs(d - v) <= 5e-5 + 1e-12));
  assert.deepEqual(stray, []);
});

test('the update counts and the last RMSE values in §5 are the code\'s', () => {
  const text = section5();
  const w = lectureWalkthrough();
  const te = w.training.exact!;
  const tl = w.training.lecture!;
  assert.match(text, new RegExp(`after \\*\\*${tl.updates} updates\\*\\* \\(${tl.rmse.length} RMSE values`));
  assert.match(text, new RegExp(`after \\*\\*${te.updates} updates\\*\\*`));
  for (const t of [te, tl]) {
    for (const v of t.rmse.slice(-2)) assert.ok(text.includes(v.toFixed(6)), `RMSE ${v.toFixed(6)} in the text`);
  }
});

test('rnnkit lecture prints the δneth(t) of §5, and they are the network\'s own', async () => {
  const w = lectureWalkthrough({ modes: ['exact'] });
  const dNet = exactHiddenDeltas(w.forward.deltaO, w.weights.V, w.weights.W);
  // x(1) = [1, 0, 0] and x(2) = 0, so row 1 of ∂J/∂U is δneth(1); h(0) = 0, so ∂J/∂W = h(1)ᵀ·δneth(2)
  dNet[0]!.forEach((v, j) => assert.ok(Math.abs(v - w.gradients.exact!.dU[0]![j]!) < 1e-12, `δneth(1)[${j}]`));
  const h1 = w.forward.h[0]!;
  w.gradients.exact!.dW.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - h1[i]! * dNet[1]![j]!) < 1e-12, `∂J/∂W[${i}][${j}]`)));
  let out = '';
  const io: CommandIO = { out: (t) => void (out += t), err: () => undefined, isTTY: false, signal: new AbortController().signal };
  assert.equal(await main(['lecture'], io), 0);
  const doc = section5();
  for (const [t, d] of [[1, dNet[0]!], [2, dNet[1]!]] as const) {
    const printed = d.map((v) => v.toFixed(4));
    assert.match(out, new RegExp(`^δneth\\(${t}\\) = .* = \\[ +${printed.join(' +')} \\]$`, 'm'));
    assert.match(doc, new RegExp(`δneth\\(${t}\\) = [\\s\\S]{0,120}?= \\[${printed.join(', +')}\\]`));
  }
});

/**
 * docs/maths.md §4, truncated BPTT in a stack, by brute force. With the
 * states of the full forward pass stored as constants, build two losses whose
 * every path is allowed by a truncation rule, and differentiate them by
 * central differences (no backward code of any cell):
 *
 * - the per-layer rule: J(t) reads h of the top layer at step t, computed by
 *   re-running that layer from its stored state after step t−k; each input
 *   it reads at a step s is the layer below's h(s), itself re-run from ITS
 *   stored state after step s−k, and so on down;
 * - the detached state: J(t) reads the stack re-run from every layer's
 *   stored state after step t−k.
 */
function ruleLosses(net: Network, batch: SequenceBatch, k: number): { perLayer: () => number; detached: () => number } {
  const { T, B } = batch;
  const { hiddenSize: H, outputSize: K } = net.config;
  const x = batch.x.data as Float64Array;
  const y = batch.y.data as Float64Array;
  net.forward(batch);
  const stored: CellState[][] = [];
  for (let s = 0; s <= T; s++) stored.push(net.stateAt(s, B).map((st) => (st.c ? { h: st.h.slice(), c: st.c.slice() } : { h: st.h.slice() })));
  /** Layer l re-run over steps s0+1..s from its stored state after s0, on the given inputs; h after each step. */
  const run = (l: number, s0: number, inputs: Float64Array): Float64Array[] => {
    const cell = net.layers[l]!;
    const steps = inputs.length / (B * cell.inputSize);
    const cache = cell.createCache(steps, B);
    cell.forward({ kind: 'dense', data: inputs }, steps, B, cache, stored[s0]![l]);
    return Array.from({ length: steps }, (_, i) => Float64Array.from(cell.stateAt(i + 1, B, cache).h));
  };
  const xSteps = (from: number, to: number): Float64Array => x.slice(from * B * net.config.inputSize, to * B * net.config.inputSize);
  /** Per-layer rule: h of layer l at step s. */
  const reach = (l: number, s: number): Float64Array => {
    const s0 = Math.max(0, s - k);
    let inputs: Float64Array;
    if (l === 0) inputs = xSteps(s0, s);
    else {
      inputs = new Float64Array((s - s0) * B * H);
      for (let u = s0 + 1; u <= s; u++) inputs.set(reach(l - 1, u), (u - s0 - 1) * B * H);
    }
    return run(l, s0, inputs).at(-1)!;
  };
  /** Every layer re-run from its stored state after s0 up to step t; the top layer's h(t). */
  const fromDetached = (s0: number, t: number): Float64Array => {
    let inputs = xSteps(s0, t);
    let hs: Float64Array[] = [];
    for (let l = 0; l < net.layers.length; l++) {
      hs = run(l, s0, inputs);
      inputs = new Float64Array(hs.length * B * H);
      hs.forEach((h, i) => inputs.set(h, i * B * H));
    }
    return hs.at(-1)!;
  };
  /** Squared error of step t from the top layer's h(t): ŷ = h·V + b_o. */
  const stepLoss = (t: number, h: Float64Array): number => {
    const V = net.params.view('V');
    const bo = net.params.view('b_o');
    let J = 0;
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < K; j++) {
        let o = bo[j]!;
        for (let i = 0; i < H; i++) o += h[b * H + i]! * V[i * K + j]!;
        J += (y[((t - 1) * B + b) * K + j]! - o) ** 2;
      }
    }
    return J;
  };
  const sum = (f: (t: number) => number): number => Array.from({ length: T }, (_, i) => f(i + 1)).reduce((a, b) => a + b, 0);
  return {
    perLayer: () => sum((t) => stepLoss(t, reach(net.layers.length - 1, t))),
    detached: () => sum((t) => stepLoss(t, fromDetached(Math.max(0, t - k), t))),
  };
}

test('§4: truncated BPTT follows the per-layer rule; it is the detached-state gradient for one layer or k = 1 only', () => {
  const T = 6;
  const B = 2;
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    for (const layers of [1, 2, 3]) {
      const net = new Network({ cell, inputSize: 2, hiddenSize: 3, outputSize: 2, layers, dtype: 'float64' });
      const rng = new Rng(40 + layers);
      for (let i = 0; i < net.params.size; i++) net.params.data[i] = rng.uniform(-0.8, 0.8);
      const batch: SequenceBatch = {
        T, B,
        x: { kind: 'dense', data: Float64Array.from({ length: T * B * 2 }, () => rng.uniform(-1, 1)) },
        y: { kind: 'dense', data: Float64Array.from({ length: T * B * 2 }, () => rng.uniform(-1, 1)) },
      };
      for (const k of [1, 2, 3]) {
        net.params.zeroGrad();
        net.gradient(batch, { truncate: k });
        const code = Float64Array.from(net.params.grad);
        const { perLayer, detached } = ruleLosses(net, batch, k);
        const byRule = numericGradient(net.params.data, perLayer);
        const byDetached = numericGradient(net.params.data, detached);
        const label = `${cell}, ${layers} layer(s), k = ${k}`;
        assert.ok(relativeError(code, byRule) < 1e-7, `${label}: against the per-layer rule ${relativeError(code, byRule)}`);
        const gap = relativeError(code, byDetached);
        if (layers === 1 || k === 1) assert.ok(gap < 1e-7, `${label}: equals the detached-state gradient (${gap})`);
        else assert.ok(gap > 1e-4, `${label}: differs from the detached-state gradient (${gap})`);
      }
    }
  }
});
