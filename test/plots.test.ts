/**
 * Plots of unbounded data (issue 14): a loss history of 1.4 million steps
 * or a 2-million-point series draws without "Maximum call stack size
 * exceeded" (no Math.min(...array) over data), into a bounded file that
 * keeps the extremes, and is marked as ours so a later run may replace it.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { downsample, extent, lossCurveSvg, MAX_PLOT_POINTS } from '../src/cli/svg.js';
import { seriesPlotSvg } from '../src/cli/plot-series.js';
import { GENERATOR_MARK, MARK_WINDOW } from '../src/node/outputs.js';

test('extent and downsample: exact extremes of any length; at most MAX_PLOT_POINTS points, spikes kept', () => {
  const n = 3_000_000;
  const pts: [number, number][] = Array.from({ length: n }, (_, i) => [i, Math.sin(i / 1000)]);
  pts[1_234_567]![1] = 50;
  pts[2_000_001]![1] = -40;
  pts[17]![1] = NaN;
  assert.deepEqual(extent(pts.map((p) => p[1])), [-40, 50]);
  assert.equal(extent([NaN, Infinity]), undefined);
  const d = downsample(pts);
  assert.ok(d.length <= MAX_PLOT_POINTS && d.length > MAX_PLOT_POINTS / 2, `${d.length} points`);
  assert.ok(d.some((p) => p[1] === 50) && d.some((p) => p[1] === -40), 'a spike was lost');
  for (let i = 1; i < d.length; i++) assert.ok(d[i]![0] > d[i - 1]![0], 'out of x order');
  const short: [number, number][] = [[0, 1], [1, NaN], [2, 3]];
  assert.deepEqual(downsample(short), [[0, 1], [2, 3]]);
});

test('a loss curve of 1.4 million steps and a 2-million-point series plot draw, stay small, and carry the mark', () => {
  const history: [number, number][] = Array.from({ length: 1_400_000 }, (_, i) => [i + 1, 5 - Math.log1p(i) / 5]);
  const svg = lossCurveSvg([{ label: 'training', points: history, color: '#1f77b4' }, { label: 'validation', points: history.filter((_, i) => i % 200 === 0), color: '#d62728', dots: true }]);
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.ok(svg.length < 400_000, `${svg.length} characters`);
  assert.ok(svg.slice(0, MARK_WINDOW).includes(GENERATOR_MARK));
  assert.match(svg, />1\.[45]e\+6</, 'the x axis reaches the last step');
  const series: [number, number][] = Array.from({ length: 2_000_000 }, (_, i) => [i, Math.cos(i / 50)]);
  const plot = seriesPlotSvg([{ label: 'actual', points: series, color: 'black' }]);
  assert.ok(plot.startsWith('<svg') && plot.length < 200_000, `${plot.length} characters`);
  assert.ok(plot.slice(0, MARK_WINDOW).includes(GENERATOR_MARK));
});
