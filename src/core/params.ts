/**
 * All of a model's parameters live in one flat typed array, with a named
 * row-major view for each matrix (U, W, V, b_h, …), and the gradients in a
 * second array of the same layout. Zeroing, clipping, optimizer updates and
 * checkpoints are then single loops over one buffer.
 */

import { ShapeError } from './errors.js';
import { allocate, type DType, type Float } from './tensor.js';

/** How a parameter matrix is initialised. */
export type InitKind = 'zeros' | 'ones' | 'uniform' | 'glorot' | 'orthogonal';

/** Declares one parameter matrix: its name, shape and initialiser. */
export interface ParamSpec {
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  readonly init: InitKind;
  /** For `uniform`: the half-width of U(−scale, scale). */
  readonly scale?: number;
  /**
   * After the initialiser, columns [from, to) of every row are set to
   * `value` (e.g. the LSTM's forget-gate bias block starts at 1).
   */
  readonly fill?: { readonly from: number; readonly to: number; readonly value: number };
}

/** One parameter's place in the flat buffers. */
export interface ParamEntry extends ParamSpec {
  readonly offset: number;
  readonly size: number;
}

/** A set of named parameter matrices in one flat buffer, with a matching gradient buffer. */
export class ParamSet {
  readonly dtype: DType;
  /** All parameters, concatenated in declaration order. */
  readonly data: Float;
  /** ∂J/∂(each parameter), same layout as {@link data}. */
  readonly grad: Float;
  readonly entries: readonly ParamEntry[];
  private readonly byName = new Map<string, ParamEntry>();

  constructor(specs: readonly ParamSpec[], dtype: DType) {
    let offset = 0;
    const entries: ParamEntry[] = [];
    for (const s of specs) {
      if (this.byName.has(s.name)) throw new ShapeError(`duplicate parameter name "${s.name}"`);
      const e: ParamEntry = { ...s, offset, size: s.rows * s.cols };
      entries.push(e);
      this.byName.set(s.name, e);
      offset += e.size;
    }
    this.dtype = dtype;
    this.entries = entries;
    this.data = allocate(dtype, offset);
    this.grad = allocate(dtype, offset);
  }

  /** Total number of scalar parameters. */
  get size(): number {
    return this.data.length;
  }

  /** Whether a parameter of this name exists. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The entry (shape and offset) of a named parameter. */
  entry(name: string): ParamEntry {
    const e = this.byName.get(name);
    if (!e) throw new ShapeError(`no parameter named "${name}"; have ${[...this.byName.keys()].join(', ')}`);
    return e;
  }

  /** A live view (no copy) of a parameter's values. */
  view(name: string): Float {
    const e = this.entry(name);
    return this.data.subarray(e.offset, e.offset + e.size);
  }

  /** A live view (no copy) of a parameter's gradient. */
  gradView(name: string): Float {
    const e = this.entry(name);
    return this.grad.subarray(e.offset, e.offset + e.size);
  }

  /** Sets every gradient to zero (once per update; BPTT then accumulates with +=). */
  zeroGrad(): void {
    this.grad.fill(0);
  }
}
