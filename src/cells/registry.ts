/**
 * The cell types a network can be built from. Each entry declares its
 * parameters and binds a cell to them.
 */

import type { HiddenActivation } from '../core/activations.js';
import type { Kernels } from '../core/kernels.js';
import type { ParamSet, ParamSpec } from '../core/params.js';
import type { Cell, CellKind } from './cell.js';
import { RnnCell, rnnParamSpecs } from './rnn.js';
import { LstmCell, lstmParamSpecs } from './lstm.js';
import { GruCell, gruParamSpecs, gruVariant } from './gru.js';
import { OptionError } from '../core/errors.js';

/** What a layer needs to know to declare and build its cell. */
export interface LayerConfig {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  readonly prefix: string;
  /** g_h for the vanilla RNN (gated cells fix their own activations). */
  readonly activation: HiddenActivation;
  /** Cell-specific variant, e.g. the GRU's `"reset-after"` / `"reset-before"`. */
  readonly variant?: string;
  /** The LSTM's starting forget-gate bias (other cells have none). */
  readonly forgetBias?: number;
}

export interface CellType {
  paramSpecs(config: LayerConfig): ParamSpec[];
  create(config: LayerConfig, params: ParamSet, kernels: Kernels): Cell;
}

const registry = new Map<CellKind, CellType>([
  ['rnn', {
    paramSpecs: (c) => rnnParamSpecs(c),
    create: (c, params, kernels) => new RnnCell({ ...c, kernels }, params),
  }],
  ['lstm', {
    paramSpecs: (c) => {
      if (c.variant !== undefined) throw new OptionError(`cell "lstm" has no variants, got variant "${c.variant}"; omit the option`);
      return lstmParamSpecs(c);
    },
    create: (c, params, kernels) => new LstmCell({ ...c, kernels }, params),
  }],
  ['gru', {
    paramSpecs: (c) => gruParamSpecs({ ...c, variant: gruVariant(c.variant) }),
    create: (c, params, kernels) => new GruCell({ ...c, kernels, variant: gruVariant(c.variant) }, params),
  }],
]);

/** Adds (or replaces) a cell type. */
export function registerCell(kind: CellKind, type: CellType): void {
  registry.set(kind, type);
}

/** The cell type of a kind, or undefined when it is not available. */
export function cellType(kind: CellKind): CellType | undefined {
  return registry.get(kind);
}
