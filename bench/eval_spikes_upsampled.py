"""Spike inference on recordings resampled up to 100 Hz, as the Spikefinder challenge distributed
them (docs/spikes.md, "Band-limited input"). Every ground-truth trace of ../shared/data is
resampled to 100 Hz by Fourier interpolation (scipy.signal.resample, which leaves nothing above
the recording's Nyquist frequency) and deconvolved there with `neurodl deconvolve`, once with the
native rate detected (the default) and once with `--native-fs 0` (the trace taken as given); the
traces as recorded are scored too. Score: the Spikefinder r (predicted and true spikes summed in
40 ms bins, Pearson r per trace, mean over traces, then over datasets), as score-spikes computes
it. At 100 Hz the truth is placed to 10 ms rather than to a 33–86 ms frame, so the same method
scores lower on the resampled traces than on the recorded ones.

    /usr/bin/python3 bench/eval_spikes_upsampled.py NEURODL DATA_DIR [--methods oasis-ar1,oasis-ar2,deep]
        [--models DIR]   (deep: DIR/DSxx.h5 for held-out dataset DSxx, e.g. the fold models that
                          bench/eval_spikes_deep_lodo --models DIR kept; default: the shipped bank)
        [--datasets DS01,DS02,...] [--work DIR]

Needs numpy and scipy (Debian's python3-scipy; /usr/bin/python3)."""
import argparse
import glob
import os
import subprocess
import sys
import tempfile
from collections import defaultdict

import numpy as np
import scipy.io as sio
import scipy.signal as ss

UP = 100.0


def load(folder):
    """(fluorescence, rate, spike times in s) per recording of a DSxx folder: the finite frames."""
    out = []
    for path in sorted(glob.glob(os.path.join(folder, "*.mat"))):
        recs = np.atleast_1d(sio.loadmat(path, squeeze_me=True, struct_as_record=False)["CAttached"])
        for rec in recs:
            t = np.asarray(rec.fluo_time, float).ravel()
            y = np.asarray(rec.fluo_mean, float).ravel()
            ok = np.isfinite(t) & np.isfinite(y)
            t, y = t[ok], y[ok]
            if len(y) < 200:
                continue
            sp = np.asarray(rec.events_AP, float).ravel() / 1e4
            sp = sp[np.isfinite(sp)] - t[0]
            fs = 1.0 / np.median(np.diff(t))
            out.append((y, fs, sp))
    return out


def counts(sp, fs, n):
    """Spikes per frame; frame i (at time i/fs after the first) collects [i − ½, i + ½)/fs, as
    neurodl's reader of these files does."""
    return np.histogram(sp, bins=(np.arange(n + 1) - 0.5) / fs)[0].astype(float)


def score(pred, truth, fs):
    """Spikefinder r as neurodl score-spikes computes it: both summed in 40 ms bins, a frame
    split between bins by overlap (frames longer than a bin leave no empty bins)."""
    n = min(len(pred), len(truth))
    r = fs / 25.0
    edges = np.arange(int(np.floor(n / r + 1e-9)) + 1) * r

    def binned(x):
        cs = np.concatenate([[0.0], np.cumsum(x[:n])])
        return np.diff(np.interp(edges, np.arange(n + 1), cs))

    p, q = binned(pred), binned(truth)
    if p.std() == 0 or q.std() == 0:
        return float("nan")
    return float(np.corrcoef(p, q)[0, 1])


def run(neurodl, cols, fs, method, extra, work):
    """Deconvolves columns (NaN-padded to one length) at fs; returns one prediction per column."""
    n = max(len(c) for c in cols)
    x = np.full((n, len(cols)), np.nan, np.float32)
    for j, c in enumerate(cols):
        x[: len(c), j] = c
    src, dst = os.path.join(work, "in.npy"), os.path.join(work, "out.npy")
    np.save(src, x)
    subprocess.run([neurodl, "deconvolve", src, "--fs", repr(fs), "--method", method, "-o", dst,
                    "--quiet", "--threads", "2"] + extra, check=True)
    y = np.load(dst)
    return [y[: len(c), j].astype(float) for j, c in enumerate(cols)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("neurodl")
    ap.add_argument("data")
    ap.add_argument("--methods", default="oasis-ar1,oasis-ar2,deep")
    ap.add_argument("--models", default="")
    ap.add_argument("--datasets", default="")
    ap.add_argument("--work", default="")
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="neurodl-upsampled-")
    os.makedirs(work, exist_ok=True)
    folders = sorted(glob.glob(os.path.join(a.data, "groundtruth", "DS*")))
    if a.datasets:
        keep = a.datasets.split(",")
        folders = [f for f in folders if os.path.basename(f)[:4] in keep]
    variants = [("as recorded", None), ("100 Hz, native rate detected", []),
                ("100 Hz, --native-fs 0", ["--native-fs", "0"])]
    res = defaultdict(dict)
    for folder in folders:
        ds = os.path.basename(folder)[:4]
        traces = load(folder)
        up = [ss.resample(y, int(round(len(y) * UP / fs))) for y, fs, _ in traces]
        truth_native = [counts(sp, fs, len(y)) for y, fs, sp in traces]
        truth_up = [counts(sp, UP, len(u)) for (_, _, sp), u in zip(traces, up)]
        for method in a.methods.split(","):
            extra = ["--model", os.path.join(a.models, ds + ".h5")] if method == "deep" and a.models else []
            for name, flags in variants:
                rs = []
                if flags is None:
                    # One call per distinct rate (recordings of a dataset share one or a few).
                    groups = defaultdict(list)
                    for i, (_, fs, _) in enumerate(traces):
                        groups[round(fs, 3)].append(i)
                    for fs, idx in groups.items():
                        preds = run(a.neurodl, [traces[i][0] for i in idx], fs, method, extra, work)
                        rs += [score(p, truth_native[i], traces[i][1]) for p, i in zip(preds, idx)]
                else:
                    preds = run(a.neurodl, up, UP, method, extra + flags, work)
                    rs = [score(p, t, UP) for p, t in zip(preds, truth_up)]
                rs = [v for v in rs if v == v]
                res[(method, name)][ds] = sum(rs) / len(rs)
        print(ds, " ".join(f"{m}/{n[:12]}={res[(m, n)][ds]:.3f}" for m in a.methods.split(",")
                           for n, _ in variants), file=sys.stderr, flush=True)
    dss = sorted({d for v in res.values() for d in v})
    cols = [(m, n) for m in a.methods.split(",") for n, _ in variants]
    print("| data | " + " | ".join(f"{m}, {n}" for m, n in cols) + " |")
    print("|---|" + "---|" * len(cols))
    for d in dss:
        print(f"| {d} | " + " | ".join(f"{res[c][d]:.3f}" for c in cols) + " |")
    print("| **mean** | " + " | ".join(f"**{np.mean([res[c][d] for d in dss]):.3f}**" for c in cols) + " |")


if __name__ == "__main__":
    main()
