/**
 * The step-by-step forward (argmax feedback) of every cell with B = 4 and a
 * mask: it equals a whole-sequence forward on the inputs it fed itself.
 * The cells' own tests feed back one sequence (B = 1), where a step's row
 * offset (t − 1)·B cannot be told from (t − 1)/B. Small and fast for
 * `npm run mutate -- cells`.
 */

import { test } from 'node:test';
import { Rng } from '../src/core/rng.js';
import { assertFeedbackEqualsPlainForward } from './helpers/feedback.js';
import { Network } from '../src/model/network.js';

const H = 3;
const K = 3;
const T = 5;
const B = 4;
const MASK = Uint8Array.from([
  1, 0, 1, 1,
  1, 0, 1, 1,
  1, 1, 1, 0,
  0, 1, 1, 1,
  1, 1, 0, 1,
]);

// seeds whose argmax inputs vary (each cell's outputs tend to one symbol under most draws)
for (const [cell, variant, seed] of [['rnn', undefined, 8], ['lstm', undefined, 8], ['gru', 'reset-after', 5], ['gru', 'reset-before', 8]] as const) {
  test(`${cell}${variant ? ` ${variant}` : ''}, argmax feedback with B = ${B} and a mask: equals a whole-sequence forward on the inputs it fed itself`, () => {
    const net = new Network({ cell, ...(variant ? { variant } : {}), inputSize: K, hiddenSize: H, outputSize: K, loss: 'cross-entropy', dtype: 'float64', seed: 5 });
    const rng = new Rng(seed);
    for (let i = 0; i < net.params.size; i++) net.params.data[i] = rng.uniform(-1.5, 1.5);
    assertFeedbackEqualsPlainForward(net, T, B, K, MASK);
  });
}
