/**
 * A long run of SymbolStream.step + sampleIndex allocates (almost) nothing
 * per step (JS heap and wasm heap) and copies no operand in or out of the
 * wasm memory. (The values the stream computes: sample-stream.test.ts.)
 *
 * Relaxed SIMD is switched on (v8 flag) before the library is imported, as
 * the CLI and the benchmark do; gc is exposed to measure the young
 * generation between runs.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const { useKernels, wasmSupport } = await import('../src/kernels/index.js');
const { Network } = await import('../src/model/network.js');
const { Rng } = await import('../src/core/rng.js');
const { SymbolStream, sampleIndex } = await import('../src/text/sample.js');
type WasmKernels = import('../src/kernels/wasm.js').WasmKernels;

test('a long generation loop allocates next to nothing per step and copies nothing into the wasm memory', () => {
  if (!wasmSupport().simd) return;
  const k = useKernels('wasm') as WasmKernels;
  const newSpaceUsed = (): number => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_used_size;
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    const net = new Network({ cell, layers: 2, inputSize: 85, hiddenSize: 64, outputSize: 85, loss: 'cross-entropy', seed: 1 });
    const stream = new SymbolStream(net);
    const rng = new Rng(1);
    const options = { temperature: 1 };
    let s = 0;
    const run = (n: number): void => {
      for (let i = 0; i < n; i++) s = sampleIndex(stream.step(s), options, rng);
    };
    run(6000); // past the compiler's warm-up
    const heapBytes = k.heap.bytesInUse;
    const staged = k.heap.stagedFloats;
    // Bytes the young generation gained per step, best of five runs short
    // enough for no scavenge to interrupt one (the stream before this change
    // allocated 150–650 bytes per step here). What is left: the views
    // Cell.beginSequence cuts when the stream's ring of 32 steps wraps,
    // about 3 bytes per step per state array.
    const steps = 1000;
    let perStep = Infinity;
    for (let rep = 0; rep < 5; rep++) {
      gc();
      const before = newSpaceUsed();
      run(steps);
      perStep = Math.min(perStep, (newSpaceUsed() - before) / steps);
    }
    assert.ok(perStep < 32, `${cell}: ${perStep.toFixed(1)} bytes allocated per step`);
    assert.equal(k.heap.bytesInUse, heapBytes, `${cell}: wasm heap in use unchanged`);
    assert.equal(k.heap.stagedFloats, staged, `${cell}: no operand copied in or out of the wasm memory`);
  }
  useKernels('auto');
});
