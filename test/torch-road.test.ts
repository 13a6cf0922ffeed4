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
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
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
import { PYTHON, PYTHON_DIR, TORCH_SKIP } from './helpers/torch.js';

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

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
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
    const port = await freePort();
    const r = spawnSync(PYTHON, [
      // --redirects 1 --tee 1: torch 1.13 on Python 3.11 cannot parse the default "0" (Std.from_str returns None);
      // 1 keeps each worker's stdout on the console (prefixed with its rank) and in a log file.
      '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--nnodes', '1', '--master_addr', '127.0.0.1', '--master_port', String(port),
      '--redirects', '1', '--tee', '1', '--log_dir', path.join(dir, 'logs'),
      path.join(PYTHON_DIR, 'rnnkit_torch.py'), model, '--text', corpusFile, '--steps', '300', '--seq-len', '32', '--batch', '8', '--lr', '3e-3', '-o', trained,
    ], { encoding: 'utf8', timeout: 600_000, env: { ...process.env, OMP_NUM_THREADS: '1', GLOO_SOCKET_IFNAME: 'lo' } });
    assert.equal(r.status, 0, `torch.distributed.run failed: ${r.stderr}`);
    const line = r.stdout.split('\n').find((l) => l.includes('{"ranks"'));
    assert.ok(line, `no report on stdout: ${r.stdout}`);
    const report = JSON.parse(line.slice(line.indexOf('{'))) as { ranks: number; heldOutBefore: number; heldOutAfter: number; parameterSums: number[][] };
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
