// Ridge regression: reference values from scikit-learn (tests/reference/make_ridge_reference.py
// → tests/fixtures/linear/ridge_*.txt), planted weights, invariants and bad inputs.

#include <cmath>
#include <string>

#include <gtest/gtest.h>
#include <Eigen/LU>

#include "neurodl/core/error.hpp"
#include "neurodl/core/random.hpp"
#include "neurodl/core/threads.hpp"
#include "neurodl/eval/splits.hpp"
#include "neurodl/linear/registry.hpp"
#include "neurodl/linear/ridge.hpp"
#include "linear_test_support.hpp"

using namespace neurodl;
using namespace neurodl::linear;
using neurodl::test::read_fixture;
using neurodl::test::rel_err;

namespace {

MatrixF gaussian(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  Rng rng(seed);
  MatrixF m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(rng.normal());
  return m;
}

// Y = X W + 1.5 + σ·noise for a random W (p × q).
struct Planted {
  MatrixF x, y;
  MatrixD w;
};
Planted planted(Eigen::Index n, Eigen::Index p, Eigen::Index q, double sigma, std::uint64_t seed) {
  Planted d;
  d.x = gaussian(n, p, seed);
  d.w = gaussian(p, q, seed + 1).cast<double>();
  const MatrixD noise = gaussian(n, q, seed + 2).cast<double>();
  d.y = ((d.x.cast<double>() * d.w).array() + 1.5 + sigma * noise.array()).matrix().cast<float>();
  return d;
}

// The CV R² grid (penalties × targets) computed the slow, direct way: for every fold and penalty,
// centre with the training means, solve (X_c'X_c + αI) w = X_c'y_c in float64 and sum the squared
// test errors; R² uses the total sum of squares about the mean of all samples.
MatrixD direct_cv_grid(const MatrixF& xf, const MatrixF& yf, const std::vector<double>& alphas,
                       const eval::SplitOptions& split) {
  const MatrixD x = xf.cast<double>(), y = yf.cast<double>();
  const auto folds = eval::time_block_folds(x.rows(), split);
  MatrixD sse = MatrixD::Zero(static_cast<Eigen::Index>(alphas.size()), y.cols());
  for (const auto& f : folds) {
    MatrixD xt(static_cast<Eigen::Index>(f.train.size()), x.cols()), yt(xt.rows(), y.cols());
    for (std::size_t r = 0; r < f.train.size(); ++r) {
      xt.row(static_cast<Eigen::Index>(r)) = x.row(f.train[r]);
      yt.row(static_cast<Eigen::Index>(r)) = y.row(f.train[r]);
    }
    const Eigen::RowVectorXd mx = xt.colwise().mean(), my = yt.colwise().mean();
    xt.rowwise() -= mx;
    yt.rowwise() -= my;
    const MatrixD g = xt.transpose() * xt, xy = xt.transpose() * yt;
    for (std::size_t a = 0; a < alphas.size(); ++a) {
      const MatrixD w =
          (g + alphas[a] * MatrixD::Identity(g.rows(), g.cols())).partialPivLu().solve(xy);
      for (auto i : f.test) {
        const Eigen::RowVectorXd e = y.row(i) - my - (x.row(i) - mx) * w;
        sse.row(static_cast<Eigen::Index>(a)) += e.cwiseAbs2();
      }
    }
  }
  const Eigen::RowVectorXd sst = (y.rowwise() - y.colwise().mean()).colwise().squaredNorm();
  return (1.0 - sse.array().rowwise() / sst.array()).matrix();
}

RidgeOptions fixed(double alpha, const std::string& precision = "float64") {
  RidgeOptions o;
  o.alphas = {alpha};
  o.precision = precision;
  return o;
}

}  // namespace

TEST(Ridge, FixedPenaltyMatchesSklearnPrimalAndDual) {
  for (const char* name : {"ridge_fixed_primal.txt", "ridge_fixed_dual.txt"}) {
    SCOPED_TRACE(name);
    auto fx = read_fixture(name);
    const MatrixF x = fx["x"].cast<float>(), y = fx["y"].cast<float>();
    for (const char* solver : {"primal", "dual", "auto"}) {
      SCOPED_TRACE(solver);
      RidgeOptions o = fixed(fx["alpha"](0, 0));
      o.solver = solver;
      Ridge m(o);
      m.fit(x, y);
      EXPECT_LT(rel_err(m.weights(), fx["weights"]), 1e-5);
      EXPECT_LT(rel_err(m.intercept().transpose(), fx["intercept"]), 1e-5);
      o.standardize = true;
      Ridge s(o);
      s.fit(x, y);
      EXPECT_LT(rel_err(s.weights(), fx["weights_std"]), 1e-5);
      EXPECT_LT(rel_err(s.intercept().transpose(), fx["intercept_std"]), 1e-5);
      o.standardize = false;
      o.fit_intercept = false;
      Ridge z(o);
      z.fit(x, y);
      EXPECT_LT(rel_err(z.weights(), fx["weights_noint"]), 1e-5);
      EXPECT_EQ(z.intercept().cwiseAbs().maxCoeff(), 0.0);
    }
  }
}

TEST(Ridge, CrossValidatedPenaltiesMatchReference) {
  for (const char* name :
       {"ridge_cv_primal.txt", "ridge_cv_dual.txt", "ridge_cv_standardized.txt"}) {
    SCOPED_TRACE(name);
    auto fx = read_fixture(name);
    RidgeOptions o;
    o.alphas.assign(fx["alphas"].data(), fx["alphas"].data() + fx["alphas"].size());
    o.split = {.folds = 3, .blocks = 6, .gap = 2};
    o.standardize = std::string(name).find("standardized") != std::string::npos;
    o.precision = "float64";
    Ridge m(o);
    m.fit(fx["x"].cast<float>(), fx["y"].cast<float>());
    EXPECT_EQ(m.alphas().transpose(), fx["chosen_alphas"].row(0));
    EXPECT_LT((m.cv_r2_grid() - fx["cv_r2_grid"]).cwiseAbs().maxCoeff(), 1e-6);
    EXPECT_LT(rel_err(m.cv_r2().transpose(), fx["cv_r2"]), 1e-5);
    EXPECT_LT(rel_err(m.weights(), fx["weights"]), 1e-5);
    EXPECT_LT(rel_err(m.intercept().transpose(), fx["intercept"]), 1e-5);
    const auto s = m.summary();
    EXPECT_NEAR(s["cv_r2_mean"].get<double>(), fx["cv_r2"].mean(), 1e-6);
  }
}

TEST(Ridge, RecoversPlantedWeightsWithinTheirStandardError) {
  const double sigma = 0.5;
  const Eigen::Index n = 4000, p = 20, q = 10;
  const Planted d = planted(n, p, q, sigma, 7);
  Ridge m;  // default grid, float32
  m.fit(d.x, d.y);
  // OLS standard error of each weight: σ·sqrt(diag((X_c'X_c)⁻¹)); ridge at the chosen small
  // penalty adds a bias ≈ α·w/n, far below it. Allow 5 standard errors.
  const MatrixD xc = d.x.cast<double>().rowwise() - d.x.cast<double>().colwise().mean();
  const Eigen::VectorXd se = (sigma * (xc.transpose() * xc).inverse().diagonal().array().sqrt());
  for (Eigen::Index i = 0; i < p; ++i)
    for (Eigen::Index j = 0; j < q; ++j)
      EXPECT_LT(std::abs(m.weights()(i, j) - d.w(i, j)), 5 * se(i)) << i << "," << j;
  EXPECT_LT((m.intercept().array() - 1.5).abs().maxCoeff(), 5 * sigma / std::sqrt(double(n)) * 3);
  EXPECT_GT(m.cv_r2().minCoeff(), 0.9);
}

// The penalty sweep (ridge_detail.hpp, Sweep) splits the test errors by partial fractions over
// pairs of eigenvalues; equal, zero and nearly equal eigenvalues take other routes. Each design
// below stresses one route; the grid must match the direct solve for 3+ penalties (sweep) and
// for 2 (one product per penalty), in float64 tightly and in float32 to its rounding.
TEST(Ridge, PenaltySweepMatchesDirectSolvesOnHardSpectra) {
  const Eigen::Index n = 400, p = 24, q = 40;
  Rng rng(41);
  std::vector<std::pair<std::string, MatrixF>> designs;
  designs.emplace_back("gaussian", gaussian(n, p, 43));
  MatrixF dup = gaussian(n, p, 47);  // half the columns repeated: λ = 0 twelve times
  dup.rightCols(p / 2) = dup.leftCols(p / 2);
  designs.emplace_back("duplicated columns", dup);
  MatrixF onehot = MatrixF::Zero(n, p);  // each feature on in a stripe of rows: equal λ
  for (Eigen::Index i = 0; i < n; ++i) onehot(i, (i * 7) % p) = 1.0f;
  designs.emplace_back("one-hot", onehot);
  MatrixF close = gaussian(n, p, 53);  // two columns that differ by 1e-4 of noise
  for (Eigen::Index i = 0; i < n; ++i)
    close(i, 1) = close(i, 0) + 1e-4f * static_cast<float>(rng.normal());
  designs.emplace_back("nearly collinear", close);
  MatrixF scaled = gaussian(n, p, 59);  // eigenvalues over eight decades
  for (Eigen::Index j = 0; j < p; ++j) scaled.col(j) *= std::pow(10.0f, -4.0f + 8.0f * j / (p - 1));
  designs.emplace_back("eight decades", scaled);

  const eval::SplitOptions split{.folds = 4, .blocks = 8, .gap = 3};
  for (const auto& [name, x] : designs) {
    SCOPED_TRACE(name);
    const MatrixD w = gaussian(p, q, 61).cast<double>();
    const MatrixF y =
        ((x.cast<double>() * w).array() + 2.0 + gaussian(n, q, 67).cast<double>().array())
            .matrix()
            .cast<float>();
    for (const std::vector<double>& alphas :
         {std::vector<double>{1e-3, 1e-1, 1.0, 10.0, 1e3, 1e5}, std::vector<double>{0.5, 50.0}}) {
      const MatrixD ref = direct_cv_grid(x, y, alphas, split);
      for (const char* precision : {"float64", "float32"}) {
        SCOPED_TRACE(precision);
        RidgeOptions o;
        o.alphas = alphas;
        o.split = split;
        o.precision = precision;
        Ridge m(o);
        m.fit(x, y);
        // Measured: 1.5e-15 (float64) and 2.5e-7 (float32) at most; the bounds leave 10×.
        const double tol = std::string(precision) == "float64" ? 1e-12 : 2e-6;
        EXPECT_LT((m.cv_r2_grid() - ref).cwiseAbs().maxCoeff(), tol) << alphas.size();
        EXPECT_EQ(m.summary()["cv_scoring"], alphas.size() > 2 ? "sweep" : "residuals");
      }
    }
  }
}

TEST(Ridge, PrimalAndDualGiveTheSameCrossValidation) {
  const Planted d = planted(120, 40, 7, 2.0, 11);
  RidgeOptions o;
  o.precision = "float64";
  o.solver = "primal";
  Ridge a(o);
  a.fit(d.x, d.y);
  o.solver = "dual";
  Ridge b(o);
  b.fit(d.x, d.y);
  EXPECT_EQ(a.alphas(), b.alphas());
  EXPECT_LT((a.cv_r2_grid() - b.cv_r2_grid()).cwiseAbs().maxCoeff(), 1e-9);
  EXPECT_LT(rel_err(b.weights(), a.weights()), 1e-9);
  EXPECT_EQ(a.summary()["solver"], "primal");
  EXPECT_EQ(b.summary()["solver"], "dual");
}

TEST(Ridge, ChunkedAndUnchunkedAgree) {
  const Planted d = planted(150, 12, 23, 1.0, 13);
  for (const char* solver : {"primal", "dual"}) {
    RidgeOptions o;
    o.precision = "float64";
    o.solver = solver;
    Ridge a(o);
    a.fit(d.x, d.y);
    o.target_chunk = 5;
    Ridge b(o);
    b.fit(d.x, d.y);
    EXPECT_EQ(a.alphas(), b.alphas());
    EXPECT_LT(rel_err(b.weights(), a.weights()), 1e-12);
    EXPECT_LT((a.cv_r2() - b.cv_r2()).cwiseAbs().maxCoeff(), 1e-12);
  }
}

TEST(Ridge, Float32IsCloseToFloat64) {
  const Planted d = planted(500, 30, 40, 1.0, 17);
  RidgeOptions o;
  o.alphas = {1.0, 100.0};
  Ridge f32(o);
  f32.fit(d.x, d.y);
  o.precision = "float64";
  Ridge f64(o);
  f64.fit(d.x, d.y);
  EXPECT_EQ(f32.alphas(), f64.alphas());
  EXPECT_LT(rel_err(f32.weights(), f64.weights()), 1e-4);
  EXPECT_LT((f32.cv_r2() - f64.cv_r2()).cwiseAbs().maxCoeff(), 1e-4);
}

TEST(Ridge, ThreadCountChangesOnlyRounding) {
  const Planted d = planted(600, 50, 300, 1.0, 19);
  set_num_threads(1);
  Ridge a;
  a.fit(d.x, d.y);
  set_num_threads(2);
  Ridge b;
  b.fit(d.x, d.y);
  set_num_threads(0);
  EXPECT_EQ(a.alphas(), b.alphas());
  EXPECT_LT(rel_err(b.weights(), a.weights()), 1e-5);
}

TEST(Ridge, StateRoundTripPredictsIdentically) {
  const Planted d = planted(200, 15, 9, 1.0, 23);
  for (const char* precision : {"float32", "float64"}) {
    RidgeOptions o;
    o.precision = precision;
    o.split.folds = 4;
    Ridge m(o);
    m.fit(d.x, d.y);
    const ModelState st = m.state();
    EXPECT_EQ(st.arrays.at("weights").rows(), 15);
    EXPECT_EQ(st.arrays.at("intercept").cols(), 9);
    Ridge r;
    r.load_state(st);
    EXPECT_EQ(r.options().precision, precision);
    EXPECT_EQ(r.options().split.folds, 4);
    EXPECT_TRUE(r.state() == st);
    const MatrixF a = m.predict(d.x), b = r.predict(d.x);
    EXPECT_TRUE((a.array() == b.array()).all());
    // Predictions are X·W + b.
    const MatrixD ref = (d.x.cast<double>() * m.weights()).rowwise() + m.intercept().transpose();
    EXPECT_LT(rel_err(a.cast<double>(), ref), 1e-5);
    EXPECT_EQ(r.summary()["cv_r2"], m.summary()["cv_r2"]);
  }
}

TEST(Ridge, SummaryHasTheContractKeys) {
  const Planted d = planted(100, 5, 3, 1.0, 29);
  Ridge m;
  m.fit(d.x, d.y);
  const auto s = m.summary();
  for (const char* key : {"model", "n_samples", "n_features", "n_targets", "cv_r2", "cv_r2_mean",
                          "fit_seconds", "alphas"})
    EXPECT_TRUE(s.contains(key)) << key;
  EXPECT_EQ(s["model"], "ridge");
  EXPECT_EQ(s["n_samples"], 100);
  EXPECT_EQ(s["cv_r2"].size(), 3u);
  EXPECT_EQ(s["alphas"].size(), 3u);
}

TEST(Ridge, RegistryBuildsRidgeAndAppliesOptions) {
  const auto& reg = models();
  ASSERT_TRUE(reg.count("ridge"));
  auto m = reg.at("ridge")();
  EXPECT_EQ(m->name(), "ridge");
  apply_options(
      m->option_specs(),
      {{"alphas", {0.5, 5.0}}, {"folds", 3}, {"solver", "dual"}, {"precision", "float64"}}, "fit");
  const Planted d = planted(60, 4, 2, 1.0, 31);
  m->fit(d.x, d.y);
  EXPECT_EQ(m->summary()["alpha_grid"], nlohmann::json({0.5, 5.0}));
  EXPECT_EQ(m->summary()["solver"], "dual");
  try {
    apply_options(m->option_specs(), {{"solver", "cholesky"}}, "fit");
    FAIL() << "unknown solver accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--solver"), std::string::npos) << e.what();
  }
}

TEST(Ridge, BadInputsRaiseTheRightErrors) {
  const Planted d = planted(50, 4, 3, 1.0, 37);
  auto message = [](auto&& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  MatrixF xn = d.x;
  xn(3, 1) = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(Ridge().fit(xn, d.y), ConfigError);
  EXPECT_NE(message([&] { Ridge().fit(xn, d.y); }).find("linear.ridge: X: X has NaN or Inf"),
            std::string::npos);
  MatrixF yi = d.y;
  yi(0, 0) = std::numeric_limits<float>::infinity();
  EXPECT_THROW(Ridge().fit(d.x, yi), ConfigError);
  EXPECT_THROW(Ridge().fit(d.x, d.y.topRows(49)), ShapeError);
  EXPECT_NE(
      message([&] { Ridge().fit(d.x, d.y.topRows(49)); }).find("expected 50 rows in Y, got 49"),
      std::string::npos);
  EXPECT_THROW(Ridge().fit(MatrixF(0, 4), MatrixF(0, 3)), ShapeError);
  for (double bad : {0.0, -1.0, std::nan("")}) {
    Ridge m(fixed(bad));
    EXPECT_THROW(m.fit(d.x, d.y), ConfigError);
    EXPECT_NE(message([&] { m.fit(d.x, d.y); }).find("--alphas: penalty must be positive"),
              std::string::npos);
  }
  RidgeOptions none;
  none.alphas.clear();
  EXPECT_THROW(Ridge(none).fit(d.x, d.y), ConfigError);
  RidgeOptions folds;
  folds.split.folds = 60;
  EXPECT_THROW(Ridge(folds).fit(d.x, d.y), ConfigError);
  Ridge unfitted;
  EXPECT_THROW(unfitted.predict(d.x), ConfigError);
  EXPECT_THROW(unfitted.state(), ConfigError);
  Ridge m;
  m.fit(d.x, d.y);
  EXPECT_THROW(m.predict(d.x.leftCols(3)), ShapeError);
  ModelState st = m.state();
  st.model = "rrr";
  EXPECT_THROW(Ridge().load_state(st), IoError);
  st = m.state();
  st.arrays["intercept"] = MatrixD::Zero(1, 2);
  EXPECT_THROW(Ridge().load_state(st), ShapeError);
  st = m.state();
  st.arrays.erase("alphas");
  EXPECT_THROW(Ridge().load_state(st), IoError);
}
