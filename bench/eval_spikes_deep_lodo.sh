#!/usr/bin/env bash
# Leave-one-dataset-out scores of the deep spike model next to OASIS AR(1)/AR(2) on the real
# ground truth (docs/spikes.md, "Deep model: results on real data"). Reads ../shared/data in
# place. Two processes (one core each) split the 12 held-out datasets; ~6 min on 2 cores with
# the default 2-member ensembles.
#   bench/eval_spikes_deep_lodo.sh [BUILD_DIR] [DATA_DIR]   (BUILD_DIR configured with
#                                   -DNEURODL_BUILD_BENCH=ON and LibTorch; default build-bench)
# Extra options for bench/eval_spikes_deep_lodo.cpp in $ARGS (e.g. ARGS=--grid, or
# ARGS="--set members=3 --set target_smoothing_s=0.025" to score another recipe).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
data=${2:-$root/../shared/data}
out=${OUT:-/tmp/eval_spikes_deep_lodo}
[ -d "$data/groundtruth" ] || { echo "no ground-truth data under $data: skipped"; exit 0; }
cmake --build "$build" --target eval_spikes_deep_lodo >/dev/null
exe=$build/bench/eval_spikes_deep_lodo
export OMP_NUM_THREADS=1
"$exe" "$data/groundtruth" "$out.a.tsv" --datasets DS01,DS02,DS06,DS12,DS15,DS16 ${ARGS:-} &
"$exe" "$data/groundtruth" "$out.b.tsv" --datasets DS17,DS19,DS20,DS22,DS23,DS27 ${ARGS:-} &
wait
/usr/bin/python3 "$root/bench/eval_spikes_deep_lodo.py" "$out.a.tsv" "$out.b.tsv"
