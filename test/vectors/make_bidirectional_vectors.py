#!/usr/bin/python3
"""Reference vectors for rnnkit's bidirectional PyTorch layout (test/weights-bidirectional.test.ts).

Made by PyTorch itself (torch 1.13, float64): nn.RNN / nn.LSTM / nn.GRU with
bidirectional=True, followed by nn.Linear(2H, K) on every step's output. The
sequences have different lengths and go through pack_padded_sequence, so the
backward direction starts at each sequence's own last step; the outputs of
padded steps are not recorded (null).

Run from the repository root with the Python that has torch:
    /usr/bin/python3 test/vectors/make_bidirectional_vectors.py
It rewrites test/vectors/pytorch-bidirectional.json (seeded, reproducible).
"""

import json
import os
import re

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

CASES = [
    # name, cell, nonlinearity, layers, D, H, K, T, lengths, bias
    ("bi-rnn-tanh", "rnn", "tanh", 1, 3, 4, 2, 5, [5, 3], True),
    ("bi-lstm-2layer", "lstm", "tanh", 2, 3, 3, 2, 5, [5, 2, 4], True),
    ("bi-gru-2layer", "gru", "tanh", 2, 3, 3, 2, 6, [6, 4, 1], True),
    ("bi-lstm-nobias", "lstm", "tanh", 1, 2, 3, 2, 4, [4, 3], False),
]


def tensor(a):
    a = a.detach().to(torch.float64)
    return {"shape": list(a.shape), "values": [float(v) for v in a.reshape(-1)]}


def main():
    torch.manual_seed(20261203)
    cases = []
    for name, cell, act, L, D, H, K, T, lengths, bias in CASES:
        if cell == "rnn":
            rnn = torch.nn.RNN(D, H, num_layers=L, nonlinearity=act, bias=bias, bidirectional=True)
        elif cell == "lstm":
            rnn = torch.nn.LSTM(D, H, num_layers=L, bias=bias, bidirectional=True)
        else:
            rnn = torch.nn.GRU(D, H, num_layers=L, bias=bias, bidirectional=True)
        linear = torch.nn.Linear(2 * H, K, bias=bias)
        rnn.double()
        linear.double()
        # weights a little beyond PyTorch's U(-1/sqrt(H), 1/sqrt(H)), to reach the nonlinearities
        with torch.no_grad():
            for p in list(rnn.parameters()) + list(linear.parameters()):
                p.uniform_(-1.5 / H ** 0.5, 1.5 / H ** 0.5)
        B = len(lengths)
        x = torch.randn(T, B, D, dtype=torch.float64)
        for b, n in enumerate(lengths):
            x[n:, b] = 0.0
        packed = pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
        out, _ = rnn(packed)
        out, _ = pad_packed_sequence(out, total_length=T)  # (T, B, 2H), zeros after each end
        y = linear(out)
        state = {k: tensor(v) for k, v in rnn.state_dict().items()}
        state.update({f"linear.{k}": tensor(v) for k, v in linear.state_dict().items()})
        cases.append({
            "name": name,
            "config": {"cell": cell, "nonlinearity": act, "layers": L, "inputSize": D,
                       "hiddenSize": H, "outputSize": K, "T": T, "B": B, "bias": bias},
            "lengths": lengths,
            "stateDict": state,
            "x": tensor(x), "output": tensor(out), "y": tensor(y),
        })
    doc = {
        "source": "test/vectors/make_bidirectional_vectors.py (torch " + torch.__version__ + ", float64): "
                  "nn.RNN/LSTM/GRU(bidirectional=True) on packed sequences + nn.Linear(2H, K)",
        "layout": "x, output, y: (T, B, *), row-major; steps at or after lengths[b] are padding",
        "cases": cases,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pytorch-bidirectional.json")
    text = json.dumps(doc, indent=1)
    text = re.sub(r"\[\s*([-0-9.e+,\s]+?)\s*\]", lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]", text)
    with open(path, "w") as f:
        f.write(text + "\n")
    print(f"wrote {path}: {len(cases)} cases")


if __name__ == "__main__":
    main()
