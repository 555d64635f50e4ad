#!/usr/bin/python3
"""Writes the tiny MATLAB fixtures under tests/fixtures/mat/ for tests/unit/io/test_mat.cpp and
tests/unit/io/test_position_tracking.cpp.

Run with Debian's python (it has numpy, scipy and h5py):  /usr/bin/python3 tests/reference/make_mat_fixtures.py

v5 files are written by scipy.io.savemat, each layout twice: <name>_v5.mat (uncompressed) and
<name>_v5z.mat (zlib compressed). v7.3 files are written with h5py in MATLAB's v7.3 convention:
a 512-byte user block that starts with the 128-byte MAT header, datasets stored transposed
(HDF5 is row-major, MATLAB column-major) and a MATLAB_class attribute on every dataset and group.
The expected values that the tests check are printed at the end and repeated in the tests.
"""
import os
import struct

import h5py
import numpy as np
import scipy.io as sio

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "mat")


def savemat_both(stem, variables, folder=OUT):
    os.makedirs(folder, exist_ok=True)
    sio.savemat(os.path.join(folder, stem + "_v5.mat"), variables, do_compression=False)
    sio.savemat(os.path.join(folder, stem + "_v5z.mat"), variables, do_compression=True)


def cell(items, shape=None):
    """A MATLAB cell array (object ndarray) holding `items`, 1×n unless `shape` is given."""
    c = np.empty(shape or (1, len(items)), dtype=object)
    for i, x in enumerate(items):
        c.flat[i] = x
    return c


# --- a. CASCADE ground truth: CAttached, a 1×3 cell of structs --------------------------------
# Entry 1: 10 Hz, 10 stored frames of which the last 2 have NaN times; fluo_time is 1×T,
# fluo_mean T×1 (both orientations occur in the real files); events_AP in 1e-4 s with a NaN and
# out of order. Frame i collects spikes in [t_i - 0.05, t_i + 0.05); 0.9 s lies after the last
# frame's bin and is not counted.
t1 = np.arange(10) * 0.1
t1[8:] = np.nan
cattached = cell([
    {"fluo_time": t1.reshape(1, -1),
     "fluo_mean": (np.arange(10) * 0.5).reshape(-1, 1),
     "events_AP": np.array([[2600.0], [np.nan], [400.0], [7100.0], [9000.0], [2700.0]])},
    # Entry 2: everything empty, skipped with a note.
    {"fluo_time": np.zeros((1, 0)), "fluo_mean": np.zeros((0, 1)),
     "events_AP": np.zeros((0, 1), dtype=np.uint8)},
    # Entry 3: irregular frame times (0.15 and 0.05 s intervals) with a repeated last time stamp,
    # fluo_mean as a row, events_AP int32 as in most real files.
    {"fluo_time": np.array([[0.0, 0.1, 0.25, 0.3, 0.4, 0.5, 0.5]]),
     "fluo_mean": np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 6.0]]),
     "events_AP": np.array([[1200], [2600]], dtype=np.int32),
     "original_set": "unused"},
])
savemat_both("cattached", {"CAttached": cattached})
# A ground-truth file in which no entry is usable.
savemat_both("cattached_unusable", {"CAttached": cell([{"fluo_time": np.zeros((1, 0)),
                                                         "fluo_mean": np.zeros((1, 0)),
                                                         "events_AP": np.zeros((0, 1))}])})

# --- b/c. CASCADE population layout: dF_traces, neurons × frames -----------------------------
# 4 neurons × 10 frames, value = 10·neuron + frame; the rate comes from "7.5Hz" in the name.
dff = (10 * np.arange(4)[:, None] + np.arange(10)[None, :]).astype(np.float32)
savemat_both("population-7.5Hz", {"dF_traces": dff})

# --- d. Tetrode spike cells: spikes{tetrode}{unit}.time --------------------------------------
tetrode_dir = os.path.join(OUT, "tetrode")
spikes = cell([
    cell([{"time": np.array([[0.5], [0.01], [0.3]]), "timerange": np.array([[0.0, 1.0]])},
          np.zeros((1, 0)),
          {"time": np.array([[0.25]]), "timerange": np.array([[0.0, 1.0]])}]),
    cell([{"time": np.zeros((0, 1), dtype=np.uint8), "timerange": np.array([[0.0, 1.0]])},
          {"time": np.array([[0.02], [0.155]]), "timerange": np.array([[0.0, 1.0]])}]),
])
savemat_both("spikes", {"spikes": spikes}, folder=tetrode_dir)


def write_tracking(path, times, header=True, extra=b""):
    with open(path, "wb") as f:
        if header:
            f.write(b"<Start settings>\nclockrate: 30000\ncamera resolution: 640x480\n"
                    b"Fields: <time uint32><xloc uint16><yloc uint16><xloc2 uint16><yloc2 uint16>\n"
                    b"<End settings>\n")
        for k, t in enumerate(times):
            f.write(struct.pack("<IHHHH", t, 100 + k, 200 + k, 0, 0))
        f.write(extra)


# Beside the spikes: 5 records, the third repeats the second's time stamp and is dropped.
write_tracking(os.path.join(tetrode_dir, "trajectory.videoPositionTracking"),
               [0, 3000, 3000, 6000, 9000])
track_dir = os.path.join(OUT, "tracking")
os.makedirs(track_dir, exist_ok=True)
write_tracking(os.path.join(track_dir, "truncated.videoPositionTracking"), [0, 3000],
               extra=b"\x01\x02\x03\x04\x05")
write_tracking(os.path.join(track_dir, "no_header.videoPositionTracking"), [0, 3000], header=False)

# --- e. Stringer et al. 2019 spontaneous release: Fsp, beh, med -------------------------------
n_neurons, n_frames = 5, 12
fsp = (100 * np.arange(n_neurons)[:, None] + np.arange(n_frames)[None, :]).astype(np.float64)
med = np.array([[10.0 * n, 20.0 * n, 30.0 + n] for n in range(n_neurons)])
frames = np.arange(n_frames, dtype=np.float64)
beh = {"runSpeed": (0.5 * frames).reshape(-1, 1),
       "face": {"motionSVD": frames[:, None] + np.arange(3)[None, :] / 10.0},
       "pupil": {"area": (100.0 + frames).reshape(-1, 1)}}
stringer = {"Fsp": fsp, "med": med, "beh": beh, "iplane": np.arange(n_neurons).reshape(-1, 1) % 2}
savemat_both("stringer", stringer)

# --- f. Triplett et al. 2018 tectum: activity_matrix cells × time ---------------------------
act = (np.arange(4)[:, None] * 1.5 + np.arange(9)[None, :]).astype(np.float64)
coords = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])
assemblies = cell([np.array([[1, 3]], dtype=np.uint8), np.array([[2, 3, 4]], dtype=np.uint8)],
                  shape=(2, 1))
savemat_both("triplett", {"activity_matrix": act, "cell_coordinates": coords,
                          "detected_assemblies": assemblies})

# --- g. Generic matrices of several classes, and things that are skipped ---------------------
import scipy.sparse as sp
plain = {
    "a_double": np.arange(18, dtype=np.float64).reshape(6, 3),   # 6×3: rows are time
    "b_single": np.arange(21, dtype=np.float32).reshape(3, 7),   # 3×7: transposed to 7×3
    "c_int16": np.array([[-3, 4], [5, -6], [7, 8], [9, 10], [11, 12]], dtype=np.int16),
    "d_logical": np.array([[True, False], [False, True], [True, True], [False, False]]),
    "e_row": np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]),          # 1×6: one unit, 6 samples
    "f_text": "skipped",
    "g_struct": {"x": np.ones((2, 2))},
    "h_sparse": sp.csc_matrix(np.eye(3)),
    "i_complex": np.array([[1 + 2j, 3 + 4j]]),
    "j_scalar": np.array([[7.0]]),
}
savemat_both("plain", plain)
savemat_both("nothing_usable", {"label": "text only", "params": {"fs": np.array([[30.0]])}})

with open(os.path.join(OUT, "not_a_mat.mat"), "w") as f:
    f.write("this is a text file with a .mat extension\n")


# --- v7.3 (HDF5) in MATLAB's convention -------------------------------------------------------
def set_matlab_class(obj, matlab_class):
    """MATLAB_class as MATLAB writes it: a scalar fixed-length string, NULLTERM padded, whose size
    is the name's length (h5py's default NULLPAD string makes matio read the name one char short)."""
    name = matlab_class.encode()
    t = h5py.h5t.C_S1.copy()
    t.set_size(len(name))
    t.set_strpad(h5py.h5t.STR_NULLTERM)
    attr = h5py.h5a.create(obj.id, b"MATLAB_class", t, h5py.h5s.create(h5py.h5s.SCALAR))
    attr.write(np.array(name, dtype="S%d" % len(name)), mtype=t)


def set_matlab_fields(group, names):
    """MATLAB_fields: the struct's field names, each a variable-length array of 1-byte chars."""
    vlen = h5py.vlen_dtype(np.dtype("S1"))
    data = np.empty(len(names), dtype=object)
    for i, n in enumerate(names):
        data[i] = np.array([c.encode() for c in n], dtype="S1")
    group.attrs.create("MATLAB_fields", data, dtype=vlen)


def write_v73(path, fill):
    # MATLAB tracks link creation order; matio lists struct fields in that order.
    with h5py.File(path, "w", userblock_size=512, track_order=True) as f:
        fill(f)
    text = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 ."
    header = text.ljust(116, b" ") + b" " * 8 + struct.pack("<H", 0x0200) + b"IM"
    with open(path, "r+b") as f:
        f.write(header.ljust(512, b"\0"))


def put(group, name, array, matlab_class):
    """Stores a MATLAB-shaped array: HDF5 holds the transpose (column-major order)."""
    d = group.create_dataset(name, data=np.ascontiguousarray(np.asarray(array).T))
    set_matlab_class(d, matlab_class)
    return d


def plain_v73(f):
    put(f, "a_double", plain["a_double"], "double")
    put(f, "b_single", plain["b_single"], "single")


write_v73(os.path.join(OUT, "plain_v73.mat"), plain_v73)


def stringer_v73(f):
    put(f, "Fsp", fsp, "double")
    put(f, "med", med, "double")
    g = f.create_group("beh", track_order=True)
    set_matlab_class(g, "struct")
    set_matlab_fields(g, ["runSpeed", "face"])
    put(g, "runSpeed", beh["runSpeed"], "double")
    face = g.create_group("face", track_order=True)
    set_matlab_class(face, "struct")
    set_matlab_fields(face, ["motionSVD"])
    put(face, "motionSVD", beh["face"]["motionSVD"], "double")


write_v73(os.path.join(OUT, "stringer_v73.mat"), stringer_v73)

if __name__ == "__main__":
    print("cattached #1 activity:", np.arange(8) * 0.5)
    print("cattached #1 spikes:", np.sort(np.array([2600, 400, 7100, 9000, 2700]) * 1e-4))
    print("population activity row 3:", dff[:, 3])
    print("stringer Fsp[2, 5] =", fsp[2, 5], " motionSVD[4] =", beh["face"]["motionSVD"][4])
    print("triplett activity[8, 3] =", act[3, 8])
    print("plain b_single transposed row 1:", plain["b_single"].T[1])
    print("written to", os.path.normpath(OUT))
