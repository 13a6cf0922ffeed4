/**
 * The road out (issue 15), skipped — saying why — without torch: a text
 * model trained here is exported as safetensors, trained on for 300
 * updates by python/rnnkit_torch.py under `torch.distributed.run
 * --nproc_per_node 2` (DistributedDataParallel, gloo, loopback), and
 * imported back. The held-out loss fell; both ranks ended with the same
 * parameters (their gradients were averaged); and the imported model's
 * held-out loss, computed here, is the one PyTorch reported.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Rng } from '../src/core/rng.js';
import { StreamBatches } from '../src/data/windows.js';
import { symbolStream } from '../src/data/windows.js';
import { Network } from '../src/model/network.js';
import { exportSafetensors, importSafetensors } from '../src/io/safetensors.js';
import { buildTokenizer } from '../src/text/tokenizer.js';
import { readTextModel, textModelMeta } from '../src/text/model-file.js';
import { fit } from '../src/train/fit.js';
import { runTorchrun, TORCH_SKIP } from './helpers/torch.js';

/** Sentences from a small grammar, reproducible from the seed. */
function corpus(chars: number, seed: number): string {
  const rng = new Rng(seed);
  const pick = (words: readonly string[]): string => words[Math.floor(rng.next() * words.length)]!;
  const nouns = ['cat', 'dog', 'whale', 'sailor', 'captain', 'ship', 'sea'];
  const verbs = ['sees', 'follows', 'hunts', 'finds', 'fears'];
  let text = '';
  while (text.length < chars) text += `the ${pick(nouns)} ${pick(verbs)} the ${pick(nouns)}. `;
  return text;
}

/** Mean cross-entropy (nats per symbol) of predicting each held-out symbol from those before it. */
function heldOutLoss(net: Network, ids: Int32Array): number {
  const T = ids.length - 1;
  const r = net.loss({ T, B: 1, x: { kind: 'index', data: ids.subarray(0, T) }, y: { kind: 'index', data: ids.subarray(1) } });
  return r.loss / r.count;
}

test('the road out: train here, continue with DistributedDataParallel on 2 processes, import; held-out loss fell and the ranks agree', { skip: TORCH_SKIP }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rnnkit-road-'));
  try {
    const text = corpus(12_000, 4);
    const split = Math.floor(text.length * 0.9); // rnnkit_torch.py holds out the last 10% as well
    const tokenizer = buildTokenizer(text, { kind: 'char' });
    const V = tokenizer.vocabSize;
    const net = new Network({ cell: 'lstm', inputSize: V, hiddenSize: 32, outputSize: V, loss: 'cross-entropy', seed: 2 });
    await fit(net, new StreamBatches(symbolStream(tokenizer.encode(text.slice(0, split)), V), { batchSize: 8, seqLen: 32 }), {
      optimizer: { kind: 'adam' }, learningRate: 1e-2, clipNorm: 5, maxSteps: 40,
    });
    const heldOut = tokenizer.encode(text.slice(split));
    const here = heldOutLoss(net, heldOut);

    const model = path.join(dir, 'model.safetensors');
    const corpusFile = path.join(dir, 'corpus.txt');
    const trained = path.join(dir, 'trained.safetensors');
    writeFileSync(model, exportSafetensors({ networks: { model: net }, meta: textModelMeta(tokenizer) }));
    writeFileSync(corpusFile, text);
    const { report, attempts } = await runTorchrun(['--nproc_per_node', '2'],
      [model, '--text', corpusFile, '--steps', '300', '--seq-len', '32', '--batch', '8', '--lr', '3e-3', '-o', trained], dir);
    for (const a of attempts) t.diagnostic(`retried after: ${a}`);
    assert.equal(report.ranks, 2);
    assert.ok(Math.abs(report.heldOutBefore - here) < 1e-4, `PyTorch reads the exported model as trained here: ${report.heldOutBefore} vs ${here}`);
    assert.ok(report.heldOutAfter < report.heldOutBefore - 0.05, `held-out loss fell: ${report.heldOutBefore} → ${report.heldOutAfter}`);
    assert.deepEqual(report.parameterSums[0], report.parameterSums[1], 'both ranks hold the same parameters');

    const back = readTextModel(importSafetensors(readFileSync(trained)), trained);
    assert.deepEqual(back.tokenizer.toJSON(), tokenizer.toJSON());
    const there = heldOutLoss(back.net, heldOut);
    assert.ok(Math.abs(there - report.heldOutAfter) < 1e-4, `the imported model is the one PyTorch trained: ${there} vs ${report.heldOutAfter}`);
    t.diagnostic(`held-out nats/symbol: ${here.toFixed(4)} trained here, ${report.heldOutAfter.toFixed(4)} after 300 DDP updates on 2 ranks, ${there.toFixed(4)} imported`);
    assert.ok(there < here, `imported held-out loss ${there} < ${here} before`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
