/**
 * Sequence windows for the single-hop sensor network example: each mote's
 * readings in order, cut into windows of W consecutive readings
 * (humidity, temperature per step); a window is anomalous when its last
 * reading is — "is something happening now, given the last W readings?".
 *
 * With `baseline: B`, each step holds the reading minus the mote's own
 * recent level instead (the median humidity and temperature of the B
 * readings before the window): motes sit at different levels (mote 4's
 * normal humidity reaches 59 % where mote 1's stays below 48 %), so
 * absolute readings teach a network levels that do not carry over to a
 * mote it never saw, while a jump above a mote's own level does.
 */

import { expectPositiveInt, OptionError } from '../core/errors.js';

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

/** Options of {@link sensorWindows}. */
export interface SensorWindowOptions {
  /** Readings before each window whose median is subtracted from its steps; 0 (default) keeps the absolute readings. */
  readonly baseline?: number;
}

/**
 * Windows of `window` readings every `stride` readings, per mote, in
 * reading order (with a baseline, the first window ends `baseline` readings
 * later, so that each has its full baseline).
 */
export function sensorWindows(rows: readonly SensorRow[], window: number, stride = 1, options: SensorWindowOptions = {}): SensorWindow[] {
  expectPositiveInt('window', window);
  expectPositiveInt('stride', stride);
  const base = options.baseline ?? 0;
  if (!(Number.isInteger(base) && base >= 0)) throw new OptionError(`baseline must be a whole number ≥ 0, got ${base}`);
  const byMote = new Map<number, SensorRow[]>();
  for (const r of rows) {
    const list = byMote.get(r.mote_id) ?? [];
    list.push(r);
    byMote.set(r.mote_id, list);
  }
  const out: SensorWindow[] = [];
  for (const [mote, list] of [...byMote.entries()].sort((a, b) => a[0] - b[0])) {
    list.sort((a, b) => a.reading - b.reading);
    for (let e = window + base; e <= list.length; e += stride) {
      let h0 = 0;
      let t0 = 0;
      if (base > 0) {
        const before = list.slice(e - window - base, e - window);
        h0 = median(before.map((r) => r.humidity));
        t0 = median(before.map((r) => r.temperature));
      }
      const steps = list.slice(e - window, e).map((r) => [r.humidity - h0, r.temperature - t0]);
      out.push({ mote, end: list[e - 1]!.reading, steps, label: list[e - 1]!.label });
    }
  }
  return out;
}

/** The middle value (the upper of the two middle ones for an even count). */
function median(values: number[]): number {
  values.sort((a, b) => a - b);
  return values[values.length >> 1]!;
}
