/**
 * Progress bars follow stderr, where they are drawn (issue 14): with stdout
 * a terminal and stderr a file (`rnnkit train … 2> log.txt`), the log holds
 * plain lines, no carriage-return frames. The terminal comes from
 * script(1); without it the test is reported skipped.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { BIN } from './helpers/cli.js';

const SCRIPT = ['/usr/bin/script', '/bin/script'].find((p) => fs.existsSync(p));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-tty-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

test('train with stdout on a terminal and stderr in a file: the log has plain lines, no \\r frames', { skip: SCRIPT ? false : 'script(1) is not installed (util-linux): no terminal to test with' }, () => {
  fs.writeFileSync(path.join(dir, 'c.txt'), 'the cat sat on the mat.\n'.repeat(60));
  const log = path.join(dir, 'log.txt');
  const cmd = [process.execPath, BIN, 'train', 'c.txt', '-o', 'm.rnn', '--steps', '30', '--hidden', '8', '--seq-len', '8', '--batch', '2', '--sample-every', '0', '--threads', '1'].map(quote).join(' ');
  const r = spawnSync(SCRIPT!, ['-qc', `${cmd} 2> ${quote(log)}`, '/dev/null'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const text = fs.readFileSync(log, 'utf8');
  assert.match(text, /^step 1 /m, text);
  assert.ok(!text.includes('\r'), `carriage returns in the log: ${JSON.stringify(text.slice(0, 300))}`);
});
