"""How often a published supervised spike-inference method beat every model-based one, dataset
by dataset, in the Spikefinder challenge (Berens et al. 2018) — the context of docs/spikes.md's
per-dataset target. Reads the per-cell scores the paper published
(../shared/data/benchmarks/results_23_01_18_25Hz.csv: Pearson r at 25 Hz per cell, algorithm,
dataset and split), averages over the cells of each dataset and counts, for every supervised
entry, the test sets on which it is above every model-based entry, and above the OASIS-type one.

    /usr/bin/python3 bench/spikefinder_published.py [DATA_DIR]    (default ../shared/data)

Model-based entries: oopsi (fast non-negative deconvolution), friedrich (OASIS-type, "linear
gaussian"), deneux (MLspike), pachitariu (Suite2p). The others were trained on the challenge's
ground truth: stm, mineault (Purgatorio), rupprecht (embedding of CNNs), bolte (1-D ConvNet),
chenkov (convi6), speiser (DeepSpike), machado (encoder-decoder), ringach (Vanilla). Standard
library only."""
import csv
import os
import sys
from collections import defaultdict

MODEL_BASED = ["oopsi", "friedrich", "deneux", "pachitariu"]


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "..", "shared", "data")
    path = os.path.join(data, "benchmarks", "results_23_01_18_25Hz.csv")
    if not os.path.exists(path):
        print(f"{path}: no such file: skipped")
        return 0
    cells = defaultdict(list)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["measure"] != "corr" or row["split"] != "test" or row["value"] == "":
                continue
            cells[(row["algo"], int(row["dset"]))].append(float(row["value"]))
    if not cells:
        print(f"{path}: field 'value': no test-split correlations", file=sys.stderr)
        return 2
    algos = sorted({a for a, _ in cells})
    sets = sorted({d for _, d in cells})
    mean = {k: sum(v) / len(v) for k, v in cells.items()}
    missing = [m for m in MODEL_BASED if m not in algos]
    if missing:
        print(f"{path}: field 'algo': no rows for {', '.join(missing)}", file=sys.stderr)
        return 2
    print("| entry | kind | " + " | ".join(f"test set {d}" for d in sets) +
          " | mean | sets above every model-based | sets above OASIS-type |")
    print("|---|---|" + "---|" * len(sets) + "---|---|---|")
    for a in sorted(algos, key=lambda a: -sum(mean.get((a, d), 0) for d in sets)):
        vals = [mean.get((a, d), float("nan")) for d in sets]
        if a in MODEL_BASED:
            above_all = above_oasis = "—"
        else:
            above_all = sum(all(mean[(a, d)] > mean[(m, d)] for m in MODEL_BASED) for d in sets)
            above_oasis = sum(mean[(a, d)] > mean[("friedrich", d)] for d in sets)
            above_all, above_oasis = f"{above_all} of {len(sets)}", f"{above_oasis} of {len(sets)}"
        kind = "model-based" if a in MODEL_BASED else "supervised"
        print(f"| {a} | {kind} | " + " | ".join(f"{v:.3f}" for v in vals) +
              f" | {sum(vals) / len(vals):.3f} | {above_all} | {above_oasis} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
