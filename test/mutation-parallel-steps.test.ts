/**
 * DataParallel and the replica loop, for `npm run mutate -- parallel`,
 * with the replicas in this thread (test/helpers/in-process-replicas.ts:
 * the real `serveReplica` behind the SpawnReplica option, no worker), so
 * the run is deterministic and fast:
 *
 * - shards worked out by hand (B = 11 on 3 threads: 3, 4, 4 sequences),
 *   and the batch's gradient, J and count equal to one model on the whole
 *   batch (float64, 1e-12: the same sum in another order), ADDED to what
 *   `grad` held, for RNN, LSTM and GRU with masks (a short last batch's
 *   padding sequences), weights, initial states, many-to-one and feedback;
 *   the final states assembled from the shards;
 * - the options, θ and the data block as the replica sees them; the
 *   errors of a thread, a lost thread, a disposed object, each by message;
 * - the trainables (mean-pooled classifier, encoder–decoder with several
 *   parameter sets) split by columns.
 */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Rng } from '../src/core/rng.js';
import { FormatError, OptionError, RecurrentError, ShapeError, TrainingError } from '../src/core/errors.js';
import { Network, type SequenceBatch } from '../src/model/network.js';
import type { BackwardOptions } from '../src/cells/cell.js';
import { Seq2Seq, type Seq2SeqPair } from '../src/seq2seq/model.js';
import { MeanPooledObjective } from '../src/tasks/classify.js';
import { useKernels } from '../src/kernels/select.js';
import type { ParamSet } from '../src/core/params.js';
import { DataParallel, MIN_SEQUENCES_PER_THREAD, threadsFor, type ParallelModel, type SpawnReplica } from '../src/parallel/data-parallel.js';
import { C, CONTROL_BYTES, type ToReplica } from '../src/parallel/protocol.js';
import { serveReplica } from '../src/parallel/replica.js';
import { readColumnsHeader } from '../src/parallel/columns.js';
import { InProcessReplicas, type InProcessReplica } from './helpers/in-process-replicas.js';
import { maxAbsDiff } from './helpers/approx.js';
import { refuses } from './helpers/refuses.js';
import { makeBatch, type BatchFeatures } from './helpers/shard-batch.js';

const replicas = new InProcessReplicas();
const open: DataParallel[] = [];
before(() => {
  useKernels('js');
  replicas.install();
});
after(() => {
  open.forEach((p) => p.dispose());
  replicas.uninstall();
});

/** A DataParallel on in-process replicas, and those replicas. */
async function parallelFor(model: ParallelModel, threads: number, minSequences = 2, timeoutMs = 2000): Promise<{ par: DataParallel; reps: InProcessReplica[] }> {
  const mark = replicas.all.length;
  const par = await DataParallel.create(model, replicas.spawn, { threads, minSequences, timeoutMs });
  open.push(par);
  return { par, reps: replicas.since(mark) };
}

function netFor(cell: 'rnn' | 'lstm' | 'gru', dense: boolean, layers: number, bidirectional = false): Network {
  return new Network(dense
    ? { cell, inputSize: 3, hiddenSize: 4, outputSize: 2, layers, dtype: 'float64', seed: 4, bidirectional }
    : { cell, inputSize: 5, hiddenSize: 4, outputSize: 5, layers, loss: 'cross-entropy', dtype: 'float64', seed: 4, bidirectional });
}

/** One model on the whole batch: J, count, ∂J/∂θ and the final states. */
function reference(net: Network, batch: SequenceBatch, options: BackwardOptions = {}) {
  net.params.zeroGrad();
  const r = net.gradient(batch, options);
  return { ...r, grad: net.params.grad.slice(), states: net.stateAt(batch.T, batch.B).map((s) => ({ h: s.h.slice(), c: s.c?.slice() })) };
}

test('threadsFor: min(cores, ⌊B / minSequences⌋), at least 1, by hand', () => {
  assert.equal(MIN_SEQUENCES_PER_THREAD, 8);
  assert.deepEqual([threadsFor(16, 4), threadsFor(15, 4), threadsFor(7, 4), threadsFor(40, 4), threadsFor(0, 4)], [2, 1, 1, 4, 1]);
  assert.deepEqual([threadsFor(3, 8, 1), threadsFor(24, 3, 8), threadsFor(23, 3, 8), threadsFor(11, 3, 2), threadsFor(5, 3, 2)], [3, 3, 2, 3, 2]);
});

test('create refuses bad options by message; without SharedArrayBuffer more than one thread is refused and one thread still works', async () => {
  const net = netFor('rnn', true, 1);
  const spawn = replicas.spawn;
  for (const threads of [0, 1.5, 257, Number.NaN]) {
    await assert.rejects(DataParallel.create(net, spawn, { threads }), (e: Error) => e instanceof OptionError && e.message === `threads must be an integer in [1, 256], got ${threads}`);
  }
  for (const minSequences of [0, 2.5, -1]) {
    await assert.rejects(DataParallel.create(net, spawn, { threads: 2, minSequences }), (e: Error) => e instanceof OptionError && e.message === `minSequences must be a positive integer, got ${minSequences}`);
  }
  for (const timeoutMs of [0, -5, Number.NaN]) {
    await assert.rejects(DataParallel.create(net, spawn, { threads: 2, timeoutMs }), (e: Error) => e instanceof OptionError && e.message === `timeoutMs must be positive, got ${timeoutMs}`);
  }
  // 256 threads pass the check: the spawn is called (and fails here at once)
  const failing: SpawnReplica = () => { throw new RangeError('no thread for you'); };
  await assert.rejects(DataParallel.create(net, failing, { threads: 256 }), (e: Error) => e instanceof RangeError && e.message === 'no thread for you');
  const one = await DataParallel.create(net, failing, { threads: 1, minSequences: 1, timeoutMs: 1 });
  assert.deepEqual([one.threads, one.minSequences], [1, 1]);
  const saved = globalThis.SharedArrayBuffer;
  try {
    (globalThis as { SharedArrayBuffer: unknown }).SharedArrayBuffer = undefined;
    await assert.rejects(DataParallel.create(net, failing, { threads: 2 }), (e: Error) => e instanceof RecurrentError && (e as RecurrentError).code === 'UNSUPPORTED'
      && e.message === 'multi-threaded training needs SharedArrayBuffer (in a browser: a cross-origin-isolated page); use threads: 1');
    // the way out the message names works: one thread needs no shared memory
    const single = await DataParallel.create(net, failing, { threads: 1 });
    const batch = makeBatch(net, 3, 20, new Rng(1), { dense: true });
    const ref = reference(net, batch);
    net.params.zeroGrad();
    const r = single.gradient(batch);
    assert.deepEqual([r.loss, r.count, net.params.grad], [ref.loss, ref.count, ref.grad]);
  } finally {
    (globalThis as { SharedArrayBuffer: unknown }).SharedArrayBuffer = saved;
  }
});

test('create: each replica gets the model, the kernels, its own control, gradient and data blocks and the shared θ; the defaults', async () => {
  const net = netFor('lstm', false, 2);
  const n = net.params.size;
  const mark = replicas.all.length;
  const par = await DataParallel.create(net, replicas.spawn, { threads: 3 });
  open.push(par);
  assert.deepEqual([par.threads, par.minSequences, par.net === net, par.model === net, par.sets.length, par.sets[0] === net.params], [3, 8, true, true, 1, true]);
  const reps = replicas.since(mark);
  assert.equal(reps.length, 2);
  const setups = reps.map((r) => r.received[0] as Extract<ToReplica, { type: 'setup' }>);
  for (const s of setups) {
    assert.equal(s.type, 'setup');
    assert.deepEqual(s.model, { kind: 'network', config: net.config });
    assert.deepEqual([s.kernels, s.control.byteLength, s.theta.byteLength, s.grad.byteLength, s.data.byteLength, s.generation], ['js', CONTROL_BYTES, n * 8, n * 8, 1024, 0]);
  }
  assert.equal(setups[0]!.theta, setups[1]!.theta, 'one θ for all');
  assert.ok(setups.every((s) => s.theta instanceof SharedArrayBuffer && s.grad instanceof SharedArrayBuffer && s.control instanceof SharedArrayBuffer && s.data instanceof SharedArrayBuffer));
  assert.notEqual(setups[0]!.grad, setups[1]!.grad);
  assert.notEqual(setups[0]!.control, setups[1]!.control);
  assert.deepEqual(reps.map((r) => r.sent), [[{ type: 'ready', kernels: 'js' }], [{ type: 'ready', kernels: 'js' }]]);
});

test('create: a replica that cannot set up, or a thread that fails to start, rejects with the error named by thread; the ports started are terminated', async () => {
  const net = netFor('gru', true, 1);
  // thread 2 fails to start: threads 1 and 2 terminated
  const ports: { terminated: number; fail?: (e: Error) => void }[] = [];
  const spawn: SpawnReplica = () => {
    const rec: { terminated: number; fail?: (e: Error) => void } = { terminated: 0 };
    ports.push(rec);
    let toMain: ((m: { type: 'ready'; kernels: string }) => void) | null = null;
    return {
      postMessage: () => (ports.length === 2 ? rec.fail!(new Error('out of memory')) : toMain!({ type: 'ready', kernels: 'js' })),
      onMessage: (h) => { toMain = h; },
      onError: (h) => { rec.fail = h; },
      terminate: () => { rec.terminated++; },
    };
  };
  await assert.rejects(DataParallel.create(net, spawn, { threads: 4 }), (e: Error) => e instanceof RecurrentError && (e as RecurrentError).code === 'THREAD' && e.message === 'gradient thread 2 failed to start: out of memory');
  assert.deepEqual(ports.map((p) => p.terminated), [1, 1]);
  // a replica whose model cannot be built: its OptionError, named by thread
  const bogus = {
    paramSets: net.params ? [net.params] : [], dtype: 'float64' as const,
    describe: () => ({ kind: 'bogus' }), toColumns: () => { throw new Error('unused'); }, fromColumns: () => { throw new Error('unused'); },
    gradient: () => ({ loss: 0, count: 0 }), loss: () => ({ loss: 0, count: 0 }),
  } as unknown as ParallelModel;
  const mark = replicas.all.length;
  await assert.rejects(DataParallel.create(bogus, replicas.spawn, { threads: 3 }), (e: Error) => e instanceof OptionError && e.message === 'gradient thread 1: a replica cannot build a model of kind bogus');
  assert.deepEqual(replicas.since(mark).map((r) => [r.terminated, r.sent]), [[1, [{ type: 'error', name: 'OptionError', message: 'a replica cannot build a model of kind bogus' }]]]);
});

for (const cell of ['rnn', 'lstm', 'gru'] as const) {
  test(`${cell}: on 3 threads B = 11 splits 3 | 4 | 4; ∂J/∂θ is added to grad and equals one network's, J and count too (float64, 1e-12); the final states are assembled`, async () => {
    const cases: BatchFeatures[] = [
      { dense: false, init: true, weights: true },
      { dense: true, mask: true, last: true },
      { dense: false, mask: true, weights: true, init: true, last: true },
      { dense: false, feedback: true, init: true },
      { dense: true, mask: true, weights: true, padded: 3 }, // a short last batch: 8 real sequences, 3 of padding
    ];
    for (const [i, f] of cases.entries()) {
      const net = netFor(cell, !!f.dense, 2);
      const { par, reps } = await parallelFor(net, 3);
      const T = 5, B = 11;
      const batch = makeBatch(net, T, B, new Rng(10 + i), f);
      const ref = reference(net, batch);
      const what = `${cell} ${JSON.stringify(f)}`;
      net.params.grad.fill(0.5);
      const own = net.gradient.bind(net);
      const mine: number[] = [];
      net.gradient = (b, o) => (mine.push(b.B), own(b, o));
      const r = par.gradient(batch);
      net.gradient = own;
      assert.deepEqual(mine, [3], `${what}: this thread's shard`);
      assert.deepEqual(reps.map((x) => x.steps.map((s) => [s.T, s.B, s.lossLast, s.feedback])), [[[5, 4, f.last ? 1 : 0, f.feedback ? 1 : 0]], [[5, 4, f.last ? 1 : 0, f.feedback ? 1 : 0]]], what);
      assert.equal(r.count, ref.count, what);
      assert.ok(Math.abs(r.loss - ref.loss) <= 1e-12 * Math.abs(ref.loss), `${what}: J ${r.loss} vs ${ref.loss}`);
      assert.ok(maxAbsDiff(net.params.grad, ref.grad.map((g) => g + 0.5)) < 1e-12, `${what}: ∂J/∂θ + 0.5`);
      assert.ok(maxAbsDiff(ref.grad, new Float64Array(ref.grad.length)) > 1e-3, 'the gradient is not trivially zero');
      const states = par.finalState(T, B);
      assert.equal(states.length, 2);
      states.forEach((s, l) => {
        assert.equal(s.h.length, B * 4);
        assert.ok(maxAbsDiff(s.h, ref.states[l]!.h) < 1e-14, `${what}: h(T) of layer ${l}`);
        assert.equal(!!s.c, cell === 'lstm');
        if (s.c) assert.ok(maxAbsDiff(s.c, ref.states[l]!.c!) < 1e-14, `${what}: C(T) of layer ${l}`);
      });
    }
  });
}

test('bidirectional LSTM (states 2H wide) on 3 threads equals one network, final states included', async () => {
  const net = netFor('lstm', false, 2, true);
  const { par } = await parallelFor(net, 3);
  const batch = makeBatch(net, 4, 9, new Rng(3), { mask: true, last: true });
  const ref = reference(net, batch);
  net.params.zeroGrad();
  const r = par.gradient(batch);
  assert.equal(r.count, ref.count);
  assert.ok(maxAbsDiff(net.params.grad, ref.grad) < 1e-12);
  par.finalState(4, 9).forEach((s, l) => {
    assert.equal(s.h.length, 9 * 8);
    assert.ok(maxAbsDiff(s.h, ref.states[l]!.h) < 1e-14);
    assert.ok(maxAbsDiff(s.c!, ref.states[l]!.c!) < 1e-14);
  });
});

test('lazy replicas (they run only while this thread waits for them): the same sums; θ changed between steps reaches them, and each step starts from a zero gradient', async () => {
  replicas.mode = 'lazy';
  try {
    const net = netFor('gru', true, 1);
    const { par, reps } = await parallelFor(net, 3);
    assert.deepEqual(reps.map((r) => r.mode), ['lazy', 'lazy']);
    const batch = makeBatch(net, 4, 12, new Rng(5), { mask: true, weights: true, minWeight: 0.5 });
    for (let step = 0; step < 3; step++) {
      const ref = reference(net, batch);
      net.params.zeroGrad();
      const r = par.gradient(batch);
      assert.equal(r.count, ref.count);
      assert.ok(Math.abs(r.loss - ref.loss) <= 1e-12 * ref.loss, `step ${step}: J`);
      assert.ok(maxAbsDiff(net.params.grad, ref.grad) < 1e-12, `step ${step}: ∂J/∂θ`);
      net.params.data.forEach((v, i) => { net.params.data[i] = v - 0.05 * ref.grad[i]!; });
    }
    assert.deepEqual(reps.map((r) => r.steps.map((s) => s.B)), [[4, 4, 4], [4, 4, 4]]);
  } finally {
    replicas.mode = 'eager';
  }
});

test('fewer shards than replicas: the idle ones keep no stale shard; finalState after a change of B, and of a shape not run (the network\'s own refusal)', async () => {
  const net = netFor('lstm', true, 1);
  const { par, reps } = await parallelFor(net, 4, 3);
  const rng = new Rng(8);
  // B = 12 → 4 shards of 3; B = 7 → 2 shards, 3 | 4 (replicas 2 and 3 idle); B = 9 → 3 shards of 3
  for (const B of [12, 7, 12, 9]) {
    const batch = makeBatch(net, 3, B, rng, { dense: true, init: true });
    const ref = reference(net, batch);
    net.params.zeroGrad();
    par.gradient(batch);
    assert.ok(maxAbsDiff(net.params.grad, ref.grad) < 1e-12, `B = ${B}`);
    const s = par.finalState(3, B);
    assert.equal(s[0]!.h.length, B * 4);
    assert.ok(maxAbsDiff(s[0]!.h, ref.states[0]!.h) < 1e-14, `h(T), B = ${B}`);
    assert.ok(maxAbsDiff(s[0]!.c!, ref.states[0]!.c!) < 1e-14, `C(T), B = ${B}`);
  }
  assert.deepEqual(reps.map((r) => r.steps.map((s) => s.B)), [[3, 4, 3, 3], [3, 3, 3], [3, 3]]);
  // the last gradient ran on shards: another T or B is not what they computed
  const fresh = netFor('rnn', true, 1);
  const p2 = (await parallelFor(fresh, 2)).par;
  p2.gradient(makeBatch(fresh, 3, 6, rng, { dense: true }));
  refuses(() => p2.finalState(2, 6), OptionError, 'stateAt: no forward pass of that shape has run');
  refuses(() => p2.finalState(3, 5), OptionError, 'stateAt: no forward pass of that shape has run');
  // then one thread (initGradient), same T and B: the network's own state, not the shards' of the step before
  const again = makeBatch(fresh, 3, 6, rng, { dense: true });
  fresh.params.zeroGrad();
  const withInit = p2.gradient(again, { initGradient: true });
  assert.ok(withInit.initGradient, 'initGradient is computed here');
  const own = fresh.stateAt(3, 6)[0]!.h.slice();
  assert.deepEqual([...p2.finalState(3, 6)[0]!.h], [...own]);
});

test('initGradient and batches below 2·minSequences stay on this thread, bit for bit', async () => {
  const net = netFor('rnn', false, 2);
  const { par, reps } = await parallelFor(net, 2, 4);
  const rng = new Rng(2);
  const batch = makeBatch(net, 3, 8, rng, { init: true });
  net.params.zeroGrad();
  const one = net.gradient(batch, { initGradient: true });
  const g = net.params.grad.slice();
  const init1 = one.initGradient!.map((s) => [...s.h]);
  net.params.zeroGrad();
  const two = par.gradient(batch, { initGradient: true });
  assert.deepEqual([two.loss, two.count, net.params.grad], [one.loss, one.count, g]);
  assert.deepEqual(two.initGradient!.map((s) => [...s.h]), init1);
  const small = makeBatch(net, 3, 7, rng, {});
  const ref = reference(net, small);
  net.params.zeroGrad();
  const r = par.gradient(small);
  assert.deepEqual([r.loss, r.count, net.params.grad], [ref.loss, ref.count, ref.grad]);
  assert.equal(reps[0]!.steps.length, 0, 'no step handed over');
  // 8 = 2·4: two shards
  net.params.zeroGrad();
  par.gradient(batch);
  assert.deepEqual(reps[0]!.steps.map((s) => s.B), [4]);
});

test('the backward options reach the replicas: truncation k (⌊k⌋, 0 for ∞), the lecture formulas; the next step clears them', async () => {
  const net = netFor('rnn', true, 1);
  const { par, reps } = await parallelFor(net, 2);
  const batch = makeBatch(net, 7, 8, new Rng(3), { dense: true });
  const exact = reference(net, batch).grad;
  for (const [options, truncate, lecture] of [[{ truncate: 3 }, 3, 0], [{ truncate: 1 }, 1, 0], [{ truncate: Infinity }, 0, 0], [{ gradientMode: 'lecture' as const }, 0, 1], [{}, 0, 0]] as const) {
    const ref = reference(net, batch, options).grad;
    if (truncate > 0 || lecture > 0) assert.ok(maxAbsDiff(ref, exact) > 1e-6, `${JSON.stringify(options)} changes the gradient`);
    net.params.zeroGrad();
    par.gradient(batch, options);
    assert.ok(maxAbsDiff(net.params.grad, ref) < 1e-12, JSON.stringify(options));
    const seen = reps[0]!.steps.at(-1)!;
    assert.deepEqual([seen.truncate, seen.lecture], [truncate, lecture], JSON.stringify(options));
  }
});

test('the data block: a shard of exactly 1024 bytes fits the first; a bigger one gets a new block of ⌈1.25·need⌉ bytes, a new generation, sent before the step', async () => {
  // RNN, D = 4, H = 4, float64, index y, weights; a shard of 4 sequences of T steps:
  // x 128T, y 16T, weights 32, h(T) 128 bytes → T = 6: 1024; T = 7: 1168; T = 9: 1456; T = 10: 1600
  const net = new Network({ cell: 'rnn', inputSize: 4, hiddenSize: 4, outputSize: 3, loss: 'cross-entropy', dtype: 'float64', seed: 2 });
  const { par, reps } = await parallelFor(net, 2);
  const rep = reps[0]!;
  const rng = new Rng(4);
  const blocks = () => rep.received.filter((m) => m.type === 'data').map((m) => [m.data.byteLength, m.generation]);
  for (const [T, expected] of [[6, []], [7, [[1460, 1]]], [6, [[1460, 1]]], [9, [[1460, 1]]], [10, [[1460, 1], [2000, 2]]]] as const) {
    const batch: SequenceBatch = {
      T, B: 8,
      x: { kind: 'dense', data: Float64Array.from({ length: T * 8 * 4 }, () => rng.uniform(-1, 1)) },
      y: { kind: 'index', data: Int32Array.from({ length: T * 8 }, () => rng.int(3)) },
      weights: Float64Array.from({ length: 8 }, () => rng.uniform(0.5, 1.5)),
    };
    const ref = reference(net, batch);
    net.params.zeroGrad();
    const r = par.gradient(batch);
    assert.deepEqual(blocks(), expected, `T = ${T}`);
    assert.equal(rep.steps.at(-1)!.generation, expected.length, `T = ${T}: the step names the block's generation`);
    assert.ok(maxAbsDiff(net.params.grad, ref.grad) < 1e-12, `T = ${T}`);
    assert.ok(Math.abs(r.loss - ref.loss) < 1e-12 * ref.loss);
    const s = par.finalState(T, 8);
    assert.ok(maxAbsDiff(s[0]!.h, ref.states[0]!.h) < 1e-14);
  }
});

test('an error raised on a replica comes back as the library\'s class with its message (others as THREAD); the threads go on; an error in this thread\'s shard waits for the replicas', async () => {
  const net = netFor('rnn', true, 1);
  const { par, reps } = await parallelFor(net, 3);
  const batch = makeBatch(net, 3, 9, new Rng(6), { dense: true });
  const ref = reference(net, batch);
  const proto = Network.prototype;
  const original = proto.gradient;
  const raise = (who: 'replicas' | 'main', e: unknown) => {
    proto.gradient = function (this: Network, b, o) {
      if ((this === net) === (who === 'main')) throw e;
      return original.call(this, b, o);
    };
  };
  try {
    for (const [e, type, code] of [
      [new OptionError('an option'), OptionError, 'OPTION'], [new ShapeError('a shape'), ShapeError, 'SHAPE'],
      [new TrainingError('a training'), TrainingError, 'TRAINING'], [new FormatError('a format'), FormatError, 'FORMAT'],
      [new RangeError('a range'), RecurrentError, 'THREAD'], ['a string', RecurrentError, 'THREAD'],
    ] as const) {
      raise('replicas', e);
      assert.throws(() => par.gradient(batch), (x: Error) => x instanceof type && (x as RecurrentError).code === code && x.message === (typeof e === 'string' ? e : e.message));
      proto.gradient = original;
      net.params.zeroGrad();
      const r = par.gradient(batch);
      assert.ok(maxAbsDiff(net.params.grad, ref.grad) < 1e-12, 'the next step works');
      assert.equal(r.count, ref.count);
    }
  } finally {
    proto.gradient = original;
  }
  // this thread's shard throws: the replicas (lazy: they run only when waited for) still finish their step
  replicas.mode = 'lazy';
  try {
    const lazy = await parallelFor(net, 3);
    raise('main', new ShapeError('mine'));
    refuses(() => lazy.par.gradient(batch), ShapeError, 'mine');
    proto.gradient = original;
    for (const r of lazy.reps) assert.equal(Atomics.load(r.ints!, C.DONE), Atomics.load(r.ints!, C.SEQ), 'the replica finished');
    assert.deepEqual(lazy.reps.map((r) => r.steps.length), [1, 1]);
    net.params.zeroGrad();
    lazy.par.gradient(batch);
    assert.ok(maxAbsDiff(net.params.grad, ref.grad) < 1e-12);
  } finally {
    proto.gradient = original;
    replicas.mode = 'eager';
  }
  assert.deepEqual(reps.map((r) => r.steps.length), [12, 12]);
});

test('a replica that never finishes: a TrainingError naming the thread after timeoutMs', async () => {
  const net = netFor('rnn', true, 1);
  const { par, reps } = await parallelFor(net, 3, 2, 30);
  reps[1]!.mode = 'dead';
  const batch = makeBatch(net, 2, 6, new Rng(1), { dense: true });
  refuses(() => par.gradient(batch), TrainingError,
    'gradient thread 2 did not finish its shard within 30 ms; it may have run out of memory. Train with threads: 1 to see the error');
  // the default, 120 s, on a clock that runs 50 s per reading
  const mark = replicas.all.length;
  const slow = await DataParallel.create(net, replicas.spawn, { threads: 2, minSequences: 2 });
  open.push(slow);
  replicas.since(mark)[0]!.mode = 'dead';
  const now = Date.now;
  let clock = 0;
  Date.now = () => (clock += 50_000);
  try {
    refuses(() => slow.gradient(batch), TrainingError,
      'gradient thread 1 did not finish its shard within 120000 ms; it may have run out of memory. Train with threads: 1 to see the error');
  } finally {
    Date.now = now;
  }
});

test('a thread that may not block (a browser\'s main thread, where Atomics.wait throws) polls until its replicas are done', async () => {
  const net = netFor('rnn', true, 1);
  const batch = makeBatch(net, 2, 6, new Rng(2), { dense: true });
  const ref = reference(net, batch);
  const now = Date.now;
  replicas.mainMayWait = false;
  try {
    const { par, reps } = await parallelFor(net, 2);
    reps[0]!.mode = 'dead';
    // the replica finishes while this thread polls: at its second reading of the clock
    let readings = 0;
    Date.now = () => {
      if (++readings === 2) reps[0]!.wake();
      return now();
    };
    net.params.zeroGrad();
    const r = par.gradient(batch);
    Date.now = now;
    assert.equal(readings, 2);
    assert.equal(reps[0]!.steps.length, 1);
    assert.equal(r.count, ref.count);
    assert.ok(maxAbsDiff(net.params.grad, ref.grad) < 1e-12);
  } finally {
    Date.now = now;
    replicas.mainMayWait = true;
  }
});

test('dispose: each replica is told to exit (its loop ends and closes), each port terminated once; the object refuses to compute', async () => {
  const net = netFor('rnn', true, 1);
  const { par, reps } = await parallelFor(net, 3);
  par.gradient(makeBatch(net, 2, 6, new Rng(1), { dense: true }));
  par.dispose();
  assert.deepEqual(reps.map((r) => [r.closed, r.terminated, r.ints![C.CMD]]), [[1, 1, 2], [1, 1, 2]]);
  par.dispose();
  assert.deepEqual(reps.map((r) => [r.closed, r.terminated]), [[1, 1], [1, 1]]);
  refuses(() => par.gradient(makeBatch(net, 2, 6, new Rng(1), { dense: true })), OptionError, 'this DataParallel was disposed');
});

test('a network trains on a SequenceBatch: anything else is refused, and a bad batch by the network\'s own message', async () => {
  const net = netFor('rnn', true, 1);
  const { par, reps } = await parallelFor(net, 2);
  const x = { kind: 'dense', data: new Float64Array(36) };
  const y = { kind: 'dense', data: new Float64Array(24) };
  for (const b of [null, 'batch', 7, { x, y, B: 6 }, { T: 2, y, B: 6 }, { T: 2, x, B: 6 }]) {
    refuses(() => par.gradient(b), ShapeError, 'a network trains on a SequenceBatch');
  }
  refuses(() => par.gradient({ T: 2, B: 6, x, y: { kind: 'dense', data: new Float64Array(23) } }), ShapeError, 'batch.y has 23 values, expected T×B×K = 2×6×2 = 24');
  assert.equal(reps[0]!.steps.length, 0);
});

test('the replicas use the main thread\'s kernel family: JavaScript, or WebAssembly', async () => {
  try {
    const k = useKernels('wasm');
    const net = new Network({ cell: 'gru', inputSize: 3, hiddenSize: 4, outputSize: 3, seed: 1, kernels: k });
    useKernels('js');
    const { par, reps } = await parallelFor(net, 2);
    const setup = reps[0]!.received[0] as Extract<ToReplica, { type: 'setup' }>;
    assert.equal(setup.kernels, 'wasm');
    assert.equal(setup.theta.byteLength, net.params.size * 4, 'float32: 4 bytes per parameter');
    assert.equal(setup.grad.byteLength, net.params.size * 4);
    const ready = reps[0]!.sent[0] as { type: 'ready'; kernels: string };
    assert.equal(ready.kernels, k.name);
    assert.ok(k.name.startsWith('wasm'));
    const batch: SequenceBatch = { T: 3, B: 4, x: { kind: 'dense', data: Float32Array.from({ length: 36 }, (_, i) => Math.sin(i)) }, y: { kind: 'dense', data: Float32Array.from({ length: 36 }, (_, i) => Math.cos(i)) } };
    net.params.zeroGrad();
    const one = net.gradient(batch);
    const g1 = Float64Array.from(net.params.grad);
    net.params.zeroGrad();
    const two = par.gradient(batch);
    assert.ok(maxAbsDiff(net.params.grad, g1) < 1e-5 * Math.max(...g1.map(Math.abs)));
    assert.ok(Math.abs(two.loss - one.loss) < 1e-5 * one.loss);
  } finally {
    useKernels('js');
  }
});

test('serveReplica: a data message before the setup is ignored; a setup that throws (an Error or not) is reported by name and message', () => {
  const box: { handler?: (m: ToReplica) => void; closed: number } = { closed: 0 };
  const posted: unknown[] = [];
  serveReplica({ onMessage: (h) => { box.handler = h; }, postMessage: (m) => posted.push(m), close: () => { box.closed++; } });
  const handler = (m: ToReplica) => box.handler!(m);
  handler({ type: 'data', data: new SharedArrayBuffer(8), generation: 3 });
  assert.deepEqual(posted, []);
  const setup = { type: 'setup', kernels: 'js', control: new SharedArrayBuffer(CONTROL_BYTES), theta: new SharedArrayBuffer(8), grad: new SharedArrayBuffer(8), data: new SharedArrayBuffer(8), generation: 0 };
  handler({ ...setup, model: { kind: 'nothing' } } as unknown as ToReplica);
  handler({ ...setup, model: { get kind(): string { throw 'not an Error'; } } } as unknown as ToReplica);
  assert.deepEqual(posted, [
    { type: 'error', name: 'OptionError', message: 'a replica cannot build a model of kind nothing' },
    { type: 'error', name: 'Error', message: 'not an Error' },
  ]);
  assert.equal(box.closed, 0);
});

// --- trainables: split by columns ---

/** Labelled sequences for a mean-pooled classifier: T = 4, lengths 1–4 (mask), the class at the last real step, −1 elsewhere. */
function pooledBatch(B: number, rng: Rng, D: number, classes: number): SequenceBatch {
  const T = 4;
  const len = Array.from({ length: B }, () => 1 + rng.int(T));
  const mask = Uint8Array.from({ length: T * B }, (_, r) => (Math.floor(r / B) < len[r % B]! ? 1 : 0));
  const y = Int32Array.from({ length: T * B }, (_, r) => (Math.floor(r / B) === len[r % B]! - 1 ? rng.int(classes) : -1));
  return {
    T, B, mask, y: { kind: 'index', data: y },
    x: { kind: 'index', data: Int32Array.from({ length: T * B }, () => rng.int(D)) },
    weights: Float64Array.from({ length: B }, () => rng.uniform(0.5, 2)),
  };
}

const gradOf = (sets: readonly ParamSet[]): Float64Array => Float64Array.from(sets.flatMap((p) => [...p.grad]));

test('mean-pooled classifier on 3 threads: columns split 3 | 3 | 4, ∂J/∂θ added and equal to one model\'s (float64, 1e-12); below 2·minSequences one thread, bit for bit; no finalState', async () => {
  const model = new MeanPooledObjective(new Network({ cell: 'gru', inputSize: 5, hiddenSize: 4, outputSize: 3, dtype: 'float64', seed: 7 }));
  const { par, reps } = await parallelFor(model, 3, 3);
  const rng = new Rng(12);
  const batch = pooledBatch(10, rng, 5, 3);
  model.net.params.zeroGrad();
  const one = model.gradient(batch);
  const g1 = gradOf(model.paramSets);
  model.net.params.grad.fill(0.25);
  const seen: number[] = [];
  const own = model.gradient.bind(model);
  model.gradient = (b) => (seen.push(b.B), own(b));
  const many = par.gradient(batch, { truncate: 2 });
  model.gradient = own;
  assert.deepEqual(seen, [3]);
  // a trainable's shard size is in its data block's header (columns.ts), not in the control block
  assert.deepEqual(reps.map((r) => [readColumnsHeader(r.current!.data).B, r.steps.map((s) => s.truncate)]), [[3, [2]], [4, [2]]]);
  assert.equal(many.count, one.count);
  assert.ok(Math.abs(many.loss - one.loss) <= 1e-12 * one.loss, `J ${many.loss} vs ${one.loss}`);
  assert.ok(maxAbsDiff(gradOf(model.paramSets), g1.map((g) => g + 0.25)) < 1e-12);
  const small = pooledBatch(5, rng, 5, 3);
  model.net.params.zeroGrad();
  const s1 = model.gradient(small);
  const gs = gradOf(model.paramSets);
  model.net.params.zeroGrad();
  const s2 = par.gradient(small);
  assert.deepEqual([s2, gradOf(model.paramSets)], [s1, gs]);
  assert.equal(reps[0]!.steps.length, 1, 'the small batch was not handed over');
  refuses(() => par.finalState(4, 10), OptionError, 'finalState needs a network (a trainable carries no state between batches)');
});

function pairs(n: number, rng: Rng): Seq2SeqPair[] {
  return Array.from({ length: n }, () => ({
    source: Array.from({ length: 1 + rng.int(4) }, () => rng.int(5)),
    target: Array.from({ length: rng.int(4) }, () => rng.int(4)),
  }));
}

test('encoder–decoder (several parameter sets, θ end to end) on 2 threads: equal to one model over three steps with θ moving (float64, 1e-12)', async () => {
  const model = new Seq2Seq({ cell: 'lstm', sourceVocabSize: 5, targetVocabSize: 4, hiddenSize: 3, dtype: 'float64', seed: 3, attention: 'luong' });
  assert.ok(model.paramSets.length > 1);
  const { par, reps } = await parallelFor(model, 2);
  const rng = new Rng(4);
  const shardSizes: number[] = [];
  for (let step = 0; step < 3; step++) {
    const batch = model.makeBatch(pairs(7, rng));
    model.zeroGrad();
    const one = model.gradient(batch);
    const g1 = gradOf(model.paramSets);
    model.zeroGrad();
    const two = par.gradient(batch);
    assert.equal(two.count, one.count);
    assert.ok(Math.abs(two.loss - one.loss) <= 1e-12 * one.loss, `step ${step}: J`);
    assert.ok(maxAbsDiff(gradOf(model.paramSets), g1) < 1e-12, `step ${step}: ∂J/∂θ`);
    shardSizes.push(readColumnsHeader(reps[0]!.current!.data).B);
    let at = 0;
    for (const p of model.paramSets) {
      p.data.forEach((v, i) => { p.data[i] = v - 0.1 * g1[at + i]!; });
      at += p.size;
    }
  }
  assert.deepEqual(shardSizes, [4, 4, 4]);
  assert.equal(reps[0]!.steps.length, 3);
});
