/**
 * Data-parallel training of the models `fit` trains besides a plain
 * Network: the encoder–decoder (bidirectional encoder, attention, padded
 * pairs of different lengths) and the mean-pooled classifier. Their batches
 * split by sequence (column shards), each replica rebuilt from the model's
 * description; 2 threads must equal 1 thread to 1e-6 in float64, after
 * several updates (θ and the losses), and a batch's gradient must be the
 * full sum (a dropped shard fails).
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { Rng } from '../src/core/rng.js';
import { OptionError } from '../src/core/errors.js';
import { Network } from '../src/model/network.js';
import { Seq2Seq, type Seq2SeqOptions, type Seq2SeqPair } from '../src/seq2seq/model.js';
import { PairBatches } from '../src/data/pairs.js';
import { SequenceBatches } from '../src/data/batches.js';
import { sequenceSet, type SequencePair } from '../src/data/sequences.js';
import { MeanPooledObjective } from '../src/tasks/classify.js';
import { fit } from '../src/train/fit.js';
import { createDataParallel } from '../src/node/parallel.js';
import type { DataParallel, ParallelModel } from '../src/parallel/data-parallel.js';
import type { ParamSet } from '../src/core/params.js';
import { maxAbsDiff } from './helpers/approx.js';

const open: DataParallel[] = [];
after(() => open.forEach((p) => p.dispose()));

async function parallelFor(model: ParallelModel, threads: number, minSequences = 2): Promise<DataParallel> {
  const p = await createDataParallel(model, { threads, minSequences });
  open.push(p);
  return p;
}

const thetaOf = (sets: readonly ParamSet[]): Float64Array => Float64Array.from(sets.flatMap((p) => [...p.data]));
const gradOf = (sets: readonly ParamSet[]): Float64Array => Float64Array.from(sets.flatMap((p) => [...p.grad]));

const S2S: Seq2SeqOptions = {
  cell: 'lstm', sourceVocabSize: 7, targetVocabSize: 5, hiddenSize: 6, layers: 2, dtype: 'float64', seed: 3,
  bidirectional: true, attention: 'luong',
};

/** Pairs with sources of 1–7 symbols and targets of 0–6: batches are padded. */
function pairs(n: number, seed: number): Seq2SeqPair[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => ({
    source: Array.from({ length: 1 + rng.int(7) }, () => rng.int(7)),
    target: Array.from({ length: rng.int(7) }, () => rng.int(5)),
  }));
}

test('seq2seq (LSTM, 2 layers, bidirectional encoder, attention, padded pairs): a batch gradient on 2 threads is the full sum (float64, 1e-12), not one shard', async () => {
  const model = new Seq2Seq(S2S);
  const par = await parallelFor(model, 2);
  const batch = model.makeBatch(pairs(10, 5));
  model.zeroGrad();
  const one = model.gradient(batch);
  const g1 = gradOf(model.paramSets);
  // what the first shard (5 of the 10 pairs) alone gives: a dropped shard would leave this
  model.zeroGrad();
  const half = model.gradient(model.fromColumns(shardOf(model.toColumns(batch), 0, 5)));
  const gHalf = gradOf(model.paramSets);
  model.zeroGrad();
  const seen: number[] = [];
  const own = model.gradient.bind(model);
  model.gradient = (b) => (seen.push(b.B), own(b));
  const two = par.gradient(batch);
  model.gradient = own;
  const g2 = gradOf(model.paramSets);
  assert.deepEqual(seen, [5], 'this thread computed its shard of 5 pairs, the replica the other 5');
  assert.ok(maxAbsDiff(gHalf, g1) > 1e-3, `one shard's gradient is far from the batch's (${maxAbsDiff(gHalf, g1)})`);
  assert.ok(maxAbsDiff(g2, g1) < 1e-12, `gradients differ by ${maxAbsDiff(g2, g1)}`);
  assert.ok(Math.abs(two.loss - one.loss) < 1e-12 * one.loss, `J ${two.loss} vs ${one.loss}`);
  assert.equal(two.count, one.count);
  assert.ok(half.count < one.count);
});

test('seq2seq: fit with 2 threads follows 1 thread over 12 updates (θ and losses to 1e-6, float64, Adam)', async () => {
  const data = pairs(48, 9);
  const run = async (threads: number) => {
    const model = new Seq2Seq(S2S);
    const source = new PairBatches(model, data, { batchSize: 8 });
    const r = await fit(model, source, {
      optimizer: { kind: 'adam' }, learningRate: 0.02, epochs: 2, seed: 4,
      ...(threads > 1 ? { parallel: await parallelFor(model, threads) } : {}),
    });
    return { theta: thetaOf(model.paramSets), losses: r.history.steps.map((s) => s.loss) };
  };
  const one = await run(1);
  const two = await run(2);
  assert.equal(one.losses.length, 12);
  assert.ok(one.losses.at(-1)! < one.losses[0]!, 'the loss fell');
  assert.ok(maxAbsDiff(two.losses, one.losses) < 1e-6, `losses differ by ${maxAbsDiff(two.losses, one.losses)}`);
  assert.ok(maxAbsDiff(two.theta, one.theta) < 1e-6, `θ differs by ${maxAbsDiff(two.theta, one.theta)}`);
  assert.ok(maxAbsDiff(two.theta, thetaOf(new Seq2Seq(S2S).paramSets)) > 1e-2, 'θ moved');
});

test('seq2seq resume with threads is bit for bit: 12 steps straight equal 5, then a new model and DataParallel resumed from θ and the state, then 7 (float32, 2 threads)', async () => {
  const data = pairs(64, 13);
  const opts: Seq2SeqOptions = { ...S2S, cell: 'gru', layers: 1, dtype: 'float32' };
  const options = { optimizer: { kind: 'adam' as const }, learningRate: 0.01, epochs: 10, seed: 2 };
  const train = async (model: Seq2Seq, maxSteps: number, resume?: Awaited<ReturnType<typeof fit>>['state']) =>
    fit(model, new PairBatches(model, data, { batchSize: 16 }), { ...options, maxSteps, ...(resume ? { resume } : {}), parallel: await parallelFor(model, 2) });
  const straightModel = new Seq2Seq(opts);
  const straight = await train(straightModel, 12);
  const firstModel = new Seq2Seq(opts);
  const first = await train(firstModel, 5);
  const model = new Seq2Seq(opts);
  model.paramSets.forEach((p, i) => p.data.set(firstModel.paramSets[i]!.data));
  const resumed = await train(model, 12, first.state);
  model.paramSets.forEach((p, i) => assert.deepEqual(p.data, straightModel.paramSets[i]!.data));
  assert.deepEqual([...first.history.steps, ...resumed.history.steps].map((x) => x.loss), straight.history.steps.map((x) => x.loss));
});

test('the threads of a trainable do not keep a process alive: a script that never disposes still exits', () => {
  const parallel = new URL('../src/node/parallel.js', import.meta.url).href;
  const seq2seq = new URL('../src/seq2seq/model.js', import.meta.url).href;
  const script = `
    const { createDataParallel } = await import(${JSON.stringify(parallel)});
    const { Seq2Seq } = await import(${JSON.stringify(seq2seq)});
    const model = new Seq2Seq({ sourceVocabSize: 4, targetVocabSize: 3, hiddenSize: 4, attention: 'luong' });
    const p = await createDataParallel(model, { threads: 2, minSequences: 2 });
    p.gradient(model.makeBatch([{ source: [1, 2], target: [0] }, { source: [3], target: [1, 2] }, { source: [0], target: [] }, { source: [2, 2, 1], target: [2] }]));
    console.log('stepped');`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.signal, null, 'the process had to be killed: it did not exit on its own');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'stepped');
});

/** Labelled sequences of 2–9 steps (masks), dense 3-wide or symbol ids of 6. */
function labelled(n: number, dense: boolean, seed: number): SequencePair[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const T = 2 + rng.int(8);
    return {
      input: dense ? Float64Array.from({ length: T * 3 }, () => rng.uniform(-1, 1)) : Int32Array.from({ length: T }, () => rng.int(6)),
      target: Int32Array.of(rng.int(4)),
    };
  });
}

for (const bidirectional of [false, true]) {
  test(`mean-pooled classifier (GRU${bidirectional ? ', bidirectional' : ''}, dense and symbol inputs, class weights): fit with 2 threads follows 1 thread over 10 updates (θ and losses to 1e-6, float64)`, async () => {
    for (const dense of [true, false]) {
      const items = labelled(40, dense, dense ? 2 : 3);
      const set = sequenceSet(items, { inputSize: dense ? 3 : 6, outputSize: 4, targets: 'last' });
      const weights = items.map((it) => 0.5 + it.target[0]! * 0.25);
      const run = async (threads: number) => {
        const net = new Network({ cell: 'gru', inputSize: dense ? 3 : 6, hiddenSize: 5, outputSize: 4, dtype: 'float64', seed: 8, ...(bidirectional ? { bidirectional: true } : {}) });
        const objective = new MeanPooledObjective(net);
        const r = await fit(objective, new SequenceBatches(set, { batchSize: 8, weights }), {
          optimizer: { kind: 'adam' }, learningRate: 0.02, epochs: 2, seed: 6,
          ...(threads > 1 ? { parallel: await parallelFor(objective, threads) } : {}),
        });
        return { theta: net.params.data.slice(), losses: r.history.steps.map((s) => s.loss) };
      };
      const one = await run(1);
      const two = await run(2);
      assert.equal(one.losses.length, 10);
      assert.ok(maxAbsDiff(two.losses, one.losses) < 1e-6, `losses differ by ${maxAbsDiff(two.losses, one.losses)}`);
      assert.ok(maxAbsDiff(two.theta, one.theta) < 1e-6, `θ differs by ${maxAbsDiff(two.theta, one.theta)}`);
    }
  });
}

test('mean-pooled: a batch gradient on 2 threads is the full sum, and a DataParallel made for another model is refused by fit', async () => {
  const items = labelled(12, true, 7);
  const set = sequenceSet(items, { inputSize: 3, outputSize: 4, targets: 'last' });
  const net = new Network({ cell: 'lstm', inputSize: 3, hiddenSize: 5, outputSize: 4, dtype: 'float64', seed: 2 });
  const objective = new MeanPooledObjective(net);
  const par = await parallelFor(objective, 2);
  const source = new SequenceBatches(set, { batchSize: 12 });
  source.beginEpoch(null);
  const batch = source.batch(0, 'float64').batch;
  net.params.zeroGrad();
  const one = objective.gradient(batch);
  const g1 = Float64Array.from(net.params.grad);
  net.params.zeroGrad();
  const two = par.gradient(batch);
  assert.ok(maxAbsDiff(net.params.grad, g1) < 1e-12, `gradients differ by ${maxAbsDiff(net.params.grad, g1)}`);
  assert.ok(Math.abs(two.loss - one.loss) < 1e-12 * one.loss);
  assert.equal(two.count, 12);
  const other = new MeanPooledObjective(new Network({ cell: 'lstm', inputSize: 3, hiddenSize: 5, outputSize: 4, dtype: 'float64', seed: 2 }));
  await assert.rejects(fit(other, source, { parallel: par, epochs: 1 }), (e: Error) => e instanceof OptionError && /parallel was made for another model/.test(e.message));
});

/** Columns [b0, b1) of a batch's columns (a copy). */
function shardOf(c: ReturnType<Seq2Seq['toColumns']>, b0: number, b1: number): ReturnType<Seq2Seq['toColumns']> {
  const n = b1 - b0;
  return {
    B: n, flags: c.flags,
    arrays: c.arrays.map((a) => {
      const data = new (a.data.constructor as Int32ArrayConstructor)(a.steps * n * a.width);
      for (let t = 0; t < a.steps; t++) data.set(a.data.subarray((t * c.B + b0) * a.width, (t * c.B + b1) * a.width) as Int32Array, t * n * a.width);
      return { data, steps: a.steps, width: a.width };
    }),
  };
}
