/**
 * A time-series plot as a standalone SVG document: several series against
 * the step index (actual vs predicted on a held-out tail), with axes,
 * ticks and a legend.
 */

import { downsample, extent, niceTicks, SVG_MARK } from './svg.js';

/** One line of the plot. */
export interface PlotSeries {
  readonly label: string;
  /** (x, y) points in x order; non-finite values are skipped. */
  readonly points: readonly (readonly [number, number])[];
  readonly color: string;
  /** Dash pattern, e.g. `"4 3"`, for baselines. */
  readonly dash?: string;
}

const M = { left: 72, right: 16, top: 36, bottom: 48 };

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

function label(v: number): string {
  return String(Number(v.toPrecision(6)));
}

/** The SVG text of a line plot of `series` (x = step index, y = value). */
export function seriesPlotSvg(series: readonly PlotSeries[], options: { title?: string; xLabel?: string; yLabel?: string; width?: number; height?: number } = {}): string {
  const width = options.width ?? 900;
  const height = options.height ?? 420;
  const pw = width - M.left - M.right;
  const ph = height - M.top - M.bottom;
  // long series (a whole 200 MB CSV) are downsampled, keeping each run's low and high point
  const drawn = series.map((s) => downsample(s.points));
  const xs = extent(drawn.flatMap((p) => p.map(([x]) => x)));
  const ys = extent(drawn.flatMap((p) => p.map(([, y]) => y)));
  let x0 = xs?.[0] ?? 0;
  let x1 = xs?.[1] ?? 1;
  let y0 = ys?.[0] ?? 0;
  let y1 = ys?.[1] ?? 1;
  if (x1 <= x0) x1 = x0 + 1;
  if (y1 <= y0) {
    y0 -= 1;
    y1 += 1;
  }
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const sx = (x: number): number => M.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number): number => M.top + ph - ((y - y0) / (y1 - y0)) * ph;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    SVG_MARK,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  if (options.title) out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${esc(options.title)}</text>`);
  for (const t of niceTicks(y0, y1)) {
    const y = sy(t).toFixed(1);
    out.push(`<line x1="${M.left}" y1="${y}" x2="${M.left + pw}" y2="${y}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${label(t)}</text>`);
  }
  for (const t of niceTicks(x0, x1, 8)) {
    const x = sx(t).toFixed(1);
    out.push(`<line x1="${x}" y1="${M.top + ph}" x2="${x}" y2="${M.top + ph + 4}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${M.top + ph + 18}" text-anchor="middle">${label(t)}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  if (options.xLabel) out.push(`<text x="${M.left + pw / 2}" y="${height - 8}" text-anchor="middle">${esc(options.xLabel)}</text>`);
  if (options.yLabel) out.push(`<text transform="translate(14 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(options.yLabel)}</text>`);
  const legendW = 48 + 7 * (extent(series.map((s) => s.label.length))?.[1] ?? 0);
  series.forEach((s, k) => {
    const d = drawn[k]!.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.4"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} points="${d}"/>`);
  });
  out.push(`<rect x="${M.left + 4}" y="${M.top + 4}" width="${legendW}" height="${series.length * 16 + 4}" fill="white" fill-opacity="0.85" stroke="#ccc"/>`);
  series.forEach((s, i) => {
    const ly = M.top + 14 + i * 16;
    out.push(`<line x1="${M.left + 10}" y1="${ly}" x2="${M.left + 34}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    out.push(`<text x="${M.left + 40}" y="${ly}" dominant-baseline="middle">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
