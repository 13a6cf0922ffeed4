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
