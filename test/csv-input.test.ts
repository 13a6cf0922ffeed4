/**
 * Tables that cannot be trusted or were misread (issue 14): delimiters are
 * detected (comma, semicolon, tab) or given; a wrong column name lists the
 * columns and hints at the delimiter; infinite and overflowing cells are
 * errors naming file, line and column; devices and FIFOs are refused;
 * rnnkit's own `#` mark line is skipped.
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { DataFileError, detectDelimiter, MAX_ABS_VALUE, numericColumn, parseTable, readTable } from '../src/node/csv.js';
import { markedText } from '../src/node/outputs.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-csv-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('delimiters: comma, semicolon and tab are detected from the header; quoted ones do not count', () => {
  assert.equal(detectDelimiter('a;b;c'), ';');
  assert.equal(detectDelimiter('a\tb'), '\t');
  assert.equal(detectDelimiter('"x;y",b'), ',');
  assert.equal(detectDelimiter('value'), ',');
  const t = parseTable('a;b\n1;2,5\n3;4\n', 's.csv', 'csv');
  assert.deepEqual(t.columns, ['a', 'b']);
  assert.deepEqual(t.rows.map((r) => r.b), ['2,5', '4']);
  assert.deepEqual(Array.from(numericColumn(t, 'a')), [1, 3]);
});

test('readTable takes a delimiter; a wrong column name lists the columns and hints at --delimiter', () => {
  const file = path.join(dir, 'pipes.csv');
  fs.writeFileSync(file, 'a|b\n1|2\n3|4\n');
  assert.throws(() => numericColumn(readTable(file), 'b'), (e: unknown) => e instanceof DataFileError &&
    e.message === `${file}: no column "b"; columns are "a|b"; the header looks split by "|": give --delimiter "|"`);
  assert.deepEqual(Array.from(numericColumn(readTable(file, { delimiter: '|' }), 'b')), [2, 4]);
  assert.throws(() => readTable(file, { delimiter: '||' }), /the delimiter must be one character/);
  assert.throws(() => numericColumn(parseTable('a,b\n1,2\n', 'c.csv', 'csv'), 'z'), /c\.csv: no column "z"; columns are "a", "b"$/);
});

test('a cell too large to scale (1e154) or infinite is an error naming file, line and column', () => {
  const big = parseTable('t,v\n0,1\n1,1e154\n', 'big.csv', 'csv');
  assert.throws(() => numericColumn(big, 'v'), (e: unknown) => e instanceof DataFileError &&
    /^big\.csv: line 3, column "v": "1e154" is too large .*at most 1e\+150 in magnitude, so rescale the column/.test(e.message));
  assert.deepEqual(Array.from(numericColumn(parseTable(`v\n${MAX_ABS_VALUE}\n-1\n`, 'ok.csv', 'csv'), 'v')), [MAX_ABS_VALUE, -1]);
  assert.throws(() => numericColumn(parseTable('v\n1\n1e999\n', 'inf.csv', 'csv'), 'v'), /inf\.csv: line 3, column "v": "1e999" is not a number a model can use/);
  const json = parseTable('[{"v": 1}, {"v": 1e200}]', 'j.json', 'json');
  assert.throws(() => numericColumn(json, 'v'), /j\.json: element 1, column "v": 1e\+200 is too large/);
});

test('our own CSV (marked with a # line) reads back; line numbers still count the mark', () => {
  const t = parseTable(markedText('csv', 'step,predicted\n0,1.5\n1,x\n'), 'pred.csv', 'csv');
  assert.deepEqual(t.columns, ['step', 'predicted']);
  assert.throws(() => numericColumn(t, 'predicted'), /pred\.csv: line 4, column "predicted": "x" is not a number/);
});

test('devices and FIFOs are refused with one line, without reading or waiting', () => {
  assert.throws(() => readTable('/dev/zero'), (e: unknown) => e instanceof DataFileError && /^\/dev\/zero is not a regular file \(a device, pipe or socket\)/.test(e.message));
  const fifo = path.join(dir, 'fifo.csv');
  execFileSync('mkfifo', [fifo]);
  assert.throws(() => readTable(fifo), /fifo\.csv is not a regular file/);
});
