// The joint stimulus + behaviour network on planted problems: neurons driven by both inputs give
// a positive unique contribution for each; an input with no effect gives ≈ 0 within a tolerance
// derived from the fold noise and the parameters the unused path adds. State round trip, bad
// inputs, compute count.

#include <cmath>
#include <functional>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/core/filesystem.hpp"
#include "neurodl/core/random.hpp"
#include "neurodl/io/model_file.hpp"
#include "neurodl/nets/image_net.hpp"
#include "neurodl/nets/joint_net.hpp"
#include "neurodl/nets/registry.hpp"
#include "test_support.hpp"

using namespace neurodl;
using namespace neurodl::nets;

namespace {

constexpr int kSide = 10;
constexpr int kNeurons = 8;

// X = [white-noise image (10×10) | running, pupil]; Y Poisson counts with rate
//   λ = exp(γ·running)·(0.5 + 3·max(0, g_n·x − 0.5)²)
// g_n a unit-norm Gabor (2 orientations, wavelength 4 px, σ 1.4 px) at one of 4 positions.
// Running and pupil are N(0, 1) per presentation; pupil never has an effect, running a
// multiplicative gain γ (0: no effect).
struct Planted {
  MatrixF x, y;
  Planted(std::int64_t t, double gamma, std::uint64_t seed) {
    MatrixD g = MatrixD::Zero(kNeurons, kSide * kSide);
    for (int n = 0; n < kNeurons; ++n) {
      const double theta = (n % 2) * M_PI / 2, cx = 3.0 + 3.5 * ((n / 2) % 2), cy = 3.0 + 3.5 * (n / 4);
      for (int r = 0; r < kSide; ++r)
        for (int c = 0; c < kSide; ++c) {
          const double dx = c - cx, dy = r - cy, u = dx * std::cos(theta) + dy * std::sin(theta);
          g(n, r * kSide + c) = std::exp(-(dx * dx + dy * dy) / (2 * 1.4 * 1.4)) * std::cos(2 * M_PI * u / 4.0);
        }
      g.row(n).normalize();
    }
    Rng rng(seed);
    x.resize(t, kSide * kSide + 2);
    for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(rng.normal());
    const MatrixD drive = x.leftCols(kSide * kSide).cast<double>() * g.transpose();
    y.resize(t, kNeurons);
    for (std::int64_t i = 0; i < t; ++i)
      for (int n = 0; n < kNeurons; ++n) {
        const double d = std::max(0.0, drive(i, n) - 0.5);
        y(i, n) = static_cast<float>(rng.poisson(std::exp(gamma * x(i, kSide * kSide)) * (0.5 + 3.0 * d * d)));
      }
  }
};

JointNetOptions quick() {
  JointNetOptions o;
  o.behavior_columns = 2;
  o.channels = 4;
  o.epochs = 40;
  o.batch = 64;
  o.lr = 1e-2;
  o.patience = 8;
  o.split.folds = 3;
  o.deterministic = true;
  o.device = "cpu";
  return o;
}

// Tolerance for the unique R² of an input without effect. Its path can only fit noise, so the
// difference is the fold-to-fold noise of the paired difference (3 standard errors, from the
// fit itself) plus the expected out-of-sample cost of the extra per-neuron parameters: for a
// model adding m parameters fitted on n rows, E[test MSE] grows by a factor (1 + m/n) (the
// ordinary least-squares result), i.e. R² drops by at most m/n; m = 2·k (additive and gain
// weights per neuron).
double null_tolerance(const nlohmann::json& unique, const JointNetOptions& o, std::int64_t t) {
  const double n_train = static_cast<double>(t) * (1.0 - 1.0 / static_cast<double>(o.split.folds)) * (1 - o.val_fraction);
  return 3.0 * unique["sem"].get<double>() + 2.0 * static_cast<double>(o.behavior_latents) / n_train;
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

TEST(Joint, BothInputsContributeWhenNeuronsDependOnBoth) {
  const std::int64_t t = 1200;
  const Planted d(t, 0.5, 1);
  JointNet model(quick());
  model.fit(d.x, d.y);
  const auto s = model.summary();
  const auto& u = s["unique_r2"];
  std::printf("both: CV R² %.3f; unique stimulus %.3f ± %.3f, behaviour %.3f ± %.3f\n", s["cv_r2_mean"].get<double>(),
              u["stimulus"]["mean"].get<double>(), u["stimulus"]["sem"].get<double>(),
              u["behavior"]["mean"].get<double>(), u["behavior"]["sem"].get<double>());
  // Each contribution is positive beyond both the fold noise and the null tolerance.
  for (const char* input : {"stimulus", "behavior"}) {
    EXPECT_GT(u[input]["mean"].get<double>(), null_tolerance(u[input], model.options(), t)) << input;
    EXPECT_EQ(u[input]["per_target"].size(), static_cast<std::size_t>(kNeurons));
  }
  for (const char* key : {"model", "cv_r2", "cv_r2_mean", "unique_r2", "params", "flops_per_sample", "train_seconds",
                          "energy_j", "behavior_columns", "image_height"})
    EXPECT_TRUE(s.contains(key)) << key;
  EXPECT_EQ(s["params"], model.cost().params());
}

TEST(Joint, AnInputWithoutEffectContributesNothing) {
  const std::int64_t t = 1200;
  const Planted d(t, 0.0, 2);
  JointNet model(quick());
  model.fit(d.x, d.y);
  const auto u = model.summary()["unique_r2"];
  const double tol = null_tolerance(u["behavior"], model.options(), t);
  std::printf("stimulus only: unique stimulus %.3f, behaviour %.4f (tolerance %.4f)\n",
              u["stimulus"]["mean"].get<double>(), u["behavior"]["mean"].get<double>(), tol);
  EXPECT_LT(std::abs(u["behavior"]["mean"].get<double>()), tol);
  EXPECT_GT(u["stimulus"]["mean"].get<double>(), null_tolerance(u["stimulus"], model.options(), t));
}

TEST(Joint, StateRoundTripGivesIdenticalPredictions) {
  const Planted d(200, 0.5, 3);
  auto o = quick();
  o.epochs = 2;
  o.split.folds = 2;
  JointNet model(o);
  model.fit(d.x, d.y);
  const ModelState st = model.state();
  std::int64_t n = 0;
  for (const auto& [key, a] : st.arrays)
    if (key.rfind("param.", 0) == 0) n += a.size();
  EXPECT_EQ(n, model.cost().params());
  test::ScratchDir dir;
  io::write_model(dir / "m.h5", st);
  auto restored = nets::models().at("joint")();
  restored->load_state(io::read_model(dir / "m.h5"));
  const MatrixF a = model.predict(d.x), b = restored->predict(d.x);
  EXPECT_EQ((a - b).cwiseAbs().maxCoeff(), 0.0f);
  EXPECT_EQ(restored->summary()["unique_r2"], model.summary()["unique_r2"]);
}

TEST(Joint, BadInputsAreRefusedWithAMessage) {
  MatrixF x = MatrixF::Random(40, 102), y = MatrixF::Ones(40, 3);
  auto o = quick();
  o.behavior_columns = 0;
  JointNet model(o);
  expect_error<ConfigError>([&] { model.fit(x, y); }, "behavior_columns");
  model.options().behavior_columns = 3;  // 99 image columns: not a square
  expect_error<ShapeError>([&] { model.fit(x, y); }, "not a square image");
  model.options().behavior_columns = 2;
  x(1, 101) = std::nanf("");
  expect_error<ConfigError>([&] { model.fit(x, y); }, "X contains NaN or Inf");
  x(1, 101) = 0;
  expect_error<ConfigError>([&] { (void)model.predict(x); }, "not fitted");
}

TEST(Joint, ComputeCountIsImageNetPlusTheBehaviourPath) {
  JointNetOptions o;
  o.channels = 4;
  o.behavior_hidden = 5;
  o.behavior_latents = 2;
  ImageNetOptions io;
  io.channels = 4;
  const std::int64_t q = 3, pb = 2, k = 2, hh = 5;
  const auto img = image_net_cost(io, 12, 12, q), joint = joint_net_cost(o, 12, 12, pb, q);
  // Behaviour path: Linear(2→5) 15 params, Linear(5→2) 12, skip 4 (no bias), additive and gain
  // readouts q·k each.
  EXPECT_EQ(joint.params(), img.params() + (pb * hh + hh) + (hh * k + k) + pb * k + 2 * q * k);
  EXPECT_EQ(joint.macs(), img.macs() + pb * hh + hh * k + pb * k + 2 * q * k);
}
