#!/usr/bin/env python3
"""Reference vectors for recurrent's PyTorch weight layout (test/weights-pytorch.test.ts).

An independent float64 numpy implementation of the equations PyTorch documents
for nn.RNN, nn.LSTM and nn.GRU (column vectors, W·x; weight_ih_l{k} is gH x D,
weight_hh_l{k} is gH x H; gate blocks LSTM i, f, g, o and GRU r, z, n), with an
nn.Linear on the top layer's h. It does not use recurrent's code or layout.

    rnn:  h' = act(W_ih x + b_ih + W_hh h + b_hh)
    lstm: i, f, g, o = split(W_ih x + b_ih + W_hh h + b_hh)
          c' = sig(f) * c + sig(i) * tanh(g);  h' = sig(o) * tanh(c')
    gru:  r = sig(W_ir x + b_ir + W_hr h + b_hr);  z = sig(W_iz x + b_iz + W_hz h + b_hz)
          n = tanh(W_in x + b_in + r * (W_hn h + b_hn));  h' = (1 - z) * n + z * h
    y = h W^T + b  (nn.Linear)

Inputs are sequence-first, (T, B, D), as PyTorch's default batch_first=False.
Run from the repository root:  python3 test/vectors/make_vectors.py
It rewrites test/vectors/pytorch.json (seeded, so the output is reproducible).
"""

import json
import os
import re

import numpy as np

GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def make_weights(rng, cell, L, D, H, K, bias):
    """A state_dict with weights U(-s, s), s a little above PyTorch's 1/sqrt(H) to reach the nonlinearities."""
    g = GATES[cell]
    s = 1.5 / np.sqrt(H)
    sd = {}
    for k in range(L):
        d = D if k == 0 else H
        sd[f"weight_ih_l{k}"] = rng.uniform(-s, s, (g * H, d))
        sd[f"weight_hh_l{k}"] = rng.uniform(-s, s, (g * H, H))
        if bias:
            sd[f"bias_ih_l{k}"] = rng.uniform(-s, s, (g * H,))
            sd[f"bias_hh_l{k}"] = rng.uniform(-s, s, (g * H,))
    sd["linear.weight"] = rng.uniform(-s, s, (K, H))
    if bias:
        sd["linear.bias"] = rng.uniform(-s, s, (K,))
    return sd


def step(cell, act, sd, k, x, h, c, H):
    """One step of layer k for a batch: x (B, d), h (B, H), c (B, H); returns h', c'."""
    zeros = np.zeros(GATES[cell] * H)
    b_ih = sd.get(f"bias_ih_l{k}", zeros)
    b_hh = sd.get(f"bias_hh_l{k}", zeros)
    gi = x @ sd[f"weight_ih_l{k}"].T + b_ih  # W_ih x + b_ih, row by row
    gh = h @ sd[f"weight_hh_l{k}"].T + b_hh  # W_hh h + b_hh
    if cell == "rnn":
        a = gi + gh
        return (np.tanh(a) if act == "tanh" else np.maximum(a, 0.0)), c
    if cell == "lstm":
        a = gi + gh
        i, f, g, o = (a[:, j * H:(j + 1) * H] for j in range(4))
        c2 = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        return sigmoid(o) * np.tanh(c2), c2
    ir, iz, i_n = (gi[:, j * H:(j + 1) * H] for j in range(3))
    hr, hz, h_n = (gh[:, j * H:(j + 1) * H] for j in range(3))
    r = sigmoid(ir + hr)
    z = sigmoid(iz + hz)
    n = np.tanh(i_n + r * h_n)
    return (1.0 - z) * n + z * h, c


def run(cell, act, sd, x, h0, c0, L, H, bias):
    T = x.shape[0]
    h = [h0[k].copy() for k in range(L)]
    c = [c0[k].copy() for k in range(L)]
    top = []
    for t in range(T):
        inp = x[t]
        for k in range(L):
            h[k], c[k] = step(cell, act, sd, k, inp, h[k], c[k], H)
            inp = h[k]
        top.append(inp)
    out = np.stack(top)  # (T, B, H)
    y = out @ sd["linear.weight"].T
    if bias:
        y = y + sd["linear.bias"]
    return out, np.stack(h), np.stack(c), y


def tensor(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "values": [float(v) for v in a.ravel()]}


CASES = [
    # name, cell, activation, layers, D, H, K, T, B, bias
    ("rnn-tanh", "rnn", "tanh", 1, 3, 4, 2, 5, 2, True),
    ("rnn-relu-2layer", "rnn", "relu", 2, 3, 4, 2, 5, 2, True),
    ("lstm", "lstm", "tanh", 1, 3, 4, 2, 6, 2, True),
    ("lstm-2layer", "lstm", "tanh", 2, 3, 3, 2, 5, 3, True),
    ("lstm-nobias", "lstm", "tanh", 1, 2, 3, 2, 5, 2, False),
    ("gru", "gru", "tanh", 1, 3, 4, 2, 6, 2, True),
    ("gru-2layer", "gru", "tanh", 2, 3, 3, 2, 5, 3, True),
    ("gru-nobias", "gru", "tanh", 1, 2, 3, 2, 5, 2, False),
]


def main():
    rng = np.random.default_rng(20261126)
    cases = []
    for name, cell, act, L, D, H, K, T, B, bias in CASES:
        sd = make_weights(rng, cell, L, D, H, K, bias)
        x = rng.normal(0.0, 1.0, (T, B, D))
        h0 = rng.normal(0.0, 0.5, (L, B, H))
        c0 = rng.normal(0.0, 0.5, (L, B, H)) if cell == "lstm" else np.zeros((L, B, H))
        out, h_n, c_n, y = run(cell, act, sd, x, h0, c0, L, H, bias)
        case = {
            "name": name,
            "config": {"cell": cell, "nonlinearity": act, "layers": L, "inputSize": D,
                       "hiddenSize": H, "outputSize": K, "T": T, "B": B, "bias": bias},
            "stateDict": {k: tensor(v) for k, v in sd.items()},
            "x": tensor(x), "h0": tensor(h0), "output": tensor(out), "h_n": tensor(h_n), "y": tensor(y),
        }
        if cell == "lstm":
            case["c0"] = tensor(c0)
            case["c_n"] = tensor(c_n)
        cases.append(case)
    doc = {
        "source": "test/vectors/make_vectors.py (numpy " + np.__version__ + ", float64): PyTorch nn.RNN/LSTM/GRU + nn.Linear equations",
        "layout": "x, output: (T, B, *); h0, c0, h_n, c_n: (layers, B, H); y: (T, B, K); values row-major",
        "cases": cases,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pytorch.json")
    text = json.dumps(doc, indent=1)
    # one line per list of numbers, so the file stays readable and diffs stay small
    text = re.sub(r"\[\s*([-0-9.e+,\s]+?)\s*\]", lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]", text)
    with open(path, "w") as f:
        f.write(text + "\n")
    print(f"wrote {path}: {len(cases)} cases")


if __name__ == "__main__":
    main()
