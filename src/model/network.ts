/**
 * A recurrent network: L stacked recurrent layers (each layer's h is the
 * next layer's x) and an output layer on top (docs/maths.md §1):
 *
 *   neto(t) = h_L(t)·V (+ b_o)      ŷ(t) = g_o(neto(t))
 *
 * It unrolls B sequences together (batch-major, B×H per step), computes the
 * loss over the steps that count for the sequence shape, and runs BPTT:
 * δo for every step, then ∂J/∂V = Σ_t h(t)ᵀ·δo(t) and δo·Vᵀ into the top
 * layer, whose cell carries the gradient back through time and down to the
 * layer below.
 *
 * With `bidirectional: true` every layer is a pair of cells, one reading
 * forwards and one backwards, whose states side by side (2H wide) feed the
 * next layer and V (src/cells/bidirectional.ts).
 */

import { HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, type HiddenActivation, type OutputActivation } from '../core/activations.js';
import { expectChoice, expectNumber, expectPositiveInt, OptionError, rejectUnknownKeys, ShapeError } from '../core/errors.js';
import { initParams } from '../core/init.js';
import { getKernels, type Kernels } from '../core/kernels.js';
import { ParamSet, type ParamSpec } from '../core/params.js';
import { Rng } from '../core/rng.js';
import { allocate, type DType, type Float } from '../core/tensor.js';
import { CELL_KINDS, type BackwardOptions, type Cell, type CellCache, type CellKind, type CellState, type SequenceInput, type StepMask } from '../cells/cell.js';
import { cellType, type LayerConfig } from '../cells/registry.js';
import { DEFAULT_FORGET_BIAS } from '../cells/lstm.js';
import { traceLayer, type LayerTrace } from '../cells/inspect.js';
import { BidirectionalCell } from '../cells/bidirectional.js';
import { applyOutputActivation, checkOutputAndLoss, LOSSES, oneHotCrossEntropy, rowLoss, type LossKind, type SequenceTarget } from './loss.js';
import { checkBatchValues } from './batch-values.js';

/** Options of {@link Network}; every one but the three sizes has a default. */
export interface NetworkOptions {
  /** Cell type of every layer. Default `"rnn"`. */
  readonly cell?: CellKind;
  /** Input width D (the vocabulary size for one-hot symbols). */
  readonly inputSize: number;
  /** Hidden width H of every layer. */
  readonly hiddenSize: number;
  /** Output width K. */
  readonly outputSize: number;
  /** Number of stacked recurrent layers. Default 1. */
  readonly layers?: number;
  /** g_h of the vanilla RNN. Default `"tanh"`. */
  readonly hiddenActivation?: HiddenActivation;
  /** g_o. Default `"linear"` for `"mse"`, `"softmax"` for `"cross-entropy"`. */
  readonly outputActivation?: OutputActivation;
  /** J. Default `"mse"` (squared error). */
  readonly loss?: LossKind;
  /** Whether layers and output have biases (b_h, b_o, gate biases). Default true. */
  readonly bias?: boolean;
  /** Element type. Default `"float32"`; `"float64"` for gradient checks and exact figures. */
  readonly dtype?: DType;
  /** Seed of the initialisation. Default 1. */
  readonly seed?: number;
  /** Cell variant, e.g. the GRU's `"reset-after"` (default) or `"reset-before"`. */
  readonly variant?: string;
  /**
   * The LSTM's forget-gate bias b_f at the start. Default 0 (like the other
   * gate biases); 1 is the older habit, see docs/performance.md. LSTM only.
   */
  readonly forgetBias?: number;
  /** Matrix kernels. Default: the active backend ({@link getKernels}). */
  readonly kernels?: Kernels;
  /**
   * Every layer reads the sequence both ways (src/cells/bidirectional.ts):
   * its state is [h→(t) | h←(t)], 2H wide, the next layer's input and V's
   * (2H×K). Default false.
   */
  readonly bidirectional?: boolean;
}

/** A network's configuration with every default filled in (what a model file stores). */
export interface NetworkConfig {
  readonly cell: CellKind;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly outputSize: number;
  readonly layers: number;
  readonly hiddenActivation: HiddenActivation;
  readonly outputActivation: OutputActivation;
  readonly loss: LossKind;
  readonly bias: boolean;
  readonly dtype: DType;
  readonly variant?: string;
  /** Present (true) only for a bidirectional network. */
  readonly bidirectional?: true;
  /** The LSTM's starting forget-gate bias (present for the LSTM only). */
  readonly forgetBias?: number;
}

const OPTION_KEYS = ['cell', 'inputSize', 'hiddenSize', 'outputSize', 'layers', 'hiddenActivation',
  'outputActivation', 'loss', 'bias', 'dtype', 'seed', 'variant', 'forgetBias', 'kernels', 'bidirectional'] as const;

/**
 * The options that rebuild a network of config `c`: exactly NetworkConfig's
 * keys (never `kernels` or `seed` from a file), for the model-file readers.
 */
export function networkOptionsOf(c: NetworkConfig): NetworkOptions {
  return {
    cell: c.cell, inputSize: c.inputSize, hiddenSize: c.hiddenSize, outputSize: c.outputSize, layers: c.layers,
    hiddenActivation: c.hiddenActivation, outputActivation: c.outputActivation, loss: c.loss, bias: c.bias, dtype: c.dtype,
    ...(c.variant !== undefined ? { variant: c.variant } : {}),
    ...(c.bidirectional === true ? { bidirectional: true } : {}),
    ...(c.forgetBias !== undefined ? { forgetBias: c.forgetBias } : {}),
  };
}

/** The width of a layer's state: H, or 2H for a bidirectional network. */
export function stateWidth(c: NetworkConfig): number {
  return c.bidirectional ? 2 * c.hiddenSize : c.hiddenSize;
}

/**
 * B sequences of T steps, ready for a forward or backward pass.
 *
 * Sequence shapes (docs/maths.md §2):
 * - many-to-many: `lossAt: "all"` (default) with input at every step;
 * - many-to-one: `lossAt: "last"` — only each sequence's last valid step
 *   carries loss, so δo(t) = 0 before it; a bidirectional network's output
 *   there reads each direction's summary, [h→(last) | h←(1)] (h← having
 *   read the whole sequence), as Keras's Bidirectional and PyTorch's h_n do;
 * - one-to-many: x(1) is the seed and later inputs are zero, or with
 *   `feedback: "argmax"` each later input is the one-hot of the previous
 *   step's argmax output (treated as data: no gradient flows through it).
 */
export interface SequenceBatch {
  readonly T: number;
  readonly B: number;
  /** Inputs: dense T×B×D, or T×B symbol indices (−1 = zero vector). */
  readonly x: SequenceInput;
  /** Targets: dense T×B×K, or T×B class indices (−1 = no loss at that step). */
  readonly y: SequenceTarget;
  /** T×B: 1 where the step exists, 0 for padding after a shorter sequence ends. */
  readonly mask?: StepMask;
  /** Which steps carry loss. Default `"all"`. */
  readonly lossAt?: 'all' | 'last';
  /** One-to-many input rule for steps after the first. Default `"none"` (use x as given). */
  readonly feedback?: 'none' | 'argmax';
  /** Initial state of each layer; zeros when absent. */
  readonly init?: readonly CellState[];
  /**
   * Per-sequence loss weights (length B): J = Σ_b w_b·J_b, so δo of
   * sequence b is scaled by w_b (class weights, importance weights).
   * Absent means 1 for every sequence.
   */
  readonly weights?: ArrayLike<number>;
}

/** What {@link Network.gradient} returns. */
export interface GradientResult {
  /** J summed over every step that carries loss, over all B sequences. */
  readonly loss: number;
  /** How many (step, sequence) outputs carried loss: RMSE = sqrt(loss / count). */
  readonly count: number;
  /** ∂J/∂(initial state) of each layer, when asked for with `initGradient`. */
  readonly initGradient?: readonly CellState[];
}

interface Workspace {
  capacityT: number;
  B: number;
  caches: CellCache[];
  /** neto then ŷ, T×B×K. */
  yhat: Float;
  /** δo, T×B×K. */
  dO: Float;
  /** ∂J/∂h for the layer being back-propagated, and for the one below it (T×B×H each; 2H when bidirectional). */
  dHa: Float;
  dHb: Float;
  /** Each sequence's last valid step (1-based). */
  lastStep: Int32Array;
  /** Inputs rewritten by argmax feedback. */
  feedIndex: Int32Array;
  feedDense: Float;
  dInit: { h: Float; c: Float }[];
}

export class Network {
  readonly config: NetworkConfig;
  /** All parameters in one flat buffer, with named views (`layer0.U`, `layer0.W`, …, `V`, `b_o`). */
  readonly params: ParamSet;
  /** The recurrent layers, bottom first (a bidirectional layer is one {@link BidirectionalCell} of width 2H). */
  readonly layers: readonly Cell[];
  /** Hidden → output weights V, H×K (2H×K when bidirectional; a live view). */
  readonly V: Float;
  /** Output bias b_o, 1×K, or null. */
  readonly b_o: Float | null;
  readonly dV: Float;
  readonly db_o: Float | null;
  readonly kernels: Kernels;
  /** Work buffers per batch size B (a training and a validation size coexist), most recently used last. */
  private readonly workspaces = new Map<number, Workspace>();

  constructor(options: NetworkOptions) {
    if (typeof options !== 'object' || options === null) throw new OptionError('new Network(options) needs its options, e.g. { cell: "lstm", inputSize: 10, hiddenSize: 32, outputSize: 10 }');
    rejectUnknownKeys('network', options, OPTION_KEYS);
    this.config = resolveConfig(options);
    const c = this.config;
    this.kernels = options.kernels ?? getKernels();
    const type = cellType(c.cell)!;
    const layerConfigs = layerConfigsOf(c);
    const specs = networkParamSpecs(c);
    checkMemory('the parameters and their gradients', 2 * specs.reduce((n, s) => n + s.rows * s.cols, 0), c.dtype);
    this.params = new ParamSet(specs, c.dtype);
    initParams(this.params, new Rng(options.seed ?? 1));
    this.layers = c.bidirectional
      ? layerConfigs.map((lc) => new BidirectionalCell(type.create(lc, this.params, this.kernels), type.create(reverseConfig(lc), this.params, this.kernels)))
      : layerConfigs.map((lc) => type.create(lc, this.params, this.kernels));
    this.V = this.params.view('V');
    this.dV = this.params.gradView('V');
    this.b_o = c.bias ? this.params.view('b_o') : null;
    this.db_o = c.bias ? this.params.gradView('b_o') : null;
  }

  /** Forward pass; returns ŷ (T×B×K, a view valid until the next pass). */
  forward(batch: SequenceBatch): Float {
    this.checkBatch(batch);
    const ws = this.workspace(batch.T, batch.B);
    this.runForward(batch, ws);
    return ws.yhat.subarray(0, batch.T * batch.B * this.config.outputSize);
  }

  /** J of a batch without gradients, and the number of outputs that carried loss. */
  loss(batch: SequenceBatch): { loss: number; count: number } {
    this.checkBatch(batch);
    const ws = this.workspace(batch.T, batch.B);
    this.runForward(batch, ws);
    return this.outputLoss(batch, ws, false);
  }

  /**
   * Forward and backward pass. Gradients are ADDED to `params.grad` (call
   * `params.zeroGrad()` first), summed over the batch's sequences.
   */
  gradient(batch: SequenceBatch, options: BackwardOptions & { readonly initGradient?: boolean } = {}): GradientResult {
    this.checkBatch(batch);
    this.checkBackwardOptions(options);
    const ws = this.workspace(batch.T, batch.B);
    const inputs = this.runForward(batch, ws);
    const result = this.outputLoss(batch, ws, true);
    const initGrads = this.backwardFrom(batch, ws, inputs, options);
    return options.initGradient ? { ...result, initGradient: initGrads } : result;
  }

  /**
   * Forward pass, then BPTT from a given δo(t) = ∂J/∂neto(t) (T×B×K)
   * instead of one derived from the network's loss: for losses computed
   * outside the network, e.g. over states pooled across steps. Rows of
   * masked steps are ignored. Gradients are ADDED to `params.grad`.
   */
  gradientFromOutputDelta(batch: SequenceBatch, dO: ArrayLike<number>, options: BackwardOptions & { readonly initGradient?: boolean } = {}): readonly CellState[] | undefined {
    this.checkBatch(batch);
    this.checkBackwardOptions(options);
    const { T, B, mask } = batch;
    const K = this.config.outputSize;
    if (dO.length < T * B * K) throw new ShapeError(`dO has ${dO.length} values, expected T×B×K = ${T}×${B}×${K} = ${T * B * K}`);
    const ws = this.workspace(T, B);
    const inputs = this.runForward(batch, ws);
    for (let r = 0; r < T * B; r++) {
      const on = !mask || mask[r] === 1;
      for (let j = 0; j < K; j++) ws.dO[r * K + j] = on ? dO[r * K + j]! : 0;
    }
    const initGrads = this.backwardFrom(batch, ws, inputs, options);
    return options.initGradient ? initGrads : undefined;
  }

  private checkBackwardOptions(options: BackwardOptions & { readonly initGradient?: boolean }): void {
    if (options.truncate !== undefined && !(options.truncate >= 1)) {
      throw new OptionError(`truncate must be at least 1 step, got ${options.truncate}`);
    }
    if (options.initGradient && this.config.bidirectional) {
      throw new OptionError('initGradient: a bidirectional network starts from zero states and has no initial state to differentiate');
    }
    if (options.gradientMode === 'lecture' && (this.config.cell !== 'rnn' || this.config.layers !== 1 || this.config.bidirectional)) {
      throw new OptionError('gradientMode "lecture" is defined only for a single-layer RNN');
    }
  }

  /** BPTT from δo in ws.dO: ∂J/∂V, ∂J/∂b_o, then every layer top-down; returns ∂J/∂state(0) when asked. */
  private backwardFrom(batch: SequenceBatch, ws: Workspace, inputs: SequenceInput[], options: BackwardOptions & { readonly initGradient?: boolean }): CellState[] {
    const { T, B } = batch;
    const { hiddenSize: H, outputSize: K } = this.config;
    const S = stateWidth(this.config);
    const rows = T * B;
    const top = ws.caches[this.layers.length - 1]!;
    const k = this.kernels;
    // ∂J/∂V = Σ_t h(t)ᵀ·δo(t);  ∂J/∂b_o = Σ_t δo(t)
    k.gemm(true, false, S, K, rows, top.hs, B * S, S, ws.dO, 0, K, this.dV, 0, K, true);
    if (this.db_o) k.sumRowsInto(rows, K, ws.dO, 0, K, this.db_o, 0);
    // ∂J/∂h_L(t) = δo(t)·Vᵀ
    k.gemm(false, true, rows, S, K, ws.dO, 0, K, this.V, 0, K, ws.dHa, 0, S, false);
    if (this.config.bidirectional && batch.lossAt === 'last') this.summariseLast(batch, ws, ws.dHa);
    let dH = ws.dHa;
    let dBelow = ws.dHb;
    const initGrads: CellState[] = [];
    for (let l = this.layers.length - 1; l >= 0; l--) {
      let dInit: CellState | null = null;
      if (options.initGradient) {
        const g = ws.dInit[l]!;
        g.h.fill(0, 0, B * H);
        g.c.fill(0, 0, B * H);
        dInit = { h: g.h.subarray(0, B * H), c: g.c.subarray(0, B * H) };
        initGrads[l] = this.layers[l]!.stateNames.includes('c') ? dInit : { h: dInit.h };
      }
      this.layers[l]!.backward(inputs[l]!, T, B, ws.caches[l]!, dH, l > 0 ? dBelow : null, dInit, batch.mask, options);
      [dH, dBelow] = [dBelow, dH];
    }
    return initGrads;
  }

  /**
   * The state of every layer after step t of the last pass with batch size B
   * (views valid until the next such pass). Bidirectional: [h→(t) | h←(t)],
   * and after a many-to-one pass the top layer's row at each sequence's last
   * step holds the summary the output read, [h→(last) | h←(1)].
   */
  stateAt(t: number, B: number): CellState[] {
    const ws = this.workspaces.get(B);
    if (!ws || t > ws.capacityT) throw new OptionError('stateAt: no forward pass of that shape has run');
    return this.layers.map((cell, l) => cell.stateAt(t, B, ws.caches[l]!));
  }

  /**
   * Every layer's step values after the last forward pass of T steps of B
   * sequences, for teaching and plots: for each layer (bottom first), each
   * name maps to a T×B×H copy (step t, sequence b at offset ((t−1)·B + b)·H).
   * LSTM: f, i, o, cTilde (C̃), c (C), h; GRU: z, r, n, h; RNN: h.
   */
  inspect(T: number, B: number): LayerTrace[] {
    const ws = this.workspaces.get(B);
    if (!ws || T > ws.capacityT) throw new OptionError('inspect: no forward pass of that shape has run; call forward() first');
    if (this.config.bidirectional) throw new OptionError('inspect: the step values of a bidirectional network\'s two directions are not traced; use stateAt for [h→ | h←]');
    return this.layers.map((cell, l) => traceLayer(cell, ws.caches[l]!, T, B));
  }

  /** Runs every layer and the output layer; returns each layer's input. */
  private runForward(batch: SequenceBatch, ws: Workspace): SequenceInput[] {
    const { T, B } = batch;
    const K = this.config.outputSize;
    const S = stateWidth(this.config);
    const L = this.layers.length;
    let x0 = batch.x;
    if (batch.feedback === 'argmax') x0 = this.copyForFeedback(batch, ws);
    const inputs: SequenceInput[] = [x0];
    for (let l = 1; l < L; l++) inputs.push({ kind: 'dense', data: ws.caches[l - 1]!.hs.subarray(B * S) });
    if (batch.feedback !== 'argmax') {
      for (let l = 0; l < L; l++) this.layers[l]!.forward(inputs[l]!, T, B, ws.caches[l]!, batch.init?.[l], batch.mask);
      if (this.config.bidirectional && batch.lossAt === 'last') this.summariseLast(batch, ws, null);
      this.outputStep(ws, 0, T * B);
      return inputs;
    }
    for (let l = 0; l < L; l++) this.layers[l]!.beginSequence(B, ws.caches[l]!, batch.init?.[l]);
    for (let t = 1; t <= T; t++) {
      for (let l = 0; l < L; l++) this.layers[l]!.forwardStep(inputs[l]!, t, B, ws.caches[l]!, batch.mask);
      this.outputStep(ws, (t - 1) * B, B);
      if (t < T) this.feedArgmax(x0, ws, t, B, K);
    }
    return inputs;
  }

  /** neto = h_L·V (+ b_o), ŷ = g_o(neto) for `rows` rows from row `row0`. */
  private outputStep(ws: Workspace, row0: number, rows: number): void {
    const K = this.config.outputSize;
    const S = stateWidth(this.config);
    const B = ws.B;
    const top = ws.caches[this.layers.length - 1]!;
    this.kernels.gemm(false, false, rows, K, S, top.hs, B * S + row0 * S, S, this.V, 0, K, ws.yhat, row0 * K, K, false);
    if (this.b_o) this.kernels.addRowVector(rows, K, ws.yhat, row0 * K, K, this.b_o, 0);
    const g = this.config.outputActivation;
    if (!(g === 'softmax' && this.kernels.softmaxRows?.(ws.yhat, row0 * K, rows, K))) applyOutputActivation(g, ws.yhat, row0 * K, rows, K);
  }

  private copyForFeedback(batch: SequenceBatch, ws: Workspace): SequenceInput {
    const n = batch.T * batch.B;
    if (batch.x.kind === 'index') {
      const d = ws.feedIndex.subarray(0, n);
      d.set(batch.x.data.subarray(0, n));
      return { kind: 'index', data: d };
    }
    const D = this.config.inputSize;
    const d = ws.feedDense.subarray(0, n * D);
    d.set(batch.x.data.subarray(0, n * D));
    return { kind: 'dense', data: d };
  }

  /** x(t+1) = one-hot(argmax ŷ(t)) for each sequence. */
  private feedArgmax(x: SequenceInput, ws: Workspace, t: number, B: number, K: number): void {
    for (let b = 0; b < B; b++) {
      const o = ((t - 1) * B + b) * K;
      let best = 0;
      for (let j = 1; j < K; j++) if (ws.yhat[o + j]! > ws.yhat[o + best]!) best = j;
      const row = t * B + b;
      if (x.kind === 'index') x.data[row] = best;
      else {
        x.data.fill(0, row * K, (row + 1) * K);
        x.data[row * K + best] = 1;
      }
    }
  }

  /** Each sequence's last valid step (1-based; 0 for an empty one) into ws.lastStep. */
  private findLastSteps(batch: SequenceBatch, ws: Workspace): void {
    const { T, B, mask } = batch;
    const last = ws.lastStep;
    for (let b = 0; b < B; b++) {
      last[b] = T;
      if (mask) while (last[b]! > 0 && !mask[(last[b]! - 1) * B + b]) last[b]!--;
    }
  }

  /**
   * Many-to-one, bidirectional: the top layer's row at each sequence's last
   * step becomes [h→(last) | h←(1)], so the output reads the backward
   * direction's summary (its state after the whole sequence) instead of
   * h←(last), which has seen one step. `backward` routes the gradient of
   * that half back to h←(1).
   */
  private summariseLast(batch: SequenceBatch, ws: Workspace, dH: Float | null): void {
    const { B } = batch;
    const H = this.config.hiddenSize;
    const S = 2 * H;
    this.findLastSteps(batch, ws);
    const hs = ws.caches[this.layers.length - 1]!.hs;
    for (let b = 0; b < B; b++) {
      const t = ws.lastStep[b]!;
      if (t <= 1) continue;
      const first = b * S + H; // row of step 1 (in dH), right half
      const at = ((t - 1) * B + b) * S + H; // row of step t (in dH)
      if (!dH) {
        // hs holds h(0) in slot 0: step t is slot t
        hs.copyWithin(at + B * S, first + B * S, first + B * S + H);
        continue;
      }
      // ∂J/∂h←(1) += the gradient on the copied half; the copy's own row gets none
      for (let j = 0; j < H; j++) {
        dH[first + j]! += dH[at + j]!;
        dH[at + j] = 0;
      }
    }
  }

  /** J over the steps that carry loss; δo in ws.dO (zero where no loss) when `withDelta`. */
  private outputLoss(batch: SequenceBatch, ws: Workspace, withDelta: boolean): { loss: number; count: number } {
    const { T, B, mask, y } = batch;
    const K = this.config.outputSize;
    const { outputActivation: g, loss: kind } = this.config;
    const last = ws.lastStep;
    const onlyLast = batch.lossAt === 'last';
    if (onlyLast) this.findLastSteps(batch, ws);
    let J = 0;
    let count = 0;
    const dO = withDelta ? ws.dO : null;
    // softmax + cross-entropy on symbols: δo = ŷ − onehot(y), so ŷ is copied
    // for all rows at once and each row then changes one element
    const oneHot = dO !== null && g === 'softmax' && kind === 'cross-entropy' && y.kind === 'index';
    if (oneHot) dO.set(ws.yhat.subarray(0, T * B * K));
    for (let t = 1; t <= T; t++) {
      for (let b = 0; b < B; b++) {
        const row = (t - 1) * B + b;
        const counts = (!mask || mask[row] === 1) && (!onlyLast || last[b] === t) && !(y.kind === 'index' && y.data[row]! < 0);
        if (!counts) {
          if (dO) dO.fill(0, row * K, (row + 1) * K);
          continue;
        }
        const w = batch.weights ? batch.weights[b]! : 1;
        const Jrow = oneHot ? oneHotCrossEntropy(K, ws.yhat, row * K, y.data[row]!, dO) : rowLoss(g, kind, K, ws.yhat, row * K, y, row, dO);
        if (w !== 1) {
          // J_b weighted by w_b, and so is its δo
          if (dO) for (let j = row * K; j < (row + 1) * K; j++) dO[j]! *= w;
          J += w * Jrow;
        } else J += Jrow;
        count++;
      }
    }
    return { loss: J, count };
  }

  private workspace(T: number, B: number): Workspace {
    const old = this.workspaces.get(B);
    if (old && old.capacityT >= T) return old;
    const capT = Math.max(T, old ? old.capacityT : 0);
    const { hiddenSize: H, outputSize: K, inputSize: D, dtype } = this.config;
    const S = stateWidth(this.config);
    // A rough count of the per-shape buffers (states, gates, deltas) before allocating them.
    checkMemory(`the work buffers for T = ${capT}, B = ${B}`, capT * B * (this.layers.length * 12 * S + 3 * K + 2 * S + D), dtype);
    const ws: Workspace = {
      capacityT: capT,
      B,
      caches: this.layers.map((cell) => cell.createCache(capT, B)),
      yhat: allocate(dtype, capT * B * K),
      dO: allocate(dtype, capT * B * K),
      dHa: allocate(dtype, capT * B * S),
      dHb: allocate(dtype, capT * B * S),
      lastStep: new Int32Array(B),
      feedIndex: new Int32Array(capT * B),
      feedDense: allocate(dtype, capT * B * D),
      dInit: this.layers.map(() => ({ h: allocate(dtype, B * H), c: allocate(dtype, B * H) })),
    };
    this.workspaces.delete(B);
    this.workspaces.set(B, ws);
    if (this.workspaces.size > MAX_WORKSPACES) this.workspaces.delete(this.workspaces.keys().next().value!);
    return ws;
  }

  /** Validates a batch against this network's sizes, with messages that name the offending array. */
  checkBatch(batch: SequenceBatch): void {
    const { T, B } = batch;
    expectPositiveInt('batch.T', T);
    expectPositiveInt('batch.B', B);
    const { inputSize: D, outputSize: K } = this.config;
    const x = batch.x;
    if (x.kind === 'dense') {
      if (x.data.length < T * B * D) throw new ShapeError(`batch.x has ${x.data.length} values, expected T×B×D = ${T}×${B}×${D} = ${T * B * D}`);
      if (x.data.constructor !== this.params.data.constructor) {
        throw new ShapeError(`batch.x is a ${x.data.constructor.name}, but the network's dtype is ${this.config.dtype}`);
      }
    } else {
      if (x.data.length < T * B) throw new ShapeError(`batch.x has ${x.data.length} indices, expected T×B = ${T}×${B} = ${T * B}`);
      for (let i = 0; i < T * B; i++) {
        const v = x.data[i]!;
        if (v < -1 || v >= D) throw new ShapeError(`batch.x index ${v} at position ${i} is outside [−1, ${D}) (inputSize D = ${D})`);
      }
    }
    const y = batch.y;
    if (y.kind === 'dense') {
      if (y.data.length < T * B * K) throw new ShapeError(`batch.y has ${y.data.length} values, expected T×B×K = ${T}×${B}×${K} = ${T * B * K}`);
    } else {
      if (y.data.length < T * B) throw new ShapeError(`batch.y has ${y.data.length} indices, expected T×B = ${T}×${B} = ${T * B}`);
      for (let i = 0; i < T * B; i++) {
        const v = y.data[i]!;
        if (v < -1 || v >= K) throw new ShapeError(`batch.y index ${v} at position ${i} is outside [−1, ${K}) (outputSize K = ${K})`);
      }
    }
    if (batch.weights) {
      if (batch.weights.length < B) throw new ShapeError(`batch.weights has ${batch.weights.length} entries, expected one per sequence (B = ${B})`);
      for (let b = 0; b < B; b++) {
        const w = batch.weights[b]!;
        if (!(w >= 0 && Number.isFinite(w))) throw new OptionError(`batch.weights[${b}] must be a finite number ≥ 0, got ${w}`);
      }
    }
    if (batch.mask && batch.mask.length < T * B) throw new ShapeError(`batch.mask has ${batch.mask.length} entries, expected T×B = ${T * B}`);
    if (batch.feedback === 'argmax' && D !== K) throw new OptionError(`feedback "argmax" needs inputSize = outputSize, got D = ${D}, K = ${K}`);
    if (this.config.bidirectional) {
      if (batch.feedback === 'argmax') throw new OptionError('feedback "argmax" needs each output before the next input, but a bidirectional network reads the whole sequence first');
      if (batch.init) throw new OptionError('batch.init: a bidirectional network starts both directions from zero states; an initial state cannot be given');
    }
    if (batch.init) {
      if (batch.init.length !== this.layers.length) throw new ShapeError(`batch.init has ${batch.init.length} states, expected one per layer (${this.layers.length})`);
      const n = B * this.config.hiddenSize;
      batch.init.forEach((s, l) => {
        if (s.h.length < n) throw new ShapeError(`batch.init[${l}].h has ${s.h.length} values, expected B×H = ${n}`);
        if (this.layers[l]!.stateNames.includes('c') && (!s.c || s.c.length < n)) throw new ShapeError(`batch.init[${l}].c must have B×H = ${n} values (LSTM cell state)`);
      });
    }
    // after the shapes: a short initial state is named as such, not as holding undefined values
    checkBatchValues(batch, D, K, this.config.hiddenSize); // NaN / Infinity, mask values other than 0 and 1
  }
}

/**
 * The parameter matrices a network of this config has, in buffer order:
 * each layer's cell parameters (`layer{l}.…`, then `layer{l}.reverse.…` when
 * bidirectional), then V (H×K, 2H×K when bidirectional) and b_o (1×K).
 * Computed without allocating, so a file loader can check sizes first.
 */
export function networkParamSpecs(c: NetworkConfig): ParamSpec[] {
  const type = cellType(c.cell);
  if (!type) throw new OptionError(`cell "${c.cell}" is not available`);
  const specs: ParamSpec[] = layerConfigsOf(c).flatMap((lc) => c.bidirectional ? [...type.paramSpecs(lc), ...type.paramSpecs(reverseConfig(lc))] : type.paramSpecs(lc));
  specs.push({ name: 'V', rows: stateWidth(c), cols: c.outputSize, init: 'glorot' });
  if (c.bias) specs.push({ name: 'b_o', rows: 1, cols: c.outputSize, init: 'zeros' });
  return specs;
}

/**
 * Each layer's forward (or only) cell, `layer{l}.…`; a bidirectional layer's
 * backward cell is {@link reverseConfig} of it, `layer{l}.reverse.…`.
 */
function layerConfigsOf(c: NetworkConfig): LayerConfig[] {
  return Array.from({ length: c.layers }, (_, l) => ({
    inputSize: l === 0 ? c.inputSize : stateWidth(c),
    hiddenSize: c.hiddenSize,
    bias: c.bias,
    prefix: `layer${l}.`,
    activation: c.hiddenActivation,
    ...(c.variant !== undefined ? { variant: c.variant } : {}),
    ...(c.forgetBias !== undefined ? { forgetBias: c.forgetBias } : {}),
  }));
}

/** The backward direction's cell of a bidirectional layer: the same sizes, parameters `layer{l}.reverse.…`. */
export function reverseConfig(lc: LayerConfig): LayerConfig {
  return { ...lc, prefix: `${lc.prefix}reverse.` };
}

/** The most stacked layers a network may have (far beyond any useful depth; refused before anything is built). */
export const MAX_LAYERS = 256;

function expectLayers(value: unknown): number {
  const layers = expectPositiveInt('layers', value);
  if (layers > MAX_LAYERS) throw new OptionError(`layers must be at most ${MAX_LAYERS}, got ${layers}`);
  return layers;
}

/** How many batch sizes keep their work buffers at once. */
const MAX_WORKSPACES = 4;

/** The most memory one network may ask for (parameters, or one shape's work buffers): 8 GiB. */
export const MAX_NETWORK_BYTES = 8 * 1024 ** 3;

/** Refuses, before allocating, a request for more than {@link MAX_NETWORK_BYTES}, naming how much it would need. */
function checkMemory(what: string, elements: number, dtype: DType): void {
  const bytes = elements * (dtype === 'float64' ? 8 : 4);
  if (!(bytes <= MAX_NETWORK_BYTES)) {
    const gib = (bytes / 1024 ** 3).toPrecision(3);
    throw new OptionError(`${what} would need ${gib} GiB of memory (limit ${MAX_NETWORK_BYTES / 1024 ** 3} GiB); choose smaller sizes`);
  }
}

function resolveConfig(o: NetworkOptions): NetworkConfig {
  const loss = o.loss === undefined ? 'mse' : expectChoice('loss', o.loss, LOSSES);
  const outputActivation = o.outputActivation === undefined
    ? (loss === 'cross-entropy' ? 'softmax' : 'linear')
    : expectChoice('outputActivation', o.outputActivation, OUTPUT_ACTIVATIONS);
  checkOutputAndLoss(outputActivation, loss);
  if (o.bias !== undefined && typeof o.bias !== 'boolean') throw new OptionError(`bias must be true or false, got ${typeof o.bias}`);
  if (o.bidirectional !== undefined && typeof o.bidirectional !== 'boolean') throw new OptionError(`bidirectional must be true or false, got ${typeof o.bidirectional}`);
  const cell = o.cell === undefined ? 'rnn' : expectChoice('cell', o.cell, CELL_KINDS);
  if (o.forgetBias !== undefined && cell !== 'lstm') throw new OptionError(`forgetBias is the LSTM's forget-gate bias; cell "${cell}" has none, so omit it`);
  const config: NetworkConfig = {
    cell,
    inputSize: expectPositiveInt('inputSize', o.inputSize),
    hiddenSize: expectPositiveInt('hiddenSize', o.hiddenSize),
    outputSize: expectPositiveInt('outputSize', o.outputSize),
    layers: o.layers === undefined ? 1 : expectLayers(o.layers),
    hiddenActivation: o.hiddenActivation === undefined ? 'tanh' : expectChoice('hiddenActivation', o.hiddenActivation, HIDDEN_ACTIVATIONS),
    outputActivation,
    loss,
    bias: o.bias ?? true,
    dtype: o.dtype === undefined ? 'float32' : expectChoice('dtype', o.dtype, ['float32', 'float64'] as const),
    ...(o.variant !== undefined ? { variant: o.variant } : {}),
    ...(o.bidirectional ? { bidirectional: true as const } : {}),
    ...(cell === 'lstm' ? { forgetBias: o.forgetBias === undefined ? DEFAULT_FORGET_BIAS : expectNumber('forgetBias', o.forgetBias, -20, 20) } : {}),
  };
  return config;
}
