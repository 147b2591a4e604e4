#!/usr/bin/env python3
"""The CPU engine's Adam, AdamW and SGD (with weight decay and momentum) against torch.optim on the same
parameters and gradients: 20 steps on 10,000 parameters, the error of the total update relative to its size.

Run (after mvn package; needs torch, e.g. Debian's python3-torch):
    python3 bench/peers/optim_vs_torch.py [--jar target/roaf.jar]
Exits 1 if any case is off by more than 1e-5.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

CASES = [  # rule, lr, weight decay, momentum
    ("adam", 0.01, 0.0, 0.0),
    ("adam", 0.01, 0.1, 0.0),
    ("adamw", 0.01, 0.01, 0.0),
    ("adamw", 0.01, 0.1, 0.0),
    ("sgd", 0.1, 0.0, 0.9),
    ("sgd", 0.1, 0.05, 0.0),
    ("sgd", 0.1, 0.05, 0.9),
]


def torch_steps(rule, lr, wd, momentum, p0, grads):
    p = torch.nn.Parameter(torch.from_numpy(p0.copy()))
    opt = {"adam": lambda: torch.optim.Adam([p], lr=lr, weight_decay=wd),
           "adamw": lambda: torch.optim.AdamW([p], lr=lr, weight_decay=wd),
           "sgd": lambda: torch.optim.SGD([p], lr=lr, momentum=momentum, weight_decay=wd)}[rule]()
    for g in grads:
        p.grad = torch.from_numpy(g.copy())
        opt.step()
    return p.detach().numpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jar", default="target/roaf.jar")
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    rng = np.random.default_rng(7)
    n, steps = 10_000, 20
    p0 = rng.uniform(-1, 1, n).astype(np.float32)
    grads = rng.normal(0, 1, (steps, n)).astype(np.float32)
    grads[3] *= 1e-4  # a step of tiny gradients, where eps matters
    worst = 0.0
    print(f"torch {torch.__version__}; {steps} steps on {n} parameters; error = |ours - torch| / |torch - p0| of the update")
    print()
    print("| rule | lr | weight decay | momentum | update error |")
    print("| --- | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.f32"), os.path.join(tmp, "out.f32")
        with open(src, "wb") as f:
            f.write(p0.astype("<f4").tobytes() + grads.astype("<f4").tobytes())
        for rule, lr, wd, mu in CASES:
            subprocess.run(["java", "-cp", a.jar, os.path.join(here, "OptimizerSteps.java"), rule, str(lr), str(wd), str(mu),
                            str(n), str(steps), src, dst], check=True)
            ours = np.fromfile(dst, dtype="<f4").astype(np.float64)
            ref = torch_steps(rule, lr, wd, mu, p0, grads).astype(np.float64)
            err = np.linalg.norm(ours - ref) / np.linalg.norm(ref - p0)
            worst = max(worst, err)
            print(f"| {rule} | {lr} | {wd} | {mu} | {err:.2e} |")
    return 0 if worst <= 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main())
