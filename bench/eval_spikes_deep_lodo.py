"""Prints the leave-one-dataset-out table of bench/eval_spikes_deep_lodo (one or more TSVs):
per held-out dataset the mean Spikefinder r of the deep model and of OASIS AR(1)/AR(2) on the
same traces, and the mean over datasets, next to the published Spikefinder test-set figures.
    python3 bench/eval_spikes_deep_lodo.py OUT.tsv [MORE.tsv ...]"""
import csv
import sys
from collections import defaultdict

rows = []
for path in sys.argv[1:]:
    with open(path) as f:
        rows += list(csv.DictReader(f, delimiter="\t"))
r = defaultdict(lambda: defaultdict(list))
info = {}
for row in rows:
    if row["r"] != "nan":
        r[row["dataset"]][row["method"]].append(float(row["r"]))
    if row["method"] == "deep":
        info[row["dataset"]] = (row["model_fs"], row["model_noise"])
methods = ["deep", "oasis-ar1", "oasis-ar2"]
mean = lambda v: sum(v) / len(v) if v else float("nan")
print("| held-out data | traces | model fs (Hz), noise | deep | OASIS AR(1) | OASIS AR(2) | deep − best OASIS |")
print("|---|---|---|---|---|---|---|")
per = {m: [] for m in methods}
wins = 0
for ds in sorted(r):
    vals = {m: mean(r[ds][m]) for m in methods}
    for m in methods:
        per[m].append(vals[m])
    gap = vals["deep"] - max(vals["oasis-ar1"], vals["oasis-ar2"])
    wins += gap > 0
    fs, nu = info.get(ds, ("?", "?"))
    print(f"| {ds} | {len(r[ds]['deep'])} | {float(fs):.3g}, {float(nu):.2g} | {vals['deep']:.3f} | "
          f"{vals['oasis-ar1']:.3f} | {vals['oasis-ar2']:.3f} | {gap:+.3f} |")
print(f"| **mean of {len(r)} datasets** | {sum(len(r[d]['deep']) for d in r)} | | "
      f"**{mean(per['deep']):.3f}** | {mean(per['oasis-ar1']):.3f} | {mean(per['oasis-ar2']):.3f} | "
      f"{mean(per['deep']) - max(mean(per['oasis-ar1']), mean(per['oasis-ar2'])):+.3f} |")
print(f"\ndeep above both OASIS variants on {wins} of {len(r)} held-out datasets; "
      "published Spikefinder test-set means: STM 0.387, Suite2p 0.423, OASIS-type 0.442, "
      "MLspike 0.456, best 0.464")
