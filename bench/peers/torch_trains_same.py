#!/usr/bin/env python3
"""PyTorch trains the same: repeats each short roaf training run of bench/peers/ExportTraining.java with autograd,
torch.optim (Adam, AdamW, SGD with momentum and weight decay), torch.nn.utils.clip_grad_norm_ and the same loss
(cross-entropy over the batch or over every step, squared error), from the saved initial model file, and compares
the parameters after the last update with roaf's.

Run (after mvn package; needs torch; the safetensors package is used when installed):
    java -cp target/roaf.jar bench/peers/ExportTraining.java /tmp/roaf-train
    python3 bench/peers/torch_trains_same.py /tmp/roaf-train
Exits 1 if a run's update differs from PyTorch's by more than 1e-4 of its size.
"""
import glob
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

from roaf_torch import forward, is_param, read_safetensors




def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    cases = sorted(glob.glob(os.path.join(sys.argv[1], "*.json")))
    if not cases:
        print(f"no cases in {sys.argv[1]}: run bench/peers/ExportTraining.java first")
        return 2
    print(f"torch {torch.__version__}; roaf's parameters after the last update against PyTorch's (float64), "
          "error = |roaf - torch| / |torch - initial| over all parameters")
    print()
    print("| case | model | target | optimizer | lr | weight decay | clip | updates | update error |")
    print("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    worst = 0.0
    for case in cases:
        base = case[:-len(".json")]
        c = json.load(open(case))
        tensors, meta = read_safetensors(base + ".init.safetensors")
        init = {k: (v.double() if v.is_floating_point() else v) for k, v in tensors.items()}
        final = {k: (v.double() if v.is_floating_point() else v) for k, v in read_safetensors(base + ".final.safetensors")[0].items()}
        t = {k: (v.clone().requires_grad_(True) if is_param(k) else v) for k, v in init.items()}
        params = [v for k, v in t.items() if is_param(k)]
        x = torch.from_numpy(np.fromfile(base + ".x.f32", dtype="<f4").reshape(c["x_shape"]).astype(np.float64))
        y = torch.from_numpy(np.fromfile(base + ".y.f32", dtype="<f4").reshape(c["y_shape"]).astype(np.float64))
        lr, wd = c["lr"], c["weight_decay"]
        opt = {"adam": lambda: torch.optim.Adam(params, lr=lr, weight_decay=wd),
               "adamw": lambda: torch.optim.AdamW(params, lr=lr, weight_decay=wd),
               "sgd": lambda: torch.optim.SGD(params, lr=lr, momentum=c["momentum"], weight_decay=wd)}[c["optimizer"]]()
        for _ in range(c["updates"]):
            opt.zero_grad()
            out = forward(t, meta, x)
            if c["target"] == "regression":
                loss = ((out - y) ** 2).sum() / x.shape[0]
            else:
                loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1).long())
            loss.backward()
            if c["clip"] > 0:
                torch.nn.utils.clip_grad_norm_(params, c["clip"])
            opt.step()
        num = den = 0.0
        for k, v in t.items():
            if is_param(k):
                num += float(((final[k] - v.detach()) ** 2).sum())
                den += float(((v.detach() - init[k]) ** 2).sum())
            elif not torch.equal(final[k], init[k]):
                raise SystemExit(f"{case}: the fixed tensor {k} changed in training")
        err = (num / den) ** 0.5
        worst = max(worst, err)
        print(f"| {os.path.basename(base)} | {meta['model']} | {c['target']} | {c['optimizer']} | {lr} | {wd} "
              f"| {c['clip'] or '-'} | {c['updates']} | {err:.2e} |")
    return 0 if worst <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
