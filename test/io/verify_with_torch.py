"""Reads the files test/io/python.test.ts wrote with rnnkit, with PyTorch and numpy, and compares every
tensor with the expectations it wrote beside them. Prints {"checked": n, "errors": [...]} as JSON.

  .pt           torch.load(path, weights_only=True)   (PyTorch's safe loader must accept the file)
  .safetensors  the header validated as tensor.rs does, tensors through torch.frombuffer
  .npy / .npz   numpy.load

Usage: /usr/bin/python3 test/io/verify_with_torch.py DIR   (DIR holds the files and expect.json)
"""

import json
import os
import struct
import sys

import numpy as np
import torch

ST = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
      "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
      "BOOL": torch.bool}


def tensor_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def read_safetensors(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    assert n % 8 == 0, "header not padded to 8"
    header = json.loads(data[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", None)
    body = data[8 + n:]
    spans = sorted((v["data_offsets"][0], v["data_offsets"][1]) for v in header.values())
    at = 0
    for b, e in spans:
        assert b == at, "offsets not contiguous"
        at = e
    assert at == len(body), "offsets do not cover the data"
    out = {}
    for k, v in header.items():
        b, e = v["data_offsets"]
        dtype = ST[v["dtype"]]
        raw = bytearray(body[b:e])
        t = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        out[k] = t.reshape(v["shape"])
    return out, meta, list(header)


def main():
    folder = sys.argv[1]
    expect = json.load(open(os.path.join(folder, "expect.json")))
    errors = []
    checked = 0
    for name, spec in expect.items():
        path = os.path.join(folder, name)
        try:
            if name.endswith(".pt"):
                loaded = torch.load(path, weights_only=True)
                order = list(loaded)
            elif name.endswith(".safetensors"):
                loaded, meta, order = read_safetensors(path)
                if meta != spec.get("metadata"):
                    errors.append(f"{name}: metadata {meta} != {spec.get('metadata')}")
            elif name.endswith(".npz"):
                with np.load(path) as z:
                    loaded = {k: torch.from_numpy(z[k].copy()) for k in z.files}
                    order = list(z.files)
            else:
                loaded = {"": torch.from_numpy(np.load(path))}
                order = [""]
        except Exception as e:  # noqa: BLE001 - reported, not hidden
            errors.append(f"{name}: {type(e).__name__}: {e}")
            continue
        keys = [k for k, _, _, _ in spec["tensors"]]
        if order != keys:
            errors.append(f"{name}: key order {order[:5]}... != {keys[:5]}...")
        for key, dtype, shape, hexdata in spec["tensors"]:
            t = loaded.get(key)
            if t is None:
                errors.append(f"{name}: missing {key}")
                continue
            got = (str(t.dtype).replace("torch.", ""), list(t.shape), tensor_bytes(t).hex())
            if got != (dtype, shape, hexdata):
                errors.append(f"{name}: {key}: got {got[:2]}, expected {(dtype, shape)} (or different bytes)")
            checked += 1
    print(json.dumps({"checked": checked, "errors": errors}))


if __name__ == "__main__":
    main()
