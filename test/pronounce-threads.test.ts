/**
 * `pronounce --threads 2` as a user runs it: SIGTERM in the middle saves
 * and exits (the gradient thread does not keep the process alive), and
 * `--resume` with the same threads ends bit for bit where an uninterrupted
 * 2-thread run ends.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { interruptWhen } from './helpers/cli.js';
import { fileURLToPath } from 'node:url';
import { decodeModel } from '../src/io/model-file.js';

const BIN = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rnnkit-pronounce-threads-'));

function run(args: readonly string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir, timeout: 300_000 });
  return { status: r.status, stderr: r.stderr };
}


const paramsOf = (file: string): number[][] => {
  const m = decodeModel(readFileSync(join(dir, file))).model;
  if (m.kind !== 'seq2seq') return assert.fail(`${file} is not a seq2seq model`);
  return m.model.paramSets.map((p) => [...p.data]);
};

test('pronounce --threads 2: SIGTERM saves and exits, --resume with 2 threads equals an uninterrupted 2-thread run bit for bit', async () => {
  // 320 words in batches of 32: 10 updates an epoch, 200 in all, so the signal at step 5 cuts the run
  const common = ['pronounce', '--words', '320', '--test-words', '0', '--epochs', '20', '--hidden', '8', '--checkpoint-every', '5', '--threads', '2'];
  const straight = run([...common, '-o', 'straight.rnn']);
  assert.equal(straight.status, 0, straight.stderr);
  assert.match(straight.stderr, /, 2 threads, saving to/);
  const cut = await interruptWhen([...common, '-o', 'cut.rnn'], /saved .* at step 5\n/, dir);
  assert.equal(cut.code, 143, cut.stderr);
  const state = decodeModel(readFileSync(join(dir, 'cut.rnn'))).state;
  assert.ok(state && state.step < 200, 'the cut model holds the step it was cut at');
  const again = run(['pronounce', '--resume', 'cut.rnn', '--epochs', '20', '--threads', '2']);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /^resuming at step \d+/);
  assert.deepEqual(paramsOf('cut.rnn'), paramsOf('straight.rnn'), 'the resumed run differs from the uninterrupted one');
});
