/**
 * `rnnkit lecture`: the worked example of docs/maths.md §5 as a walkthrough —
 * weights, forward pass, δo, the exact and the lecture gradients side by
 * side, then gradient-descent training with each.
 */

import { lectureWalkthrough, type GradientMode, type LectureWalkthrough } from '../../lecture/walkthrough.js';
import type { Command } from '../args.js';
import { fmt, labelled, sideBySide, matrixLines } from '../format.js';

export const lectureCommand: Command = {
  name: 'lecture',
  summary: 'walk through the lecture\'s worked example: forward pass, BPTT, training',
  usage: '[options]',
  description: [
    'The counting example: input 1, expect 2 then 3 (one-hot, D = K = 3, H = 2, linear',
    'activations, squared error, no biases), from the slides\' starting weights.',
    'The exact gradient is the true ∂J/∂θ; the lecture gradient follows the slides\'',
    'formulas, which are not (see docs/maths.md §5).',
  ].join('\n'),
  options: [
    { name: 'gradient', type: 'choice', choices: ['exact', 'lecture', 'both'], default: 'both', help: 'which gradient to show and train with' },
    { name: 'lr', type: 'number', min: 0, exclusiveMin: true, default: 0.1, arg: 'η', help: 'learning rate of gradient descent' },
    { name: 'tol', type: 'number', min: 0, default: 1e-4, arg: 'TOL', help: 'stop when |RMSE(now) − RMSE(previous)| < TOL' },
    { name: 'max-steps', type: 'int', min: 1, default: 10000, arg: 'N', help: 'stop after N updates at most' },
  ],
  async run(args, io) {
    const g = args.options.gradient as 'exact' | 'lecture' | 'both';
    const modes: GradientMode[] = g === 'both' ? ['exact', 'lecture'] : [g];
    const w = lectureWalkthrough({
      modes,
      learningRate: args.options.lr as number,
      tolerance: args.options.tol as number,
      maxSteps: args.options['max-steps'] as number,
    });
    io.out(args.json ? JSON.stringify(w, null, 2) + '\n' : formatWalkthrough(w, modes).join('\n') + '\n');
    return 0;
  },
};

/**
 * δneth(t) of exact BPTT for the example's linear hidden layer (g_h' = 1),
 * docs/maths.md §4: δneth(T) = δo(T)·Vᵀ, δneth(t) = δo(t)·Vᵀ + δneth(t+1)·Wᵀ.
 */
export function exactHiddenDeltas(deltaO: readonly (readonly number[])[], V: readonly (readonly number[])[], W: readonly (readonly number[])[]): number[][] {
  const timesT = (a: readonly number[], M: readonly (readonly number[])[]): number[] => M.map((row) => row.reduce((s, m, j) => s + m * a[j]!, 0));
  const out: number[][] = [];
  let next: number[] | null = null;
  for (let t = deltaO.length; t >= 1; t--) {
    const d = timesT(deltaO[t - 1]!, V);
    if (next) timesT(next, W).forEach((v, i) => (d[i]! += v));
    out[t - 1] = d;
    next = d;
  }
  return out;
}

/** The walkthrough as lines of at most 80 columns. */
export function formatWalkthrough(w: LectureWalkthrough, modes: readonly GradientMode[]): string[] {
  const f = w.forward;
  const out: string[] = [];
  const rule = (title: string): void => {
    out.push('', `── ${title} ${'─'.repeat(Math.max(0, 74 - title.length))}`);
  };
  out.push('The counting example: input 1, expect 2 then 3.');
  out.push('One-hot 1→[1,0,0], 2→[0,1,0], 3→[0,0,1]; x(1) = [1,0,0], x(2) = [0,0,0].');
  out.push('D = K = 3, H = 2, g_h and g_o linear, no biases,');
  out.push('J = Σ_t (y(t) − ŷ(t))ᵀ(y(t) − ŷ(t)).');
  rule('Weights');
  out.push(...sideBySide([
    { title: 'U (input → hidden)', lines: matrixLines(w.weights.U) },
    { title: 'W (hidden → hidden)', lines: matrixLines(w.weights.W) },
    { title: 'V (hidden → output)', lines: matrixLines(w.weights.V) },
  ]));
  rule('Forward: h(t) = h(t−1)·W + x(t)·U,  ŷ(t) = h(t)·V');
  for (let t = 0; t < f.h.length; t++) {
    out.push(`t = ${t + 1}:  h = ${matrixLines([f.h[t]!])[0]}  ŷ = ${matrixLines([f.yhat[t]!])[0]}  argmax → ${f.sequence[t]}`);
  }
  out.push(`Output (${f.sequence.join(', ')}); wanted (${f.target.join(', ')}).   J = ${fmt(f.J)}   RMSE = sqrt(J/T) = ${fmt(f.rmse)}`);
  rule('Output deltas: δo(t) = 2(ŷ(t) − y(t))');
  f.deltaO.forEach((d, t) => out.push(`δo(${t + 1}) = ${matrixLines([d])[0]}`));
  if (modes.includes('exact')) {
    rule('Backward, exact: δneth(t) = δo(t)·Vᵀ + δneth(t+1)·Wᵀ  (g_h\' = 1)');
    const dNet = exactHiddenDeltas(f.deltaO, w.weights.V, w.weights.W);
    const formula = (t: number): string => (t === dNet.length ? `δo(${t})·Vᵀ` : `δo(${t})·Vᵀ + δneth(${t + 1})·Wᵀ`);
    const width = Math.max(...dNet.map((_, i) => formula(i + 1).length));
    for (let t = dNet.length; t >= 1; t--) out.push(`δneth(${t}) = ${formula(t).padEnd(width)} = ${matrixLines([dNet[t - 1]!])[0]}`);
  }
  rule('Gradients');
  const first = w.gradients[modes[0]!]!;
  out.push(...labelled('∂J/∂V = Σ_t h(t)ᵀ·δo(t)', first.dV), '(the same in both modes)');
  const blocks = modes.map((m) => ({ title: m === 'exact' ? 'exact BPTT' : 'lecture slides', grads: w.gradients[m]! }));
  out.push('', ...sideBySide(blocks.map((b) => ({ title: `∂J/∂W, ${b.title}`, lines: matrixLines(b.grads.dW) }))));
  out.push('', ...sideBySide(blocks.map((b) => ({ title: `∂J/∂U, ${b.title}`, lines: matrixLines(b.grads.dU) }))));
  if (modes.length === 2) {
    out.push('');
    out.push('Why W and U differ: exact BPTT pairs the input of step t (h(t−1) or x(t))');
    out.push('with δneth(t), the losses of step t and of every later step carried back to');
    out.push('step t. The slides pair it with the loss of step t alone, carried back t − 1');
    out.push('steps to step 1: for W that is an extra factor Wᵀ; for U the path from the');
    out.push('loss at step 2 back through W is lost (x(2) = 0). Only the exact one is ∂J/∂θ;');
    out.push('see docs/maths.md §5.');
  }
  rule(`Training: gradient descent, η = ${w.settings.learningRate}, stop when |ΔRMSE| < ${w.settings.tolerance}`);
  for (const m of modes) {
    const t = w.training[m]!;
    out.push(`${m === 'exact' ? 'Exact BPTT' : 'Lecture gradients'}: ${t.converged ? 'stopped' : 'step limit reached'} after ${t.updates} updates, RMSE ${fmt(t.rmse[0]!)} → ${fmt(t.rmse[t.rmse.length - 1]!)}`);
    out.push(...sideBySide([
      { title: 'U', lines: matrixLines(t.U) },
      { title: 'W', lines: matrixLines(t.W) },
      { title: 'V', lines: matrixLines(t.V) },
    ]).map((l) => `  ${l}`));
    t.yhat.forEach((row, i) => out.push(`  ŷ(${i + 1}) = ${matrixLines([row])[0]}`));
    out.push(`  argmax → (${t.sequence.join(', ')})${t.sequence.join() === f.target.join() ? ', as wanted' : ''}`, '');
  }
  return out;
}
