// Reduced-rank ridge regression: rank curve and weights against numpy's SVD of the fitted values
// (tests/reference/make_ridge_reference.py → tests/fixtures/linear/rrr_curve.txt), planted
// low-rank weights, invariants and bad inputs.

#include <cmath>
#include <string>

#include <gtest/gtest.h>
#include <Eigen/SVD>

#include "neurodl/core/error.hpp"
#include "neurodl/core/random.hpp"
#include "neurodl/linear/registry.hpp"
#include "neurodl/linear/ridge.hpp"
#include "neurodl/linear/rrr.hpp"
#include "linear_test_support.hpp"

using namespace neurodl;
using namespace neurodl::linear;
using neurodl::test::read_fixture;
using neurodl::test::rel_err;

namespace {

MatrixD gaussian(Eigen::Index rows, Eigen::Index cols, Rng& rng) {
  MatrixD m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = rng.normal();
  return m;
}

// Y = X·U·V' + noise with U (p × rank), V (q × rank): weights of exactly `rank`.
struct LowRank {
  MatrixF x, y;
  MatrixD v;  // q × rank, orthonormal basis of the true target subspace
};
LowRank low_rank(Eigen::Index n, Eigen::Index p, Eigen::Index q, Eigen::Index rank, double sigma,
                 std::uint64_t seed) {
  Rng rng(seed);
  LowRank d;
  const MatrixD x = gaussian(n, p, rng);
  const MatrixD u = gaussian(p, rank, rng), v = gaussian(q, rank, rng);
  const MatrixD y = x * u * v.transpose() + sigma * gaussian(n, q, rng);
  d.x = x.cast<float>();
  d.y = y.cast<float>();
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(v, Eigen::ComputeThinU);
  d.v = svd.matrixU();
  return d;
}

}  // namespace

TEST(Rrr, RankCurveAndWeightsMatchNumpy) {
  auto fx = read_fixture("rrr_curve.txt");
  const MatrixF x = fx["x"].cast<float>(), y = fx["y"].cast<float>();
  RrrOptions o;
  o.alphas = {fx["alpha"](0, 0)};
  o.split.folds = 4;
  o.precision = "float64";
  const RankCurve c = rrr_rank_curve(x, y, o);
  ASSERT_EQ(c.ranks.size(), 8u);
  EXPECT_EQ(c.ranks.front(), 1);
  EXPECT_LT((c.r2 - fx["r2_rank"]).cwiseAbs().maxCoeff(), 1e-6);
  for (size_t i = 0; i < c.ranks.size(); ++i) {
    EXPECT_NEAR(c.r2_mean[i], fx["r2_mean"](0, static_cast<Eigen::Index>(i)), 1e-6);
    EXPECT_NEAR(c.r2_sem[i], fx["r2_sem"](0, static_cast<Eigen::Index>(i)), 1e-6);
  }
  EXPECT_EQ(c.alpha, fx["alpha"](0, 0));

  for (const char* solver : {"primal", "dual"}) {
    SCOPED_TRACE(solver);
    o.rank = 3;
    o.solver = solver;
    ReducedRankRegression m(o);
    m.fit(x, y);
    EXPECT_EQ(m.rank(), 3);
    EXPECT_LT(rel_err(m.weights(), fx["weights_rank3"]), 1e-5);
    EXPECT_LT(rel_err(m.intercept().transpose(), fx["intercept_rank3"]), 1e-5);
    EXPECT_LT(rel_err(m.cv_r2().transpose(), fx["r2_rank"].row(2)), 1e-5);
    // weights = source_map · V_r', V_r orthonormal.
    EXPECT_LT(rel_err(m.source_map() * m.target_subspace().transpose(), m.weights()), 1e-12);
    EXPECT_LT((m.target_subspace().transpose() * m.target_subspace() - MatrixD::Identity(3, 3))
                  .cwiseAbs()
                  .maxCoeff(),
              1e-10);
  }
}

TEST(Rrr, FullRankEqualsRidge) {
  const LowRank d = low_rank(300, 8, 6, 6, 1.0, 3);
  RrrOptions o;
  o.alphas = {10.0};
  o.rank = 6;
  o.precision = "float64";
  ReducedRankRegression r(o);
  r.fit(d.x, d.y);
  RidgeOptions ro;
  ro.alphas = {10.0};
  ro.precision = "float64";
  Ridge ridge(ro);
  ridge.fit(d.x, d.y);
  EXPECT_LT(rel_err(r.weights(), ridge.weights()), 1e-10);
  EXPECT_LT((r.cv_r2() - ridge.cv_r2()).cwiseAbs().maxCoeff(), 1e-10);
  EXPECT_NEAR(r.rank_curve().ridge_r2_mean, ridge.cv_r2().mean(), 1e-10);
}

TEST(Rrr, RecoversPlantedRankAndSubspace) {
  const LowRank d = low_rank(3000, 30, 20, 3, 2.0, 5);
  for (const char* precision : {"float32", "float64"}) {
    SCOPED_TRACE(precision);
    RrrOptions o;
    o.precision = precision;
    ReducedRankRegression m(o);
    m.fit(d.x, d.y);
    EXPECT_EQ(m.rank(), 3);
    EXPECT_EQ(m.rank_curve().predictive_dimensionality, 3);
    EXPECT_EQ(m.rank_curve().ranks.size(), 20u);
    // The fitted subspace spans the planted one: all cosines of principal angles near 1.
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(d.v.transpose() * m.target_subspace());
    EXPECT_GT(svd.singularValues().minCoeff(), 0.99);
    const auto s = m.summary();
    EXPECT_EQ(s["rank"], 3);
    EXPECT_EQ(s["rank_curve"].size(), 20u);
    EXPECT_EQ(s["rank_curve"][2]["rank"], 3);
    for (const char* key : {"model", "n_samples", "n_features", "n_targets", "cv_r2", "cv_r2_mean",
                            "fit_seconds", "alpha", "predictive_dimensionality"})
      EXPECT_TRUE(s.contains(key)) << key;
  }
}

TEST(Rrr, PrimalAndDualAgreeAndRankRuleBestPicksTheMaximum) {
  const LowRank d = low_rank(90, 120, 10, 2, 1.0, 9);
  RrrOptions o;
  o.precision = "float64";
  o.ranks = {1, 2, 4, 8};
  o.rank_rule = "best";
  o.solver = "primal";
  const RankCurve a = rrr_rank_curve(d.x, d.y, o);
  o.solver = "dual";
  const RankCurve b = rrr_rank_curve(d.x, d.y, o);
  EXPECT_EQ(a.alpha, b.alpha);
  EXPECT_LT((a.r2 - b.r2).cwiseAbs().maxCoeff(), 1e-9);
  ReducedRankRegression m(o);
  m.fit(d.x, d.y);
  EXPECT_EQ(m.rank(), b.best_rank);
  EXPECT_EQ(b.ranks, (std::vector<std::int64_t>{1, 2, 4, 8}));
}

TEST(Rrr, StateRoundTripPredictsIdentically) {
  const LowRank d = low_rank(200, 12, 9, 2, 1.0, 13);
  RrrOptions o;
  o.ranks = {1, 2, 3};
  ReducedRankRegression m(o);
  m.fit(d.x, d.y);
  const ModelState st = m.state();
  EXPECT_EQ(st.arrays.at("target_subspace").rows(), 9);
  EXPECT_EQ(st.arrays.at("target_subspace").cols(), m.rank());
  EXPECT_EQ(st.arrays.at("source_map").rows(), 12);
  auto r = models().at("rrr")();
  r->load_state(st);
  EXPECT_TRUE(r->state() == st);
  const MatrixF a = m.predict(d.x), b = r->predict(d.x);
  EXPECT_TRUE((a.array() == b.array()).all());
  EXPECT_EQ(r->summary()["rank_curve"], m.summary()["rank_curve"]);
}

TEST(Rrr, BadInputsRaiseTheRightErrors) {
  const LowRank d = low_rank(60, 5, 4, 2, 1.0, 17);
  auto message = [&](const RrrOptions& o) {
    try {
      ReducedRankRegression(o).fit(d.x, d.y);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no ConfigError");
  };
  RrrOptions o;
  o.rank = 5;  // min(p, q) = 4
  EXPECT_NE(message(o).find(
                "linear.rrr: --rank: rank out of range (expected 1 ≤ rank ≤ min(p, q) = 4, got 5)"),
            std::string::npos)
      << message(o);
  o.rank = 0;
  o.ranks = {1, 0};
  EXPECT_NE(message(o).find("--ranks: rank out of range"), std::string::npos);
  o.ranks = {};
  o.rank_rule = "elbow";
  EXPECT_NE(message(o).find("unknown rank rule"), std::string::npos);
  o.rank_rule = "one_se";
  o.alphas = {1.0, -2.0};
  EXPECT_NE(message(o).find("penalty must be positive"), std::string::npos);
  MatrixF xn = d.x;
  xn(0, 0) = std::numeric_limits<float>::infinity();
  EXPECT_THROW(ReducedRankRegression().fit(xn, d.y), ConfigError);
  EXPECT_THROW(ReducedRankRegression().fit(d.x, d.y.topRows(10)), ShapeError);
  EXPECT_THROW(ReducedRankRegression().predict(d.x), ConfigError);
  ReducedRankRegression m;
  m.fit(d.x, d.y);
  EXPECT_THROW(m.predict(d.x.leftCols(2)), ShapeError);
  ModelState st = m.state();
  st.arrays["source_map"] = MatrixD::Zero(3, 1);
  EXPECT_THROW(ReducedRankRegression().load_state(st), ShapeError);
  auto spec = ReducedRankRegression().option_specs();
  EXPECT_THROW(apply_options(spec, {{"ranks", {0, 1}}}, "fit"), ConfigError);
}
