/**
 * "The worked example": the lecture's counting example (input 1, expect 2
 * then 3) step by step — forward pass, loss, δo, each gradient with the
 * exact and the lecture values side by side — then training to (2, 3).
 * Every weight is editable; every number is recomputed by the library
 * (lectureWalkthrough) on each edit.
 */

import { LECTURE_U, LECTURE_V, LECTURE_W, lectureBatch, lectureNetwork } from '../../src/lecture/example.js';
import { lectureWalkthrough, type GradientMode, type LectureWalkthrough } from '../../src/lecture/walkthrough.js';
import { gradientDescent } from '../../src/train/gradient-descent.js';
import { toRows } from '../../src/core/tensor.js';
import type { Network } from '../../src/model/network.js';
import { LineChart } from './chart.js';
import { el, field, fmt, matrixTable, numberInput, rich, updateMatrix } from './dom.js';
import { unrolledFigure } from './unrolled.js';

type Weights = { U: number[][]; V: number[][]; W: number[][] };
const MODES: readonly GradientMode[] = ['exact', 'lecture'];
const MODE_LABEL: Record<GradientMode, string> = { exact: 'exact BPTT', lecture: 'lecture slides' };

const copy = (m: readonly (readonly number[])[]): number[][] => m.map((r) => [...r]);

export function walkthroughPage(panel: HTMLElement): void {
  let weights: Weights = { U: copy(LECTURE_U), V: copy(LECTURE_V), W: copy(LECTURE_W) };
  let result: LectureWalkthrough | null = null;
  /** Modes whose training diverged from the current weights, with the library's message. */
  const failures = new Map<GradientMode, string>();
  const tables = new Map<string, HTMLTableElement>();
  const texts = new Map<string, HTMLElement>();

  /** A matrix slot, filled on every recompute. */
  const m = (name: string, caption: string): HTMLTableElement => {
    const t = matrixTable(name, [[0]], caption);
    tables.set(name, t);
    return t;
  };
  /** A text slot (a scalar or a sequence), filled on every recompute. */
  const v = (name: string, tag: 'span' | 'strong' = 'span'): HTMLElement => {
    const s = el(tag, { 'data-name': name, class: 'value' });
    texts.set(name, s);
    return s;
  };
  const eq = (label: string, ...rhs: (Node | string)[]): HTMLDivElement => el('div', { class: 'eq' }, el('span', { class: 'lhs' }, rich(`${label} =`)), ...rhs);
  /** A paragraph with the notation typeset. */
  const para = (text: string): HTMLElement => rich(text, 'p');
  /** Set by an edit of the weights or η: the next recompute highlights the numbers that changed. */
  let marking = false;

  // --- weights editor ---
  const inputs: HTMLInputElement[] = [];
  const weightGrid = (name: 'U' | 'V' | 'W', shape: string): HTMLElement => {
    const rows = weights[name];
    const tbl = el('table', { class: 'matrix edit', 'aria-label': `${name} (${shape}), editable` });
    const body = el('tbody');
    rows.forEach((row, i) => {
      const tr = el('tr');
      row.forEach((val, j) => {
        const inp = el('input', {
          type: 'number', step: 0.0001, value: val.toFixed(4), 'data-weight': `${name}-${i}-${j}`, inputmode: 'decimal',
          'aria-label': `${name} row ${i + 1} column ${j + 1}`,
        });
        inp.addEventListener('input', () => {
          const x = Number(inp.value);
          if (inp.value.trim() === '' || !Number.isFinite(x)) { inp.setAttribute('aria-invalid', 'true'); return; }
          inp.removeAttribute('aria-invalid');
          weights[name][i]![j] = x;
          marking = true;
          recompute();
        });
        inputs.push(inp);
        tr.append(el('td', {}, inp));
      });
      body.append(tr);
    });
    tbl.append(body);
    return el('div', { class: 'named' }, el('span', { class: 'mname', text: `${name} =` }), el('span', { class: 'bracket' }, tbl), el('small', { class: 'shape', text: shape }));
  };
  const resetWeights = el('button', { type: 'button', id: 'walk-reset-weights', text: 'Back to the slides\u2019 weights' });
  resetWeights.addEventListener('click', () => {
    weights = { U: copy(LECTURE_U), V: copy(LECTURE_V), W: copy(LECTURE_W) };
    for (const inp of inputs) {
      const [n, i, j] = inp.dataset.weight!.split('-') as ['U' | 'V' | 'W', string, string];
      inp.value = weights[n][Number(i)]![Number(j)]!.toFixed(4);
      inp.removeAttribute('aria-invalid');
    }
    marking = true;
    recompute();
  });

  // --- steps ---
  const steps: { title: string; body: HTMLElement }[] = [
    {
      title: 'Forward, t = 1',
      body: el('div', {},
        para('x(1) = [1, 0, 0] and h(0) = 0, so neth(1) = h(0)·W + x(1)·U is the first row of U. Both activations are linear (no biases).'),
        eq('h(1)', m('h1', 'h(1)')), eq('ŷ(1) = h(1)·V', m('yhat1', 'ŷ(1)'))),
    },
    {
      title: 'Forward, t = 2',
      body: el('div', {},
        para('x(2) = 0, so only the recurrent path feeds step 2: neth(2) = h(1)·W.'),
        eq('h(2)', m('h2', 'h(2)')), eq('ŷ(2) = h(2)·V', m('yhat2', 'ŷ(2)')),
        el('p', {}, 'argmax of each output: ', v('sequence', 'strong'), '; wanted (2, 3).')),
    },
    {
      title: 'Loss',
      body: el('div', {},
        para('Squared error over both steps, y(1) = [0, 1, 0] and y(2) = [0, 0, 1]:'),
        el('p', { class: 'eq' }, 'J = Σₜ (y(t) − ŷ(t))ᵀ(y(t) − ŷ(t)) = ', v('J', 'strong'), ';  RMSE = √(J / 2) = ', v('rmse'))),
    },
    {
      title: 'Output error δo',
      body: el('div', {},
        para('With a linear output, δo(t) = ∂J/∂neto(t) = 2(ŷ(t) − y(t)).'),
        eq('δo(1)', m('deltaO1', 'δo(1)')), eq('δo(2)', m('deltaO2', 'δo(2)'))),
    },
    {
      title: 'Gradient of V',
      body: el('div', {},
        para('V sits after the recurrence, so both methods agree: ∂J/∂V = Σₜ h(t)ᵀ·δo(t).'),
        eq('∂J/∂V', m('dV', '∂J/∂V'))),
    },
    {
      title: 'Gradient of W: exact vs lecture',
      body: el('div', {},
        para('Exact BPTT: δh(t) = δo(t)·Vᵀ + δneth(t+1)·Wᵀ, δneth(t) = δh(t) ∘ g′(neth(t)), ∂J/∂W = Σₜ h(t−1)ᵀ·δneth(t). The slides multiply δo(t)·Vᵀ by Π(g′·Wᵀ) once per earlier step, one Wᵀ too many.'),
        el('div', { class: 'side' },
          el('div', {}, el('h4', { text: 'exact BPTT' }), m('dW-exact', '∂J/∂W, exact')),
          el('div', {}, el('h4', { text: 'lecture slides' }), m('dW-lecture', '∂J/∂W, lecture')))),
    },
    {
      title: 'Gradient of U: exact vs lecture',
      body: el('div', {},
        para('Only x(1) is non-zero, so only row 1 of ∂J/∂U can be. Exact: ∂J/∂U = Σₜ x(t)ᵀ·δneth(t), where δneth(1) carries the error of step 2 back through W. The slides keep only the error of step 1.'),
        el('div', { class: 'side' },
          el('div', {}, el('h4', { text: 'exact BPTT' }), m('dU-exact', '∂J/∂U, exact')),
          el('div', {}, el('h4', { text: 'lecture slides' }), m('dU-lecture', '∂J/∂U, lecture')))),
    },
  ];

  // --- training step (animated) ---
  const eta = numberInput(0.1, 0.001, 2, 'any', 'walk-eta');
  const trainBtn = el('button', { type: 'button', id: 'walk-train', class: 'primary', text: 'Train' });
  const learningRate = (): number => { const x = Number(eta.value); return Number.isFinite(x) && x > 0 ? Math.min(x, 10) : 0.1; };
  eta.addEventListener('change', () => { marking = true; recompute(); });
  const outcome = el('p', { id: 'walk-outcome', class: 'outcome', 'aria-live': 'polite' });
  const skipBtn = el('button', { type: 'button', id: 'walk-skip', text: 'Skip to the end' });
  const chart = new LineChart({ title: 'RMSE while training', xLabel: 'updates', yLabel: 'RMSE (log scale)', logY: true, integerX: true, height: 220, formatY: (y) => y.toPrecision(4) });
  chart.figure.id = 'walk-chart';
  const modeBoxes = MODES.map((mode) => el('div', { class: 'mode', 'data-mode': mode },
    el('h4', { text: MODE_LABEL[mode] }),
    el('p', {}, 'update ', v(`train-${mode}-k`), ', RMSE ', v(`train-${mode}-rmse`)),
    eq('ŷ(1)', m(`train-${mode}-y1`, `ŷ(1), ${mode}`)), eq('ŷ(2)', m(`train-${mode}-y2`, `ŷ(2), ${mode}`)),
    el('p', {}, 'output: ', v(`train-${mode}-seq`, 'strong'), ' ', v(`train-${mode}-status`))));
  steps.push({
    title: 'Train to (2, 3)',
    body: el('div', {},
      para('Plain gradient descent with step size η, stopping when |RMSE(now) − RMSE(previous)| < 10⁻⁴, once with each gradient. Too large an η (try 0.5) makes the RMSE grow at each step instead: the run diverges.'),
      el('div', { class: 'buttons' }, field('Step size η', eta), trainBtn, skipBtn),
      outcome,
      el('div', { class: 'side' }, ...modeBoxes),
      chart.figure),
  });

  const figure = unrolledFigure();

  // --- layout ---
  let current = 0;
  const prev = el('button', { type: 'button', id: 'walk-prev', text: '← Previous step' });
  const next = el('button', { type: 'button', id: 'walk-next', class: 'primary', text: 'Next step →' });
  const all = el('button', { type: 'button', id: 'walk-all', text: 'Show all steps' });
  const where = el('span', { id: 'walk-where', class: 'where', 'aria-live': 'polite' });
  const stepEls = steps.map((s, i) => el('section', { class: 'step', 'data-step': i + 1, 'aria-labelledby': `walk-step-${i + 1}` },
    el('h3', { id: `walk-step-${i + 1}`, text: `${i + 1}. ${s.title}` }), s.body));
  const error = el('p', { id: 'walk-error', class: 'error', role: 'alert' });
  panel.append(
    el('h2', { text: 'The worked example: counting' }),
    el('p', { class: 'lead', text: 'Input 1 (one-hot [1, 0, 0]), expect 2 then 3. D = K = 3, H = 2, linear activations, no biases, squared error: the lecture\u2019s example, with the exact gradient and the slides\u2019 gradient side by side. Edit any weight: every number below is recomputed.' }),
    figure.element,
    el('div', { class: 'weights', role: 'group', 'aria-label': 'Starting weights' }, weightGrid('U', '3×2, input → hidden'), weightGrid('W', '2×2, hidden → hidden'), weightGrid('V', '2×3, hidden → output'), resetWeights),
    error,
    el('div', { class: 'stepper', role: 'group', 'aria-label': 'Walkthrough steps' }, prev, where, next, all),
    ...stepEls,
  );

  const show = (n: number): void => {
    current = Math.max(1, Math.min(steps.length, n));
    stepEls.forEach((s, i) => { s.hidden = i + 1 > current; s.classList.toggle('current', i + 1 === current); });
    prev.disabled = current === 1;
    next.disabled = current === steps.length;
    where.textContent = `Step ${current} of ${steps.length}: ${steps[current - 1]!.title}`;
  };
  prev.addEventListener('click', () => show(current - 1));
  next.addEventListener('click', () => { show(current + 1); stepEls[current - 1]!.scrollIntoView({ block: 'nearest' }); });
  all.addEventListener('click', () => show(steps.length));

  // --- numbers ---
  const setM = (name: string, rows: readonly (readonly number[])[]): void => updateMatrix(tables.get(name)!, rows, marking);
  const setT = (name: string, text: string): void => {
    const t = texts.get(name)!;
    t.classList.toggle('changed', marking && t.textContent !== '' && t.textContent !== text);
    t.textContent = text;
  };

  let timer: number | undefined;
  const stopTraining = (): void => { if (timer !== undefined) clearInterval(timer); timer = undefined; trainBtn.disabled = false; };

  /** The example's network with the current (possibly edited) starting weights. */
  const freshNet = (): Network => {
    const net = lectureNetwork();
    net.params.view('layer0.U').set(weights.U.flat());
    net.params.view('V').set(weights.V.flat());
    net.params.view('layer0.W').set(weights.W.flat());
    return net;
  };
  const showTrainState = (mode: GradientMode, net: Network, k: number, done: boolean): void => {
    const r = result!.training[mode];
    if (!r) {
      setT(`train-${mode}-k`, '—'); setT(`train-${mode}-rmse`, '—');
      setT(`train-${mode}-seq`, 'diverges');
      setT(`train-${mode}-status`, failures.get(mode) ?? '');
      texts.get(`train-${mode}-seq`)!.parentElement!.parentElement!.dataset.done = 'true';
      return;
    }
    const y = toRows(net.forward(lectureBatch()), 2, 3);
    setT(`train-${mode}-k`, `${k} of ${r.updates}`);
    setT(`train-${mode}-rmse`, fmt(r.rmse[k]!));
    setM(`train-${mode}-y1`, [y[0]!]);
    setM(`train-${mode}-y2`, [y[1]!]);
    const seq = y.map((row) => row.indexOf(Math.max(...row)) + 1);
    setT(`train-${mode}-seq`, `(${seq.join(', ')})`);
    setT(`train-${mode}-status`, done ? (r.converged ? `stopped by the rule after ${r.updates} updates` : `step limit reached (${r.updates})`) : '');
    texts.get(`train-${mode}-seq`)!.parentElement!.parentElement!.dataset.done = String(done);
  };
  /** RMSE of each mode before each update: a converging run's from the library, a diverging run's traced here until it overflows. */
  const curves = new Map<GradientMode, number[]>();
  const divergingCurve = (mode: GradientMode): number[] => {
    const net = freshNet();
    const out: number[] = [];
    for (let k = 0; k < 200; k++) {
      try {
        const r = gradientDescent(net, lectureBatch(), { learningRate: learningRate(), tolerance: 0, maxSteps: 1, gradientMode: mode });
        if (k === 0) out.push(r.rmse[0]!);
        out.push(r.rmse[1]!);
        if (!(r.rmse[1]! < 1e100)) break;
      } catch { break; } // the RMSE overflowed: the curve ends at its last finite value
    }
    return out;
  };
  const drawRmse = (upTo: number): void => chart.setSeries(MODES.filter((mode) => curves.get(mode)).map((mode) => ({
    key: mode, label: `${MODE_LABEL[mode]}${result!.training[mode] ? '' : ' (diverges)'}`, dashed: mode === 'lecture',
    points: curves.get(mode)!.slice(0, upTo + 1).map((y, i) => [i, y] as [number, number]),
  })));
  /** One sentence on how each run ended. */
  const describeOutcome = (): void => {
    const parts = MODES.map((mode) => {
      const r = result!.training[mode];
      if (!r) return `with the ${MODE_LABEL[mode]} gradient the RMSE grows without bound (it diverges: lower η)`;
      const seq = `(${r.sequence.join(', ')})`;
      const hit = r.sequence.join(',') === '2,3';
      return `with the ${MODE_LABEL[mode]} gradient it ${r.converged ? 'stops' : 'reaches the step limit'} after ${r.updates} updates at RMSE ${fmt(r.rmse[r.updates]!)}, giving ${seq}${hit ? '' : ' \u2014 not the (2, 3) wanted'}`;
    });
    outcome.textContent = `At η = ${learningRate()}: ${parts.join('; ')}.`;
  };

  const resetTraining = (): void => {
    stopTraining();
    for (const mode of MODES) showTrainState(mode, freshNet(), 0, false);
    drawRmse(0);
  };

  const runTraining = (animate: boolean): void => {
    if (!result) return;
    stopTraining();
    const nets = MODES.map(() => freshNet());
    const total = Math.max(0, ...MODES.map((mode) => curves.get(mode)!.length - 1));
    let k = 0;
    const frame = (): void => {
      k += 1;
      MODES.forEach((mode, i) => {
        const r = result!.training[mode];
        if (!r) { showTrainState(mode, nets[i]!, 0, true); return; }
        if (k <= r.updates) gradientDescent(nets[i]!, lectureBatch(), { learningRate: learningRate(), tolerance: 0, maxSteps: 1, gradientMode: mode });
        showTrainState(mode, nets[i]!, Math.min(k, r.updates), k >= r.updates);
      });
      drawRmse(k);
      if (k >= total) stopTraining();
    };
    if (!animate || total === 0) { do frame(); while (k < total); return; }
    trainBtn.disabled = true;
    timer = window.setInterval(frame, 50);
  };
  trainBtn.addEventListener('click', () => runTraining(true));
  skipBtn.addEventListener('click', () => runTraining(false));

  function recompute(): void {
    stopTraining();
    // Forward pass and both gradients (one update is enough: they are taken at the starting weights).
    const base = lectureWalkthrough({ weights, maxSteps: 1 });
    // Training, per mode: with edited weights one mode may diverge while the other converges.
    const training: LectureWalkthrough['training'] = {};
    const failed: string[] = [];
    failures.clear();
    for (const mode of MODES) {
      try {
        (training as Record<GradientMode, unknown>)[mode] = lectureWalkthrough({ weights, modes: [mode], learningRate: learningRate() }).training[mode]!;
      } catch (e) {
        failures.set(mode, e instanceof Error ? e.message : String(e));
        failed.push(`${MODE_LABEL[mode]}: ${failures.get(mode)}`);
      }
    }
    result = { ...base, training };
    curves.clear();
    for (const mode of MODES) curves.set(mode, training[mode]?.rmse ?? divergingCurve(mode));
    trainBtn.textContent = `Train (gradient descent, η = ${learningRate()})`;
    error.textContent = failed.length ? `Training does not converge from these weights at η = ${learningRate()} (${failed.join('; ')}). Lower η in step 8.` : '';
    const f = result.forward;
    setM('h1', [f.h[0]!]); setM('h2', [f.h[1]!]);
    setM('yhat1', [f.yhat[0]!]); setM('yhat2', [f.yhat[1]!]);
    setT('sequence', `(${f.sequence.join(', ')})`);
    setT('J', fmt(f.J)); setT('rmse', fmt(f.rmse));
    setM('deltaO1', [f.deltaO[0]!]); setM('deltaO2', [f.deltaO[1]!]);
    const g = result.gradients;
    setM('dV', g.exact!.dV);
    setM('dW-exact', g.exact!.dW); setM('dW-lecture', g.lecture!.dW);
    setM('dU-exact', g.exact!.dU); setM('dU-lecture', g.lecture!.dU);
    figure.update(weights, f.h, f.yhat);
    marking = false;
    resetTraining();
    describeOutcome();
  }

  recompute();
  show(1);
}
