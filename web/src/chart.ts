/**
 * A small SVG line chart (no chart library): several named series, linear x,
 * linear or log10 y, ticks, a legend, and a text summary for screen readers.
 * Each polyline carries `data-series`, `data-count`, `data-first` and
 * `data-last`, which the end-to-end test reads.
 */

const SVG = 'http://www.w3.org/2000/svg';
const W = 640;
const PAD = { left: 56, right: 14, top: 28, bottom: 40 };

export interface Series {
  /** Key used in data attributes and CSS (`series-<key>`). */
  readonly key: string;
  /** Legend text. */
  readonly label: string;
  readonly points: readonly (readonly [number, number])[];
  /** Dashed line. */
  readonly dashed?: boolean;
}

export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly logY?: boolean;
  readonly height?: number;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** Round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function label(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(0);
  return String(Number(v.toPrecision(4)));
}

export class LineChart {
  readonly figure: HTMLElement;
  private readonly root: SVGSVGElement;
  private readonly summary: HTMLParagraphElement;
  private series: readonly Series[] = [];
  private pending = false;
  private readonly H: number;

  constructor(private readonly options: ChartOptions) {
    this.H = options.height ?? 260;
    this.figure = document.createElement('figure');
    this.figure.className = 'chart';
    const cap = document.createElement('figcaption');
    cap.textContent = options.title;
    this.root = svg('svg', { viewBox: `0 0 ${W} ${this.H}`, role: 'img', 'aria-label': options.title });
    this.summary = document.createElement('p');
    this.summary.className = 'visually-hidden';
    this.summary.setAttribute('aria-live', 'off');
    this.figure.append(cap, this.root, this.summary);
    this.draw();
  }

  /** Replaces the data; drawing happens on the next animation frame. */
  setSeries(series: readonly Series[]): void {
    this.series = series;
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  /** Draws now (for tests and static charts). */
  drawNow(series: readonly Series[]): void {
    this.series = series;
    this.draw();
  }

  private draw(): void {
    const { logY = false } = this.options;
    const H = this.H;
    const r = this.root;
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
    if (!Number.isFinite(x0)) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
    if (x1 === x0) x1 = x0 + 1;
    if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
    if (logY) { y0 = Math.floor(y0); y1 = Math.ceil(y1); } else { const m = (y1 - y0) * 0.05; y0 -= m; y1 += m; }
    const pw = W - PAD.left - PAD.right;
    const ph = H - PAD.top - PAD.bottom;
    const sx = (x: number): number => PAD.left + ((x - x0) / (x1 - x0)) * pw;
    const sy = (y: number): number => PAD.top + (1 - (ty(y) - y0) / (y1 - y0)) * ph;
    const g = svg('g', { class: 'axes' });
    const yt = logY ? Array.from({ length: y1 - y0 + 1 }, (_, i) => y0 + i).filter((_, i, a) => a.length <= 9 || i % Math.ceil(a.length / 8) === 0) : ticks(y0, y1);
    for (const v of yt) {
      const y = PAD.top + (1 - (v - y0) / (y1 - y0)) * ph;
      g.append(svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: 'grid' }));
      const t = svg('text', { x: PAD.left - 6, y: y + 4, 'text-anchor': 'end' });
      t.textContent = logY ? `1e${v}` : label(v);
      g.append(t);
    }
    for (const v of ticks(x0, x1, 6)) {
      const x = sx(v);
      g.append(svg('line', { x1: x, x2: x, y1: PAD.top + ph, y2: PAD.top + ph + 4, class: 'tick' }));
      const t = svg('text', { x, y: PAD.top + ph + 16, 'text-anchor': 'middle' });
      t.textContent = label(v);
      g.append(t);
    }
    g.append(svg('rect', { x: PAD.left, y: PAD.top, width: pw, height: ph, class: 'frame' }));
    const xl = svg('text', { x: PAD.left + pw / 2, y: H - 6, 'text-anchor': 'middle', class: 'axis-label' });
    xl.textContent = this.options.xLabel;
    const yl = svg('text', { x: 12, y: PAD.top + ph / 2, 'text-anchor': 'middle', class: 'axis-label', transform: `rotate(-90 12 ${PAD.top + ph / 2})` });
    yl.textContent = this.options.yLabel;
    g.append(xl, yl);
    r.append(g);
    const summary: string[] = [];
    let legendX = PAD.left;
    for (const s of this.series) {
      const pts = s.points.filter(([, y]) => Number.isFinite(y) && (!logY || y > 0));
      const stride = Math.max(1, Math.ceil(pts.length / 800));
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
      const lg = svg('g', { class: 'legend' });
      lg.append(svg('line', { x1: legendX, x2: legendX + 18, y1: 12, y2: 12, class: `line series-${s.key}${s.dashed ? ' dashed' : ''}` }));
      const lt = svg('text', { x: legendX + 22, y: 16 });
      lt.textContent = s.label;
      lg.append(lt);
      r.append(lg);
      legendX += 30 + s.label.length * 6.5;
      if (first !== undefined && last !== undefined) summary.push(`${s.label}: ${s.points.length} points, from ${label(first)} to ${label(last)}`);
    }
    this.summary.textContent = summary.join('; ');
  }
}
