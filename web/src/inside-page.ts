/**
 * "Inside the network": (1) heatmaps of the hidden state — and, for the
 * LSTM, its gates and cell state — over the characters of a text, from the
 * model being trained; (2) how far a gradient reaches back in time in an
 * RNN, an LSTM and a GRU, with truncation and clipping.
 */

import excerpt from 'virtual:excerpt';
import type { SequenceInput } from '../../src/cells/cell.js';
import { CELL_KINDS, type CellKind } from '../../src/cells/cell.js';
import { traceLayer, type LayerTrace } from '../../src/cells/inspect.js';
import { cellType } from '../../src/cells/registry.js';
import { Tokenizer } from '../../src/text/tokenizer.js';
import { LineChart, type Series } from './chart.js';
import { charNetwork } from './char-model.js';
import { el, field, fmt, numberInput, select } from './dom.js';
import type { FlowOptions, FlowResult } from './gradient-flow.js';
import type { FlowReply, FlowRequest } from './flow-worker.js';
import { heatColor, heatmap, signedRange } from './heatmap.js';
import type { TrainPage } from './train-page.js';

const LABELS: Record<string, string> = {
  h: 'hidden state h(t)', c: 'cell state C(t)', f: 'forget gate f(t)', i: 'input gate i(t)', o: 'output gate o(t)',
  cTilde: 'candidate C̃(t)', z: 'update gate z(t)', r: 'reset gate r(t)', n: 'candidate n(t)',
};
const UNIT_RANGE = new Set(['f', 'i', 'o', 'z', 'r']);
const MAX_CHARS = 100;

export interface InsidePage {
  /** Re-reads the model being trained (when the tab is shown). */
  refresh(): void;
}

export function insidePage(panel: HTMLElement, train: TrainPage): InsidePage {
  // ---------------- heatmaps ----------------
  const textIn = el('input', { type: 'text', id: 'inside-text', value: excerpt.slice(excerpt.indexOf('Call me'), excerpt.indexOf('Call me') + 60), maxlength: MAX_CHARS, spellcheck: 'false' });
  const layerSel = select([['0', 'layer 1']], '0', 'inside-layer');
  const showBtn = el('button', { type: 'button', id: 'inside-show', class: 'primary', text: 'Show states' });
  const sampleBtn = el('button', { type: 'button', id: 'inside-use-sample', text: 'Use the latest sample' });
  const about = el('p', { id: 'inside-about', class: 'status', role: 'status' });
  const maps = el('div', { id: 'inside-maps', class: 'maps' });
  const unitText = el('p', { id: 'inside-unit-text', class: 'unit-text', 'aria-live': 'polite' });
  const unitAbout = el('p', { id: 'inside-unit-about', class: 'hint', text: 'Click a row of any map (or focus it and press ↑ ↓) to colour the text by that unit, as in Karpathy\u2019s \u201cVisualizing and Understanding Recurrent Networks\u201d.' });

  // ---------------- gradient flow ----------------
  const flowT = numberInput(60, 5, 150, 1, 'flow-T');
  const flowH = numberInput(32, 2, 128, 1, 'flow-H');
  const gain = el('input', { type: 'range', id: 'flow-gain', min: 0.5, max: 2, step: 0.05, value: 1 });
  const gainOut = el('output', { for: 'flow-gain', text: '1.00' });
  const forget = el('input', { type: 'range', id: 'flow-forget', min: -2, max: 6, step: 0.5, value: 1 });
  const forgetOut = el('output', { for: 'flow-forget', text: 'σ(1.0) ≈ 0.73' });
  const act = select([['tanh', 'tanh'], ['linear', 'linear (no squashing)']], 'tanh', 'flow-act');
  const truncOn = el('input', { type: 'checkbox', id: 'flow-trunc-on' });
  const truncK = numberInput(20, 1, 150, 1, 'flow-trunc');
  const clipOn = el('input', { type: 'checkbox', id: 'flow-clip-on' });
  const clipC = numberInput(1, 0.001, 1000, 'any', 'flow-clip');
  const flowBtn = el('button', { type: 'button', id: 'flow-run', class: 'primary', text: 'Compute' });
  const chart = new LineChart({ title: 'Gradient reaching back in time: ‖∂J/∂h(T−k)‖, loss at the last step only', xLabel: 'steps back k', yLabel: 'norm (log scale)', logY: true, integerX: true, height: 300, formatY: (y) => y.toExponential(2) });
  chart.figure.id = 'flow-chart';
  const flowTable = el('table', { id: 'flow-table', class: 'data' });
  const flowNote = el('p', { id: 'flow-note', class: 'note' });
  const flowStatus = el('span', { id: 'flow-status', class: 'status', role: 'status' });

  panel.append(
    el('h2', { text: 'Inside the network' }),
    el('section', { 'aria-labelledby': 'inside-states-h' },
      el('h3', { id: 'inside-states-h', text: 'States over a text' }),
      el('p', { class: 'lead', text: 'The model from the Train tab reads the text below one character at a time; each column is a character, each row a hidden unit. For an LSTM or a GRU you also see its gates (and the LSTM\u2019s cell state).' }),
      el('div', { class: 'row' }, field('Text (up to 100 characters)', textIn), field('Layer', layerSel)),
      el('div', { class: 'buttons' }, showBtn, sampleBtn),
      about, unitAbout, unitText, maps),
    el('section', { 'aria-labelledby': 'inside-flow-h' },
      el('h3', { id: 'inside-flow-h', text: 'Vanishing and exploding gradients' }),
      el('p', { class: 'lead', text: 'A fresh network reads T random symbols and is scored only on its last output. How much of that error reaches the state k steps back? Each step back multiplies it by that step\u2019s Jacobian. In the plain RNN that is diag(g\u2032)·Wᵀ, so the gradient shrinks or grows geometrically: try a recurrent gain of 0.8, or 1.5 with a linear g_h. In the LSTM the path through the cell state C is multiplied only by the forget gate f(t), and in the GRU the direct path from h(t−1) to h(t) by the update gate z(t). Freshly initialised they still forget (here both gate biases start at 1: f, z ≈ 0.73; the library starts the GRU\u2019s at 0), but with the gate near 1 (raise its bias) the error is carried far back — what a trained network learns to do where it needs to remember.' }),
      el('div', { class: 'grid two flow' }, el('form', { class: 'controls', id: 'flow-form', 'aria-label': 'Gradient flow settings' },
        el('div', { class: 'row' }, field('Sequence length T', flowT), field('Hidden size H', flowH)),
        el('fieldset', {}, el('legend', { text: 'Plain RNN' }),
          el('div', { class: 'row' }, field('Recurrent weight gain (W × gain)', gain), gainOut, field('Activation g_h', act))),
        el('fieldset', {}, el('legend', { text: 'LSTM and GRU' }),
          el('div', { class: 'row' }, field('Bias of the gate that keeps the state (LSTM forget gate b_f, GRU update gate b_z)', forget), forgetOut)),
        el('fieldset', {}, el('legend', { text: 'Remedies' }),
          el('div', { class: 'row' },
            el('div', { class: 'check' }, truncOn, el('label', { for: 'flow-trunc-on', text: 'Truncate BPTT after τ steps' })), field('τ', truncK)),
          el('div', { class: 'row' },
            el('div', { class: 'check' }, clipOn, el('label', { for: 'flow-clip-on', text: 'Clip ‖∂J/∂θ‖ to c' })), field('c', clipC))),
        el('div', { class: 'buttons' }, flowBtn, flowStatus)),
      el('div', {}, chart.figure, flowNote)),
      el('div', { class: 'scroll-x' }, flowTable)),
  );

  // ---------------- heatmap logic ----------------
  const showStates = async (): Promise<void> => {
    const snap = await train.snapshot();
    if (!snap) {
      about.textContent = 'The Train tab has no model yet.';
      return;
    }
    const tokenizer = new Tokenizer('char', snap.symbols);
    const net = charNetwork(snap.settings, tokenizer.vocabSize);
    net.params.data.set(snap.params);
    const text = textIn.value.slice(0, MAX_CHARS);
    if (text.length === 0) { about.textContent = 'Type some text first.'; return; }
    const ids = tokenizer.encode(text);
    const T = ids.length;
    // Run each layer's cell over the text and collect its trace (h, and the gates of gated cells).
    const traces: LayerTrace[] = [];
    let input: SequenceInput = { kind: 'index', data: ids };
    for (const cell of net.layers) {
      const cache = cell.createCache(T, 1);
      cell.forward(input, T, 1, cache);
      traces.push(traceLayer(cell, cache, T, 1));
      input = { kind: 'dense', data: cache.hs.subarray(cell.hiddenSize) };
    }
    const current = layerSel.value;
    layerSel.replaceChildren(...traces.map((_, l) => el('option', { value: String(l), text: `layer ${l + 1}` })));
    layerSel.value = Number(current) < traces.length ? current : '0';
    const tr = traces[Number(layerSel.value)]!;
    const chars = Array.from(text).slice(0, T);
    const unknown = chars.filter((ch) => tokenizer.indexOf(ch) === 0).length;
    about.textContent = `${snap.settings.cell.toUpperCase()} with H = ${snap.settings.hiddenSize}, ${snap.settings.layers} layer(s), after ${snap.step} updates${snap.step === 0 ? ' (untrained: start training in the Train tab)' : ''}.${unknown ? ` ${unknown} character(s) are not in the model\u2019s vocabulary and read as unknown.` : ''}`;
    /** Colours each character of the text by unit j of map `name`. */
    const colourText = (name: string, j: number): void => {
      const values = tr.values[name]!;
      const scale = UNIT_RANGE.has(name) ? 'unit' : 'signed';
      const range = scale === 'unit' ? 1 : signedRange(values);
      unitAbout.textContent = `Unit ${j + 1} of the ${LABELS[name] ?? name}, character by character (colour scale as in its map; hover a character for its value):`;
      unitText.replaceChildren(...chars.map((ch, t) => {
        const v = values[t * tr.H + j]!;
        return el('span', { style: `background:${heatColor(v, scale, range)}`, title: fmt(v, 3), 'data-value': v }, ch === '\n' ? '↵' : ch);
      }));
    };
    maps.replaceChildren(...tr.names.map((name) => heatmap({
      title: LABELS[name] ?? name, columns: chars, values: tr.values[name]!, rows: tr.H, scale: UNIT_RANGE.has(name) ? 'unit' : 'signed',
      onUnit: (j) => colourText(name, j),
    })));
    unitText.replaceChildren();
  };
  showBtn.addEventListener('click', () => void showStates());
  layerSel.addEventListener('change', () => void showStates());
  sampleBtn.addEventListener('click', () => {
    const s = train.lastSample().trim();
    if (s) { textIn.value = s.slice(0, MAX_CHARS); void showStates(); } else about.textContent = 'No sample yet: train for a few updates first.';
  });

  // ---------------- gradient flow logic ----------------
  gain.addEventListener('input', () => { gainOut.textContent = Number(gain.value).toFixed(2); });
  forget.addEventListener('input', () => { const b = Number(forget.value); forgetOut.textContent = `σ(${b.toFixed(1)}) ≈ ${(1 / (1 + Math.exp(-b))).toFixed(2)}`; });
  const kinds = CELL_KINDS.filter((k) => cellType(k) !== undefined);
  const flowWorker = new Worker(new URL('./flow-worker.ts', import.meta.url), { type: 'module' });
  let requestId = 0;
  let pending: { T: number; truncate: number | undefined; clip: number | undefined } | null = null;
  /** A request is being computed; another change waits for it (so dragging a slider never queues up work). */
  let busy = false;
  let again = false;
  const runFlow = (): void => {
    if (busy) { again = true; return; }
    busy = true;
    const T = clamp(flowT, 5, 150);
    const H = clamp(flowH, 2, 128);
    const truncate = truncOn.checked ? clamp(truncK, 1, 150) : undefined;
    const clip = clipOn.checked ? Math.max(1e-6, Number(clipC.value) || 1) : undefined;
    const runs: FlowOptions[] = kinds.map((cell) => ({
      cell, T, hiddenSize: H, vocabSize: 16, seed: 3, rnnGain: Number(gain.value), rnnActivation: act.value as 'tanh' | 'linear', keepGateBias: Number(forget.value),
      ...(truncate !== undefined ? { truncate } : {}), ...(clip !== undefined ? { clip } : {}),
    }));
    requestId += 1;
    pending = { T, truncate, clip };
    chart.figure.setAttribute('aria-busy', 'true');
    flowStatus.textContent = 'Computing…';
    const request: FlowRequest = { id: requestId, runs };
    flowWorker.postMessage(request);
  };
  flowWorker.onmessage = (e: MessageEvent<FlowReply>) => {
    const reply = e.data;
    busy = false;
    if (again) { again = false; runFlow(); return; } // the controls moved meanwhile: compute their newest values
    if (reply.id !== requestId || !pending) return;
    chart.figure.removeAttribute('aria-busy');
    if ('error' in reply) { flowStatus.textContent = `Error: ${reply.error}`; return; }
    flowStatus.textContent = '';
    const results = new Map<CellKind, FlowResult>(kinds.map((k, i) => [k, reply.results[i]!]));
    showFlow(results, pending.T, pending.truncate, pending.clip);
  };
  const showFlow = (results: Map<CellKind, FlowResult>, T: number, truncate: number | undefined, clip: number | undefined): void => {
    const series: Series[] = [];
    for (const [cell, r] of results) {
      const pts = r.dh.map((v, i) => [i + 1, v * r.clipFactor] as [number, number]);
      series.push({ key: `dh-${cell}`, label: `${cell.toUpperCase()} ‖∂J/∂h‖`, points: pts });
      if (r.dc) series.push({ key: `dc-${cell}`, label: `${cell.toUpperCase()} ‖∂J/∂C‖`, dashed: true, points: r.dc.map((v, i) => [i + 1, v * r.clipFactor] as [number, number]) });
    }
    chart.setSeries(series, {
      xDomain: [1, T],
      lines: truncate !== undefined && truncate < T ? [{ key: 'tau', x: truncate, label: `τ = ${truncate}` }] : [],
    });
    const head = el('tr', {}, el('th', { scope: 'col', text: 'cell' }), el('th', { scope: 'col', text: '‖∂J/∂h(T−1)‖' }), el('th', { scope: 'col', text: `‖∂J/∂h(T−${T})‖` }), el('th', { scope: 'col', text: '‖∂J/∂θ‖' }), el('th', { scope: 'col', text: 'clip factor' }));
    const rows = [...results].map(([cell, r]) => el('tr', { 'data-cell': cell },
      el('th', { scope: 'row', text: cell.toUpperCase() }),
      el('td', { text: r.dh[0]!.toExponential(2) }), el('td', { text: r.dh[T - 1]!.toExponential(2) }),
      el('td', { text: r.paramNorm.toExponential(2) }), el('td', { text: fmt(r.clipFactor) })));
    flowTable.replaceChildren(el('caption', { text: 'Before clipping (the chart shows the clipped values when clipping is on)' }), el('thead', {}, head), el('tbody', {}, ...rows));
    const notes: string[] = [];
    if (truncate !== undefined) notes.push(`With truncation at τ = ${truncate}, nothing reaches further back than ${truncate} steps: the curves stop there (the gradient is exactly 0 beyond it, which a log scale cannot draw).`);
    if (clip !== undefined) notes.push(`Clipping scales the whole gradient down by the clip factor: the curves move down together but keep their slope — it tames explosion, it cannot undo vanishing.`);
    if (!kinds.includes('lstm')) notes.push('The LSTM is not available in this build yet.');
    flowNote.textContent = notes.join(' ');
  };
  flowBtn.addEventListener('click', runFlow);
  for (const c of [flowT, flowH, gain, forget, act, truncOn, truncK, clipOn, clipC]) c.addEventListener('change', runFlow);
  // live while dragging
  for (const c of [gain, forget, truncK]) c.addEventListener('input', runFlow);
  panel.querySelector('#flow-form')!.addEventListener('submit', (e) => { e.preventDefault(); runFlow(); });

  let flowDone = false;
  return {
    refresh: () => {
      void showStates();
      if (!flowDone) { flowDone = true; runFlow(); }
    },
  };
}

function clamp(input: HTMLInputElement, lo: number, hi: number): number {
  const v = Math.round(Number(input.value));
  const c = Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : lo;
  input.value = String(c);
  return c;
}
