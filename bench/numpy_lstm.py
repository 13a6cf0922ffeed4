#!/usr/bin/env python3
"""Reference for `npm run bench`: a batched char-level RNN / LSTM in numpy.

The same task as the TypeScript benchmark: one-hot characters (the input
product as a row gather of U), hidden H, sequence T, batch B, softmax +
cross-entropy, exact BPTT over the window, Adam; float32 throughout, and
numpy's BLAS (OpenBLAS) for every matrix product. Batch-major like
`rnnkit`: one (B×H)·(H×G·H) product per step, and the products that do not
depend on the recurrence (output layer, weight gradients) done once over all
T·B rows.

Prints one JSON object: median characters/s over the timed repetitions,
the repetitions themselves, and the peak resident memory.

    python3 bench/numpy_lstm.py --cell lstm --batch 32 --mode train --text corpus.txt
"""

import argparse
import json
import resource
import sys
import time

import numpy as np

F = np.float32


def sigmoid(z):
    return 0.5 * (np.tanh(0.5 * z) + 1.0)  # σ(z), without overflow


class CharNet:
    """U (vocab×G·H), W (H×G·H), b (G·H), V (H×vocab), b_o; G = 4 for the LSTM (gates i, f, o, g), 1 for the RNN."""

    def __init__(self, cell, vocab, H, rng):
        self.cell, self.vocab, self.H = cell, vocab, H
        G = 4 if cell == 'lstm' else 1
        s = 1.0 / np.sqrt(H)
        self.p = {
            'U': rng.uniform(-s, s, (vocab, G * H)).astype(F),
            'W': rng.uniform(-s, s, (H, G * H)).astype(F),
            'b': np.zeros(G * H, F),
            'V': rng.uniform(-s, s, (H, vocab)).astype(F),
            'b_o': np.zeros(vocab, F),
        }
        if cell == 'lstm':
            self.p['b'][H:2 * H] = 1.0  # forget-gate bias 1
        self.m = {k: np.zeros_like(v) for k, v in self.p.items()}
        self.v = {k: np.zeros_like(v) for k, v in self.p.items()}
        self.t = 0

    def loss_and_grad(self, X, Y):
        """X, Y: T×B int symbol indices. Returns J (summed) and the gradients."""
        p, H = self.p, self.H
        T, B = X.shape
        lstm = self.cell == 'lstm'
        Z = p['U'][X] + p['b']  # T×B×G·H: x(t)·U + b for all steps at once (a gather)
        hs = np.zeros((T + 1, B, H), F)
        if lstm:
            cs = np.zeros((T + 1, B, H), F)
            gates = np.empty((T, B, 4 * H), F)
            tcs = np.empty((T, B, H), F)
        for t in range(T):
            z = Z[t] + hs[t] @ p['W']
            if lstm:
                g = gates[t]
                g[:, :3 * H] = sigmoid(z[:, :3 * H])
                g[:, 3 * H:] = np.tanh(z[:, 3 * H:])
                i, f, o, gg = g[:, :H], g[:, H:2 * H], g[:, 2 * H:3 * H], g[:, 3 * H:]
                cs[t + 1] = f * cs[t] + i * gg
                tcs[t] = np.tanh(cs[t + 1])
                hs[t + 1] = o * tcs[t]
            else:
                hs[t + 1] = np.tanh(z)
        hflat = hs[1:].reshape(T * B, H)
        logits = hflat @ p['V'] + p['b_o']
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        prob = e / e.sum(axis=1, keepdims=True)
        rows = np.arange(T * B)
        y = Y.reshape(-1)
        J = -np.log(prob[rows, y] + 1e-30).sum()
        dO = prob
        dO[rows, y] -= 1.0  # δo = ŷ − y
        grads = {'V': hflat.T @ dO, 'b_o': dO.sum(axis=0)}
        dH = (dO @ p['V'].T).reshape(T, B, H)
        dZ = np.empty_like(Z)
        dh_next = np.zeros((B, H), F)
        WT = p['W'].T.copy()
        if lstm:
            dc_next = np.zeros((B, H), F)
        for t in reversed(range(T)):
            dh = dH[t] + dh_next
            if lstm:
                g = gates[t]
                i, f, o, gg = g[:, :H], g[:, H:2 * H], g[:, 2 * H:3 * H], g[:, 3 * H:]
                tc = tcs[t]
                dc = dc_next + dh * o * (1.0 - tc * tc)
                dz = dZ[t]
                dz[:, :H] = dc * gg * i * (1.0 - i)
                dz[:, H:2 * H] = dc * cs[t] * f * (1.0 - f)
                dz[:, 2 * H:3 * H] = dh * tc * o * (1.0 - o)
                dz[:, 3 * H:] = dc * i * (1.0 - gg * gg)
                dc_next = dc * f
            else:
                dz = dZ[t]
                dz[:] = dh * (1.0 - hs[t + 1] * hs[t + 1])
            dh_next = dz @ WT
        dZf = dZ.reshape(T * B, -1)
        grads['W'] = hs[:-1].reshape(T * B, H).T @ dZf
        grads['b'] = dZf.sum(axis=0)
        # ∂J/∂U = onehot(X)ᵀ·δz: a BLAS product beats np.add.at's scatter by far
        onehot = np.zeros((T * B, self.vocab), F)
        onehot[rows, X.reshape(-1)] = 1.0
        grads['U'] = onehot.T @ dZf
        return J, grads

    def adam(self, grads, lr=2e-3, b1=0.9, b2=0.999, eps=1e-8):
        self.t += 1
        a = lr * np.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        for k, g in grads.items():
            m, v = self.m[k], self.v[k]
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            self.p[k] -= a * m / (np.sqrt(v) + eps)

    def sampler(self, rng):
        """Generator of symbols, batch 1, temperature 1."""
        p, H = self.p, self.H
        h = np.zeros((1, H), F)
        c = np.zeros((1, H), F)
        s = 0
        while True:
            z = p['U'][s] + p['b'] + h @ p['W']
            if self.cell == 'lstm':
                i = sigmoid(z[:, :H]); f = sigmoid(z[:, H:2 * H]); o = sigmoid(z[:, 2 * H:3 * H]); g = np.tanh(z[:, 3 * H:])
                c = f * c + i * g
                h = o * np.tanh(c)
            else:
                h = np.tanh(z)
            logits = (h @ p['V'] + p['b_o'])[0]
            e = np.exp(logits - logits.max())
            cdf = np.cumsum(e)
            s = int(np.searchsorted(cdf, rng.random() * cdf[-1]))
            yield s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--cell', choices=['rnn', 'lstm'], default='lstm')
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--seq', type=int, default=32)
    ap.add_argument('--hidden', type=int, default=128)
    ap.add_argument('--mode', choices=['train', 'sample'], default='train')
    ap.add_argument('--seconds', type=float, default=4.0)
    ap.add_argument('--reps', type=int, default=5)
    ap.add_argument('--text', required=True)
    a = ap.parse_args()
    text = open(a.text, encoding='utf-8').read()
    chars = sorted(set(text))
    lookup = {ch: i for i, ch in enumerate(chars)}
    data = np.array([lookup[ch] for ch in text], np.int32)
    rng = np.random.default_rng(1)
    net = CharNet(a.cell, len(chars), a.hidden, rng)
    T, B = a.seq, a.batch

    if a.mode == 'train':
        def step():
            starts = rng.integers(0, len(data) - T - 1, B)
            idx = starts[None, :] + np.arange(T)[:, None]  # T×B, time-major
            _, grads = net.loss_and_grad(data[idx], data[idx + 1])
            net.adam(grads)
            return T * B
    else:
        gen = net.sampler(rng)

        def step():
            for _ in range(64):
                next(gen)
            return 64

    per_rep = a.seconds / (a.reps + 1)
    t_end = time.perf_counter() + min(1.0, per_rep)  # warm-up
    step()
    while time.perf_counter() < t_end:
        step()
    rates = []
    total = 0
    cpu0 = time.process_time()  # CPU time of every thread of this process
    for _ in range(a.reps):
        n, t0 = 0, time.perf_counter()
        while True:
            n += step()
            dt = time.perf_counter() - t0
            if dt >= per_rep:
                break
        rates.append(n / dt)
        total += n
    cpu = time.process_time() - cpu0
    rates.sort()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
    json.dump({'charsPerSec': rates[len(rates) // 2], 'reps': rates, 'charsPerCpuSec': total / cpu, 'peakRss': peak,
               'numpy': np.__version__, 'vocab': len(chars)}, sys.stdout)
    print()


if __name__ == '__main__':
    main()
