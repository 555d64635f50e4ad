// PCA: exact solver against scikit-learn (tests/reference/make_pca_reference.py wrote the
// fixtures), randomized against exact on a planted low-rank matrix, invariants, bad inputs.

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/core/random.hpp"
#include "neurodl/linear/pca.hpp"
#include "linear_test_support.hpp"

using namespace neurodl;
using neurodl::linear::PcaOptions;
using neurodl::test::expect_error;

namespace {

// A whitespace-separated text matrix (numpy.savetxt).
MatrixD read_text(const std::string& name) {
  std::ifstream f(test::fixture("pca/" + name));
  EXPECT_TRUE(f) << "missing fixture pca/" << name;
  std::vector<std::vector<double>> rows;
  for (std::string line; std::getline(f, line);) {
    std::istringstream in(line);
    std::vector<double> row;
    for (double v; in >> v;) row.push_back(v);
    if (!row.empty()) rows.push_back(row);
  }
  MatrixD m(static_cast<Eigen::Index>(rows.size()), rows.empty() ? 0 : static_cast<Eigen::Index>(rows[0].size()));
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t j = 0; j < rows[i].size(); ++j) m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = rows[i][j];
  return m;
}

// Low-rank signal plus isotropic noise: x = z·L + noise, z (T × r) with sd 10/(i+1) per latent,
// L (r × N) Gaussian loadings / sqrt(N), noise sd `noise`.
MatrixF planted_low_rank(Eigen::Index t, Eigen::Index n, Eigen::Index r, double noise,
                         std::uint64_t seed) {
  Rng rng(seed);
  MatrixF z(t, r), l(r, n), x(t, n);
  for (Eigen::Index i = 0; i < t; ++i)
    for (Eigen::Index j = 0; j < r; ++j) z(i, j) = static_cast<float>(rng.normal() * 10.0 / (j + 1));
  for (Eigen::Index i = 0; i < r; ++i)
    for (Eigen::Index j = 0; j < n; ++j) l(i, j) = static_cast<float>(rng.normal() / std::sqrt(double(n)));
  x = z * l;
  for (Eigen::Index i = 0; i < t; ++i)
    for (Eigen::Index j = 0; j < n; ++j) x(i, j) += static_cast<float>(rng.normal(1.0, noise));
  return x;
}

void expect_matches_sklearn(const std::string& name, const std::string& solver) {
  const MatrixF x = read_text(name + "_x.txt").cast<float>();
  const MatrixD comp = read_text(name + "_components.txt");
  const MatrixD ev = read_text(name + "_explained_variance.txt");
  const MatrixD ratio = read_text(name + "_explained_variance_ratio.txt");
  const MatrixD mean = read_text(name + "_mean.txt");
  const MatrixD scores = read_text(name + "_scores.txt");
  PcaOptions o;
  o.n_components = comp.rows();
  o.solver = solver;
  o.scores = true;
  o.oversampling = x.cols();  // randomized: the sketch spans the whole space, so it is exact
  const auto r = linear::pca(x, o);
  ASSERT_EQ(r.components.rows(), comp.rows());
  ASSERT_EQ(r.components.cols(), comp.cols());
  ASSERT_EQ(r.scores.rows(), x.rows());
  // float32 input and arithmetic: relative agreement to ~1e-4 of the largest scale.
  for (Eigen::Index j = 0; j < x.cols(); ++j) EXPECT_NEAR(r.mean(j), mean(0, j), 1e-4 * (1 + std::abs(mean(0, j))));
  for (Eigen::Index i = 0; i < comp.rows(); ++i) {
    EXPECT_NEAR(r.explained_variance(i), ev(0, i), 2e-4 * ev(0, 0)) << name << " component " << i;
    EXPECT_NEAR(r.explained_variance_ratio(i), ratio(0, i), 2e-4) << name << " component " << i;
    const double sign = r.components.row(i).cast<double>().dot(comp.row(i)) < 0 ? -1.0 : 1.0;
    EXPECT_LT((r.components.row(i).cast<double>() * sign - comp.row(i)).cwiseAbs().maxCoeff(), 1e-3)
        << name << " component " << i;
    EXPECT_LT((r.scores.col(i).cast<double>() * sign - scores.col(i)).cwiseAbs().maxCoeff(),
              1e-3 * scores.cwiseAbs().maxCoeff())
        << name << " scores " << i;
  }
}

}  // namespace

TEST(Pca, ExactMatchesSklearnTall) { expect_matches_sklearn("tall", "exact"); }
TEST(Pca, ExactMatchesSklearnWide) { expect_matches_sklearn("wide", "exact"); }
TEST(Pca, RandomizedWithFullSketchMatchesSklearn) { expect_matches_sklearn("tall", "randomized"); }

TEST(Pca, RandomizedMatchesExactOnLowRankPlusNoise) {
  // Rank 8 with latent sds 10..1.25 over noise sd 0.3: the spectral gap after component 8 is
  // large, so 4 power iterations make the randomized subspace exact to float precision
  // (Halko et al. 2011, Cor. 10.10: error ∝ (σ9/σ8)^(2q+1)).
  const MatrixF x = planted_low_rank(3000, 400, 8, 0.3, 7);
  PcaOptions o;
  o.n_components = 8;
  o.solver = "exact";
  const auto exact = linear::pca(x, o);
  o.solver = "randomized";
  const auto fast = linear::pca(x, o);
  EXPECT_EQ(exact.solver, "exact");
  EXPECT_EQ(fast.solver, "randomized");
  for (Eigen::Index i = 0; i < 8; ++i) {
    EXPECT_NEAR(fast.explained_variance(i), exact.explained_variance(i), 1e-3 * exact.explained_variance(i));
    EXPECT_GT(std::abs(fast.components.row(i).dot(exact.components.row(i))), 0.999) << i;
  }
  EXPECT_NEAR(fast.total_variance, exact.total_variance, 1e-6 * exact.total_variance);
  // The 8 components capture the planted signal: the rest is noise (400 × 0.09 = 36).
  EXPECT_NEAR(exact.total_variance - exact.explained_variance.sum(), 400 * 0.09, 0.1 * 400 * 0.09);
}

TEST(Pca, InvariantsScoresScalingDeterminism) {
  const MatrixF x = planted_low_rank(500, 60, 4, 0.5, 3);
  PcaOptions o;
  o.n_components = 4;
  o.scores = true;
  o.solver = "randomized";
  const auto a = linear::pca(x, o);
  const auto b = linear::pca(x, o);
  EXPECT_EQ(a.components, b.components);  // same seed → identical
  // Scores are the centred data projected on the components.
  const MatrixF centred = x.rowwise() - a.mean.transpose().cast<float>();
  const MatrixF proj = centred * a.components.transpose();
  EXPECT_LT((proj - a.scores).cwiseAbs().maxCoeff(), 1e-3 * proj.cwiseAbs().maxCoeff());
  // Components are orthonormal.
  const MatrixF gram = a.components * a.components.transpose();
  EXPECT_LT((gram - MatrixF::Identity(4, 4)).cwiseAbs().maxCoeff(), 1e-5);
  // Scaling the data by 3 scales variances by 9, leaves ratios and axes unchanged.
  const auto c = linear::pca(MatrixF(x * 3.0f), o);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(c.explained_variance(i), 9 * a.explained_variance(i), 1e-4 * c.explained_variance(i));
    EXPECT_NEAR(c.explained_variance_ratio(i), a.explained_variance_ratio(i), 1e-5);
  }
  EXPECT_LT((c.components - a.components).cwiseAbs().maxCoeff(), 1e-4);
  // n_components = 0 keeps min(T - 1, N) components; ratios then sum to 1.
  o.n_components = 0;
  o.solver = "auto";
  const auto all = linear::pca(x, o);
  EXPECT_EQ(all.components.rows(), 60);
  EXPECT_NEAR(all.explained_variance_ratio.sum(), 1.0, 1e-5);
  const auto j = linear::to_json(all);
  EXPECT_EQ(j["n_components"], 60);
  EXPECT_EQ(j["explained_variance"].size(), 60u);
}

TEST(Pca, BadInputs) {
  PcaOptions o;
  expect_error<ShapeError>([&] { linear::pca(MatrixF::Ones(1, 5), o); },
                           "linear.pca: need at least 2 samples and 1 unit (expected >= 2×1 (T×N), got 1×5)");
  MatrixF x = MatrixF::Random(20, 5);
  x(3, 2) = std::nanf("");
  expect_error<ConfigError>([&] { linear::pca(x, o); }, "linear.pca: activity: NaN or Inf values");
  x(3, 2) = 0;
  o.n_components = 6;
  expect_error<ConfigError>([&] { linear::pca(x, o); }, "n_components out of range (expected 0..5");
  o.n_components = 2;
  o.solver = "lanczos";
  expect_error<ConfigError>([&] { linear::pca(x, o); }, "unknown solver (expected auto, exact, randomized, got lanczos)");
  PcaOptions p;
  expect_error<ConfigError>([&] { apply_options(linear::option_specs(p), {{"radius_um", 3}}, "linear.pca"); },
                            "radius_um");
  apply_options(linear::option_specs(p), {{"n_components", 3}, {"solver", "exact"}}, "linear.pca");
  EXPECT_EQ(p.n_components, 3);
  EXPECT_EQ(p.solver, "exact");
}
