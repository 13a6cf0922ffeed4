/**
 * ONNX export (issue 15): every network variant runs in ONNX Runtime
 * (onnxruntime-web's WebAssembly build, in Node, no download) and matches
 * the library's forward pass to 1e-5 — outputs y and final states hT, cT,
 * from zero and from given initial states, at two (T, B) shapes of one
 * session; and .rnn → ONNX → .rnn restores the parameters bit for bit with
 * the config and meta.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-web';
import { exportOnnx, importOnnx, ONNX_OPSET } from '../src/io/onnx.js';
import { onnxTypes } from '../src/io/onnx-schema.js';
import type { CellState } from '../src/cells/cell.js';
import { Network } from '../src/model/network.js';
import { BIDIRECTIONAL, bidirectionalFinal, denseInput, distinctNet, forwardDense, maxDiff, sameBits, VARIANTS } from './helpers/portable.js';

ort.env.wasm.numThreads = 1;
const TOL = 1e-5;

async function runOnnx(session: ort.InferenceSession, net: Network, x: Float32Array, T: number, B: number, init?: CellState[]): Promise<ort.InferenceSession.OnnxValueMapType> {
  const { inputSize: D, hiddenSize: H, layers: L, cell } = net.config;
  const state = (k: 'h' | 'c'): Float32Array => {
    const s = new Float32Array(L * B * H);
    init?.forEach((st, l) => s.set(st[k] ?? new Float32Array(B * H), l * B * H));
    return s;
  };
  const feeds: Record<string, ort.Tensor> = {
    x: new ort.Tensor('float32', x, [T, B, D]),
    h0: new ort.Tensor('float32', state('h'), [L, B, H]),
  };
  if (cell === 'lstm') feeds.c0 = new ort.Tensor('float32', state('c'), [L, B, H]);
  return session.run(feeds);
}

function stacked(states: { h: Float64Array; c?: Float64Array }[], k: 'h' | 'c'): Float64Array {
  const n = states[0]!.h.length;
  const out = new Float64Array(states.length * n);
  states.forEach((s, l) => out.set(s[k]!, l * n));
  return out;
}

for (const v of VARIANTS) {
  test(`ONNX: ${v.name} runs in ONNX Runtime as forward does (≤ 1e-5), at two shapes and from given states`, async (t) => {
    const net = distinctNet(v.options);
    const session = await ort.InferenceSession.create(exportOnnx({ networks: { model: net } }));
    const { inputSize: D, hiddenSize: H, outputSize: K, cell } = net.config;
    let worst = 0;
    for (const [T, B] of [[5, 3], [2, 1]] as const) {
      const x = denseInput(T, B, D, T);
      const init: CellState[] | undefined = T === 2
        ? net.layers.map((_, l) => ({ h: denseInput(1, B, H, 10 + l), ...(cell === 'lstm' ? { c: denseInput(1, B, H, 20 + l) } : {}) }))
        : undefined;
      const ref = forwardDense(net, x, T, B, init);
      const out = await runOnnx(session, net, x, T, B, init);
      assert.deepEqual(out.y!.dims, [T, B, K]);
      assert.ok(maxDiff(out.y!.data as Float32Array, ref.y) <= TOL, `y differs by ${maxDiff(out.y!.data as Float32Array, ref.y)}`);
      assert.ok(maxDiff(out.hT!.data as Float32Array, stacked(ref.states, 'h')) <= TOL, 'hT differs');
      if (cell === 'lstm') assert.ok(maxDiff(out.cT!.data as Float32Array, stacked(ref.states, 'c')) <= TOL, 'cT differs');
      worst = Math.max(worst, maxDiff(out.y!.data as Float32Array, ref.y), maxDiff(out.hT!.data as Float32Array, stacked(ref.states, 'h')));
    }
    t.diagnostic(`largest difference ${worst.toExponential(2)}`);
  });

  test(`ONNX: ${v.name}: .rnn → ONNX → .rnn gives the same parameters bit for bit, config and meta`, () => {
    const net = distinctNet(v.options);
    const meta = { kind: 'text', tokenizer: { kind: 'char', symbols: ['\u0000', 'a', 'é', '\n'] } };
    const back = importOnnx(exportOnnx({ networks: { model: net }, meta }));
    const got = back.networks.model!;
    assert.ok(sameBits(got.params.data, net.params.data), 'parameters differ');
    assert.deepEqual(got.config, net.config);
    assert.deepEqual(back.meta, meta);
  });
}

test('ONNX: the file declares opset 14, dynamic T and B, and carries the vocabulary in metadata_props', () => {
  const net = distinctNet({ cell: 'lstm', inputSize: 3, hiddenSize: 2, outputSize: 3, layers: 2, loss: 'cross-entropy' });
  const meta = { kind: 'text', tokenizer: { kind: 'char', symbols: ['?', 'a', 'b'] } };
  const { Model } = onnxTypes();
  const m = Model.toObject(Model.decode(exportOnnx({ networks: { model: net }, meta })), { longs: Number }) as {
    opset_import: { version: number }[]; metadata_props: { key: string; value: string }[];
    graph: { node: { op_type: string }[]; input: { name: string; type: { tensor_type: { shape: { dim: { dim_param?: string; dim_value?: number }[] } } } }[]; output: { name: string }[] };
  };
  assert.equal(m.opset_import[0]!.version, ONNX_OPSET);
  assert.ok(ONNX_OPSET >= 14);
  assert.deepEqual(m.graph.input.map((i) => i.name), ['x', 'h0', 'c0']);
  assert.deepEqual(m.graph.output.map((o) => o.name), ['y', 'hT', 'cT']);
  assert.deepEqual(m.graph.input[0]!.type.tensor_type.shape.dim.map((d) => d.dim_param ?? d.dim_value), ['T', 'B', 3]);
  assert.deepEqual(m.graph.node.filter((n) => n.op_type === 'LSTM').length, 2);
  assert.ok(m.graph.node.some((n) => n.op_type === 'Softmax'));
  const props = Object.fromEntries(m.metadata_props.map((p) => [p.key, p.value]));
  assert.deepEqual(JSON.parse(props['rnnkit.meta']!), meta);
  assert.equal(JSON.parse(props['rnnkit.config']!).cell, 'lstm');
});

test('ONNX: a float64 network exports in float32, runs within 1e-5, and comes back float64 with float32-rounded values', async () => {
  const net = distinctNet({ cell: 'gru', inputSize: 2, hiddenSize: 3, outputSize: 2, dtype: 'float64' });
  const bytes = exportOnnx({ networks: { model: net } });
  const session = await ort.InferenceSession.create(bytes);
  const x = denseInput(4, 2, 2);
  const out = await runOnnx(session, net, x, 4, 2);
  assert.ok(maxDiff(out.y!.data as Float32Array, forwardDense(net, x, 4, 2).y) <= TOL);
  const back = importOnnx(bytes).networks.model!;
  assert.equal(back.config.dtype, 'float64');
  assert.deepEqual(Array.from(back.params.data), Array.from(net.params.data, Math.fround));
});

test('ONNX: a checkpoint of two networks (encoder–decoder) is refused with a one-line reason', () => {
  const a = distinctNet({ cell: 'gru', inputSize: 2, hiddenSize: 3, outputSize: 2 });
  assert.throws(() => exportOnnx({ networks: { encoder: a, decoder: a } }), /^FormatError: ONNX: the model holds 2 networks \(encoder, decoder\)[^\n]*$/);
});

for (const v of BIDIRECTIONAL) {
  test(`ONNX: ${v.name} (direction "bidirectional") runs in ONNX Runtime as forward does (≤ 1e-5) at two shapes; the round trip is bit-identical`, async (t) => {
    const net = distinctNet(v.options);
    const bytes = exportOnnx({ networks: { model: net } });
    const session = await ort.InferenceSession.create(bytes);
    const { inputSize: D, hiddenSize: H, outputSize: K, layers: L, cell } = net.config;
    let worst = 0;
    for (const [T, B] of [[5, 3], [2, 1]] as const) {
      const x = denseInput(T, B, D, T);
      const ref = forwardDense(net, x, T, B);
      // h0 and c0 have a row per layer and direction: [2L, B, H].
      const zeros = (): ort.Tensor => new ort.Tensor('float32', new Float32Array(2 * L * B * H), [2 * L, B, H]);
      const out = await session.run({ x: new ort.Tensor('float32', x, [T, B, D]), h0: zeros(), ...(cell === 'lstm' ? { c0: zeros() } : {}) });
      assert.deepEqual(out.y!.dims, [T, B, K]);
      assert.deepEqual(out.hT!.dims, [2 * L, B, H]);
      const dy = maxDiff(out.y!.data as Float32Array, ref.y);
      const dh = maxDiff(out.hT!.data as Float32Array, bidirectionalFinal(net, T, B, 'h'));
      assert.ok(dy <= TOL, `y differs by ${dy}`);
      assert.ok(dh <= TOL, `hT differs by ${dh}`);
      if (cell === 'lstm') assert.ok(maxDiff(out.cT!.data as Float32Array, bidirectionalFinal(net, T, B, 'c')) <= TOL, 'cT differs');
      worst = Math.max(worst, dy, dh);
    }
    t.diagnostic(`largest difference ${worst.toExponential(2)}`);
    const meta = { kind: 'classifier', classes: ['a', 'b'] };
    const back = importOnnx(exportOnnx({ networks: { model: net }, meta }));
    assert.ok(sameBits(back.networks.model!.params.data, net.params.data), 'parameters differ');
    assert.deepEqual(back.networks.model!.config, net.config);
    assert.deepEqual(back.meta, meta);
  });
}

test('ONNX: a bidirectional file whose metadata says one-way is refused in one line', () => {
  const net = distinctNet({ cell: 'gru', inputSize: 2, hiddenSize: 3, outputSize: 2, bidirectional: true });
  const { Model } = onnxTypes();
  const m = Model.toObject(Model.decode(exportOnnx({ networks: { model: net } }))) as { metadata_props: { key: string; value: string }[] };
  const p = m.metadata_props.find((x) => x.key === 'rnnkit.config')!;
  const config = JSON.parse(p.value);
  delete config.bidirectional;
  p.value = JSON.stringify(config);
  const bytes = Model.encode(Model.fromObject(m)).finish();
  assert.throws(() => importOnnx(bytes), /^FormatError: ONNX: metadata "rnnkit.config" says the layers are one-way but the weights are bidirectional$/);
});

test('ONNX: an LSTM saved with forgetBias 1 comes back with forgetBias 1 (every config key reaches the rebuilt network)', () => {
  const net = new Network({ cell: 'lstm', inputSize: 3, hiddenSize: 4, outputSize: 3, forgetBias: 1 });
  const back = importOnnx(exportOnnx({ networks: { model: net } })).networks.model!;
  assert.equal(back.config.forgetBias, 1);
  assert.ok(sameBits(back.params.data, net.params.data));
});
