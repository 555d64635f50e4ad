// The bottleneck model: a planted nonlinear 2-D latent mapping recovered with the right k and
// beating reduced-rank regression at the same rank, the state through the model file, and bad
// inputs with their messages.

#include <cmath>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/core/filesystem.hpp"
#include "neurodl/core/random.hpp"
#include "neurodl/io/model_file.hpp"
#include "neurodl/nets/latent_net.hpp"
#include "neurodl/nets/registry.hpp"
#include "test_support.hpp"

using namespace neurodl;
using namespace neurodl::nets;

namespace {

constexpr double kNoiseSd = 0.3;

// X (T × 10) Gaussian; two latents through nonlinearities, z₁ = tanh(1.5·a·x) and
// z₂ = (b·x)² − 1 (uncorrelated with every linear function of x), read out to 50 targets with
// unit-variance signal and N(0, 0.3²) noise: the noise ceiling of R² is 1/(1 + 0.09) ≈ 0.917.
// A linear model can use z₁'s linear part only, so RRR at rank 2 falls well short.
struct Planted {
  MatrixF x, y;
  explicit Planted(std::int64_t t = 1200, std::uint64_t seed = 1) {
    Rng rng(seed);
    const int p = 10, q = 50;
    x.resize(t, p);
    for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(rng.normal());
    Eigen::VectorXd a(p), b(p);
    for (int j = 0; j < p; ++j) a(j) = rng.normal(), b(j) = rng.normal();
    a.normalize();
    b -= b.dot(a) * a;
    b.normalize();
    MatrixD z(t, 2);
    for (std::int64_t i = 0; i < t; ++i) {
      const Eigen::VectorXd xi = x.row(i).cast<double>().transpose();
      z(i, 0) = std::tanh(1.5 * a.dot(xi));
      z(i, 1) = std::pow(b.dot(xi), 2) - 1.0;
    }
    for (int c = 0; c < 2; ++c) z.col(c) = (z.col(c).array() - z.col(c).mean()) / std::sqrt((z.col(c).array() - z.col(c).mean()).square().mean());
    MatrixD w(2, q);
    for (int j = 0; j < q; ++j) {
      const double angle = rng.uniform(0, 2 * M_PI);
      w(0, j) = std::cos(angle), w(1, j) = std::sin(angle);  // unit signal variance per target
    }
    MatrixD yd = z * w;
    for (Eigen::Index i = 0; i < yd.size(); ++i) yd.data()[i] += kNoiseSd * rng.normal();
    y = yd.cast<float>();
  }
};

LatentNetOptions quick() {
  LatentNetOptions o;
  o.hidden = 32;
  o.epochs = 80;
  o.batch = 64;
  o.lr = 1e-2;
  o.patience = 10;
  o.split.folds = 3;
  o.deterministic = true;
  o.device = "cpu";
  return o;
}

template <class E>
void expect_error(const std::function<void()>& f, const std::string& text) {
  try {
    f();
    FAIL() << "expected an error containing: " << text;
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(Bottleneck, RecoversPlantedTwoDimensionalNonlinearMapping) {
  const Planted d;
  const LatentCurve c = bottleneck_sweep(d.x, d.y, {1, 2, 3, 4}, quick());
  ASSERT_EQ(c.ks, (std::vector<std::int64_t>{1, 2, 3, 4}));
  const double ceiling = 1.0 / (1.0 + kNoiseSd * kNoiseSd);
  for (std::size_t i = 0; i < c.ks.size(); ++i)
    std::printf("k=%lld  net %.3f ± %.3f   rrr %.3f\n", static_cast<long long>(c.ks[i]), c.r2_mean[i], c.r2_sem[i],
                c.rrr_r2_mean[i]);
  // One latent can carry only one of the two planted latents (each half of the signal).
  EXPECT_LT(c.r2_mean[0], 0.6 * ceiling);
  // Two latents reach near the noise ceiling, and more add nothing beyond fold noise.
  EXPECT_GT(c.r2_mean[1], 0.85 * ceiling);
  EXPECT_LT(std::abs(c.r2_mean[3] - c.r2_mean[1]), 0.03);
  EXPECT_EQ(c.chosen_k, 2);
  // RRR at rank 2 sees only the linear part of tanh; the quadratic latent is invisible to it.
  ASSERT_EQ(c.rrr_ranks.size(), 4u);
  EXPECT_GT(c.r2_mean[1], c.rrr_r2_mean[1] + 0.2);
}

TEST(Bottleneck, StateRoundTripsThroughTheModelFile) {
  const Planted d(400, 2);
  LatentNetOptions o = quick();
  o.latents = 2;
  o.epochs = 5;
  o.split.folds = 2;
  Bottleneck model(o);
  model.fit(d.x, d.y);
  const auto s = model.summary();
  for (const char* key : {"model", "n_samples", "n_features", "n_targets", "cv_r2", "cv_r2_mean", "latents",
                          "latent_curve", "rrr_curve", "params", "flops_per_sample", "macs_per_sample",
                          "train_seconds", "inference_seconds", "energy_j", "r2_per_mflop", "r2_per_param",
                          "fit_seconds"})
    EXPECT_TRUE(s.contains(key)) << key;
  EXPECT_EQ(s["latents"], 2);
  EXPECT_EQ(s["params"], model.cost().params());
  EXPECT_DOUBLE_EQ(s["energy_j"].get<double>(), 15.0 * s["train_seconds"].get<double>());
  const ModelState st = model.state();
  ASSERT_EQ(st.arrays.at("latents").rows(), 400);
  ASSERT_EQ(st.arrays.at("latents").cols(), 2);
  test::ScratchDir dir;
  io::write_model(dir / "m.h5", st);
  auto restored = nets::models().at("bottleneck")();
  restored->load_state(io::read_model(dir / "m.h5"));
  const MatrixF a = model.predict(d.x), b = restored->predict(d.x);
  EXPECT_EQ((a - b).cwiseAbs().maxCoeff(), 0.0f);
  EXPECT_EQ(restored->summary()["cv_r2_mean"], s["cv_r2_mean"]);
  EXPECT_TRUE((model.latents(d.x).cast<double>() - st.arrays.at("latents")).cwiseAbs().maxCoeff() < 1e-6);
}

TEST(Bottleneck, BadInputsRaiseTheRightErrors) {
  const Planted d(100, 3);
  LatentNetOptions o = quick();
  o.epochs = 1;
  {
    MatrixF x = d.x;
    x(5, 3) = std::nanf("");
    expect_error<ConfigError>([&] { Bottleneck(o).fit(x, d.y); },
                              "nets.bottleneck: X: X contains NaN or Inf (expected 0 non-finite values, got 1)");
  }
  expect_error<ShapeError>([&] { Bottleneck(o).fit(d.x, d.y.topRows(99)); },
                           "nets.bottleneck: X and Y row counts differ (expected 100, got 99) [samples]");
  o.latents = 0;
  expect_error<ConfigError>([&] { Bottleneck(o).fit(d.x, d.y); },
                            "nets.bottleneck: latents: number of latents k must be at least 1 (expected >= 1, got 0)");
  o.latents = 2;
  o.sweep = {2, -1};
  expect_error<ConfigError>([&] { Bottleneck(o).fit(d.x, d.y); }, "sweep: number of latents k must be at least 1");
  o.sweep = {};
  o.loss = "poisson";
  expect_error<ConfigError>([&] { Bottleneck(o).fit(d.x, d.y); }, "Poisson loss needs counts >= 0");
  expect_error<ConfigError>([&] { Bottleneck().predict(d.x); }, "nets.bottleneck: model is not fitted");
  // The option table rejects k < 1 at the CLI boundary too.
  Bottleneck m;
  expect_error<ConfigError>([&] { apply_options(m.option_specs(), {{"latents", 0}}, "fit --model bottleneck"); },
                            "latents");
  expect_error<ConfigError>([&] { bottleneck_sweep(d.x, d.y, {}, o); }, "no latent counts to sweep");
  o.loss = "mse";
  o.latents = 1;
  Bottleneck fitted(o);
  fitted.fit(d.x, d.y);
  expect_error<ShapeError>([&] { fitted.predict(d.x.leftCols(9)); },
                           "nets.bottleneck: X: X has the wrong number of columns (expected 10, got 9)");
}

// With device "auto" the networks train on a GPU when one is present (on a CPU-only machine this
// is the CPU path again); predict() and the latents take CPU inputs either way. A GPU run of the
// demo once failed here with "tensors on two devices" while every test forced device "cpu".
TEST(Bottleneck, AutoDeviceFitThenPredictOnTheCpu) {
  const Planted d(300, 2);
  LatentNetOptions o = quick();
  o.device = "auto";
  o.latents = 2;
  o.epochs = 3;
  o.split.folds = 2;
  Bottleneck model(o);
  model.fit(d.x, d.y);
  const MatrixF yhat = model.predict(d.x);
  EXPECT_EQ(yhat.rows(), d.x.rows());
  EXPECT_EQ(yhat.cols(), d.y.cols());
  EXPECT_TRUE(yhat.allFinite());
}
