/** The README's library example runs as written and learns its toy text. */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('the README library example runs and its model continues the sentence', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README has a ```ts example');
  const entry = join(ROOT, 'dist/src/index.js');
  const code = block[1]!.replace("from 'rnnkit'", `from ${JSON.stringify(entry)}`);
  assert.notEqual(code, block[1], 'the example imports from "rnnkit"');
  const dir = mkdtempSync(join(tmpdir(), 'recurrent-readme-'));
  const file = join(dir, 'example.mjs');
  writeFileSync(file, code);
  const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const sample = lines[lines.length - 1]!;
  assert.match(sample, /quick brown fox/, `generated: ${sample}`);
  assert.match(r.stdout, /loss: 0\.0\d/, 'validation loss per character well below log(vocabSize)');
});
