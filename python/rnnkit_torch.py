"""Continue training an rnnkit model with PyTorch, on one machine or many.

The road out, when a model outgrows one machine:

    rnnkit export model.rnn --format safetensors -o model.safetensors
    torchrun --nproc_per_node 2 python/rnnkit_torch.py model.safetensors \
        --text corpus.txt --steps 300 -o trained.safetensors
    rnnkit import trained.safetensors -o trained.rnn

Each process (rank) builds the same nn.RNN/nn.LSTM/nn.GRU + nn.Linear from
the file's metadata, loads the weights with load_state_dict(strict=True),
and trains on its own share of the text's windows; DistributedDataParallel
averages the gradients across ranks, so every rank takes the same update.
Backend gloo on CPUs, nccl on GPUs. Rank 0 writes the result with the same
metadata (vocabulary included), which `rnnkit import` reads back.

The safetensors format is read and written here in a few lines (8-byte
header length, JSON header, raw little-endian data), so no package beyond
torch is needed. Text models with a character vocabulary only.
"""

import argparse
import datetime
import json
import os
import struct

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel

DTYPES = {"F32": torch.float32, "F64": torch.float64}


def load_safetensors(path):
    """Returns (tensors by name, metadata dict) of a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    metadata = header.pop("__metadata__", {})
    body = data[8 + n :]
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        raw = bytearray(body[begin:end])
        tensors[name] = torch.frombuffer(raw, dtype=DTYPES[entry["dtype"]]).reshape(entry["shape"]).clone()
    return tensors, metadata


def save_safetensors(path, tensors, metadata):
    """Writes float32 tensors and string metadata; atomically (temp file, then rename)."""
    header, chunks, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        raw = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-(8 + len(text)) % 8)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))
    os.replace(tmp, path)


class RnnkitModel(nn.Module):
    """The recurrent stack and output layer an rnnkit network is: x [T, B, D] -> logits [T, B, K]."""

    def __init__(self, config):
        super().__init__()
        D, H, K, L, bias = config["inputSize"], config["hiddenSize"], config["outputSize"], config["layers"], config["bias"]
        if config["cell"] == "rnn":
            self.rnn = nn.RNN(D, H, L, nonlinearity=config["hiddenActivation"], bias=bias)
        else:
            self.rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[config["cell"]](D, H, L, bias=bias)
        self.linear = nn.Linear(H, K, bias=bias)

    def forward(self, x, state=None):
        h, state = self.rnn(x, state)
        return self.linear(h), state

    def load_rnnkit(self, tensors):
        """rnnkit's names are nn.RNN's own (weight_ih_l0, ...) and linear.*: both load strictly."""
        self.rnn.load_state_dict({k: v for k, v in tensors.items() if not k.startswith("linear.")}, strict=True)
        self.linear.load_state_dict({k[7:]: v for k, v in tensors.items() if k.startswith("linear.")}, strict=True)

    def rnnkit_tensors(self):
        return {**self.rnn.state_dict(), **{f"linear.{k}": v for k, v in self.linear.state_dict().items()}}


def held_out_loss(model, ids, vocab, seq_len):
    """Mean cross-entropy (nats per symbol) over the held-out ids, state carried across windows."""
    model.eval()
    total, count, state = 0.0, 0, None
    with torch.no_grad():
        for start in range(0, len(ids) - 1, seq_len):
            chunk = ids[start : start + seq_len + 1]
            if len(chunk) < 2:
                break
            x = F.one_hot(chunk[:-1], vocab).float().unsqueeze(1)
            logits, state = model(x, state)
            total += F.cross_entropy(logits.squeeze(1), chunk[1:], reduction="sum").item()
            count += len(chunk) - 1
    model.train()
    return total / count


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model", help="safetensors file written by `rnnkit export --format safetensors`")
    p.add_argument("--text", required=True, help="UTF-8 text to train on (its last --val-fraction is held out)")
    p.add_argument("-o", "--out", required=True, help="safetensors file to write (read back with `rnnkit import`)")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--seq-len", type=int, default=32)
    p.add_argument("--batch", type=int, default=8, help="windows per rank per update")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--clip", type=float, default=5.0)
    p.add_argument("--val-fraction", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--timeout", type=float, default=600, help="seconds a rank waits for the others before giving up")
    args = p.parse_args()

    distributed = "RANK" in os.environ  # set by torchrun / torch.distributed.run
    if distributed:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend, timeout=datetime.timedelta(seconds=args.timeout))
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    torch.manual_seed(args.seed)

    tensors, metadata = load_safetensors(args.model)
    config, meta = json.loads(metadata["rnnkit.config"]), json.loads(metadata.get("rnnkit.meta", "null"))
    # "text" since every model file has a kind; "text-model" in files written before
    if not meta or meta.get("kind") not in ("text", "text-model") or meta["tokenizer"]["kind"] != "char":
        raise SystemExit(f"{args.model}: not a character-level text model (meta.kind text, tokenizer kind char)")
    symbols = meta["tokenizer"]["symbols"]
    index = {s: i for i, s in enumerate(symbols)}  # symbols[0] is the unknown symbol
    with open(args.text, encoding="utf-8") as f:
        ids = torch.tensor([index.get(ch, 0) for ch in f.read()])
    split = int(len(ids) * (1 - args.val_fraction))
    train_ids, val_ids = ids[:split], ids[split:]
    vocab = len(symbols)

    model = RnnkitModel(config)
    model.load_rnnkit(tensors)
    ddp = DistributedDataParallel(model) if distributed else model
    optimizer = torch.optim.Adam(ddp.parameters(), lr=args.lr)
    before = held_out_loss(model, val_ids, vocab, args.seq_len)

    # Each rank draws its own windows: rank r uses generator seed + r.
    g = torch.Generator().manual_seed(args.seed + rank)
    T = args.seq_len
    for step in range(args.steps):
        starts = torch.randint(0, len(train_ids) - T - 1, (args.batch,), generator=g)
        window = torch.stack([train_ids[s : s + T + 1] for s in starts.tolist()], dim=1)  # [T+1, B]
        x = F.one_hot(window[:-1], vocab).float()
        logits, _ = ddp(x)
        loss = F.cross_entropy(logits.reshape(-1, vocab), window[1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()  # DDP all-reduces (averages) the gradients here
        if args.clip > 0:
            nn.utils.clip_grad_norm_(ddp.parameters(), args.clip)
        optimizer.step()

    after = held_out_loss(model, val_ids, vocab, args.seq_len)
    flat = torch.cat([t.detach().reshape(-1) for t in model.parameters()])
    sums = [flat.sum().item(), flat.abs().sum().item()]
    if distributed:
        gathered = [None] * world
        dist.all_gather_object(gathered, sums)
        sums = gathered
    if rank == 0:
        save_safetensors(args.out, model.rnnkit_tensors(), metadata)
        print(json.dumps({"ranks": world, "steps": args.steps, "heldOutBefore": before, "heldOutAfter": after, "parameterSums": sums if distributed else [sums]}), flush=True)
    if distributed:
        dist.barrier()  # every rank leaves together, after rank 0 has written the file
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
