/**
 * The time column of a series, continued past its end: a forecast made
 * after the last observation at time t_N labels its steps t_N + h·Δ
 * (h = 1..horizon), with Δ the series' own step — days for dates
 * (YYYY-MM-DD, UTC calendar days), or a number for numeric time columns.
 */

import { OptionError, ShapeError } from '../core/errors.js';

/** The last time of a series and its step. */
export type TimeAxis =
  /** Calendar dates, `last` as YYYY-MM-DD, `stepDays` whole days apart. */
  | { readonly kind: 'date'; readonly last: string; readonly stepDays: number }
  /** Numbers (an index, a year, seconds), `step` apart. */
  | { readonly kind: 'number'; readonly last: number; readonly step: number };

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * The axis of a time column: dates when every value is YYYY-MM-DD, numbers
 * when every value is a finite number; the step is the one between the
 * last two values (which must be positive). A series without a time column
 * uses its indices: `timeAxisOf` of n values gives `{ kind: "number", last: n − 1, step: 1 }`
 * via {@link indexAxis}. Throws a ShapeError naming the first bad value.
 */
export function timeAxisOf(times: readonly (string | number)[]): TimeAxis {
  const n = times.length;
  if (n < 2) throw new ShapeError(`a time column needs at least 2 values to give a step, got ${n}`);
  const a = times[n - 2]!;
  const b = times[n - 1]!;
  if (typeof b === 'string' && DATE.test(b)) {
    const days = times.map((t, i) => {
      const d = typeof t === 'string' ? dayNumber(t) : NaN;
      if (Number.isNaN(d)) throw new ShapeError(`time value ${i} (${JSON.stringify(t)}) is not a date YYYY-MM-DD like the last one`);
      return d;
    });
    const step = days[n - 1]! - days[n - 2]!;
    if (step <= 0) throw new ShapeError(`the last two dates (${String(a)}, ${b}) do not increase`);
    return { kind: 'date', last: b, stepDays: step };
  }
  const num = (t: string | number, i: number): number => {
    const v = typeof t === 'number' ? t : t.trim() === '' ? NaN : Number(t);
    if (!Number.isFinite(v)) throw new ShapeError(`time value ${i} (${JSON.stringify(t)}) is neither a date YYYY-MM-DD nor a finite number`);
    return v;
  };
  const last = num(b, n - 1);
  const step = last - num(a, n - 2);
  if (!(step > 0)) throw new ShapeError(`the last two time values (${String(a)}, ${String(b)}) do not increase`);
  return { kind: 'number', last, step };
}

/** The axis of a series of `n` values without a time column: indices 0..n−1. */
export function indexAxis(n: number): TimeAxis {
  return { kind: 'number', last: n - 1, step: 1 };
}

/** The `count` times after the axis' last one: t_N + h·Δ, h = 1..count. */
export function continueTimes(axis: TimeAxis, count: number): (string | number)[] {
  if (axis.kind === 'number') return Array.from({ length: count }, (_, h) => axis.last + (h + 1) * axis.step);
  const d = dayNumber(axis.last);
  if (Number.isNaN(d)) throw new OptionError(`time axis: last date ${JSON.stringify(axis.last)} is not YYYY-MM-DD`);
  return Array.from({ length: count }, (_, h) => new Date((d + (h + 1) * axis.stepDays) * DAY_MS).toISOString().slice(0, 10));
}

/** Days since 1970-01-01 of a valid YYYY-MM-DD date, else NaN. */
function dayNumber(s: string): number {
  const m = DATE.exec(s);
  if (!m) return NaN;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // reject 2015-02-30 and the like: the date must print back as given
  return new Date(ms).toISOString().slice(0, 10) === s ? ms / DAY_MS : NaN;
}
