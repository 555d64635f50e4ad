#!/usr/bin/python3
"""Writes the reference values of tests/unit/eval/test_metrics.cpp (neurodl::eval metrics).

Run with Debian's python (numpy, scipy, scikit-learn 1.2):
    /usr/bin/python3 tests/reference/make_metrics_reference.py

Inputs are random with a fixed seed and rounded to float32, so the C++ float32 and float64
overloads see exactly the numbers used here. Outputs come from scikit-learn (r2_score,
explained_variance_score), scipy (pearsonr, poisson.logpmf), and, for the repeated-trial and
bits-per-spike metrics, plain numpy transcriptions of the published formulas written apart from
the C++ code (Cadena et al. 2019 / neuralpredictors for FEV and FEVE, Schoppe et al. 2016 for
signal power and CC_abs/CC_max/CC_norm, Pospisil & Bair 2021 for r2_ER, NLB for bits per spike).

File format (tests/fixtures/metrics/<name>.txt): '#' comment lines, then "rows cols", then the
values row by row as %.17g ("nan" where a metric is undefined).
"""
import os
import warnings

import numpy as np
import scipy.stats
import sklearn
from scipy.special import xlogy
from sklearn.metrics import explained_variance_score, r2_score

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "metrics")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20240611)
warnings.simplefilter("ignore")  # scipy warns on the constant columns on purpose


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def write(name, a, comment):
    a = np.atleast_2d(np.asarray(a, dtype=np.float64))  # a per-unit vector becomes 1 × q
    with open(os.path.join(OUT, name + ".txt"), "w") as f:
        f.write(f"# {comment}\n# made by tests/reference/make_metrics_reference.py "
                f"(scikit-learn {sklearn.__version__}, numpy {np.__version__})\n")
        f.write(f"{a.shape[0]} {a.shape[1]}\n")
        for row in a:
            f.write(" ".join("%.17g" % v for v in row) + "\n")


# ---- Column-wise: r2, explained variance, pearson --------------------------------------------
T, Q = 50, 7
y_true = f32(rng.normal(1.5, 2.0, (T, Q)))
y_pred = f32(0.7 * y_true + rng.normal(0, 1.0, (T, Q)))
y_true[:, 4] = 2.5                       # constant target, imperfect prediction: r2 = ev = 0
y_pred[:, 4] = f32(rng.normal(2.5, 0.1, T))
y_true[:, 5] = -0.75                     # constant target, perfect prediction: r2 = ev = 1
y_pred[:, 5] = -0.75
y_pred[:, 6] = f32(y_true[:, 6] + 0.5)   # offset only: ev = 1 up to rounding, r2 < 1
write("colwise_y_true", y_true, "T × q targets")
write("colwise_y_pred", y_pred, "T × q predictions")
write("colwise_r2", r2_score(y_true, y_pred, multioutput="raw_values", force_finite=True),
      "per-unit sklearn r2_score raw_values, force_finite=True")
write("colwise_ev",
      explained_variance_score(y_true, y_pred, multioutput="raw_values", force_finite=True),
      "per-unit sklearn explained_variance_score raw_values, force_finite=True")
write("colwise_pearson",
      [scipy.stats.pearsonr(y_true[:, j], y_pred[:, j])[0] if np.ptp(y_true[:, j]) > 0
       and np.ptp(y_pred[:, j]) > 0 else np.nan for j in range(Q)],
      "per-unit scipy.stats.pearsonr (nan for a constant column)")

# ---- Repeated trials, equal repeats -----------------------------------------------------------
S, N, U = 40, 5, 6
signal = rng.normal(0, 1, (S, U)) * np.array([2.0, 1.0, 0.5, 0.3, 1.0, 0.0])
noise_sd = np.array([0.5, 1.0, 1.0, 1.0, 3.0, 1.0])
resp = f32(3.0 + signal[None] + rng.normal(0, 1, (N, S, U)) * noise_sd)  # repeats × stim × units
pred = f32(3.0 + 0.8 * signal + rng.normal(0, 0.4, (S, U)))
# Stored stimulus by stimulus: rows s·N .. s·N + N − 1 are the N repeats of stimulus s.
write("repeated_responses", resp.transpose(1, 0, 2).reshape(S * N, U),
      "(stimuli·repeats) × units, stimulus-major, 40 stimuli × 5 repeats")
write("repeated_prediction", pred, "stimuli × units prediction")

per_stim_var = resp.var(axis=0, ddof=1)                  # S × U
noise_var = per_stim_var.mean(axis=0)
total_var = resp.reshape(-1, U).var(axis=0, ddof=1)
mse = ((resp - pred[None]) ** 2).mean(axis=(0, 1))
write("repeated_noise_variance", noise_var, "per-unit mean over stimuli of var(ddof=1)")
write("repeated_fev", (total_var - noise_var) / total_var,
      "per-unit (total − noise)/total, neuralpredictors explainable_var without eps")
write("repeated_feve", 1 - (mse - noise_var) / (total_var - noise_var),
      "per-unit neuralpredictors fev / Cadena 2019 FEVE")
write("repeated_single_trial_corr",
      [scipy.stats.pearsonr(resp[:, :, u].ravel(), np.broadcast_to(pred[:, u], (N, S)).ravel())[0]
       for u in range(U)], "per-unit pearson over all single trials")

# Schoppe et al. 2016: R is N trials × T time bins (here: stimuli) per unit.
sp, ccabs, ccmax, ccnorm = [], [], [], []
for u in range(U):
    R = resp[:, :, u]
    y = R.mean(axis=0)
    yhat = pred[:, u]
    SP = (np.var(R.sum(axis=0)) - np.sum(np.var(R, axis=1))) / (N * (N - 1))
    cov = np.mean((y - y.mean()) * (yhat - yhat.mean()))
    sp.append(SP)
    ccabs.append(cov / np.sqrt(np.var(y) * np.var(yhat)))
    ccmax.append(np.sqrt(SP / np.var(y)) if SP > 0 else np.nan)
    ccnorm.append(cov / np.sqrt(np.var(yhat) * SP) if SP > 0 else np.nan)
write("repeated_signal_power", sp, "per-unit Schoppe 2016 SP = (Var(ΣR) − ΣVar(R))/(N(N−1))")
write("repeated_cc_abs", ccabs, "per-unit Schoppe 2016 CC_abs")
write("repeated_cc_max", ccmax, "per-unit Schoppe 2016 CC_max (nan when SP <= 0)")
write("repeated_cc_norm", ccnorm, "per-unit Schoppe 2016 CC_norm (nan when SP <= 0)")

# Pospisil & Bair 2021, r2_ER hat: m stimuli, n repeats, sigma2 = mean sample variance.
ybar = resp.mean(axis=0)
r2er = []
for u in range(U):
    nu = pred[:, u] - pred[:, u].mean()
    yc = ybar[:, u] - ybar[:, u].mean()
    s2n = per_stim_var[:, u].mean() / N
    r2er.append(((nu @ yc) ** 2 - s2n * (nu @ nu)) / ((nu @ nu) * ((yc @ yc) - (S - 1) * s2n)))
write("repeated_r2_er", r2er, "per-unit Pospisil & Bair 2021 unbiased r2_ER")

# ---- Repeated trials, varying repeats, one prediction per trial --------------------------------
repeats = rng.integers(2, 7, size=12)
ids = rng.permutation(np.repeat(np.arange(12) * 10 + 3, repeats))  # shuffled presentation order
U2 = 4
sig2 = rng.normal(0, 1.5, (12, U2))
stim_index = (ids - 3) // 10
trials = f32(sig2[stim_index] + rng.normal(0, 1, (len(ids), U2)))
trial_pred = f32(0.9 * sig2[stim_index] + rng.normal(0, 0.5, (len(ids), U2)))
write("varying_trials", trials, "n_trials × units, shuffled stimuli")
write("varying_trial_prediction", trial_pred, "n_trials × units per-trial predictions")
write("varying_stimulus_ids", ids.reshape(-1, 1), "n_trials × 1 stimulus id of each trial")
groups = [trials[ids == k] for k in np.unique(ids)]
pgroups = [trial_pred[ids == k] for k in np.unique(ids)]
nv = np.mean([g.var(axis=0, ddof=1) for g in groups], axis=0)
tv = trials.var(axis=0, ddof=1)
ms = np.mean((trials - trial_pred) ** 2, axis=0)
write("varying_noise_variance", nv, "per-unit noise variance, unequal repeats")
write("varying_fev", (tv - nv) / tv, "per-unit FEV, unequal repeats")
write("varying_feve", 1 - (ms - nv) / (tv - nv), "per-unit FEVE with per-trial predictions")
write("varying_single_trial_corr",
      [scipy.stats.pearsonr(trials[:, u], trial_pred[:, u])[0] for u in range(U2)],
      "per-unit single-trial pearson, per-trial predictions")

# ---- Poisson log-likelihood and bits per spike -----------------------------------------------
T3, U3 = 200, 5
true_rate = f32(np.exp(rng.normal(-0.5, 0.8, (T3, U3))))
true_rate[:, 4] = 0.01                      # a nearly silent unit
counts = f32(rng.poisson(true_rate))
counts[:, 4] = 0                            # ... with no spikes at all: bps undefined
model_rate = f32(true_rate * np.exp(rng.normal(0, 0.3, (T3, U3))))
model_rate[:7, 2] = 0.0                     # zero rate where (made sure) no spike was seen
counts[:7, 2] = 0
write("poisson_counts", counts, "T × q spike counts")
write("poisson_rates", model_rate, "T × q model rates [expected count per bin]")
write("poisson_ll", scipy.stats.poisson.logpmf(counts, model_rate).mean(axis=0),
      "per-unit mean scipy.stats.poisson.logpmf (with log k!)")
write("poisson_ll_omit", (xlogy(counts, model_rate) - model_rate).mean(axis=0),
      "per-unit mean of k log(rate) − rate (without log k!)")
# NLB bits per spike: null = each unit's mean count on these data.
null_rate = np.broadcast_to(counts.mean(axis=0), counts.shape)
ll_model = scipy.stats.poisson.logpmf(counts, model_rate).sum(axis=0)
ll_null = scipy.stats.poisson.logpmf(counts, null_rate).sum(axis=0)
n_spikes = counts.sum(axis=0)
with np.errstate(invalid="ignore", divide="ignore"):
    bps = np.where(n_spikes > 0, (ll_model - ll_null) / (n_spikes * np.log(2)), np.nan)
write("poisson_bps", bps, "per-unit bits per spike (nan without spikes)")
write("poisson_bps_pooled", [(ll_model.sum() - ll_null.sum()) / (n_spikes.sum() * np.log(2))],
      "per-unit pooled NLB bits per spike (one value)")
print("wrote", OUT)
