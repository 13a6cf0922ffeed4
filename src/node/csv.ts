/**
 * Reading tables for the task commands: CSV (with a header row, parsed by
 * csv-parse), a JSON array of objects, or JSONL (one object per line).
 * Errors name the file, the row (1-based, header = row 1 in a CSV) and the
 * column, and say what was expected.
 */

import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { RecurrentError } from '../core/errors.js';

/** A table file is missing, malformed, or lacks a value the task needs. Exit code 1 in the CLI. */
export class DataFileError extends RecurrentError {
  constructor(message: string) {
    super('DATA_FILE', message);
  }
}

/** Rows of a table with the column names in file order. */
export interface Table {
  readonly file: string;
  readonly columns: readonly string[];
  readonly rows: readonly Record<string, unknown>[];
  /** How to name row i in a message (CSV line numbers count the header). */
  rowLabel(i: number): string;
}

/** The formats {@link readTable} understands, chosen by extension (`.csv`, `.tsv`, `.json`, `.jsonl`/`.ndjson`). */
export type TableFormat = 'csv' | 'tsv' | 'json' | 'jsonl';

/** Reads a table from a file; the format comes from the extension unless given. */
export function readTable(file: string, format?: TableFormat): Table {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataFileError(code === 'ENOENT' ? `${file}: no such file` : code === 'EISDIR' ? `${file}: is a directory, not a table file` : `${file}: cannot read (${code ?? String(e)})`);
  }
  if (bytes.length === 0) throw new DataFileError(`${file}: is empty; give a file with a header row and data`);
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new DataFileError(`${file}: looks like a binary file (a zero byte at offset ${nul}); give a CSV, TSV, JSON or JSONL text file`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DataFileError(`${file}: is not valid UTF-8 text; convert it (e.g. iconv -f latin1 -t utf-8) and try again`);
  }
  const fmt = format ?? formatOf(file);
  return parseTable(text, file, fmt);
}

function formatOf(file: string): TableFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.tsv') return 'tsv';
  return 'csv';
}

/** Parses table text (exported for tests). */
export function parseTable(text: string, file: string, format: TableFormat): Table {
  if (format === 'csv' || format === 'tsv') {
    let records: Record<string, string>[];
    // In a one-column file an empty line is an empty cell, a missing value: skipping it would shift every
    // row after it (a time series by one step), so it is kept and reported; only the file's final line breaks go.
    const delimiter = format === 'tsv' ? '\t' : ',';
    const oneColumn = !(text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '').includes(delimiter);
    try {
      records = parse(oneColumn ? text.replace(/(\r?\n)+$/, '\n') : text, { columns: true, skip_empty_lines: !oneColumn, trim: true, bom: true, delimiter }) as Record<string, string>[];
    } catch (e) {
      throw new DataFileError(`${file}: not valid ${format.toUpperCase()} (${oneLine(e instanceof Error ? e.message : String(e))})`);
    }
    const header = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
    const columns = records.length > 0 ? Object.keys(records[0]!) : header.split(format === 'tsv' ? '\t' : ',').map((c) => c.trim()).filter((c) => c !== '');
    if (records.length === 0) throw new DataFileError(`${file}: no data rows after the header`);
    return { file, columns, rows: records, rowLabel: (i) => `line ${i + 2}` };
  }
  let rows: unknown[];
  if (format === 'json') {
    try {
      rows = JSON.parse(text) as unknown[];
    } catch (e) {
      throw new DataFileError(`${file}: not valid JSON (${oneLine(e instanceof Error ? e.message : String(e))})`);
    }
    if (!Array.isArray(rows)) throw new DataFileError(`${file}: expected a JSON array of objects (one per row)`);
  } else {
    rows = [];
    const lines = text.split(/\r?\n/);
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        rows.push(JSON.parse(line));
      } catch (e) {
        throw new DataFileError(`${file}: line ${i + 1} is not valid JSON (${oneLine(e instanceof Error ? e.message : String(e))})`);
      }
    });
  }
  if (rows.length === 0) throw new DataFileError(`${file}: no rows`);
  rows.forEach((r, i) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new DataFileError(`${file}: row ${i + 1} is not an object`);
  });
  const objects = rows as Record<string, unknown>[];
  const columns = [...new Set(objects.flatMap((r) => Object.keys(r)))];
  return { file, columns, rows: objects, rowLabel: (i) => (format === 'jsonl' ? `record ${i + 1}` : `element ${i}`) };
}

/** Throws unless the table has a column of that name; the message lists the columns it has. */
export function expectColumn(table: Table, name: string): void {
  if (!table.columns.includes(name)) {
    throw new DataFileError(`${table.file}: no column "${name}"; columns are ${table.columns.map((c) => `"${c}"`).join(', ')}`);
  }
}

/** A column as numbers; a missing or non-numeric cell is an error naming its row. */
export function numericColumn(table: Table, name: string): Float64Array {
  expectColumn(table, name);
  const out = new Float64Array(table.rows.length);
  table.rows.forEach((r, i) => {
    out[i] = numericCell(table, r[name], i, name);
  });
  return out;
}

/** One cell as a finite number, or an error naming file, row and column. */
export function numericCell(table: Table, v: unknown, i: number, name: string): number {
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) {
    throw new DataFileError(`${table.file}: ${table.rowLabel(i)} has no value in column "${name}"; fill it in or remove the row`);
  }
  const x = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  if (!Number.isFinite(x)) throw new DataFileError(`${table.file}: ${table.rowLabel(i)}, column "${name}": ${JSON.stringify(v)} is not a number`);
  return x;
}

/** A column as non-empty strings (numbers are turned into text). */
export function textColumn(table: Table, name: string): string[] {
  expectColumn(table, name);
  return table.rows.map((r, i) => {
    const v = r[name];
    if (v === undefined || v === null || (typeof v === 'string' && v === '')) {
      throw new DataFileError(`${table.file}: ${table.rowLabel(i)} has no value in column "${name}"`);
    }
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new DataFileError(`${table.file}: ${table.rowLabel(i)}, column "${name}": expected text, got ${Array.isArray(v) ? 'an array' : typeof v}`);
    }
    return String(v);
  });
}

/** One labelled sequence of numeric feature vectors (steps × features). */
export interface FeatureSequence {
  readonly steps: number[][];
  readonly label: string;
}

/**
 * Numeric feature sequences for classification:
 * - JSONL/JSON records `{"steps": [[...], ...], "label": ...}`;
 * - a CSV with one row per step, a sequence-id column, a label column and
 *   the feature columns (rows of a sequence in order; its label from its
 *   first row).
 */
export function readFeatureSequences(table: Table, options: { idColumn?: string; labelColumn: string; featureColumns?: readonly string[] }): FeatureSequence[] {
  if (table.columns.includes('steps') && !options.idColumn) {
    expectColumn(table, options.labelColumn);
    let width = -1;
    return table.rows.map((r, i) => {
      const steps = r.steps;
      if (!Array.isArray(steps) || steps.length === 0) throw new DataFileError(`${table.file}: ${table.rowLabel(i)}: "steps" must be a non-empty array of number arrays`);
      const rows = steps.map((s, t) => {
        if (!Array.isArray(s)) throw new DataFileError(`${table.file}: ${table.rowLabel(i)}: step ${t} is not an array of numbers`);
        if (width < 0) width = s.length;
        if (s.length !== width) throw new DataFileError(`${table.file}: ${table.rowLabel(i)}: step ${t} has ${s.length} features, expected ${width} like the first step`);
        return s.map((v, j) => numericCell(table, v, i, `steps[${t}][${j}]`));
      });
      return { steps: rows, label: labelOf(table, r[options.labelColumn], i, options.labelColumn) };
    });
  }
  const id = options.idColumn;
  if (!id) throw new DataFileError(`${table.file}: rows have no "steps" field; for one row per step give the sequence-id column (--id-column)`);
  expectColumn(table, id);
  expectColumn(table, options.labelColumn);
  const features = options.featureColumns ?? table.columns.filter((c) => c !== id && c !== options.labelColumn);
  if (features.length === 0) throw new DataFileError(`${table.file}: no feature columns besides "${id}" and "${options.labelColumn}"`);
  for (const f of features) expectColumn(table, f);
  const byId = new Map<string, FeatureSequence>();
  table.rows.forEach((r, i) => {
    const key = String(r[id] ?? '');
    if (key === '') throw new DataFileError(`${table.file}: ${table.rowLabel(i)} has no value in column "${id}"`);
    let seq = byId.get(key);
    if (!seq) {
      seq = { steps: [], label: labelOf(table, r[options.labelColumn], i, options.labelColumn) };
      byId.set(key, seq);
    }
    seq.steps.push(features.map((f) => numericCell(table, r[f], i, f)));
  });
  return [...byId.values()];
}

function labelOf(table: Table, v: unknown, i: number, name: string): string {
  if (v === undefined || v === null || v === '') throw new DataFileError(`${table.file}: ${table.rowLabel(i)} has no label in "${name}"`);
  if (typeof v === 'object') throw new DataFileError(`${table.file}: ${table.rowLabel(i)}: label "${name}" must be text or a number`);
  return String(v);
}

/** A parser's message on one line: the control characters it may quote from the file escaped (`\n`, `\u0000`). */
function oneLine(message: string): string {
  return message.replace(/[\u0000-\u001f\u007f]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
