/**
 * A heatmap on a canvas: one column per character of a text, one row per
 * unit, every unit (the box scrolls). Gate values in [0, 1] use a white–dark
 * scale; signed values (h, C̃, C) a blue–white–red scale over their real
 * range ±max|v| — the LSTM's cell state C is not bounded by 1. A colour bar
 * shows the range; hovering reads out one value; clicking a row selects that
 * unit (or, with the map focused, ↑ and ↓ do). The canvas is drawn at the
 * screen's pixel density, its labels at a fixed 11 CSS px.
 */

import { el, fmt } from './dom.js';

export interface HeatmapOptions {
  readonly title: string;
  /** Column labels (the characters). */
  readonly columns: readonly string[];
  /** Step-major values: value(unit j, step t) = values[t·H + j]. */
  readonly values: ArrayLike<number>;
  /** Number of units H (rows of the heatmap). */
  readonly rows: number;
  readonly scale: 'signed' | 'unit';
  /** Called with the unit (0-based) whose row was clicked. */
  readonly onUnit?: (unit: number) => void;
}

/** CSS pixels per column (one character) and per row (one unit). */
const COL = 12;
const ROW = 9;
const LABEL_H = 18;
const LABEL_W = 30;
const FONT = '11px ui-monospace, monospace';

/** The colour of v on a scale from −range to range (signed) or 0 to 1 (unit). */
export function heatColor(v: number, scale: 'signed' | 'unit', range = 1): string {
  if (scale === 'unit') {
    const a = Math.min(1, Math.max(0, v));
    return `rgb(${Math.round(255 - a * 215)},${Math.round(255 - a * 190)},${Math.round(255 - a * 120)})`;
  }
  const a = Math.min(1, Math.max(-1, v / range));
  if (a >= 0) { const c = Math.round(255 - a * 200); return `rgb(255,${c},${c})`; }
  const c = Math.round(255 + a * 200);
  return `rgb(${c},${c},255)`;
}

/** The largest |v|, rounded up to two significant digits (the colour bar's end). */
export function signedRange(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]!));
  if (!(m > 0)) return 1;
  const mag = 10 ** (Math.floor(Math.log10(m)) - 1);
  return Math.ceil(m / mag) * mag;
}

function visible(ch: string): string {
  if (ch === '\n') return '↵';
  if (ch === ' ') return '·';
  return ch;
}

/** A figure with the heatmap (T columns, H rows), its colour bar and a read-out. */
export function heatmap(o: HeatmapOptions): HTMLElement {
  const T = o.columns.length;
  const H = o.rows;
  const range = o.scale === 'unit' ? 1 : signedRange(o.values);
  const lo = o.scale === 'unit' ? 0 : -range;
  const cssW = LABEL_W + T * COL;
  const cssH = LABEL_H + H * ROW;
  const dpr = Math.max(1, Math.round((globalThis.devicePixelRatio || 1) * 2) / 2);
  const canvas = el('canvas', { width: Math.round(cssW * dpr), height: Math.round(cssH * dpr), class: 'heatmap', role: 'img' });
  canvas.style.width = `${cssW}px`;
  canvas.style.height = `${cssH}px`;
  const rangeText = `${fmtRange(lo)} to ${fmtRange(range)}`;
  canvas.setAttribute('aria-label', `${o.title}: ${H} units over ${T} characters; colour from ${rangeText}`);
  const ctx = canvas.getContext('2d');
  if (ctx) {
    ctx.scale(dpr, dpr);
    ctx.font = FONT;
    ctx.textAlign = 'center';
    ctx.fillStyle = '#333';
    o.columns.forEach((ch, t) => ctx.fillText(visible(ch), LABEL_W + t * COL + COL / 2, 13));
    ctx.textAlign = 'right';
    for (let j = 0; j < H; j += 4) ctx.fillText(String(j + 1), LABEL_W - 4, LABEL_H + j * ROW + 9);
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < H; j++) {
        ctx.fillStyle = heatColor(o.values[t * H + j]!, o.scale, range);
        ctx.fillRect(LABEL_W + t * COL, LABEL_H + j * ROW, COL, ROW);
      }
    }
  }
  const readout = el('p', { class: 'readout', text: 'Hover for a value; click a row to colour the text by that unit.' });
  const at = (e: MouseEvent): { t: number; j: number } | null => {
    const box = canvas.getBoundingClientRect();
    const t = Math.floor((e.clientX - box.left - LABEL_W) / COL);
    const j = Math.floor((e.clientY - box.top - LABEL_H) / ROW);
    return j >= 0 && j < H && t < T ? { t: Math.max(0, t), j } : null;
  };
  canvas.addEventListener('pointermove', (e) => {
    const p = at(e);
    if (p) readout.textContent = `unit ${p.j + 1}, character ${p.t + 1} “${visible(o.columns[p.t]!)}”: ${fmt(o.values[p.t * H + p.j]!, 3)}`;
  });
  if (o.onUnit) {
    // click a row, or focus the map and move through the units with ↑ and ↓
    let unit = -1;
    const choose = (j: number): void => {
      unit = Math.min(H - 1, Math.max(0, j));
      readout.textContent = `unit ${unit + 1} selected`;
      o.onUnit!(unit);
    };
    canvas.tabIndex = 0;
    canvas.addEventListener('click', (e) => { const p = at(e); if (p) choose(p.j); });
    canvas.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
      e.preventDefault();
      choose(unit + (e.key === 'ArrowDown' ? 1 : -1));
    });
  }
  const bar = el('div', { class: 'colorbar', 'aria-hidden': 'true' },
    el('span', { class: 'swatch', style: `background: linear-gradient(to right, ${heatColor(lo, o.scale, range)}, ${heatColor((lo + range) / 2, o.scale, range)}, ${heatColor(range, o.scale, range)})` }),
    el('span', { class: 'lo', text: fmtRange(lo) }), el('span', { class: 'mid', text: fmtRange((lo + range) / 2) }), el('span', { class: 'hi', text: fmtRange(range) }));
  return el('figure', { class: 'heatmap-fig', 'data-range': range },
    el('figcaption', { text: `${o.title}, ${H} units` }),
    bar,
    el('div', { class: 'scroll' }, canvas),
    readout);
}

function fmtRange(v: number): string {
  return v === 0 ? '0' : v < 0 ? `\u2212${String(Number((-v).toPrecision(2)))}` : String(Number(v.toPrecision(2)));
}
