/**
 * A heatmap on a canvas: one column per character of a sample, one row per
 * hidden unit. Values in [−1, 1] use a blue–white–red scale (h, C̃, and C
 * clamped), gate values in [0, 1] a white–dark scale.
 */

import { el } from './dom.js';

export interface HeatmapOptions {
  readonly title: string;
  /** Column labels (the characters). */
  readonly columns: readonly string[];
  /** rows × columns values, row-major: value(unit j, step t) = values[t·H + j] when `stepMajor`. */
  readonly values: ArrayLike<number>;
  /** Number of units H (rows of the heatmap). */
  readonly rows: number;
  /** Show at most this many units. */
  readonly maxRows?: number;
  readonly scale: 'signed' | 'unit';
}

const CELL = 7;
const LABEL_H = 16;
const LABEL_W = 34;

function color(v: number, scale: 'signed' | 'unit'): string {
  if (scale === 'unit') {
    const a = Math.min(1, Math.max(0, v));
    const c = Math.round(255 - a * 215);
    return `rgb(${c},${Math.round(255 - a * 190)},${Math.round(255 - a * 120)})`;
  }
  const a = Math.min(1, Math.max(-1, v));
  if (a >= 0) { const c = Math.round(255 - a * 200); return `rgb(255,${c},${c})`; }
  const c = Math.round(255 + a * 200);
  return `rgb(${c},${c},255)`;
}

function visible(ch: string): string {
  if (ch === '\n') return '↵';
  if (ch === ' ') return '·';
  return ch;
}

/** A figure with the heatmap (T columns, min(H, maxRows) rows) and its caption. */
export function heatmap(o: HeatmapOptions): HTMLElement {
  const T = o.columns.length;
  const H = o.rows;
  const shown = Math.min(H, o.maxRows ?? 48);
  const canvas = el('canvas', { width: LABEL_W + T * CELL, height: LABEL_H + shown * CELL, class: 'heatmap', role: 'img' });
  const rangeText = o.scale === 'unit' ? 'white 0 to dark 1' : 'blue −1, white 0, red +1';
  canvas.setAttribute('aria-label', `${o.title}: ${shown} of ${H} units over ${T} characters; colour ${rangeText}`);
  const ctx = canvas.getContext('2d');
  if (ctx) {
    ctx.font = '10px ui-monospace, monospace';
    ctx.textAlign = 'center';
    ctx.fillStyle = '#333';
    o.columns.forEach((ch, t) => ctx.fillText(visible(ch), LABEL_W + t * CELL + CELL / 2, 11));
    ctx.textAlign = 'right';
    for (let j = 0; j < shown; j += 8) ctx.fillText(String(j + 1), LABEL_W - 4, LABEL_H + j * CELL + 8);
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < shown; j++) {
        ctx.fillStyle = color(o.values[t * H + j]!, o.scale);
        ctx.fillRect(LABEL_W + t * CELL, LABEL_H + j * CELL, CELL, CELL);
      }
    }
  }
  const note = shown < H ? ` (first ${shown} of ${H} units)` : '';
  return el('figure', { class: 'heatmap-fig' },
    el('figcaption', { text: `${o.title}${note} — ${rangeText}` }),
    el('div', { class: 'scroll' }, canvas));
}
