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

BUFFERS = ("O", "O_index", "O_sign")



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

def is_param(name):
    return name.split(".")[-1] not in BUFFERS


def filter_fn(t, prefix, layer=None):
    if prefix + "O_index" in t:
        index, sign = t[prefix + "O_index"], t[prefix + "O_sign"]
        if layer is not None:
            index, sign = index[layer], sign[layer]
        return lambda x: sign * x[..., index]
    o = t[prefix + "O"]
    if o.dim() == 3:
        o = o[layer]
    return lambda x: x @ o.T


def forward(t, meta, x):
    """Outputs of the model whose tensors are t (differentiable where t's parameters require grad)."""
    family = meta["model"]
    if family in ("roaf-mlp", "mlp", "resmlp"):
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
    b, steps = x.shape[0], x.shape[1]
    out = []
    if family == "lstm":  # the equations of torch.nn.LSTM, gates i, f, g, o, one bias
        n = t["lstm.weight_hh"].shape[1]
        h = torch.zeros(b, n, dtype=x.dtype)
        c = torch.zeros(b, n, dtype=x.dtype)
        for s in range(steps):
            gates = x[:, s] @ t["lstm.weight_ih"].T + h @ t["lstm.weight_hh"].T + t["lstm.bias"]
            i, f, g, o = gates.chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            out.append(h)
    else:
        roaf = family == "roaf-rnn"
        alpha, beta = (float(meta["alpha"]), float(meta["beta"])) if roaf else (0.0, 1.0)
        o = filter_fn(t, "rnn.") if roaf else None
        h = torch.zeros(b, t["rnn.W"].shape[0], dtype=x.dtype)
        for s in range(steps):
            z = torch.tanh(h @ t["rnn.W"].T + x[:, s] @ t["rnn.U"].T + t["rnn.b"])
            h = alpha * o(h) + beta * z if roaf else z
            out.append(h)
    hs = torch.stack(out, dim=1)
    head = lambda v: v @ t["head.weight"].T + t["head.bias"]
    return head(hs) if meta.get("head") == "every" else head(hs[:, -1])


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
