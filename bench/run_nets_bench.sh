#!/usr/bin/env bash
# Training steps/s of a neurodl network (bottleneck or image-net): neurodl's LibTorch engine vs
# the same network in PyTorch (Python), same data, initial weights, batch order, optimiser, loss,
# device and thread count, run one after the other in one call so both see the same machine
# load; also checks that equal seeds give equal per-epoch losses. Results go to bench/README.md
# by hand.
#
#   bench/run_nets_bench.sh [BUILD_DIR] [DATA_DIR] [-- bench_nets options]
#   e.g. ... -- --model image-net --batch 16        ... -- --model bottleneck --device cuda
#   PY_FLAGS=--compile bench/run_nets_bench.sh ...   (torch.compile on the Python side, torch >= 2)
#
# BUILD_DIR (default build-bench) must be configured with -DNEURODL_BUILD_BENCH=ON and LibTorch.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
data=${2:-/tmp/neurodl-nets-bench}
shift $(( $# > 2 ? 2 : $# ))
[[ ${1:-} == -- ]] && shift
threads=${THREADS:-2}
py=${PYTHON:-/usr/bin/python3}   # Debian's python with numpy and python3-torch
device=cpu
args=("$@")
for ((i = 0; i + 1 < ${#args[@]}; i++)); do [[ ${args[i]} == --device ]] && device=${args[i+1]}; done
export OMP_NUM_THREADS=$threads
mkdir -p "$data"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores," \
     "load $(cut -d' ' -f1-3 /proc/loadavg), $threads threads, device $device"
"$build/bench/bench_nets" "$data" --threads "$threads" "$@"
# shellcheck disable=SC2086
$py "$root/bench/nets_vs_pytorch.py" "$data" "$threads" --device "$device" ${PY_FLAGS:-}
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
