#!/usr/bin/env bash
# Side-by-side throughput of OASIS AR(1) deconvolution: neurodl and, when importable, the peers.
#   bench/run_deconvolve_bench.sh [UNITS] [FRAMES] [BUILD_DIR]     (defaults 10000 30000 build)
# Peers are never built here: set PEER_PYTHONPATH to a folder where OASIS's Cython extension
# (`oasis_methods`, from github.com/j-friedrich/OASIS) is importable and SUITE2P_DCNV to a copy of
# suite2p/extraction/dcnv.py (needs numba); each is skipped with a message when absent.
set -euo pipefail
UNITS=${1:-10000}
FRAMES=${2:-30000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${3:-$ROOT/build}
PY=${PYTHON:-/usr/bin/python3}
cmake --build "$BUILD" --target neurodl_spikes >/dev/null
EXE=$(mktemp -d)/bench_deconvolve
c++ -O3 -std=c++20 -fopenmp -I"$ROOT/include" -I/usr/include/eigen3 \
  "$ROOT/bench/bench_deconvolve.cpp" "$BUILD/libneurodl_spikes.a" "$BUILD/libneurodl_eval.a" \
  "$BUILD/libneurodl_core.a" -lopenblas -o "$EXE"
echo "== machine: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores), $(date -u +%F)"
echo "== neurodl"
"$EXE" "$UNITS" "$FRAMES"
echo "== peers (same traces: γ = 0.95, 0.5 spikes/s at 30 Hz, noise 0.1)"
PEER_PYTHONPATH=${PEER_PYTHONPATH:-} SUITE2P_DCNV=${SUITE2P_DCNV:-} "$PY" - "$UNITS" "$FRAMES" <<'PYEOF'
import importlib.util, os, sys, time
import numpy as np
N, T = int(sys.argv[1]), int(sys.argv[2])
fs, g = 30.0, 0.95
rng = np.random.default_rng(0)
def traces(n, t):
    s = (rng.random((n, t)) < 0.5 / fs).astype(np.float64)
    import scipy.signal
    return (scipy.signal.lfilter([1.0], [1.0, -g], s, axis=1) + 0.1 * rng.standard_normal((n, t)))
def best(f, k=3):
    b = 1e300
    for _ in range(k):
        t0 = time.perf_counter(); f(); b = min(b, time.perf_counter() - t0)
    return b
y = traces(1, 10000)[0]
if os.environ.get("PEER_PYTHONPATH"):
    sys.path.insert(0, os.environ["PEER_PYTHONPATH"])
    from oasis_methods import oasisAR1
    t = best(lambda: oasisAR1(y, g, lam=0.0))
    print(f"OASIS Cython oasisAR1, 10,000 frames: {1e3*t:.3f} ms ({1e4/t/1e6:.1f} M samples/s, 1 thread)")
else:
    print("OASIS: skipped (set PEER_PYTHONPATH)")
if os.environ.get("SUITE2P_DCNV"):
    src = open(os.environ["SUITE2P_DCNV"]).read()
    # Only the numba kernels are needed; drop the package-relative and torch imports.
    src = "\n".join(l for l in src.splitlines() if not l.startswith(("from ..", "import torch", "from torch", "from tqdm")))
    src = src.replace("cache=True", "cache=False")
    # Default arguments elsewhere in the file name torch.device; a stand-in satisfies them.
    import types
    ns = {"torch": types.SimpleNamespace(device=lambda *a, **k: None)}
    exec(compile(src, "dcnv.py", "exec"), ns)
    n = min(N, 2000)
    F = traces(n, T).astype(np.float32)
    tau = -1 / (fs * np.log(g))
    def run():
        v = np.zeros_like(F); w = np.zeros_like(F); tt = np.zeros(F.shape, np.int64)
        l = np.zeros_like(F); s = np.zeros_like(F)
        ns["oasis_matrix"](F, v, w, tt, l, s, np.float32(tau), np.float32(fs))
    run()  # compile
    t = best(run)
    import numba
    print(f"Suite2p numba oasis_matrix, {n} units × {T} frames, {numba.get_num_threads()} threads: "
          f"{t:.3f} s ({n*T/t/1e6:.1f} M samples/s, {1e9*t*numba.get_num_threads()/(n*T):.1f} ns/sample/thread)")
else:
    print("Suite2p: skipped (set SUITE2P_DCNV)")
PYEOF
