#!/usr/bin/env bash
# Training steps/s of the bottleneck network: neurodl's LibTorch engine vs the same network in
# PyTorch (Python), same data, initial weights, batch order, optimiser and thread count; also
# checks that equal seeds give equal per-epoch losses. Results go to bench/README.md by hand.
#
#   bench/run_nets_bench.sh [BUILD_DIR] [DATA_DIR] [-- bench_nets options, e.g. --hidden 256]
#
# BUILD_DIR (default build-bench) must be configured with -DNEURODL_BUILD_BENCH=ON and LibTorch.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
data=${2:-/tmp/neurodl-nets-bench}
shift $(( $# > 2 ? 2 : $# ))
[[ ${1:-} == -- ]] && shift
threads=${THREADS:-2}
py=/usr/bin/python3   # Debian's python with numpy and python3-torch
export OMP_NUM_THREADS=$threads
mkdir -p "$data"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores," \
     "load $(cut -d' ' -f1-3 /proc/loadavg), $threads threads"
"$build/bench/bench_nets" "$data" --threads "$threads" "$@"
$py "$root/bench/nets_vs_pytorch.py" "$data" "$threads"
