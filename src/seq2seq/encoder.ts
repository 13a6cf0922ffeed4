/**
 * The encoder of an encoder–decoder (docs/maths.md §2): L stacked recurrent layers
 * with no output layer. It reads B source sequences (padded to T steps,
 * with a mask) and hands each layer's final state — h(T), and C(T) for the
 * LSTM — to the decoder. Masked (padding) steps keep the state, so the
 * state after step T is each sequence's state after its last real step.
 *
 * Its backward pass starts from the gradient of the decoder's loss with
 * respect to that final state, ∂J/∂h(T) (and ∂J/∂C(T)), and nothing else:
 * no loss is attached to the encoder's own steps, so
 *
 *   ∂J/∂h_l(t) from above = 0 for t < T,
 *   ∂J/∂h_l(T) from above = ∂J/∂h_dec,l(0) (+ the layer above's δx for l < L),
 *
 * and BPTT carries it back through the layers and steps.
 */

import { OptionError } from '../core/errors.js';
import { initParams } from '../core/init.js';
import { getKernels, type Kernels } from '../core/kernels.js';
import { ParamSet, type ParamSpec } from '../core/params.js';
import { Rng } from '../core/rng.js';
import { allocate, type DType, type Float } from '../core/tensor.js';
import type { BackwardOptions, Cell, CellCache, CellKind, CellState, SequenceInput, StepMask } from '../cells/cell.js';
import { cellType, type LayerConfig } from '../cells/registry.js';
import type { HiddenActivation } from '../core/activations.js';

/** Sizes and choices of an {@link Encoder}. */
export interface EncoderConfig {
  readonly cell: CellKind;
  /** Input width D (the source vocabulary size for symbols). */
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly layers: number;
  readonly bias: boolean;
  readonly hiddenActivation: HiddenActivation;
  readonly dtype: DType;
  readonly variant?: string;
}

/**
 * Backward options with the gradient on the final cell state C(T). The
 * gradient on h(T) arrives through dH(T); C has no such input, so a gated
 * cell with a C state reads `dFinalC` (B×H) as ∂J/∂C(T) from beyond the
 * last step. Cells without C ignore it.
 */
export interface EncoderBackwardOptions extends BackwardOptions {
  readonly dFinalC?: Float;
}

interface EncoderWorkspace {
  capacityT: number;
  B: number;
  caches: CellCache[];
  /** ∂J/∂h for the layer being back-propagated and for the one below (T×B×H). */
  dHa: Float;
  dHb: Float;
}

/** Stacked recurrent layers whose final state starts a decoder; parameters `encoder.layer{l}.*`. */
export class Encoder {
  readonly config: EncoderConfig;
  readonly params: ParamSet;
  readonly layers: readonly Cell[];
  readonly kernels: Kernels;
  private ws: EncoderWorkspace | null = null;
  private lastInputs: SequenceInput[] = [];
  private lastShape: { T: number; B: number; mask?: StepMask } | null = null;

  constructor(config: EncoderConfig, seed: number, kernels: Kernels = getKernels()) {
    this.config = config;
    this.kernels = kernels;
    const type = cellType(config.cell);
    if (!type) throw new OptionError(`cell "${config.cell}" is not available`);
    const layerConfigs: LayerConfig[] = Array.from({ length: config.layers }, (_, l) => ({
      inputSize: l === 0 ? config.inputSize : config.hiddenSize,
      hiddenSize: config.hiddenSize,
      bias: config.bias,
      prefix: `encoder.layer${l}.`,
      activation: config.hiddenActivation,
      ...(config.variant !== undefined ? { variant: config.variant } : {}),
    }));
    const specs: ParamSpec[] = layerConfigs.flatMap((lc) => type.paramSpecs(lc));
    this.params = new ParamSet(specs, config.dtype);
    initParams(this.params, new Rng(seed));
    this.layers = layerConfigs.map((lc) => type.create(lc, this.params, kernels));
  }

  /**
   * Forward pass over T steps of B sequences (x: T×B symbol indices or
   * T×B×D values; mask T×B). Returns each layer's final state, views valid
   * until the next forward pass.
   */
  forward(x: SequenceInput, T: number, B: number, mask?: StepMask): CellState[] {
    const ws = this.workspace(T, B);
    const H = this.config.hiddenSize;
    const inputs: SequenceInput[] = [x];
    for (let l = 1; l < this.layers.length; l++) inputs.push({ kind: 'dense', data: ws.caches[l - 1]!.hs.subarray(B * H) });
    for (let l = 0; l < this.layers.length; l++) this.layers[l]!.forward(inputs[l]!, T, B, ws.caches[l]!, undefined, mask);
    this.lastInputs = inputs;
    this.lastShape = mask ? { T, B, mask } : { T, B };
    return this.layers.map((cell, l) => cell.stateAt(T, B, ws.caches[l]!));
  }

  /**
   * BPTT from the gradient on the final state of each layer (`dFinal[l].h`,
   * and `.c` for the LSTM), for the sequences of the last {@link forward}.
   * Parameter gradients are ADDED to `params.grad`.
   */
  backwardFromFinal(dFinal: readonly CellState[]): void {
    const shape = this.lastShape;
    const ws = this.ws;
    if (!shape || !ws) throw new OptionError('Encoder.backwardFromFinal: run forward first');
    const { T, B, mask } = shape;
    const H = this.config.hiddenSize;
    const n = B * H;
    if (dFinal.length !== this.layers.length) throw new OptionError(`dFinal has ${dFinal.length} states, expected one per layer (${this.layers.length})`);
    let dH = ws.dHa;
    let dBelow = ws.dHb;
    dH.fill(0, 0, T * n);
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const cell = this.layers[l]!;
      const g = dFinal[l]!;
      // ∂J/∂h_l(T) from beyond the last step: the decoder's ∂J/∂h(0)
      const o = (T - 1) * n;
      for (let i = 0; i < n; i++) dH[o + i]! += g.h[i]!;
      const options: EncoderBackwardOptions = cell.stateNames.includes('c') && g.c ? { dFinalC: g.c } : {};
      cell.backward(this.lastInputs[l]!, T, B, ws.caches[l]!, dH, l > 0 ? dBelow : null, null, mask, options);
      [dH, dBelow] = [dBelow, dH];
    }
  }

  private workspace(T: number, B: number): EncoderWorkspace {
    const old = this.ws;
    if (old && old.B === B && old.capacityT >= T) return old;
    const capT = Math.max(T, old && old.B === B ? old.capacityT : 0);
    const H = this.config.hiddenSize;
    const ws: EncoderWorkspace = {
      capacityT: capT,
      B,
      caches: this.layers.map((cell) => cell.createCache(capT, B)),
      dHa: allocate(this.config.dtype, capT * B * H),
      dHb: allocate(this.config.dtype, capT * B * H),
    };
    this.ws = ws;
    return ws;
  }
}
