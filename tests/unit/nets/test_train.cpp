// The training engine: finite-difference gradient checks of the latent module (float64), the
// losses against hand-computed values, windowed batches, determinism with a seed, and
// checkpoint/resume equality with an uninterrupted run.

#include <cmath>
#include <fstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "neurodl/core/error.hpp"
#include "neurodl/core/filesystem.hpp"
#include "neurodl/core/random.hpp"
#include "neurodl/nets/architectures.hpp"
#include "neurodl/nets/train.hpp"
#include "test_support.hpp"

using namespace neurodl;
using namespace neurodl::nets;

namespace {

MatrixF gaussian(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  Rng rng(seed);
  MatrixF m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(rng.normal());
  return m;
}

// Central differences of the scalar loss w.r.t. every parameter entry, in float64, against
// autograd. Step h = 1e-6 gives truncation error O(h²) ≈ 1e-12 and rounding error
// O(ε/h) ≈ 1e-10 relative, so 1e-6 relative agreement is a strict test.
void gradient_check(LatentModule& net, const torch::Tensor& x, const torch::Tensor& y, Loss loss) {
  net.to(torch::kFloat64);
  auto f = [&] { return loss_value(loss, net.forward(x), y); };
  net.zero_grad();
  f().backward();
  torch::NoGradGuard no_grad;
  for (auto& item : net.named_parameters()) {
    auto p = item.value();
    auto grad = p.grad().clone();
    auto flat = p.view({-1});
    const double h = 1e-6;
    for (std::int64_t i = 0; i < flat.numel(); ++i) {
      const double orig = flat[i].item<double>();
      flat[i] = orig + h;
      const double up = f().item<double>();
      flat[i] = orig - h;
      const double down = f().item<double>();
      flat[i] = orig;
      const double numeric = (up - down) / (2 * h);
      const double analytic = grad.view({-1})[i].item<double>();
      EXPECT_NEAR(analytic, numeric, 1e-6 * std::max(1.0, std::abs(numeric))) << item.key() << "[" << i << "]";
    }
  }
}

}  // namespace

TEST(NetsGradient, BottleneckMlpMatchesFiniteDifferences) {
  torch::manual_seed(1);
  LatentModuleShape s{.p = 4, .q = 3, .k = 2, .hidden = 5, .mlp_decoder = true};
  LatentModule net(s);
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  net.to(torch::kFloat64);
  net.set_scaling(torch::rand({4}, opts), torch::rand({4}, opts) + 0.5, torch::rand({3}, opts), torch::rand({3}, opts) + 0.5);
  gradient_check(net, torch::randn({6, 4}, opts), torch::randn({6, 3}, opts), Loss::mse);
}

TEST(NetsGradient, BehaviorConvPoissonMatchesFiniteDifferences) {
  torch::manual_seed(2);
  LatentModuleShape s{.p = 3, .q = 2, .k = 2, .hidden = 4, .positive = true, .window = 7, .now = 3, .channels = 2, .kernel = 3};
  LatentModule net(s);
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  net.to(torch::kFloat64);
  net.set_scaling(torch::zeros({3}, opts), torch::ones({3}, opts), torch::full({2}, 2.0, opts), torch::ones({2}, opts));
  gradient_check(net, torch::randn({5, 3, 7}, opts), torch::poisson(torch::full({5, 2}, 2.0, opts)), Loss::poisson);
}

TEST(NetsLoss, ValuesMatchHandComputation) {
  auto yhat = torch::tensor({{1.0, 2.0}, {3.0, 0.5}}, torch::kFloat64);
  auto y = torch::tensor({{0.0, 2.0}, {1.0, 1.0}}, torch::kFloat64);
  // MSE: (1 + 0 + 4 + 0.25)/4.
  EXPECT_NEAR(loss_value(Loss::mse, yhat, y).item<double>(), 5.25 / 4, 1e-12);
  // Gaussian with variances (2, 0.5): (1/2 + 0 + 4/2 + 0.25/0.5)/4 · ½.
  auto var = torch::tensor({{2.0, 0.5}}, torch::kFloat64);
  EXPECT_NEAR(loss_value(Loss::gaussian, yhat, y, var).item<double>(), 0.5 * 3.0 / 4, 1e-12);
  // Poisson: mean of λ − y·log(λ + 1e-8).
  const double expect = (1.0 - 0.0 + 2.0 - 2.0 * std::log(2.0 + 1e-8) + 3.0 - std::log(3.0 + 1e-8) + 0.5 -
                         std::log(0.5 + 1e-8)) / 4;
  EXPECT_NEAR(loss_value(Loss::poisson, yhat, y).item<double>(), expect, 1e-12);
  EXPECT_THROW(loss_from_string("l1"), ConfigError);
}

TEST(NetsData, WindowsAreIndexedViewsWithEdgeRows) {
  MatrixF x(5, 2), y(5, 1);
  for (int t = 0; t < 5; ++t) x(t, 0) = static_cast<float>(t), x(t, 1) = static_cast<float>(10 * t), y(t, 0) = static_cast<float>(t);
  WindowedData centred(x, y, 1, 1, torch::kCPU);
  auto w = centred.inputs(torch::tensor({0, 2, 4}, torch::kInt64));
  ASSERT_EQ(w.sizes(), (std::vector<std::int64_t>{3, 2, 3}));
  // Row 2: samples 1, 2, 3; row 0 repeats sample 0 on its left; row 4 repeats sample 4.
  EXPECT_EQ(w[1][0][0].item<float>(), 1.0f);
  EXPECT_EQ(w[1][1][2].item<float>(), 30.0f);
  EXPECT_EQ(w[0][0][0].item<float>(), 0.0f);
  EXPECT_EQ(w[2][1][2].item<float>(), 40.0f);
  WindowedData causal(x, y, 2, 0, torch::kCPU);
  auto c = causal.inputs(torch::tensor({3}, torch::kInt64));
  EXPECT_EQ(c[0][0][0].item<float>(), 1.0f);
  EXPECT_EQ(c[0][0][2].item<float>(), 3.0f);
  EXPECT_EQ(causal.targets(torch::tensor({3}, torch::kInt64))[0][0].item<float>(), 3.0f);
  EXPECT_THROW(WindowedData(x, MatrixF(4, 1), 0, 0, torch::kCPU), ShapeError);
}

namespace {

struct Fixture {
  MatrixF x = gaussian(300, 4, 7);
  MatrixF y;
  Fixture() {
    MatrixF w = gaussian(4, 3, 8);
    y = (x * w).array().tanh().matrix() + 0.1f * gaussian(300, 3, 9);
  }
  std::vector<std::int64_t> rows(std::int64_t a, std::int64_t b) const {
    std::vector<std::int64_t> r;
    for (auto i = a; i < b; ++i) r.push_back(i);
    return r;
  }
  std::shared_ptr<LatentModule> net(std::uint64_t seed) const {
    seed_torch(seed, true);
    return std::make_shared<LatentModule>(LatentModuleShape{.p = 4, .q = 3, .k = 2, .hidden = 8});
  }
  TrainOptions options() const {
    TrainOptions o;
    o.epochs = 12;
    o.batch = 32;
    o.lr = 1e-2;
    o.patience = 4;
    o.seed = 3;
    o.deterministic = true;
    return o;
  }
};

bool same_parameters(LatentModule& a, LatentModule& b) {
  auto pa = a.parameters(), pb = b.parameters();
  for (std::size_t i = 0; i < pa.size(); ++i)
    if (!torch::equal(pa[i], pb[i])) return false;
  return true;
}

}  // namespace

TEST(NetsTrain, EqualSeedsGiveIdenticalWeightsInDeterministicMode) {
  Fixture fx;
  WindowedData data(fx.x, fx.y, 0, 0, torch::kCPU);
  auto a = fx.net(5), b = fx.net(5), c = fx.net(6);
  auto ra = train(*a, data, fx.rows(0, 250), fx.rows(250, 300), fx.options());
  auto rb = train(*b, data, fx.rows(0, 250), fx.rows(250, 300), fx.options());
  train(*c, data, fx.rows(0, 250), fx.rows(250, 300), fx.options());
  EXPECT_TRUE(same_parameters(*a, *b));
  EXPECT_FALSE(same_parameters(*a, *c));
  EXPECT_EQ(ra.train_loss, rb.train_loss);
  // The loss went down from the first epoch.
  EXPECT_LT(ra.val_loss[static_cast<std::size_t>(ra.best_epoch)], ra.val_loss.front());
}

TEST(NetsTrain, ResumeFromCheckpointEqualsUninterruptedRun) {
  Fixture fx;
  test::ScratchDir dir;
  WindowedData data(fx.x, fx.y, 0, 0, torch::kCPU);
  for (const std::string schedule : {"plateau", "cosine"}) {
    TrainOptions o = fx.options();
    o.schedule = schedule;
    o.patience = 30;  // no early stop: every epoch runs, so resuming mid-way matters
    auto whole = fx.net(11);
    auto full = train(*whole, data, fx.rows(0, 250), fx.rows(250, 300), o);

    o.checkpoint = (dir / ("run_" + schedule + ".pt")).string();
    auto first = fx.net(11);
    auto part = train(*first, data, fx.rows(0, 250), fx.rows(250, 300), o,
                      {}, [](const EpochReport& r) { return r.epoch < 4; });
    EXPECT_TRUE(part.interrupted);
    EXPECT_EQ(part.epochs_run, 5);
    // A fresh process would build the network with other random weights; resume must not care.
    auto second = fx.net(999);
    auto rest = train(*second, data, fx.rows(0, 250), fx.rows(250, 300), o);
    EXPECT_TRUE(rest.resumed);
    EXPECT_EQ(rest.epochs_run, full.epochs_run);
    EXPECT_EQ(rest.train_loss, full.train_loss) << schedule;
    EXPECT_EQ(rest.val_loss, full.val_loss) << schedule;
    EXPECT_TRUE(same_parameters(*whole, *second)) << schedule;
  }
}

TEST(NetsTrain, BadOptionsAndCorruptCheckpointsAreErrors) {
  Fixture fx;
  test::ScratchDir dir;
  WindowedData data(fx.x, fx.y, 0, 0, torch::kCPU);
  auto net = fx.net(1);
  TrainOptions o = fx.options();
  o.optimizer = "sgd";
  try {
    train(*net, data, fx.rows(0, 10), {}, o);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("nets.train: unknown optimizer (expected adam or adamw, got sgd)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(train(*net, data, {}, {}, fx.options()), ConfigError);
  o = fx.options();
  o.checkpoint = (dir / "bad.pt").string();
  { std::ofstream(o.checkpoint) << "not a checkpoint"; }
  try {
    train(*net, data, fx.rows(0, 10), {}, o);
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot resume from checkpoint"), std::string::npos) << e.what();
  }
}
