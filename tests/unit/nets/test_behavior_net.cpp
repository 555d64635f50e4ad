// behavior-net on planted behaviour → neurons mappings: it must beat reduced-rank regression
// where the mapping is nonlinear and match it where the mapping is linear.

#include <cmath>

#include <gtest/gtest.h>

#include "neurodl/core/random.hpp"
#include "neurodl/eval/metrics.hpp"
#include "neurodl/eval/splits.hpp"
#include "neurodl/linear/rrr.hpp"
#include "neurodl/nets/latent_net.hpp"
#include "neurodl/sim/simulate.hpp"

using namespace neurodl;
using namespace neurodl::nets;

namespace {

constexpr double kNoiseSd = 0.5;

// Behaviour: 3 smooth AR(1) channels (ρ = 0.9, unit variance), like running speed, pupil and a
// face-motion component. Two latents of the current sample, read out to 40 neurons with unit
// signal variance and N(0, 0.5²) noise (R² ceiling 1/1.25 = 0.8).
//   nonlinear: z₁ = max(0, x₀ − 0.5) (a running threshold), z₂ = x₁·x₂ (an interaction)
//   linear:    z₁ = x₀ + 0.5·x₁,       z₂ = x₂ − 0.3·x₀
struct Behavior {
  MatrixF x, y;
  Behavior(bool nonlinear, std::uint64_t seed, std::int64_t t = 1500) {
    Rng rng(seed);
    x.resize(t, 3);
    const double rho = 0.9, innov = std::sqrt(1 - rho * rho);
    Eigen::Vector3d s(rng.normal(), rng.normal(), rng.normal());
    for (std::int64_t i = 0; i < t; ++i) {
      for (int c = 0; c < 3; ++c) s(c) = rho * s(c) + innov * rng.normal();
      x.row(i) = s.cast<float>().transpose();
    }
    MatrixD z(t, 2);
    for (std::int64_t i = 0; i < t; ++i) {
      const double a = x(i, 0), b = x(i, 1), c = x(i, 2);
      z(i, 0) = nonlinear ? std::max(0.0, a - 0.5) : a + 0.5 * b;
      z(i, 1) = nonlinear ? b * c : c - 0.3 * a;
    }
    for (int c = 0; c < 2; ++c) {
      const double m = z.col(c).mean();
      z.col(c) = (z.col(c).array() - m) / std::sqrt((z.col(c).array() - m).square().mean());
    }
    MatrixD w(2, 40);
    for (int j = 0; j < 40; ++j) {
      const double angle = rng.uniform(0, 2 * M_PI);
      w(0, j) = std::cos(angle), w(1, j) = std::sin(angle);
    }
    MatrixD yd = z * w;
    for (Eigen::Index i = 0; i < yd.size(); ++i) yd.data()[i] += kNoiseSd * rng.normal();
    y = yd.cast<float>();
  }
};

LatentNetOptions quick() {
  LatentNetOptions o;
  o.latents = 2;
  o.hidden = 32;
  o.channels = 8;
  o.kernel = 3;
  o.window = 9;
  o.epochs = 80;
  o.batch = 64;
  o.lr = 1e-2;
  o.patience = 10;
  o.split.folds = 3;
  o.deterministic = true;
  o.device = "cpu";
  return o;
}

}  // namespace

TEST(BehaviorNet, BeatsRrrOnANonlinearMapping) {
  const Behavior d(true, 1);
  BehaviorNet net(quick());
  net.fit(d.x, d.y);
  const auto& c = net.curve();
  std::printf("nonlinear: behavior-net %.3f ± %.3f, rrr(2) %.3f (ceiling 0.8)\n", c.r2_mean[0], c.r2_sem[0],
              c.rrr_r2_mean[0]);
  // RRR sees the linear part of the threshold only and none of the interaction (zero linear
  // correlation); the network recovers at least three quarters of the ceiling (the margin
  // covers ~3 fold SEs of ~0.04).
  EXPECT_GT(c.r2_mean[0], c.rrr_r2_mean[0] + 0.3);
  EXPECT_GT(c.r2_mean[0], 0.8 * 0.75);
}

TEST(BehaviorNet, MatchesRrrOnALinearMapping) {
  const Behavior d(false, 2);
  BehaviorNet net(quick());
  net.fit(d.x, d.y);
  const auto& c = net.curve();
  std::printf("linear: behavior-net %.3f ± %.3f, rrr(2) %.3f (ceiling 0.8)\n", c.r2_mean[0], c.r2_sem[0],
              c.rrr_r2_mean[0]);
  // Tolerance 0.02 R²: RRR is the right model here and near the ceiling; the network carries
  // the rank-2 linear model in its skip path, and pays only for fitting extra parameters on
  // ~900 training samples (the fold SE is ~0.01).
  EXPECT_GT(c.r2_mean[0], c.rrr_r2_mean[0] - 0.02);
  EXPECT_LT(c.r2_mean[0], c.rrr_r2_mean[0] + 0.02);
}

// The same comparison on the simulator's spont preset: X = the recorded behaviour channels
// (running speed, pupil area, 8 face-motion components, resampled onto frame times), Y = 9
// targets of rank 3 with unit signal variance plus N(0, 0.5²) noise (R² ceiling 0.8), either
//   nonlinear: mixtures of V1's three behaviour latents (a tanh, a running threshold and a product
//              of projections of the behaviour features, docs/simulator.md), or
//   linear:    mixtures of three random linear projections of the standardised channels.
// Reduced-rank regression at rank 3 (with the ridge penalty fit() chose for it) is refitted on
// each of the same folds. Tolerances: 3 standard errors of the paired per-fold difference (the
// folds differ in how much running they contain, a spread both models share and the pairing
// removes); matching also allows the price of the network's extra parameters: fitting P more
// parameters to n·q noisy values raises the expected test MSE by σ²·P/(n·q) (the least-squares
// excess risk), i.e. lowers R² by (1 − R²)·P/(n·q) at most.
namespace {

struct SpontTargets {
  MatrixF x, y;
  SpontTargets(bool nonlinear, std::uint64_t seed) {
    sim::SimOptions so;
    so.seed = seed;
    so.units = 16;
    so.frames = 3000;
    const Recording rec = sim::simulate(so)[0];
    x = rec.behavior_on_activity_time();
    Rng rng(seed, 99);
    MatrixD z(x.rows(), 3);
    if (nonlinear) {
      z = rec.truth.at("behavior_latents").leftCols(3).cast<double>();
    } else {
      MatrixD xs = x.cast<double>();
      for (Eigen::Index c = 0; c < xs.cols(); ++c) {
        const double m = xs.col(c).mean();
        xs.col(c) = (xs.col(c).array() - m) / std::sqrt((xs.col(c).array() - m).square().mean());
      }
      MatrixD a(xs.cols(), 3);
      for (Eigen::Index i = 0; i < a.size(); ++i) a.data()[i] = rng.normal();
      z = xs * a;
    }
    MatrixD m(3, 9);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = rng.normal();
    MatrixD s = z * m;
    for (Eigen::Index c = 0; c < s.cols(); ++c) {
      const double mu = s.col(c).mean();
      s.col(c) = (s.col(c).array() - mu) / std::sqrt((s.col(c).array() - mu).square().mean());
    }
    for (Eigen::Index i = 0; i < s.size(); ++i) s.data()[i] += kNoiseSd * rng.normal();
    y = s.cast<float>();
  }
};

LatentNetOptions spont_options() {
  LatentNetOptions o = quick();
  o.latents = 3;
  o.split.folds = 4;
  return o;
}

}  // namespace

TEST(BehaviorNet, OnTheSpontPresetBeatsRrrWhereNonlinearAndMatchesItWhereLinear) {
  for (const bool nonlinear : {true, false}) {
    const SpontTargets d(nonlinear, 5);
    BehaviorNet net(spont_options());
    net.fit(d.x, d.y);
    const auto& c = net.curve();
    const auto folds = eval::time_block_folds(d.x.rows(), net.options().split);
    std::vector<double> diffs;
    for (std::size_t f = 0; f < folds.size(); ++f) {
      linear::RrrOptions ro;
      ro.rank = 3;
      ro.alphas = {c.rrr_alpha};
      linear::ReducedRankRegression rrr(ro);
      const auto& tr = folds[f].train;
      const auto& te = folds[f].test;
      const MatrixF xtr = d.x(tr, Eigen::all), ytr = d.y(tr, Eigen::all), xte = d.x(te, Eigen::all),
                    yte = d.y(te, Eigen::all);
      rrr.fit(xtr, ytr);
      diffs.push_back(c.r2_folds[0][f] - eval::r2_score(yte, rrr.predict(xte)).mean());
    }
    double diff = 0, var = 0;
    for (double v : diffs) diff += v / static_cast<double>(diffs.size());
    for (double v : diffs) var += (v - diff) * (v - diff) / static_cast<double>(diffs.size() - 1);
    const double se = std::sqrt(var / static_cast<double>(diffs.size()));
    std::printf("spont %s: behavior-net %.3f ± %.3f, rrr(3) %.3f ± %.3f (ceiling 0.8); paired fold difference %.3f ± %.3f\n",
                nonlinear ? "nonlinear" : "linear", c.r2_mean[0], c.r2_sem[0], c.rrr_r2_mean[0], c.rrr_r2_sem[0], diff, se);
    if (nonlinear) {
      EXPECT_GT(diff, 3 * se);
    } else {
      const double n_fit = static_cast<double>(folds[0].train.size()) * (1 - net.options().val_fraction);
      const auto extra = static_cast<double>(net.cost().params() - 3 * (d.x.cols() + d.y.cols()));
      const double price = (1 - c.rrr_r2_mean[0]) * extra / (n_fit * static_cast<double>(d.y.cols()));
      std::printf("  tolerance 3·%.4f + %.4f (the price of %.0f extra parameters)\n", se, price, extra);
      EXPECT_LT(std::abs(diff), 3 * se + price);
    }
  }
}
