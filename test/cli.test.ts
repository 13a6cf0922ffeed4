/** The `rnnkit` command: help, version, the lecture walkthrough, and bad usage. */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { runCli } from './helpers/cli.js';
import { assertRowsClose } from './helpers/approx.js';

test('rnnkit lecture prints the walkthrough within 80 columns', () => {
  const r = runCli(['lecture']);
  assert.equal(r.code, 0, r.stderr);
  for (const line of r.stdout.split('\n')) assert.ok([...line].length <= 80, `line longer than 80 columns: ${line}`);
  assert.match(r.stdout, /J = 4\.2276/);
  assert.match(r.stdout, /∂J\/∂W, exact BPTT\s+∂J\/∂W, lecture slides/);
  assert.match(r.stdout, /\[\s+0\.5248\s+0\.3812 \]\s+\[\s+0\.3203\s+-0\.7020 \]/);
  assert.match(r.stdout, /Lecture gradients: stopped after 55 updates/);
  assert.match(r.stdout, /Why W and U differ/);
  assert.equal(r.stderr, '');
});

test('rnnkit lecture --json has the documented keys and values', () => {
  const r = runCli(['lecture', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assertRowsClose(j.forward.h, [[-0.1565, 0.9190], [-0.6530, -0.9250]], 5e-5, 'forward.h');
  assertRowsClose(j.forward.yhat, [[0.6884, 0.4178, -0.2742], [-1.2589, -0.7103, -0.1182]], 5e-5, 'forward.yhat');
  for (const mode of ['exact', 'lecture']) {
    for (const key of ['dU', 'dV', 'dW']) assert.ok(Array.isArray(j.gradients[mode][key]), `gradients.${mode}.${key}`);
    for (const key of ['updates', 'U', 'V', 'W', 'yhat']) assert.ok(key in j.training[mode], `training.${mode}.${key}`);
  }
  assertRowsClose(j.gradients.lecture.dW, [[0.3203, -0.7020], [-1.8809, 4.1225]], 5e-5, 'lecture dW');
  assert.equal(j.training.lecture.updates, 55);
  assert.deepEqual(j.training.exact.sequence, [2, 3]);
});

test('rnnkit lecture options: one gradient mode, learning rate, step limit', () => {
  const r = runCli(['lecture', '--gradient', 'exact', '--lr', '0.05', '--max-steps', '3', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(j.gradients), ['exact']);
  assert.equal(j.training.exact.updates, 3);
  assert.equal(j.training.exact.converged, false);
  assert.equal(j.settings.learningRate, 0.05);
});

test('help and version', () => {
  const top = runCli(['--help']);
  assert.equal(top.code, 0);
  assert.match(top.stdout, /Usage: rnnkit <command>/);
  assert.match(top.stdout, /lecture/);
  const sub = runCli(['lecture', '--help']);
  assert.equal(sub.code, 0);
  assert.match(sub.stdout, /--gradient exact\|lecture\|both/);
  assert.match(sub.stdout, /--json/);
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const v = runCli(['--version']);
  assert.equal(v.code, 0);
  assert.equal(v.stdout.trim(), pkg.version);
});

test('bad usage: one line naming the problem, the usage, exit code 2, no stack trace', () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown command "frobnicate"/],
    [['lecture', '--lr', 'abc'], /--lr must be a number, got "abc"/],
    [['lecture', '--lr', '-1'], /--lr must be greater than 0, got -1/],
    [['lecture', '--gradient', 'approx'], /--gradient must be one of exact, lecture, both/],
    [['lecture', '--bogus'], /unknown option --bogus/],
    [['lecture', '--max-steps', '2.5'], /--max-steps must be a whole number/],
    [['lecture', '--lr'], /--lr needs a value/],
    [['lecture', 'extra'], /unexpected argument "extra"/],
  ];
  for (const [args, message] of cases) {
    const r = runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}`);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 2, `the problem, then the usage: ${r.stderr}`);
    assert.match(lines[0]!, message);
    assert.match(lines[1]!, /^Usage: rnnkit /);
    assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/, 'no stack trace');
  }
  const none = runCli([]);
  assert.equal(none.code, 2);
});
