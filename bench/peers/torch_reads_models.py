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



def read_safetensors(path):
    """(tensors, metadata) of a safetensors file: the safetensors package when it is installed, else the format read
    directly (an 8-byte little-endian header length, a JSON header, the raw little-endian data)."""
    try:
        from safetensors import safe_open
        from safetensors.torch import load_file
        with safe_open(path, framework="pt") as f:
            return load_file(path), f.metadata()
    except ImportError:
        import json as _json
        import struct
        with open(path, "rb") as f:
            raw = f.read()
        (size,) = struct.unpack("<Q", raw[:8])
        header = _json.loads(raw[8:8 + size])
        meta = header.pop("__metadata__", {})
        types = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32}
        tensors = {}
        for name, info in header.items():
            start, end = info["data_offsets"]
            a = np.frombuffer(raw[8 + size + start:8 + size + end], dtype=np.dtype(types[info["dtype"]]).newbyteorder("<"))
            tensors[name] = torch.from_numpy(a.astype(a.dtype.newbyteorder("=")).reshape(info["shape"]))
        return tensors, meta

def filter_fn(t, prefix, layer=None):
    """O x for the filter stored under prefix: a dense O ([N,N], or [L,N,N] per layer) or a signed permutation."""
    if prefix + "O_index" in t:
        index, sign = t[prefix + "O_index"], t[prefix + "O_sign"]
        if layer is not None:
            index, sign = index[layer], sign[layer]
        return lambda x: sign * x[..., index]
    o = t[prefix + "O"]
    if o.dim() == 3:
        o = o[layer]
    return lambda x: x @ o.T


def recurrent(t, meta, x):
    family = meta["model"]
    steps = x.shape[1]
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
    else:  # roaf-rnn: h_t = alpha O h_{t-1} + beta tanh(W h_{t-1} + U x_t + b), h_0 = 0
        alpha, beta = float(meta["alpha"]), float(meta["beta"])
        w, u, b, o = t["rnn.W"], t["rnn.U"], t["rnn.b"], filter_fn(t, "rnn.")
        h = torch.zeros(x.shape[0], w.shape[0], dtype=torch.float64)
        out = []
        for s in range(steps):
            h = alpha * o(h) + beta * torch.tanh(h @ w.T + x[:, s] @ u.T + b)
            out.append(h)
        hs = torch.stack(out, dim=1)
    head = lambda h: h @ t["head.weight"].T + t["head.bias"]
    return head(hs) if every else head(hs[:, -1])


def mlp(t, meta, x):
    family = meta["model"]
    h = x @ t["input.weight"].T + t["input.bias"]
    for layer in range(t["layers.W"].shape[0]):
        z = torch.tanh(h @ t["layers.W"][layer].T + t["layers.b"][layer])
        if family == "roaf-mlp":
            h = float(meta["alpha"]) * filter_fn(t, "layers.", layer)(h) + float(meta["beta"]) * z
        elif family == "resmlp":
            h = h + z
        else:
            h = z
    return h @ t["head.weight"].T + t["head.bias"]


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
                theirs = mlp(t, meta, x)
        theirs = theirs.double().numpy()
        diff = float(np.max(np.abs(theirs - ours)))
        rel = diff / float(np.max(np.abs(ours)))
        worst = max(worst, rel)
        print(f"| {os.path.basename(base)} | {meta['model']} | {meta.get('filter', '-')} | {'x'.join(map(str, ours.shape))} "
              f"| {diff:.2e} | {rel:.2e} |")
    return 0 if worst <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
