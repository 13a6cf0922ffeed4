/**
 * The worked example's network unrolled over its two steps, as a figure
 * (docs/maths.md §5): x(t) → h(t) through U, h(t−1) → h(t) through W,
 * h(t) → ŷ(t) through V. Each node shows its vector and each edge the
 * vector it carries, recomputed from the current weights; numbers that
 * changed since the last drawing are highlighted.
 *
 * Drawn at a fixed size in CSS pixels (text stays 12 px) inside a box that
 * scrolls sideways on a narrow screen.
 */

import { fmt } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const W = 740;
const H = 270;
/** Columns: h(0), step 1, step 2; rows: ŷ, h, x. */
const X0 = 70, X1 = 330, X2 = 630;
const Y_OUT = 40, Y_H = 140, Y_IN = 235;

type M = readonly (readonly number[])[];

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

const vec = (v: readonly number[]): string => `[${v.map((x) => fmt(x, 3)).join(', ')}]`;

/** v·M for a row vector v. */
function times(v: readonly number[], m: M): number[] {
  const out = new Array<number>(m[0]!.length).fill(0);
  v.forEach((vi, i) => m[i]!.forEach((mij, j) => { out[j]! += vi * mij; }));
  return out;
}

export interface UnrolledFigure {
  readonly element: HTMLElement;
  update(weights: { U: M; V: M; W: M }, h: M, yhat: M): void;
}

export function unrolledFigure(): UnrolledFigure {
  const root = svg('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: 'unrolled', role: 'img', 'aria-labelledby': 'unrolled-cap' });
  const defs = svg('defs');
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#57606a' }));
  defs.append(marker);
  root.append(defs);
  /** Text slots by name, for update(). */
  const slots = new Map<string, SVGTextElement>();
  const slot = (name: string, x: number, y: number, cls: string, anchor = 'middle'): void => {
    const t = svg('text', { x, y, class: cls, 'text-anchor': anchor, 'data-slot': name });
    slots.set(name, t);
    root.append(t);
  };
  const edge = (x1: number, y1: number, x2: number, y2: number, name: string, lx: number, ly: number, anchor = 'middle'): void => {
    root.append(svg('line', { x1, y1, x2, y2, class: 'edge', 'marker-end': 'url(#arrow)' }));
    slot(name, lx, ly, 'edge-label', anchor);
  };
  const node = (x: number, y: number, label: string, name: string, w = 150): void => {
    root.append(svg('rect', { x: x - w / 2, y: y - 20, width: w, height: 40, rx: 8, class: 'node' }));
    root.append(svg('text', { x, y: y - 4, 'text-anchor': 'middle', class: 'node-name' }, label));
    slot(name, x, y + 13, 'node-value');
  };
  // edges first, nodes on top
  edge(X0 + 60, Y_H, X1 - 77, Y_H, 'h0W', (X0 + 60 + X1 - 77) / 2, Y_H - 28);
  edge(X1 + 77, Y_H, X2 - 77, Y_H, 'h1W', (X1 + X2) / 2, Y_H - 28);
  edge(X1, Y_IN - 20, X1, Y_H + 22, 'x1U', X1 - 8, (Y_IN + Y_H) / 2 + 4, 'end');
  edge(X2, Y_IN - 20, X2, Y_H + 22, 'x2U', X2 - 8, (Y_IN + Y_H) / 2 + 4, 'end');
  edge(X1, Y_H - 20, X1, Y_OUT + 22, 'h1V', X1 + 8, (Y_OUT + Y_H) / 2 + 4, 'start');
  edge(X2, Y_H - 20, X2, Y_OUT + 22, 'h2V', X2 + 8, (Y_OUT + Y_H) / 2 + 4, 'start');
  node(X0, Y_H, 'h(0)', 'h0', 120);
  node(X1, Y_H, 'h(1)', 'h1');
  node(X2, Y_H, 'h(2)', 'h2');
  node(X1, Y_IN, 'x(1)', 'x1');
  node(X2, Y_IN, 'x(2)', 'x2');
  node(X1, Y_OUT, 'ŷ(1)', 'y1', 190);
  node(X2, Y_OUT, 'ŷ(2)', 'y2', 190);
  const cap = document.createElement('figcaption');
  cap.id = 'unrolled-cap';
  cap.textContent = 'The network unrolled over its two steps. Each arrow carries the vector written on it; h(t) is the sum of what arrives (both activations are linear), ŷ(t) = h(t)·V. Edit a weight below and watch which numbers change (highlighted).';
  const box = document.createElement('div');
  box.className = 'scroll-x';
  box.append(root);
  const element = document.createElement('figure');
  element.className = 'unrolled-fig';
  element.id = 'walk-figure';
  element.append(box, cap);

  let first = true;
  const set = (name: string, text: string): void => {
    const t = slots.get(name)!;
    t.classList.toggle('changed', !first && t.textContent !== text);
    t.textContent = text;
  };
  return {
    element,
    update(weights, h, yhat) {
      const x1 = [1, 0, 0], x2 = [0, 0, 0], h0 = [0, 0];
      set('h0', vec(h0));
      set('x1', vec(x1));
      set('x2', vec(x2));
      set('h1', vec(h[0]!));
      set('h2', vec(h[1]!));
      set('y1', vec(yhat[0]!));
      set('y2', vec(yhat[1]!));
      set('h0W', `·W = ${vec(times(h0, weights.W))}`);
      set('h1W', `·W = ${vec(times(h[0]!, weights.W))}`);
      set('x1U', `·U = ${vec(times(x1, weights.U))}`);
      set('x2U', `·U = ${vec(times(x2, weights.U))}`);
      set('h1V', `·V`);
      set('h2V', `·V`);
      first = false;
    },
  };
}
