/**
 * The optimizers' edges that the hand-computed steps of optimizers.test.ts
 * do not reach: several buffers (slot offsets) for every kind, the float32
 * Adam update on the WebAssembly kernel, each refusal of the options and of
 * a saved state (messages whole), and what getState/setState carry.
 * Small and fast for `npm run mutate -- train`.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionError, ShapeError } from '../src/core/errors.js';
import { allocate } from '../src/core/tensor.js';
import { getKernels } from '../src/core/kernels.js';
import { kernelsName, useKernels } from '../src/kernels/index.js';
import { createOptimizer, optimizerSlotNames, resolveOptimizerOptions, OPTIMIZER_KINDS, type OptimizerOptions, type OptimizerState } from '../src/train/optimizers.js';
import { assertClose } from './helpers/approx.js';

const KINDS = OPTIMIZER_KINDS;

/** Options that make every term of each rule count (L2 or decoupled decay included). */
function withDecay(kind: (typeof KINDS)[number]): OptimizerOptions {
  return { kind, weightDecay: 0.05 };
}

const GRADS = [
  [0.5, -1, 0.25, 2, -0.75],
  [0.3, 0.8, -1.5, 0.1, 0.6],
  [-1, 0.2, 0.4, -0.3, 1.1],
];

/** θ after three updates of the whole vector [1, −2, 0.5, 3, −0.25] in float64. */
function whole(options: OptimizerOptions): number[] {
  const opt = createOptimizer(options, 5, 'float64');
  const theta = Float64Array.of(1, -2, 0.5, 3, -0.25);
  for (const g of GRADS) opt.update(theta, Float64Array.from(g), 0.1);
  return Array.from(theta);
}

test('updateParts: three buffers (1, 3 and 1 values) give the whole vector\'s update for every kind, bit for bit', () => {
  for (const kind of KINDS) {
    const opt = createOptimizer(withDecay(kind), 5, 'float64');
    const p = [Float64Array.of(1), Float64Array.of(-2, 0.5, 3), Float64Array.of(-0.25)];
    for (const g of GRADS) {
      opt.updateParts([
        { theta: p[0]!, grad: Float64Array.of(g[0]!) },
        { theta: p[1]!, grad: Float64Array.of(g[1]!, g[2]!, g[3]!) },
        { theta: p[2]!, grad: Float64Array.of(g[4]!) },
      ], 0.1);
    }
    assert.deepEqual([...p[0]!, ...p[1]!, ...p[2]!], whole(withDecay(kind)), kind);
    assert.equal(opt.steps, 3, `${kind}: one step per call`);
  }
});

test('each value has its own slot: permuting the parameters permutes the result (every kind)', () => {
  for (const kind of KINDS) {
    const opt = createOptimizer(withDecay(kind), 5, 'float64');
    const theta = Float64Array.of(-0.25, 3, 0.5, -2, 1);
    for (const g of GRADS) opt.update(theta, Float64Array.from(g).reverse(), 0.1);
    assert.deepEqual(Array.from(theta).reverse(), whole(withDecay(kind)), kind);
  }
});

test('weight decay changes every kind\'s step (L2 on the gradient, decoupled for adamw) and no kind ignores η', () => {
  for (const kind of KINDS) {
    const plain = whole({ kind, weightDecay: 0 });
    const decayed = whole(withDecay(kind));
    assert.ok(plain.every((v, i) => v !== decayed[i]), `${kind}: λ = 0.05 moves every value differently`);
    const opt = createOptimizer({ kind }, 2, 'float64');
    const theta = Float64Array.of(1, -2);
    opt.update(theta, Float64Array.of(0.5, -1), 0);
    assert.deepEqual(Array.from(theta), [1, -2], `${kind}: η = 0 leaves θ`);
  }
});

test('L2 weight decay by hand for momentum, nesterov, adagrad and rmsprop: g ← g + λθ (λ = 0.1, θ(0) = [1, −2], η = 0.1)', () => {
  const steps = (kind: (typeof KINDS)[number], grads: number[][]): number[][] => {
    const opt = createOptimizer({ kind, weightDecay: 0.1 }, 2, 'float64');
    const theta = Float64Array.of(1, -2);
    return grads.map((g) => {
      opt.update(theta, Float64Array.from(g), 0.1);
      return Array.from(theta);
    });
  };
  // g1 = [0.5, −1] + 0.1·[1, −2] = [0.6, −1.2]
  // momentum: v = g1, θ1 = [1 − 0.06, −2 + 0.12] = [0.94, −1.88]
  assertClose(steps('momentum', [[0.5, -1]])[0]!, [0.94, -1.88], 1e-15, 'momentum + L2');
  // nesterov: θ1 = θ0 − 0.1·(g1 + 0.9·g1) = [1 − 0.114, −2 + 0.228] = [0.886, −1.772]
  assertClose(steps('nesterov', [[0.5, -1]])[0]!, [0.886, -1.772], 1e-15, 'nesterov + L2');
  // adagrad (ε = 1e−10): G1 = [0.36, 1.44], θ1 = [1 − 0.06/(0.6 + ε), −2 + 0.12/(1.2 + ε)] ≈ [0.9, −1.9]
  //   g2 = [0.25, 0.5] + 0.1·θ1 ≈ [0.34, 0.31]; G2 = G1 + g2²; θ2 = θ1 − 0.1·g2/(√G2 + ε)
  const e = 1e-10;
  const a1 = [1 - 0.06 / (0.6 + e), -2 + 0.12 / (1.2 + e)];
  const ag = [0.25 + 0.1 * a1[0]!, 0.5 + 0.1 * a1[1]!];
  const a2 = [a1[0]! - (0.1 * ag[0]!) / (Math.sqrt(0.36 + ag[0]! ** 2) + e), a1[1]! - (0.1 * ag[1]!) / (Math.sqrt(1.44 + ag[1]! ** 2) + e)];
  const ad = steps('adagrad', [[0.5, -1], [0.25, 0.5]]);
  assertClose(ad[0]!, a1, 1e-15, 'adagrad + L2 θ1');
  assertClose(ad[1]!, a2, 1e-15, 'adagrad + L2 θ2');
  assertClose(a2, [0.9 - 0.034 / Math.sqrt(0.4756), -1.9 - 0.031 / Math.sqrt(1.5361)], 1e-9, 'adagrad + L2 θ2 rounded');
  // rmsprop (ρ = 0.99, ε = 1e−8): s1 = 0.01·[0.36, 1.44] = [0.0036, 0.0144], θ1 = [1 − 0.06/(0.06 + ε), −2 + 0.12/(0.12 + ε)] ≈ [0, −1]
  //   g2 = [0.25, 0.5] + 0.1·θ1 ≈ [0.25, 0.4]; s2 = 0.99·s1 + 0.01·g2²; θ2 = θ1 − 0.1·g2/(√s2 + ε)
  const f = 1e-8;
  const r1 = [1 - 0.06 / (0.06 + f), -2 + 0.12 / (0.12 + f)];
  const rg = [0.25 + 0.1 * r1[0]!, 0.5 + 0.1 * r1[1]!];
  const r2 = [r1[0]! - (0.1 * rg[0]!) / (Math.sqrt(0.99 * 0.0036 + 0.01 * rg[0]! ** 2) + f), r1[1]! - (0.1 * rg[1]!) / (Math.sqrt(0.99 * 0.0144 + 0.01 * rg[1]! ** 2) + f)];
  const rm = steps('rmsprop', [[0.5, -1], [0.25, 0.5]]);
  assertClose(rm[0]!, r1, 1e-15, 'rmsprop + L2 θ1');
  assertClose(rm[1]!, r2, 1e-15, 'rmsprop + L2 θ2');
  assertClose(r2, [-0.025 / Math.sqrt(0.004189), -1 - 0.04 / Math.sqrt(0.015856)], 1e-6, 'rmsprop + L2 θ2 rounded');
});

test('the float32 Adam update on the WebAssembly kernel: the kernel runs, with slot offsets, and matches float64 by hand', () => {
  useKernels('wasm');
  try {
    assert.match(kernelsName(), /^wasm/);
    const kernels = getKernels();
    const real = kernels.adamUpdate!.bind(kernels);
    let ran = 0;
    (kernels as { adamUpdate?: typeof real }).adamUpdate = (...args: Parameters<typeof real>) => {
      const done = real(...args);
      if (done) ran++;
      return done;
    };
    try {
      for (const options of [{ kind: 'adam', weightDecay: 0.05 }, { kind: 'adamw', weightDecay: 0.05 }, { kind: 'adam', beta1: 0.5, beta2: 0.75, epsilon: 0.01 }] as OptimizerOptions[]) {
        const want = whole(options);
        const opt = createOptimizer(options, 5, 'float32');
        const a = allocate('float32', 2);
        const b = allocate('float32', 3);
        a.set([1, -2]);
        b.set([0.5, 3, -0.25]);
        const ga = allocate('float32', 2);
        const gb = allocate('float32', 3);
        for (const g of GRADS) {
          ga.set(g.slice(0, 2));
          gb.set(g.slice(2));
          opt.updateParts([{ theta: a, grad: ga }, { theta: b, grad: gb }], 0.1);
        }
        assertClose([...a, ...b], want, 2e-6, `${options.kind} float32 on wasm`);
        // the float32 inputs are not float64's: the same run on the JavaScript loop, bit for bit
        const js = createOptimizer(options, 5, 'float32');
        const theta = Float32Array.of(1, -2, 0.5, 3, -0.25);
        for (const g of GRADS) js.update(theta, Float32Array.from(g), 0.1);
        assert.deepEqual([...a, ...b], Array.from(theta), `${options.kind}: wasm and JavaScript bit for bit`);
      }
      assert.equal(ran, 3 * 3 * 2, 'the kernel ran for every part of every update on heap arrays');
    } finally {
      (kernels as { adamUpdate?: typeof real }).adamUpdate = real;
    }
  } finally {
    useKernels('js');
  }
});

test('options: the accepted ranges at their edges, the defaults, and every refusal message whole', () => {
  // λ and ε are not limited to [0, 1]
  assert.equal(createOptimizer({ kind: 'sgd', weightDecay: 2 }, 1, 'float64').options.weightDecay, 2);
  assert.equal(createOptimizer({ kind: 'adagrad', epsilon: 1 }, 1, 'float64').options.epsilon, 1);
  assert.equal(createOptimizer({ kind: 'rmsprop', epsilon: 3 }, 1, 'float64').options.epsilon, 3);
  // μ, β₁, β₂, ρ may be 0 but not 1
  assert.equal(createOptimizer({ kind: 'momentum', momentum: 0 }, 1, 'float64').options.momentum, 0);
  for (const [kind, key] of [['momentum', 'momentum'], ['nesterov', 'momentum'], ['rmsprop', 'rho'], ['adam', 'beta1'], ['adamw', 'beta2']] as const) {
    assert.throws(() => createOptimizer({ kind, [key]: 1 } as OptimizerOptions, 1, 'float64'),
      (e: unknown) => e instanceof OptionError && e.message === `${key} must be in [0, 1), got 1`, `${kind} ${key} = 1`);
    assert.throws(() => createOptimizer({ kind, [key]: 1.5 } as OptimizerOptions, 1, 'float64'),
      (e: unknown) => e instanceof OptionError && e.message === `${key} must be a number in [0, 1], got 1.5`);
  }
  assert.throws(() => createOptimizer({ kind: 'adam', epsilon: 0 }, 1, 'float64'),
    (e: unknown) => e instanceof OptionError && e.message === 'epsilon must be greater than 0 (it keeps g / (√s + ε) finite), got 0');
  assert.throws(() => createOptimizer({ kind: 'adam', momentum: 0.9 }, 1, 'float64'),
    (e: unknown) => e instanceof OptionError && e.message === 'optimizer option "momentum" does not apply to "adam"; it takes beta1, beta2, epsilon, weightDecay');
  assert.throws(() => createOptimizer({ kind: 'sgd', lr: 1 } as unknown as OptimizerOptions, 1, 'float64'),
    (e: unknown) => e instanceof OptionError && e.message === 'unknown optimizer option "lr"; "sgd" takes weightDecay');
  assert.throws(() => createOptimizer({ kind: 'rmsprop', lr: 1 } as unknown as OptimizerOptions, 1, 'float64'),
    (e: unknown) => e instanceof OptionError && e.message === 'unknown optimizer option "lr"; "rmsprop" takes epsilon, rho, weightDecay');
  for (const bad of [null, 'adam', ['adam'], 3]) {
    assert.throws(() => resolveOptimizerOptions(bad as unknown as OptimizerOptions),
      (e: unknown) => e instanceof OptionError && e.message === 'optimizer options must be an object such as { kind: "adam" }', String(bad));
  }
  // every default, filled in and frozen
  const expected: Record<string, object> = {
    sgd: { kind: 'sgd', weightDecay: 0 },
    momentum: { kind: 'momentum', momentum: 0.9, weightDecay: 0 },
    nesterov: { kind: 'nesterov', momentum: 0.9, weightDecay: 0 },
    adagrad: { kind: 'adagrad', epsilon: 1e-10, weightDecay: 0 },
    rmsprop: { kind: 'rmsprop', epsilon: 1e-8, rho: 0.99, weightDecay: 0 },
    adam: { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 },
    adamw: { kind: 'adamw', beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 },
  };
  for (const kind of KINDS) {
    const r = resolveOptimizerOptions({ kind });
    assert.deepEqual(r, expected[kind], kind);
    assert.ok(Object.isFrozen(r));
  }
  assert.deepEqual(KINDS.map((k) => optimizerSlotNames(k)),
    [[], ['velocity'], ['velocity'], ['sumSquares'], ['meanSquare'], ['m', 'v'], ['m', 'v']]);
  assert.throws(() => optimizerSlotNames('adamax' as never), /optimizer kind must be one of sgd, momentum/);
  assert.throws(() => createOptimizer({ kind: 'sgd' }, 2, 'float16' as never), /dtype must be one of float32, float64/);
});

test('update refuses θ and g of different lengths, naming the part', () => {
  const opt = createOptimizer({ kind: 'sgd' }, 3, 'float64');
  assert.throws(() => opt.update(new Float64Array(3), new Float64Array(2), 0.1),
    (e: unknown) => e instanceof ShapeError && e.message === 'optimizer part 0: θ has 3 values but its gradient has 2; pass ParamSet.data with ParamSet.grad');
  assert.throws(() => opt.updateParts([{ theta: new Float64Array(1), grad: new Float64Array(1) }, { theta: new Float64Array(2), grad: new Float64Array(3) }], 0.1),
    (e: unknown) => e instanceof ShapeError && /^optimizer part 1: θ has 2 values but its gradient has 3/.test(e.message));
  assert.throws(() => opt.updateParts([{ theta: new Float64Array(1), grad: new Float64Array(1) }], 0.1),
    (e: unknown) => e instanceof ShapeError && e.message === 'optimizer update over 1 parameters, but it was created for 3; create one per model (size = params.size)');
  assert.equal(opt.steps, 0, 'a refused update counts no step');
});

test('getState copies the slots; setState takes steps, slots and options, and refuses each bad part by name', () => {
  const a = createOptimizer({ kind: 'adam' }, 2, 'float64');
  const theta = Float64Array.of(1, -2);
  a.update(theta, Float64Array.of(0.5, -1), 0.1);
  const s = a.getState();
  assert.equal(s.kind, 'adam');
  assert.equal(s.steps, 1);
  assert.deepEqual(Object.keys(s.slots), ['m', 'v']);
  assertClose(s.slots['m']!, [0.05, -0.1], 1e-15, 'm = (1 − β₁)·g');
  assertClose(s.slots['v']!, [0.00025, 0.001], 1e-15, 'v = (1 − β₂)·g²');
  s.slots['m']![0] = 99;
  assert.notEqual(a.getState().slots['m']![0], 99, 'getState returns copies');

  // setState's options replace the optimizer's: β₁ = 0 makes the next step use g alone
  const b = createOptimizer({ kind: 'adam' }, 2, 'float64');
  b.setState({ kind: 'adam', steps: 0, slots: { m: new Float64Array(2), v: new Float64Array(2) }, options: { kind: 'adam', beta1: 0, beta2: 0 } });
  assert.deepEqual(b.options, { kind: 'adam', beta1: 0, beta2: 0, epsilon: 1e-8, weightDecay: 0 });
  const t = Float64Array.of(1, -2);
  b.update(t, Float64Array.of(2, -4), 0.1);
  assertClose(t, [1 - 0.2 / (2 + 1e-8), -2 + 0.4 / (4 + 1e-8)], 1e-15, 'β = 0: θ − η·g/(|g| + ε)');
  const c = createOptimizer({ kind: 'momentum' }, 2, 'float64');
  c.setState({ kind: 'momentum', steps: 7, slots: { velocity: Float64Array.of(1, 2) }, options: { kind: 'momentum', momentum: 0.5 } });
  assert.equal(c.steps, 7);
  const u = Float64Array.of(0, 0);
  c.update(u, Float64Array.of(1, 1), 1);
  assert.deepEqual(Array.from(u), [-1.5, -2], 'v ← 0.5·v + g from the restored v');

  const good = a.getState();
  const refuse = (state: unknown, message: string, type: typeof OptionError | typeof ShapeError = OptionError): void => {
    assert.throws(() => a.setState(state as OptimizerState), (e: unknown) => e instanceof type && e.message === message, message);
  };
  refuse(null, 'optimizer state must be an object from getState()');
  refuse('adam', 'optimizer state must be an object from getState()');
  refuse({ ...good, kind: 'sgd' }, 'optimizer state is for "sgd", but this optimizer is "adam"; create it with kind "sgd"');
  refuse({ ...good, steps: -1 }, 'optimizer state steps must be a non-negative integer, got -1');
  refuse({ ...good, steps: 1.5 }, 'optimizer state steps must be a non-negative integer, got 1.5');
  refuse({ ...good, options: { kind: 'adamw' } }, 'optimizer state options are for "adamw", but its kind is "adam"');
  refuse({ ...good, slots: { ...good.slots, velocity: new Float64Array(2) } }, 'optimizer state has unknown slot(s) velocity; "adam" has m, v');
  refuse({ ...good, slots: { ...good.slots, velocity: new Float64Array(2), G: new Float64Array(2) } }, 'optimizer state has unknown slot(s) velocity, G; "adam" has m, v');
  refuse({ ...good, slots: { m: new Float64Array(2), v: [0, 0] } }, 'optimizer state lacks slot "v" (a Float32Array or Float64Array)');
  refuse({ ...good, slots: { m: new Float64Array(3), v: new Float64Array(2) } }, 'optimizer slot "m" has 3 values, expected 2', ShapeError);
  refuse({ ...good, slots: { m: new Float64Array(2), v: new Float32Array(2) } }, 'optimizer slot "v" is float32, but this optimizer\'s dtype is float64', ShapeError);
  const sgd = createOptimizer({ kind: 'sgd' }, 2, 'float64');
  assert.throws(() => sgd.setState({ kind: 'sgd', steps: 0, slots: { m: new Float64Array(2) }, options: { kind: 'sgd' } }),
    (e: unknown) => e instanceof OptionError && e.message === 'optimizer state has unknown slot(s) m; "sgd" has none');
  sgd.setState({ kind: 'sgd', steps: 4, slots: undefined as never, options: { kind: 'sgd' } });
  assert.equal(sgd.steps, 4, 'sgd has no slots: a state without them is whole');
  // a refused state changes nothing
  assert.deepEqual(a.getState(), good);
});
