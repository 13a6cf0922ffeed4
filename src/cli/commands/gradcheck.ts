/**
 * `rnnkit gradcheck`: builds a small random float64 problem for a cell
 * type and compares every parameter's BPTT gradient with central finite
 * differences (src/model/gradcheck.ts), reported per weight set of
 * docs/maths.md §1 (U, W, V; the gates' W_f, W_i, W_o, W_C or W_z, W_r, W_n,
 * each as its x part and its h part; the biases). Exit code 1 when any
 * weight set's relative error exceeds 1e-6.
 */

import { Rng } from '../../core/rng.js';
import { CELL_KINDS, type CellKind } from '../../cells/cell.js';
import { gradientCheck } from '../../model/gradcheck.js';
import { Network, type SequenceBatch } from '../../model/network.js';
import type { Command } from '../args.js';

/** The three sequence shapes of docs/maths.md §2. */
export const SEQUENCE_SHAPES = ['one-to-many', 'many-to-one', 'many-to-many'] as const;
export type SequenceShape = (typeof SEQUENCE_SHAPES)[number];

/** The largest relative error the check accepts. */
export const GRADCHECK_TOLERANCE = 1e-6;

/**
 * Step of the central differences. Rounding in J(θ ± ε) contributes about
 * 1e-16·|J|/ε to each numeric derivative, the truncation about ε²; 1e-5
 * balances the two for these small problems (measured over many seeds:
 * worst relative error ~3e-8 up to 4 layers, against ~1e-6 with ε = 1e-6).
 */
export const GRADCHECK_EPSILON = 1e-5;

/**
 * Floor of the relative error's denominator, as a fraction of the loss J:
 * the error of a weight set is ‖a − n‖ / max(‖a‖ + ‖n‖, 1e-3·J). Rounding
 * makes each central difference uncertain by about 1e-16·J/ε ≈ 1e-11·J, so a
 * set whose gradient is a few 1e-6·J in norm (deep LSTM gates without biases
 * have them) cannot be resolved to 1e-6 relative; below the floor it is held
 * to an absolute error of 1e-9·J instead. Measured over 2,400 problems (25
 * seeds × every cell and GRU variant, shape, depth 1–4, biases on and off):
 * the worst correct set scores 6.7e-8.
 */
export const GRADCHECK_FLOOR_PER_J = 1e-3;

/** Deepest stack the command checks: below it the lowest layers' gradients sink under the finite differences' resolution. */
export const GRADCHECK_MAX_LAYERS = 4;

/** A random gradient-check problem; every field but `cell` has a default. */
export interface GradcheckProblemOptions {
  readonly cell: CellKind;
  /** Stacked recurrent layers. Default 1. */
  readonly layers?: number;
  /** Default `"many-to-many"`. */
  readonly shape?: SequenceShape;
  /** Default true. */
  readonly bias?: boolean;
  /** Seed of parameters and data. Default 1. */
  readonly seed?: number;
  /** The GRU's `"reset-after"` (default) or `"reset-before"`. */
  readonly variant?: string;
  /** Sizes. Defaults D = 3, H = 4, K = 2, T = 4, B = 2. */
  readonly D?: number;
  readonly H?: number;
  readonly K?: number;
  readonly T?: number;
  readonly B?: number;
  /** Each sequence's length (≤ T); shorter ones are padded and masked. Default: all T. */
  readonly lengths?: readonly number[];
  /** Parameters are drawn from U(−scale, scale). Default 1. */
  readonly scale?: number;
  /** Bidirectional layers (both directions' weights are checked). Default false. */
  readonly bidirectional?: boolean;
}

/**
 * A float64 network with every parameter (biases too) drawn from U(−1, 1),
 * so no gradient is structurally zero and the signal survives a few stacked
 * layers, and a batch of the requested shape:
 * - one-to-many: x(1) is the seed, x(t) = 0 after it, loss at every step;
 * - many-to-one: input at every step, loss at each sequence's last step;
 * - many-to-many: input and loss at every step.
 */
export function gradcheckProblem(o: GradcheckProblemOptions): { net: Network; batch: SequenceBatch } {
  const { D = 3, H = 4, K = 2, T = 4, B = 2, shape = 'many-to-many', seed = 1 } = o;
  const net = new Network({
    cell: o.cell, inputSize: D, hiddenSize: H, outputSize: K, layers: o.layers ?? 1,
    bias: o.bias ?? true, dtype: 'float64', seed,
    ...(o.variant !== undefined ? { variant: o.variant } : {}),
    ...(o.bidirectional ? { bidirectional: true } : {}),
  });
  const rng = new Rng(seed + 7919);
  const p = net.params.data;
  const a = o.scale ?? 1;
  for (let i = 0; i < p.length; i++) p[i] = rng.uniform(-a, a);
  const x = new Float64Array(T * B * D);
  for (let i = 0; i < (shape === 'one-to-many' ? B * D : x.length); i++) x[i] = rng.uniform(-1, 1);
  const y = new Float64Array(T * B * K);
  for (let i = 0; i < y.length; i++) y[i] = rng.uniform(-1, 1);
  let mask: Uint8Array | undefined;
  if (o.lengths) {
    mask = new Uint8Array(T * B);
    for (let t = 1; t <= T; t++) for (let b = 0; b < B; b++) mask[(t - 1) * B + b] = t <= o.lengths[b]! ? 1 : 0;
  }
  const batch: SequenceBatch = {
    T, B,
    x: { kind: 'dense', data: x },
    y: { kind: 'dense', data: y },
    lossAt: shape === 'many-to-one' ? 'last' : 'all',
    ...(mask ? { mask } : {}),
  };
  return { net, batch };
}

export const gradcheckCommand: Command = {
  name: 'gradcheck',
  summary: 'check BPTT gradients against central finite differences on a random problem',
  usage: '[options]',
  description: [
    'Builds a small random float64 problem (D = 3, H = 4, K = 2, T = 4, B = 2, every',
    'parameter drawn uniformly from [−1, 1]), computes ∂J/∂θ by BPTT and by central',
    `differences, (J(θ + ε) − J(θ − ε)) / 2ε with ε = ${GRADCHECK_EPSILON.toExponential(0)}, and prints the`,
    `relative error ‖a − n‖ / max(‖a‖ + ‖n‖, ${GRADCHECK_FLOOR_PER_J.toExponential(0)}·J) of each weight set of`,
    'docs/maths.md §1 (the floor holds a set too small for finite differences to',
    'resolve to an absolute error instead):',
    '  rnn   U, W, b_h',
    '  lstm  W_f, W_i, W_o, W_C, each as its x part (.x, multiplies x(t)) and its',
    '        h part (.h, multiplies h(t−1)); b_f, b_i, b_og, b_C',
    '  gru   W_z, W_r, W_n the same way; b_z, b_r, b_n, b_hn (reset-after)',
    'then the output layer\'s V and b_o; layer0. is the bottom layer.',
    `Exit code 1 if any exceeds ${GRADCHECK_TOLERANCE.toExponential(0)}. At most ${GRADCHECK_MAX_LAYERS} layers: deeper, the lowest`,
    'layers\' gradients fall below what finite differences resolve in float64.',
    'The same check is the library function gradientCheck(network, batches),',
    'whose result has perParameter (stored matrices) and perWeightSet.',
  ].join('\n'),
  options: [
    { name: 'cell', type: 'choice', choices: CELL_KINDS, default: 'rnn', help: 'cell type' },
    { name: 'layers', type: 'int', min: 1, max: GRADCHECK_MAX_LAYERS, default: 1, arg: 'L', help: 'stacked recurrent layers' },
    { name: 'shape', type: 'choice', choices: SEQUENCE_SHAPES, default: 'many-to-many', help: 'sequence shape' },
    { name: 'bias', type: 'boolean', default: true, help: 'biases on (--no-bias: off)' },
    { name: 'variant', type: 'choice', choices: ['reset-after', 'reset-before'], help: 'GRU variant (default reset-after)' },
    { name: 'seed', type: 'int', min: 0, default: 1, arg: 'S', help: 'seed of the parameters and data' },
    { name: 'bidirectional', type: 'boolean', default: false, help: 'bidirectional layers: each reads the sequence both ways' },
  ],
  async run(args, io) {
    const cell = args.options.cell as CellKind;
    const variant = args.options.variant as string | undefined;
    const layers = args.options.layers as number;
    const shape = args.options.shape as SequenceShape;
    const bias = args.options.bias as boolean;
    const seed = args.options.seed as number;
    const bidirectional = args.options.bidirectional as boolean;
    const { net, batch } = gradcheckProblem({
      cell, layers, shape, bias, seed, bidirectional,
      ...(variant !== undefined && cell === 'gru' ? { variant } : {}),
    });
    if (variant !== undefined && cell !== 'gru') io.err(`rnnkit: --variant applies to the GRU only; ignored for ${cell}\n`);
    const floor = Math.max(GRADCHECK_FLOOR_PER_J * Math.abs(net.loss(batch).loss), Number.MIN_VALUE);
    const result = gradientCheck(net, batch, { epsilon: GRADCHECK_EPSILON, floor });
    const worst = result.maxWeightSetError;
    const ok = worst <= GRADCHECK_TOLERANCE;
    if (args.json) {
      io.out(JSON.stringify({ maxRelError: worst, perWeightSet: result.perWeightSet }) + '\n');
    } else {
      const what = `${bidirectional ? 'bidirectional ' : ''}${cell}${cell === 'gru' ? ` (${variant ?? 'reset-after'})` : ''}, ${layers} layer${layers === 1 ? '' : 's'}, ${shape}, biases ${bias ? 'on' : 'off'}, seed ${seed}`;
      io.out(formatResult(what, result.perWeightSet, worst, ok).join('\n') + '\n');
    }
    return ok ? 0 : 1;
  },
};

function formatResult(what: string, errors: Record<string, number>, worst: number, ok: boolean): string[] {
  const names = Object.keys(errors);
  const width = Math.max(9, ...names.map((n) => n.length)) + 2;
  const e = (v: number): string => v.toExponential(2);
  return [
    `Gradient check: ${what}`,
    `BPTT vs central differences (float64, ε = ${GRADCHECK_EPSILON.toExponential(0)}); relative error per weight set:`,
    '',
    ...names.map((n) => `  ${n.padEnd(width)}${e(errors[n]!)}`),
    '',
    `  ${'worst'.padEnd(width)}${e(worst)}   ${ok ? 'OK' : 'FAIL'} (tolerance ${GRADCHECK_TOLERANCE.toExponential(0)})`,
  ];
}
