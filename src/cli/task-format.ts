/** Shared pieces of the task commands (forecast, classify, pronounce): the model options and text tables. */

import { CELL_KINDS } from '../cells/cell.js';
import type { OptionSpec } from './args.js';

/**
 * The model options every task command takes, with the same names and
 * meanings as in `train` (only the defaults differ by task). With --resume
 * they are fixed by the model file.
 */
export function modelOptions(defaults: { cell: string; hidden: number; lr: number; batch: number }): OptionSpec[] {
  return [
    { name: 'cell', type: 'choice', choices: CELL_KINDS, default: defaults.cell, help: 'recurrent cell' },
    { name: 'hidden', type: 'int', min: 1, max: 8192, default: defaults.hidden, arg: 'H', help: 'hidden units per layer' },
    { name: 'layers', type: 'int', min: 1, max: 16, default: 1, arg: 'L', help: 'stacked recurrent layers' },
    { name: 'batch', type: 'int', min: 1, default: defaults.batch, arg: 'B', help: 'sequences per update' },
    { name: 'lr', type: 'number', min: 0, exclusiveMin: true, default: defaults.lr, arg: 'η', help: 'Adam learning rate' },
    { name: 'seed', type: 'int', min: 0, max: 4294967295, default: 1, arg: 'S', help: 'seed of initialisation, shuffling and splits' },
    { name: 'dtype', type: 'choice', choices: ['float32', 'float64'], default: 'float32', help: 'number type of the parameters and arithmetic' },
  ];
}

/** Rows of cells as an aligned text table; the first row is the header, the first column left-aligned. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, j) => rows.reduce((w, r) => Math.max(w, (r[j] ?? '').length), 0));
  return rows.map((r) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  ').trimEnd());
}

/** `model.rnn` → `model`; `data/sales.csv` → `sales`: the stem of a default output name. */
export function stemOf(file: string): string {
  const base = file.split(/[\\/]/).pop()!;
  return base.replace(/\.[^.]*$/, '') || base;
}
