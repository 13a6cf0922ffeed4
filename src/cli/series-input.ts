/**
 * The series a forecasting command reads, the same way in `forecast` and
 * `predict`: a numeric column of a CSV/TSV/JSON/JSONL file (with its time
 * column when there is one) or the bundled daily US births.
 */

import { UsageError } from './args.js';
import type { OptionSpec } from './args.js';
import { DataFileError, numericColumn, readTable, type Table } from '../node/csv.js';
import { loadUsBirths } from '../node/stdlib-data.js';
import { indexAxis, timeAxisOf, type TimeAxis } from '../tasks/time-axis.js';

/** Bundled series (no network). */
export const SERIES_DATASETS = ['us-births'] as const;

/** Where a series came from; saved in the model so `predict` reads new data the same way. */
export type SeriesSource =
  | { readonly dataset: 'us-births' }
  | { readonly file: string; readonly column: string; readonly timeColumn?: string; readonly delimiter?: string };

/** A loaded series with its time axis. */
export interface LoadedSeries {
  readonly values: Float64Array;
  /** The time of each value (dates or numbers), when the data has a time column. */
  readonly times?: readonly (string | number)[];
  readonly axis: TimeAxis;
  /** The column's name (`births` for the bundled data). */
  readonly name: string;
}

/** The options that pick a series, shared by forecast and predict. */
export const SERIES_OPTIONS: readonly OptionSpec[] = [
  { name: 'dataset', type: 'choice', choices: SERIES_DATASETS, help: 'the bundled daily US births 2000–2014 instead of a file' },
  { name: 'column', type: 'string', arg: 'NAME', help: 'column holding the series (required for a file; predict: the model\'s)' },
  { name: 'time-column', type: 'string', arg: 'NAME', help: 'column of dates (YYYY-MM-DD) or numbers (default: a column named date, time or timestamp, else the row number)' },
  { name: 'delimiter', type: 'string', arg: 'CHAR', help: 'CSV delimiter (default: detected from the header among , ; and tab)' },
];

/** Column names taken as the time column when --time-column is not given. */
const TIME_NAMES = ['date', 'time', 'timestamp', 'day', 'ds'];

/** Loads the series `source` names. */
export function loadSeries(source: SeriesSource): LoadedSeries {
  if ('dataset' in source) {
    const rows = loadUsBirths();
    const times = rows.map((r) => `${r.year}-${String(r.month).padStart(2, '0')}-${String(r.date_of_month).padStart(2, '0')}`);
    return { values: Float64Array.from(rows, (r) => r.births), times, axis: timeAxisOf(times), name: 'births' };
  }
  const table = readTable(source.file, source.delimiter !== undefined ? { delimiter: source.delimiter } : {});
  const values = numericColumn(table, source.column);
  const timeColumn = source.timeColumn ?? TIME_NAMES.find((n) => table.columns.includes(n));
  if (timeColumn === undefined) return { values, axis: indexAxis(values.length), name: source.column };
  if (!table.columns.includes(timeColumn)) {
    throw new DataFileError(`${source.file}: no time column "${timeColumn}"; columns are ${table.columns.map((c) => `"${c}"`).join(', ')}`);
  }
  const times = timeValues(table, timeColumn);
  return { values, times, axis: values.length >= 2 ? timeAxisOf(times) : indexAxis(values.length), name: source.column };
}

function timeValues(table: Table, column: string): (string | number)[] {
  return table.rows.map((r, i) => {
    const v = r[column];
    if (typeof v === 'number') return v;
    const s = String(v ?? '').trim();
    if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
    if (s === '') throw new DataFileError(`${table.file}: ${table.rowLabel(i)} has no value in the time column "${column}"`);
    return s;
  });
}

/** The source given on the command line: a file (with --column) or --dataset. */
export function seriesSourceOf(o: Record<string, unknown>, file: string | undefined, remembered?: SeriesSource): SeriesSource {
  if (file !== undefined && o.dataset !== undefined) throw new UsageError('give a file or --dataset, not both');
  if (o.dataset !== undefined) return { dataset: 'us-births' };
  if (file === undefined) {
    if (remembered) return remembered;
    throw new UsageError('give a file (with --column) or --dataset us-births');
  }
  const column = typeof o.column === 'string' ? o.column : remembered && 'column' in remembered ? remembered.column : undefined;
  if (column === undefined) throw new UsageError('--column NAME is required with a file');
  const timeColumn = typeof o['time-column'] === 'string' ? o['time-column'] : remembered && 'timeColumn' in remembered ? remembered.timeColumn : undefined;
  const delimiter = typeof o.delimiter === 'string' ? o.delimiter : undefined;
  return { file, column, ...(timeColumn !== undefined ? { timeColumn } : {}), ...(delimiter !== undefined ? { delimiter } : {}) };
}
