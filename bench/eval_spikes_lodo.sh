#!/usr/bin/env bash
# Leave-one-dataset-out evaluation of neurodl's automatic OASIS deconvolution on real data
# (docs/spikes.md, "Results on real data"). Reads ../shared/data in place (never copies it).
#   bench/eval_spikes_lodo.sh [BUILD_DIR] [DATA_DIR]      (defaults build, ../shared/data)
# Builds bench/eval_spikes_lodo.cpp against the library, writes every trace's score for every
# setting to $OUT (default /tmp/eval_spikes_lodo.tsv), then prints the tables.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
DATA=${2:-$ROOT/../shared/data}
OUT=${OUT:-/tmp/eval_spikes_lodo.tsv}
PY=${PYTHON:-/usr/bin/python3}
[ -d "$DATA/groundtruth" ] || { echo "no ground-truth data under $DATA: skipped"; exit 0; }
cmake --build "$BUILD" --target neurodl_spikes neurodl_io >/dev/null
EXE=$(mktemp -d)/eval_spikes_lodo
HDF5=$(pkg-config --libs-only-L hdf5 2>/dev/null || echo -L/usr/lib/x86_64-linux-gnu/hdf5/serial)
c++ -O2 -std=c++20 -fopenmp -I"$ROOT/include" -I/usr/include/eigen3 \
  "$ROOT/bench/eval_spikes_lodo.cpp" "$BUILD/libneurodl_io.a" "$BUILD/libneurodl_spikes.a" \
  "$BUILD/libneurodl_eval.a" "$BUILD/libneurodl_core.a" $HDF5 -lhdf5 -lmatio -lfmt -lz -lopenblas \
  -o "$EXE"
"$EXE" "$DATA" "$OUT"
# The shipped defaults of OasisOptions (decay_window_s, decay_shrinkage_hz, smoothing_s (−1: per
# decay time), smoothing_per_decay, lead_frames).
SPIKEFINDER_RESULTS="$DATA/benchmarks/results_23_01_18_25Hz.csv" \
  "$PY" "$ROOT/bench/eval_spikes_lodo.py" "$OUT" ${DEFAULTS:-3 0.5 -1 0.07 0.5}
