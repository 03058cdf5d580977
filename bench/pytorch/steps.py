"""The benchmark's training steps in PyTorch (CPU, dense), for `npm run bench -- pytorch`.

Same sizes and the same work per step as bench/sae.bench.ts and bench/vae.bench.ts:
  - encoder matmul [1024, 512] x [512, 8192] (the package's floor);
  - one SAE step at d=512, n=8192, k=32, B=1024 (keys `topk`, ...) and at the experiments' size
    d=64, n=256, k=5, B=256 (keys `small/topk`, ..., with `small/floor` its encoder matmul):
    forward, backward, removing the decoder gradient's component along each unit-norm decoder
    row, Adam, renormalising the rows; for TopK, Multi-TopK (k and 4k, Gao et al. 2024 Sec. 5.3),
    BatchTopK (k*B over the batch), JumpReLU (rectangle-kernel pseudo-derivatives, Rajamanoharan
    et al. 2024, arXiv:2407.14435 Eqs. 11-12), ReLU + L1 (decoder-norm-weighted) and, at the
    small size only, Matryoshka over every prefix (dense cumulative sums: B*N*D floats, too many
    at the large size);
  - TopK the way EleutherAI's sparsify writes it (`topk-sparsify`, `small/topk-sparsify`): the
    decoder is F.embedding_bag over the k active rows, and the encoder's backward runs only
    through the k selected columns (its own autograd function);
  - one VAE step, MLP 784-512-20 with a Bernoulli decoder, B=128: forward, backward, Adam.
Dense (but for the sparsify-style step), as a plain PyTorch model is written. Prints one JSON
object: {"torch": version, "threads": n, "ms": {key: median ms}}; exit code 3 with a one-line
note when torch is missing.

Usage: python3 bench/pytorch/steps.py [--threads N] [--reps R]
"""

import argparse
import json
import os
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError as e:  # the caller prints the note and skips the columns
    print(f"PyTorch is not installed ({e}); skipping the comparison", file=sys.stderr)
    sys.exit(3)

LARGE = {"D": 512, "N": 8192, "K": 32, "B": 1024}
SMALL = {"D": 64, "N": 256, "K": 5, "B": 256}


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


def sae_params(shape, arch):
    D, N = shape["D"], shape["N"]
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(shape["B"], D, generator=gen)
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
    return x, params


def optimiser_step(params, opt, loss):
    """Backward, the decoder-row projection, Adam, renormalising the rows."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    with torch.no_grad():
        w, g = params["w_dec"], params["w_dec"].grad
        g -= (g * w).sum(1, keepdim=True) * w  # keep the rows on the unit sphere to first order
        opt.step()
        w /= w.norm(dim=1, keepdim=True)
    return loss.item()


def topk_dense(pre, k):
    vals, idx = torch.relu(pre).topk(k, dim=1)
    return torch.zeros_like(pre).scatter(1, idx, vals)


def sae_step(arch, shape):
    B, N, K = shape["B"], shape["N"], shape["K"]
    x, params = sae_params(shape, arch)
    opt = torch.optim.Adam(params.values(), lr=1e-4)

    def step():
        p = params
        pre = (x - p["b_dec"]) @ p["w_enc"] + p["b_enc"]
        extra = 0
        if arch in ("topk", "matryoshka"):
            z = topk_dense(pre, K)
        elif arch == "multi-topk":
            z = topk_dense(pre, K)
            z4 = topk_dense(pre, 4 * K)
            extra = (z4 @ p["w_dec"] + p["b_dec"] - x).pow(2).sum(1).mean() / 8
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
        if arch == "matryoshka":
            # every prefix m = 1..N: residual after the first m latents, [B, N, D]
            prefix = torch.cumsum(z.unsqueeze(2) * p["w_dec"].unsqueeze(0), dim=1)
            loss = (x - p["b_dec"]).unsqueeze(1).sub(prefix).pow(2).sum(2).mean()
        else:
            recon = z @ p["w_dec"] + p["b_dec"]
            loss = (recon - x).pow(2).sum(1).mean() + extra
        return optimiser_step(p, opt, loss)

    return step


class SelectedColumnsEncoder(torch.autograd.Function):
    """values, indices = topk(ReLU(x W_enc + b_enc), k); the backward runs only through the k selected
    columns per row (the idea of EleutherAI/sparsify's fused encoder): O(B k D) instead of O(B N D)."""

    @staticmethod
    def forward(ctx, x, w_enc_nd, b_enc, k):
        values, indices = torch.relu(torch.addmm(b_enc, x, w_enc_nd.t())).topk(k, dim=1, sorted=False)
        ctx.save_for_backward(x, w_enc_nd, indices)
        return values, indices

    @staticmethod
    def backward(ctx, g_values, _g_indices):
        x, w_enc_nd, indices = ctx.saved_tensors
        # the ReLU: a kept value of 0 passes no gradient (topk of ReLU output: values >= 0)
        g_x = F.embedding_bag(indices, w_enc_nd, mode="sum", per_sample_weights=g_values)
        g_w = torch.zeros_like(w_enc_nd)
        g_w.index_add_(0, indices.flatten(), (g_values.unsqueeze(2) * x.unsqueeze(1)).flatten(0, 1))
        g_b = torch.zeros(w_enc_nd.shape[0], dtype=g_values.dtype)
        g_b.index_add_(0, indices.flatten(), g_values.flatten())
        return g_x, g_w, g_b, None


def check_selected_columns_encoder():
    """The sparse encoder backward equals dense autograd through topk (small size, float64)."""
    torch.manual_seed(1)
    B, N, D, K = 16, 40, 12, 5
    x = torch.randn(B, D, dtype=torch.float64, requires_grad=True)
    w = torch.randn(N, D, dtype=torch.float64, requires_grad=True)
    b = torch.randn(N, dtype=torch.float64, requires_grad=True)
    g = torch.randn(B, K, dtype=torch.float64)
    values, indices = SelectedColumnsEncoder.apply(x, w, b, K)
    got = torch.autograd.grad((values * (values > 0) * g).sum(), [x, w, b])
    dense = torch.relu(x @ w.t() + b)
    want_values = dense.gather(1, indices)
    want = torch.autograd.grad((want_values * g).sum(), [x, w, b])
    for name, a, c in zip(["x", "w_enc", "b_enc"], got, want):
        if not torch.allclose(a, c, atol=1e-12):
            raise AssertionError(f"sparse encoder gradient of {name} differs from dense autograd")


def sparsify_topk_step(shape):
    """TopK as sparsify writes it: encoder weights [N, D], sparse encoder backward, embedding-bag decode."""
    K = shape["K"]
    x, params = sae_params(shape, "topk")
    params["w_enc"] = params["w_enc"].detach().t().contiguous().requires_grad_()  # [N, D]
    opt = torch.optim.Adam(params.values(), lr=1e-4)

    def step():
        p = params
        values, indices = SelectedColumnsEncoder.apply(x - p["b_dec"], p["w_enc"], p["b_enc"], K)
        # ReLU outputs of exactly 0 must not pass gradient: mask them (as the dense form's ReLU does)
        values = values * (values > 0)
        recon = F.embedding_bag(indices, p["w_dec"], mode="sum", per_sample_weights=values) + p["b_dec"]
        loss = (recon - x).pow(2).sum(1).mean()
        return optimiser_step(p, opt, loss)

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
    check_selected_columns_encoder()
    ms = {}
    for prefix, shape, reps in [("", LARGE, args.reps), ("small/", SMALL, 20 * args.reps)]:
        a, w = torch.randn(shape["B"], shape["D"]), torch.randn(shape["D"], shape["N"])
        ms[prefix + "floor"] = median_ms(lambda: a @ w, reps + 2)
        archs = ["topk", "multi-topk", "batch-topk", "jumprelu", "relu-l1"] + (["matryoshka"] if prefix else [])
        for arch in archs:
            ms[prefix + arch] = median_ms(sae_step(arch, shape), reps, warmup=3)
        ms[prefix + "topk-sparsify"] = median_ms(sparsify_topk_step(shape), reps, warmup=3)
    ms["vae"] = median_ms(vae_step(), 5 * args.reps, warmup=3)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "ms": ms}))


if __name__ == "__main__":
    main()
