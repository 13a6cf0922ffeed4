/**
 * A small SVG line chart (no chart library): several named series, linear x,
 * linear or log10 y, ticks, an HTML legend, marked points and vertical
 * markers, a hover read-out, and a text summary for screen readers.
 *
 * The SVG is drawn at the figure's own width in CSS pixels (one SVG unit =
 * one CSS pixel, redrawn when the figure is resized), so its text keeps a
 * fixed size however wide or narrow the chart is. Each polyline carries
 * `data-series`, `data-count`, `data-first` and `data-last`, which the
 * end-to-end test reads.
 */

const SVG = 'http://www.w3.org/2000/svg';
/** Width used while the figure is not laid out (a hidden tab). */
const FALLBACK_W = 640;
const PAD = { left: 52, right: 14, top: 10, bottom: 40 };

export interface Series {
  /** Key used in data attributes and CSS (`series-<key>`). */
  readonly key: string;
  /** Legend text. */
  readonly label: string;
  readonly points: readonly (readonly [number, number])[];
  /** Dashed line. */
  readonly dashed?: boolean;
}

/** A point drawn as a ringed dot with a short label (e.g. the best validation loss). */
export interface PointMark {
  readonly key: string;
  readonly x: number;
  readonly y: number;
  readonly label: string;
}

/** A vertical line across the plot at x (e.g. τ). */
export interface LineMark {
  readonly key: string;
  readonly x: number;
  readonly label: string;
}

export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly logY?: boolean;
  readonly height?: number;
  /** x counts something (updates, steps): integer ticks only. */
  readonly integerX?: boolean;
  /** Format of a y value in the hover read-out. */
  readonly formatY?: (y: number) => string;
}

export interface ChartExtras {
  /** Fixed x range (the data does not rescale it). */
  readonly xDomain?: readonly [number, number];
  readonly points?: readonly PointMark[];
  readonly lines?: readonly LineMark[];
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** Round tick values covering [lo, hi], about n of them; whole numbers only when `integer`. */
export function ticks(lo: number, hi: number, n = 5, integer = false): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  if (integer) step = Math.max(1, Math.ceil(step));
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** A short tick label. */
export function label(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(0);
  return String(Number(v.toPrecision(4)));
}

export class LineChart {
  readonly figure: HTMLElement;
  private readonly root: SVGSVGElement;
  private readonly legend: HTMLUListElement;
  private readonly readout: HTMLParagraphElement;
  private readonly summary: HTMLParagraphElement;
  private series: readonly Series[] = [];
  private extras: ChartExtras = {};
  private pending = false;
  private readonly H: number;
  private width = FALLBACK_W;
  /** Screen x of the plot ↔ data x, for the hover read-out (set by draw). */
  private invertX: (px: number) => number = (px) => px;
  private placeX: (x: number) => number = (x) => x;

  constructor(private readonly options: ChartOptions) {
    this.H = options.height ?? 240;
    this.figure = document.createElement('figure');
    this.figure.className = 'chart';
    const cap = document.createElement('figcaption');
    cap.textContent = options.title;
    this.legend = document.createElement('ul');
    this.legend.className = 'legend';
    this.root = svg('svg', { role: 'img', 'aria-label': options.title });
    this.readout = document.createElement('p');
    this.readout.className = 'readout';
    this.readout.textContent = '\u00a0';
    this.summary = document.createElement('p');
    this.summary.className = 'visually-hidden';
    this.summary.setAttribute('aria-live', 'off');
    this.figure.append(cap, this.legend, this.root, this.readout, this.summary);
    this.root.addEventListener('pointermove', (e) => this.hover(e));
    this.root.addEventListener('pointerleave', () => { this.readout.textContent = '\u00a0'; this.root.querySelector('.cursor')?.remove(); });
    if (typeof ResizeObserver !== 'undefined') {
      new ResizeObserver(() => {
        const w = Math.floor(this.root.parentElement?.clientWidth ?? 0) - 16; // the figure's padding
        if (w > 100 && Math.abs(w - this.width) >= 1) { this.width = w; this.draw(); }
      }).observe(this.figure);
    }
    this.draw();
  }

  /** Replaces the data; drawing happens on the next animation frame. */
  setSeries(series: readonly Series[], extras: ChartExtras = {}): void {
    this.series = series;
    this.extras = extras;
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  /** Draws now (for tests and static charts). */
  drawNow(series: readonly Series[], extras: ChartExtras = {}): void {
    this.series = series;
    this.extras = extras;
    this.draw();
  }

  private draw(): void {
    const { logY = false, integerX = false } = this.options;
    const H = this.H;
    const W = this.width;
    const r = this.root;
    r.setAttribute('viewBox', `0 0 ${W} ${H}`);
    r.setAttribute('width', String(W));
    r.setAttribute('height', String(H));
    r.replaceChildren();
    const ty = (v: number): number => (logY ? Math.log10(Math.max(v, 1e-300)) : v);
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const s of this.series) {
      for (const [x, y] of s.points) {
        if (!Number.isFinite(y) || (logY && y <= 0)) continue;
        x0 = Math.min(x0, x); x1 = Math.max(x1, x);
        y0 = Math.min(y0, ty(y)); y1 = Math.max(y1, ty(y));
      }
    }
    if (!Number.isFinite(x0)) { x0 = 0; x1 = integerX ? 10 : 1; y0 = 0; y1 = 1; }
    if (this.extras.xDomain) [x0, x1] = this.extras.xDomain;
    if (x1 <= x0) x1 = x0 + (integerX ? 10 : 1);
    if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
    if (logY) { y0 = Math.floor(y0); y1 = Math.ceil(y1); if (y1 === y0) y1 += 1; } else { const m = (y1 - y0) * 0.05; y0 -= m; y1 += m; }
    const pw = W - PAD.left - PAD.right;
    const ph = H - PAD.top - PAD.bottom;
    const sx = (x: number): number => PAD.left + ((x - x0) / (x1 - x0)) * pw;
    const sy = (y: number): number => PAD.top + (1 - (ty(y) - y0) / (y1 - y0)) * ph;
    this.placeX = sx;
    this.invertX = (px) => x0 + ((px - PAD.left) / pw) * (x1 - x0);
    const g = svg('g', { class: 'axes' });
    const yt = logY ? Array.from({ length: y1 - y0 + 1 }, (_, i) => y0 + i).filter((_, i, a) => a.length <= 9 || i % Math.ceil(a.length / 8) === 0) : ticks(y0, y1, Math.max(2, Math.round(ph / 40)));
    for (const v of yt) {
      const y = PAD.top + (1 - (v - y0) / (y1 - y0)) * ph;
      g.append(svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: 'grid' }));
      const t = svg('text', { x: PAD.left - 6, y: y + 4, 'text-anchor': 'end' });
      t.textContent = logY ? `1e${v}` : label(v);
      g.append(t);
    }
    // about one x tick per 80 px, each label once
    const seen = new Set<string>();
    const xt = ticks(x0, x1, Math.max(2, Math.floor(pw / 80)), integerX);
    // a fixed range shows its end (e.g. T), unless a tick sits too close to it
    const lastTick = xt[xt.length - 1]!;
    const stepX = xt.length > 1 ? xt[1]! - xt[0]! : x1 - x0;
    if (this.extras.xDomain && x1 - lastTick >= 0.4 * stepX) xt.push(x1);
    for (const v of xt) {
      const text = label(v);
      if (seen.has(text)) continue;
      seen.add(text);
      const x = sx(v);
      g.append(svg('line', { x1: x, x2: x, y1: PAD.top + ph, y2: PAD.top + ph + 4, class: 'tick' }));
      const t = svg('text', { x, y: PAD.top + ph + 17, 'text-anchor': 'middle', class: 'xtick' });
      t.textContent = text;
      g.append(t);
    }
    g.append(svg('rect', { x: PAD.left, y: PAD.top, width: pw, height: ph, class: 'frame' }));
    const xl = svg('text', { x: PAD.left + pw / 2, y: H - 4, 'text-anchor': 'middle', class: 'axis-label' });
    xl.textContent = this.options.xLabel;
    const yl = svg('text', { x: 14, y: PAD.top + ph / 2, 'text-anchor': 'middle', class: 'axis-label', transform: `rotate(-90 14 ${PAD.top + ph / 2})` });
    yl.textContent = this.options.yLabel;
    g.append(xl, yl);
    r.append(g);
    for (const m of this.extras.lines ?? []) {
      const x = sx(m.x);
      r.append(svg('line', { x1: x, x2: x, y1: PAD.top, y2: PAD.top + ph, class: `marker marker-${m.key}`, 'data-mark': m.key, 'data-x': m.x }));
      const t = svg('text', { x: x + 4, y: PAD.top + 14, class: `marker-label marker-${m.key}`, 'text-anchor': x > PAD.left + pw * 0.8 ? 'end' : 'start' });
      if (x > PAD.left + pw * 0.8) t.setAttribute('x', String(x - 4));
      t.textContent = m.label;
      r.append(t);
    }
    const summary: string[] = [];
    const keys: HTMLLIElement[] = [];
    for (const s of this.series) {
      const pts = s.points.filter(([x, y]) => Number.isFinite(y) && (!logY || y > 0) && x >= x0 && x <= x1);
      const stride = Math.max(1, Math.ceil(pts.length / Math.max(200, pw)));
      const coords: string[] = [];
      for (let i = 0; i < pts.length; i += stride) coords.push(`${sx(pts[i]![0]).toFixed(1)},${sy(pts[i]![1]).toFixed(1)}`);
      if (pts.length > 0 && (pts.length - 1) % stride !== 0) { const p = pts[pts.length - 1]!; coords.push(`${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`); }
      const first = s.points[0]?.[1];
      const last = s.points[s.points.length - 1]?.[1];
      const line = svg('polyline', {
        points: coords.join(' '), class: `line series-${s.key}${s.dashed ? ' dashed' : ''}`,
        'data-series': s.key, 'data-count': s.points.length,
        'data-first': first === undefined ? '' : String(first), 'data-last': last === undefined ? '' : String(last),
      });
      r.append(line);
      if (pts.length === 1) { const [x, y] = pts[0]!; r.append(svg('circle', { cx: sx(x), cy: sy(y), r: 3, class: `dot series-${s.key}` })); }
      const sw = svg('svg', { width: 20, height: 10, 'aria-hidden': 'true' });
      sw.append(svg('line', { x1: 1, x2: 19, y1: 5, y2: 5, class: `line series-${s.key}${s.dashed ? ' dashed' : ''}` }));
      const li = document.createElement('li');
      li.append(sw, s.label);
      keys.push(li);
      if (first !== undefined && last !== undefined) summary.push(`${s.label}: ${s.points.length} points, from ${label(first)} to ${label(last)}`);
    }
    for (const p of this.extras.points ?? []) {
      if (!Number.isFinite(p.y) || (logY && p.y <= 0)) continue;
      const cx = sx(p.x), cy = sy(p.y);
      r.append(svg('circle', { cx, cy, r: 5, class: `mark mark-${p.key}`, 'data-mark': p.key, 'data-x': p.x, 'data-y': p.y }));
      const t = svg('text', { x: cx, y: cy + 20, class: `mark-label mark-${p.key}`, 'text-anchor': cx > PAD.left + pw * 0.75 ? 'end' : 'middle' });
      t.textContent = p.label;
      r.append(t);
      summary.push(p.label);
    }
    this.legend.replaceChildren(...keys);
    this.summary.textContent = summary.join('; ');
  }

  /** The values of every series at the x under the pointer. */
  private hover(e: PointerEvent): void {
    const box = this.root.getBoundingClientRect();
    const x = this.invertX(e.clientX - box.left);
    const parts: string[] = [];
    let shownX: number | undefined;
    const fy = this.options.formatY ?? ((y: number) => label(y));
    for (const s of this.series) {
      let best: readonly [number, number] | undefined;
      for (const p of s.points) if (!best || Math.abs(p[0] - x) < Math.abs(best[0] - x)) best = p;
      if (!best) continue;
      shownX ??= best[0];
      parts.push(`${s.label} ${fy(best[1])}`);
    }
    this.root.querySelector('.cursor')?.remove();
    if (shownX === undefined) { this.readout.textContent = '\u00a0'; return; }
    const px = this.placeX(shownX);
    this.root.append(svg('line', { x1: px, x2: px, y1: PAD.top, y2: this.H - PAD.bottom, class: 'cursor' }));
    this.readout.textContent = `${this.options.xLabel} ${label(shownX)}: ${parts.join(' · ')}`;
  }
}
