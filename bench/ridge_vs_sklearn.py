#!/usr/bin/python3
"""Side-by-side ridge benchmark data and peers (run by bench/run_ridge_bench.sh).

    ridge_vs_sklearn.py generate DIR [--n 5000 --p 1000 --q 10000 --n-test 1000 --alphas 10]
    ridge_vs_sklearn.py sklearn DIR     # RidgeCV(alpha_per_target=True): efficient LOO (GCV)
    ridge_vs_sklearn.py himalaya DIR    # himalaya RidgeCV on neurodl's exact time-block folds
    ridge_vs_sklearn.py compare DIR     # predictions, chosen penalties, times -> markdown rows

Uses Debian's python (numpy, scipy, scikit-learn 1.2). himalaya is imported from PYTHONPATH
(a checkout under /tmp; never vendored here).
"""
import argparse
import json
import os
import time

import numpy as np


def time_block_folds(n, folds):
    """neurodl::eval::time_block_folds with one block per fold and no gap."""
    start = [b * n // folds for b in range(folds + 1)]
    out = []
    for f in range(folds):
        test = np.arange(start[f], start[f + 1])
        train = np.setdiff1d(np.arange(n), test)
        out.append((train, test))
    return out


def generate(d, n, p, q, n_test, n_alphas, seed):
    rng = np.random.default_rng(seed)
    # Correlated features with a decaying spectrum, and targets whose signal-to-noise ratio spans
    # three decades, so that the best penalty differs between targets.
    mix = rng.standard_normal((p, p)) * (np.arange(1, p + 1) ** -0.5)[:, None]
    x = (rng.standard_normal((n + n_test, p)) @ mix).astype(np.float32)
    x /= x.std(axis=0)
    w = rng.standard_normal((p, q)).astype(np.float32) / np.sqrt(p)
    w *= (10.0 ** rng.uniform(-2, 1, q)).astype(np.float32)
    y = x @ w + rng.standard_normal((n + n_test, q)).astype(np.float32) + 3.0
    np.save(os.path.join(d, "x_train.npy"), x[:n])
    np.save(os.path.join(d, "y_train.npy"), y[:n])
    np.save(os.path.join(d, "x_test.npy"), x[n:])
    np.save(os.path.join(d, "y_test.npy"), y[n:])
    np.savetxt(os.path.join(d, "alphas.txt"), np.logspace(-1, 5, n_alphas))


def load(d):
    return (np.load(os.path.join(d, "x_train.npy")), np.load(os.path.join(d, "y_train.npy")),
            np.load(os.path.join(d, "x_test.npy")), np.loadtxt(os.path.join(d, "alphas.txt")))


def run_sklearn(d):
    from sklearn.linear_model import RidgeCV
    x, y, xt, alphas = load(d)
    x, y, xt = x.astype(np.float64), y.astype(np.float64), xt.astype(np.float64)
    t0 = time.perf_counter()
    m = RidgeCV(alphas=alphas, alpha_per_target=True).fit(x, y)
    fit_s = time.perf_counter() - t0
    np.save(os.path.join(d, "pred_sklearn.npy"), m.predict(xt).astype(np.float32))
    np.save(os.path.join(d, "alphas_sklearn.npy"), np.asarray(m.alpha_, dtype=np.float32)[None, :])
    json.dump({"tool": "sklearn", "fit_seconds": fit_s}, open(os.path.join(d, "sklearn.json"), "w"))
    print(f"sklearn RidgeCV: fit {fit_s:.2f} s")


def run_himalaya(d, folds):
    from himalaya.backend import set_backend
    from himalaya.ridge import RidgeCV
    set_backend("numpy")
    x, y, xt, alphas = load(d)
    cv = time_block_folds(x.shape[0], folds)
    t0 = time.perf_counter()
    m = RidgeCV(alphas=alphas, fit_intercept=True, cv=cv,
                solver_params=dict(n_targets_batch=2048, n_alphas_batch=len(alphas))).fit(x, y)
    fit_s = time.perf_counter() - t0
    np.save(os.path.join(d, "pred_himalaya.npy"), np.asarray(m.predict(xt), dtype=np.float32))
    np.save(os.path.join(d, "alphas_himalaya.npy"),
            np.asarray(m.best_alphas_, dtype=np.float32)[None, :])
    json.dump({"tool": "himalaya", "fit_seconds": fit_s}, open(os.path.join(d, "himalaya.json"), "w"))
    print(f"himalaya RidgeCV (numpy backend, float32): fit {fit_s:.2f} s")


def compare(d):
    yt = np.load(os.path.join(d, "y_test.npy")).astype(np.float64)
    ref = np.load(os.path.join(d, "pred_neurodl.npy")).astype(np.float64)
    a_ref = np.load(os.path.join(d, "alphas_neurodl.npy")).ravel()
    nd = json.load(open(os.path.join(d, "neurodl.json")))

    def r2(pred):
        return 1 - ((yt - pred) ** 2).sum(0) / ((yt - yt.mean(0)) ** 2).sum(0)

    print("| tool | fit [s] | speed-up of neurodl | test R² (mean) | max rel. diff. of test "
          "predictions vs neurodl | same penalty as neurodl |")
    print("|---|---|---|---|---|---|")
    print(f"| neurodl ({nd['precision']}) | {nd['fit_seconds']:.2f} | 1 | {r2(ref).mean():.4f} | "
          "— | — |")
    for tool in ("sklearn", "himalaya"):
        path = os.path.join(d, f"pred_{tool}.npy")
        if not os.path.exists(path):
            continue
        pred = np.load(path).astype(np.float64)
        t = json.load(open(os.path.join(d, f"{tool}.json")))["fit_seconds"]
        alphas = np.load(os.path.join(d, f"alphas_{tool}.npy")).ravel()
        same = np.isclose(alphas, a_ref, rtol=1e-3)
        rel = np.abs(pred - ref).max() / np.abs(ref).max()
        rel_same = (np.abs(pred - ref)[:, same].max() / np.abs(ref).max()) if same.any() else np.nan
        print(f"| {tool} | {t:.2f} | {t / nd['fit_seconds']:.1f}× | {r2(pred).mean():.4f} | "
              f"{rel:.2e} (targets with the same penalty: {rel_same:.2e}) | "
              f"{100 * same.mean():.1f}% |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["generate", "sklearn", "himalaya", "compare"])
    ap.add_argument("dir")
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--p", type=int, default=1000)
    ap.add_argument("--q", type=int, default=10000)
    ap.add_argument("--n-test", type=int, default=1000)
    ap.add_argument("--alphas", type=int, default=10)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    if a.what == "generate":
        generate(a.dir, a.n, a.p, a.q, a.n_test, a.alphas, a.seed)
    elif a.what == "sklearn":
        run_sklearn(a.dir)
    elif a.what == "himalaya":
        run_himalaya(a.dir, a.folds)
    else:
        compare(a.dir)


if __name__ == "__main__":
    main()
