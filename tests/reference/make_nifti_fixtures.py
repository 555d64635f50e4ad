#!/usr/bin/python3
"""Writes the NIfTI-1 fixtures of tests/unit/io/test_nifti.cpp: the 348-byte header packed by hand
with struct at the offsets of nifti1.h, data with numpy (x fastest, then y, z, t).

Run with Debian's python: /usr/bin/python3 tests/reference/make_nifti_fixtures.py
Values, recomputed by the test (v = i + nx (j + ny (k + nz t)), the file index of a voxel):
  int16_scaled.nii  3x2x2x5 int16 raw = v - 20, scl_slope 0.5, scl_inter 10, TR 1.5 s,
                    pixdim 2, 3, 4 mm, no qform/sform (positions = pixdim x index)
  float32.nii.gz    2x2x1x3 float32 = 0.25 v, TR 1500 ms, sform rows
                    [-2 0 0 10], [0 2 0 -5], [0 0 3 1] (mm)
  be_float64.nii    2x2x2 (3-D) big-endian float64 = v / 8, qform quaternion (0, 0, 1) with
                    qfac -1, offsets (1, 2, 3), pixdim 2 mm: position (-2i+1, -2j+2, -2k+3) mm
  pair.hdr/.img     2x1x1x4 uint8 = 10 + v, "ni1" header with the data in pair.img
  bad ones: truncated.nii, nifti2.nii, bad_magic.nii, complex.nii, pair_without_img.hdr,
            five_d.nii (dim[5] = 2)
"""
import gzip
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "nifti")
os.makedirs(OUT, exist_ok=True)
DT = {np.dtype("uint8"): 2, np.dtype("int16"): 4, np.dtype("float32"): 16, np.dtype("float64"): 64,
      np.dtype("complex64"): 32}


def header(shape, dtype, endian="<", pixdim=(1, 1, 1, 1), tr=0.0, xyzt=2 | 8, slope=0.0, inter=0.0,
           qform=None, sform=None, magic=b"n+1\0", vox_offset=352.0, qfac=1.0, extra_dims=()):
    h = bytearray(348)
    e = endian
    dims = list(shape) + list(extra_dims)
    struct.pack_into(e + "i", h, 0, 348)
    struct.pack_into(e + "8h", h, 40, len(dims), *(dims + [1] * (7 - len(dims))))
    dt = np.dtype(dtype)
    struct.pack_into(e + "hh", h, 70, DT[dt], dt.itemsize * 8)
    struct.pack_into(e + "8f", h, 76, qfac, *pixdim[:3], tr, 1, 1, 1)
    struct.pack_into(e + "fff", h, 108, vox_offset, slope, inter)
    h[123] = xyzt
    if qform is not None:
        struct.pack_into(e + "h", h, 252, 1)
        struct.pack_into(e + "6f", h, 256, *qform)
    if sform is not None:
        struct.pack_into(e + "h", h, 254, 1)
        struct.pack_into(e + "12f", h, 280, *[x for row in sform for x in row])
    h[344:348] = magic
    return bytes(h)


def volume(shape, fn, dtype):
    """Array in file order: a C-order array indexed [t, k, j, i] is x fastest."""
    n = int(np.prod(shape))
    v = np.arange(n)
    return fn(v).astype(dtype)


def write(name, head, data, gz=False):
    blob = head + (b"\0" * 4 if head[344:347] == b"n+1" else b"") + data
    opener = gzip.open if gz else open
    with opener(os.path.join(OUT, name), "wb") as f:
        f.write(blob)


i16 = volume((3, 2, 2, 5), lambda v: v - 20, "<i2")
write("int16_scaled.nii", header((3, 2, 2, 5), "int16", pixdim=(2, 3, 4), tr=1.5, slope=0.5, inter=10),
      i16.tobytes())
f32 = volume((2, 2, 1, 3), lambda v: 0.25 * v, "<f4")
write("float32.nii.gz", header((2, 2, 1, 3), "float32", tr=1500.0, xyzt=2 | 16,
                               sform=[[-2, 0, 0, 10], [0, 2, 0, -5], [0, 0, 3, 1]]),
      f32.tobytes(), gz=True)
f64 = volume((2, 2, 2), lambda v: v / 8, ">f8")
write("be_float64.nii", header((2, 2, 2), "float64", endian=">", pixdim=(2, 2, 2), qfac=-1.0,
                               qform=[0, 0, 1, 1, 2, 3]), f64.tobytes())
u8 = volume((2, 1, 1, 4), lambda v: 10 + v, "u1")
with open(os.path.join(OUT, "pair.hdr"), "wb") as f:
    f.write(header((2, 1, 1, 4), "uint8", tr=2.0, magic=b"ni1\0", vox_offset=0.0))
with open(os.path.join(OUT, "pair.img"), "wb") as f:
    f.write(u8.tobytes())
with open(os.path.join(OUT, "pair_without_img.hdr"), "wb") as f:
    f.write(header((2, 1, 1, 4), "uint8", magic=b"ni1\0", vox_offset=0.0))

# Rejected inputs.
whole = header((3, 2, 2, 5), "int16", tr=1.5) + b"\0" * 4 + i16.tobytes()
with open(os.path.join(OUT, "truncated.nii"), "wb") as f:  # 120 data bytes cut to 100
    f.write(whole[:-20])
with open(os.path.join(OUT, "nifti2.nii"), "wb") as f:  # NIfTI-2: sizeof_hdr 540, magic n+2
    n2 = bytearray(544)
    struct.pack_into("<i", n2, 0, 540)
    n2[4:8] = b"n+2\0"
    f.write(bytes(n2))
with open(os.path.join(OUT, "bad_magic.nii"), "wb") as f:
    f.write(header((3, 2, 2, 5), "int16", magic=b"abc\0") + b"\0" * 4 + i16.tobytes())
with open(os.path.join(OUT, "complex.nii"), "wb") as f:
    f.write(header((2, 1, 1, 1), "complex64") + b"\0" * 4 + np.zeros(2, "<c8").tobytes())
with open(os.path.join(OUT, "five_d.nii"), "wb") as f:
    f.write(header((2, 1, 1, 1), "uint8", extra_dims=(2,)) + b"\0" * 4 + b"\1" * 4)
