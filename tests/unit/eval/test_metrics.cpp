// The prediction metrics: reference values from numpy/scipy/scikit-learn, planted truths,
// invariances and bad inputs.
//
// Reference values: tests/fixtures/metrics/*.txt, written by
//   /usr/bin/python3 tests/reference/make_metrics_reference.py
// (scikit-learn 1.2 r2_score/explained_variance_score, scipy pearsonr/poisson.logpmf, and numpy
// transcriptions of Cadena 2019 FEVE, Schoppe 2016 CC_norm, Pospisil & Bair 2021 r2_ER and NLB
// bits per spike). Inputs there are float32-representable, so both overloads must match to 1e-10.

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/eval/metrics.hpp"
#include "test_support.hpp"

using namespace neurodl;
using namespace neurodl::eval;
using Eigen::VectorXd;

namespace {

// Reads tests/fixtures/metrics/<name>.txt: '#' comments, "rows cols", then the values.
MatrixD load(const std::string& name) {
  const auto path = test::fixture("metrics/" + name + ".txt");
  std::ifstream in(path);
  EXPECT_TRUE(in) << "missing fixture " << path
                  << " (run /usr/bin/python3 tests/reference/make_metrics_reference.py)";
  std::string line, body;
  while (std::getline(in, line))
    if (line.empty() || line[0] != '#') body += line + "\n";
  std::istringstream values(body);
  Eigen::Index rows = 0, cols = 0;
  values >> rows >> cols;
  MatrixD m(rows, cols);
  std::string token;
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < cols; ++j) {
      values >> token;
      m(i, j) = std::stod(token);  // accepts "nan"
    }
  return m;
}

VectorXd load_vector(const std::string& name) {
  const MatrixD m = load(name);
  return Eigen::Map<const VectorXd>(m.data(), m.size());
}

// Equal to 1e-10 relative (plus a 1e-14 floor for exact zeros); NaN must meet NaN.
void expect_close(const VectorXd& got, const VectorXd& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (Eigen::Index j = 0; j < want.size(); ++j) {
    if (std::isnan(want(j))) {
      EXPECT_TRUE(std::isnan(got(j))) << what << "[" << j << "] = " << got(j) << ", want NaN";
    } else {
      EXPECT_NEAR(got(j), want(j), 1e-10 * std::abs(want(j)) + 1e-14) << what << "[" << j << "]";
    }
  }
}

// Splits the stimulus-major (stimuli·repeats) × units fixture into one matrix per stimulus.
RepeatedTrials split_stimuli(const MatrixF& stacked, Eigen::Index repeats) {
  RepeatedTrials out;
  for (Eigen::Index s = 0; s < stacked.rows() / repeats; ++s)
    out.push_back(stacked.middleRows(s * repeats, repeats));
  return out;
}

// Responses with a known signal (stimuli × units) plus Gaussian noise of sd `noise_sd`.
RepeatedTrials simulate_repeats(const MatrixF& signal, Eigen::Index repeats, double noise_sd,
                                std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.0f, static_cast<float>(noise_sd));
  RepeatedTrials out;
  for (Eigen::Index s = 0; s < signal.rows(); ++s) {
    MatrixF m(repeats, signal.cols());
    for (Eigen::Index r = 0; r < repeats; ++r)
      for (Eigen::Index j = 0; j < signal.cols(); ++j) m(r, j) = signal(s, j) + noise(rng);
    out.push_back(m);
  }
  return out;
}

MatrixF random_normal(Eigen::Index rows, Eigen::Index cols, double sd, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(0.0f, static_cast<float>(sd));
  MatrixF m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = d(rng);
  return m;
}

// Expects `f` to throw E with a message containing every piece of `parts`.
template <class E, class F>
void expect_error(F&& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no exception";
  } catch (const E& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << msg << " lacks " << p;
  }
}

}  // namespace

// ---- Reference values -----------------------------------------------------------------------

TEST(MetricsReference, ColumnWiseMatchScikitLearnAndScipy) {
  const MatrixD y = load("colwise_y_true"), p = load("colwise_y_pred");
  const MatrixF yf = y.cast<float>(), pf = p.cast<float>();
  expect_close(r2_score(y, p), load_vector("colwise_r2"), "r2 f64");
  expect_close(r2_score(yf, pf), load_vector("colwise_r2"), "r2 f32");
  expect_close(explained_variance(y, p), load_vector("colwise_ev"), "ev f64");
  expect_close(explained_variance(yf, pf), load_vector("colwise_ev"), "ev f32");
  expect_close(pearson_r(y, p), load_vector("colwise_pearson"), "pearson f64");
  expect_close(pearson_r(yf, pf), load_vector("colwise_pearson"), "pearson f32");
}

TEST(MetricsReference, RepeatedTrialsMatchPublishedFormulas) {
  const auto x = split_stimuli(load("repeated_responses").cast<float>(), 5);
  const MatrixF pred = load("repeated_prediction").cast<float>();
  ASSERT_EQ(x.size(), 40u);
  expect_close(noise_variance(x), load_vector("repeated_noise_variance"), "noise variance");
  expect_close(fraction_explainable_variance(x), load_vector("repeated_fev"), "fev");
  expect_close(feve(x, pred), load_vector("repeated_feve"), "feve");
  expect_close(single_trial_correlation(x, pred), load_vector("repeated_single_trial_corr"),
               "single-trial r");
  expect_close(signal_power(x), load_vector("repeated_signal_power"), "signal power");
  expect_close(cc_abs(x, pred), load_vector("repeated_cc_abs"), "cc_abs");
  expect_close(cc_max(x), load_vector("repeated_cc_max"), "cc_max");
  expect_close(cc_norm(x, pred), load_vector("repeated_cc_norm"), "cc_norm");
  expect_close(r2_er(x, pred), load_vector("repeated_r2_er"), "r2_er");
}

TEST(MetricsReference, UnequalRepeatsWithPerTrialPredictions) {
  const VectorXd ids_d = load_vector("varying_stimulus_ids");
  std::vector<std::int64_t> ids(static_cast<size_t>(ids_d.size()));
  for (size_t i = 0; i < ids.size(); ++i)
    ids[i] = std::llround(ids_d(static_cast<Eigen::Index>(i)));
  const auto x = group_by_stimulus(load("varying_trials").cast<float>(), ids);
  const auto p = group_by_stimulus(load("varying_trial_prediction").cast<float>(), ids);
  ASSERT_EQ(x.size(), 12u);
  expect_close(noise_variance(x), load_vector("varying_noise_variance"), "noise variance");
  expect_close(fraction_explainable_variance(x), load_vector("varying_fev"), "fev");
  expect_close(feve(x, p), load_vector("varying_feve"), "feve");
  expect_close(single_trial_correlation(x, p), load_vector("varying_single_trial_corr"),
               "single-trial r");
  // Schoppe's signal power pairs repeat n across stimuli, so it needs equal repeat counts.
  expect_error<ShapeError>([&] { signal_power(x); }, {"signal_power", "needs equal repeats"});
}

TEST(MetricsReference, PoissonMatchesScipyAndNeuralLatentsBenchmark) {
  const MatrixD k = load("poisson_counts"), rate = load("poisson_rates");
  const MatrixF kf = k.cast<float>(), ratef = rate.cast<float>();
  expect_close(poisson_log_likelihood(k, rate), load_vector("poisson_ll"), "ll f64");
  expect_close(poisson_log_likelihood(kf, ratef), load_vector("poisson_ll"), "ll f32");
  expect_close(poisson_log_likelihood(k, rate, LogFactorial::omit), load_vector("poisson_ll_omit"),
               "ll without log k!");
  expect_close(bits_per_spike(k, rate), load_vector("poisson_bps"), "bps f64");
  expect_close(bits_per_spike(kf, ratef), load_vector("poisson_bps"), "bps f32");
  const double pooled = load_vector("poisson_bps_pooled")(0);
  EXPECT_NEAR(bits_per_spike_pooled(k, rate), pooled, 1e-10 * std::abs(pooled));
  EXPECT_NEAR(bits_per_spike_pooled(kf, ratef), pooled, 1e-10 * std::abs(pooled));
}

// ---- Planted truths -------------------------------------------------------------------------

TEST(MetricsPlanted, PerfectPredictionScoresOne) {
  const MatrixF y = random_normal(30, 4, 2.0, 1);
  for (double v : r2_score(y, y)) EXPECT_EQ(v, 1.0);
  for (double v : explained_variance(y, y)) EXPECT_EQ(v, 1.0);
  for (double v : pearson_r(y, y)) EXPECT_NEAR(v, 1.0, 1e-15);
}

TEST(MetricsPlanted, ConstantTargetFollowsScikitLearnForceFinite) {
  // 0.1 is not a float: a computed mean may leave round-off, the rule must still hold exactly.
  MatrixD y = MatrixD::Constant(7, 2, 0.1);
  MatrixD p = y;
  p(3, 1) = 0.2;
  EXPECT_EQ(r2_score(y, p)(0), 1.0);
  EXPECT_EQ(r2_score(y, p)(1), 0.0);
  EXPECT_EQ(explained_variance(y, p)(0), 1.0);
  EXPECT_EQ(explained_variance(y, p)(1), 0.0);
  EXPECT_TRUE(std::isnan(pearson_r(y, p)(0)));
  EXPECT_TRUE(std::isnan(pearson_r(y, p)(1)));
}

TEST(MetricsPlanted, NoiselessRepeatsPredictedByTheirMeanScoreOne) {
  // Every repeat equals the signal: no noise, SP = Var(ȳ), and the mean response is perfect.
  const MatrixF signal = random_normal(25, 3, 1.0, 2);
  const auto x = simulate_repeats(signal, 4, 0.0, 3);
  for (double v : noise_variance(x)) EXPECT_EQ(v, 0.0);
  for (double v : fraction_explainable_variance(x)) EXPECT_NEAR(v, 1.0, 1e-12);
  for (double v : feve(x, signal)) EXPECT_NEAR(v, 1.0, 1e-12);
  for (double v : cc_abs(x, signal)) EXPECT_NEAR(v, 1.0, 1e-12);
  for (double v : cc_max(x)) EXPECT_NEAR(v, 1.0, 1e-12);
  for (double v : cc_norm(x, signal)) EXPECT_NEAR(v, 1.0, 1e-12);
  for (double v : r2_er(x, signal)) EXPECT_NEAR(v, 1.0, 1e-12);
  for (double v : single_trial_correlation(x, signal)) EXPECT_NEAR(v, 1.0, 1e-12);
}

TEST(MetricsPlanted, TrueSignalReachesTheNoiseCeiling) {
  // Signal sd 2, noise sd 1, 200 stimuli × 20 repeats. The estimators' sampling sd is about
  // σ²·sqrt(2/(S·N))/Var(signal) ≈ 0.006 for FEVE and ≈ sqrt(σ²/N/S)/sd(signal) ≈ 0.008 for
  // cc_norm and r2_er; 0.05 is over five of those.
  const MatrixF signal = random_normal(200, 3, 2.0, 4);
  const auto x = simulate_repeats(signal, 20, 1.0, 5);
  for (double v : noise_variance(x)) EXPECT_NEAR(v, 1.0, 0.1);  // sd ≈ sqrt(2/3800) ≈ 0.023
  for (double v : feve(x, signal)) EXPECT_NEAR(v, 1.0, 0.05);
  for (double v : cc_norm(x, signal)) EXPECT_NEAR(v, 1.0, 0.05);
  for (double v : r2_er(x, signal)) EXPECT_NEAR(v, 1.0, 0.05);
  // The noise ceiling of a correlation with the 20-trial mean: sqrt(4 / (4 + 1/20)) ≈ 0.9938.
  for (double v : cc_max(x)) EXPECT_NEAR(v, std::sqrt(4.0 / 4.05), 0.01);
  // A prediction that is half signal, half unrelated structure has expected r² = 0.5.
  const MatrixF half = signal + random_normal(200, 3, 2.0, 6);
  for (double v : r2_er(x, half)) EXPECT_NEAR(v, 0.5, 0.12);  // Fisher-z sd of r ≈ 0.05
}

TEST(MetricsPlanted, NoiseDominatedUnitHasNoSignalPower) {
  // ȳ is the same for both stimuli while single trials differ: SP < 0, CC_max/CC_norm undefined.
  RepeatedTrials x = {MatrixF{{0.0f}, {1.0f}}, MatrixF{{1.0f}, {0.0f}}};
  const MatrixF pred{{0.0f}, {1.0f}};
  EXPECT_LT(signal_power(x)(0), 0.0);
  EXPECT_TRUE(std::isnan(cc_max(x)(0)));
  EXPECT_TRUE(std::isnan(cc_norm(x, pred)(0)));
  EXPECT_TRUE(std::isnan(cc_abs(x, pred)(0)));  // ȳ is constant
}

TEST(MetricsPlanted, BitsPerSpikeOfTrueRateIsPositiveAndOfNullIsZero) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> log_rate(-1.0, 1.0);
  const Eigen::Index T = 4000, q = 3;
  MatrixD rate(T, q), counts(T, q);
  for (Eigen::Index t = 0; t < T; ++t)
    for (Eigen::Index j = 0; j < q; ++j) {
      rate(t, j) = std::exp(log_rate(rng));
      counts(t, j) = std::poisson_distribution<int>(rate(t, j))(rng);
    }
  const MatrixD null = counts.colwise().mean().replicate(T, 1);
  // Per-sample information of a lognormal(σ = 1) rate is large against its sampling sd
  // (≈ 1/sqrt(n_spikes) ≈ 0.02 bits per spike), so > 0.1 cannot pass by chance.
  for (double v : bits_per_spike(counts, rate)) EXPECT_GT(v, 0.1);
  for (double v : bits_per_spike(counts, null)) EXPECT_NEAR(v, 0.0, 1e-12);
  EXPECT_GT(bits_per_spike_pooled(counts, rate), 0.1);
  EXPECT_NEAR(bits_per_spike_pooled(counts, null), 0.0, 1e-12);
  // The true rate has the highest expected likelihood: a distorted rate scores lower.
  const VectorXd ll_true = poisson_log_likelihood(counts, rate);
  const VectorXd ll_bent = poisson_log_likelihood(counts, MatrixD(rate.array().pow(0.5)));
  for (Eigen::Index j = 0; j < q; ++j) EXPECT_GT(ll_true(j), ll_bent(j));
  // A spike where the model says rate 0 is impossible: −Inf.
  MatrixD k1 = MatrixD::Ones(2, 1), r1 = MatrixD::Zero(2, 1);
  EXPECT_EQ(poisson_log_likelihood(k1, r1)(0), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(poisson_log_likelihood(MatrixD(MatrixD::Zero(2, 1)), r1)(0), 0.0);
}

// ---- Invariances ----------------------------------------------------------------------------

TEST(MetricsInvariance, PermutingUnitsPermutesOutputs) {
  const MatrixF y = random_normal(40, 5, 1.0, 8);
  const MatrixF p = y + random_normal(40, 5, 0.7, 9);
  const std::vector<Eigen::Index> order = {3, 0, 4, 1, 2};
  MatrixF y2(40, 5), p2(40, 5);
  for (size_t j = 0; j < order.size(); ++j) {
    y2.col(static_cast<Eigen::Index>(j)) = y.col(order[j]);
    p2.col(static_cast<Eigen::Index>(j)) = p.col(order[j]);
  }
  const VectorXd r2 = r2_score(y, p), r2p = r2_score(y2, p2);
  const VectorXd r = pearson_r(y, p), rp = pearson_r(y2, p2);
  const VectorXd ev = explained_variance(y, p), evp = explained_variance(y2, p2);
  for (size_t j = 0; j < order.size(); ++j) {
    const auto i = static_cast<Eigen::Index>(j);
    EXPECT_EQ(r2p(i), r2(order[j]));
    EXPECT_EQ(rp(i), r(order[j]));
    EXPECT_EQ(evp(i), ev(order[j]));
  }
  // Repeated trials: permute units inside every stimulus.
  const MatrixF signal = random_normal(15, 5, 1.0, 10);
  const auto x = simulate_repeats(signal, 3, 0.8, 11);
  RepeatedTrials x2;
  MatrixF s2(15, 5);
  for (size_t j = 0; j < order.size(); ++j)
    s2.col(static_cast<Eigen::Index>(j)) = signal.col(order[j]);
  for (const auto& m : x) {
    MatrixF m2(m.rows(), 5);
    for (size_t j = 0; j < order.size(); ++j)
      m2.col(static_cast<Eigen::Index>(j)) = m.col(order[j]);
    x2.push_back(m2);
  }
  const VectorXd f = feve(x, signal), f2 = feve(x2, s2);
  const VectorXd c = cc_norm(x, signal), c2 = cc_norm(x2, s2);
  for (size_t j = 0; j < order.size(); ++j) {
    EXPECT_EQ(f2(static_cast<Eigen::Index>(j)), f(order[j]));
    EXPECT_EQ(c2(static_cast<Eigen::Index>(j)), c(order[j]));
  }
}

TEST(MetricsInvariance, ScalingPredictionChangesR2ButNotCorrelations) {
  // Scales by powers of two are exact in float32, so the correlations must agree to round-off.
  const MatrixF y = random_normal(60, 3, 1.0, 12);
  const MatrixF p = y + random_normal(60, 3, 0.5, 13);
  const MatrixF scaled = 2.0f * p;
  const VectorXd r = pearson_r(y, p), rs = pearson_r(y, scaled);
  const VectorXd r2 = r2_score(y, p), r2s = r2_score(y, scaled);
  // An affine map in float64 (offset included).
  const MatrixD yd = y.cast<double>(), pd = p.cast<double>();
  const VectorXd rd = pearson_r(yd, MatrixD((2.0 * pd.array() + 1.0).matrix()));
  for (Eigen::Index j = 0; j < 3; ++j) {
    EXPECT_NEAR(rs(j), r(j), 1e-12);
    EXPECT_NEAR(rd(j), r(j), 1e-12);
    EXPECT_LT(r2s(j), r2(j) - 0.5);  // doubling the prediction adds about Var(y) of error
  }
  const MatrixF signal = random_normal(30, 3, 1.0, 14);
  const auto x = simulate_repeats(signal, 4, 0.5, 15);
  const MatrixF s4 = 4.0f * signal;
  const VectorXd c = cc_norm(x, signal), cs = cc_norm(x, s4);
  const VectorXd a = cc_abs(x, signal), as = cc_abs(x, s4);
  const VectorXd e = r2_er(x, signal), es = r2_er(x, s4);
  const VectorXd f = feve(x, signal), fs = feve(x, s4);
  for (Eigen::Index j = 0; j < 3; ++j) {
    EXPECT_NEAR(cs(j), c(j), 1e-12);
    EXPECT_NEAR(as(j), a(j), 1e-12);
    EXPECT_NEAR(es(j), e(j), 1e-12);
    EXPECT_LT(fs(j), f(j) - 1.0);  // FEVE, like R², penalises the wrong gain
  }
}

TEST(MetricsHelpers, NanMeanSkipsUndefinedUnits) {
  EXPECT_DOUBLE_EQ(nan_mean(VectorXd{{1.0, std::nan(""), 3.0}}), 2.0);
  EXPECT_TRUE(std::isnan(nan_mean(VectorXd{{std::nan(""), std::nan("")}})));
  EXPECT_TRUE(std::isnan(nan_mean(VectorXd())));
}

TEST(MetricsHelpers, GroupByStimulusKeepsPresentationOrder) {
  const MatrixF trials{{0.f}, {1.f}, {2.f}, {3.f}, {4.f}};
  const auto g = group_by_stimulus(trials, {7, 2, 7, 2, 7});
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0], (MatrixF{{1.f}, {3.f}}));         // id 2 first
  EXPECT_EQ(g[1], (MatrixF{{0.f}, {2.f}, {4.f}}));  // id 7, in trial order
}

// ---- Bad inputs -----------------------------------------------------------------------------

TEST(MetricsErrors, ShapesAreCheckedAndNamed) {
  const MatrixF a = MatrixF::Zero(5, 3), b = MatrixF::Zero(5, 4);
  expect_error<ShapeError>(
      [&] { r2_score(a, b); },
      {"eval.metrics: r2_score: y_pred does not match y_true in shape", "expected 5×3", "got 5×4"});
  expect_error<ShapeError>([&] { pearson_r(MatrixD(1, 2), MatrixD(1, 2)); },
                           {"pearson_r", "y_true has too few samples", ">= 2 rows"});
  expect_error<ShapeError>([&] { bits_per_spike(MatrixD(4, 2), MatrixD(3, 2)); },
                           {"bits_per_spike", "rates does not match counts", "got 3×2"});
  const RepeatedTrials x = {MatrixF::Zero(3, 2), MatrixF::Zero(3, 2)};
  expect_error<ShapeError>([&] { feve(x, MatrixF::Zero(3, 2)); },
                           {"feve: prediction must be stimuli × units", "expected 2×2", "got 3×2"});
  expect_error<ShapeError>(
      [&] {
        feve(x, RepeatedTrials{MatrixF::Zero(3, 2), MatrixF::Zero(2, 2)});
      },
      {"prediction[1] does not match responses[1]"});
  expect_error<ShapeError>(
      [&] {
        noise_variance({MatrixF::Zero(3, 2), MatrixF::Zero(1, 2)});
      },
      {"responses[1] has too few repeats", "got 1×2"});
  expect_error<ShapeError>(
      [&] {
        noise_variance({MatrixF::Zero(3, 2), MatrixF::Zero(3, 1)});
      },
      {"responses[1] has a different number of units"});
  expect_error<ShapeError>([&] { noise_variance({}); }, {"responses has too few stimuli"});
  expect_error<ShapeError>([&] { cc_max({MatrixF::Zero(3, 2)}); },
                           {"cc_max: responses has too few stimuli", "expected >= 2"});
  expect_error<ShapeError>(
      [&] {
        group_by_stimulus(MatrixF::Zero(3, 1), {1, 2});
      },
      {"group_by_stimulus", "3 ids", "got 2"});
}

TEST(MetricsErrors, NonFiniteAndNegativeValuesAreRejected) {
  MatrixD y = MatrixD::Ones(4, 2), p = MatrixD::Ones(4, 2);
  p(1, 1) = std::nan("");
  expect_error<ConfigError>(
      [&] { r2_score(y, p); },
      {"eval.metrics: r2_score: y_pred has NaN or Inf values", "got 1 non-finite"});
  y(0, 0) = std::numeric_limits<double>::infinity();
  expect_error<ConfigError>([&] { explained_variance(y, MatrixD(MatrixD::Ones(4, 2))); },
                            {"explained_variance: y_true has NaN or Inf"});
  RepeatedTrials x = {MatrixF::Ones(2, 1), MatrixF::Ones(2, 1)};
  x[1](0, 0) = std::nanf("");
  expect_error<ConfigError>([&] { fraction_explainable_variance(x); },
                            {"responses[1] has NaN or Inf"});
  MatrixF rates = MatrixF::Ones(3, 2);
  rates(2, 0) = -0.5f;
  expect_error<ConfigError>(
      [&] { poisson_log_likelihood(MatrixF(MatrixF::Ones(3, 2)), rates); },
      {"poisson_log_likelihood: rates has negative values", "got 1 negative"});
  expect_error<ConfigError>(
      [&] { bits_per_spike_pooled(MatrixF(-rates), MatrixF(MatrixF::Ones(3, 2))); },
      {"counts has negative values"});
}
