#!/usr/bin/python3
"""Writes the suite2p folder fixtures of tests/unit/io/test_suite2p.cpp with numpy's np.save, in
suite2p's layout (arrays are ROIs x frames; iscell is ROIs x 2: flag, probability).

Run with Debian's python: /usr/bin/python3 tests/reference/make_suite2p_fixtures.py
Values (r = ROI, t = frame, p = plane), recomputed by the test:
  F[r, t]    = 100 + 10 r + t + 1000 p   (float32)
  Fneu[r, t] = F[r, t] / 2               (float32)
  spks[r, t] = 0.25 r t                  (float32)
  iscell     = [[1, 0.9], [0, 0.2], [1, 0.75], ...][:n_rois]  (float64)
ops.npy and stat.npy hold pickles, as in real suite2p output: the reader must never open them.
"""
import os
import shutil

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "suite2p")
ISCELL = np.array([[1, 0.9], [0, 0.2], [1, 0.75]])


def plane(folder, n_rois, n_frames, p=0, fneu_frames=None, iscell_rows=None):
    os.makedirs(folder, exist_ok=True)
    r = np.arange(n_rois)[:, None]
    t = np.arange(n_frames)[None, :]
    F = (100 + 10 * r + t + 1000 * p).astype(np.float32)
    np.save(os.path.join(folder, "F.npy"), F)
    fneu = F / 2 if fneu_frames is None else (F / 2)[:, :fneu_frames]
    np.save(os.path.join(folder, "Fneu.npy"), fneu.astype(np.float32))
    np.save(os.path.join(folder, "spks.npy"), (0.25 * r * t).astype(np.float32))
    np.save(os.path.join(folder, "iscell.npy"), ISCELL[: (iscell_rows or n_rois)])
    np.save(os.path.join(folder, "ops.npy"), np.array({"fs": 30.0, "nplanes": 1}), allow_pickle=True)
    stat = np.empty(n_rois, dtype=object)
    for i in range(n_rois):
        stat[i] = {"ypix": np.array([i]), "xpix": np.array([i])}
    np.save(os.path.join(folder, "stat.npy"), stat, allow_pickle=True)


shutil.rmtree(OUT, ignore_errors=True)
plane(os.path.join(OUT, "plane_folder"), 3, 8)
# A session folder as suite2p leaves it: session/suite2p/plane0, plane1 and a "combined" folder.
plane(os.path.join(OUT, "session", "suite2p", "plane0"), 3, 8, p=0)
plane(os.path.join(OUT, "session", "suite2p", "plane1"), 2, 8, p=1)
plane(os.path.join(OUT, "session", "suite2p", "combined"), 5, 8, p=9)
plane(os.path.join(OUT, "mismatch"), 3, 8, fneu_frames=7)
plane(os.path.join(OUT, "bad_iscell"), 3, 8, iscell_rows=2)
