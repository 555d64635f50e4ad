"""Prints the leave-one-dataset-out table of bench/eval_spikes_deep_lodo (one or more TSVs):
per held-out dataset the mean Spikefinder r of the deep model and of OASIS AR(1)/AR(2) on the
same traces, and the mean over datasets, next to the published Spikefinder test-set figures.
Rows "inner-deep*" (one per fold: the inner validation score on the training datasets) are
averaged over folds and printed below the table. Rows "deep-e<k>" (the mean of the first k ensemble members, written when the model has more
than k members) become extra columns before "deep".
With --shipped deep-e<k> that column is the one compared with OASIS (the shipped ensemble size
when the run trained more members).
    python3 bench/eval_spikes_deep_lodo.py [--shipped METHOD] OUT.tsv [MORE.tsv ...]"""
import csv
import sys
from collections import defaultdict

args = sys.argv[1:]
shipped = "deep"
if args[:1] == ["--shipped"]:
    shipped, args = args[1], args[2:]
rows = []
for path in args:
    with open(path) as f:
        rows += list(csv.DictReader(f, delimiter="\t"))
r = defaultdict(lambda: defaultdict(list))
info = {}
inner = defaultdict(list)
for row in rows:
    if row["method"].startswith("inner-"):
        inner[row["method"]].append(float(row["r"]))
        continue
    if row["r"] != "nan":
        r[row["dataset"]][row["method"]].append(float(row["r"]))
    if row["method"] == "deep":
        info[row["dataset"]] = (row["model_fs"], row["model_noise"])
partial = sorted({m for d in r for m in r[d] if m.startswith("deep-e")}, key=lambda m: int(m[6:]))
methods = partial + ["deep", "oasis-ar1", "oasis-ar2"]
names = {"deep": "deep", "oasis-ar1": "OASIS AR(1)", "oasis-ar2": "OASIS AR(2)"}
names.update({m: f"deep, {m[6:]} member{'s' if m[6:] != '1' else ''}" for m in partial})
mean = lambda v: sum(v) / len(v) if v else float("nan")
print("| held-out data | traces | model fs (Hz), noise | " + " | ".join(names[m] for m in methods) +
      f" | {names[shipped]} − best OASIS |")
print("|---|---|---|" + "---|" * len(methods) + "---|")
per = {m: [] for m in methods}
wins = 0
for ds in sorted(r):
    vals = {m: mean(r[ds][m]) for m in methods}
    for m in methods:
        per[m].append(vals[m])
    gap = vals[shipped] - max(vals["oasis-ar1"], vals["oasis-ar2"])
    wins += gap > 0
    fs, nu = info.get(ds, ("nan", "nan"))
    print(f"| {ds} | {len(r[ds]['deep'])} | {float(fs):.3g}, {float(nu):.2g} | " +
          " | ".join(f"{vals[m]:.3f}" for m in methods) + f" | {gap:+.3f} |")
means = {m: mean(per[m]) for m in methods}
print(f"| **mean of {len(r)} datasets** | {sum(len(r[d]['deep']) for d in r)} | | " +
      " | ".join(f"**{means[m]:.3f}**" if m == shipped else f"{means[m]:.3f}" for m in methods) +
      f" | {means[shipped] - max(means['oasis-ar1'], means['oasis-ar2']):+.3f} |")
print(f"\n{names[shipped]} above both OASIS variants on {wins} of {len(r)} held-out datasets; "
      "published Spikefinder test-set means: STM 0.387, Suite2p 0.423, OASIS-type 0.442, "
      "MLspike 0.456, best 0.464")
for m in sorted(inner):
    print(f"inner validation ({m}, the selection criterion: validation tails of the training "
          f"datasets, mean over {len(inner[m])} folds): {mean(inner[m]):.4f}")
