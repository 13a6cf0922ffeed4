/**
 * ONNX model files, field by field (the focused file of the src/io part B
 * mutation run, docs/testing.md): the graphs of tiny networks decoded back
 * with the project's protobuf schema and written out whole here (nodes,
 * inputs, outputs, attributes, initializer shapes and values, metadata);
 * import of graphs made or edited here (MatMul + Add or Gemm, float_data,
 * double_data, raw bytes), weight by weight; every refusal by its whole
 * message. No ONNX Runtime here (export-onnx.test.ts runs it).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FormatError } from '../src/core/errors.js';
import { Network, type NetworkOptions } from '../src/model/network.js';
import { exportOnnx, importOnnx, ONNX_GATES, ONNX_OPSET } from '../src/io/onnx.js';
import { ONNX_ATTR, ONNX_DTYPE, ONNX_SCHEMA, onnxTypes } from '../src/io/onnx-schema.js';
import { numbered as numberedAs, q } from './helpers/numbered.js';
import { refuses } from './helpers/refuses.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The numbered network of the helper, float32 unless the options say otherwise (these formats store float32). */
const numbered = (options: NetworkOptions): Network => numberedAs(options, 'float32');

const { Model } = onnxTypes();
const decode = (bytes: Uint8Array): Obj => Model.toObject(Model.decode(bytes), { longs: Number }) as Obj;
const encode = (m: Obj): Uint8Array => Model.encode(Model.fromObject(m)).finish();
const utf8 = (b: Uint8Array): string => new TextDecoder().decode(b);
const bad = (message: string): string => `ONNX: ${message}`;
const f32bytes = (...v: number[]): Uint8Array => new Uint8Array(Float32Array.from(v).buffer);

function attrText(a: Obj): string {
  const v = a.s !== undefined ? JSON.stringify(utf8(a.s))
    : a.strings !== undefined ? JSON.stringify(a.strings.map(utf8))
      : a.ints !== undefined ? JSON.stringify(a.ints)
        : a.floats !== undefined ? JSON.stringify(a.floats)
          : String(a.i ?? a.f ?? 0); // protobuf does not write a number field that is 0
  return `${a.name}:${a.type}=${v}`;
}

/** `name: Op(inputs) -> outputs {attributes}` */
const nodeText = (n: Obj): string => `${n.name}: ${n.op_type}(${(n.input ?? []).join(', ')}) -> ${(n.output ?? []).join(', ')} {${(n.attribute ?? []).map(attrText).join('; ')}}`;

function tensorText(t: Obj): string {
  const values = t.raw_data ? Array.from(new Float32Array(new Uint8Array(t.raw_data).slice().buffer)) : t.int64_data;
  return `${t.name} ${t.data_type} [${(t.dims ?? []).join(', ')}] = ${values.join(', ')}`;
}

const valueText = (v: Obj): string => `${v.name} ${v.type.tensor_type.elem_type} [${v.type.tensor_type.shape.dim.map((d: Obj) => d.dim_param ?? d.dim_value).join(', ')}]`;

test('the schema: ONNX field numbers, data types and attribute types; the opset; gate orders', () => {
  const m = ONNX_SCHEMA.nested.onnx.nested;
  assert.deepEqual(Object.entries(m.ModelProto.fields).map(([k, f]) => `${k}=${f.id}${'rule' in f ? ' repeated' : ''} ${f.type}`), [
    'ir_version=1 int64', 'opset_import=8 repeated OperatorSetIdProto', 'producer_name=2 string', 'producer_version=3 string', 'domain=4 string',
    'model_version=5 int64', 'doc_string=6 string', 'graph=7 GraphProto', 'metadata_props=14 repeated StringStringEntryProto',
  ]);
  assert.deepEqual(Object.entries(m.TensorProto.fields).map(([k, f]) => `${k}=${f.id}`), [
    'dims=1', 'data_type=2', 'float_data=4', 'int32_data=5', 'string_data=6', 'int64_data=7', 'name=8', 'doc_string=12', 'raw_data=9', 'data_location=14', 'double_data=10',
  ]);
  assert.deepEqual(Object.entries(m.AttributeProto.fields).map(([k, f]) => `${k}=${f.id}`), [
    'name=1', 'doc_string=13', 'type=20', 'f=2', 'i=3', 's=4', 't=5', 'g=6', 'floats=7', 'ints=8', 'strings=9', 'tensors=10', 'graphs=11',
  ]);
  assert.deepEqual(ONNX_DTYPE, { FLOAT: 1, INT64: 7, DOUBLE: 11 });
  assert.deepEqual(ONNX_ATTR, { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 });
  assert.equal(ONNX_OPSET, 14);
  assert.deepEqual(ONNX_GATES, { rnn: ['h'], lstm: ['i', 'o', 'f', 'c'], gru: ['z', 'r', 'n'] });
  assert.equal(onnxTypes().Model, Model);
  // the bytes of a tiny message, tag by tag: ir_version (field 1, varint) 7, producer_name (2, bytes) "ab"
  assert.deepEqual([...Model.encode(Model.fromObject({ ir_version: 7, producer_name: 'ab' })).finish()], [0x08, 7, 0x12, 2, 0x61, 0x62]);
  // a node's op_type is field 4, a graph's node field 1, a model's graph field 7
  assert.deepEqual([...Model.encode(Model.fromObject({ graph: { node: [{ op_type: 'A' }] } })).finish()], [0x3a, 5, 0x0a, 3, 0x22, 1, 0x41]);
  // metadata_props field 14: key 1, value 2
  assert.deepEqual([...Model.encode(Model.fromObject({ metadata_props: [{ key: 'k', value: 'v' }] })).finish()], [0x72, 6, 0x0a, 1, 0x6b, 0x12, 1, 0x76]);
});

test('exportOnnx: a one-layer linear RNN with biases, the whole file', () => {
  // D = 1, H = 1, K = 1: U, W, b_h = params 0..2, V = 3, b_o = 4
  const net = numbered({ cell: 'rnn', inputSize: 1, hiddenSize: 1, outputSize: 1, hiddenActivation: 'linear' });
  const m = decode(exportOnnx({ networks: { model: net } }));
  assert.equal(m.ir_version, 7);
  assert.equal(m.producer_name, 'rnnkit');
  assert.equal(m.doc_string, 'generated by rnnkit: rnn 1×1, 1 inputs, 1 linear outputs');
  assert.deepEqual(m.opset_import, [{ version: 14 }]); // the default domain "", not written
  assert.equal(m.graph.name, 'rnnkit');
  assert.deepEqual(m.graph.node.map(nodeText), [
    'rnn_l0: RNN(x, W_l0, R_l0, B_l0, , h0) -> Y_l0, hT_l0 {hidden_size:2=1; direction:3="forward"; activations:8=["Affine"]; activation_alpha:6=[1]; activation_beta:6=[0]}',
    'squeeze_l0: Squeeze(Y_l0, axes_1) -> h_l0 {}',
    'concat_hT: Concat(hT_l0) -> hT {axis:2=0}',
    'output_matmul: MatMul(h_l0, V) -> net_o {}',
    'output_bias: Add(net_o, b_o) -> net_o_b {}',
    'output_linear: Identity(net_o_b) -> y {}',
  ]);
  assert.deepEqual(m.graph.initializer.map(tensorText), ['axes_1 7 [1] = 1', 'W_l0 1 [1, 1, 1] = 0.25', 'R_l0 1 [1, 1, 1] = 0.5', 'B_l0 1 [1, 2] = 0.75, 0', 'V 1 [1, 1] = 1', 'b_o 1 [1] = 1.25']);
  assert.deepEqual(m.graph.input.map(valueText), ['x 1 [T, B, 1]', 'h0 1 [1, B, 1]']);
  assert.deepEqual(m.graph.output.map(valueText), ['y 1 [T, B, 1]', 'hT 1 [1, B, 1]']);
  assert.deepEqual(m.metadata_props, [{ key: 'rnnkit.network', value: 'model' }, { key: 'rnnkit.config', value: JSON.stringify(net.config) }, { key: 'generator', value: 'generated by rnnkit' }]);
});

test('exportOnnx: a two-layer LSTM without biases, softmax: Slice of h0 and c0 per layer, gates [i | o | f | c], cT', () => {
  // D = 1, H = 1, K = 2: layer0.W (2×4) = params 0..7 (ours [f | i | o | c]), layer1.W = 8..15, V (1×2) = 16..17
  const net = numbered({ cell: 'lstm', inputSize: 1, hiddenSize: 1, outputSize: 2, layers: 2, bias: false, loss: 'cross-entropy' });
  const m = decode(exportOnnx({ networks: { model: net }, meta: { v: ['a'] } }));
  assert.equal(m.doc_string, 'generated by rnnkit: lstm 2×1, 1 inputs, 2 softmax outputs');
  const lstm = (l: number, below: string) => `lstm_l${l}: LSTM(${below}, W_l${l}, R_l${l}, , , h0_l${l}, c0_l${l}) -> Y_l${l}, hT_l${l}, cT_l${l} {hidden_size:2=1; direction:3="forward"}`;
  const slice = (s: string, l: number) => `slice_${s}_l${l}: Slice(${s}, ${s}_start_l${l}, ${s}_end_l${l}, axes_0) -> ${s}_l${l} {}`;
  assert.deepEqual(m.graph.node.map(nodeText), [
    slice('h0', 0), slice('c0', 0), lstm(0, 'x'), 'squeeze_l0: Squeeze(Y_l0, axes_1) -> h_l0 {}',
    slice('h0', 1), slice('c0', 1), lstm(1, 'h_l0'), 'squeeze_l1: Squeeze(Y_l1, axes_1) -> h_l1 {}',
    'concat_hT: Concat(hT_l0, hT_l1) -> hT {axis:2=0}',
    'concat_cT: Concat(cT_l0, cT_l1) -> cT {axis:2=0}',
    'output_matmul: MatMul(h_l1, V) -> net_o {}',
    'output_softmax: Softmax(net_o) -> y {axis:2=-1}',
  ]);
  assert.deepEqual(m.graph.initializer.map(tensorText), [
    'axes_1 7 [1] = 1',
    `W_l0 1 [1, 4, 1] = ${q(2, 3, 1, 4).join(', ')}`, `R_l0 1 [1, 4, 1] = ${q(6, 7, 5, 8).join(', ')}`,
    'h0_start_l0 7 [1] = 0', 'h0_end_l0 7 [1] = 1', 'c0_start_l0 7 [1] = 0', 'c0_end_l0 7 [1] = 1',
    `W_l1 1 [1, 4, 1] = ${q(10, 11, 9, 12).join(', ')}`, `R_l1 1 [1, 4, 1] = ${q(14, 15, 13, 16).join(', ')}`,
    'h0_start_l1 7 [1] = 1', 'h0_end_l1 7 [1] = 2', 'c0_start_l1 7 [1] = 1', 'c0_end_l1 7 [1] = 2',
    'axes_0 7 [1] = 0',
    `V 1 [1, 2] = ${q(17, 18).join(', ')}`,
  ]);
  assert.deepEqual(m.graph.input.map(valueText), ['x 1 [T, B, 1]', 'h0 1 [2, B, 1]', 'c0 1 [2, B, 1]']);
  assert.deepEqual(m.graph.output.map(valueText), ['y 1 [T, B, 2]', 'hT 1 [2, B, 1]', 'cT 1 [2, B, 1]']);
  assert.deepEqual(m.metadata_props.map((p: Obj) => p.key), ['rnnkit.network', 'rnnkit.config', 'rnnkit.meta', 'generator']);
  assert.equal(m.metadata_props[2].value, '{"v":["a"]}');
});

test('exportOnnx: a bidirectional reset-after GRU: one operator with num_directions 2, Transpose and Reshape, B with b_hn', () => {
  // D = 1, H = 1, K = 1: forward W (2×3) = params 0..5, b = 6..8, b_hn = 9; backward 10..19; V (2×1) = 20..21; b_o = 22
  const net = numbered({ cell: 'gru', inputSize: 1, hiddenSize: 1, outputSize: 1, bidirectional: true, outputActivation: 'sigmoid' });
  assert.deepEqual(Array.from(net.params.view('layer0.reverse.b_hn')), [5]);
  const m = decode(exportOnnx({ networks: { model: net } }));
  assert.equal(m.doc_string, 'generated by rnnkit: bidirectional gru 1×1, 1 inputs, 1 sigmoid outputs');
  assert.deepEqual(m.graph.node.map(nodeText), [
    'gru_l0: GRU(x, W_l0, R_l0, B_l0, , h0) -> Y_l0, hT_l0 {hidden_size:2=1; direction:3="bidirectional"; linear_before_reset:2=1}',
    'transpose_l0: Transpose(Y_l0) -> Yt_l0 {perm:7=[0,2,1,3]}',
    'reshape_l0: Reshape(Yt_l0, shape_TBS) -> h_l0 {}',
    'concat_hT: Concat(hT_l0) -> hT {axis:2=0}',
    'output_matmul: MatMul(h_l0, V) -> net_o {}',
    'output_bias: Add(net_o, b_o) -> net_o_b {}',
    'output_sigmoid: Sigmoid(net_o_b) -> y {}',
  ]);
  assert.deepEqual(m.graph.initializer.map(tensorText), [
    'axes_1 7 [1] = 1',
    `W_l0 1 [2, 3, 1] = ${q(1, 2, 3, 11, 12, 13).join(', ')}`,
    `R_l0 1 [2, 3, 1] = ${q(4, 5, 6, 14, 15, 16).join(', ')}`,
    `B_l0 1 [2, 6] = ${[...q(7, 8, 9), 0, 0, 2.5, ...q(17, 18, 19), 0, 0, 5].join(', ')}`,
    'shape_TBS 7 [3] = 0, 0, 2',
    `V 1 [2, 1] = ${q(21, 22).join(', ')}`,
    'b_o 1 [1] = 5.75',
  ]);
  assert.deepEqual(m.graph.input.map(valueText), ['x 1 [T, B, 1]', 'h0 1 [2, B, 1]']);
  assert.deepEqual(m.graph.output.map(valueText), ['y 1 [T, B, 1]', 'hT 1 [2, B, 1]']);
});

test('exportOnnx: each RNN activation by name (one per direction, Affine with α = 1, β = 0 per direction); the reset-before GRU is linear_before_reset 0', () => {
  const attrsOf = (options: NetworkOptions): string[] => decode(exportOnnx({ networks: { model: numbered(options) } })).graph.node[0].attribute.map(attrText);
  const rnn = { cell: 'rnn', inputSize: 1, hiddenSize: 2, outputSize: 1 } as const;
  assert.deepEqual(attrsOf(rnn), ['hidden_size:2=2', 'direction:3="forward"', 'activations:8=["Tanh"]']);
  assert.deepEqual(attrsOf({ ...rnn, hiddenActivation: 'relu' }), ['hidden_size:2=2', 'direction:3="forward"', 'activations:8=["Relu"]']);
  assert.deepEqual(attrsOf({ ...rnn, hiddenActivation: 'sigmoid', bidirectional: true }), ['hidden_size:2=2', 'direction:3="bidirectional"', 'activations:8=["Sigmoid","Sigmoid"]']);
  assert.deepEqual(attrsOf({ ...rnn, hiddenActivation: 'linear', bidirectional: true }), ['hidden_size:2=2', 'direction:3="bidirectional"', 'activations:8=["Affine","Affine"]', 'activation_alpha:6=[1,1]', 'activation_beta:6=[0,0]']);
  assert.deepEqual(attrsOf({ cell: 'gru', inputSize: 1, hiddenSize: 2, outputSize: 1, variant: 'reset-before' }), ['hidden_size:2=2', 'direction:3="forward"', 'linear_before_reset:2=0']);
  refuses(() => exportOnnx({ networks: { a: numbered(rnn), b: numbered(rnn) } }), FormatError,
    bad('the model holds 2 networks (a, b); a ONNX file carries one recurrent stack and its output layer, so encoder–decoder models cannot be exported'));
});

test('exportOnnx → importOnnx: a bidirectional two-layer LSTM and a float64 GRU come back weight for weight', () => {
  const lstm = numbered({ cell: 'lstm', inputSize: 2, hiddenSize: 1, outputSize: 2, layers: 2, bidirectional: true });
  const c = importOnnx(exportOnnx({ networks: { enc: lstm }, meta: { k: 1 } }));
  assert.deepEqual(Object.keys(c.networks), ['enc']);
  assert.deepEqual(c.meta, { k: 1 });
  assert.deepEqual(c.networks.enc!.config, lstm.config);
  assert.deepEqual(Array.from(c.networks.enc!.params.data), Array.from(lstm.params.data));
  const gru = numbered({ cell: 'gru', inputSize: 1, hiddenSize: 2, outputSize: 1, dtype: 'float64', variant: 'reset-before', layers: 2 });
  const g = importOnnx(exportOnnx({ networks: { model: gru } })).networks.model!;
  assert.deepEqual(g.config, gru.config);
  assert.deepEqual(Array.from(g.params.data), Array.from(gru.params.data));
  // an ArrayBuffer is read too
  const bytes = exportOnnx({ networks: { model: gru } });
  assert.deepEqual(Array.from(importOnnx(new Uint8Array(bytes).buffer).networks.model!.params.data), Array.from(gru.params.data));
});

/** A graph as torch.onnx.export writes nn.RNN(1, 2) + nn.Linear(2, 1): Gemm with transB, float_data, double_data, raw bytes. */
function torchStyle(): Obj {
  return {
    ir_version: 8,
    producer_name: 'pytorch',
    opset_import: [{ domain: 'ai.onnx', version: 17 }],
    graph: {
      node: [
        { op_type: 'Shape', input: ['x'], output: ['s'] },
        { op_type: 'RNN', input: ['x', 'W', 'R', 'B', '', 'h0'], output: ['Y', 'Y_h'], attribute: [{ name: 'hidden_size', type: 2, i: 2 }, { name: 'activations', type: 8, strings: [new TextEncoder().encode('Tanh')] }] },
        { op_type: 'Squeeze', input: ['Y', 'axes'], output: ['h'] },
        { op_type: 'Relu', input: ['s'], output: ['junk'] },
        { op_type: 'Gemm', input: ['h', 'lin_w', 'lin_b'], output: ['out'], attribute: [{ name: 'transB', type: 2, i: 1 }, { name: 'alpha', type: 1, f: 1 }] },
      ],
      initializer: [
        { name: 'W', dims: [1, 2, 1], data_type: 1, float_data: [1, 2] },
        { name: 'R', dims: [1, 2, 2], data_type: 11, double_data: [3, 4, 5, 6] },
        { name: 'B', dims: [1, 4], data_type: 1, raw_data: f32bytes(0.5, 0.25, 1, 2) },
        { name: 'lin_w', dims: [1, 2], data_type: 11, raw_data: new Uint8Array(Float64Array.from([7, 9]).buffer) },
        { name: 'lin_b', dims: [1], data_type: 1, float_data: [-1] },
        { name: 'axes', dims: [1], data_type: 7, int64_data: [1] },
      ],
    },
  };
}

test('importOnnx: a torch.onnx.export-style graph, weight by weight (W = Uᵀ, R = Wᵀ, b = input + recurrent bias, Gemm transB)', () => {
  const c = importOnnx(encode(torchStyle()));
  const net = c.networks.model!;
  assert.ok(!('meta' in c));
  assert.deepEqual(net.config, { cell: 'rnn', inputSize: 1, hiddenSize: 2, outputSize: 1, layers: 1, hiddenActivation: 'tanh', outputActivation: 'linear', loss: 'mse', bias: true, dtype: 'float32' });
  assert.deepEqual(Array.from(net.params.view('layer0.U')), [1, 2]);
  assert.deepEqual(Array.from(net.params.view('layer0.W')), [3, 5, 4, 6]);
  assert.deepEqual(Array.from(net.params.view('layer0.b_h')), [1.5, 2.25]);
  assert.deepEqual(Array.from(net.V), [7, 9]);
  assert.deepEqual(Array.from(net.b_o!), [-1]);
  // Gemm without transB: the weight is [H, K] as stored; alpha, beta 1 and transA 0 are fine
  const plain = torchStyle();
  plain.graph.node[4].attribute = [{ name: 'transA', type: 2, i: 0 }, { name: 'beta', type: 1, f: 1 }];
  plain.graph.initializer[3].dims = [2, 1];
  assert.deepEqual(Array.from(importOnnx(encode(plain)).networks.model!.V), [7, 9]);
  // Gemm without a bias input, and then a Softmax on its output (an Identity in between is skipped)
  const soft = torchStyle();
  soft.graph.node[4].input = ['h', 'lin_w'];
  soft.graph.node.push({ op_type: 'Identity', input: ['out'], output: ['o2'] }, { op_type: 'Softmax', input: ['out'], output: ['y'] });
  soft.graph.initializer[0].dims = [1, 2, 1];
  const s = importOnnx(encode(soft)).networks.model!;
  assert.equal(s.config.outputActivation, 'softmax');
  assert.equal(s.config.loss, 'cross-entropy');
  assert.deepEqual(Array.from(s.b_o!), [0]);
  // the weight's name found wherever it is among the inputs
  const swapped = torchStyle();
  swapped.graph.node[4] = { op_type: 'MatMul', input: ['lin_w', 'h'], output: ['out'] };
  swapped.graph.initializer[3].dims = [2, 1];
  swapped.graph.node.push({ op_type: 'Add', input: ['lin_b', 'out'], output: ['o'] }, { op_type: 'Sigmoid', input: ['o'], output: ['y'] });
  const w = importOnnx(encode(swapped)).networks.model!;
  assert.deepEqual(Array.from(w.b_o!), [-1]);
  assert.equal(w.config.outputActivation, 'sigmoid');
});

test('importOnnx: MatMul without an Add leaves b_o zero; an Add that does not take the MatMul\'s output is not its bias', () => {
  const g = torchStyle();
  g.graph.node[4] = { op_type: 'MatMul', input: ['h', 'lin_w'], output: ['out'] };
  g.graph.initializer[3].dims = [2, 1];
  g.graph.node.push({ op_type: 'Add', input: ['other', 'lin_b'], output: ['o'] });
  const net = importOnnx(encode(g)).networks.model!;
  assert.deepEqual(Array.from(net.b_o!), [0]);
  assert.equal(net.config.bias, true);
  // no bias anywhere: bias false
  const none = torchStyle();
  none.graph.node[1].input = ['x', 'W', 'R', '', '', 'h0'];
  none.graph.node[4].input = ['h', 'lin_w'];
  const n = importOnnx(encode(none)).networks.model!;
  assert.equal(n.config.bias, false);
  assert.equal(n.b_o, null);
  // an output bias alone makes bias true
  const out = torchStyle();
  out.graph.node[1].input = ['x', 'W', 'R'];
  assert.equal(importOnnx(encode(out)).networks.model!.config.bias, true);
});

function refusesGraph(edit: (m: Obj) => void, message: string): void {
  const m = torchStyle();
  edit(m);
  refuses(() => importOnnx(encode(m)), FormatError, bad(message));
}

test('importOnnx refuses bytes that are not ONNX, a missing or empty graph, a cut file of ours, and no default opset', () => {
  const junk = new Uint8Array([0x3a, 0x10, 0x0a]); // a graph of 16 bytes in a file of 3
  let inner = '';
  try {
    Model.decode(junk);
  } catch (e) {
    inner = (e as Error).message;
  }
  assert.ok(inner.length > 0);
  refuses(() => importOnnx(junk), FormatError, bad(`the file is not a valid ONNX protobuf (${inner}); it is damaged, truncated or another format`));
  refusesGraph((m) => delete m.graph, 'the model has no graph or an empty graph');
  refusesGraph((m) => { m.graph.node = []; }, 'the model has no graph or an empty graph');
  refusesGraph((m) => { delete m.graph.node; }, 'the model has no graph or an empty graph');
  refusesGraph((m) => { m.producer_name = 'rnnkit'; m.metadata_props = [{ key: 'rnnkit.network', value: 'model' }]; }, 'the file is truncated: its metadata_props end before the last entry');
  refusesGraph((m) => { m.producer_name = 'rnnkit'; }, 'the file is truncated: its metadata_props end before the last entry');
  refusesGraph((m) => { m.opset_import = [{ domain: 'com.microsoft', version: 1 }]; }, 'the model imports no opset of the default ONNX domain; the file is damaged or truncated');
  refusesGraph((m) => { delete m.opset_import; }, 'the model imports no opset of the default ONNX domain; the file is damaged or truncated');
  // the default domain spelled "" or left out is fine; a generator entry with an empty value is there
  for (const opset of [[{ domain: '', version: 14 }], [{ version: 14 }], [{ domain: 'x', version: 1 }, { domain: 'ai.onnx', version: 14 }]]) {
    const m = torchStyle();
    m.opset_import = opset;
    m.producer_name = 'rnnkit';
    m.metadata_props = [{ key: 'generator', value: '' }, { value: 'no key' }];
    assert.equal(importOnnx(encode(m)).networks.model!.config.cell, 'rnn');
  }
});

test('importOnnx refuses a graph without one kind of recurrent operator, or whose weights are missing or computed', () => {
  refusesGraph((m) => m.graph.node.splice(1, 1), 'the graph has no RNN, LSTM or GRU operator; rnnkit imports a stack of one of them followed by a MatMul or Gemm output layer');
  // an operator of another domain is not read
  refusesGraph((m) => { m.graph.node[1].domain = 'com.x'; }, 'the graph has no RNN, LSTM or GRU operator; rnnkit imports a stack of one of them followed by a MatMul or Gemm output layer');
  refusesGraph((m) => { m.graph.node[1].op_type = 'toString'; }, 'the graph has no RNN, LSTM or GRU operator; rnnkit imports a stack of one of them followed by a MatMul or Gemm output layer');
  refusesGraph((m) => m.graph.node.splice(2, 0, { op_type: 'GRU', input: ['h'], output: ['g'] }, { op_type: 'LSTM', input: ['g'], output: ['k'] }), 'the graph mixes RNN and GRU and LSTM operators; an rnnkit network has one cell type');
  refusesGraph((m) => { m.graph.node[1].input = ['x', '', 'R']; }, 'the RNN operator has no W input');
  refusesGraph((m) => { m.graph.node[1].input = ['x', 'W']; }, 'the RNN operator has no R input');
  refusesGraph((m) => { m.graph.node[1].input[2] = 'R_computed'; },
    'the RNN operator\'s R "R_computed" is computed in the graph, not stored as an initializer; export with constant folding (torch.onnx.export(..., do_constant_folding=True))');
  refusesGraph((m) => { m.graph.node[1].input[3] = 'B_computed'; },
    'the RNN operator\'s B "B_computed" is computed in the graph, not stored as an initializer; export with constant folding (torch.onnx.export(..., do_constant_folding=True))');
  // an initializer without a name is not found
  refusesGraph((m) => { delete m.graph.initializer[1].name; },
    'the RNN operator\'s R "R" is computed in the graph, not stored as an initializer; export with constant folding (torch.onnx.export(..., do_constant_folding=True))');
});

test('importOnnx refuses directions, clipping, coupled gates, peepholes and activations rnnkit does not have', () => {
  const dir = (s: string) => ({ name: 'direction', type: 3, s: new TextEncoder().encode(s) });
  refusesGraph((m) => m.graph.node[1].attribute.push(dir('reverse')), 'layer 0 runs reverse; rnnkit layers run forward or bidirectional (a reverse-only layer has no rnnkit form)');
  refusesGraph((m) => m.graph.node[1].attribute.push({ name: 'clip', type: 1, f: 3 }), 'layer 0 clips its cell input (attribute clip), which rnnkit\'s RNN does not do');
  refusesGraph((m) => m.graph.node[1].attribute.push({ name: 'input_forget', type: 2, i: 1 }), 'layer 0 couples the LSTM\'s input and forget gates (input_forget = 1), which rnnkit\'s LSTM does not do');
  const act = (...names: string[]) => ({ name: 'activations', type: 8, strings: names.map((n) => new TextEncoder().encode(n)) });
  refusesGraph((m) => { m.graph.node[1].attribute[1] = act('Softsign'); }, 'the RNN uses activation Softsign; rnnkit offers Tanh, Relu, Sigmoid and linear (Affine 1, 0)');
  refusesGraph((m) => { m.graph.node[1].attribute[1] = act('Affine'); m.graph.node[1].attribute.push({ name: 'activation_alpha', type: 6, floats: [2] }); },
    'the RNN uses Affine(α = 2, β = 0); rnnkit\'s linear activation is Affine(1, 0)');
  refusesGraph((m) => { m.graph.node[1].attribute[1] = act('Affine'); m.graph.node[1].attribute.push({ name: 'activation_alpha', type: 6, floats: [1] }, { name: 'activation_beta', type: 6, floats: [0.5] }); },
    'the RNN uses Affine(α = 1, β = 0.5); rnnkit\'s linear activation is Affine(1, 0)');
  refusesGraph((m) => { m.graph.node[1].attribute[1] = act('Affine'); }, 'the RNN uses Affine(α = undefined, β = 0); rnnkit\'s linear activation is Affine(1, 0)');
  // each activation read
  for (const [name, ours] of [['Tanh', 'tanh'], ['Relu', 'relu'], ['Sigmoid', 'sigmoid']] as const) {
    const m = torchStyle();
    m.graph.node[1].attribute[1] = act(name);
    assert.equal(importOnnx(encode(m)).networks.model!.config.hiddenActivation, ours);
  }
  const affine = torchStyle();
  affine.graph.node[1].attribute[1] = act('Affine');
  affine.graph.node[1].attribute.push({ name: 'activation_alpha', type: 6, floats: [1] });
  assert.equal(importOnnx(encode(affine)).networks.model!.config.hiddenActivation, 'linear');
  // no activations attribute: Tanh
  const none = torchStyle();
  none.graph.node[1].attribute.splice(1, 1);
  assert.equal(importOnnx(encode(none)).networks.model!.config.hiddenActivation, 'tanh');
});

/** Our export of a network, decoded, to edit. */
const oursOf = (options: NetworkOptions): Obj => decode(exportOnnx({ networks: { model: numbered(options) } }));

function refusesOurs(options: NetworkOptions, edit: (m: Obj) => void, message: string): void {
  const m = oursOf(options);
  edit(m);
  refuses(() => importOnnx(encode(m)), FormatError, bad(message));
}

test('importOnnx refuses layers that disagree: direction, activation, GRU variant, hidden size', () => {
  const rnn2 = { cell: 'rnn', inputSize: 1, hiddenSize: 1, outputSize: 1, layers: 2 } as const;
  const node = (m: Obj, op: string, k: number): Obj => m.graph.node.filter((n: Obj) => n.op_type === op)[k];
  refusesOurs(rnn2, (m) => { node(m, 'RNN', 1).attribute[1].s = new TextEncoder().encode('bidirectional'); },
    'layer 1 is bidirectional but layer 0 forward; rnnkit makes every layer of a network one or the other');
  refusesOurs({ ...rnn2, bidirectional: true }, (m) => { node(m, 'RNN', 1).attribute[1].s = new TextEncoder().encode('forward'); },
    'layer 1 is forward but layer 0 bidirectional; rnnkit makes every layer of a network one or the other');
  refusesOurs({ ...rnn2, bidirectional: true }, (m) => { node(m, 'RNN', 0).attribute[2].strings[1] = new TextEncoder().encode('Relu'); },
    'layer 0\'s two directions use activations Tanh and Relu; rnnkit uses one activation');
  refusesOurs(rnn2, (m) => { node(m, 'RNN', 1).attribute[2].strings[0] = new TextEncoder().encode('Relu'); },
    'layer 1 uses relu but layer 0 tanh; rnnkit uses one activation for every layer');
  const gru2 = { cell: 'gru', inputSize: 1, hiddenSize: 1, outputSize: 1, layers: 2 } as const;
  refusesOurs(gru2, (m) => { node(m, 'GRU', 1).attribute[2].i = 0; }, 'layer 1 is a reset-before GRU but layer 0 reset-after');
  refusesOurs({ ...gru2, variant: 'reset-before' }, (m) => { node(m, 'GRU', 1).attribute[2].i = 1; }, 'layer 1 is a reset-after GRU but layer 0 reset-before');
  refusesOurs(gru2, (m) => { node(m, 'GRU', 0).attribute.push({ name: 'activations', type: 8, strings: ['Sigmoid', 'Relu'].map((s) => new TextEncoder().encode(s)) }); },
    'layer 0 uses activations Sigmoid, Relu; rnnkit\'s GRU has Sigmoid, Tanh');
  refusesOurs({ cell: 'lstm', inputSize: 1, hiddenSize: 1, outputSize: 1, bidirectional: true }, (m) => {
    node(m, 'LSTM', 0).attribute.push({ name: 'activations', type: 8, strings: ['Sigmoid', 'Tanh', 'Tanh', 'Sigmoid', 'Tanh', 'Relu'].map((s) => new TextEncoder().encode(s)) });
  }, 'layer 0 uses activations Sigmoid, Tanh, Tanh, Sigmoid, Tanh, Relu; rnnkit\'s LSTM has Sigmoid, Tanh, Tanh');
  refusesOurs({ cell: 'lstm', inputSize: 1, hiddenSize: 1, outputSize: 1 }, (m) => { node(m, 'LSTM', 0).input[7] = 'P'; },
    'layer 0 has peephole weights (input P), which rnnkit\'s LSTM does not have');
  refusesOurs({ cell: 'lstm', inputSize: 1, hiddenSize: 1, outputSize: 1 }, (m) => { node(m, 'LSTM', 0).attribute.push({ name: 'input_forget', type: 2, i: 1 }); },
    'layer 0 couples the LSTM\'s input and forget gates (input_forget = 1), which rnnkit\'s LSTM does not do');
  // the standard activations listed explicitly, input_forget 0 and an empty peephole input are fine
  for (const [cell, acts] of [['lstm', ['Sigmoid', 'Tanh', 'Tanh', 'Sigmoid', 'Tanh', 'Tanh']], ['gru', ['Sigmoid', 'Tanh', 'Sigmoid', 'Tanh']]] as const) {
    const m = oursOf({ cell, inputSize: 1, hiddenSize: 1, outputSize: 1, bidirectional: true });
    const n = m.graph.node.find((x: Obj) => x.op_type === cell.toUpperCase());
    n.attribute.push({ name: 'activations', type: 8, strings: acts.map((s) => new TextEncoder().encode(s)) }, { name: 'input_forget', type: 2, i: 0 });
    n.input[7] = '';
    assert.equal(importOnnx(encode(m)).networks.model!.config.cell, cell);
  }
});

test('importOnnx refuses weights of the wrong shape, naming what it expected', () => {
  const init = (m: Obj, name: string): Obj => m.graph.initializer.find((t: Obj) => t.name === name);
  const lstm2 = { cell: 'lstm', inputSize: 3, hiddenSize: 2, outputSize: 1, layers: 2 } as const;
  // R_l1 is [1, 8, 2]: 16 values, given other dims of 16
  refusesOurs(lstm2, (m) => { init(m, 'R_l1').dims = [1, 4, 4]; }, 'layer 1: R has shape [1, 4, 4], expected [1, 4·H, H]');
  refusesOurs(lstm2, (m) => { init(m, 'R_l1').dims = [8, 2]; }, 'layer 1: R has shape [8, 2], expected [1, 4·H, H]');
  refusesOurs(lstm2, (m) => { init(m, 'R_l1').dims = [2, 4, 2]; }, 'layer 1: R has shape [2, 4, 2], expected [1, 4·H, H]');
  refusesOurs(lstm2, (m) => { init(m, 'R_l1').dims = [1, 4, 1]; init(m, 'R_l1').raw_data = f32bytes(1, 2, 3, 4); }, 'layer 1 has hidden size 1 but layer 0 2; rnnkit uses one hidden size');
  refusesOurs(lstm2, (m) => { m.graph.node.find((n: Obj) => n.name === 'lstm_l1').attribute[0].i = 3; }, 'layer 1: hidden_size 3 disagrees with R [1, 8, 2]');
  refusesOurs(lstm2, (m) => { init(m, 'W_l0').dims = [1, 24]; }, 'layer 0: W has shape [1, 24], expected [1, 8, D]');
  refusesOurs(lstm2, (m) => { init(m, 'W_l0').dims = [3, 8, 1]; }, 'layer 0: W has shape [3, 8, 1], expected [1, 8, D]');
  refusesOurs(lstm2, (m) => { init(m, 'W_l0').dims = [1, 12, 2]; }, 'layer 0: W has shape [1, 12, 2], expected [1, 8, D]');
  refusesOurs(lstm2, (m) => { init(m, 'W_l1').dims = [1, 4, 4]; }, 'layer 1: W has shape [1, 4, 4], expected [1, 8, 2]');
  refusesOurs(lstm2, (m) => { init(m, 'B_l1').dims = [16]; }, 'layer 1: B has shape [16], expected [1, 16]');
  refusesOurs(lstm2, (m) => { init(m, 'B_l1').dims = [2, 8]; }, 'layer 1: B has shape [2, 8], expected [1, 16]');
  refusesOurs(lstm2, (m) => { init(m, 'B_l1').dims = [1, 16, 1]; }, 'layer 1: B has shape [1, 16, 1], expected [1, 16]');
  refusesOurs({ ...lstm2, bidirectional: true }, (m) => { init(m, 'W_l1').dims = [2, 8, 2]; init(m, 'W_l1').raw_data = f32bytes(...new Array(32).fill(0)); }, 'layer 1: W has shape [2, 8, 2], expected [2, 8, 4]');
  // hidden_size agreeing with R is fine; W of layer 0 gives D
  const m = oursOf({ ...lstm2, layers: 1 });
  assert.equal(importOnnx(encode(m)).networks.model!.config.inputSize, 3);
});

test('importOnnx refuses an output layer that is missing or not understood', () => {
  refusesGraph((m) => m.graph.node.splice(4, 1), 'no output layer after the recurrent operators (a MatMul or Gemm with a stored [H, K] weight, as nn.Linear exports)');
  refusesGraph((m) => { m.graph.node[4].input = ['h', 'computed']; }, 'no output layer after the recurrent operators (a MatMul or Gemm with a stored [H, K] weight, as nn.Linear exports)');
  // a MatMul before the recurrent operator is not the output layer
  refusesGraph((m) => { m.graph.node.unshift(m.graph.node.splice(4, 1)[0]); }, 'no output layer after the recurrent operators (a MatMul or Gemm with a stored [H, K] weight, as nn.Linear exports)');
  const gemm = 'the output Gemm scales or transposes its input (alpha, beta, transA); only y = x·Wᵀ + b or x·W + b is understood';
  refusesGraph((m) => m.graph.node[4].attribute.push({ name: 'beta', type: 1, f: 0.5 }), gemm);
  refusesGraph((m) => { m.graph.node[4].attribute[1].f = 2; }, gemm);
  refusesGraph((m) => m.graph.node[4].attribute.push({ name: 'transA', type: 2, i: 1 }), gemm);
  refusesGraph((m) => { m.graph.initializer[3].dims = [2, 1]; }, 'the output Gemm\'s weight has shape [2, 1], expected [K, 2]');
  refusesGraph((m) => { m.graph.initializer[3].dims = [2]; }, 'the output Gemm\'s weight has shape [2], expected [K, 2]');
  refusesGraph((m) => { m.graph.node[4].attribute = []; }, 'the output Gemm\'s weight has shape [1, 2], expected [2, K]');
  refusesGraph((m) => { m.graph.node[4].attribute = [{ name: 'transB', type: 2, i: 0 }]; m.graph.initializer[3].dims = [2]; }, 'the output Gemm\'s weight has shape [2], expected [2, K]');
  refusesGraph((m) => { m.graph.initializer[4].dims = [2]; m.graph.initializer[4].float_data = [1, 2]; }, 'the output bias has 2 values, expected 1');
  const matmul = (m: Obj): void => { m.graph.node[4] = { op_type: 'MatMul', input: ['h', 'lin_w'], output: ['out'] }; };
  refusesGraph((m) => { matmul(m); }, 'the output MatMul\'s weight "lin_w" has shape [1, 2], expected [2, K]');
  refusesGraph((m) => { matmul(m); m.graph.initializer[3].dims = [2]; }, 'the output MatMul\'s weight "lin_w" has shape [2], expected [2, K]');
  refusesGraph((m) => { matmul(m); m.graph.initializer[3].dims = [2, 1]; m.graph.node.push({ op_type: 'Add', input: ['out', 'W'], output: ['o'] }); }, 'the output bias has 2 values, expected 1');
  refusesGraph((m) => m.graph.node.push({ op_type: 'LogSoftmax', input: ['out'], output: ['y'] }),
    'the output is LogSoftmax; rnnkit\'s output activations are linear, sigmoid and softmax (drop the log, or export the logits)');
  // a non-zero output bias in a model our metadata says has no biases
  const m = oursOf({ cell: 'rnn', inputSize: 1, hiddenSize: 1, outputSize: 1, bias: false });
  m.graph.initializer.push({ name: 'b_o', dims: [1], data_type: 1, float_data: [0.5] });
  m.graph.node.splice(-1, 0, { op_type: 'Add', name: 'output_bias', input: ['net_o', 'b_o'], output: ['net_o_b'] });
  m.graph.node.at(-1).input = ['net_o_b'];
  refuses(() => importOnnx(encode(m)), FormatError, bad('the output layer has a non-zero bias but the model has no biases'));
  m.graph.initializer.at(-1).float_data = [0];
  assert.equal(importOnnx(encode(m)).networks.model!.b_o, null);
});

test('importOnnx reads float, double and raw tensors, and refuses bad dims, other data types, a wrong count and non-finite values', () => {
  refusesGraph((m) => { m.graph.initializer[0].dims = [1, -2, 1]; }, 'tensor "W" has invalid dims [1, -2, 1]');
  refusesGraph((m) => { m.graph.initializer[2].data_type = 7; }, 'tensor "B" has data type 7; weights must be float32 (1) or float64 (11)');
  refusesGraph((m) => { delete m.graph.initializer[2].data_type; }, 'tensor "B" has data type 0; weights must be float32 (1) or float64 (11)');
  refusesGraph((m) => { m.graph.initializer[0].float_data = [1, 2, 3]; }, 'tensor "W" [1, 2, 1] holds 3 values, expected 2; the file is damaged');
  refusesGraph((m) => { delete m.graph.initializer[0].float_data; }, 'tensor "W" [1, 2, 1] holds 0 values, expected 2; the file is damaged');
  refusesGraph((m) => { m.graph.initializer[2].raw_data = f32bytes(1, 2, 3); }, 'tensor "B" [1, 4] holds 3 values, expected 4; the file is damaged');
  refusesGraph((m) => { m.graph.initializer[3].raw_data = new Uint8Array(Float64Array.from([7]).buffer); }, 'tensor "lin_w" [1, 2] holds 1 values, expected 2; the file is damaged');
  // float data given for a double tensor is not read
  refusesGraph((m) => { m.graph.initializer[1].float_data = [3, 4, 5, 6]; delete m.graph.initializer[1].double_data; }, 'tensor "R" [1, 2, 2] holds 0 values, expected 4; the file is damaged');
  refusesGraph((m) => { m.graph.initializer[0].float_data = [1, NaN]; }, 'tensor "W" value 1 is NaN, expected a finite number');
  refusesGraph((m) => { m.graph.initializer[1].double_data = [Infinity, 4, 5, 6]; }, 'tensor "R" value 0 is Infinity, expected a finite number');
  refusesGraph((m) => { m.graph.initializer[1].double_data = [3, 4, 5, 1e300]; }, 'tensor "R" value 3 is Infinity, expected a finite number');
  refusesGraph((m) => { m.graph.initializer[2].raw_data = f32bytes(0, 0, 0, -Infinity); }, 'tensor "B" value 3 is -Infinity, expected a finite number');
  // an empty raw_data falls back to float_data
  const m = torchStyle();
  m.graph.initializer[0].raw_data = new Uint8Array(0);
  assert.deepEqual(Array.from(importOnnx(encode(m)).networks.model!.params.view('layer0.U')), [1, 2]);
  // a scalar (no dims) holds one value
  const s = torchStyle();
  s.graph.initializer[4] = { name: 'lin_b', data_type: 1, float_data: [-3] };
  assert.deepEqual(Array.from(importOnnx(encode(s)).networks.model!.b_o!), [-3]);
});
