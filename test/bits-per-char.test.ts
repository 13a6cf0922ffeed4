/**
 * Bits per character as `rnnkit train --json` reports it: the validation
 * cross-entropy in nats (evaluateText) divided by ln 2 — computed here again
 * from the saved model and the same held-out tail, so a wrong base (ln 10)
 * or a wrong split cannot pass.
 */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadCheckpointFile } from '../src/node/checkpoint-file.js';
import { readTextModel } from '../src/text/model-file.js';
import { prepareCorpus } from '../src/text/corpus.js';
import { evaluateText } from '../src/text/batches.js';
import { runCli } from './helpers/cli.js';

test('rnnkit train --json: finalValBpc = evaluateText(model, validation tail) / ln 2, finalValLoss = evaluateText in nats', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-bpc-'));
  try {
    const text = 'the cat sat on the mat. the dog sat on the log. a cat and a dog met on a mat by a log.\n'.repeat(4);
    const file = path.join(dir, 'tiny.txt');
    fs.writeFileSync(file, text);
    const out = path.join(dir, 'tiny.rnn');
    const r = runCli(['train', file, '--steps', '3', '--hidden', '8', '--seq-len', '8', '--batch', '2', '--val-fraction', '0.2', '--threads', '1', '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { finalValBpc: number; finalValLoss: number; symbols: { validation: number } };
    const { net, tokenizer } = readTextModel(await loadCheckpointFile(out), out);
    const corpus = prepareCorpus(text, { tokenizer, valFraction: 0.2 });
    assert.equal(report.symbols.validation, corpus.val.length);
    const nats = evaluateText(net, corpus.val, { seqLen: 8, batchSize: 2 });
    // an untrained model on ~20 symbols: about log2(20) ≈ 4.3 bits, far from nats/ln 10 ≈ 1.3
    assert.ok(nats > 1, `validation cross-entropy ${nats} nats`);
    assert.ok(Math.abs(report.finalValBpc - nats / Math.LN2) < 1e-4, `finalValBpc ${report.finalValBpc}, evaluateText / ln 2 = ${nats / Math.LN2}`);
    assert.ok(Math.abs(report.finalValLoss - nats) < 1e-4, `finalValLoss ${report.finalValLoss}, evaluateText = ${nats}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
