// The image network: planted linear–nonlinear neurons with Gabor filters at different positions
// (the structure a shared convolutional core and per-neuron masks express) predicted on held-out
// images better than the mean and at least as well as ridge on the pixels; the state through
// the model file; bad inputs with their messages; the compute count by hand.

#include <cmath>
#include <functional>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/core/filesystem.hpp"
#include "neurodl/core/random.hpp"
#include "neurodl/eval/metrics.hpp"
#include "neurodl/io/model_file.hpp"
#include "neurodl/linear/ridge.hpp"
#include "neurodl/nets/image_net.hpp"
#include "neurodl/nets/registry.hpp"
#include "neurodl/sim/simulate.hpp"
#include "test_support.hpp"

using namespace neurodl;
using namespace neurodl::nets;

namespace {

constexpr int kSide = 12;

// White-noise images (T × 144) and Poisson counts of q neurons. Neuron n has a Gabor filter g_n
// (2 orientations, wavelength 5 px, σ = 1.6 px, unit L2 norm) centred at its own
// position, and rate λ = 3·max(0, g_n·x − 0.5)²  — a thresholded, squaring LN neuron whose
// response a linear read of the pixels captures only in part.
struct Planted {
  MatrixF x, y, rate;
  Planted(std::int64_t t, std::uint64_t seed) {
    const int q = 8;
    MatrixD g = MatrixD::Zero(q, kSide * kSide);
    for (int n = 0; n < q; ++n) {
      const double theta = (n % 2) * M_PI / 2, cx = 3.5 + 5.0 * ((n / 2) % 2), cy = 3.5 + 5.0 * (n / 4);
      for (int r = 0; r < kSide; ++r)
        for (int c = 0; c < kSide; ++c) {
          const double dx = c - cx, dy = r - cy;
          const double u = dx * std::cos(theta) + dy * std::sin(theta);
          g(n, r * kSide + c) = std::exp(-(dx * dx + dy * dy) / (2 * 1.6 * 1.6)) * std::cos(2 * M_PI * u / 5.0);
        }
      g.row(n).normalize();
    }
    Rng rng(seed);
    x.resize(t, kSide * kSide);
    for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(rng.normal());
    const MatrixD drive = x.cast<double>() * g.transpose();
    rate.resize(t, q);
    y.resize(t, q);
    for (Eigen::Index i = 0; i < drive.size(); ++i) {
      const double d = std::max(0.0, drive.data()[i] - 0.5);
      rate.data()[i] = static_cast<float>(3.0 * d * d);
      y.data()[i] = static_cast<float>(rng.poisson(rate.data()[i]));
    }
  }
};

ImageNetOptions quick() {
  ImageNetOptions o;
  o.channels = 4;
  o.epochs = 40;
  o.batch = 64;
  o.lr = 1e-2;
  o.patience = 8;
  o.split.folds = 2;
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

TEST(ImageNet, PredictsHeldOutImagesOfPlantedGaborNeurons) {
  const Planted train(1200, 1), test(400, 2);
  ImageNet model(quick());
  model.fit(train.x, train.y);
  const MatrixF pred = model.predict(test.x);
  const double net_r2 = eval::r2_score(test.y, pred).mean();
  // The truth's own R² on the held-out counts is the ceiling (Poisson noise).
  const double ceiling = eval::r2_score(test.y, test.rate).mean();
  linear::Ridge ridge;
  ridge.fit(train.x, train.y);
  const double ridge_r2 = eval::r2_score(test.y, ridge.predict(test.x)).mean();
  const auto s = model.summary();
  std::printf("held-out R²: net %.3f  ridge %.3f  truth %.3f;  CV R² %.3f, CV corr %.3f\n", net_r2, ridge_r2, ceiling,
              s["cv_r2_mean"].get<double>(), s["cv_corr_mean"].get<double>());
  // Better than the mean (R² 0) by a wide margin, within reach of the ceiling, and not worse than
  // a linear read of the pixels (which misses the threshold and the square).
  EXPECT_GT(net_r2, 0.5 * ceiling);
  EXPECT_LE(net_r2, ceiling + 0.02);
  EXPECT_GT(net_r2, ridge_r2 + 0.1);
  EXPECT_GT(s["cv_r2_mean"].get<double>(), 0.4 * ceiling);
  EXPECT_GT(s["cv_corr_mean"].get<double>(), 0.5);
  for (const char* key : {"model", "n_samples", "n_features", "n_targets", "image_height", "image_width", "cv_r2",
                          "cv_r2_mean", "cv_corr", "cv_corr_mean", "params", "macs_per_sample", "flops_per_sample",
                          "compute", "train_seconds", "inference_seconds", "energy_j", "r2_per_mflop", "fit_seconds"})
    EXPECT_TRUE(s.contains(key)) << key;
  EXPECT_EQ(s["image_height"], kSide);
  EXPECT_EQ(s["params"], model.cost().params());
}

TEST(ImageNet, StateRoundTripGivesIdenticalPredictions) {
  const Planted d(200, 3);
  auto o = quick();
  o.epochs = 3;
  ImageNet model(o);
  model.fit(d.x, d.y);
  const ModelState st = model.state();
  // Parameters in the state add up to the counted parameters.
  std::int64_t n = 0;
  for (const auto& [key, a] : st.arrays)
    if (key.rfind("param.", 0) == 0) n += a.size();
  EXPECT_EQ(n, model.cost().params());
  test::ScratchDir dir;
  io::write_model(dir / "m.h5", st);
  auto restored = nets::models().at("image-net")();
  restored->load_state(io::read_model(dir / "m.h5"));
  const MatrixF a = model.predict(d.x), b = restored->predict(d.x);
  EXPECT_EQ((a - b).cwiseAbs().maxCoeff(), 0.0f);
  EXPECT_EQ(restored->summary()["cv_r2_mean"], model.summary()["cv_r2_mean"]);
}

TEST(ImageNet, BadInputsAreRefusedWithAMessage) {
  MatrixF x = MatrixF::Random(40, 150), y = MatrixF::Ones(40, 3);
  ImageNet model(quick());
  expect_error<ShapeError>([&] { model.fit(x, y); }, "not a square image");
  model.options().image_height = 7;  // 150 / 7 is not whole
  expect_error<ShapeError>([&] { model.fit(x, y); }, "image_height × image_width");
  x = MatrixF::Random(40, 144);
  model.options().image_height = 0;
  model.options().kernel = 13;  // larger than 12 px
  expect_error<ConfigError>([&] { model.fit(x, y); }, "receptive field");
  model.options().kernel = 5;
  x(3, 7) = std::nanf("");
  expect_error<ConfigError>([&] { model.fit(x, y); }, "X contains NaN or Inf");
  x(3, 7) = 0;
  y(0, 0) = -1;
  expect_error<ConfigError>([&] { model.fit(x, y); }, "Poisson loss needs counts");
  expect_error<ConfigError>([&] { (void)model.predict(x); }, "not fitted");
  MatrixF y_short = MatrixF::Ones(39, 3);
  expect_error<ShapeError>([&] { model.fit(x, y_short); }, "row counts differ");
}

TEST(ImageNet, ComputeCountEqualsHandCount) {
  // 12×12 image, 2 layers of C = 4 channels, kernels 5 then 3, q = 3 neurons, Poisson output.
  ImageNetOptions o;
  o.channels = 4;
  const auto c = image_net_cost(o, 12, 12, 3);
  // conv1: 1→4, 5×5 over 12×12 → 8×8: 4·25 MACs at 64 positions = 6400; params 100 + 4.
  // conv2: 4→4, 3×3 over 8×8 → 6×6: 4·4·9·36 = 5184 MACs; params 144 + 4.
  // readout mask: 3 neurons × 36 positions (params 108), 3·4·36 = 432 MACs, 3·4·(2·36 − 1) FLOPs;
  // feature weights 3·4 + bias 3 (params 15), 12 MACs, 24 FLOPs.
  const std::int64_t macs = 6400 + 5184 + 432 + 12;
  const std::int64_t elementwise = 2 * 144 + 4 * 64 + 4 * 36 + 3;  // scaling, 2 ELUs, softplus
  EXPECT_EQ(c.params(), 104 + 148 + 108 + 15);
  EXPECT_EQ(c.macs(), macs);
  EXPECT_EQ(c.flops(), 2 * (6400 + 5184) + 3 * 4 * 71 + 24 + elementwise);
  const auto conv = conv2d_cost("c", 2, 3, 3, 2, 5, 4);  // → 3×3 outputs
  EXPECT_EQ(conv.params, 2 * 3 * 6 + 3);
  EXPECT_EQ(conv.macs, 2 * 3 * 6 * 9);
  EXPECT_EQ(conv.flops, 2 * conv.macs);
}

// FEVE on the simulator's images preset: the noise ceiling that image-net reports from repeated
// presentations must match the simulator's analytic one (docs/simulator.md) for responses
// summed over the stimulus-on frames, and cv_r2 = FEVE · noise ceiling (both are 1 − MSE over a
// variance; they differ only by the ddof of the variances).
TEST(ImageNet, NoiseCeilingFromRepeatsMatchesTheSimulatorsAnalyticCeiling) {
  sim::SimOptions so;
  so.preset = "images";
  so.seed = 4;
  so.units = 40;
  so.n_images = 60;
  so.repeats = 10;
  so.image_px = 16;
  const Recording rec = sim::simulate(so)[0];
  const std::int64_t trial = std::stoll(rec.metadata.at("trial_frames")), on = std::stoll(rec.metadata.at("on_frames"));
  const std::int64_t n_trials = static_cast<std::int64_t>(rec.stimuli.events.size()), n = rec.n_units();
  MatrixF x(n_trials, rec.stimuli.images.cols()), y = MatrixF::Zero(n_trials, n);
  for (std::int64_t p = 0; p < n_trials; ++p) {
    x.row(p) = rec.stimuli.images.row(rec.stimuli.events[static_cast<std::size_t>(p)].stimulus_id);
    for (std::int64_t j = 0; j < on; ++j) y.row(p) += rec.activity.row(p * trial + j);  // [onset, offset)
  }
  // Analytic ceiling for the on-window count: μ_s = Σ_{j<on} softplus(β + α z_s κ_j)/fs, then
  // Var_s μ / (Var_s μ + E_s μ + Var(g)·E_s μ²) with Var(g) = e^{σ_g²} − 1.
  const double dt = 1.0 / rec.sample_rate_hz, var_g = std::expm1(0.3 * 0.3);
  const auto& z = rec.truth.at("stimulus_drive");
  const auto& kappa = rec.truth.at("temporal_kernel");
  double analytic = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double beta = rec.truth.at("baseline_drive")(0, i), alpha = rec.truth.at("stimulus_gain")(0, i);
    double m1 = 0, m2 = 0;
    for (std::int64_t s = 0; s < so.n_images; ++s) {
      double mu = 0;
      for (std::int64_t j = 0; j < on; ++j) mu += std::log1p(std::exp(beta + alpha * z(s, i) * kappa(j, i))) * dt;
      m1 += mu / static_cast<double>(so.n_images);
      m2 += mu * mu / static_cast<double>(so.n_images);
    }
    const double var_s = m2 - m1 * m1;
    analytic += var_s / (var_s + m1 + var_g * m2) / static_cast<double>(n);
  }
  ImageNetOptions o = quick();
  o.channels = 8;
  o.epochs = 30;
  o.batch = 32;
  o.lr = 5e-3;
  o.split.folds = 3;
  ImageNet model(o);
  model.fit(x, y);
  const auto s = model.summary();
  const double fev = s["noise_ceiling_mean"].get<double>(), feve = s["feve_mean"].get<double>();
  // Sampling error of the estimate: FEV = 1 − σ²_noise/σ²_total with σ²_noise on S(R − 1) and
  // σ²_total on SR − 1 degrees of freedom; relative s.e. of a variance √(2/dof) (Gaussian; the
  // Poisson counts' excess kurtosis is small at these means), so s.e.(FEV) ≈ (1 − FEV)·
  // √(2/(S(R−1)) + 2/(SR)) per neuron, averaged over N neurons whose noise is nearly independent
  // (the shared trial gain is ~10% of it): 3 s.e. of the mean, doubled for the correlation.
  const double sr = static_cast<double>(so.n_images * so.repeats);
  const double se = (1 - analytic) * std::sqrt(2 / (sr - static_cast<double>(so.n_images)) + 2 / sr) /
                    std::sqrt(static_cast<double>(n));
  std::printf("noise ceiling: estimated %.3f, analytic %.3f (tolerance %.3f); FEVE %.3f, CV R² %.3f, single-trial r %.3f\n",
              fev, analytic, 6 * se, feve, s["cv_r2_mean"].get<double>(), s["cv_corr_mean"].get<double>());
  EXPECT_EQ(s["repeated_stimuli"], so.n_images);
  EXPECT_NEAR(fev, analytic, 6 * se);
  EXPECT_GT(feve, 0.3);
  EXPECT_LT(feve, 1.1);
  for (std::int64_t i = 0; i < n; ++i) {
    const double r2 = s["cv_r2"][i].get<double>(), f = s["feve"][i].get<double>(), c = s["noise_ceiling"][i].get<double>();
    EXPECT_NEAR(r2, f * c, 0.01 * std::max(1.0, std::abs(r2))) << "neuron " << i;
  }
}
