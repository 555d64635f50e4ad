#!/usr/bin/env python3
"""The bottleneck network of neurodl::nets (src/nets/architectures.cpp) written in PyTorch,
trained from the initial weights and in the batch order that bench_nets exported, with the same
optimiser (Adam, lr 1e-3) and thread count. Prints steps/s and compares per-epoch losses.

    nets_vs_pytorch.py DIR THREADS
"""
import json
import sys
import time

import numpy as np
import torch


def main(d, threads):
    torch.set_num_threads(threads)
    x = torch.from_numpy(np.load(f"{d}/x.npy"))
    y = torch.from_numpy(np.load(f"{d}/y.npy"))
    order = torch.from_numpy(np.load(f"{d}/order.npy").astype(np.int64))
    cpp = json.load(open(f"{d}/cpp.json"))
    p, q = x.shape[1], y.shape[1]
    w_in = np.load(f"{d}/init_head_in.weight.npy")
    k = np.load(f"{d}/init_head_out.weight.npy").shape[0]
    hidden = w_in.shape[0]

    class Bottleneck(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.head_in = torch.nn.Linear(p, hidden)
            self.head_out = torch.nn.Linear(hidden, k)
            self.skip = torch.nn.Linear(p, k, bias=False)
            self.dec_out = torch.nn.Linear(k, q)
            for name in ("x_mean", "x_scale", "y_mean", "y_scale"):
                self.register_buffer(name, torch.from_numpy(np.load(f"{d}/buf_{name}.npy")).reshape(1, -1))

        def forward(self, xb):
            xs = (xb - self.x_mean) / self.x_scale
            z = self.head_out(torch.nn.functional.elu(self.head_in(xs))) + self.skip(xs)
            return self.y_mean + self.y_scale * self.dec_out(z)

    net = Bottleneck()
    with torch.no_grad():
        for name, prm in net.named_parameters():
            prm.copy_(torch.from_numpy(np.load(f"{d}/init_{name}.npy")).reshape(prm.shape))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    batch = cpp["batch"]
    losses, steps = [], 0
    t0 = time.perf_counter()
    for e in range(order.shape[0]):
        total = 0.0
        for s in range(0, x.shape[0], batch):
            idx = order[e, s:s + batch]
            xb, yb = x.index_select(0, idx), y.index_select(0, idx)
            opt.zero_grad()
            loss = ((net(xb) - yb) ** 2).mean()
            loss.backward()
            opt.step()
            total += loss.item() * idx.numel()
            steps += 1
        losses.append(total / x.shape[0])
    seconds = time.perf_counter() - t0
    sps = steps / seconds
    print(f"PyTorch {torch.__version__} (Python): {steps} steps in {seconds:.3f} s = {sps:.1f} steps/s, "
          f"final epoch loss {losses[-1]:.6f}")
    rel = max(abs(a - b) / abs(b) for a, b in zip(cpp["epoch_loss"], losses))
    print(f"speed-up neurodl/PyTorch: {cpp['steps_per_s'] / sps:.2f}x; "
          f"max relative difference of the per-epoch losses: {rel:.2e}")
    for e, (a, b) in enumerate(zip(cpp["epoch_loss"], losses)):
        print(f"  epoch {e}: neurodl {a:.7f}  pytorch {b:.7f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
