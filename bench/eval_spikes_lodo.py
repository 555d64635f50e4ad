#!/usr/bin/env python3
"""Leave-one-dataset-out (LODO) choice of the global hyper-parameters of neurodl's OASIS methods
from the rows written by eval_spikes_lodo (bench/eval_spikes_lodo.sh runs both).

Hyper-parameters: the autocovariance window (s), the decay shrinkage (1/s), the output
smoothing width (s, or −1 for a width of k·τ_d per trace, k the next column) and the output lead
(frames), chosen jointly per AR order. For each held-out
dataset D the setting is the
one maximising the mean, over the OTHER ground-truth datasets, of their mean per-trace Spikefinder
r; D is then scored with it. Spikefinder sets 5 and 6 are the same neurons as DS16 and DS17: they
are held out together with their twin and never used for choosing. Prints markdown.
   usage: eval_spikes_lodo.py ROWS.tsv [WINDOW SHRINKAGE SMOOTHING PER_DECAY LEAD] (the defaults)
Without the defaults, those chosen for AR(2) on all 12 datasets are used. The per-cell published
scores are read from $SPIKEFINDER_RESULTS (bench/eval_spikes_lodo.sh sets it).
"""
import csv, sys
from collections import defaultdict

rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
twin = {"SF5": "DS16", "SF6": "DS17"}
acc = defaultdict(list)  # (order, window, shrink, smooth, per_decay, lead, dataset) -> r per trace
tau = defaultdict(list)
for r in rows:
    key = (int(r["order"]), float(r["window_s"]), float(r["shrinkage_hz"]), float(r["smoothing_s"]),
           float(r["smoothing_per_decay"]), float(r["lead_frames"]))
    if r["r"] != "nan":
        acc[key + (r["dataset"],)].append(float(r["r"]))
    tau[key[:3] + (r["dataset"],)].append(float(r["tau_decay_s"]))
mean = lambda v: sum(v) / len(v)
score = {k: mean(v) for k, v in acc.items()}
datasets = sorted({k[6] for k in acc}, key=lambda d: (d.startswith("DS"), d))
gt = [d for d in datasets if d.startswith("DS")]
orders = sorted({k[0] for k in acc})
# window_s < 0 marks the previous defaults (OASIS's 10 lags and per-frame shrinkage 0.98): the
# "before" column, never a candidate.
cands = {o: sorted({k[1:6] for k in acc if k[0] == o and k[1] >= 0}) for o in orders}
legacy = (-1.0, -1.0, 0.0, 0.0, 0.0)
width = lambda c: f"{c[3]:g}·τ_d" if c[2] < 0 else f"{c[2]:g}"

def pick(order, exclude):
    train = [d for d in gt if d not in exclude]
    return max(cands[order], key=lambda c: mean([score[(order,) + c + (d,)] for d in train]))

default = tuple(float(x) for x in sys.argv[2:7]) if len(sys.argv) >= 7 else pick(2, set())
cols = ["before AR(1)", "before AR(2)", "default AR(1)", "default AR(2)",
        "held-out AR(1) (window, κ, σ, lead)", "held-out AR(2) (window, κ, σ, lead)",
        "median τ_d AR(2) (s)"]
print(f"Defaults: window {default[0]:g} s, shrinkage {default[1]:g} 1/s, smoothing {width(default)} s, "
      f"lead {default[4]:g} frames\n")
print("| data | " + " | ".join(cols) + " |")
print("|---" * (len(cols) + 1) + "|")
summary = defaultdict(list)
for d in datasets:
    cells = []
    for tag, setting in (("before", legacy), ("default", default)):
        for o in orders:
            v = score[(o,) + setting + (d,)]
            cells.append(f"{v:.3f}")
            if d in gt: summary[(tag, o)].append(v)
    for o in orders:
        c = pick(o, {d, twin.get(d, d)})
        v = score[(o,) + c + (d,)]
        cells.append(f"{v:.3f} ({c[0]:g}, {c[1]:g}, {width(c)}, {c[4]:g})")
        if d in gt: summary[("held", o)].append(v)
    t = sorted(tau[(2,) + default[:2] + (d,)])
    cells.append(f"{t[len(t) // 2]:.2f}")
    print(f"| {d} | " + " | ".join(cells) + " |")
cells = [f"{mean(summary[(t, o)]):.3f}" for t in ("before", "default", "held") for o in orders]
print("| mean of the 12 DS | " + " | ".join(cells) + " | |")

# Spikefinder set 5 per cell next to the published OASIS-type entry (friedrich, training split).
import os
pub = os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])), "results_23_01_18_25Hz.csv")
pub = os.environ.get("SPIKEFINDER_RESULTS", pub)
if os.path.exists(pub):
    ref = {int(r["cell"]): float(r["value"]) for r in csv.DictReader(open(pub))
           if r["algo"] == "friedrich" and r["dset"] == "5" and r["split"] == "train"
           and r["measure"] == "corr"}
    per = defaultdict(dict)
    first = min(int(r["trace"]) for r in rows if r["dataset"] == "SF5")
    for r in rows:
        key = (int(r["order"]), float(r["window_s"]), float(r["shrinkage_hz"]), float(r["smoothing_s"]),
               float(r["smoothing_per_decay"]), float(r["lead_frames"]))
        if r["dataset"] == "SF5" and key[1:] in (legacy, default):
            per[(key[0], key[1:] == default)][int(r["trace"]) - first] = float(r["r"])
    print("\n| Spikefinder 5 cell | " + " | ".join(str(c) for c in sorted(ref)) + " | mean |")
    print("|---" * (len(ref) + 2) + "|")
    line = lambda name, v: print(f"| {name} | " + " | ".join(f"{v[c]:.3f}" for c in sorted(ref))
                                 + f" | {mean([v[c] for c in sorted(ref)]):.3f} |")
    line("published OASIS-type (friedrich)", ref)
    for o in orders:
        line(f"neurodl AR({o}) before", per[(o, False)])
        line(f"neurodl AR({o}) default", per[(o, True)])

for o in orders:
    c = pick(o, set())
    print(f"\nAR({o}) chosen on all 12 datasets: window {c[0]:g} s, shrinkage {c[1]:g} 1/s, "
          f"smoothing {width(c)} s, lead {c[4]:g} frames (mean r {mean([score[(o,) + c + (d,)] for d in gt]):.3f})")
    # Sensitivity: the best mean r for each value of each hyper-parameter.
    for i, name in enumerate(["window_s", "shrinkage_hz", "smoothing_s", "smoothing_per_decay", "lead_frames"]):
        vals = sorted({c[i] for c in cands[o]})
        best = {v: max(mean([score[(o,) + c + (d,)] for d in gt]) for c in cands[o] if c[i] == v)
                for v in vals}
        print(f"  best mean r by {name}: " + ", ".join(f"{v:g}:{best[v]:.3f}" for v in vals))
