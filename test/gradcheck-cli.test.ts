/**
 * `rnnkit gradcheck`: exit codes, JSON and text output.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CommandIO } from '../src/cli/args.js';
import { main } from '../src/cli/main.js';
import { cellType, registerCell } from '../src/cells/registry.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CommandIO = { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false, signal: new AbortController().signal };
  const code = await main(argv, io);
  return { code, out, err };
}

test('--json: maxRelError and one entry per parameter; exit 0', async () => {
  for (const [cell, names] of [
    ['rnn', ['layer0.U', 'layer0.W', 'layer0.b_h', 'layer1.U', 'layer1.W', 'layer1.b_h', 'V', 'b_o']],
    ['lstm', ['layer0.W', 'layer0.b', 'layer1.W', 'layer1.b', 'V', 'b_o']],
    ['gru', ['layer0.W', 'layer0.b', 'layer0.b_hn', 'layer1.W', 'layer1.b', 'layer1.b_hn', 'V', 'b_o']],
  ] as const) {
    const r = await run('gradcheck', '--cell', cell, '--layers', '2', '--shape', 'many-to-one', '--seed', '3', '--json');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { maxRelError: number; perParameter: Record<string, number> };
    assert.deepEqual(Object.keys(j), ['maxRelError', 'perParameter']);
    assert.deepEqual(Object.keys(j.perParameter), names);
    assert.ok(j.maxRelError < 1e-6 && j.maxRelError > 0, `${cell}: ${j.maxRelError}`);
    assert.equal(j.maxRelError, Math.max(...Object.values(j.perParameter)));
  }
});

test('--no-bias drops the biases; --variant reset-before drops b_hn', async () => {
  const a = JSON.parse((await run('gradcheck', '--cell', 'lstm', '--no-bias', '--json')).out) as { perParameter: Record<string, number> };
  assert.deepEqual(Object.keys(a.perParameter), ['layer0.W', 'V']);
  const b = JSON.parse((await run('gradcheck', '--cell', 'gru', '--variant', 'reset-before', '--shape', 'one-to-many', '--json')).out) as { perParameter: Record<string, number> };
  assert.deepEqual(Object.keys(b.perParameter), ['layer0.W', 'layer0.b', 'V', 'b_o']);
});

test('text output lists every parameter and the verdict', async () => {
  const r = await run('gradcheck', '--cell', 'gru', '--layers', '3');
  assert.equal(r.code, 0);
  for (const name of ['layer2.b_hn', 'V', 'b_o']) assert.match(r.out, new RegExp(`^  ${name.replace('.', '\\.')} +\\d\\.\\d\\de-\\d+$`, 'm'));
  assert.match(r.out, /worst +\d\.\d\de-\d+ +OK \(tolerance 1e-6\)/);
});

test('bad usage exits 2', async () => {
  assert.equal((await run('gradcheck', '--cell', 'transformer')).code, 2);
  assert.equal((await run('gradcheck', '--layers', '0')).code, 2);
  assert.equal((await run('gradcheck', '--layers', '5')).code, 2);
  assert.equal((await run('gradcheck', '--shape', 'one-to-one')).code, 2);
});

test('a wrong gradient exits 1 and names the parameter', async () => {
  // A cell whose backward pass reports ∂J/∂W 1% too large: the check must fail on layer0.W only.
  const rnn = cellType('rnn')!;
  registerCell('rnn', {
    paramSpecs: rnn.paramSpecs,
    create(config, params, kernels) {
      const cell = rnn.create(config, params, kernels);
      const dW = params.gradView(`${config.prefix}W`);
      const backward = cell.backward.bind(cell);
      cell.backward = (...args) => {
        const before = Float64Array.from(dW);
        backward(...args);
        for (let i = 0; i < dW.length; i++) dW[i] = before[i]! + 1.01 * (dW[i]! - before[i]!);
      };
      return cell;
    },
  });
  try {
    const r = await run('gradcheck', '--cell', 'rnn', '--json');
    assert.equal(r.code, 1);
    const j = JSON.parse(r.out) as { maxRelError: number; perParameter: Record<string, number> };
    assert.ok(j.perParameter['layer0.W']! > 1e-3);
    assert.ok(j.perParameter['layer0.U']! < 1e-6);
    const text = await run('gradcheck', '--cell', 'rnn');
    assert.equal(text.code, 1);
    assert.match(text.out, /FAIL/);
  } finally {
    registerCell('rnn', rnn);
  }
});
