#!/usr/bin/python3
"""Golden values for tests/unit/linear/test_ridge.cpp and test_rrr.cpp.

Run with Debian's python (numpy, scipy, scikit-learn 1.2):
    /usr/bin/python3 tests/reference/make_ridge_reference.py
Writes tests/fixtures/linear/*.txt: blocks of "name rows cols" followed by rows*cols numbers
(row-major). Inputs X, Y are float32 values (printed exactly); expected values are float64.

The references are independent of neurodl's algorithm: sklearn.linear_model.Ridge fits each fold
and the refit (direct solves), and reduced-rank regression is done with numpy's SVD of the fitted
values. Only the time-block folds are re-implemented here (same rule as eval::time_block_folds).
"""
import os

import numpy as np
from sklearn.linear_model import Ridge

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "linear")


def time_block_folds(n, folds, blocks=0, gap=0):
    """Same splits as neurodl::eval::time_block_folds: block b tests in fold b mod K."""
    blocks = blocks or folds
    start = [b * n // blocks for b in range(blocks + 1)]
    fold_of = np.empty(n, dtype=int)
    for b in range(blocks):
        fold_of[start[b]:start[b + 1]] = b % folds
    out = []
    for f in range(folds):
        test = np.flatnonzero(fold_of == f)
        dist = np.min(np.abs(np.arange(n)[:, None] - test[None, :]), axis=1)
        train = np.flatnonzero((fold_of != f) & (dist > gap))
        out.append((train, test))
    return out


def write(name, arrays, comment):
    path = os.path.join(OUT, name)
    with open(path, "w") as fh:
        fh.write("# " + comment + "\n# made by tests/reference/make_ridge_reference.py\n")
        for key, a in arrays:
            a = np.atleast_2d(np.asarray(a))
            fh.write(f"{key} {a.shape[0]} {a.shape[1]}\n")
            fmt = "%.9g" if a.dtype == np.float32 else "%.17g"
            for row in a:
                fh.write(" ".join(fmt % v for v in row) + "\n")


def problem(rng, n, p, q, noise=0.5, offset=0.0):
    mix = rng.standard_normal((p, p)) / np.sqrt(p) + np.eye(p)
    x = (rng.standard_normal((n, p)) @ mix + offset).astype(np.float32)
    w = rng.standard_normal((p, q))
    y = (x @ w + noise * rng.standard_normal((n, q)) + 2.0).astype(np.float32)
    return x, y


def r2(sse, sst):
    return np.where(sst > 0, 1 - sse / np.where(sst > 0, sst, 1), np.where(sse == 0, 1.0, 0.0))


def ridge_cv(x, y, alphas, folds, standardize=False):
    """Per-target penalty by summed out-of-fold squared error, then per-target refit."""
    x = x.astype(np.float64)
    y = y.astype(np.float64)
    sse = np.zeros((len(alphas), y.shape[1]))
    for train, test in folds:
        for a, alpha in enumerate(alphas):
            xt, xs = x[train], x[test]
            if standardize:
                sd = xt.std(axis=0)
                sd[sd == 0] = 1
                xt, xs = xt / sd, xs / sd
            m = Ridge(alpha=alpha, fit_intercept=True, solver="svd").fit(xt, y[train])
            sse[a] += ((y[test] - m.predict(xs)) ** 2).sum(axis=0)
    sst = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    grid = r2(sse, sst[None, :])
    # Ties (equal sse) go to the larger penalty, as in neurodl.
    order = np.argsort(-np.asarray(alphas), kind="stable")
    best = order[np.argmin(sse[order], axis=0)]
    chosen = np.asarray(alphas)[best]
    xf = x
    sd = np.ones(x.shape[1])
    if standardize:
        sd = x.std(axis=0)
        sd[sd == 0] = 1
        xf = x / sd
    m = Ridge(alpha=chosen, fit_intercept=True, solver="svd").fit(xf, y)
    return grid, chosen, grid[best, np.arange(y.shape[1])], m.coef_.T / sd[:, None], m.intercept_


def rrr_fit(x, y, alpha):
    """Reduced-rank ridge by numpy: B_alpha, then SVD of the centred fitted values."""
    mx, my = x.mean(axis=0), y.mean(axis=0)
    xc, yc = x - mx, y - my
    b = np.linalg.solve(xc.T @ xc + alpha * np.eye(x.shape[1]), xc.T @ yc)
    _, _, vt = np.linalg.svd(xc @ b, full_matrices=False)
    return b, vt.T, mx, my


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240501)

    # 1. Fixed penalty, primal (n > p) and dual (p > n): sklearn Ridge and a numpy solve agree.
    for name, n, p, q, alpha in [("ridge_fixed_primal.txt", 60, 8, 5, 3.0),
                                 ("ridge_fixed_dual.txt", 30, 50, 4, 2.0)]:
        x, y = problem(rng, n, p, q, offset=5.0)
        xd, yd = x.astype(np.float64), y.astype(np.float64)
        m = Ridge(alpha=alpha, solver="svd").fit(xd, yd)
        xc, yc = xd - xd.mean(0), yd - yd.mean(0)
        w = np.linalg.solve(xc.T @ xc + alpha * np.eye(p), xc.T @ yc)
        assert np.allclose(w, m.coef_.T, rtol=1e-9, atol=1e-12)
        # Standardized features: penalty on unit-variance columns, weights in original units.
        sd = xd.std(0)
        ws = np.linalg.solve((xc / sd).T @ (xc / sd) + alpha * np.eye(p), (xc / sd).T @ yc) / sd[:, None]
        # No intercept.
        w0 = np.linalg.solve(xd.T @ xd + alpha * np.eye(p), xd.T @ yd)
        write(name, [("alpha", np.array([[alpha]])), ("x", x), ("y", y), ("weights", m.coef_.T),
                     ("intercept", m.intercept_[None, :]), ("weights_std", ws),
                     ("intercept_std", (yd.mean(0) - xd.mean(0) @ ws)[None, :]),
                     ("weights_noint", w0)],
              f"ridge, fixed alpha {alpha}, n={n} p={p} q={q}: sklearn Ridge(solver='svd') and numpy")

    # 2. Penalty per target by time-block CV (3 folds, 6 blocks, gap 2), primal and dual.
    alphas = [0.1, 1.0, 10.0, 100.0, 1000.0]
    for name, n, p, q, standardize in [("ridge_cv_primal.txt", 90, 12, 6, False),
                                       ("ridge_cv_dual.txt", 40, 60, 5, False),
                                       ("ridge_cv_standardized.txt", 90, 12, 6, True)]:
        x, y = problem(rng, n, p, q, noise=3.0)
        folds = time_block_folds(n, 3, blocks=6, gap=2)
        grid, chosen, cv, w, b = ridge_cv(x, y, alphas, folds, standardize)
        write(name, [("alphas", np.array([alphas])), ("x", x), ("y", y), ("cv_r2_grid", grid),
                     ("chosen_alphas", chosen[None, :]), ("cv_r2", cv[None, :]), ("weights", w),
                     ("intercept", b[None, :])],
              f"ridge CV, folds=3 blocks=6 gap=2, standardize={standardize}, n={n} p={p} q={q}")

    # 3. Reduced-rank ridge: fixed alpha, every rank, 4 folds (one block each).
    n, p, q, alpha = 80, 10, 8, 5.0
    x, y = problem(rng, n, p, q)
    xd, yd = x.astype(np.float64), y.astype(np.float64)
    folds = time_block_folds(n, 4)
    ranks = np.arange(1, min(p, q) + 1)
    sse = np.zeros((len(ranks), q))
    fold_r2 = np.zeros((len(folds), len(ranks)))
    for fi, (train, test) in enumerate(folds):
        b, v, mx, my = rrr_fit(xd[train], yd[train], alpha)
        yt = yd[test]
        for i, r in enumerate(ranks):
            pred = (xd[test] - mx) @ b @ v[:, :r] @ v[:, :r].T + my
            e = ((yt - pred) ** 2).sum(0)
            sse[i] += e
            fold_r2[fi, i] = r2(e, ((yt - yt.mean(0)) ** 2).sum(0)).mean()
    sst = ((yd - yd.mean(0)) ** 2).sum(0)
    r2_rank = r2(sse, sst[None, :])
    sem = fold_r2.std(axis=0, ddof=1) / np.sqrt(len(folds))
    b, v, mx, my = rrr_fit(xd, yd, alpha)
    w3 = b @ v[:, :3] @ v[:, :3].T
    write("rrr_curve.txt", [("alpha", np.array([[alpha]])), ("x", x), ("y", y),
                            ("r2_rank", r2_rank), ("r2_mean", r2_rank.mean(1)[None, :]),
                            ("r2_sem", sem[None, :]), ("weights_rank3", w3),
                            ("intercept_rank3", (my - mx @ w3)[None, :])],
          f"reduced-rank ridge, alpha {alpha}, folds=4, ranks 1..{len(ranks)}, n={n} p={p} q={q}")


if __name__ == "__main__":
    main()
