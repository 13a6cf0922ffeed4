/**
 * A symbol table: strings (characters, phonemes, class labels) ↔ indices
 * 0..size−1, in first-seen or sorted order.
 */

import { ShapeError } from '../core/errors.js';

export class SymbolTable {
  readonly symbols: readonly string[];
  private readonly index: Map<string, number>;

  constructor(symbols: readonly string[]) {
    this.symbols = [...symbols];
    this.index = new Map(this.symbols.map((s, i) => [s, i]));
    if (this.index.size !== this.symbols.length) throw new ShapeError('SymbolTable: symbols must be distinct');
  }

  /** The sorted distinct symbols of every sequence. */
  static fromSequences(seqs: Iterable<Iterable<string>>): SymbolTable {
    const set = new Set<string>();
    for (const s of seqs) for (const x of s) set.add(x);
    return new SymbolTable([...set].sort());
  }

  get size(): number {
    return this.symbols.length;
  }

  /** The index of a symbol, or −1 when unknown. */
  indexOf(s: string): number {
    return this.index.get(s) ?? -1;
  }

  /** Indices of a sequence; unknown symbols become −1 (a zero input vector). */
  encode(seq: Iterable<string>): number[] {
    return Array.from(seq, (s) => this.indexOf(s));
  }

  /** Symbols of a sequence of indices. */
  decode(indices: readonly number[]): string[] {
    return indices.map((i) => this.symbols[i] ?? '?');
  }
}
