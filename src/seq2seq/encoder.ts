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
 * and BPTT carries it back through the layers and steps. With attention,
 * the top layer's every state h_L(t) also feeds the decoder, and ∂J/∂h_L(t)
 * arrives for every step ({@link Encoder.backward}).
 *
 * A bidirectional encoder (src/cells/bidirectional.ts) has states
 * [h→(t) | h←(t)], 2H wide; each layer's final state is [h→(T) | h←(1)],
 * each direction's last (and C likewise).
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
import { BidirectionalCell, type BidirectionalCache } from '../cells/bidirectional.js';

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
  /** Each layer reads the source both ways. Default false. */
  readonly bidirectional?: boolean;
}

/**
 * Backward options with the gradient on the final cell state C(T). The
 * gradient on h(T) arrives through dH(T); C has no such input, so a gated
 * cell with a C state reads `dFinalC` (B×H) as ∂J/∂C(T) from beyond the
 * last step. Cells without C ignore it. A bidirectional LSTM layer reads
 * B×2H values, [∂J/∂C→(T) | ∂J/∂C←(1)].
 */
export interface EncoderBackwardOptions extends BackwardOptions {
  readonly dFinalC?: Float;
}

interface EncoderWorkspace {
  capacityT: number;
  B: number;
  caches: CellCache[];
  /** ∂J/∂h for the layer being back-propagated and for the one below (T×B×S, S = H or 2H). */
  dHa: Float;
  dHb: Float;
}

/** Stacked recurrent layers whose final state starts a decoder; parameters `encoder.layer{l}.*` (and `encoder.layer{l}.reverse.*`). */
export class Encoder {
  readonly config: EncoderConfig;
  readonly params: ParamSet;
  readonly layers: readonly Cell[];
  readonly kernels: Kernels;
  /** Width S of each layer's state: H, or 2H when bidirectional. */
  readonly width: number;
  private ws: EncoderWorkspace | null = null;
  private lastInputs: SequenceInput[] = [];
  private lastShape: { T: number; B: number; mask?: StepMask } | null = null;

  constructor(config: EncoderConfig, seed: number, kernels: Kernels = getKernels()) {
    this.config = config;
    this.kernels = kernels;
    const type = cellType(config.cell);
    if (!type) throw new OptionError(`cell "${config.cell}" is not available`);
    this.width = config.bidirectional ? 2 * config.hiddenSize : config.hiddenSize;
    const layerConfigs: LayerConfig[] = Array.from({ length: config.layers }, (_, l) => ({
      inputSize: l === 0 ? config.inputSize : this.width,
      hiddenSize: config.hiddenSize,
      bias: config.bias,
      prefix: `encoder.layer${l}.`,
      activation: config.hiddenActivation,
      ...(config.variant !== undefined ? { variant: config.variant } : {}),
    }));
    const reverse = (lc: LayerConfig): LayerConfig => ({ ...lc, prefix: `${lc.prefix}reverse.` });
    const specs: ParamSpec[] = layerConfigs.flatMap((lc) => config.bidirectional ? [...type.paramSpecs(lc), ...type.paramSpecs(reverse(lc))] : type.paramSpecs(lc));
    this.params = new ParamSet(specs, config.dtype);
    initParams(this.params, new Rng(seed));
    this.layers = config.bidirectional
      ? layerConfigs.map((lc) => new BidirectionalCell(type.create(lc, this.params, kernels), type.create(reverse(lc), this.params, kernels)))
      : layerConfigs.map((lc) => type.create(lc, this.params, kernels));
  }

  /**
   * Forward pass over T steps of B sequences (x: T×B symbol indices or
   * T×B×D values; mask T×B). Returns each layer's final state, views valid
   * until the next forward pass.
   */
  forward(x: SequenceInput, T: number, B: number, mask?: StepMask): CellState[] {
    const ws = this.workspace(T, B);
    const S = this.width;
    const inputs: SequenceInput[] = [x];
    for (let l = 1; l < this.layers.length; l++) inputs.push({ kind: 'dense', data: ws.caches[l - 1]!.hs.subarray(B * S) });
    for (let l = 0; l < this.layers.length; l++) this.layers[l]!.forward(inputs[l]!, T, B, ws.caches[l]!, undefined, mask);
    this.lastInputs = inputs;
    this.lastShape = mask ? { T, B, mask } : { T, B };
    return this.layers.map((cell, l) => cell instanceof BidirectionalCell
      ? cell.finalState(B, ws.caches[l]! as BidirectionalCache)
      : cell.stateAt(T, B, ws.caches[l]!));
  }

  /** The top layer's states h_L(1..T) of the last forward pass, T×B×S (a view valid until the next pass). */
  topStates(): Float {
    const shape = this.lastShape;
    if (!shape || !this.ws) throw new OptionError('Encoder.topStates: run forward first');
    const n = shape.B * this.width;
    return this.ws.caches[this.layers.length - 1]!.hs.subarray(n, (shape.T + 1) * n);
  }

  /**
   * BPTT from the gradient on the final state of each layer (`dFinal[l].h`,
   * and `.c` for the LSTM), for the sequences of the last {@link forward}.
   * Parameter gradients are ADDED to `params.grad`.
   */
  backwardFromFinal(dFinal: readonly CellState[]): void {
    this.backward(null, dFinal);
  }

  /**
   * BPTT from ∂J/∂h_L(t) of the top layer at every step (`dTop`, T×B×S, or
   * null) and from the gradient on each layer's final state (`dFinal`, or
   * null), for the sequences of the last {@link forward}. Parameter
   * gradients are ADDED to `params.grad`.
   */
  backward(dTop: Float | null, dFinal: readonly CellState[] | null): void {
    const shape = this.lastShape;
    const ws = this.ws;
    if (!shape || !ws) throw new OptionError('Encoder.backward: run forward first');
    const { T, B, mask } = shape;
    const S = this.width;
    const H = this.config.hiddenSize;
    const n = B * S;
    if (dFinal && dFinal.length !== this.layers.length) throw new OptionError(`dFinal has ${dFinal.length} states, expected one per layer (${this.layers.length})`);
    let dH = ws.dHa;
    let dBelow = ws.dHb;
    if (dTop) dH.set(dTop.subarray(0, T * n));
    else dH.fill(0, 0, T * n);
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const cell = this.layers[l]!;
      const g = dFinal?.[l];
      if (g && S === H) {
        // ∂J/∂h_l(T) from beyond the last step: the decoder's ∂J/∂h(0)
        const o = (T - 1) * n;
        for (let i = 0; i < n; i++) dH[o + i]! += g.h[i]!;
      } else if (g) {
        // bidirectional: ∂J/∂h→(T) into the left half of row T, ∂J/∂h←(1) into the right half of row 1
        for (let b = 0; b < B; b++) {
          const last = ((T - 1) * B + b) * S;
          const first = b * S + H;
          for (let j = 0; j < H; j++) {
            dH[last + j]! += g.h[b * S + j]!;
            dH[first + j]! += g.h[b * S + H + j]!;
          }
        }
      }
      const options: EncoderBackwardOptions = g && cell.stateNames.includes('c') && g.c ? { dFinalC: g.c } : {};
      cell.backward(this.lastInputs[l]!, T, B, ws.caches[l]!, dH, l > 0 ? dBelow : null, null, mask, options);
      [dH, dBelow] = [dBelow, dH];
    }
  }

  private workspace(T: number, B: number): EncoderWorkspace {
    const old = this.ws;
    if (old && old.B === B && old.capacityT >= T) return old;
    const capT = Math.max(T, old && old.B === B ? old.capacityT : 0);
    const S = this.width;
    const ws: EncoderWorkspace = {
      capacityT: capT,
      B,
      caches: this.layers.map((cell) => cell.createCache(capT, B)),
      dHa: allocate(this.config.dtype, capT * B * S),
      dHb: allocate(this.config.dtype, capT * B * S),
    };
    this.ws = ws;
    return ws;
  }
}
