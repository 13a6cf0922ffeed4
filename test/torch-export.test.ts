/**
 * PyTorch against our model files (issue 15), skipped — saying why — where
 * /usr/bin/python3 has no torch:
 * - each exported safetensors file, read with rnnkit_torch.py's few lines
 *   of Python, loads with load_state_dict(strict=True) into nn.RNN/nn.LSTM/
 *   nn.GRU (bidirectional=True for bidirectional networks) + nn.Linear,
 *   whose outputs equal forward's (≤ 1e-5);
 * - files torch.onnx.export writes for nn.RNN/nn.LSTM/nn.GRU + nn.Linear
 *   (bidirectional=True too) import, and forward then equals PyTorch's
 *   outputs (≤ 1e-5).
 */

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { exportSafetensors } from '../src/io/safetensors.js';
import { importOnnx } from '../src/io/onnx.js';
import { BIDIRECTIONAL, denseInput, distinctNet, forwardDense, maxDiff, VARIANTS } from './helpers/portable.js';
import { runPython, TORCH_SKIP } from './helpers/torch.js';

const TOL = 1e-5;
const TORCH_VARIANTS = [...VARIANTS, ...BIDIRECTIONAL].filter((v) => !(v.options.cell === 'gru' && v.options.variant === 'reset-before') && !(v.options.cell === 'rnn' && (v.options.hiddenActivation === 'sigmoid' || v.options.hiddenActivation === 'linear')));

const LOAD_AND_RUN = `
import json, sys, torch
from torch import nn
from rnnkit_torch import load_safetensors
torch.set_default_dtype(torch.float32)
results = []
for job in json.load(open(sys.argv[1])):
    tensors, metadata = load_safetensors(job["file"])
    c = json.loads(metadata["rnnkit.config"])
    D, H, K, L, bias = c["inputSize"], c["hiddenSize"], c["outputSize"], c["layers"], c["bias"]
    bi = c.get("bidirectional", False)
    if c["cell"] == "rnn":
        rnn = nn.RNN(D, H, L, nonlinearity=c["hiddenActivation"], bias=bias, bidirectional=bi)
    else:
        rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[c["cell"]](D, H, L, bias=bias, bidirectional=bi)
    linear = nn.Linear(2 * H if bi else H, K, bias=bias)
    rnn.load_state_dict({k: v for k, v in tensors.items() if not k.startswith("linear.")}, strict=True)
    linear.load_state_dict({k[7:]: v for k, v in tensors.items() if k.startswith("linear.")}, strict=True)
    T, B = job["T"], job["B"]
    x = torch.tensor(job["x"], dtype=torch.float32).reshape(T, B, D)
    with torch.no_grad():
        h, _ = rnn(x)
        y = linear(h)
        y = {"softmax": lambda v: torch.softmax(v, -1), "sigmoid": torch.sigmoid, "linear": lambda v: v}[c["outputActivation"]](y)
    results.append(y.reshape(-1).tolist())
print(json.dumps(results))
`;

test('PyTorch: every exported safetensors file loads strictly into nn.RNN/LSTM/GRU + nn.Linear, which output what forward does (≤ 1e-5)', { skip: TORCH_SKIP }, (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rnnkit-torch-'));
  try {
    const T = 5;
    const B = 2;
    const jobs = TORCH_VARIANTS.map((v, k) => {
      const net = distinctNet(v.options);
      const file = path.join(dir, `m${k}.safetensors`);
      writeFileSync(file, exportSafetensors({ networks: { model: net } }));
      const x = denseInput(T, B, net.config.inputSize, k);
      return { v, net, x, job: { file, T, B, x: Array.from(x) } };
    });
    writeFileSync(path.join(dir, 'jobs.json'), JSON.stringify(jobs.map((j) => j.job)));
    const results = JSON.parse(runPython(LOAD_AND_RUN, [path.join(dir, 'jobs.json')])) as number[][];
    jobs.forEach((j, k) => {
      const ref = forwardDense(j.net, j.x, T, B).y;
      const d = maxDiff(results[k]!, ref);
      assert.ok(d <= TOL, `${j.v.name}: PyTorch differs from forward by ${d}`);
      t.diagnostic(`${j.v.name}: largest difference ${d.toExponential(2)}`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const TORCH_ONNX = `
import json, sys, torch
from torch import nn
torch.manual_seed(5)
out = {}
class Model(nn.Module):
    def __init__(self, rnn, K, act):
        super().__init__()
        self.rnn, self.linear, self.act = rnn, nn.Linear(rnn.hidden_size * (2 if rnn.bidirectional else 1), K), act
    def forward(self, x):
        h, _ = self.rnn(x)
        y = self.linear(h)
        return torch.softmax(y, -1) if self.act == "softmax" else torch.sigmoid(y) if self.act == "sigmoid" else y
cases = {
    "lstm": Model(nn.LSTM(3, 4, 2), 5, "softmax"),
    "gru": Model(nn.GRU(3, 4, 1), 3, "linear"),
    "rnn": Model(nn.RNN(3, 4, 2, nonlinearity="relu"), 2, "sigmoid"),
    "bilstm": Model(nn.LSTM(3, 4, 2, bidirectional=True), 3, "linear"),
    "bigru": Model(nn.GRU(3, 4, 1, bidirectional=True), 2, "softmax"),
}
x = torch.tensor(json.loads(sys.argv[2]), dtype=torch.float32).reshape(5, 2, 3)
for name, m in cases.items():
    with torch.no_grad():
        for p in m.parameters():
            p.add_(0.1 * torch.randn_like(p))  # non-zero biases everywhere
        y = m(x)
    torch.onnx.export(m, (x,), f"{sys.argv[1]}/{name}.onnx", input_names=["x"], output_names=["y"], opset_version=14,
                      dynamic_axes={"x": {0: "T", 1: "B"}, "y": {0: "T", 1: "B"}})
    out[name] = y.reshape(-1).tolist()
print(json.dumps(out))
`;

test('PyTorch: files torch.onnx.export writes for nn.LSTM/GRU/RNN (one-way and bidirectional) + nn.Linear import, and forward outputs what PyTorch did (≤ 1e-5)', { skip: TORCH_SKIP }, (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rnnkit-torch-onnx-'));
  try {
    const x = denseInput(5, 2, 3);
    const want = JSON.parse(runPython(TORCH_ONNX, [dir, JSON.stringify(Array.from(x))])) as Record<string, number[]>;
    const expect = {
      lstm: { cell: 'lstm', layers: 2, act: 'softmax' }, gru: { cell: 'gru', layers: 1, act: 'linear' }, rnn: { cell: 'rnn', layers: 2, act: 'sigmoid' },
      bilstm: { cell: 'lstm', layers: 2, act: 'linear' }, bigru: { cell: 'gru', layers: 1, act: 'softmax' },
    } as const;
    for (const [name, y] of Object.entries(want)) {
      const net = importOnnx(readFileSync(path.join(dir, `${name}.onnx`))).networks.model!;
      assert.equal(net.config.cell, expect[name as keyof typeof expect].cell);
      assert.equal(net.config.bidirectional === true, name.startsWith('bi'), `${name}: bidirectional`);
      assert.equal(net.config.layers, expect[name as keyof typeof expect].layers);
      assert.equal(net.config.outputActivation, expect[name as keyof typeof expect].act);
      if (name === 'rnn') assert.equal(net.config.hiddenActivation, 'relu');
      if (name === 'gru') assert.equal(net.config.variant ?? 'reset-after', 'reset-after');
      const d = maxDiff(forwardDense(net, x, 5, 2).y, y);
      assert.ok(d <= TOL, `${name}: forward differs from PyTorch by ${d}`);
      t.diagnostic(`${name}: largest difference ${d.toExponential(2)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
