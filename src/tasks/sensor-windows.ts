/**
 * Sequence windows for the single-hop sensor network example: each mote's
 * readings in order, cut into windows of W consecutive readings
 * (humidity, temperature per step); a window is anomalous when its last
 * reading is — "is something happening now, given the last W readings?".
 */

import { expectPositiveInt } from '../core/errors.js';

/** The fields of a reading the windows use. */
export interface SensorRow {
  readonly reading: number;
  readonly mote_id: number;
  readonly humidity: number;
  readonly temperature: number;
  readonly label: number;
}

/** One window: W steps of [humidity, temperature] and its label (0 normal, 1 anomalous). */
export interface SensorWindow {
  readonly mote: number;
  readonly end: number;
  readonly steps: number[][];
  readonly label: number;
}

/** Windows of `window` readings every `stride` readings, per mote, in reading order. */
export function sensorWindows(rows: readonly SensorRow[], window: number, stride = 1): SensorWindow[] {
  expectPositiveInt('window', window);
  expectPositiveInt('stride', stride);
  const byMote = new Map<number, SensorRow[]>();
  for (const r of rows) {
    const list = byMote.get(r.mote_id) ?? [];
    list.push(r);
    byMote.set(r.mote_id, list);
  }
  const out: SensorWindow[] = [];
  for (const [mote, list] of [...byMote.entries()].sort((a, b) => a[0] - b[0])) {
    list.sort((a, b) => a.reading - b.reading);
    for (let e = window; e <= list.length; e += stride) {
      const steps = list.slice(e - window, e).map((r) => [r.humidity, r.temperature]);
      out.push({ mote, end: list[e - 1]!.reading, steps, label: list[e - 1]!.label });
    }
  }
  return out;
}
