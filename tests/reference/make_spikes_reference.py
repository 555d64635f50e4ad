#!/usr/bin/python3
"""Reference values for the spikes layer, computed independently of neurodl with numpy/scipy.

Writes tests/fixtures/spikes/:
  oasis_qp.txt     small AR(1)/AR(2) traces and the exact solution of
                   min ½‖y − Ks‖² + λ·Σs, s ≥ 0  (K the calcium kernel's convolution matrix),
                   solved as an NNLS problem with scipy.optimize.nnls after completing the square:
                   λ·1ᵀs = (Kᵀ a)ᵀ s with a = K^{-T} 1, so the problem is ½‖(y − λa) − Ks‖² + const.
                   Per case 4 lines: "g1 g2 lambda T", y, s, c = Ks.
  dff.txt          ΔF/F (F − 0.7 Fneu, Suite2p maximin with scipy.ndimage and a running
                   percentile with numpy) and CASCADE's noise level 100·median|diff|/√fs.
  noise_ar.txt     a trace, OASIS's noise estimate (scipy.signal.welch, mean PSD/2 over
                   (fs/4, fs/2)) and the Yule–Walker AR(1)/AR(2) least-squares coefficients
                   (before root shrinkage), as in Friedrich et al. 2017.
Run: /usr/bin/python3 tests/reference/make_spikes_reference.py   (numpy, scipy)
"""
import os

import numpy as np
import scipy.linalg
import scipy.ndimage
import scipy.optimize
import scipy.signal

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "spikes")
rng = np.random.default_rng(20240607)


def kernel(g1, g2, T):
    h = np.zeros(T)
    h[0] = 1.0
    if T > 1:
        h[1] = g1
    for j in range(2, T):
        h[j] = g1 * h[j - 1] + g2 * h[j - 2]
    return scipy.linalg.toeplitz(h, np.zeros(T))


def fmt(v, digits=17):
    return " ".join(f"{x:.{digits}g}" for x in v)


def write_qp():
    lines = []
    cases = [(0.9, 0.0, 0.0, 40), (0.95, 0.0, 0.3, 60), (0.8, 0.0, 1.0, 50), (0.0, 0.0, 0.1, 20),
             (1.6, -0.63, 0.0, 40), (1.7, -0.72, 0.5, 60), (1.3, -0.4, 0.2, 50)]
    for g1, g2, lam, T in cases:
        K = kernel(g1, g2, T)
        s_true = (rng.random(T) < 0.08) * rng.uniform(0.5, 2.0, T)
        y = np.round(K @ s_true + 0.3 * rng.standard_normal(T), 6)
        a = np.linalg.solve(K.T, np.ones(T))
        s, _ = scipy.optimize.nnls(K, y - lam * a, maxiter=100 * T)
        c = K @ s
        lines += [f"{g1} {g2} {lam} {T}", fmt(y, 9), fmt(s), fmt(c)]
    open(os.path.join(OUT, "oasis_qp.txt"), "w").write("\n".join(lines) + "\n")


def write_dff():
    fs, T, N = 10.0, 300, 2
    t = np.arange(T) / fs
    F = 100 + 20 * np.sin(2 * np.pi * t[:, None] / 30 + np.arange(N)) + 5 * rng.standard_normal((T, N))
    F += 40 * (rng.random((T, N)) < 0.02)
    F = np.round(F, 3)
    Fneu = np.round(30 + 3 * rng.standard_normal((T, N)), 3)
    Fc = F - 0.7 * Fneu
    window_s, sigma, q = 6.0, 2.0, 8.0
    w = int(round(window_s * fs))
    # Suite2p's maximin on F_c: gaussian, then running min, then running max (scipy reflect mode).
    flow = scipy.ndimage.gaussian_filter1d(Fc, sigma, axis=0)
    flow = scipy.ndimage.minimum_filter1d(flow, w, axis=0)
    flow = scipy.ndimage.maximum_filter1d(flow, w, axis=0)
    dff_maximin = (Fc - flow) / flow
    # Running percentile over [t − w//2, t + w − w//2 − 1], cut at the ends.
    f0 = np.empty_like(Fc)
    for i in range(T):
        lo, hi = max(0, i - w // 2), min(T, i + w - w // 2)
        f0[i] = np.percentile(Fc[lo:hi], q, axis=0)
    dff_pct = (Fc - f0) / f0
    nu = np.nanmedian(np.abs(np.diff(dff_maximin, axis=0)), axis=0) / np.sqrt(fs) * 100
    with open(os.path.join(OUT, "dff.txt"), "w") as f:
        f.write(f"{fs} {T} {N} {window_s} {sigma} {q}\n")
        for name, m in [("F", F), ("Fneu", Fneu)]:
            f.write(name + " " + fmt(m.ravel(), 9) + "\n")
        for name, m in [("maximin", dff_maximin), ("percentile", dff_pct)]:
            f.write(name + " " + fmt(m.ravel(), 12) + "\n")
        f.write("noise_level " + fmt(nu) + "\n")


def write_noise_ar():
    T = 2000
    lines = []
    for g in [(0.95,), (1.2, -0.27)]:
        s = (rng.random(T) < 0.03) * 1.0
        c = scipy.signal.lfilter([1.0], [1.0] + [-x for x in g], s)
        y = np.round(c + 0.2 * rng.standard_normal(T), 5)
        ff, pxx = scipy.signal.welch(y)
        sn = np.sqrt(np.mean(pxx[(ff > 0.25) & (ff < 0.5)] / 2))
        p, lags = len(g), 10 + len(g)
        yc = y - y.mean()
        xc = np.array([yc[i:].dot(yc[: T - i]) for i in range(lags + 1)]) / T
        A = scipy.linalg.toeplitz(xc[:lags], xc[:p]) - sn ** 2 * np.eye(lags, p)
        coef = np.linalg.lstsq(A, xc[1:], rcond=None)[0]
        lines += [f"{p} {sn:.17g} " + fmt(coef), fmt(y, 8)]
    open(os.path.join(OUT, "noise_ar.txt"), "w").write("\n".join(lines) + "\n")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    write_qp()
    write_dff()
    write_noise_ar()
