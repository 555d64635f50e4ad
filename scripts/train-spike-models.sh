#!/usr/bin/env bash
# Reproduces the shipped deep spike-inference models (models/spikes/, docs/spikes.md "Deep
# model"): one `neurodl train-spikes` per frame rate (7.5, 15, 30 Hz: faster recordings are
# deconvolved at 30 Hz, whose 64-frame window spans 2 s) × noise level, on every ground-truth
# dataset,
# with the default recipe (an ensemble of 2 networks, target smoothing 0.0125 s), one
# synthetic-indicator copy of every training trace with a random Hill response
# (--synthetic-copies 1 --synthetic-response hill), blended with OASIS AR(2) as `deconvolve` runs
# it by default (smoothed by 0.07 × its decay time and moved 0.5 frames earlier:
# --blend-smoothing-per-decay 0.07 --blend-lead-frames 0.5; at the input's own rate, the default
# --blend-rate input) at the fixed weight 0.5 (--blend-weight 0.5; chosen by nested
# leave-one-dataset-out), seed 0,
# deterministic (one torch thread), so a rerun with the same LibTorch build gives the same
# weights. About 1 min per model (15–45 s per member) on one core of the 2-core reference machine;
# ~5 min with JOBS=2. The bank is ~3.2 MB (15 models × 2 members × 13,017 float64 weights).
#   scripts/train-spike-models.sh [BUILD_DIR]          (default build; JOBS=2 runs two at once)
# Run from anywhere; the data path recorded in each model is ../shared/data/groundtruth, relative
# to the repository root.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
cd "$root"
neurodl=$(cd "$build" && pwd)/neurodl
data=${DATA:-../shared/data/groundtruth}
out=${OUT:-models/spikes}
[ -d "$data" ] || { echo "no ground truth at $data (set DATA)"; exit 2; }
mkdir -p "$out"
for fs in 7.5 15 30; do
  for noise in 0.5 1 2 4 8; do
    echo "$fs $noise"
  done
done | xargs -P "${JOBS:-1}" -n 2 sh -c \
  '"$0" train-spikes --data "$1" --fs "$3" --noise "$4" --blend oasis-ar2 --blend-weight 0.5 --blend-smoothing-per-decay 0.07 --blend-lead-frames 0.5 --synthetic-copies 1 --synthetic-response hill --seed 0 --threads 1 --quiet \
     -o "$2/deep_fs$3_noise$4.h5" && echo "$2/deep_fs$3_noise$4.h5"' "$neurodl" "$data" "$out"
du -ch "$out"/*.h5 | tail -1
