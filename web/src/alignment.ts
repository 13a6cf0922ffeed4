/**
 * The alignment of a pronunciation: letters across, the decoder's output
 * steps (phonemes, then </s>) down, each cell coloured by the attention
 * weight α with which that step looked at that letter (each row sums to 1;
 * src/seq2seq/attention.ts, docs/tasks.md "Spelling → pronunciation"). A colour bar shows the scale,
 * hovering reads out one weight, weights of 0.10 or more are written in
 * their cells when the cells are wide enough, and a line under the map
 * lists the letters each phoneme looked at most. Drawn at the screen's
 * pixel density, its text at 11–13 CSS px, its cells sized to the width
 * available (so a word of 16 letters fits a phone).
 */

import { el, fmt } from './dom.js';
import { heatColor } from './heatmap.js';
import type { Alignment } from './pronouncer.js';

const LABEL_W = 46;
const LABEL_H = 22;
const ROW = 26;
const MIN_COL = 18;
const MAX_COL = 44;
/** A letter counts as "looked at" by a step when its weight is at least this. */
const LOOKED_AT = 0.2;

/** The letters a step looked at (weight ≥ LOOKED_AT), in order. */
export function lookedAt(a: Alignment, step: number): string {
  return a.letters.filter((_, j) => a.weights[step]![j]! >= LOOKED_AT).join('');
}

/** A figure with the alignment drawn to fit `width` CSS pixels. */
export function alignmentFigure(a: Alignment, width: number): HTMLElement {
  const T = a.letters.length;
  const N = a.rows.length;
  const col = Math.max(MIN_COL, Math.min(MAX_COL, Math.floor((width - LABEL_W - 4) / Math.max(1, T))));
  const cssW = LABEL_W + T * col;
  const cssH = LABEL_H + N * ROW;
  const dpr = Math.max(1, Math.round((globalThis.devicePixelRatio || 1) * 2) / 2);
  const canvas = el('canvas', { width: Math.round(cssW * dpr), height: Math.round(cssH * dpr), class: 'heatmap alignment', role: 'img' });
  canvas.style.width = `${cssW}px`;
  canvas.style.height = `${cssH}px`;
  canvas.setAttribute('aria-label', `Attention of ${N} output steps (${a.rows.join(' ')}) over the ${T} letters of "${a.letters.join('')}", from 0 to 1`);
  canvas.dataset.rows = String(N);
  canvas.dataset.columns = String(T);
  const ctx = canvas.getContext('2d');
  if (ctx) {
    ctx.scale(dpr, dpr);
    ctx.textBaseline = 'middle';
    ctx.font = '600 13px ui-monospace, monospace';
    ctx.textAlign = 'center';
    ctx.fillStyle = '#1b1f24';
    a.letters.forEach((ch, j) => ctx.fillText(ch, LABEL_W + j * col + col / 2, LABEL_H / 2));
    ctx.textAlign = 'right';
    a.rows.forEach((ph, i) => {
      ctx.fillStyle = ph === '</s>' ? '#57606a' : '#1b1f24';
      ctx.fillText(ph, LABEL_W - 6, LABEL_H + i * ROW + ROW / 2);
    });
    ctx.font = '11px ui-monospace, monospace';
    ctx.textAlign = 'center';
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < T; j++) {
        const v = a.weights[i]![j]!;
        ctx.fillStyle = heatColor(v, 'unit');
        ctx.fillRect(LABEL_W + j * col, LABEL_H + i * ROW, col, ROW);
        if (col >= 26 && v >= 0.1) {
          ctx.fillStyle = v > 0.6 ? '#fff' : '#1b1f24';
          ctx.fillText(v >= 0.995 ? '1' : v.toFixed(2).slice(1), LABEL_W + j * col + col / 2, LABEL_H + i * ROW + ROW / 2);
        }
      }
    }
    ctx.strokeStyle = '#d0d7de';
    ctx.strokeRect(LABEL_W + 0.5, LABEL_H + 0.5, T * col - 1, N * ROW - 1);
  }
  const hint = 'Hover (or tap) a cell for its weight.';
  const readout = el('p', { class: 'readout', id: 'pron-readout', text: hint });
  const show = (e: PointerEvent): void => {
    const box = canvas.getBoundingClientRect();
    const j = Math.floor((e.clientX - box.left - LABEL_W) / col);
    const i = Math.floor((e.clientY - box.top - LABEL_H) / ROW);
    if (i < 0 || i >= N || j < 0 || j >= T) { readout.textContent = hint; return; }
    const what = a.rows[i] === '</s>' ? 'the end of the word (</s>)' : `phoneme ${i + 1}, ${a.rows[i]}`;
    readout.textContent = `${what} looked at letter ${j + 1}, “${a.letters[j]}”, with weight ${fmt(a.weights[i]![j]!, 3)}`;
  };
  canvas.addEventListener('pointermove', show);
  canvas.addEventListener('pointerdown', show);
  const bar = el('div', { class: 'colorbar', 'aria-hidden': 'true' },
    el('span', { class: 'swatch', style: `background: linear-gradient(to right, ${heatColor(0, 'unit')}, ${heatColor(0.5, 'unit')}, ${heatColor(1, 'unit')})` }),
    el('span', { class: 'lo', text: '0' }), el('span', { class: 'mid', text: '0.5' }), el('span', { class: 'hi', text: '1' }));
  const summary = el('ul', { class: 'looked-at', id: 'pron-looked-at', 'aria-label': 'The letters each phoneme looked at' });
  a.phonemes.forEach((ph, i) => summary.append(el('li', {}, el('b', { text: ph }), ` \u2190 ${lookedAt(a, i) || '(spread out)'}`)));
  return el('figure', { class: 'heatmap-fig alignment-fig', id: 'pron-alignment' },
    el('figcaption', { text: `Attention weights α: which letters of “${a.letters.join('')}” each output step looked at` }),
    bar,
    el('div', { class: 'align-box' }, canvas),
    readout,
    summary);
}
