/**
 * The lecture's worked example, "counting" (docs/maths.md §5): input 1, expect 2
 * then 3. One-hot 1→[1,0,0], 2→[0,1,0], 3→[0,0,1]; D = K = 3, H = 2,
 * no biases, linear g_h and g_o, squared error, one-to-many with zero input
 * after the seed. The weights are the slides' starting values.
 */

import { Network, type SequenceBatch } from '../model/network.js';
import type { Kernels } from '../core/kernels.js';

/** Starting U (D×H = 3×2), from the slides. */
export const LECTURE_U = [[-0.1565, 0.9190], [0.8315, 0.3115], [0.5844, -0.9286]];
/** Starting W (H×H = 2×2), from the slides. */
export const LECTURE_W = [[0.3110, 0.4121], [-0.6576, -0.9363]];
/** Starting V (H×K = 2×3), from the slides. */
export const LECTURE_V = [[0.6983, 0.3575, 0.4863], [0.8680, 0.5155, -0.2155]];

/** The example's network, float64, with the slides' weights loaded. */
export function lectureNetwork(kernels?: Kernels): Network {
  const net = new Network({
    cell: 'rnn', inputSize: 3, hiddenSize: 2, outputSize: 3, layers: 1,
    hiddenActivation: 'linear', outputActivation: 'linear', loss: 'mse', bias: false, dtype: 'float64',
    ...(kernels ? { kernels } : {}),
  });
  net.params.view('layer0.U').set(LECTURE_U.flat());
  net.params.view('layer0.W').set(LECTURE_W.flat());
  net.params.view('V').set(LECTURE_V.flat());
  return net;
}

/** The example's one sequence: x(1) = [1,0,0], x(2) = 0; y(1) = [0,1,0], y(2) = [0,0,1]. */
export function lectureBatch(): SequenceBatch {
  return {
    T: 2,
    B: 1,
    x: { kind: 'dense', data: new Float64Array([1, 0, 0, 0, 0, 0]) },
    y: { kind: 'dense', data: new Float64Array([0, 1, 0, 0, 0, 1]) },
  };
}
