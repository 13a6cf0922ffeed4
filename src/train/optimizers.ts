/**
 * Optimizers: per-parameter update rules with their own state ("slots"),
 * applied to a model's whole flat parameter buffer (`ParamSet.data`) with
 * its gradient (`ParamSet.grad`) in one loop. Every rule is elementwise, so
 * each θᵢ is updated from gᵢ = ∂J/∂θᵢ and its own slot values only.
 *
 * With learning rate η (passed to each update, so a schedule can change it),
 * weight decay λ and t = the number of this update (1, 2, …):
 *
 * | kind       | update                                                                  | defaults (PyTorch's)              |
 * |------------|-------------------------------------------------------------------------|-----------------------------------|
 * | `sgd`      | θ ← θ − η·g                                                             | λ = 0                             |
 * | `momentum` | v ← μ·v + g;  θ ← θ − η·v                                               | μ = 0.9, λ = 0                    |
 * | `nesterov` | v ← μ·v + g;  θ ← θ − η·(g + μ·v)                                       | μ = 0.9, λ = 0                    |
 * | `adagrad`  | G ← G + g²;  θ ← θ − η·g / (√G + ε)                                     | ε = 1e−10, λ = 0                  |
 * | `rmsprop`  | s ← ρ·s + (1−ρ)·g²;  θ ← θ − η·g / (√s + ε)                             | ρ = 0.99, ε = 1e−8, λ = 0         |
 * | `adam`     | m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − η·m̂ / (√v̂ + ε)         | β₁ = 0.9, β₂ = 0.999, ε = 1e−8, λ = 0 |
 * | `adamw`    | θ ← θ − ηλθ, then the Adam step with the raw g                          | as Adam, but λ = 0.01             |
 *
 * where m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ) (bias correction; computed as
 * θ ← θ − (η / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε)). All slots start at 0.
 *
 * Weight decay: for every kind but `adamw` it is L2 regularisation added to
 * the gradient, g ← g + λ·θ (so for Adam it is scaled by the adaptive
 * denominator); for `adamw` it is decoupled from the gradient, as above.
 *
 * RMSProp's ρ defaults to 0.99 (PyTorch's `alpha`; Keras uses 0.9).
 *
 * Slots are allocated once, in the model's dtype; {@link Optimizer.update}
 * allocates nothing. Arithmetic is in float64 and stored in the slot's type.
 */

import { expectChoice, expectNumber, expectPositiveInt, OptionError, ShapeError } from '../core/errors.js';
import { getKernels } from '../core/kernels.js';
import { allocate, dtypeOf, type DType, type Float } from '../core/tensor.js';

/** The optimizers `rnnkit` provides. */
export const OPTIMIZER_KINDS = ['sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam', 'adamw'] as const;
export type OptimizerKind = (typeof OPTIMIZER_KINDS)[number];

/** Hyper-parameters of an optimizer; only those of its kind may be given (see the table above). */
export interface OptimizerOptions {
  readonly kind: OptimizerKind;
  /** μ of `momentum` and `nesterov`, in [0, 1). Default 0.9. */
  readonly momentum?: number;
  /** β₁ of `adam`/`adamw`, in [0, 1). Default 0.9. */
  readonly beta1?: number;
  /** β₂ of `adam`/`adamw`, in [0, 1). Default 0.999. */
  readonly beta2?: number;
  /** ε > 0 of `adagrad` (default 1e−10), `rmsprop`, `adam`, `adamw` (default 1e−8). */
  readonly epsilon?: number;
  /** ρ of `rmsprop`, in [0, 1). Default 0.99. */
  readonly rho?: number;
  /** λ ≥ 0. Default 0, or 0.01 for `adamw`. L2 for all kinds but `adamw` (decoupled). */
  readonly weightDecay?: number;
}

/** A snapshot of an optimizer: enough to continue exactly where it stopped. */
export interface OptimizerState {
  readonly kind: OptimizerKind;
  /** Updates applied so far (Adam's t after the last update). */
  readonly steps: number;
  /** The slot arrays by name (see {@link optimizerSlotNames}), each of the optimizer's size. */
  readonly slots: Record<string, Float64Array | Float32Array>;
  /** The options with every default of the kind filled in. */
  readonly options: OptimizerOptions;
}

/** A stateful update rule over one flat parameter vector of a fixed size. */
export interface Optimizer {
  readonly kind: OptimizerKind;
  /** Updates applied so far (Adam's t). */
  readonly steps: number;
  /** Number of parameters the slots cover. */
  readonly size: number;
  /** Element type of the slots. */
  readonly dtype: DType;
  /** The options with every default filled in. */
  readonly options: OptimizerOptions;
  /** One update of θ in place from its gradient g (both of length {@link size}) with learning rate η = `lr`. */
  update(theta: Float, grad: Float, lr: number): void;
  /**
   * One update of a parameter vector stored in several buffers (e.g. an
   * encoder's and a decoder's), treated as their concatenation in the order
   * given: slot i of part p is at the sum of the earlier parts' lengths plus
   * i. Their lengths must add up to {@link size}. Counts as one step.
   */
  updateParts(parts: readonly { readonly theta: Float; readonly grad: Float }[], lr: number): void;
  /** A copy of the state (slots copied). */
  getState(): OptimizerState;
  /** Restores a state from {@link getState} (or a checkpoint): steps, slots and options. */
  setState(state: OptimizerState): void;
}

type HyperParameter = Exclude<keyof OptimizerOptions, 'kind'>;
const HYPER_PARAMETERS: readonly HyperParameter[] = ['momentum', 'beta1', 'beta2', 'epsilon', 'rho', 'weightDecay'];

const DEFAULTS: Readonly<Record<OptimizerKind, Readonly<Omit<OptimizerOptions, 'kind'>>>> = {
  sgd: { weightDecay: 0 },
  momentum: { momentum: 0.9, weightDecay: 0 },
  nesterov: { momentum: 0.9, weightDecay: 0 },
  adagrad: { epsilon: 1e-10, weightDecay: 0 },
  rmsprop: { rho: 0.99, epsilon: 1e-8, weightDecay: 0 },
  adam: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 },
  adamw: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 },
};

const SLOT_NAMES: Readonly<Record<OptimizerKind, readonly string[]>> = {
  sgd: [],
  momentum: ['velocity'],
  nesterov: ['velocity'],
  adagrad: ['sumSquares'],
  rmsprop: ['meanSquare'],
  adam: ['m', 'v'],
  adamw: ['m', 'v'],
};

/** The names of a kind's slots: `velocity` (v), `sumSquares` (G), `meanSquare` (s), `m` and `v` (Adam). */
export function optimizerSlotNames(kind: OptimizerKind): readonly string[] {
  return SLOT_NAMES[expectChoice('optimizer kind', kind, OPTIMIZER_KINDS)];
}

/**
 * Validates optimizer options and fills in the kind's defaults. Throws an
 * {@link OptionError} for an unknown kind, an option that does not apply to
 * the kind (undefined values are ignored), or a value out of range.
 */
export function resolveOptimizerOptions(options: OptimizerOptions | Readonly<Record<string, unknown>>): OptimizerOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new OptionError('optimizer options must be an object such as { kind: "adam" }');
  const kind = expectChoice('optimizer kind', options.kind, OPTIMIZER_KINDS);
  const defaults = DEFAULTS[kind];
  const allowed = HYPER_PARAMETERS.filter((key) => defaults[key] !== undefined);
  const given = new Map<string, unknown>(Object.entries(options));
  const allowedSet = new Set<string>(allowed);
  for (const [key, value] of given) {
    if (key === 'kind' || value === undefined || allowedSet.has(key)) continue;
    throw new OptionError(new Set<string>(HYPER_PARAMETERS).has(key)
      ? `optimizer option "${key}" does not apply to "${kind}"; it takes ${allowed.join(', ')}`
      : `unknown optimizer option "${key}"; "${kind}" takes ${allowed.join(', ')}`);
  }
  const resolved: { -readonly [K in HyperParameter]?: number } = {};
  for (const key of allowed) {
    const unit = key !== 'epsilon' && key !== 'weightDecay';
    const value = expectNumber(key, given.get(key) ?? defaults[key], 0, unit ? 1 : Infinity);
    if (key === 'epsilon' && value === 0) throw new OptionError('epsilon must be greater than 0 (it keeps g / (√s + ε) finite), got 0');
    // μ, β₁, β₂, ρ ∈ [0, 1): at 1 a slot never forgets (and Adam's bias correction divides by 0).
    if (unit && value === 1) throw new OptionError(`${key} must be in [0, 1), got 1`);
    resolved[key] = value;
  }
  return Object.freeze({ kind, ...resolved });
}

/**
 * Creates an optimizer of `options.kind` for a parameter vector of `size`
 * elements; its slots are zeroed arrays of `dtype` (the model's).
 *
 * @example
 * const opt = createOptimizer({ kind: 'adam' }, net.params.size, net.config.dtype);
 * net.params.zeroGrad(); net.gradient(batch); opt.update(net.params.data, net.params.grad, 1e-3);
 */
export function createOptimizer(options: OptimizerOptions, size: number, dtype: DType): Optimizer {
  return new RuleOptimizer(resolveOptimizerOptions(options), expectPositiveInt('optimizer size', size),
    expectChoice('dtype', dtype, ['float32', 'float64'] as const));
}

const EMPTY = new Float64Array(0);

class RuleOptimizer implements Optimizer {
  readonly kind: OptimizerKind;
  readonly size: number;
  readonly dtype: DType;
  private opts: OptimizerOptions;
  private t = 0;
  /** Slots in {@link SLOT_NAMES} order (s0 = first, s1 = second). */
  private readonly s0: Float;
  private readonly s1: Float;
  /** The one part {@link update} passes to {@link updateParts}, reused so an update allocates nothing. */
  private readonly one: { theta: Float; grad: Float }[] = [{ theta: EMPTY, grad: EMPTY }];

  constructor(options: OptimizerOptions, size: number, dtype: DType) {
    this.kind = options.kind;
    this.opts = options;
    this.size = size;
    this.dtype = dtype;
    const n = SLOT_NAMES[this.kind].length;
    this.s0 = allocate(dtype, n >= 1 ? size : 0);
    this.s1 = allocate(dtype, n >= 2 ? size : 0);
  }

  get steps(): number {
    return this.t;
  }

  get options(): OptimizerOptions {
    return this.opts;
  }

  update(theta: Float, grad: Float, lr: number): void {
    const part = this.one[0]!;
    part.theta = theta;
    part.grad = grad;
    try {
      this.updateParts(this.one, lr);
    } finally {
      part.theta = part.grad = EMPTY; // hold no reference to the caller's arrays
    }
  }

  updateParts(parts: readonly { readonly theta: Float; readonly grad: Float }[], lr: number): void {
    expectNumber('learning rate', lr, 0);
    let total = 0;
    for (let p = 0; p < parts.length; p++) {
      const { theta, grad } = parts[p]!;
      if (theta.length !== grad.length) {
        throw new ShapeError(`optimizer part ${p}: θ has ${theta.length} values but its gradient has ${grad.length}; pass ParamSet.data with ParamSet.grad`);
      }
      total += theta.length;
    }
    if (total !== this.size) {
      throw new ShapeError(`optimizer update over ${total} parameters, but it was created for ${this.size}; create one per model (size = params.size)`);
    }
    const t = this.t + 1;
    let offset = 0;
    for (let p = 0; p < parts.length; p++) {
      const { theta, grad } = parts[p]!;
      this.apply(theta, grad, offset, lr, t);
      offset += theta.length;
    }
    this.t = t;
  }

  /** Applies the rule to θ[0..n) with slots from `o`, for update number t. */
  private apply(theta: Float, grad: Float, o: number, lr: number, t: number): void {
    const n = theta.length;
    const { s0, s1 } = this;
    const opts = this.opts;
    const wd = opts.weightDecay ?? 0;
    switch (this.kind) {
      case 'sgd':
        for (let i = 0; i < n; i++) {
          const g = grad[i]! + wd * theta[i]!; // g ← g + λθ
          theta[i]! -= lr * g; // θ ← θ − η·g
        }
        return;
      case 'momentum': {
        const mu = opts.momentum!;
        for (let i = 0; i < n; i++) {
          const g = grad[i]! + wd * theta[i]!;
          const v = mu * s0[o + i]! + g; // v ← μ·v + g
          s0[o + i] = v;
          theta[i]! -= lr * v; // θ ← θ − η·v
        }
        return;
      }
      case 'nesterov': {
        const mu = opts.momentum!;
        for (let i = 0; i < n; i++) {
          const g = grad[i]! + wd * theta[i]!;
          const v = mu * s0[o + i]! + g; // v ← μ·v + g
          s0[o + i] = v;
          theta[i]! -= lr * (g + mu * v); // θ ← θ − η·(g + μ·v)
        }
        return;
      }
      case 'adagrad': {
        const eps = opts.epsilon!;
        for (let i = 0; i < n; i++) {
          const g = grad[i]! + wd * theta[i]!;
          const G = s0[o + i]! + g * g; // G ← G + g²
          s0[o + i] = G;
          theta[i]! -= (lr * g) / (Math.sqrt(G) + eps); // θ ← θ − η·g/(√G + ε)
        }
        return;
      }
      case 'rmsprop': {
        const rho = opts.rho!;
        const eps = opts.epsilon!;
        for (let i = 0; i < n; i++) {
          const g = grad[i]! + wd * theta[i]!;
          const s = rho * s0[o + i]! + (1 - rho) * g * g; // s ← ρs + (1−ρ)g²
          s0[o + i] = s;
          theta[i]! -= (lr * g) / (Math.sqrt(s) + eps); // θ ← θ − η·g/(√s + ε)
        }
        return;
      }
      case 'adam':
      case 'adamw': {
        const b1 = opts.beta1!;
        const b2 = opts.beta2!;
        const eps = opts.epsilon!;
        const stepSize = lr / (1 - Math.pow(b1, t)); // η / (1 − β₁ᵗ)
        const sqrtBc2 = Math.sqrt(1 - Math.pow(b2, t)); // √(1 − β₂ᵗ)
        const decoupled = this.kind === 'adamw';
        const l2 = decoupled ? 0 : wd;
        const shrink = decoupled ? 1 - lr * wd : 1; // AdamW: θ ← θ − ηλθ
        // The WebAssembly kernel runs the loop below, bit for bit, when it can take these arrays.
        if (getKernels().adamUpdate?.(n, theta, grad, s0, o, s1, o, l2, b1, b2, eps, stepSize, sqrtBc2, shrink)) return;
        for (let i = 0; i < n; i++) {
          const th = theta[i]!;
          const g = grad[i]! + l2 * th;
          const m = b1 * s0[o + i]! + (1 - b1) * g; // m ← β₁m + (1−β₁)g
          const v = b2 * s1[o + i]! + (1 - b2) * g * g; // v ← β₂v + (1−β₂)g²
          s0[o + i] = m;
          s1[o + i] = v;
          // θ ← θ − η·m̂/(√v̂ + ε)
          theta[i] = th * shrink - (stepSize * m) / (Math.sqrt(v) / sqrtBc2 + eps);
        }
        return;
      }
    }
  }

  getState(): OptimizerState {
    const names = SLOT_NAMES[this.kind];
    const slots: Record<string, Float> = {};
    names.forEach((name, k) => {
      slots[name] = (k === 0 ? this.s0 : this.s1).slice();
    });
    return { kind: this.kind, steps: this.t, slots, options: this.opts };
  }

  setState(state: OptimizerState): void {
    if (typeof state !== 'object' || state === null) throw new OptionError('optimizer state must be an object from getState()');
    if (state.kind !== this.kind) {
      throw new OptionError(`optimizer state is for "${String(state.kind)}", but this optimizer is "${this.kind}"; create it with kind "${String(state.kind)}"`);
    }
    if (!Number.isSafeInteger(state.steps) || state.steps < 0) {
      throw new OptionError(`optimizer state steps must be a non-negative integer, got ${String(state.steps)}`);
    }
    const options = resolveOptimizerOptions(state.options);
    if (options.kind !== this.kind) throw new OptionError(`optimizer state options are for "${options.kind}", but its kind is "${this.kind}"`);
    const names = SLOT_NAMES[this.kind];
    const given = Object.keys(state.slots ?? {});
    const extra = given.filter((k) => !names.includes(k));
    if (extra.length > 0) throw new OptionError(`optimizer state has unknown slot(s) ${extra.join(', ')}; "${this.kind}" has ${names.join(', ') || 'none'}`);
    names.forEach((name) => {
      const s = state.slots[name];
      if (!(s instanceof Float32Array || s instanceof Float64Array)) throw new OptionError(`optimizer state lacks slot "${name}" (a Float32Array or Float64Array)`);
      if (s.length !== this.size) throw new ShapeError(`optimizer slot "${name}" has ${s.length} values, expected ${this.size}`);
      if (dtypeOf(s) !== this.dtype) throw new ShapeError(`optimizer slot "${name}" is ${dtypeOf(s)}, but this optimizer's dtype is ${this.dtype}`);
    });
    names.forEach((name, k) => (k === 0 ? this.s0 : this.s1).set(state.slots[name]!));
    this.t = state.steps;
    this.opts = options;
  }
}
