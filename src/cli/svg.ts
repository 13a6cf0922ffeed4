/**
 * A loss curve as a standalone SVG document: training and validation loss
 * against the training step, with axes, ticks, labels and a legend, for a
 * user to open in a browser next to the model file.
 */

import { GENERATOR_MARK } from '../node/outputs.js';

/** One curve: (step, value) points and how it is drawn. */
export interface CurveSeries {
  readonly label: string;
  readonly points: readonly (readonly [step: number, value: number])[];
  readonly color: string;
  /** Draw a dot at each point (for sparse series such as validation). */
  readonly dots?: boolean;
}

/** Options of {@link lossCurveSvg}. */
export interface LossCurveOptions {
  readonly title?: string;
  /** Label of the y axis. Default "loss". */
  readonly yLabel?: string;
  readonly width?: number;
  readonly height?: number;
}

const MARGIN = { left: 64, right: 16, top: 36, bottom: 48 };

/**
 * Most points drawn per series. Longer series are downsampled
 * ({@link downsample}): a plot is ~1000 pixels wide, so more points only
 * make the file larger, and a 1.4-million-step history stays a small file.
 */
export const MAX_PLOT_POINTS = 2000;

/** The comment that marks an SVG as ours (outputs.ts recognises it, so a plot we wrote may be replaced). */
export const SVG_MARK = `<!-- ${GENERATOR_MARK} -->`;

/** [min, max] of the finite values of `values`, or undefined when there are none; a loop, so any length works. */
export function extent(values: Iterable<number>): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : undefined;
}

/**
 * At most about `max` of `points` (in x order), keeping the shape: the
 * points are cut into max/2 runs and each run keeps its lowest and its
 * highest point, in their order, so spikes survive. Non-finite points are
 * dropped. Short series come back filtered but otherwise as they were.
 */
export function downsample<P extends readonly [number, number]>(points: readonly P[], max = MAX_PLOT_POINTS): P[] {
  const finite = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (finite.length <= max) return finite;
  const runs = Math.max(1, Math.floor(max / 2));
  const out: P[] = [];
  for (let r = 0; r < runs; r++) {
    const a = Math.floor((r * finite.length) / runs);
    const b = Math.floor(((r + 1) * finite.length) / runs);
    let lo = a;
    let hi = a;
    for (let i = a + 1; i < b; i++) {
      if (finite[i]![1] < finite[lo]![1]) lo = i;
      if (finite[i]![1] > finite[hi]![1]) hi = i;
    }
    out.push(finite[Math.min(lo, hi)]!);
    if (hi !== lo) out.push(finite[Math.max(lo, hi)]!);
  }
  return out;
}

/** "Nice" tick values covering [lo, hi]: steps of 1, 2 or 5 × 10ⁿ, about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count - 1);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** [lo, hi] widened outwards to multiples of its nice tick step. */
function snapToTicks(lo: number, hi: number): [number, number] {
  const t = niceTicks(lo, hi);
  if (t.length < 2) return [lo, hi];
  const step = t[1]! - t[0]!;
  return [Math.floor(lo / step + 1e-9) * step, Math.ceil(hi / step - 1e-9) * step];
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

function tickLabel(v: number): string {
  if (v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3)) return v.toExponential(1);
  return String(Number(v.toPrecision(6)));
}

/**
 * The SVG text of a loss plot: x = training step, y = loss, one polyline
 * per series (points with non-finite values are skipped).
 */
export function lossCurveSvg(series: readonly CurveSeries[], options: LossCurveOptions = {}): string {
  const width = options.width ?? 720;
  const height = options.height ?? 420;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const drawn = series.map((s) => downsample(s.points));
  const xs = extent(drawn.flatMap((p) => p.map(([x]) => x)));
  const ys = extent(drawn.flatMap((p) => p.map(([, y]) => y)));
  let xMin = Math.min(0, xs?.[0] ?? 0);
  let xMax = Math.max(1, xs?.[1] ?? 1);
  let yMin = ys?.[0] ?? 0;
  let yMax = ys?.[1] ?? 1;
  if (yMax - yMin < 1e-9) {
    yMin -= 0.5;
    yMax += 0.5;
  }
  // widen the ranges to whole tick steps so the axes start and end on labelled ticks
  [xMin, xMax] = snapToTicks(xMin, xMax);
  [yMin, yMax] = snapToTicks(yMin, yMax);
  const xTicks = niceTicks(xMin, xMax);
  const yTicks = niceTicks(yMin, yMax);
  const sx = (x: number): number => MARGIN.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const sy = (y: number): number => MARGIN.top + plotH - ((y - yMin) / (yMax - yMin)) * plotH;
  const f = (v: number): string => v.toFixed(1);

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(SVG_MARK);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  if (options.title) out.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(options.title)}</text>`);
  // grid and tick labels
  for (const t of xTicks) {
    const x = f(sx(t));
    out.push(`<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${MARGIN.top + plotH}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${x}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${tickLabel(t)}</text>`);
  }
  for (const t of yTicks) {
    if (t < yMin || t > yMax) continue;
    const y = f(sy(t));
    out.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + plotW}" y2="${y}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${tickLabel(t)}</text>`);
  }
  // axes
  out.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top + plotH}" x2="${MARGIN.left + plotW}" y2="${MARGIN.top + plotH}" stroke="black"/>`);
  out.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotH}" stroke="black"/>`);
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${height - 10}" text-anchor="middle">training step</text>`);
  const yl = escapeXml(options.yLabel ?? 'loss');
  out.push(`<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${yl}</text>`);
  // curves
  series.forEach((s, k) => {
    const p = drawn[k]!;
    if (p.length === 0) return;
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.6" points="${p.map(([x, y]) => `${f(sx(x))},${f(sy(y))}`).join(' ')}"/>`);
    if (s.dots) for (const [x, y] of p) out.push(`<circle cx="${f(sx(x))}" cy="${f(sy(y))}" r="2.5" fill="${s.color}"/>`);
  });
  // legend, top right inside the plot
  series.forEach((s, i) => {
    const y = MARGIN.top + 14 + i * 18;
    const x = MARGIN.left + plotW - 150;
    out.push(`<line x1="${x}" y1="${y}" x2="${x + 22}" y2="${y}" stroke="${s.color}" stroke-width="2"/>`);
    out.push(`<text x="${x + 28}" y="${y}" dominant-baseline="middle">${escapeXml(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
