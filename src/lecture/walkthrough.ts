/**
 * The worked example computed end to end, as plain data: the forward pass,
 * δo, both gradients, and training with each gradient mode. The CLI's
 * `rnnkit lecture` prints it; the playground renders it.
 */

import { toRows } from '../core/tensor.js';
import type { Network } from '../model/network.js';
import { gradientDescent } from '../train/gradient-descent.js';
import { lectureBatch, lectureNetwork } from './example.js';

export type GradientMode = 'exact' | 'lecture';

export interface LectureGradients {
  readonly dU: number[][];
  readonly dV: number[][];
  readonly dW: number[][];
}

export interface LectureTraining {
  /** Parameter updates until |ΔRMSE| < tol (or the step limit). */
  readonly updates: number;
  readonly converged: boolean;
  /** RMSE before each update and at the end (updates + 1 values). */
  readonly rmse: number[];
  readonly U: number[][];
  readonly V: number[][];
  readonly W: number[][];
  readonly yhat: number[][];
  /** argmax of ŷ(t) as the counting symbols 1, 2, 3. */
  readonly sequence: number[];
}

export interface LectureWalkthrough {
  readonly weights: { readonly U: number[][]; readonly V: number[][]; readonly W: number[][] };
  readonly forward: {
    readonly h: number[][];
    readonly yhat: number[][];
    /** argmax of each ŷ(t), as symbols 1..3. */
    readonly sequence: number[];
    readonly target: number[];
    readonly J: number;
    readonly rmse: number;
    readonly deltaO: number[][];
  };
  readonly gradients: Partial<Record<GradientMode, LectureGradients>>;
  readonly training: Partial<Record<GradientMode, LectureTraining>>;
  readonly settings: { readonly learningRate: number; readonly tolerance: number; readonly maxSteps: number };
}

export interface WalkthroughOptions {
  readonly modes?: readonly GradientMode[];
  readonly learningRate?: number;
  readonly tolerance?: number;
  readonly maxSteps?: number;
  /** Starting weights other than the slides' (the playground edits them). */
  readonly weights?: { readonly U?: number[][]; readonly V?: number[][]; readonly W?: number[][] };
}

/** Runs the worked example of docs/maths.md §5 and returns every number it shows. */
export function lectureWalkthrough(options: WalkthroughOptions = {}): LectureWalkthrough {
  const modes = options.modes ?? ['exact', 'lecture'];
  const learningRate = options.learningRate ?? 0.1;
  const tolerance = options.tolerance ?? 1e-4;
  const maxSteps = options.maxSteps ?? 10_000;
  const fresh = (): Network => {
    const net = lectureNetwork();
    if (options.weights?.U) net.params.view('layer0.U').set(options.weights.U.flat());
    if (options.weights?.V) net.params.view('V').set(options.weights.V.flat());
    if (options.weights?.W) net.params.view('layer0.W').set(options.weights.W.flat());
    return net;
  };
  const batch = lectureBatch();
  const net = fresh();
  const yhat = net.forward(batch);
  const h = [net.stateAt(1, 1)[0]!.h, net.stateAt(2, 1)[0]!.h].map((v) => Array.from(v));
  const yhatRows = toRows(yhat, 2, 3);
  net.params.zeroGrad();
  const first = net.gradient(batch);
  const target = [2, 3];
  // δo(t) = 2(ŷ(t) − y(t)) for the linear output and squared error
  const y = [[0, 1, 0], [0, 0, 1]];
  const deltaO = yhatRows.map((row, t) => row.map((v, j) => 2 * (v - y[t]![j]!)));
  const gradients: Partial<Record<GradientMode, LectureGradients>> = {};
  const training: Partial<Record<GradientMode, LectureTraining>> = {};
  for (const mode of modes) {
    const g = fresh();
    g.params.zeroGrad();
    g.gradient(batch, { gradientMode: mode });
    gradients[mode] = {
      dU: toRows(g.params.gradView('layer0.U'), 3, 2),
      dV: toRows(g.params.gradView('V'), 2, 3),
      dW: toRows(g.params.gradView('layer0.W'), 2, 2),
    };
    const t = fresh();
    const result = gradientDescent(t, batch, { learningRate, tolerance, maxSteps, gradientMode: mode });
    const out = toRows(t.forward(batch), 2, 3);
    training[mode] = {
      updates: result.updates,
      converged: result.converged,
      rmse: result.rmse,
      U: toRows(t.params.view('layer0.U'), 3, 2),
      V: toRows(t.params.view('V'), 2, 3),
      W: toRows(t.params.view('layer0.W'), 2, 2),
      yhat: out,
      sequence: out.map(argmax1),
    };
  }
  return {
    weights: {
      U: toRows(net.params.view('layer0.U'), 3, 2),
      V: toRows(net.params.view('V'), 2, 3),
      W: toRows(net.params.view('layer0.W'), 2, 2),
    },
    forward: {
      h,
      yhat: yhatRows,
      sequence: yhatRows.map(argmax1),
      target,
      J: first.loss,
      rmse: Math.sqrt(first.loss / first.count),
      deltaO,
    },
    gradients,
    training,
    settings: { learningRate, tolerance, maxSteps },
  };
}

/** The 1-based index of the largest element (the counting symbol). */
function argmax1(row: readonly number[]): number {
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j]! > row[best]!) best = j;
  return best + 1;
}
