#!/usr/bin/python3
"""Writes the golden safetensors fixture that `src/io/safetensors.test.ts` checks against.

Outputs (next to the test, in packages/tensor/src/io/fixtures/):
  golden.safetensors  small tensors made by torch, one per dtype the reader converts, written by
                      hand with struct + json (the `safetensors` package is not installed here);
                      tensor bytes are torch's own bit patterns (read through an integer view).
  golden.json         for every tensor: dtype, shape and the values torch gives after converting
                      to float32 (float dtypes) or int (integer dtypes); non-finite floats are the
                      strings "nan", "inf", "-inf". Under "rounding", f32 source values with the
                      f16/bf16 bit patterns torch rounds them to, to check our round-to-nearest-even.

Run with the interpreter that has torch 1.13:  /usr/bin/python3 packages/tensor/scripts/make_safetensors_fixture.py
"""
import json
import math
import os
import struct

import torch

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "io", "fixtures")

# torch dtype -> (safetensors dtype, integer view dtype or None, struct format char of the stored element)
DTYPES = {
    torch.float32: ("F32", torch.int32, "i"),
    torch.float16: ("F16", torch.int16, "h"),
    torch.bfloat16: ("BF16", torch.int16, "h"),
    torch.float64: ("F64", torch.int64, "q"),
    torch.int64: ("I64", None, "q"),
    torch.int32: ("I32", None, "i"),
    torch.int16: ("I16", None, "h"),
    torch.int8: ("I8", None, "b"),
    torch.uint8: ("U8", None, "B"),
    torch.bool: ("BOOL", torch.uint8, "B"),
}


def stored_bytes(t):
    """The tensor's bytes, little-endian, exactly torch's bit patterns."""
    _, view_dtype, fmt = DTYPES[t.dtype]
    flat = t.contiguous().reshape(-1)
    if view_dtype is not None:
        flat = flat.to(view_dtype) if t.dtype == torch.bool else flat.view(view_dtype)
    values = flat.tolist()
    return struct.pack("<%d%s" % (len(values), fmt), *values)


def json_float(x):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def expected_values(t):
    if t.is_floating_point():
        return [json_float(x) for x in t.to(torch.float32).reshape(-1).tolist()]
    return [int(x) for x in t.to(torch.int64).reshape(-1).tolist()]


def bits16(t):
    return [x & 0xFFFF for x in t.view(torch.int16).reshape(-1).tolist()]


def main():
    torch.manual_seed(0)
    inf, nan = float("inf"), float("nan")

    specials = [0.0, -0.0, 1.0, -2.5, inf, -inf, nan]
    f16_values = specials + [65504.0, -65504.0, 2.0**-24, -(2.0**-24), 2.0**-14 - 2.0**-24, 2.0**-14, 0.1, 1.0 / 3.0]
    bf16_values = specials + [3.3895313892515355e38, 2.0**-133, -(2.0**-126), 0.1, 1.0 / 3.0, 1e30]

    # f32 sources chosen to exercise rounding: random values over many scales, exact ties, overflow, underflow.
    f16_source = torch.cat([
        torch.randn(24) * torch.logspace(-7, 4, 24),
        torch.tensor([1 + 2.0**-11, 1 + 3 * 2.0**-11, -(1 + 2.0**-11), 2.0**-25, 3 * 2.0**-25, 5 * 2.0**-26,
                      65519.0, 65520.0, 1e-8, -1e-8, 1e6, 2.0**-14 - 2.0**-25]),
    ]).to(torch.float32)
    bf16_source = torch.cat([
        torch.randn(24) * torch.logspace(-30, 30, 24),
        torch.tensor([1 + 2.0**-8, 1 + 3 * 2.0**-8, -(1 + 2.0**-8), 3.4e38, 1e-39, 1e-45, 0.3]),
    ]).to(torch.float32)

    tensors = {
        "f32.matrix": (torch.arange(6, dtype=torch.float32).reshape(2, 3) * 0.25 - 0.5),
        "f32.scalar": torch.tensor(3.5, dtype=torch.float32),
        "f16.values": torch.tensor(f16_values, dtype=torch.float32).to(torch.float16),
        "bf16.values": torch.tensor(bf16_values, dtype=torch.float32).to(torch.bfloat16),
        "f16.rounding": f16_source.to(torch.float16),
        "bf16.rounding": bf16_source.to(torch.bfloat16),
        "f64.values": torch.tensor([0.1, -1e40, 1e-50, 2.5], dtype=torch.float64),
        "i64.ids": torch.tensor([[-(2**31), -1, 0, 1], [2, 3, 101, 2**31 - 1]], dtype=torch.int64),
        "i32.values": torch.arange(-3, 3, dtype=torch.int32),
        "i16.values": torch.tensor([-32768, -1, 0, 32767], dtype=torch.int16),
        "i8.values": torch.tensor([-128, -1, 0, 127], dtype=torch.int8),
        "u8.values": torch.tensor([0, 1, 128, 255], dtype=torch.uint8),
        "bool.mask": torch.tensor([[True, False], [False, True]]),
        "f32.empty": torch.zeros(0, 3, dtype=torch.float32),
    }
    metadata = {"format": "pt", "producer": "make_safetensors_fixture.py"}

    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        blob = stored_bytes(t)
        header[name] = {"dtype": DTYPES[t.dtype][0], "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * ((8 - len(header_bytes) % 8) % 8)

    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, "golden.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for blob in blobs:
            f.write(blob)

    golden = {
        "torch": torch.__version__,
        "metadata": metadata,
        "tensors": {
            name: {"dtype": DTYPES[t.dtype][0], "shape": list(t.shape), "values": expected_values(t)}
            for name, t in tensors.items()
        },
        "rounding": {
            "f16": {"source": [json_float(x) for x in f16_source.tolist()], "bits": bits16(tensors["f16.rounding"])},
            "bf16": {"source": [json_float(x) for x in bf16_source.tolist()], "bits": bits16(tensors["bf16.rounding"])},
        },
    }
    with open(os.path.join(OUT_DIR, "golden.json"), "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
