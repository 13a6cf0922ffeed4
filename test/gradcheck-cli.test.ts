/**
 * `rnnkit gradcheck`: exit codes, JSON and text output, one row per weight
 * set of docs/maths.md §1 (the gates' fused matrices split by gate and into
 * their x and h parts).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CommandIO } from '../src/cli/args.js';
import { main } from '../src/cli/main.js';
import { cellType, registerCell } from '../src/cells/registry.js';
import { Network } from '../src/model/network.js';
import { gatherWeightSet, weightSets, type WeightSet } from '../src/model/weight-sets.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CommandIO = { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false, signal: new AbortController().signal };
  const code = await main(argv, io);
  return { code, out, err };
}

/** The rows of one layer of each cell, in order (docs/maths.md §1). */
const LAYER_ROWS = {
  rnn: ['U', 'W', 'b_h'],
  lstm: ['W_f.x', 'W_f.h', 'W_i.x', 'W_i.h', 'W_o.x', 'W_o.h', 'W_C.x', 'W_C.h', 'b_f', 'b_i', 'b_og', 'b_C'],
  gru: ['W_z.x', 'W_z.h', 'W_r.x', 'W_r.h', 'W_n.x', 'W_n.h', 'b_z', 'b_r', 'b_n', 'b_hn'],
} as const;

type GradcheckJson = { maxRelError: number; perWeightSet: Record<string, number> };

test('--json: maxRelError and one entry per weight set; exit 0', async () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    const names = [...['layer0.', 'layer1.'].flatMap((l) => LAYER_ROWS[cell].map((n) => l + n)), 'V', 'b_o'];
    const r = await run('gradcheck', '--cell', cell, '--layers', '2', '--shape', 'many-to-one', '--seed', '3', '--json');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as GradcheckJson;
    assert.deepEqual(Object.keys(j), ['maxRelError', 'perWeightSet']);
    assert.deepEqual(Object.keys(j.perWeightSet), names);
    assert.ok(j.maxRelError < 1e-6 && j.maxRelError > 0, `${cell}: ${j.maxRelError}`);
    assert.equal(j.maxRelError, Math.max(...Object.values(j.perWeightSet)));
  }
});

test('--no-bias drops the biases; --variant reset-before drops b_hn', async () => {
  const a = JSON.parse((await run('gradcheck', '--cell', 'lstm', '--no-bias', '--json')).out) as GradcheckJson;
  assert.deepEqual(Object.keys(a.perWeightSet), [...LAYER_ROWS.lstm.slice(0, 8).map((n) => `layer0.${n}`), 'V']);
  const b = JSON.parse((await run('gradcheck', '--cell', 'gru', '--variant', 'reset-before', '--shape', 'one-to-many', '--json')).out) as GradcheckJson;
  assert.deepEqual(Object.keys(b.perWeightSet), [...LAYER_ROWS.gru.slice(0, 9).map((n) => `layer0.${n}`), 'V', 'b_o']);
});

test('the weight sets are the blocks of the stored matrices: W_f.h of layer 1 is rows D..D+H−1, columns 0..H−1', () => {
  // D = 3, H = 4: layer0.W is 7×16, layer1.W 8×16 (its input is layer 0's h)
  const net = new Network({ cell: 'lstm', inputSize: 3, hiddenSize: 4, outputSize: 2, layers: 2, dtype: 'float64' });
  const sets = weightSets(net.params.entries, 'lstm', 4);
  const at = (name: string): WeightSet => sets.find((s) => s.name === name)!;
  assert.deepEqual(at('layer0.W_f.x'), { name: 'layer0.W_f.x', entry: 'layer0.W', rows: [0, 3], cols: [0, 4] });
  assert.deepEqual(at('layer0.W_C.h'), { name: 'layer0.W_C.h', entry: 'layer0.W', rows: [3, 7], cols: [12, 16] });
  assert.deepEqual(at('layer1.W_f.h'), { name: 'layer1.W_f.h', entry: 'layer1.W', rows: [4, 8], cols: [0, 4] });
  assert.deepEqual(at('layer1.b_og'), { name: 'layer1.b_og', entry: 'layer1.b', rows: [0, 1], cols: [8, 12] });
  // every element of every matrix lies in exactly one set
  const covered = new Uint8Array(net.params.size);
  for (const s of sets) {
    const e = net.params.entry(s.entry);
    for (let r = s.rows[0]; r < s.rows[1]; r++) for (let c = s.cols[0]; c < s.cols[1]; c++) covered[e.offset + r * e.cols + c]! += 1;
  }
  assert.ok(covered.every((v) => v === 1));
  // gatherWeightSet reads the block row by row: W_f.h of layer 1 starts at row 4, column 0
  const W = net.params.view('layer1.W');
  const block = gatherWeightSet(at('layer1.W_f.h'), net.params.entry('layer1.W'), net.params.data);
  assert.deepEqual(Array.from(block.subarray(0, 5)), [W[4 * 16]!, W[4 * 16 + 1]!, W[4 * 16 + 2]!, W[4 * 16 + 3]!, W[5 * 16]!]);
});

test('text output lists every weight set and the verdict', async () => {
  const r = await run('gradcheck', '--cell', 'gru', '--layers', '3');
  assert.equal(r.code, 0);
  for (const name of ['layer0.W_z.x', 'layer1.W_r.h', 'layer2.W_n.h', 'layer2.b_hn', 'V', 'b_o']) {
    assert.match(r.out, new RegExp(`^  ${name.replaceAll('.', '\\.')} +\\d\\.\\d\\de-\\d+$`, 'm'));
  }
  assert.doesNotMatch(r.out, /layer\d\.W /, 'no fused matrix row');
  assert.match(r.out, /worst +\d\.\d\de-\d+ +OK \(tolerance 1e-6\)/);
});

test('a correct deep LSTM without biases passes, though its gate gradients are tiny', async () => {
  // 4 layers, one-to-many, no biases, seed 4: the top layers' W_f.h gradients are ~5e-6 in norm,
  // below what ε = 1e-5 resolves to 1e-6 relative (measured 1.7e-5 with a fixed floor of 1e-7)
  const r = await run('gradcheck', '--cell', 'lstm', '--layers', '4', '--shape', 'one-to-many', '--no-bias', '--seed', '4', '--json');
  assert.equal(r.code, 0, r.out);
  const j = JSON.parse(r.out) as GradcheckJson;
  assert.ok(j.maxRelError < 1e-7, `${j.maxRelError}`);
});

test('--help lists the values of every closed option', async () => {
  const r = await run('gradcheck', '--help');
  assert.equal(r.code, 0);
  assert.match(r.out, /--variant reset-after\|reset-before/);
  assert.match(r.out, /--cell rnn\|lstm\|gru/);
  assert.match(r.out, /--shape one-to-many\|many-to-one\|many-to-many/);
});

test('bad usage exits 2', async () => {
  assert.equal((await run('gradcheck', '--cell', 'transformer')).code, 2);
  assert.equal((await run('gradcheck', '--layers', '0')).code, 2);
  assert.equal((await run('gradcheck', '--layers', '5')).code, 2);
  assert.equal((await run('gradcheck', '--shape', 'one-to-one')).code, 2);
});

test('a wrong gradient exits 1 and names the weight set', async () => {
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
    const j = JSON.parse(r.out) as GradcheckJson;
    assert.ok(j.perWeightSet['layer0.W']! > 1e-3);
    assert.ok(j.perWeightSet['layer0.U']! < 1e-6);
    const text = await run('gradcheck', '--cell', 'rnn');
    assert.equal(text.code, 1);
    assert.match(text.out, /FAIL/);
  } finally {
    registerCell('rnn', rnn);
  }
});

test('a wrong gate block fails on that block alone: LSTM ∂J/∂W_i.h 1% too large', async () => {
  // Only the input gate's h part (rows D..D+H−1, columns H..2H−1 of layer0.W) is wrong.
  const lstm = cellType('lstm')!;
  registerCell('lstm', {
    paramSpecs: lstm.paramSpecs,
    create(config, params, kernels) {
      const cell = lstm.create(config, params, kernels);
      const dW = params.gradView(`${config.prefix}W`);
      const D = config.inputSize;
      const H = config.hiddenSize;
      const backward = cell.backward.bind(cell);
      cell.backward = (...args) => {
        const before = Float64Array.from(dW);
        backward(...args);
        for (let r = D; r < D + H; r++) {
          for (let c = H; c < 2 * H; c++) dW[r * 4 * H + c] = before[r * 4 * H + c]! + 1.01 * (dW[r * 4 * H + c]! - before[r * 4 * H + c]!);
        }
      };
      return cell;
    },
  });
  try {
    const r = await run('gradcheck', '--cell', 'lstm', '--json');
    assert.equal(r.code, 1);
    const j = JSON.parse(r.out) as GradcheckJson;
    const failing = Object.keys(j.perWeightSet).filter((n) => j.perWeightSet[n]! > 1e-6);
    assert.deepEqual(failing, ['layer0.W_i.h']);
    assert.ok(j.perWeightSet['layer0.W_i.h']! > 1e-3, `${j.perWeightSet['layer0.W_i.h']}`);
  } finally {
    registerCell('lstm', lstm);
  }
});
