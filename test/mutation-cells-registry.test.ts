/**
 * The cell registry (src/cells/registry.ts) and the list of cell kinds
 * (src/cells/cell.ts): each kind declares its own parameters and builds its
 * own cell on the kernels it is given; the LSTM refuses a variant, the GRU
 * reads its two; a registered type replaces the built-in one. Small and
 * fast for `npm run mutate -- cells`.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CELL_KINDS, type Cell, type CellKind } from '../src/cells/cell.js';
import { GruCell } from '../src/cells/gru.js';
import { LstmCell } from '../src/cells/lstm.js';
import { cellType, registerCell, type CellType, type LayerConfig } from '../src/cells/registry.js';
import { RnnCell } from '../src/cells/rnn.js';
import { OptionError } from '../src/core/errors.js';
import { jsKernels, type Kernels } from '../src/core/kernels.js';
import { ParamSet } from '../src/core/params.js';

const config: LayerConfig = { inputSize: 2, hiddenSize: 3, bias: true, prefix: 'layer1.', activation: 'tanh' };

test('CELL_KINDS lists the three cells in order', () => {
  assert.deepEqual([...CELL_KINDS], ['rnn', 'lstm', 'gru']);
});

for (const [kind, Ctor, names] of [
  ['rnn', RnnCell, ['layer1.U', 'layer1.W', 'layer1.b_h']],
  ['lstm', LstmCell, ['layer1.W', 'layer1.b']],
  ['gru', GruCell, ['layer1.W', 'layer1.b', 'layer1.b_hn']],
] as const) {
  test(`cellType("${kind}"): its parameters, and a ${Ctor.name} of the layer's sizes on the kernels given`, () => {
    const type = cellType(kind)!;
    const specs = type.paramSpecs(config);
    assert.deepEqual(specs.map((s) => s.name), names);
    const params = new ParamSet(specs, 'float64');
    // kernels that count their products: the cell must use these, not the defaults
    let calls = 0;
    const counting: Kernels = {
      ...jsKernels,
      gemm(...args: Parameters<Kernels['gemm']>) {
        calls++;
        return jsKernels.gemm(...args);
      },
    };
    const cell: Cell = type.create(config, params, counting);
    assert.equal(cell instanceof Ctor, true);
    assert.equal(cell.kind, kind);
    assert.deepEqual([cell.inputSize, cell.hiddenSize], [2, 3]);
    const cache = cell.createCache(2, 1);
    cell.forward({ kind: 'dense', data: new Float64Array(4) }, 2, 1, cache);
    assert.ok(calls > 0);
  });
}

test('the LSTM refuses a variant with its message; the GRU reads "reset-before" and "reset-after" and refuses others', () => {
  assert.throws(() => cellType('lstm')!.paramSpecs({ ...config, variant: 'peephole' }),
    (e: unknown) => e instanceof OptionError && e.message === 'cell "lstm" has no variants, got variant "peephole"; omit the option');
  const gru = cellType('gru')!;
  // reset-before has no b_hn
  assert.deepEqual(gru.paramSpecs({ ...config, variant: 'reset-before' }).map((s) => s.name), ['layer1.W', 'layer1.b']);
  const specs = gru.paramSpecs({ ...config, variant: 'reset-before' });
  const before = gru.create({ ...config, variant: 'reset-before' }, new ParamSet(specs, 'float64'), jsKernels) as GruCell;
  assert.equal(before.variant, 'reset-before');
  const after = gru.create(config, new ParamSet(gru.paramSpecs(config), 'float64'), jsKernels) as GruCell;
  assert.equal(after.variant, 'reset-after');
  assert.throws(() => gru.paramSpecs({ ...config, variant: 'minimal' }), OptionError);
  assert.throws(() => gru.create({ ...config, variant: 'minimal' }, new ParamSet(specs, 'float64'), jsKernels), OptionError);
});

test('registerCell replaces a kind\'s type; cellType of a kind never registered is undefined', () => {
  const original = cellType('rnn')!;
  const replacement: CellType = { paramSpecs: () => [], create: (c, p, k) => original.create(c, p, k) };
  try {
    registerCell('rnn', replacement);
    assert.equal(cellType('rnn'), replacement);
    assert.deepEqual(cellType('rnn')!.paramSpecs(config), []);
  } finally {
    registerCell('rnn', original);
  }
  assert.equal(cellType('rnn'), original);
  assert.equal(cellType('mgu' as CellKind), undefined);
});
