/**
 * src/node/outputs.ts: guardOutput refuses outputs that would destroy an
 * input, a file we did not write, or a model without --force/--resume;
 * writeFileAtomic keeps modes and turns system errors into one line.
 */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { encodeCheckpoint } from '../src/io/checkpoint.js';
import { Network } from '../src/model/network.js';
import { GENERATOR_MARK, guardOutput, markedText, modelStep, OutputRefusedError, OutputWriteError, writeErrorOf, writeFileAtomic, writeFileAtomicSync } from '../src/node/outputs.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-outputs-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const at = (name: string): string => path.join(root, name);

function modelBytes(step: number): Uint8Array {
  const net = new Network({ cell: 'rnn', inputSize: 2, hiddenSize: 3, outputSize: 2 });
  return encodeCheckpoint({ networks: { net }, step });
}

function refused(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof OutputRefusedError, `expected OutputRefusedError, got ${String(e)}`);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

test('an empty path is refused', () => {
  refused(() => guardOutput('', { role: 'model', inputs: [] }), /path is empty/);
  refused(() => guardOutput('  ', { role: 'file', inputs: [] }), /path is empty/);
});

test('a new file in an existing folder is allowed; a missing folder is refused', () => {
  assert.deepEqual(guardOutput(at('new.rnn'), { role: 'model', inputs: [] }), { path: at('new.rnn'), existing: 'none' });
  refused(() => guardOutput(at('no/such/dir/m.rnn'), { role: 'model', inputs: [] }), /does not exist; create it/);
});

test('the output may not be an input: same path, ./ spelling, hard link, symlinked folder', () => {
  fs.writeFileSync(at('corpus.txt'), 'some text\n');
  refused(() => guardOutput(at('corpus.txt'), { role: 'model', inputs: [at('corpus.txt')] }), /also an input of this run/);
  const cwd = process.cwd();
  process.chdir(root);
  try {
    refused(() => guardOutput('./corpus.txt', { role: 'file', inputs: ['corpus.txt'], force: true }), /also an input/);
  } finally {
    process.chdir(cwd);
  }
  fs.linkSync(at('corpus.txt'), at('hard.txt'));
  refused(() => guardOutput(at('hard.txt'), { role: 'file', inputs: [at('corpus.txt')], force: true }), /also an input/);
  fs.mkdirSync(at('real'));
  fs.symlinkSync(at('real'), at('alias'));
  fs.writeFileSync(at('real/data.csv'), 'a\n1\n');
  refused(() => guardOutput(at('alias/data.csv'), { role: 'file', inputs: [at('real/data.csv')], force: true }), /also an input/);
});

test('role model: a foreign file is never replaced, even with --force', () => {
  fs.writeFileSync(at('notes.txt'), 'my notes\n');
  refused(() => guardOutput(at('notes.txt'), { role: 'model', inputs: [] }), /not an rnnkit model/);
  refused(() => guardOutput(at('notes.txt'), { role: 'model', inputs: [], force: true }), /not an rnnkit model/);
});

test('role model: an existing model needs --force or --resume, and the message gives its steps', () => {
  fs.writeFileSync(at('m.rnn'), modelBytes(5000));
  assert.equal(modelStep(at('m.rnn')), 5000);
  refused(() => guardOutput(at('m.rnn'), { role: 'model', inputs: [] }), /already holds a model \(5,000 steps\); add --force to replace it, or --resume to continue it/);
  assert.deepEqual(guardOutput(at('m.rnn'), { role: 'model', inputs: [], force: true }), { path: at('m.rnn'), existing: 'ours', step: 5000 });
  assert.equal(guardOutput(at('m.rnn'), { role: 'model', inputs: [], resume: true }).existing, 'ours');
});

test('an empty file holds nothing to lose', () => {
  fs.writeFileSync(at('empty.rnn'), '');
  assert.equal(guardOutput(at('empty.rnn'), { role: 'model', inputs: [] }).existing, 'none');
});

test('role file: our marked CSV and SVG are replaced; a foreign file only with --force', () => {
  fs.writeFileSync(at('pred.csv'), markedText('csv', 'index,predicted\n0,1\n'));
  fs.writeFileSync(at('loss.svg'), markedText('svg', '<?xml version="1.0"?>\n<svg></svg>\n'));
  assert.match(fs.readFileSync(at('loss.svg'), 'utf8'), new RegExp(`^<\\?xml version="1.0"\\?>\\n<!-- ${GENERATOR_MARK} -->\\n<svg>`));
  assert.equal(guardOutput(at('pred.csv'), { role: 'file', inputs: [] }).existing, 'ours');
  assert.equal(guardOutput(at('loss.svg'), { role: 'file', inputs: [] }).existing, 'ours');
  fs.writeFileSync(at('theirs.csv'), 'a,b\n1,2\n');
  refused(() => guardOutput(at('theirs.csv'), { role: 'file', inputs: [], label: '--plot' }), /^--plot .*theirs\.csv exists and was not written by rnnkit; choose another path, or add --force/);
  assert.equal(guardOutput(at('theirs.csv'), { role: 'file', inputs: [], force: true }).existing, 'foreign');
});

test('directories, symlinks and devices are refused as outputs', () => {
  refused(() => guardOutput(at('real'), { role: 'file', inputs: [] }), /is a directory/);
  fs.symlinkSync(at('corpus.txt'), at('link.txt'));
  refused(() => guardOutput(at('link.txt'), { role: 'file', inputs: [], force: true }), /symbolic link/);
  refused(() => guardOutput('/dev/null', { role: 'file', inputs: [], force: true }), /not a regular file|not writable/);
});

test('writeFileAtomic writes, replaces, and keeps the mode of the file it replaces', async () => {
  const file = at('ro.rnn');
  await writeFileAtomic(file, modelBytes(1));
  fs.chmodSync(file, 0o444);
  await writeFileAtomic(file, modelBytes(2));
  assert.equal(fs.statSync(file).mode & 0o777, 0o444);
  assert.equal(modelStep(file), 2);
  fs.chmodSync(file, 0o640);
  writeFileAtomicSync(file, 'text');
  assert.equal(fs.statSync(file).mode & 0o777, 0o640);
  assert.equal(fs.readFileSync(file, 'utf8'), 'text');
  assert.deepEqual(fs.readdirSync(root).filter((n) => n.endsWith('.tmp')), []);
});

test('writeFileAtomic failures are one line naming the file, no errno text, old file untouched', async () => {
  await assert.rejects(writeFileAtomic('', 'x'), (e: unknown) => e instanceof OutputWriteError && /path is empty/.test(e.message));
  await assert.rejects(writeFileAtomic(at('missing/dir/m.rnn'), 'x'), (e: unknown) => {
    assert.ok(e instanceof OutputWriteError);
    assert.match(e.message, /^cannot write .*m\.rnn: the folder .*dir does not exist; create it or choose another path$/);
    assert.doesNotMatch(e.message, /ENOENT/);
    return true;
  });
  for (const [code, pattern] of [['ENOSPC', /disk is full/], ['EFBIG', /ulimit -f/], ['EACCES', /permission denied/], ['EROFS', /read-only file system/], ['EISDIR', /is a directory/]] as const) {
    const e = writeErrorOf('out.rnn', Object.assign(new Error(`${code}: raw text, write`), { code }));
    assert.ok(e instanceof OutputWriteError);
    assert.match(e.message, /^cannot write out\.rnn: /);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes(code) && !e.message.includes('raw text'), `${code}: ${e.message}`);
  }
});

test('writeFileAtomic in a folder it may not write: permission denied, old file kept', { skip: process.getuid?.() === 0 ? 'running as root, which may write anywhere' : false }, async () => {
  fs.mkdirSync(at('locked'));
  fs.writeFileSync(at('locked/keep.txt'), 'keep');
  fs.chmodSync(at('locked'), 0o555);
  try {
    await assert.rejects(writeFileAtomic(at('locked/keep.txt'), 'new'), /permission denied in .*locked; choose a folder you can write to/);
    assert.equal(fs.readFileSync(at('locked/keep.txt'), 'utf8'), 'keep');
  } finally {
    fs.chmodSync(at('locked'), 0o755);
  }
});
