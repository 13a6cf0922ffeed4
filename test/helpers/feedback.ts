/**
 * The check of the step-by-step forward (argmax feedback): a network fed
 * back its own argmax equals a whole-sequence forward on the inputs it fed
 * itself.
 */

import assert from 'node:assert/strict';
import type { Network, SequenceBatch } from '../../src/model/network.js';

/**
 * Runs `net` (K symbols in and out) with argmax feedback over T steps of B
 * sequences under `mask`, sequence b starting from symbol b mod K, then
 * asserts that the fed inputs vary and that a plain forward on them gives
 * the same outputs, bit for bit.
 */
export function assertFeedbackEqualsPlainForward(net: Network, T: number, B: number, K: number, mask: Uint8Array): void {
  const x = new Int32Array(T * B).fill(-1);
  for (let b = 0; b < B; b++) x[b] = b % K;
  const batch: SequenceBatch = { T, B, x: { kind: 'index', data: x }, y: { kind: 'index', data: new Int32Array(T * B) }, feedback: 'argmax', mask };
  const fed = Float64Array.from(net.forward(batch));
  const inputs = Int32Array.from(x);
  for (let t = 1; t < T; t++) {
    for (let b = 0; b < B; b++) {
      let best = 0;
      for (let j = 1; j < K; j++) if (fed[((t - 1) * B + b) * K + j]! > fed[((t - 1) * B + b) * K + best]!) best = j;
      inputs[t * B + b] = best;
    }
  }
  assert.ok(new Set(inputs.subarray(B)).size > 1, 'the fed inputs vary');
  const plain = net.forward({ ...batch, x: { kind: 'index', data: inputs }, feedback: 'none' });
  assert.deepEqual(Array.from(plain), Array.from(fed));
}
