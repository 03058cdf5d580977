"""The benchmark's training steps in PyTorch (CPU, dense), for `npm run bench -- pytorch`.

Same sizes and the same work per step as bench/sae.bench.ts and bench/vae.bench.ts:
  - encoder matmul [1024, 512] x [512, 8192] (the package's floor);
  - one SAE step at d=512, n=8192, k=32, B=1024: forward, backward, removing the decoder
    gradient's component along each unit-norm decoder row, Adam, renormalising the rows;
    for TopK, BatchTopK (k*B over the batch), JumpReLU (rectangle-kernel pseudo-derivatives,
    Rajamanoharan et al. 2024, arXiv:2407.14435 Eqs. 11-12) and ReLU + L1 (decoder-norm-weighted);
  - one VAE step, MLP 784-512-20 with a Bernoulli decoder, B=128: forward, backward, Adam.
Dense, as a plain PyTorch model is written. Prints one JSON object: {"torch": version,
"threads": n, "ms": {key: median ms}}; exit code 3 with a one-line note when torch is missing.

Usage: python3 bench/pytorch/steps.py [--threads N] [--reps R]
"""

import argparse
import json
import os
import sys
import time

try:
    import torch
except ImportError as e:  # the caller prints the note and skips the columns
    print(f"PyTorch is not installed ({e}); skipping the comparison", file=sys.stderr)
    sys.exit(3)

D, N, K, B = 512, 8192, 32, 1024


def median_ms(fn, reps, warmup=1):
    times = []
    for i in range(warmup + reps):
        t0 = time.perf_counter()
        fn()
        t1 = time.perf_counter()
        if i >= warmup:
            times.append((t1 - t0) * 1000)
    times.sort()
    return times[len(times) // 2]


class JumpReLU(torch.autograd.Function):
    """z * H(z - theta); d/dz = H, d/dtheta = -(theta / eps) K((z - theta) / eps) (Eq. 11)."""

    @staticmethod
    def forward(ctx, z, theta, eps):
        ctx.save_for_backward(z, theta)
        ctx.eps = eps
        return z * (z > theta)

    @staticmethod
    def backward(ctx, g):
        z, theta = ctx.saved_tensors
        eps = ctx.eps
        window = ((z - theta).abs() < eps / 2).to(g.dtype)
        return g * (z > theta), (-(theta / eps) * window * g).sum(0), None


class Step(torch.autograd.Function):
    """H(z - theta); d/dz = 0, d/dtheta = -(1 / eps) K((z - theta) / eps) (Eq. 12)."""

    @staticmethod
    def forward(ctx, z, theta, eps):
        ctx.save_for_backward(z, theta)
        ctx.eps = eps
        return (z > theta).to(z.dtype)

    @staticmethod
    def backward(ctx, g):
        z, theta = ctx.saved_tensors
        eps = ctx.eps
        window = ((z - theta).abs() < eps / 2).to(g.dtype)
        return None, (-(1 / eps) * window * g).sum(0), None


def sae_step(arch):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(B, D, generator=gen)
    w_dec = torch.randn(N, D, generator=gen)
    w_dec /= w_dec.norm(dim=1, keepdim=True)
    params = {
        "w_enc": w_dec.t().clone().requires_grad_(),
        "b_enc": torch.zeros(N, requires_grad=True),
        "w_dec": w_dec.requires_grad_(),
        "b_dec": torch.zeros(D, requires_grad=True),
    }
    if arch == "jumprelu":
        params["theta"] = torch.full((N,), 0.01, requires_grad=True)
    opt = torch.optim.Adam(params.values(), lr=1e-4)

    def step():
        p = params
        pre = (x - p["b_dec"]) @ p["w_enc"] + p["b_enc"]
        extra = 0
        if arch == "topk":
            vals, idx = torch.relu(pre).topk(K, dim=1)
            z = torch.zeros_like(pre).scatter(1, idx, vals)
        elif arch == "batch-topk":
            flat = torch.relu(pre).flatten()
            vals, idx = flat.topk(K * B)
            z = torch.zeros_like(flat).scatter(0, idx, vals).view(B, N)
        elif arch == "jumprelu":
            z = JumpReLU.apply(pre, p["theta"], 0.05)
            extra = Step.apply(pre, p["theta"], 0.05).sum(1).mean()
        else:  # relu-l1
            z = torch.relu(pre)
            extra = (z * p["w_dec"].norm(dim=1)).sum(1).mean()
        recon = z @ p["w_dec"] + p["b_dec"]
        loss = (recon - x).pow(2).sum(1).mean() + extra
        opt.zero_grad(set_to_none=True)
        loss.backward()
        with torch.no_grad():
            w, g = p["w_dec"], p["w_dec"].grad
            g -= (g * w).sum(1, keepdim=True) * w  # keep the rows on the unit sphere to first order
            opt.step()
            w /= w.norm(dim=1, keepdim=True)
        return loss.item()

    return step


def vae_step():
    gen = torch.Generator().manual_seed(0)
    x = (torch.rand(1024, 784, generator=gen) > 0.5).float()
    enc = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 40))
    dec = torch.nn.Sequential(torch.nn.Linear(20, 512), torch.nn.ReLU(), torch.nn.Linear(512, 784))
    opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=1e-3)
    at = [0]

    def step():
        i = at[0] % 8
        at[0] += 1
        xb = x[i * 128 : (i + 1) * 128]
        mu, logvar = enc(xb).chunk(2, dim=1)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        logits = dec(z)
        nll = torch.nn.functional.binary_cross_entropy_with_logits(logits, xb, reduction="sum") / 128
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum() / 128
        loss = nll + kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    ms = {}
    a, w = torch.randn(B, D), torch.randn(D, N)
    ms["floor"] = median_ms(lambda: a @ w, args.reps + 2)
    for arch in ["topk", "batch-topk", "jumprelu", "relu-l1"]:
        ms[arch] = median_ms(sae_step(arch), args.reps)
    ms["vae"] = median_ms(vae_step(), 5 * args.reps, warmup=3)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "ms": ms}))


if __name__ == "__main__":
    main()
