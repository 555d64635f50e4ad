#!/usr/bin/env python3
"""The networks of neurodl::nets written in PyTorch, trained from the initial weights and in the
batch order that bench_nets exported, with the same optimiser (Adam, lr 1e-3), loss and thread
count. Prints steps/s and compares the per-epoch losses.

    nets_vs_pytorch.py DIR THREADS [--device cpu|cuda] [--compile]

bottleneck (src/nets/architectures.cpp): x̃ = (x − μ)/σ, z = W₂·ELU(W₁x̃) + S·x̃, ŷ = ȳ + s⊙(D z), MSE.
image-net (src/nets/image_net.cpp, image_core.hpp): conv 5×5 → ELU → conv 3×3 → ELU, a_n =
Σ_c w_nc Σ_s m_ns F_cs + b_n, ŷ = softplus(a), Poisson loss + (λ_m Σ|m| + λ_w Σ|w|)/q.
--compile wraps the network in torch.compile (PyTorch ≥ 2.0; skipped with a note on 1.13).
"""
import argparse
import json
import time

import numpy as np
import torch
import torch.nn.functional as F


def load(d, name):
    return torch.from_numpy(np.load(f"{d}/{name}.npy"))


def bottleneck(d, p, q):
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
                self.register_buffer(name, load(d, f"buf_{name}").reshape(1, -1))

        def forward(self, xb):
            xs = (xb - self.x_mean) / self.x_scale
            z = self.head_out(F.elu(self.head_in(xs))) + self.skip(xs)
            return self.y_mean + self.y_scale * self.dec_out(z)

    return Bottleneck(), lambda pred, yb: ((pred - yb) ** 2).mean(), lambda net: 0.0


def image_net(d, p, q, cpp):
    side = int(round(p ** 0.5))
    c1 = np.load(f"{d}/init_conv1.weight.npy")
    channels = c1.shape[0]
    k1 = int(round((c1.shape[1]) ** 0.5))
    k2 = int(round((np.load(f"{d}/init_conv2.weight.npy").shape[1] // channels) ** 0.5))
    s = np.load(f"{d}/init_mask.npy").shape[1]

    class ImageNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(1, channels, k1)
            self.conv2 = torch.nn.Conv2d(channels, channels, k2)
            self.mask = torch.nn.Parameter(torch.zeros(q, s))
            self.features = torch.nn.Parameter(torch.zeros(q, channels))
            self.bias = torch.nn.Parameter(torch.zeros(q))
            self.register_buffer("x_stats", load(d, "buf_x_stats").reshape(-1))

        def forward(self, xb):
            f = ((xb - self.x_stats[0]) / self.x_stats[1]).reshape(xb.shape[0], 1, side, side)
            f = F.elu(self.conv2(F.elu(self.conv1(f)))).flatten(2)      # B × C × S
            a = (torch.matmul(f, self.mask.t()) * self.features.t()).sum(1) + self.bias
            return F.softplus(a)

    lm, lf = cpp["mask_l1"], cpp["feature_l1"]
    return (ImageNet(), lambda pred, yb: (pred - yb * torch.log(pred + 1e-8)).mean(),
            lambda net: (lm * net.mask.abs().sum() + lf * net.features.abs().sum()) / q)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("threads", type=int)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--compile", action="store_true", help="torch.compile the network (PyTorch >= 2.0)")
    a = ap.parse_args()
    d = a.dir
    torch.set_num_threads(a.threads)
    if a.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("nets_vs_pytorch: --device cuda but torch.cuda.is_available() is False")
    dev = torch.device(a.device)
    cpp = json.load(open(f"{d}/cpp.json"))
    x, y = load(d, "x"), load(d, "y")
    order = torch.from_numpy(np.load(f"{d}/order.npy").astype(np.int64))
    p, q = x.shape[1], y.shape[1]
    model = cpp.get("model", "bottleneck")
    net, loss_fn, penalty = bottleneck(d, p, q) if model == "bottleneck" else image_net(d, p, q, cpp)
    with torch.no_grad():
        for name, prm in net.named_parameters():
            prm.copy_(load(d, f"init_{name}").reshape(prm.shape))
    net.to(dev)
    x, y, order = x.to(dev), y.to(dev), order.to(dev)
    step_net = net
    if a.compile:
        if hasattr(torch, "compile"):
            step_net = torch.compile(net)
        else:
            print(f"--compile skipped: torch.compile needs PyTorch >= 2.0 (this is {torch.__version__})")
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    batch = cpp["batch"]
    if step_net is not net:
        # torch.compile compiles on the first call of each batch shape: do that outside the timed
        # loop (forward and backward on the full and the last, shorter batch, gradients then
        # dropped, so weights and optimiser state are untouched) and report it separately.
        t_c = time.perf_counter()
        for size in sorted({min(batch, x.shape[0]), x.shape[0] % batch or batch}):
            idx = order[0, :size]
            loss_fn(step_net(x.index_select(0, idx)), y.index_select(0, idx)).backward()
            opt.zero_grad()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        print(f"torch.compile warm-up (not timed below): {time.perf_counter() - t_c:.1f} s")
    losses, steps = [], 0
    sync = (lambda: torch.cuda.synchronize()) if dev.type == "cuda" else (lambda: None)
    sync()
    t0 = time.perf_counter()
    for e in range(order.shape[0]):
        total = 0.0
        for s in range(0, x.shape[0], batch):
            idx = order[e, s:s + batch]
            xb, yb = x.index_select(0, idx), y.index_select(0, idx)
            opt.zero_grad()
            loss = loss_fn(step_net(xb), yb) + penalty(net)
            loss.backward()
            opt.step()
            total += loss.item() * idx.numel()
            steps += 1
        losses.append(total / x.shape[0])
    sync()
    seconds = time.perf_counter() - t0
    sps = steps / seconds
    print(f"PyTorch {torch.__version__} (Python) {model} on {dev}: {steps} steps in {seconds:.3f} s = "
          f"{sps:.1f} steps/s, final epoch loss {losses[-1]:.6f}")
    rel = max(abs(u - v) / abs(v) for u, v in zip(cpp["epoch_loss"], losses))
    print(f"speed-up neurodl/PyTorch: {cpp['steps_per_s'] / sps:.2f}x; "
          f"max relative difference of the per-epoch losses: {rel:.2e}")
    for e, (u, v) in enumerate(zip(cpp["epoch_loss"], losses)):
        print(f"  epoch {e}: neurodl {u:.7f}  pytorch {v:.7f}")


if __name__ == "__main__":
    main()
