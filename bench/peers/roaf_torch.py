"""The PyTorch side of bench/peers' checks: roaf's safetensors files read without roaf, and its models' equations
written in torch (README.md's tensor layout), shared by torch_reads_models.py and torch_trains_same.py."""
import numpy as np
import torch

BUFFERS = ("O", "O_index", "O_sign")  # the fixed filters: tensors of the file that are not parameters


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
