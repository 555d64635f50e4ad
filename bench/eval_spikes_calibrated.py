"""Calibrated OASIS (`neurodl calibrate-spikes`, docs/spikes.md "Calibrated OASIS") on every
ground-truth dataset of ../shared/data: each dataset's cells calibrate OASIS for that dataset,
and each cell is scored by a calibration fitted without it (leave-one-cell-out; "nested" also
repeats the choice of OASIS candidate without the cell). Spikefinder sets 5 and 6 (one CSV per
set, one column per cell) are run too. Uncalibrated OASIS of the chosen order is in the same
report. Prints one row per dataset and the mean over the 12 datasets.

    /usr/bin/python3 bench/eval_spikes_calibrated.py NEURODL DATA_DIR [--work DIR] [-- EXTRA ARGS]

EXTRA ARGS go to calibrate-spikes (e.g. --filter-step-s 0.02 --ridge 1). Standard library only."""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("neurodl")
    ap.add_argument("data")
    ap.add_argument("--work", default=None)
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    a = ap.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    work = a.work or tempfile.mkdtemp(prefix="neurodl_calib_")
    os.makedirs(work, exist_ok=True)
    jobs = []
    for folder in sorted(glob.glob(os.path.join(a.data, "groundtruth", "DS*"))):
        jobs.append((os.path.basename(folder)[:4], sorted(glob.glob(os.path.join(folder, "*.mat")))))
    for s in ("5", "6"):
        path = os.path.join(a.data, "spikefinder", f"{s}.train.calcium.csv")
        if os.path.exists(path):
            jobs.append((f"SF{s}", [path]))
    print("dataset\tcells\ttraces\tchosen\tuncalibrated\tleave-one-cell-out\tnested\tin-sample\tseconds")
    nested, loo, plain = [], [], []
    for name, files in jobs:
        out, rep = os.path.join(work, name + ".json"), os.path.join(work, name + ".report.json")
        t0 = time.time()
        subprocess.run([a.neurodl, "calibrate-spikes", *files, "-o", out, "--json", rep, "--quiet", *extra],
                       check=True)
        dt = time.time() - t0
        r = json.load(open(rep))
        tau = r["chosen"]["tau_decay_s"]
        chosen = "AR(%d) %s" % (r["chosen"]["ar_order"], tau if isinstance(tau, str) else "%g s" % tau)
        nes = r["nested_correlation"]
        print("%s\t%d\t%d\t%s\t%.3f\t%.3f\t%s\t%.3f\t%.1f" % (
            name, r["n_cells"], r["n_traces"], chosen, r["default_correlation"], r["cv_correlation"],
            "%.3f" % nes if nes is not None else "-", r["in_sample_correlation"], dt))
        sys.stdout.flush()
        if name.startswith("DS"):
            nested.append(nes)
            loo.append(r["cv_correlation"])
            plain.append(r["default_correlation"])
    if nested:
        m = lambda v: sum(v) / len(v)
        print("mean of %d datasets\t\t\t\t%.3f\t%.3f\t%.3f" % (len(nested), m(plain), m(loo), m(nested)))


if __name__ == "__main__":
    main()
