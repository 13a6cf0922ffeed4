#!/usr/bin/python3
"""The PyTorch peer of `npm run bench:text` (bench/text.ts starts it).

The same task as `rnnkit`'s row: a character LSTM (`nn.LSTM` + `nn.Linear`;
with --init, rnnkit's initial weights and one bias per gate, bias_hh held
at zero; without, PyTorch's own initialisation), one-hot input, softmax +
cross-entropy, the
training symbols read as B parallel streams in windows of T steps with the
state carried from window to window and reset at each epoch, the windows in
the same order as `rnnkit`'s StreamBatches (stream b covers steps
b*L .. b*L + L - 1, L = (n - 1) // B; the epoch's last window may be
shorter), Adam (ε from --eps: bench/text.ts passes rnnkit's ε/T, since
this gradient is the per-character mean and rnnkit's the window's sum),
η warmed up over --warmup updates then constant, or with --horizon a
straight line to 0 (rnnkit's `linear` schedule), the gradient clipped at
norm `clip` (of the per-character mean loss). Held-out figure: the
validation symbols read as ONE stream from a cold start, bits per character.

Training time is wall clock around each update (batch, forward, backward,
clip, step), evaluations excluded; with --clock cpu, the CPU time of the
process (all threads) instead. The model is evaluated when the training
time first reaches each of --at-seconds and when the update count reaches
each of --at-updates; training stops at the last time point (or, with no
time points, at the last update point). With
--trace, every update's training loss (nats per character) goes to a file.

Input: two files of little-endian int32 symbols (written by bench/text.ts).
Output: one JSON object on stdout.

    /usr/bin/python3 bench/torch_text.py --train t.i32 --val v.i32 --vocab 85 \
        --hidden 128 --seq-len 32 --batch 32 --lr 0.002 --clip 5 --threads 1 \
        --at-seconds 60,300 --at-updates 1000,3000
"""

import argparse
import json
import math
import sys
import time

import numpy as np
import torch
from torch import nn


def parse():
    p = argparse.ArgumentParser()
    p.add_argument('--train', required=True)
    p.add_argument('--val', required=True)
    p.add_argument('--vocab', type=int, required=True)
    p.add_argument('--hidden', type=int, default=128)
    p.add_argument('--layers', type=int, default=1)
    p.add_argument('--seq-len', type=int, default=32)
    p.add_argument('--batch', type=int, default=32)
    p.add_argument('--lr', type=float, default=0.002)
    p.add_argument('--clip', type=float, default=5.0)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--at-seconds', default='60')
    p.add_argument('--at-updates', default='')
    p.add_argument('--clock', choices=['wall', 'cpu'], default='wall')
    p.add_argument('--eps', type=float, default=1e-8, help="Adam's ε")
    p.add_argument('--init', default='', help='JSON state_dict (lstm.weight_ih_l0, …, out.weight, out.bias) to start from')
    p.add_argument('--warmup', type=int, default=0, help='updates of linear warm-up to --lr')
    p.add_argument('--horizon', type=int, default=0, help='updates after the warm-up of a linear decay to 0 (0: constant)')
    p.add_argument('--trace', default='', help='write the training loss of every update (JSON list) to this file')
    return p.parse_args()


def numbers(s, kind):
    return sorted(kind(v) for v in s.split(',') if v.strip())


class CharLstm(nn.Module):
    def __init__(self, vocab, hidden, layers):
        super().__init__()
        self.vocab = vocab
        self.lstm = nn.LSTM(vocab, hidden, num_layers=layers)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, ids, state):
        """ids: T×B symbol ids; returns T×B×vocab logits and the final state."""
        x = nn.functional.one_hot(ids, self.vocab).float()
        h, state = self.lstm(x, state)
        return self.out(h), state


def zero_state(model, batch):
    L, H = model.lstm.num_layers, model.lstm.hidden_size
    return (torch.zeros(L, batch, H), torch.zeros(L, batch, H))


def evaluate(model, val, window=256):
    """Mean cross-entropy in bits per symbol of val[1:] given val[:-1], one stream from zeros."""
    model.eval()
    state = zero_state(model, 1)
    nats = 0.0
    n = len(val) - 1
    with torch.no_grad():
        for s in range(0, n, window):
            e = min(n, s + window)
            x = val[s:e].view(-1, 1)
            y = val[s + 1:e + 1].view(-1)
            logits, state = model(x, state)
            nats += nn.functional.cross_entropy(logits.view(-1, model.vocab), y, reduction='sum').item()
    model.train()
    return nats / n / math.log(2)


def learning_rate(a, step):
    """rnnkit's schedules (src/train/schedules.ts) for update `step` (0-based): warm-up, then constant or linear to 0."""
    if step < a.warmup:
        return a.lr * (step + 1) / a.warmup
    if a.horizon <= 0:
        return a.lr
    return a.lr * (1 - min(step - a.warmup, a.horizon) / a.horizon)


def load_init(model, path):
    """Copies a JSON state_dict ({name: {shape, values}}) into the model: every tensor must be there."""
    with open(path) as f:
        d = json.load(f)
    own = model.state_dict()
    if set(d) != set(own):
        raise SystemExit(f'{path}: names {sorted(d)} do not match the model\'s {sorted(own)}')
    model.load_state_dict({k: torch.tensor(v['values'], dtype=torch.float32).view(v['shape']) for k, v in d.items()})


def main():
    a = parse()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    train = torch.from_numpy(np.fromfile(a.train, dtype='<i4').astype(np.int64))
    val = torch.from_numpy(np.fromfile(a.val, dtype='<i4').astype(np.int64))
    B, T = a.batch, a.seq_len
    n = len(train) - 1  # aligned (input, target) steps
    L = n // B
    X = train[:B * L].view(B, L)
    Y = train[1:B * L + 1].view(B, L)
    windows = math.ceil(L / T)
    model = CharLstm(a.vocab, a.hidden, a.layers)
    if a.init:
        load_init(model, a.init)
        # rnnkit's LSTM has one bias per gate; nn.LSTM has two (bias_ih + bias_hh), and Adam
        # would move their sum twice as far as one bias. rnnkit's model: bias_hh held at zero.
        for name, p in model.lstm.named_parameters():
            if name.startswith('bias_hh'):
                p.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=a.lr, eps=a.eps)
    at_seconds = numbers(a.at_seconds, float)
    at_updates = numbers(a.at_updates, int)
    trace = []
    points = []
    steps = 0
    chars = 0
    train_sec = 0.0
    epoch = 0
    now = time.perf_counter if a.clock == 'wall' else time.process_time  # process_time: CPU time of every thread

    def record(kind, at):
        points.append({'kind': kind, 'at': at, 'steps': steps, 'trainSec': train_sec, 'valBpc': evaluate(model, val)})

    # the run ends at the last time point, or without time points at the last update point
    def more():
        return bool(at_seconds) if timed else bool(at_updates)

    timed = bool(at_seconds)
    while more():
        state = zero_state(model, B)
        for w in range(windows):
            t0 = now()
            for group in opt.param_groups:
                group['lr'] = learning_rate(a, steps)
            xs = X[:, w * T:(w + 1) * T].t()
            ys = Y[:, w * T:(w + 1) * T].t()
            logits, state = model(xs, state)
            loss = nn.functional.cross_entropy(logits.reshape(-1, a.vocab), ys.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(params, a.clip)
            opt.step()
            state = (state[0].detach(), state[1].detach())
            if a.trace:
                trace.append(loss.item())
            steps += 1
            chars += xs.numel()
            train_sec += now() - t0
            while at_updates and steps >= at_updates[0]:
                record('updates', at_updates.pop(0))
            while at_seconds and train_sec >= at_seconds[0]:
                record('seconds', at_seconds.pop(0))
            if not more():
                break
        epoch += 1
    if a.trace:
        with open(a.trace, 'w') as f:
            json.dump(trace, f)
    json.dump({
        'peer': 'pytorch', 'backend': f'torch {torch.__version__}, {a.threads} thread{"s" if a.threads > 1 else ""}',
        'steps': steps, 'epochs': steps / windows, 'trainSec': train_sec,
        'charsPerSec': chars / train_sec if train_sec > 0 else 0, 'points': points,
    }, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
