#include "neurodl/eval/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "neurodl/core/error.hpp"

namespace neurodl::eval {
namespace {

using Eigen::Index;
using Eigen::VectorXd;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

[[noreturn]] void fail(ErrorKind kind, const std::string& what, const std::string& expected,
                       const std::string& got) {
  raise(kind, {.component = "eval.metrics", .what = what, .expected = expected, .got = got});
}

std::string shape_of(const auto& m) { return shape_string(m.rows(), m.cols()); }

void check_finite(const std::string& fn, const std::string& name, const auto& m) {
  const auto bad = count_nonfinite(m);
  if (bad != 0)
    fail(ErrorKind::config, fn + ": " + name + " has NaN or Inf values", "finite values",
         std::to_string(bad) + " non-finite");
}

void check_non_negative(const std::string& fn, const std::string& name, const auto& m) {
  const auto bad = (m.array() < 0).count();
  if (bad != 0)
    fail(ErrorKind::config, fn + ": " + name + " has negative values", ">= 0",
         std::to_string(bad) + " negative");
}

// Same shape, at least `min_rows` rows, all finite.
void check_pair(const std::string& fn, const std::string& a_name, const auto& a,
                const std::string& b_name, const auto& b, Index min_rows) {
  if (a.rows() != b.rows() || a.cols() != b.cols())
    fail(ErrorKind::shape, fn + ": " + b_name + " does not match " + a_name + " in shape",
         shape_of(a), shape_of(b));
  if (a.rows() < min_rows)
    fail(ErrorKind::shape, fn + ": " + a_name + " has too few samples",
         ">= " + std::to_string(min_rows) + " rows", shape_of(a));
  check_finite(fn, a_name, a);
  check_finite(fn, b_name, b);
}

// Row t of m as a float64 column vector.
template <class M>
auto row_d(const M& m, Index t) {
  return m.row(t).transpose().template cast<double>();
}

template <class M>
VectorXd column_means(const M& m) {
  VectorXd s = VectorXd::Zero(m.cols());
  for (Index t = 0; t < m.rows(); ++t) s += row_d(m, t);
  return s / static_cast<double>(m.rows());
}

// Whether every value of a column equals its first. Sums of squared deviations of such a column
// can come out as round-off instead of 0 (its mean need not be exactly representable), so the
// degenerate cases below are decided on exact equality rather than on a computed variance.
template <class M>
Eigen::Array<bool, Eigen::Dynamic, 1> constant_columns(const M& m) {
  Eigen::Array<bool, Eigen::Dynamic, 1> constant =
      Eigen::Array<bool, Eigen::Dynamic, 1>::Constant(m.cols(), true);
  for (Index t = 1; t < m.rows(); ++t)
    constant = constant && (m.row(t).array() == m.row(0).array()).transpose();
  return constant;
}

// scikit-learn's force_finite rule for R² and explained variance: a zero numerator is a perfect
// score even on a constant target; a non-zero one against a constant target scores 0.
double assemble_score(double numerator, double denominator, bool numerator_zero,
                      bool denominator_zero) {
  if (numerator_zero) return 1.0;
  if (denominator_zero) return 0.0;
  return 1.0 - numerator / denominator;
}

template <class M>
VectorXd r2_impl(const M& y, const M& p) {
  check_pair("r2_score", "y_true", y, "y_pred", p, 2);
  // Two passes (mean, then squared deviations) keep SS_tot accurate when |mean| ≫ spread.
  const VectorXd mean = column_means(y);
  VectorXd ss_res = VectorXd::Zero(y.cols()), ss_tot = VectorXd::Zero(y.cols());
  for (Index t = 0; t < y.rows(); ++t) {
    ss_res.array() += (row_d(y, t) - row_d(p, t)).array().square();
    ss_tot.array() += (row_d(y, t) - mean).array().square();
  }
  const auto constant = constant_columns(y);
  VectorXd r2(y.cols());
  for (Index j = 0; j < y.cols(); ++j)
    r2(j) = assemble_score(ss_res(j), ss_tot(j), ss_res(j) == 0.0, constant(j));
  return r2;
}

template <class M>
VectorXd explained_variance_impl(const M& y, const M& p) {
  check_pair("explained_variance", "y_true", y, "y_pred", p, 2);
  // EV = 1 − Var(y − ŷ)/Var(y), population variances; the residual is formed in float64.
  const MatrixD residual = y.template cast<double>() - p.template cast<double>();
  const VectorXd mean_y = column_means(y);
  const VectorXd mean_res = residual.colwise().mean().transpose();
  VectorXd var_res = VectorXd::Zero(y.cols()), var_y = VectorXd::Zero(y.cols());
  for (Index t = 0; t < y.rows(); ++t) {
    var_res.array() += (residual.row(t).transpose() - mean_res).array().square();
    var_y.array() += (row_d(y, t) - mean_y).array().square();
  }
  const auto constant_y = constant_columns(y);
  const auto constant_res = constant_columns(residual);
  VectorXd ev(y.cols());
  for (Index j = 0; j < y.cols(); ++j)
    ev(j) = assemble_score(var_res(j), var_y(j), constant_res(j), constant_y(j));
  return ev;
}

// Pearson r per column without input checks: Σ dx·dy / sqrt(Σ dx² Σ dy²), two passes, clipped to
// [−1, 1] as scipy does; NaN for a constant column.
template <class A, class B>
VectorXd pearson_columns(const A& x, const B& y) {
  const VectorXd mx = column_means(x), my = column_means(y);
  VectorXd sxy = VectorXd::Zero(x.cols()), sxx = sxy, syy = sxy;
  for (Index t = 0; t < x.rows(); ++t) {
    const VectorXd dx = row_d(x, t) - mx, dy = row_d(y, t) - my;
    sxy.array() += dx.array() * dy.array();
    sxx.array() += dx.array().square();
    syy.array() += dy.array().square();
  }
  const auto cx = constant_columns(x), cy = constant_columns(y);
  VectorXd r(x.cols());
  for (Index j = 0; j < x.cols(); ++j)
    r(j) = cx(j) || cy(j) ? kNaN : std::clamp(sxy(j) / std::sqrt(sxx(j) * syy(j)), -1.0, 1.0);
  return r;
}

// ---- Repeated trials ------------------------------------------------------------------------

// Checks a RepeatedTrials: ≥ min_stimuli stimuli, ≥ 2 repeats each, one unit count, finite, and
// (when asked) the same repeat count for every stimulus.
void check_repeated(const std::string& fn, const RepeatedTrials& x, std::size_t min_stimuli,
                    bool equal_repeats) {
  if (x.size() < min_stimuli)
    fail(ErrorKind::shape, fn + ": responses has too few stimuli",
         ">= " + std::to_string(min_stimuli), std::to_string(x.size()));
  for (std::size_t s = 0; s < x.size(); ++s) {
    const std::string name = "responses[" + std::to_string(s) + "]";
    if (x[s].rows() < 2)
      fail(ErrorKind::shape, fn + ": " + name + " has too few repeats", ">= 2 repeats × units",
           shape_of(x[s]));
    if (x[s].cols() != x[0].cols())
      fail(ErrorKind::shape,
           fn + ": " + name + " has a different number of units than responses[0]",
           std::to_string(x[0].cols()) + " units", shape_of(x[s]));
    if (equal_repeats && x[s].rows() != x[0].rows())
      fail(ErrorKind::shape,
           fn + ": " + name +
               " has a different number of repeats than responses[0] (this metric "
               "needs equal repeats)",
           std::to_string(x[0].rows()) + " repeats", shape_of(x[s]));
    check_finite(fn, name, x[s]);
  }
}

void check_prediction(const std::string& fn, const RepeatedTrials& x, const MatrixF& prediction) {
  if (prediction.rows() != static_cast<Index>(x.size()) || prediction.cols() != x[0].cols())
    fail(ErrorKind::shape, fn + ": prediction must be stimuli × units of responses",
         shape_string(static_cast<Index>(x.size()), x[0].cols()), shape_of(prediction));
  check_finite(fn, "prediction", prediction);
}

void check_prediction(const std::string& fn, const RepeatedTrials& x,
                      const RepeatedTrials& prediction) {
  if (prediction.size() != x.size())
    fail(ErrorKind::shape, fn + ": prediction has a different number of stimuli than responses",
         std::to_string(x.size()), std::to_string(prediction.size()));
  for (std::size_t s = 0; s < x.size(); ++s) {
    const std::string name = "prediction[" + std::to_string(s) + "]";
    if (prediction[s].rows() != x[s].rows() || prediction[s].cols() != x[s].cols())
      fail(ErrorKind::shape,
           fn + ": " + name + " does not match responses[" + std::to_string(s) + "] in shape",
           shape_of(x[s]), shape_of(prediction[s]));
    check_finite(fn, name, prediction[s]);
  }
}

// All single trials stacked: (Σ_s n_s) × units, stimulus by stimulus.
MatrixF stack_trials(const RepeatedTrials& x) {
  Index rows = 0;
  for (const auto& m : x) rows += m.rows();
  MatrixF out(rows, x[0].cols());
  Index at = 0;
  for (const auto& m : x) {
    out.middleRows(at, m.rows()) = m;
    at += m.rows();
  }
  return out;
}

// The per-stimulus prediction repeated once per trial, aligned with stack_trials(x).
MatrixF broadcast_prediction(const RepeatedTrials& x, const MatrixF& prediction) {
  MatrixF out(stack_trials(x).rows(), prediction.cols());
  Index at = 0;
  for (std::size_t s = 0; s < x.size(); ++s)
    for (Index r = 0; r < x[s].rows(); ++r) out.row(at++) = prediction.row(static_cast<Index>(s));
  return out;
}

// Trial-averaged responses ȳ: stimuli × units, float64.
MatrixD trial_means(const RepeatedTrials& x) {
  MatrixD means(static_cast<Index>(x.size()), x[0].cols());
  for (std::size_t s = 0; s < x.size(); ++s)
    means.row(static_cast<Index>(s)) = column_means(x[s]).transpose();
  return means;
}

// Variance (ddof = 1) of every unit over all trials pooled.
VectorXd total_variance(const MatrixF& stacked) {
  const VectorXd mean = column_means(stacked);
  VectorXd ss = VectorXd::Zero(stacked.cols());
  for (Index t = 0; t < stacked.rows(); ++t)
    ss.array() += (row_d(stacked, t) - mean).array().square();
  return ss / static_cast<double>(stacked.rows() - 1);
}

VectorXd noise_variance_unchecked(const RepeatedTrials& x) {
  VectorXd noise = VectorXd::Zero(x[0].cols());
  for (const auto& m : x) {
    const VectorXd mean = column_means(m);
    VectorXd ss = VectorXd::Zero(m.cols());
    for (Index r = 0; r < m.rows(); ++r) ss.array() += (row_d(m, r) - mean).array().square();
    noise += ss / static_cast<double>(m.rows() - 1);
  }
  return noise / static_cast<double>(x.size());
}

// FEVE from the stacked trials and their aligned predictions (Cadena et al. 2019).
VectorXd feve_stacked(const RepeatedTrials& x, const MatrixF& stacked, const MatrixF& predicted) {
  const VectorXd total = total_variance(stacked);
  const VectorXd noise = noise_variance_unchecked(x);
  VectorXd mse = VectorXd::Zero(stacked.cols());
  for (Index t = 0; t < stacked.rows(); ++t)
    mse.array() += (row_d(stacked, t) - row_d(predicted, t)).array().square();
  mse /= static_cast<double>(stacked.rows());
  return (1.0 - (mse - noise).array() / (total - noise).array()).matrix();
}

// Population variance over stimuli of every column of m.
VectorXd variance_over_rows(const MatrixD& m) {
  const VectorXd mean = column_means(m);
  VectorXd ss = VectorXd::Zero(m.cols());
  for (Index s = 0; s < m.rows(); ++s) ss.array() += (m.row(s).transpose() - mean).array().square();
  return ss / static_cast<double>(m.rows());
}

// Signal power of checked, equal-repeat responses (Schoppe et al. 2016, eq. for SP):
// Var(Σ_n x_n) = N² Var(ȳ), so SP = (N·Var(ȳ) − mean_n Var(x_n))/(N − 1).
VectorXd signal_power_unchecked(const RepeatedTrials& x, const MatrixD& means) {
  const Index n_repeats = x[0].rows(), n_stimuli = static_cast<Index>(x.size());
  VectorXd mean_trial_var = VectorXd::Zero(x[0].cols());
  MatrixD trial(n_stimuli, x[0].cols());
  for (Index n = 0; n < n_repeats; ++n) {
    for (Index s = 0; s < n_stimuli; ++s)
      trial.row(s) = x[static_cast<std::size_t>(s)].row(n).cast<double>();
    mean_trial_var += variance_over_rows(trial);
  }
  mean_trial_var /= static_cast<double>(n_repeats);
  const double n = static_cast<double>(n_repeats);
  return (n * variance_over_rows(means) - mean_trial_var) / (n - 1.0);
}

// ---- Poisson --------------------------------------------------------------------------------

// Σ_t (k log λ − λ) per unit, with 0·log 0 = 0, plus −Σ log k! when asked.
template <class M>
VectorXd poisson_ll_sum(const M& counts, const M& rates, bool with_factorial) {
  VectorXd ll = VectorXd::Zero(counts.cols());
  for (Index t = 0; t < counts.rows(); ++t)
    for (Index j = 0; j < counts.cols(); ++j) {
      const double k = counts(t, j), lambda = rates(t, j);
      double term = -lambda;
      if (k > 0) term += k * std::log(lambda);  // −Inf when λ = 0
      if (with_factorial) term -= std::lgamma(k + 1.0);
      ll(j) += term;
    }
  return ll;
}

template <class M>
void check_poisson(const std::string& fn, const M& counts, const M& rates) {
  check_pair(fn, "counts", counts, "rates", rates, 1);
  check_non_negative(fn, "counts", counts);
  check_non_negative(fn, "rates", rates);
}

// LL_model − LL_null summed over samples, per unit, and the unit's spike count. The log k! terms
// cancel in the difference and are left out. Null: constant rate n/T, LL_null = n log(n/T) − n.
template <class M>
void ll_gain(const M& counts, const M& rates, VectorXd& gain, VectorXd& spikes) {
  gain = poisson_ll_sum(counts, rates, false);
  spikes = column_means(counts) * static_cast<double>(counts.rows());
  const double t = static_cast<double>(counts.rows());
  for (Index j = 0; j < counts.cols(); ++j)
    if (spikes(j) > 0) gain(j) -= spikes(j) * std::log(spikes(j) / t) - spikes(j);
}

template <class M>
VectorXd bits_per_spike_impl(const M& counts, const M& rates) {
  check_poisson("bits_per_spike", counts, rates);
  VectorXd gain, spikes;
  ll_gain(counts, rates, gain, spikes);
  VectorXd bps(counts.cols());
  for (Index j = 0; j < counts.cols(); ++j)
    bps(j) = spikes(j) > 0 ? gain(j) / (spikes(j) * std::log(2.0)) : kNaN;
  return bps;
}

template <class M>
double bits_per_spike_pooled_impl(const M& counts, const M& rates) {
  check_poisson("bits_per_spike_pooled", counts, rates);
  VectorXd gain, spikes;
  ll_gain(counts, rates, gain, spikes);
  const double n = spikes.sum();
  return n > 0 ? gain.sum() / (n * std::log(2.0)) : kNaN;
}

template <class M>
VectorXd poisson_ll_impl(const M& counts, const M& rates, LogFactorial log_factorial) {
  check_poisson("poisson_log_likelihood", counts, rates);
  return poisson_ll_sum(counts, rates, log_factorial == LogFactorial::include) /
         static_cast<double>(counts.rows());
}

}  // namespace

// ---- Column-wise ----------------------------------------------------------------------------

VectorXd r2_score(const MatrixF& y_true, const MatrixF& y_pred) { return r2_impl(y_true, y_pred); }
VectorXd r2_score(const MatrixD& y_true, const MatrixD& y_pred) { return r2_impl(y_true, y_pred); }

VectorXd explained_variance(const MatrixF& y_true, const MatrixF& y_pred) {
  return explained_variance_impl(y_true, y_pred);
}
VectorXd explained_variance(const MatrixD& y_true, const MatrixD& y_pred) {
  return explained_variance_impl(y_true, y_pred);
}

VectorXd pearson_r(const MatrixF& y_true, const MatrixF& y_pred) {
  check_pair("pearson_r", "y_true", y_true, "y_pred", y_pred, 2);
  return pearson_columns(y_true, y_pred);
}
VectorXd pearson_r(const MatrixD& y_true, const MatrixD& y_pred) {
  check_pair("pearson_r", "y_true", y_true, "y_pred", y_pred, 2);
  return pearson_columns(y_true, y_pred);
}

double nan_mean(const VectorXd& values) {
  double sum = 0.0;
  Index n = 0;
  for (Index i = 0; i < values.size(); ++i)
    if (!std::isnan(values(i))) {
      sum += values(i);
      ++n;
    }
  return n > 0 ? sum / static_cast<double>(n) : kNaN;
}

// ---- Repeated trials ------------------------------------------------------------------------

RepeatedTrials group_by_stimulus(const MatrixF& trials,
                                 const std::vector<std::int64_t>& stimulus_of_trial) {
  if (static_cast<Index>(stimulus_of_trial.size()) != trials.rows())
    fail(ErrorKind::shape, "group_by_stimulus: stimulus_of_trial has one id per row of trials",
         std::to_string(trials.rows()) + " ids", std::to_string(stimulus_of_trial.size()));
  std::map<std::int64_t, std::vector<Index>> rows_of;
  for (std::size_t i = 0; i < stimulus_of_trial.size(); ++i)
    rows_of[stimulus_of_trial[i]].push_back(static_cast<Index>(i));
  RepeatedTrials grouped;
  grouped.reserve(rows_of.size());
  for (const auto& [id, rows] : rows_of) {
    MatrixF m(static_cast<Index>(rows.size()), trials.cols());
    for (std::size_t r = 0; r < rows.size(); ++r)
      m.row(static_cast<Index>(r)) = trials.row(rows[r]);
    grouped.push_back(std::move(m));
  }
  return grouped;
}

VectorXd noise_variance(const RepeatedTrials& responses) {
  check_repeated("noise_variance", responses, 1, false);
  return noise_variance_unchecked(responses);
}

VectorXd fraction_explainable_variance(const RepeatedTrials& responses) {
  check_repeated("fraction_explainable_variance", responses, 1, false);
  const VectorXd total = total_variance(stack_trials(responses));
  const VectorXd noise = noise_variance_unchecked(responses);
  return ((total - noise).array() / total.array()).matrix();
}

VectorXd feve(const RepeatedTrials& responses, const MatrixF& prediction) {
  check_repeated("feve", responses, 1, false);
  check_prediction("feve", responses, prediction);
  return feve_stacked(responses, stack_trials(responses),
                      broadcast_prediction(responses, prediction));
}

VectorXd feve(const RepeatedTrials& responses, const RepeatedTrials& prediction) {
  check_repeated("feve", responses, 1, false);
  check_prediction("feve", responses, prediction);
  return feve_stacked(responses, stack_trials(responses), stack_trials(prediction));
}

VectorXd single_trial_correlation(const RepeatedTrials& responses, const MatrixF& prediction) {
  check_repeated("single_trial_correlation", responses, 1, false);
  check_prediction("single_trial_correlation", responses, prediction);
  return pearson_columns(stack_trials(responses), broadcast_prediction(responses, prediction));
}

VectorXd single_trial_correlation(const RepeatedTrials& responses,
                                  const RepeatedTrials& prediction) {
  check_repeated("single_trial_correlation", responses, 1, false);
  check_prediction("single_trial_correlation", responses, prediction);
  return pearson_columns(stack_trials(responses), stack_trials(prediction));
}

VectorXd signal_power(const RepeatedTrials& responses) {
  check_repeated("signal_power", responses, 2, true);
  return signal_power_unchecked(responses, trial_means(responses));
}

VectorXd cc_abs(const RepeatedTrials& responses, const MatrixF& prediction) {
  check_repeated("cc_abs", responses, 2, true);
  check_prediction("cc_abs", responses, prediction);
  return pearson_columns(trial_means(responses), prediction);
}

VectorXd cc_max(const RepeatedTrials& responses) {
  check_repeated("cc_max", responses, 2, true);
  const MatrixD means = trial_means(responses);
  const VectorXd sp = signal_power_unchecked(responses, means);
  const VectorXd var_mean = variance_over_rows(means);
  const auto constant = constant_columns(means);
  VectorXd cc(sp.size());
  for (Index j = 0; j < sp.size(); ++j)
    cc(j) = sp(j) <= 0 || constant(j) ? kNaN : std::sqrt(sp(j) / var_mean(j));
  return cc;
}

VectorXd cc_norm(const RepeatedTrials& responses, const MatrixF& prediction) {
  check_repeated("cc_norm", responses, 2, true);
  check_prediction("cc_norm", responses, prediction);
  const MatrixD means = trial_means(responses);
  const VectorXd sp = signal_power_unchecked(responses, means);
  // Population covariance and variance over stimuli, as SP is (the 1/S factors cancel only if
  // all three use the same one).
  const VectorXd mean_y = column_means(means), mean_p = column_means(prediction);
  VectorXd cov = VectorXd::Zero(sp.size()), var_p = cov;
  for (Index s = 0; s < means.rows(); ++s) {
    const VectorXd dp = row_d(prediction, s) - mean_p;
    cov.array() += (means.row(s).transpose() - mean_y).array() * dp.array();
    var_p.array() += dp.array().square();
  }
  const double n_stimuli = static_cast<double>(means.rows());
  const auto constant = constant_columns(prediction);
  VectorXd cc(sp.size());
  for (Index j = 0; j < sp.size(); ++j)
    cc(j) = sp(j) <= 0 || constant(j)
                ? kNaN
                : (cov(j) / n_stimuli) / std::sqrt(var_p(j) / n_stimuli * sp(j));
  return cc;
}

VectorXd r2_er(const RepeatedTrials& responses, const MatrixF& prediction) {
  check_repeated("r2_er", responses, 2, true);
  check_prediction("r2_er", responses, prediction);
  // Pospisil & Bair 2021: E[(Σ a b̂)²] = (Σ a b)² + (σ²/N) Σ a² and
  // E[Σ b̂²] = Σ b² + (S − 1) σ²/N, so subtracting those noise terms from numerator and
  // denominator gives unbiased estimates of each.
  const MatrixD means = trial_means(responses);
  const VectorXd noise = noise_variance_unchecked(responses);
  const VectorXd mean_y = column_means(means), mean_p = column_means(prediction);
  VectorXd sab = VectorXd::Zero(noise.size()), saa = sab, sbb = sab;
  for (Index s = 0; s < means.rows(); ++s) {
    const VectorXd a = row_d(prediction, s) - mean_p;
    const VectorXd b = means.row(s).transpose() - mean_y;
    sab.array() += a.array() * b.array();
    saa.array() += a.array().square();
    sbb.array() += b.array().square();
  }
  const double n_repeats = static_cast<double>(responses[0].rows());
  const double n_stimuli = static_cast<double>(means.rows());
  const auto constant = constant_columns(prediction);
  VectorXd r2(noise.size());
  for (Index j = 0; j < r2.size(); ++j) {
    const double noise_of_mean = noise(j) / n_repeats;
    r2(j) = constant(j) ? kNaN
                        : (sab(j) * sab(j) - noise_of_mean * saa(j)) /
                              (saa(j) * (sbb(j) - (n_stimuli - 1.0) * noise_of_mean));
  }
  return r2;
}

// ---- Poisson --------------------------------------------------------------------------------

VectorXd poisson_log_likelihood(const MatrixF& counts, const MatrixF& rates,
                                LogFactorial log_factorial) {
  return poisson_ll_impl(counts, rates, log_factorial);
}
VectorXd poisson_log_likelihood(const MatrixD& counts, const MatrixD& rates,
                                LogFactorial log_factorial) {
  return poisson_ll_impl(counts, rates, log_factorial);
}

VectorXd bits_per_spike(const MatrixF& counts, const MatrixF& rates) {
  return bits_per_spike_impl(counts, rates);
}
VectorXd bits_per_spike(const MatrixD& counts, const MatrixD& rates) {
  return bits_per_spike_impl(counts, rates);
}

double bits_per_spike_pooled(const MatrixF& counts, const MatrixF& rates) {
  return bits_per_spike_pooled_impl(counts, rates);
}
double bits_per_spike_pooled(const MatrixD& counts, const MatrixD& rates) {
  return bits_per_spike_pooled_impl(counts, rates);
}

}  // namespace neurodl::eval
