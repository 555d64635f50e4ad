#!/usr/bin/python3
"""Writes the PCA references of tests/unit/linear/test_pca.cpp with scikit-learn.

Run with Debian's python (it has numpy and scikit-learn):
    /usr/bin/python3 tests/reference/make_pca_reference.py
Two cases, each a float32 matrix with correlated columns (a random mixing of unequal-variance
sources plus an offset per column, so centring matters):
  tall: 300 samples x 12 units, 5 components  (the C++ exact solver uses the N x N covariance)
  wide: 15 samples x 40 units, 6 components   (the C++ exact solver uses the T x T Gram matrix)
Files per case (text, one row per line, %.9g): <case>_x.txt (T x N), <case>_components.txt
(k x N), <case>_explained_variance.txt, <case>_explained_variance_ratio.txt, <case>_mean.txt,
<case>_scores.txt (T x k). sklearn's PCA(svd_solver="full") fixes signs with svd_flip; the test
compares components and scores up to one sign per component.
"""
import os

import numpy as np
from sklearn.decomposition import PCA

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "pca")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20240611)


def make(name, t, n, k):
    sources = rng.standard_normal((t, n)) * (2.0 ** -np.arange(n) * 3 + 0.1)
    mixing = rng.standard_normal((n, n))
    x = (sources @ mixing + rng.uniform(-5, 5, n)).astype(np.float32)
    pca = PCA(n_components=k, svd_solver="full").fit(x.astype(np.float64))
    files = {
        "x": x,
        "components": pca.components_,
        "explained_variance": pca.explained_variance_[None, :],
        "explained_variance_ratio": pca.explained_variance_ratio_[None, :],
        "mean": pca.mean_[None, :],
        "scores": pca.transform(x.astype(np.float64)),
    }
    for key, value in files.items():
        np.savetxt(os.path.join(OUT, f"{name}_{key}.txt"), value, fmt="%.9g")


make("tall", 300, 12, 5)
make("wide", 15, 40, 6)
