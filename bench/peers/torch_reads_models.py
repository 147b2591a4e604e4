#!/usr/bin/env python3
"""PyTorch reads roaf's model files: rebuilds every model family from its .safetensors file alone, with the tensor
layout and equations README.md documents (torch.nn.LSTM and torch.nn.RNN for the baselines, a few lines of torch for
ROAF), and compares its outputs with roaf's on the same inputs.

Run (after mvn package; needs torch; the safetensors package is used when installed):
    java -cp target/roaf.jar bench/peers/ExportModels.java /tmp/roaf-export
    python3 bench/peers/torch_reads_models.py /tmp/roaf-export
Exits 1 if an output differs by more than 1e-4 of the outputs' scale.
"""
import glob
import json
import os
import sys

import numpy as np
import torch

from roaf_torch import forward, read_safetensors


def recurrent(t, meta, x):
    """The baselines through torch.nn.LSTM / torch.nn.RNN themselves (a check of the layout against PyTorch's own
    modules); roaf-rnn through the shared equations."""
    family = meta["model"]
    every = meta.get("head") == "every"
    if family == "lstm":
        w_ih = t["lstm.weight_ih"]
        n, d = w_ih.shape[0] // 4, w_ih.shape[1]
        net = torch.nn.LSTM(d, n, batch_first=True).double()
        with torch.no_grad():
            net.weight_ih_l0.copy_(w_ih)
            net.weight_hh_l0.copy_(t["lstm.weight_hh"])
            net.bias_ih_l0.copy_(t["lstm.bias"])  # roaf keeps bias_ih + bias_hh as one vector
            net.bias_hh_l0.zero_()
        hs, _ = net(x)
    elif family == "rnn":
        u = t["rnn.U"]
        net = torch.nn.RNN(u.shape[1], u.shape[0], nonlinearity="tanh", batch_first=True).double()
        with torch.no_grad():
            net.weight_ih_l0.copy_(u)
            net.weight_hh_l0.copy_(t["rnn.W"])
            net.bias_ih_l0.copy_(t["rnn.b"])
            net.bias_hh_l0.zero_()
        hs, _ = net(x)
    else:  # roaf-rnn: the equations in torch, as torch_trains_same.py trains them
        return forward(t, meta, x)
    head = lambda h: h @ t["head.weight"].T + t["head.bias"]
    return head(hs) if every else head(hs[:, -1])


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    cases = sorted(glob.glob(os.path.join(sys.argv[1], "*.json")))
    if not cases:
        print(f"no cases in {sys.argv[1]}: run bench/peers/ExportModels.java first")
        return 2
    worst = 0.0
    print(f"torch {torch.__version__}; roaf's outputs against PyTorch's from the model file alone (float64 in PyTorch)")
    print()
    print("| case | model | filter | outputs | max abs difference | relative to the outputs' max |")
    print("| --- | --- | --- | --- | ---: | ---: |")
    for case in cases:
        base = case[:-len(".json")]
        shapes = json.load(open(case))
        tensors, meta = read_safetensors(base + ".safetensors")
        t = {k: (v.double() if v.is_floating_point() else v) for k, v in tensors.items()}
        x = torch.from_numpy(np.fromfile(base + ".in.f32", dtype="<f4").reshape(shapes["input_shape"]).astype(np.float64))
        ours = np.fromfile(base + ".out.f32", dtype="<f4").reshape(shapes["output_shape"]).astype(np.float64)
        with torch.no_grad():
            if meta["model"] in ("roaf-rnn", "rnn", "lstm"):
                theirs = recurrent(t, meta, x)
            else:
                theirs = forward(t, meta, x)
        theirs = theirs.double().numpy()
        diff = float(np.max(np.abs(theirs - ours)))
        rel = diff / float(np.max(np.abs(ours)))
        worst = max(worst, rel)
        print(f"| {os.path.basename(base)} | {meta['model']} | {meta.get('filter', '-')} | {'x'.join(map(str, ours.shape))} "
              f"| {diff:.2e} | {rel:.2e} |")
    return 0 if worst <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
