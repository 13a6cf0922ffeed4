/**
 * The worked example's network unrolled over its two steps, as a figure
 * (docs/maths.md §5): x(t) → h(t) through U, h(t−1) → h(t) through W,
 * h(t) → ŷ(t) through V. Each node shows its vector and each edge the
 * vector it carries, recomputed from the current weights; numbers that
 * changed since the last drawing are highlighted.
 *
 * Drawn at a fixed size in CSS pixels (text stays 12 px) in one of two
 * layouts: wide (time runs left to right, 740 px) where it fits, else tall
 * (time runs down, 350 px: each step's x(t), h(t), ŷ(t) in one column, the
 * recurrence h(t−1) → h(t) drawn round the left side), so a phone shows it
 * whole without scrolling or shrinking its numbers.
 */

import { fmt } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';

type NodeName = 'h0' | 'h1' | 'h2' | 'x1' | 'x2' | 'y1' | 'y2';
type EdgeName = 'h0W' | 'h1W' | 'x1U' | 'x2U' | 'h1V' | 'h2V';
type Anchor = 'start' | 'middle' | 'end';

/** Where everything goes: node centres and widths, edge paths and label positions, the size. */
interface Layout {
  readonly width: number;
  readonly height: number;
  readonly nodes: Readonly<Record<NodeName, readonly [x: number, y: number, w: number]>>;
  readonly edges: Readonly<Record<EdgeName, { readonly d: string; readonly label: readonly [x: number, y: number, anchor: Anchor] }>>;
}

const NODE_H = 40;
const NODE_W: Readonly<Record<NodeName, number>> = { h0: 120, h1: 150, h2: 150, x1: 164, x2: 164, y1: 190, y2: 190 };

/** Time left to right: columns h(0), step 1, step 2; rows ŷ, h, x. */
function wideLayout(): Layout {
  const X0 = 70, X1 = 330, X2 = 630;
  const Y_OUT = 40, Y_H = 140, Y_IN = 235;
  const line = (x1: number, y1: number, x2: number, y2: number): string => `M${x1},${y1} L${x2},${y2}`;
  return {
    width: 740,
    height: 270,
    nodes: { h0: [X0, Y_H, NODE_W.h0], h1: [X1, Y_H, NODE_W.h1], h2: [X2, Y_H, NODE_W.h2], x1: [X1, Y_IN, NODE_W.x1], x2: [X2, Y_IN, NODE_W.x2], y1: [X1, Y_OUT, NODE_W.y1], y2: [X2, Y_OUT, NODE_W.y2] },
    edges: {
      h0W: { d: line(X0 + 60, Y_H, X1 - 77, Y_H), label: [(X0 + 60 + X1 - 77) / 2, Y_H - 28, 'middle'] },
      h1W: { d: line(X1 + 77, Y_H, X2 - 77, Y_H), label: [(X1 + X2) / 2, Y_H - 28, 'middle'] },
      x1U: { d: line(X1, Y_IN - 20, X1, Y_H + 22), label: [X1 - 8, (Y_IN + Y_H) / 2 + 4, 'end'] },
      x2U: { d: line(X2, Y_IN - 20, X2, Y_H + 22), label: [X2 - 8, (Y_IN + Y_H) / 2 + 4, 'end'] },
      h1V: { d: line(X1, Y_H - 20, X1, Y_OUT + 22), label: [X1 + 8, (Y_OUT + Y_H) / 2 + 4, 'start'] },
      h2V: { d: line(X2, Y_H - 20, X2, Y_OUT + 22), label: [X2 + 8, (Y_OUT + Y_H) / 2 + 4, 'start'] },
    },
  };
}

/**
 * Time top to bottom, one column: h(0), then per step x(t), h(t), ŷ(t).
 * x(t) → h(t) is labelled on the right of its arrow, h(t−1) → h(t) runs
 * round the left side and is labelled on the left of the same gap.
 */
function tallLayout(): Layout {
  const CX = 182, GUTTER = 8;
  const y = { h0: 25, x1: 105, h1: 205, y1: 285, x2: 365, h2: 465, y2: 545 };
  const down = (top: number, bottom: number): string => `M${CX},${top + NODE_H / 2} L${CX},${bottom - NODE_H / 2 - 2}`;
  /** Out of h(t−1)'s left side, down the gutter, into h(t)'s left side. */
  const round = (from: number, to: number, fromW: number): string =>
    `M${CX - fromW / 2},${from} L${GUTTER},${from} L${GUTTER},${to} L${CX - NODE_W.h1 / 2 - 2},${to}`;
  const gap = (above: number, below: number): number => (above + NODE_H / 2 + below - NODE_H / 2) / 2 + 4;
  return {
    width: 350,
    height: 575,
    nodes: { h0: [CX, y.h0, NODE_W.h0], h1: [CX, y.h1, NODE_W.h1], h2: [CX, y.h2, NODE_W.h2], x1: [CX, y.x1, NODE_W.x1], x2: [CX, y.x2, NODE_W.x2], y1: [CX, y.y1, NODE_W.y1], y2: [CX, y.y2, NODE_W.y2] },
    edges: {
      h0W: { d: round(y.h0, y.h1, NODE_W.h0), label: [CX - 8, gap(y.x1, y.h1), 'end'] },
      h1W: { d: round(y.h1, y.h2, NODE_W.h1), label: [CX - 8, gap(y.x2, y.h2), 'end'] },
      x1U: { d: down(y.x1, y.h1), label: [CX + 8, gap(y.x1, y.h1), 'start'] },
      x2U: { d: down(y.x2, y.h2), label: [CX + 8, gap(y.x2, y.h2), 'start'] },
      h1V: { d: down(y.h1, y.y1), label: [CX + 8, gap(y.h1, y.y1), 'start'] },
      h2V: { d: down(y.h2, y.y2), label: [CX + 8, gap(y.h2, y.y2), 'start'] },
    },
  };
}

const WIDE = wideLayout();
const TALL = tallLayout();

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
  const root = svg('svg', { class: 'unrolled', role: 'img', 'aria-labelledby': 'unrolled-cap' });
  const defs = svg('defs');
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#57606a' }));
  defs.append(marker);
  root.append(defs);
  /** Text slots by name, for update(); the drawn parts by name, for place(). */
  const slots = new Map<string, SVGTextElement>();
  const edges = new Map<EdgeName, SVGPathElement>();
  const nodes = new Map<NodeName, { box: SVGRectElement; name: SVGTextElement }>();
  const EDGES: readonly EdgeName[] = ['h0W', 'h1W', 'x1U', 'x2U', 'h1V', 'h2V'];
  const NODES: readonly (readonly [NodeName, string])[] = [['h0', 'h(0)'], ['h1', 'h(1)'], ['h2', 'h(2)'], ['x1', 'x(1)'], ['x2', 'x(2)'], ['y1', 'ŷ(1)'], ['y2', 'ŷ(2)']];
  const slot = (name: string, cls: string): void => {
    const t = svg('text', { class: cls, 'data-slot': name });
    slots.set(name, t);
    root.append(t);
  };
  // edges first, nodes on top
  for (const e of EDGES) {
    const path = svg('path', { class: 'edge', 'marker-end': 'url(#arrow)' });
    edges.set(e, path);
    root.append(path);
    slot(e, 'edge-label');
  }
  for (const [n, label] of NODES) {
    const box = svg('rect', { height: NODE_H, rx: 8, class: 'node' });
    const name = svg('text', { 'text-anchor': 'middle', class: 'node-name' }, label);
    root.append(box, name);
    nodes.set(n, { box, name });
    slot(n, 'node-value');
  }
  /** Moves everything to its place in `l`. */
  const place = (l: Layout): void => {
    root.setAttribute('width', String(l.width));
    root.setAttribute('height', String(l.height));
    root.setAttribute('viewBox', `0 0 ${l.width} ${l.height}`);
    root.dataset.layout = l === WIDE ? 'wide' : 'tall';
    for (const e of EDGES) {
      const { d, label: [x, y, anchor] } = l.edges[e];
      edges.get(e)!.setAttribute('d', d);
      const t = slots.get(e)!;
      t.setAttribute('x', String(x));
      t.setAttribute('y', String(y));
      t.setAttribute('text-anchor', anchor);
    }
    for (const [n] of NODES) {
      const [x, y, w] = l.nodes[n];
      const { box, name } = nodes.get(n)!;
      box.setAttribute('x', String(x - w / 2));
      box.setAttribute('y', String(y - NODE_H / 2));
      box.setAttribute('width', String(w));
      name.setAttribute('x', String(x));
      name.setAttribute('y', String(y - 4));
      const t = slots.get(n)!;
      t.setAttribute('x', String(x));
      t.setAttribute('y', String(y + 13));
      t.setAttribute('text-anchor', 'middle');
    }
  };
  place(WIDE);
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
  // the wide layout where the box is wide enough, else the tall one (decided before each paint)
  new ResizeObserver(() => {
    const width = box.clientWidth;
    if (width > 0) place(width >= WIDE.width ? WIDE : TALL);
  }).observe(box);

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
