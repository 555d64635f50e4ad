#!/usr/bin/python3
"""Writes the .npy/.npz fixtures of tests/unit/io/test_npy.cpp with numpy's own writers.

Run with Debian's python (it has numpy): /usr/bin/python3 tests/reference/make_npy_fixtures.py
Every array is built from np.arange so that the C++ test can recompute the expected values:
  floats   v[k] = k * 0.5 - 2     (exact in float32)
  signed   v[k] = k - 5
  unsigned v[k] = 3 * k
  bool     v[k] = (k % 3 == 0)
with k the C-order index of a 3 x 4 array (row i, column j: k = 4 * i + j).
"""
import io
import os
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "npy")
os.makedirs(OUT, exist_ok=True)
k = np.arange(12).reshape(3, 4)


def values(dtype):
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return (k * 0.5 - 2).astype(dt)
    if dt.kind == "i":
        return (k - 5).astype(dt)
    if dt.kind == "u":
        return (3 * k).astype(dt)
    return (k % 3 == 0).astype(dt)


def path(name):
    return os.path.join(OUT, name)


# Every supported dtype, C order, in both byte orders where it matters.
for code in ["f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1"]:
    np.save(path(f"dtype_{code}.npy"), values("<" + code if code not in ("i1", "u1", "b1") else code))
    if code not in ("i1", "u1", "b1"):
        np.save(path(f"dtype_be_{code}.npy"), values(">" + code))

# Fortran order (np.save keeps the memory order of a Fortran-contiguous array).
np.save(path("fortran_f4.npy"), np.asfortranarray(values("<f4")))
np.save(path("fortran_be_i2.npy"), np.asfortranarray(values(">i2")))
# 1-D: one unit.
np.save(path("vector_f8.npy"), np.arange(5) * 0.25)
# Format versions 2.0 and 3.0 (numpy picks them only for huge or non-latin-1 headers).
for version in [(2, 0), (3, 0)]:
    with open(path(f"version{version[0]}_f4.npy"), "wb") as f:
        np.lib.format.write_array(f, values("<f4"), version=version)

# Inputs that must be rejected.
np.save(path("object.npy"), np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
np.save(path("cube.npy"), np.zeros((2, 2, 2), dtype="<f4"))
np.save(path("structured.npy"), np.zeros(3, dtype=[("a", "<f4"), ("b", "<i2")]))
np.save(path("complex.npy"), np.zeros((2, 2), dtype="<c8"))
good = io.BytesIO()
np.save(good, values("<f4"))
good = good.getvalue()
with open(path("truncated.npy"), "wb") as f:  # header intact, 48 data bytes cut to 20
    f.write(good[: len(good) - 28])
with open(path("bad_magic.npy"), "wb") as f:
    f.write(b"\x93NUMPX" + good[6:])
with open(path("missing_shape.npy"), "wb") as f:  # same length, key renamed
    f.write(good.replace(b"'shape'", b"'shapf'"))
with open(path("bad_dict.npy"), "wb") as f:  # the tuple is not closed
    f.write(good.replace(b"(3, 4)", b"(3, 4 "))
with open(path("too_long.npy"), "wb") as f:  # 4 extra bytes after the data
    f.write(good + b"\0\0\0\0")

# What write_npy must reproduce byte for byte: v[i, j] = (4 i + j) * 0.1.
np.save(path("written_f8.npy"), (np.arange(12) * 0.1).reshape(3, 4))
np.save(path("written_f4.npy"), (np.arange(12) * 0.1).reshape(3, 4).astype("<f4"))

# .npz: stored (np.savez) and deflated (np.savez_compressed); members a (3 x 4 f4), b (5, i2).
members = dict(a=values("<f4"), b=(np.arange(5) - 2).astype("<i2"))
np.savez(path("stored.npz"), **members)
np.savez_compressed(path("deflated.npz"), **members)
np.savez(path("with_object.npz"), a=values("<f4"), o=np.array([None, 1], dtype=object))
# zip64: lowering the zip module's 4 GiB limit makes the real writer emit zip64 extra fields
# and the zip64 end-of-directory records on a tiny archive.
saved_limit = zipfile.ZIP64_LIMIT
zipfile.ZIP64_LIMIT = 16
try:
    np.savez_compressed(path("zip64.npz"), **members)
finally:
    zipfile.ZIP64_LIMIT = saved_limit
with open(path("stored.npz"), "rb") as f:
    archive = f.read()
with open(path("truncated.npz"), "wb") as f:  # the central directory is gone
    f.write(archive[: len(archive) // 2])
# Corrupt one data byte of member a (stored, so the CRC check must catch it).
pos = archive.index(b"\x93NUMPY") + 128 + 5
with open(path("bad_crc.npz"), "wb") as f:
    f.write(archive[:pos] + bytes([archive[pos] ^ 0xFF]) + archive[pos + 1 :])
