#!/usr/bin/env bash
# Side-by-side throughput of OASIS AR(1) deconvolution: neurodl and the peers, in one run.
#   bench/run_deconvolve_bench.sh [UNITS] [FRAMES] [BUILD_DIR] [THREADS]
#                                                        (defaults 10000 30000 build 2)
# Peers are never built here and none of their code is in this repository: set OASIS_DIR to a
# checkout of github.com/j-friedrich/OASIS whose Cython extension (oasis/oasis_methods*.so) has
# been built in place, and SUITE2P_DCNV to a copy of suite2p/extraction/dcnv.py from
# github.com/MouseLand/suite2p (needs numba); each is skipped with a message when unset.
# Every tool gets the same thread count (OMP/NUMBA/OPENBLAS_NUM_THREADS) and the same kind of
# traces (AR(1) γ = 0.95, 0.5 spikes/s at 30 Hz, noise s.d. 0.1, float32); neurodl's peak memory
# is measured with /usr/bin/time -v.
set -euo pipefail
UNITS=${1:-10000}
FRAMES=${2:-30000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${3:-$ROOT/build}
THREADS=${4:-2}
PY=${PYTHON:-/usr/bin/python3}
export OMP_NUM_THREADS=$THREADS NUMBA_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=1
cmake --build "$BUILD" --target neurodl_spikes >/dev/null
EXE=$(mktemp -d)/bench_deconvolve
c++ -O3 -std=c++20 -fopenmp -I"$ROOT/include" -I/usr/include/eigen3 \
  "$ROOT/bench/bench_deconvolve.cpp" "$BUILD/libneurodl_spikes.a" "$BUILD/libneurodl_eval.a" \
  "$BUILD/libneurodl_core.a" -lopenblas -o "$EXE"
echo "== machine: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores), $(date -u '+%F %H:%M UTC')," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== neurodl, $THREADS threads"
/usr/bin/time -f "neurodl peak resident memory %M KiB (input and output: $((UNITS * FRAMES * 8 / 1024)) KiB)" \
  "$EXE" "$UNITS" "$FRAMES" "$THREADS"
echo "== peers, $THREADS threads where they use threads"
OASIS_DIR=${OASIS_DIR:-} SUITE2P_DCNV=${SUITE2P_DCNV:-} "$PY" -W ignore - "$UNITS" "$FRAMES" <<'PYEOF'
import os, sys, time
import numpy as np
import scipy.signal
N, T = int(sys.argv[1]), int(sys.argv[2])
fs, g = 30.0, 0.95
rng = np.random.default_rng(0)
def traces(n, t):
    s = (rng.random((n, t)) < 0.5 / fs).astype(np.float64)
    return scipy.signal.lfilter([1.0], [1.0, -g], s, axis=1) + 0.1 * rng.standard_normal((n, t))
def best(f, k):
    """Best wall time of k runs and the process CPU time (all threads) of that run."""
    b, cpu = 1e300, 0.0
    for _ in range(k):
        c0, t0 = time.process_time(), time.perf_counter()
        f()
        t, c = time.perf_counter() - t0, time.process_time() - c0
        if t < b:
            b, cpu = t, c
    return b, cpu
if os.environ.get("OASIS_DIR"):
    sys.path.insert(0, os.environ["OASIS_DIR"])
    from oasis.oasis_methods import oasisAR1
    from oasis.functions import deconvolve
    y = traces(1, 10000)[0].astype(np.float32).astype(np.float64)
    t, cpu = best(lambda: oasisAR1(y, g, lam=0.0), 10)
    print(f"OASIS Cython oasisAR1, one 10,000-frame trace, γ given, λ = 0 (best of 10): "
          f"{1e3*t:.3f} ms ({1e4/t/1e6:.1f} M samples/s, 1 thread), {1e9*cpu/1e4:.2f} ns/sample CPU")
    # Automatic: OASIS estimates γ (autocovariance) and σ (PSD), then λ and b by its noise
    # constraint (constrained_oasisAR1 with optimize_b) — the counterpart of neurodl's "auto".
    n = min(N, 100)
    Y = traces(n, T).astype(np.float32).astype(np.float64)
    c0, t0 = time.process_time(), time.perf_counter()
    for row in Y:
        deconvolve(row, g=(None,), penalty=1)
    t, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"OASIS functions.deconvolve AR(1), everything estimated, {n} units × {T} frames, "
          f"1 thread: {t:.3f} s ({n*T/t/1e6:.2f} M samples/s), {1e9*cpu/(n*T):.1f} ns/sample CPU")
else:
    print("OASIS: skipped (set OASIS_DIR)")
if os.environ.get("SUITE2P_DCNV"):
    src = open(os.environ["SUITE2P_DCNV"]).read()
    # Only the numba kernels are needed; drop the package-relative and torch imports.
    src = "\n".join(l for l in src.splitlines()
                    if not l.startswith(("from ..", "import torch", "from torch", "from tqdm")))
    src = src.replace("cache=True", "cache=False")
    # Default arguments elsewhere in the file name torch.device; a stand-in satisfies them.
    import types
    ns = {"torch": types.SimpleNamespace(device=lambda *a, **k: None)}
    exec(compile(src, "dcnv.py", "exec"), ns)
    import numba
    # Suite2p's buffers are 5 arrays of the input's size (~24 bytes per sample): at most 2,000
    # units here so that the run fits next to neurodl's on a 23 GB machine; the rate is per sample.
    n = min(N, 2000)
    F = traces(n, T).astype(np.float32)
    tau = -1 / (fs * np.log(g))
    # Buffers allocated once, outside the timing (Suite2p's oasis() allocates them per batch);
    # only the output is cleared per run, since the kernel writes the spike frames alone.
    v = np.zeros_like(F); w = np.zeros_like(F); tt = np.zeros(F.shape, np.int64)
    l = np.zeros_like(F); s = np.zeros_like(F)
    def run():
        s.fill(0)
        ns["oasis_matrix"](F, v, w, tt, l, s, np.float32(tau), np.float32(fs))
    run()  # compile
    t, cpu = best(run, 3)
    k = numba.get_num_threads()
    print(f"Suite2p numba oasis_matrix, τ given, {n} units × {T} frames, {k} threads (best of 3): "
          f"{t:.3f} s ({n*T/t/1e6:.1f} M samples/s), {1e9*cpu/(n*T):.1f} ns/sample CPU")
else:
    print("Suite2p: skipped (set SUITE2P_DCNV)")
PYEOF
