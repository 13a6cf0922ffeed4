/** Shared pieces of the task commands (forecast, classify, pronounce): common options and text tables. */

import { writeFileSync, renameSync } from 'node:fs';
import type { OptionSpec } from './args.js';

/** Model and training options every task command takes. */
export function trainingOptions(defaults: { cell: string; hidden: number; epochs: number; lr: number; batch: number }): OptionSpec[] {
  return [
    { name: 'cell', type: 'choice', choices: ['rnn', 'lstm', 'gru'], default: defaults.cell, help: 'recurrent cell' },
    { name: 'hidden', type: 'int', min: 1, default: defaults.hidden, arg: 'H', help: 'hidden units per layer' },
    { name: 'layers', type: 'int', min: 1, max: 16, default: 1, arg: 'L', help: 'stacked recurrent layers' },
    { name: 'epochs', type: 'int', min: 1, default: defaults.epochs, arg: 'N', help: 'passes over the training data' },
    { name: 'batch', type: 'int', min: 1, default: defaults.batch, arg: 'B', help: 'sequences per update' },
    { name: 'lr', type: 'number', min: 0, exclusiveMin: true, default: defaults.lr, arg: 'η', help: 'Adam learning rate' },
    { name: 'seed', type: 'int', min: 0, default: 1, arg: 'N', help: 'seed of initialisation, shuffling and splits' },
  ];
}

/** Rows of cells as an aligned text table; the first row is the header, the first column left-aligned. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => (r[j] ?? '').length)));
  return rows.map((r) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  ').trimEnd());
}

/** Writes a file by way of a temporary file and a rename, so a reader never sees half of it. */
export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}
