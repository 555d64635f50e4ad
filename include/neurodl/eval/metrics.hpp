#pragma once
// Prediction metrics shared by every model in neurodl (linear and deep). Each one follows its
// published definition; docs/metrics.md gives the formulas and references, and
// tests/reference/make_metrics_reference.py recomputes them with numpy/scipy/scikit-learn.
//
// Conventions:
//  - Column-wise metrics take y_true and y_pred of the same shape T × q (rows = time samples,
//    columns = units or targets) and return one value per column as a float64 vector of size q.
//    The float32 and float64 overloads do the same maths; sums are always accumulated in float64.
//  - Repeated-trial metrics take a RepeatedTrials: one repeats × units matrix per stimulus.
//  - Every function checks shapes first (ShapeError naming the arrays and their shapes) and
//    rejects NaN/±Inf inputs (ConfigError); component "eval.metrics".

#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "neurodl/core/matrix.hpp"

namespace neurodl::eval {

// ---------------------------------------------------------------------------------------------
// Column-wise metrics (T × q inputs, T ≥ 2)
// ---------------------------------------------------------------------------------------------

/// Coefficient of determination per column, scikit-learn's r2_score(multioutput="raw_values"):
///   R²_j = 1 − SS_res/SS_tot,  SS_res = Σ_t (y_tj − ŷ_tj)²,  SS_tot = Σ_t (y_tj − ȳ_j)².
/// Constant-target conventions as scikit-learn ≥ 1.1 with force_finite=True: SS_tot = 0 (all
/// y_tj equal) gives 1.0 when SS_res = 0 (perfect prediction) and 0.0 otherwise.
/// y_true, y_pred: T × q, T ≥ 2. Returns q values (≤ 1, unbounded below).
/// Throws ShapeError (shapes differ, T < 2), ConfigError (NaN/Inf).
Eigen::VectorXd r2_score(const MatrixF& y_true, const MatrixF& y_pred);
/// float64 overload of r2_score.
Eigen::VectorXd r2_score(const MatrixD& y_true, const MatrixD& y_pred);

/// Explained variance per column, scikit-learn's explained_variance_score(multioutput=
/// "raw_values"): EV_j = 1 − Var_t(y_tj − ŷ_tj)/Var_t(y_tj) (population variances). Unlike R² it
/// ignores a constant offset of the prediction. Same constant-target conventions as r2_score:
/// Var(y) = 0 gives 1.0 when Var(residual) = 0, else 0.0.
/// y_true, y_pred: T × q, T ≥ 2. Returns q values. Throws as r2_score.
Eigen::VectorXd explained_variance(const MatrixF& y_true, const MatrixF& y_pred);
/// float64 overload of explained_variance.
Eigen::VectorXd explained_variance(const MatrixD& y_true, const MatrixD& y_pred);

/// Pearson correlation per column, as scipy.stats.pearsonr:
///   r_j = Σ_t (y_tj − ȳ_j)(ŷ_tj − ŷ̄_j) / sqrt(Σ_t (y_tj − ȳ_j)² · Σ_t (ŷ_tj − ŷ̄_j)²),
/// clipped to [−1, 1]. NaN when either column is constant (all its values equal), where the
/// correlation is undefined. y_true, y_pred: T × q, T ≥ 2. Throws as r2_score.
Eigen::VectorXd pearson_r(const MatrixF& y_true, const MatrixF& y_pred);
/// float64 overload of pearson_r.
Eigen::VectorXd pearson_r(const MatrixD& y_true, const MatrixD& y_pred);

/// Mean of the entries that are not NaN (numpy.nanmean): the summary over units of a metric that
/// is undefined for some (e.g. pearson_r of a silent unit). ±Inf entries count. NaN when every
/// entry is NaN or `values` is empty.
double nan_mean(const Eigen::VectorXd& values);

// ---------------------------------------------------------------------------------------------
// Repeated-trial metrics
// ---------------------------------------------------------------------------------------------

/// Responses to repeated stimuli: element s holds the repeats × units responses to stimulus s
/// (row r = the r-th presentation). All stimuli have the same units; repeat counts may differ
/// between stimuli except where a function says otherwise. Each stimulus needs ≥ 2 repeats.
using RepeatedTrials = std::vector<MatrixF>;

/// Groups trials by stimulus: trials is n_trials × units (one row per presentation) and
/// stimulus_of_trial[i] the stimulus id of row i. Returns one matrix per distinct id, in
/// increasing id order, with that stimulus's rows in their original order (so repeat r of every
/// stimulus is its r-th presentation). Apply it to the per-trial predictions with the same ids to
/// get a matching RepeatedTrials. Throws ShapeError when the sizes disagree.
RepeatedTrials group_by_stimulus(const MatrixF& trials,
                                 const std::vector<std::int64_t>& stimulus_of_trial);

/// Noise variance per unit: the across-repeat variance (ddof = 1) of each stimulus, averaged over
/// stimuli with equal weight (neuralpredictors; Cadena et al. 2019, PLoS Comput Biol).
///   σ²_noise = (1/S) Σ_s Var_r(x_sr)
/// responses: S ≥ 1 stimuli, ≥ 2 repeats each. Returns one value per unit.
/// Throws ShapeError (no stimuli, < 2 repeats, unit counts differ), ConfigError (NaN/Inf).
Eigen::VectorXd noise_variance(const RepeatedTrials& responses);

/// Fraction of explainable variance per unit, the noise ceiling of R²-type metrics (Cadena et
/// al. 2019; neuralpredictors explainable_var without its 1e-9 guard):
///   FEV = (σ²_total − σ²_noise)/σ²_total,
/// σ²_total = variance (ddof = 1) of all single-trial responses of the unit pooled over stimuli
/// and repeats. NaN for a unit whose responses are all equal. Throws as noise_variance.
Eigen::VectorXd fraction_explainable_variance(const RepeatedTrials& responses);

/// Fraction of explainable variance explained (FEVE; Cadena et al. 2019; neuralpredictors fev):
///   FEVE = 1 − (MSE − σ²_noise)/(σ²_total − σ²_noise),
/// MSE = mean over all single trials of (x_sr − ŷ_s)². 1 for a prediction whose error is pure
/// trial-to-trial noise; ±Inf/NaN when σ²_total = σ²_noise (no explainable variance).
/// responses as noise_variance; prediction: S × units, one prediction per stimulus, compared to
/// every repeat. Throws ShapeError when prediction is not S × units, else as noise_variance.
Eigen::VectorXd feve(const RepeatedTrials& responses, const MatrixF& prediction);
/// FEVE with one prediction per trial (e.g. models that also see behaviour): prediction has the
/// same structure as responses (same stimuli, same repeats × units shapes).
Eigen::VectorXd feve(const RepeatedTrials& responses, const RepeatedTrials& prediction);

/// Single-trial correlation per unit (Sensorium): Pearson r between every single-trial response
/// and its prediction, pooled over all stimuli and repeats. NaN when either side is constant.
/// prediction: S × units (one per stimulus, repeated for each trial). Throws as feve.
Eigen::VectorXd single_trial_correlation(const RepeatedTrials& responses,
                                         const MatrixF& prediction);
/// Single-trial correlation with one prediction per trial (same structure as responses).
Eigen::VectorXd single_trial_correlation(const RepeatedTrials& responses,
                                         const RepeatedTrials& prediction);

/// Signal power per unit (Sahani & Linden 2003; Schoppe et al. 2016, Front Comput Neurosci):
///   SP = (Var_s(Σ_n x_sn) − Σ_n Var_s(x_sn)) / (N(N − 1))  =  (N·Var(ȳ) − mean_n Var(x_n))/(N −
///   1),
/// Var over stimuli (population), ȳ_s the trial-averaged response, x_n = the n-th repeat of every
/// stimulus taken as one trial of the stimulus sequence. An unbiased estimate of the variance of
/// the noise-free response; can be ≤ 0 for noise-dominated units.
/// responses: S ≥ 2 stimuli, the same N ≥ 2 repeats each (ShapeError otherwise).
Eigen::VectorXd signal_power(const RepeatedTrials& responses);

/// Absolute correlation per unit (Schoppe et al. 2016): Pearson r over stimuli between the
/// trial-averaged response ȳ_s and the prediction ŷ_s. NaN when either is constant.
/// responses as signal_power; prediction: S × units.
Eigen::VectorXd cc_abs(const RepeatedTrials& responses, const MatrixF& prediction);

/// Upper bound of cc_abs that trial-to-trial noise allows (Hsu et al. 2004, in the closed form
/// of Schoppe et al. 2016): CC_max = sqrt(SP/Var(ȳ)). NaN when SP ≤ 0 or ȳ is constant.
/// responses as signal_power.
Eigen::VectorXd cc_max(const RepeatedTrials& responses);

/// Normalised correlation per unit (Schoppe et al. 2016): CC_norm = Cov(ȳ, ŷ)/sqrt(Var(ŷ)·SP) =
/// CC_abs/CC_max. 1 for a prediction proportional to the noise-free response (up to estimation
/// noise; can exceed 1). NaN when SP ≤ 0 or ŷ is constant. Inputs as cc_abs.
Eigen::VectorXd cc_norm(const RepeatedTrials& responses, const MatrixF& prediction);

/// Unbiased estimate of the squared correlation between the prediction and the expected
/// (noise-free) response, r²_ER of Pospisil & Bair (2021, PLoS Comput Biol). It removes the
/// bias that trial-to-trial noise gives r² estimates built from ȳ (squared cc_abs, and the
/// normalised cc_norm² at few repeats):
///   r²_ER = [(Σ_s a_s b_s)² − (σ²/N) Σ_s a_s²] / [Σ_s a_s² · (Σ_s b_s² − (S − 1) σ²/N)],
/// a_s = ŷ_s − mean(ŷ), b_s = ȳ_s − mean(ȳ), σ² = noise_variance, N repeats, S stimuli.
/// Not confined to [0, 1] for a single estimate. NaN when ŷ is constant. Inputs as cc_abs.
Eigen::VectorXd r2_er(const RepeatedTrials& responses, const MatrixF& prediction);

// ---------------------------------------------------------------------------------------------
// Poisson metrics for spike counts
// ---------------------------------------------------------------------------------------------

/// Whether poisson_log_likelihood includes the −log(k!) term, which depends on the data only.
enum class LogFactorial {
  include,  ///< the full log-likelihood (scipy.stats.poisson.logpmf)
  omit,  ///< k·log λ − λ only, the negative of neuralpredictors' PoissonLoss without its eps
};

/// Poisson log-likelihood per unit, averaged over samples [nats per sample]:
///   LL_j = (1/T) Σ_t (k_tj log λ_tj − λ_tj − log k_tj!),
/// with 0·log 0 = 0; −Inf where λ = 0 but k > 0. log k! = lgamma(k + 1), so non-integer
/// (deconvolved) counts are accepted. counts: T × q, ≥ 0 [spikes per bin]; rates: T × q, ≥ 0,
/// expected count per bin (not Hz). T ≥ 1. Throws ShapeError (shapes differ, T < 1),
/// ConfigError (NaN/Inf, negative counts or rates).
Eigen::VectorXd poisson_log_likelihood(const MatrixF& counts, const MatrixF& rates,
                                       LogFactorial log_factorial = LogFactorial::include);
/// float64 overload of poisson_log_likelihood.
Eigen::VectorXd poisson_log_likelihood(const MatrixD& counts, const MatrixD& rates,
                                       LogFactorial log_factorial = LogFactorial::include);

/// Bits per spike per unit (Pillow et al. 2008; Neural Latents Benchmark, Pei et al. 2021):
///   bps_j = (LL_model − LL_null) / (n_spikes · ln 2),
/// LL summed over the T samples, LL_null with the constant rate mean_t k_tj (the unit's mean
/// count on the evaluated data), n_spikes = Σ_t k_tj. 0 for the null rate itself, > 0 for a
/// model better than a constant rate. NaN for a unit without spikes. Inputs and throws as
/// poisson_log_likelihood.
Eigen::VectorXd bits_per_spike(const MatrixF& counts, const MatrixF& rates);
/// float64 overload of bits_per_spike.
Eigen::VectorXd bits_per_spike(const MatrixD& counts, const MatrixD& rates);

/// Bits per spike pooled over units, the single number the Neural Latents Benchmark reports:
/// Σ_j (LL_model,j − LL_null,j) / (Σ_j n_spikes,j · ln 2). NaN when there are no spikes.
double bits_per_spike_pooled(const MatrixF& counts, const MatrixF& rates);
/// float64 overload of bits_per_spike_pooled.
double bits_per_spike_pooled(const MatrixD& counts, const MatrixD& rates);

}  // namespace neurodl::eval
