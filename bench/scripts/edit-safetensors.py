#!/usr/bin/env python3
"""Writes a copy of a roaf safetensors file with some float32 tensors scaled or replaced, for
initialisation experiments through `roaf train --init` (which checks the shapes).

    python3 bench/scripts/edit-safetensors.py IN OUT EDIT...     (needs numpy)

Each EDIT is NAME*FACTOR (scale: rnn.W*0.5, rnn.W*0), NAME=OTHER (replace by a copy of another
tensor of the same shape: rnn.W=rnn.O) or NAME+=OTHER (add it: rnn.W+=rnn.O). Edits apply in order,
each to the result of the ones before; OTHER is read from IN as it was. The metadata is kept.

The initial weights of a run are in the model.safetensors of a one-update run with a negligible
rate, e.g. `roaf train --task psmnist --steps 1 --batch 10 --lr 1e-9 --out DIR` (--steps 0 is refused).
"""
import json
import re
import struct
import sys

import numpy as np

DTYPES = {"F32": "<f4", "I64": "<i8", "I32": "<i4"}


def load(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", None)
    tensors = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(raw[8 + n + start:8 + n + end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"]).copy()
    return tensors, meta


def save(path, tensors, meta):
    header, blobs, offset = {}, [], 0
    names = {v: k for k, v in DTYPES.items()}
    for name, a in tensors.items():
        a = np.ascontiguousarray(a)
        header[name] = {"dtype": names[a.dtype.str], "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    if meta is not None:
        header["__metadata__"] = meta
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    source, target, edits = sys.argv[1], sys.argv[2], sys.argv[3:]
    original, meta = load(source)
    tensors = dict(original)
    for edit in edits:
        m = re.fullmatch(r"([\w.]+)(\*|\+=|=)([\w.+\-eE]+)", edit)
        if not m or m.group(1) not in tensors:
            sys.exit(f"edit-safetensors: cannot apply '{edit}' (tensors: {', '.join(original)})")
        name, op, arg = m.groups()
        if op == "*":
            tensors[name] = (tensors[name] * np.float32(float(arg))).astype("<f4")
            continue
        if arg not in original or original[arg].shape != tensors[name].shape:
            sys.exit(f"edit-safetensors: '{arg}' is not a tensor of {name}'s shape {tensors[name].shape}")
        tensors[name] = (original[arg].copy() if op == "=" else tensors[name] + original[arg]).astype("<f4")
    save(target, tensors, meta)
    print(f"wrote {target}: " + ", ".join(edits))


if __name__ == "__main__":
    main()
