#!/usr/bin/env python3
"""PyTorch peers of roaf's models: times one training step (forward, backward, Adam) at given
(model, T or L, N, B, task, device) and prints JSON.

Models (the same equations and shapes as roaf; README "Models"):
  lstm      torch.nn.LSTM (cuDNN on a GPU), read out by a linear head at the last step
  rnn       torch.nn.RNN (tanh Elman; cuDNN on a GPU)
  roaf-rnn  an eager loop: h_t = alpha O h_{t-1} + beta tanh(W h_{t-1} + U x_t + b), O a fixed
            Haar-orthogonal matrix (not trained), beta = 30 / T, alpha = 1 - beta (roaf's defaults)
  roaf-mlp  an eager stack of L layers as a user would write it (a ModuleList of nn.Linear):
            x_{l+1} = alpha * s_l * x_l[p_l] + beta * tanh(W_l x_l + b_l), with a fixed signed
            permutation (p_l, s_l) per layer, beta = 1 / L, alpha = 1 - beta; a linear input layer
            from 784 and a linear head to 10 classes (roaf-mlp with --filter permutation)
  gemm      not a model: one fp32 product C = A B of two S x S matrices (torch.matmul, TF32 off, so
            cuBLAS's SGEMM on a GPU), the peer of roaf's own GEMM kernel; config {"model": "gemm", "S": 4096}
Tasks (the input shape and loss; data are random tensors of that shape, made once on the device):
  adding   2 features per step, one real target, mean squared error (`roaf bench`'s speed suite)
  psmnist  1 feature per step (a pixel), 10 classes, cross-entropy after the last step
  mnist    784-vectors, 10 classes, cross-entropy (roaf-mlp only)

Usage:
  python3 torch_step.py --model lstm --T 100 --N 128 --B 32 --device cpu
  python3 torch_step.py --configs '[{"model":"lstm","T":100,"N":128,"B":32}, ...]' --device cuda
  python3 torch_step.py --configs '[{"model":"roaf-mlp","L":10000,"N":128,"B":128,"task":"mnist"}]' --device cuda
  python3 torch_step.py --model gemm --N 4096 --device cuda     # --N is S for gemm
Prints one JSON object (or, with --configs, a JSON array), each with the median seconds per step
over --steps timed steps after --warmup untimed ones; GPU steps are synchronised before the clock
is read. Errors are reported per config as {"error": "..."}.
"""
import argparse
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn


class RoafRnn(nn.Module):
    def __init__(self, d, n, out, T, beta_scale=30.0):
        super().__init__()
        self.W = nn.Parameter(torch.randn(n, n) / math.sqrt(n))
        bound = 1 / math.sqrt(d)
        self.U = nn.Parameter(torch.empty(n, d).uniform_(-bound, bound))
        self.b = nn.Parameter(torch.zeros(n))
        q, r = torch.linalg.qr(torch.randn(n, n))
        q = q * torch.sign(torch.diagonal(r)).unsqueeze(0)  # Haar: R's diagonal made positive
        self.register_buffer("O", q)
        self.beta = min(beta_scale / T, 0.5)
        self.alpha = 1 - self.beta
        self.head = nn.Linear(n, out)

    def forward(self, x):  # x: [T, B, D]
        T, B, _ = x.shape
        h = x.new_zeros(B, self.W.shape[0])
        ux = torch.matmul(x, self.U.t()) + self.b  # [T, B, N], one product for all steps
        for t in range(T):
            h = self.alpha * (h @ self.O.t()) + self.beta * torch.tanh(h @ self.W.t() + ux[t])
        return self.head(h)


class Baseline(nn.Module):
    def __init__(self, cell, d, n, out):
        super().__init__()
        self.rnn = cell(d, n)
        self.head = nn.Linear(n, out)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y[-1])


class RoafMlp(nn.Module):
    def __init__(self, d, n, out, L):
        super().__init__()
        self.input = nn.Linear(d, n)
        self.layers = nn.ModuleList(nn.Linear(n, n) for _ in range(L))
        self.register_buffer("perm", torch.stack([torch.randperm(n) for _ in range(L)]))
        self.register_buffer("sign", torch.randint(0, 2, (L, n)).float() * 2 - 1)
        self.beta = 1.0 / L
        self.alpha = 1 - self.beta
        self.head = nn.Linear(n, out)

    def forward(self, x):  # x: [B, D]
        x = self.input(x)
        for l, layer in enumerate(self.layers):
            x = self.alpha * (x[:, self.perm[l]] * self.sign[l]) + self.beta * torch.tanh(layer(x))
        return self.head(x)


def build(model, d, n, out, T):
    if model == "roaf-mlp":
        return RoafMlp(d, n, out, T)
    if model == "lstm":
        return Baseline(nn.LSTM, d, n, out)
    if model == "rnn":
        return Baseline(lambda i, h: nn.RNN(i, h, nonlinearity="tanh"), d, n, out)
    if model == "roaf-rnn":
        return RoafRnn(d, n, out, T)
    raise ValueError("unknown model %r (lstm, rnn, roaf-rnn or roaf-mlp)" % model)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


TASKS = {  # input features D, outputs, loss
    "adding": (2, 1, "mse"),
    "psmnist": (1, 10, "ce"),
    "mnist": (784, 10, "ce"),
}


def time_step(model, T, N, B, device, steps, warmup, task="adding", lr=0.005, seed=1):
    """T is the sequence length of a recurrent model, the depth L of a roaf-mlp."""
    torch.manual_seed(seed)
    dev = torch.device(device)
    if task not in TASKS:
        raise ValueError("unknown task %r (%s)" % (task, ", ".join(TASKS)))
    d, out, loss_kind = TASKS[task]
    if (model == "roaf-mlp") != (task == "mnist"):
        raise ValueError("roaf-mlp goes with the mnist task, recurrent models with adding or psmnist")
    t0 = time.perf_counter()
    net = build(model, d, N, out, T).to(dev)
    build_s = time.perf_counter() - t0
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    x = torch.rand(B, d, device=dev) if model == "roaf-mlp" else torch.rand(T, B, d, device=dev)
    y = torch.randint(0, out, (B,), device=dev) if loss_kind == "ce" else torch.rand(B, 1, device=dev)
    times = []
    for i in range(warmup + steps):
        sync(dev)
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        pred = net(x)
        loss = nn.functional.cross_entropy(pred, y) if loss_kind == "ce" else torch.mean((pred - y) ** 2)
        loss.backward()
        opt.step()
        sync(dev)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    card = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu (%d threads)" % torch.get_num_threads()
    shape = {"L": T} if model == "roaf-mlp" else {"T": T}
    return dict({"model": model, "task": task}, **shape, N=N, B=B, device=device, card=card,
                engine="pytorch " + torch.__version__,
                cudnn=dev.type == "cuda" and torch.backends.cudnn.is_available() and model in ("lstm", "rnn"),
                step_s=statistics.median(times), step_s_all=times, warmup=warmup, build_s=build_s, loss=float(loss))


def time_gemm(S, device, steps, warmup):
    """Median seconds of one fp32 S x S x S product, TF32 off (full fp32, as roaf's own GEMM)."""
    dev = torch.device(device)
    a, b = torch.randn(S, S, device=dev), torch.randn(S, S, device=dev)
    tf32 = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        times = []
        for i in range(warmup + steps):
            sync(dev)
            t0 = time.perf_counter()
            c = torch.matmul(a, b)
            sync(dev)
            if i >= warmup:
                times.append(time.perf_counter() - t0)
    finally:
        torch.backends.cuda.matmul.allow_tf32 = tf32
    card = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu (%d threads)" % torch.get_num_threads()
    return {"model": "gemm", "S": S, "device": device, "card": card, "engine": "pytorch " + torch.__version__,
            "tf32": False, "step_s": statistics.median(times), "step_s_all": times, "warmup": warmup,
            "checksum": float(c[0, 0])}


def run_config(c, device, steps, warmup):
    if c["model"] == "gemm":
        return time_gemm(int(c["S"]), device, steps, warmup)
    length = int(c["L"] if "L" in c else c["T"])
    return time_step(c["model"], length, int(c["N"]), int(c["B"]), device, steps, warmup, task=c.get("task", "adding"))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="roaf-rnn", help="lstm, rnn, roaf-rnn, roaf-mlp, or gemm (--N is then S)")
    p.add_argument("--task", default="adding", help="adding, psmnist or mnist (roaf-mlp)")
    p.add_argument("--T", type=int, default=100, help="sequence length, or the depth L of a roaf-mlp")
    p.add_argument("--N", type=int, default=128)
    p.add_argument("--B", type=int, default=32)
    p.add_argument("--configs", help="a JSON array of {model, T (or L), N, B, task (default adding)};"
                                     " overrides the options above")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: all processors)")
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    else:
        import os
        torch.set_num_threads(os.cpu_count() or 1)
    if a.configs:
        out = []
        for c in json.loads(a.configs):
            try:
                out.append(run_config(c, a.device, a.steps, a.warmup))
            except Exception as e:  # one config failing (e.g. out of memory) does not lose the others
                out.append(dict(c, device=a.device, error="%s: %s" % (type(e).__name__, e)))
            finally:
                if a.device.startswith("cuda"):
                    torch.cuda.empty_cache()
        print(json.dumps(out))
    elif a.model == "gemm":
        print(json.dumps(time_gemm(a.N, a.device, a.steps, a.warmup)))
    else:
        print(json.dumps(time_step(a.model, a.T, a.N, a.B, a.device, a.steps, a.warmup, task=a.task)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
