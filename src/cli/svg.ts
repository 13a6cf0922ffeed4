/**
 * A loss curve as a standalone SVG document: training and validation loss
 * against the training step, with axes, ticks, labels and a legend, for a
 * user to open in a browser next to the model file.
 */

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
  const pts = series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  let xMin = Math.min(0, ...pts.map((p) => p[0]));
  let xMax = Math.max(1, ...pts.map((p) => p[0]));
  let yMin = pts.length ? Math.min(...pts.map((p) => p[1])) : 0;
  let yMax = pts.length ? Math.max(...pts.map((p) => p[1])) : 1;
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
  for (const s of series) {
    const p = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (p.length === 0) continue;
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.6" points="${p.map(([x, y]) => `${f(sx(x))},${f(sy(y))}`).join(' ')}"/>`);
    if (s.dots) for (const [x, y] of p) out.push(`<circle cx="${f(sx(x))}" cy="${f(sy(y))}" r="2.5" fill="${s.color}"/>`);
  }
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
