/**
 * Data-parallel training (DataParallel on Node worker threads): a batch's
 * gradient, J, count and final states computed on 2–3 threads equal the
 * single-threaded ones up to summation order (float64: 1e-12), for every
 * cell and batch feature; fit with `parallel` follows the same trajectory;
 * small batches stay on one thread; errors come back as the library's own.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { Rng } from '../src/core/rng.js';
import { OptionError } from '../src/core/errors.js';
import { Network, type NetworkOptions, type SequenceBatch } from '../src/model/network.js';
import { StreamBatches, symbolStream } from '../src/data/windows.js';
import { fit } from '../src/train/fit.js';
import { createDataParallel } from '../src/node/parallel.js';
import type { DataParallel } from '../src/parallel/data-parallel.js';
import { maxAbsDiff } from './helpers/approx.js';
import { makeBatch } from './helpers/shard-batch.js';

const open: DataParallel[] = [];
after(() => open.forEach((p) => p.dispose()));

async function parallelFor(net: Network, threads: number, minSequences = 2): Promise<DataParallel> {
  const p = await createDataParallel(net, { threads, minSequences });
  open.push(p);
  return p;
}

function netFor(cell: 'rnn' | 'lstm' | 'gru', dense: boolean, layers: number): Network {
  const o: NetworkOptions = dense
    ? { cell, inputSize: 3, hiddenSize: 5, outputSize: 2, layers, dtype: 'float64', seed: 4 }
    : { cell, inputSize: 6, hiddenSize: 5, outputSize: 6, layers, loss: 'cross-entropy', dtype: 'float64', seed: 4 };
  return new Network(o);
}

for (const cell of ['rnn', 'lstm', 'gru'] as const) {
  test(`${cell}: the gradient, J, count and final states on 3 threads equal one thread's (float64, 1e-12), with masks, weights, initial states, argmax feedback, dense and index data`, async () => {
    const cases = [
      { dense: false, init: true, weights: true },
      { dense: true, mask: true, last: true },
      { dense: false, mask: true, weights: true, init: true, last: true },
      { dense: false, feedback: true, init: true }, // one-to-many: each step's input is the argmax of the step before
    ];
    for (const [i, f] of cases.entries()) {
      const net = netFor(cell, !!f.dense, 2);
      const par = await parallelFor(net, 3);
      const rng = new Rng(10 + i);
      const T = 5, B = 11;
      const batch = makeBatch(net, T, B, rng, f);
      net.params.zeroGrad();
      const one = net.gradient(batch);
      const g1 = net.params.grad.slice();
      const s1 = net.stateAt(T, B).map((s) => ({ h: s.h.slice(), c: s.c?.slice() }));
      net.params.zeroGrad();
      const many = par.gradient(batch);
      const what = `${cell} case ${i} ${JSON.stringify(f)}`;
      assert.equal(many.count, one.count, what);
      assert.ok(Math.abs(many.loss - one.loss) <= 1e-12 * Math.abs(one.loss), `${what}: J ${many.loss} vs ${one.loss}`);
      const d = maxAbsDiff(net.params.grad, g1);
      assert.ok(d < 1e-12, `${what}: max |Δ∂J/∂θ| = ${d}`);
      assert.ok(maxAbsDiff(g1, new Float64Array(g1.length)) > 1e-3, 'the gradient is not trivially zero');
      par.finalState(T, B).forEach((s, l) => {
        assert.ok(maxAbsDiff(s.h, s1[l]!.h) < 1e-14, `${what}: h(T) of layer ${l}`);
        if (s1[l]!.c) assert.ok(maxAbsDiff(s.c!, s1[l]!.c!) < 1e-14, `${what}: C(T) of layer ${l}`);
      });
    }
  });
}

test('truncated BPTT and the lecture formulas pass through to the threads', async () => {
  const net = netFor('rnn', true, 1);
  const par = await parallelFor(net, 2);
  const batch = makeBatch(net, 7, 8, new Rng(3), { dense: true });
  for (const options of [{ truncate: 3 }, { gradientMode: 'lecture' as const }]) {
    net.params.zeroGrad();
    net.gradient(batch, options);
    const g1 = net.params.grad.slice();
    net.params.zeroGrad();
    net.gradient(batch);
    const exact = net.params.grad.slice();
    assert.ok(maxAbsDiff(g1, exact) > 1e-6, `${JSON.stringify(options)} changes the gradient`);
    net.params.zeroGrad();
    par.gradient(batch, options);
    assert.ok(maxAbsDiff(net.params.grad, g1) < 1e-12, JSON.stringify(options));
  }
});

test('a batch that outgrows the shared block gets a new one; a batch below 2·minSequences stays on this thread, bit for bit', async () => {
  const net = netFor('lstm', false, 1);
  const par = await parallelFor(net, 2, 4);
  const rng = new Rng(8);
  for (const [T, B] of [[2, 8], [40, 16], [3, 9], [60, 30]] as const) {
    const batch = makeBatch(net, T, B, rng, { init: true });
    net.params.zeroGrad();
    net.gradient(batch);
    const g1 = net.params.grad.slice();
    net.params.zeroGrad();
    par.gradient(batch);
    assert.ok(maxAbsDiff(net.params.grad, g1) < 1e-12, `T=${T} B=${B}`);
  }
  const small = makeBatch(net, 4, 7, rng, {}); // 7 < 2·4: one thread
  net.params.zeroGrad();
  net.gradient(small);
  const g1 = net.params.grad.slice();
  net.params.zeroGrad();
  par.gradient(small);
  assert.deepEqual(net.params.grad, g1);
});

test('fit with parallel follows the single-threaded trajectory on stateful stream windows (float64, Adam, 2 epochs)', async () => {
  const rng = new Rng(21);
  const tokens = Int32Array.from({ length: 16 * 20 + 1 }, () => rng.int(5));
  const opts = { cell: 'lstm' as const, inputSize: 5, hiddenSize: 6, outputSize: 5, layers: 2, loss: 'cross-entropy' as const, dtype: 'float64' as const, seed: 2 };
  const run = async (parallel: boolean) => {
    const net = new Network(opts);
    const data = new StreamBatches(symbolStream(tokens, 5), { batchSize: 16, seqLen: 6 });
    const r = await fit(net, data, { optimizer: { kind: 'adam' }, learningRate: 0.01, epochs: 2, ...(parallel ? { parallel: await parallelFor(net, 2, 4) } : {}) });
    return { theta: net.params.data.slice(), losses: r.history.steps.map((s) => s.loss) };
  };
  const one = await run(false);
  const two = await run(true);
  assert.ok(one.losses.length >= 8, `${one.losses.length} steps`);
  assert.ok(one.losses.at(-1)! < one.losses[0]!, 'the loss fell');
  assert.ok(maxAbsDiff(two.losses, one.losses) < 1e-10, `losses differ by ${maxAbsDiff(two.losses, one.losses)}`);
  assert.ok(maxAbsDiff(two.theta, one.theta) < 1e-9, `θ differs by ${maxAbsDiff(two.theta, one.theta)}`);
});

test('float32 on the default kernels: 2 threads agree with one to float32 rounding', async () => {
  const net = new Network({ cell: 'lstm', inputSize: 40, hiddenSize: 32, outputSize: 40, loss: 'cross-entropy', seed: 6 });
  const par = await parallelFor(net, 2);
  const rng = new Rng(4);
  const T = 12, B = 32;
  const batch: SequenceBatch = { T, B, x: { kind: 'index', data: Int32Array.from({ length: T * B }, () => rng.int(40)) }, y: { kind: 'index', data: Int32Array.from({ length: T * B }, () => rng.int(40)) } };
  net.params.zeroGrad();
  const one = net.gradient(batch);
  const g1 = Float64Array.from(net.params.grad);
  net.params.zeroGrad();
  const two = par.gradient(batch);
  const scale = Math.max(...g1.map(Math.abs));
  assert.ok(maxAbsDiff(net.params.grad, g1) < 1e-5 * scale, `max diff ${maxAbsDiff(net.params.grad, g1)} vs max |g| ${scale}`);
  assert.ok(Math.abs(two.loss - one.loss) < 1e-5 * one.loss);
});

test('bad use gets a clear error: thread counts, another network, a disposed object, errors raised on a thread', async () => {
  const net = netFor('gru', true, 1);
  await assert.rejects(createDataParallel(net, { threads: 0 }), (e: Error) => e instanceof OptionError && /threads must be an integer/.test(e.message));
  await assert.rejects(createDataParallel(net, { threads: 2, minSequences: 0 }), /minSequences must be a positive integer/);
  const par = await parallelFor(net, 2);
  const other = netFor('gru', true, 1);
  const data = new StreamBatches(symbolStream(new Int32Array(50), 3), { batchSize: 4, seqLen: 5 });
  await assert.rejects(fit(other, data, { parallel: par, epochs: 1 }), /parallel was made for another network/);
  // lecture mode is refused for a GRU on every thread: the caller sees the OptionError
  const batch = makeBatch(net, 4, 8, new Rng(1), { dense: true });
  assert.throws(() => par.gradient(batch, { gradientMode: 'lecture' }), (e: Error) => e instanceof OptionError && /lecture/.test(e.message));
  // the threads survive an error: the next step works
  net.params.zeroGrad();
  par.gradient(batch);
  const p2 = await createDataParallel(net, { threads: 2 });
  p2.dispose();
  assert.throws(() => p2.gradient(batch), /disposed/);
});

test('resume with threads is bit for bit: 12 steps straight equal 5, then a new network and DataParallel resumed from θ and the state, then 7 (float32, stateful windows)', async () => {
  const rng = new Rng(31);
  const tokens = Int32Array.from({ length: 16 * 40 + 1 }, () => rng.int(7));
  const opts = { cell: 'gru' as const, inputSize: 7, hiddenSize: 8, outputSize: 7, loss: 'cross-entropy' as const, seed: 5 };
  const data = () => new StreamBatches(symbolStream(tokens, 7), { batchSize: 16, seqLen: 5 });
  const options = { optimizer: { kind: 'adam' as const }, learningRate: 0.01, epochs: 10 };
  const straightNet = new Network(opts);
  const straight = await fit(straightNet, data(), { ...options, maxSteps: 12, parallel: await parallelFor(straightNet, 2, 4) });
  const firstNet = new Network(opts);
  const first = await fit(firstNet, data(), { ...options, maxSteps: 5, parallel: await parallelFor(firstNet, 2, 4) });
  const net = new Network(opts);
  net.params.data.set(firstNet.params.data);
  const resumed = await fit(net, data(), { ...options, maxSteps: 12, resume: first.state, parallel: await parallelFor(net, 2, 4) });
  assert.deepEqual(net.params.data, straightNet.params.data);
  assert.deepEqual([...first.history.steps, ...resumed.history.steps].map((s) => s.loss), straight.history.steps.map((s) => s.loss));
});

test('the threads do not keep a process alive: a script that never disposes still exits', () => {
  const parallel = new URL('../src/node/parallel.js', import.meta.url).href;
  const network = new URL('../src/model/network.js', import.meta.url).href;
  const script = `
    const { createDataParallel } = await import(${JSON.stringify(parallel)});
    const { Network } = await import(${JSON.stringify(network)});
    const net = new Network({ cell: 'rnn', inputSize: 3, hiddenSize: 4, outputSize: 3, loss: 'cross-entropy' });
    const p = await createDataParallel(net, { threads: 2, minSequences: 2 });
    const x = new Int32Array(12), y = new Int32Array(12);
    p.gradient({ T: 3, B: 4, x: { kind: 'index', data: x }, y: { kind: 'index', data: y } });
    console.log('stepped');`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.signal, null, 'the process had to be killed: it did not exit on its own');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'stepped');
});

test('bidirectional networks (states 2H wide): 3 threads equal one thread (float64, 1e-12), with masks and many-to-one', async () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    for (const f of [{ dense: false, mask: true }, { dense: true, mask: true, last: true }]) {
      const base = netFor(cell, f.dense, 2).config;
      const net = new Network({ ...base, seed: 4, bidirectional: true });
      const par = await parallelFor(net, 3);
      const T = 5, B = 11;
      const batch = makeBatch(net, T, B, new Rng(21), f);
      net.params.zeroGrad();
      const one = net.gradient(batch);
      const g1 = net.params.grad.slice();
      const s1 = net.stateAt(T, B).map((s) => s.h.slice());
      net.params.zeroGrad();
      const many = par.gradient(batch);
      const what = `bidirectional ${cell} ${JSON.stringify(f)}`;
      assert.equal(many.count, one.count, what);
      assert.ok(Math.abs(many.loss - one.loss) <= 1e-12 * Math.abs(one.loss), `${what}: J ${many.loss} vs ${one.loss}`);
      assert.ok(maxAbsDiff(net.params.grad, g1) < 1e-12, `${what}: ∂J/∂θ`);
      assert.ok(maxAbsDiff(g1, new Float64Array(g1.length)) > 1e-3, 'the gradient is not trivially zero');
      par.finalState(T, B).forEach((s, l) => {
        assert.equal(s.h.length, B * 2 * net.config.hiddenSize, `${what}: h(T) of layer ${l} is 2H wide`);
        assert.ok(maxAbsDiff(s.h, s1[l]!) < 1e-14, `${what}: h(T) of layer ${l}`);
      });
    }
  }
});
