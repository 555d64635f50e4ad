#!/usr/bin/env bash
# Ridge with per-target penalties: neurodl vs scikit-learn RidgeCV vs himalaya RidgeCV, side by
# side on the same generated data and the same thread count, with peak memory from
# /usr/bin/time -v. Results go to bench/README.md by hand.
#
#   bench/run_ridge_bench.sh [BUILD_DIR] [DATA_DIR] [-- generate options, e.g. --n 2000 --q 2000]
#
# BUILD_DIR (default build-bench) must be configured with -DNEURODL_BUILD_BENCH=ON. himalaya is
# run only when it can be imported: put a checkout on PYTHONPATH (e.g. /tmp/himalaya); it is never
# fetched or built by this script.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
data=${2:-/tmp/neurodl-ridge-bench}
shift $(( $# > 2 ? 2 : $# ))
[[ ${1:-} == -- ]] && shift
threads=2
py=/usr/bin/python3   # Debian's python with numpy, scipy, scikit-learn
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads MKL_NUM_THREADS=$threads

peak() { grep -E "Maximum resident" "$1" | awk '{printf "%.0f MiB", $NF / 1024}'; }

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores," \
     "load $(cut -d' ' -f1-3 /proc/loadavg)"
$py "$root/bench/ridge_vs_sklearn.py" generate "$data" "$@"

/usr/bin/time -v -o "$data/time_neurodl.txt" "$build/bench/bench_ridge" "$data" --threads $threads
echo "  peak memory: $(peak "$data/time_neurodl.txt")"
/usr/bin/time -v -o "$data/time_sklearn.txt" $py "$root/bench/ridge_vs_sklearn.py" sklearn "$data"
echo "  peak memory: $(peak "$data/time_sklearn.txt")"
if $py -c "import himalaya" 2>/dev/null; then
  /usr/bin/time -v -o "$data/time_himalaya.txt" $py "$root/bench/ridge_vs_sklearn.py" himalaya "$data"
  echo "  peak memory: $(peak "$data/time_himalaya.txt")"
else
  echo "himalaya: not importable (add a checkout to PYTHONPATH); skipped"
fi
$py "$root/bench/ridge_vs_sklearn.py" compare "$data"
