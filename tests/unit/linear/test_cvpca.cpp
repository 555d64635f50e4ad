// cvPCA: recovery of a planted power-law exponent, the power-law fit itself, responses from a
// Recording's stimulus table, bad inputs.

#include <cmath>
#include <string>

#include <Eigen/QR>
#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/core/random.hpp"
#include "neurodl/linear/cvpca.hpp"
#include "linear_test_support.hpp"

using namespace neurodl;
using neurodl::linear::CvpcaOptions;
using neurodl::test::expect_error;

namespace {

// Two repeats of S stimuli: a shared signal with eigenspectrum λ_n = n^(−α) along random
// orthonormal axes (N units), plus independent Gaussian noise of sd `noise` in each repeat.
std::pair<MatrixF, MatrixF> planted_repeats(Eigen::Index s, Eigen::Index n, double alpha,
                                            double noise, std::uint64_t seed) {
  Rng rng(seed);
  Eigen::MatrixXd g(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j) g(i, j) = rng.normal();
  const Eigen::MatrixXd q = Eigen::HouseholderQR<Eigen::MatrixXd>(g).householderQ();
  Eigen::MatrixXd z(s, n);
  for (Eigen::Index i = 0; i < s; ++i)
    for (Eigen::Index j = 0; j < n; ++j) z(i, j) = rng.normal() * std::pow(double(j + 1), -alpha / 2);
  const Eigen::MatrixXd signal = z * q.transpose();
  MatrixF a(s, n), b(s, n);
  for (Eigen::Index i = 0; i < s; ++i)
    for (Eigen::Index j = 0; j < n; ++j) {
      a(i, j) = static_cast<float>(signal(i, j) + noise * rng.normal());
      b(i, j) = static_cast<float>(signal(i, j) + noise * rng.normal());
    }
  return {a, b};
}

}  // namespace

// Tolerance: with S = 2000 stimuli, N = 500 units and ranks 11..200, simulations (numpy, 8 seeds
// per setting) give α̂ within 0.012 of the planted α on average for noise variance up to the
// signal variance at rank ~100, with a seed-to-seed sd of 0.004–0.007. The residual bias is the
// finite-sample distortion of the sample eigenvalues (S/N = 4). ±0.05 covers the bias plus 5 sd.
TEST(Cvpca, RecoversPlantedPowerLaw) {
  for (const auto& [alpha, noise] : {std::pair{1.0, 0.1}, std::pair{1.5, 0.05}}) {
    const auto [a, b] = planted_repeats(2000, 500, alpha, noise, 11);
    CvpcaOptions o;
    o.fit_rank_max = 200;
    const auto r = linear::cvpca(a, b, o);
    EXPECT_EQ(r.spectrum.size(), 500);
    EXPECT_EQ(r.power_law.rank_min, 11);
    EXPECT_EQ(r.power_law.rank_max, 200);
    EXPECT_NEAR(r.power_law.alpha, alpha, 0.05) << "planted α = " << alpha;
    // The ordinary (training) spectrum flattens into the noise floor; its exponent is biased low.
    const auto naive = linear::fit_power_law(r.train_spectrum, 11, 200);
    EXPECT_LT(naive.alpha, alpha - 0.1) << "naive α = " << naive.alpha;
    // Leading cross-validated variances match the planted ones (sampling error ~ sqrt(2/S)).
    EXPECT_NEAR(r.spectrum(0), 1.0, 0.15);
    EXPECT_NEAR(r.spectrum(1), std::pow(2.0, -alpha), 0.15 * std::pow(2.0, -alpha));
  }
}

TEST(Cvpca, NoiseOnlyHasNoReliableVariance) {
  // Independent noise in each repeat: the cross-validated spectrum sums to about 0, while the
  // training spectrum holds all the noise variance (N · σ² = 100).
  Rng rng(5);
  MatrixF a(400, 100), b(400, 100);
  for (Eigen::Index i = 0; i < a.size(); ++i) {
    a.data()[i] = static_cast<float>(rng.normal());
    b.data()[i] = static_cast<float>(rng.normal());
  }
  const auto r = linear::cvpca(a, b);
  EXPECT_NEAR(r.train_spectrum.sum(), 100.0, 3.0);
  // Σ_n λ̂_n = tr(R₁ᵀR₂)/(S−1) over the kept axes: mean 0, sd ~ sqrt(N)·σ² / sqrt(S) ≈ 0.5.
  EXPECT_LT(std::abs(r.spectrum.sum()), 2.5);
}

TEST(Cvpca, PowerLawFitIsExactOnAPowerLaw) {
  VectorD s(1000);
  for (int i = 0; i < 1000; ++i) s(i) = 3.0 * std::pow(i + 1.0, -1.3);
  s(20) = -1;  // skipped
  const auto f = linear::fit_power_law(s, 11, 500);
  EXPECT_NEAR(f.alpha, 1.3, 1e-9);
  EXPECT_NEAR(f.log_scale, std::log(3.0), 1e-9);
  EXPECT_EQ(f.n_ranks, 489);
  const auto clipped = linear::fit_power_law(s.head(50), 11, 500);
  EXPECT_EQ(clipped.rank_max, 50);
  EXPECT_TRUE(std::isnan(linear::fit_power_law(s.head(5), 11, 500).alpha));
}

TEST(Cvpca, ResponsesFromRecordingStimulusTable) {
  // 3 stimuli × 2 repeats, 4 samples each (2 on, 2 off), 10 Hz; unit j's activity during
  // stimulus k in repeat r is 10k + j + r (off: −100, which must not enter the mean).
  Recording rec;
  rec.sample_rate_hz = 10;
  rec.activity = MatrixF::Constant(24, 2, -100);
  int p = 0;
  for (int r = 0; r < 2; ++r)
    for (int k : {2, 0, 1}) {
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j) rec.activity(4 * p + i, j) = static_cast<float>(10 * k + j + r);
      rec.stimuli.events.push_back({.onset_s = 0.4 * p, .offset_s = 0.4 * p + 0.2, .stimulus_id = k, .repeat = r});
      ++p;
    }
  rec.validate();
  const auto [a, b] = linear::repeat_responses(rec, 0, 1);
  ASSERT_EQ(a.rows(), 3);
  for (int k = 0; k < 3; ++k)
    for (int j = 0; j < 2; ++j) {
      EXPECT_FLOAT_EQ(a(k, j), 10 * k + j);
      EXPECT_FLOAT_EQ(b(k, j), 10 * k + j + 1);
    }
  expect_error<ConfigError>([&] { linear::repeat_responses(rec, 0, 2); },
                            "linear.cvpca: stimuli: too few stimuli shown in both repeats (expected >= 2 stimuli in repeats 0 and 2, got 0)");
  expect_error<ConfigError>([&] { linear::repeat_responses(rec, 1, 1); }, "repeat_a and repeat_b must differ");
}

TEST(Cvpca, BadInputs) {
  MatrixF a = MatrixF::Random(10, 4), b = MatrixF::Random(10, 5);
  expect_error<ShapeError>([&] { linear::cvpca(a, b); },
                           "linear.cvpca: the two repeats differ in shape (expected 10×4 (S×N), got 10×5)");
  b = MatrixF::Random(10, 4);
  b(0, 0) = INFINITY;
  expect_error<ConfigError>([&] { linear::cvpca(a, b); }, "linear.cvpca: repeat 2: NaN or Inf values");
  b(0, 0) = 0;
  CvpcaOptions o;
  o.fit_rank_min = 20;
  o.fit_rank_max = 10;
  expect_error<ConfigError>([&] { linear::cvpca(a, b, o); }, "power-law fit range is empty");
  o = {};
  o.n_components = 10;
  expect_error<ConfigError>([&] { linear::cvpca(a, b, o); }, "n_components out of range (expected 0..4");
}
