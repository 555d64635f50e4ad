// sim spont: shapes, the planted model (rates = softplus(baseline + latents · loadings)), spike
// counts against the rates with Poisson / gamma–Poisson tolerances, predictability of counts from
// rates, the rank of the communication subspace, nonlinear behaviour latents, and the layout of
// areas.

#include <cmath>
#include <string>

#include <gtest/gtest.h>
#include <Eigen/QR>
#include <Eigen/SVD>

#include "neurodl/sim/simulate.hpp"

using namespace neurodl;

namespace {

sim::SimOptions options(std::int64_t units = 60, std::int64_t frames = 6000) {
  sim::SimOptions o;
  o.preset = "spont";
  o.seed = 21;
  o.units = units;
  o.frames = frames;
  return o;
}

double softplus(double x) { return x > 30 ? x : std::log1p(std::exp(x)); }

}  // namespace

TEST(SimSpont, ShapesBehaviourAndUnits) {
  const auto recs = sim::simulate(options());
  ASSERT_EQ(recs.size(), 1u);
  const auto& r = recs[0];
  const std::int64_t T = 6000, N = 60, K = 24;
  EXPECT_EQ(r.kind, ActivityKind::spike_counts);
  EXPECT_EQ(r.activity.rows(), T);
  EXPECT_EQ(r.activity.cols(), N);
  EXPECT_EQ(r.sample_rate_hz, 30.0);
  EXPECT_EQ(r.truth.at("rates").rows(), T);
  EXPECT_EQ(r.truth.at("rates").cols(), N);
  EXPECT_EQ(r.truth.at("latents").cols(), K);
  EXPECT_EQ(r.truth.at("behavior_latents").cols(), 9);
  EXPECT_EQ(r.truth.at("loadings").rows(), K);
  EXPECT_EQ(r.truth.at("loadings").cols(), N);
  EXPECT_EQ(r.truth.at("communication_subspace").rows(), 16);
  EXPECT_EQ(r.truth.at("communication_subspace").cols(), 8);
  EXPECT_EQ(r.metadata.at("behavior_rate_hz"), "60");
  for (const auto* name : {"baseline_drive", "behavior_fraction"})
    EXPECT_EQ(r.truth.at(name).cols(), N) << name;
  EXPECT_TRUE((r.activity.array() >= 0).all());
  EXPECT_TRUE((r.activity.array() == r.activity.array().round()).all());
  const auto& bf = r.truth.at("behavior_fraction");
  EXPECT_TRUE((bf.array() >= 0).all() && (bf.array() <= 1).all());

  // Behaviour: its own 60 Hz clock spanning the frames; speed ≥ 0 with run and rest; pupil > 0.
  const auto& speed = r.behavior_channel("running_speed");
  EXPECT_EQ(speed.unit, "cm/s");
  EXPECT_GE(speed.timestamps_s.back(), r.times_s().back());
  EXPECT_NEAR(speed.timestamps_s[1] - speed.timestamps_s[0], 1.0 / 60.0, 1e-12);
  EXPECT_TRUE((speed.values.array() >= 0).all());
  EXPECT_GT(speed.values.maxCoeff(), 10.0f);
  EXPECT_LT((speed.values.array() < 1.0f).cast<double>().mean(), 0.9);
  EXPECT_TRUE((r.behavior_channel("pupil_area").values.array() > 0).all());
  EXPECT_EQ(r.behavior_channel("face_motion_svd").values.cols(), 8);

  // Areas 1 mm apart, neurons within 250 µm of their area's centre, contiguous blocks of units.
  EXPECT_EQ(r.metadata.at("area_names"), "V1,HVA,M2");
  EXPECT_EQ(r.metadata.at("area.HVA.units"), "20:40");
  EXPECT_EQ(r.metadata.at("area.M2.upstream"), "HVA");
  const char* areas[] = {"V1", "HVA", "M2"};
  for (std::int64_t i = 0; i < N; ++i) {
    const auto& u = r.units[static_cast<size_t>(i)];
    EXPECT_EQ(u.area, areas[i / 20]);
    EXPECT_LE(std::fabs(u.position_um[0] - 1000.0 * static_cast<double>(i / 20)), 250.0);
    EXPECT_LE(std::fabs(u.position_um[1]), 250.0);
    EXPECT_TRUE(u.position_um[2] >= 150 && u.position_um[2] <= 300);
  }
}

TEST(SimSpont, RatesAreSoftplusOfLatentsTimesLoadings) {
  const auto r = sim::simulate(options())[0];
  const MatrixD drive =
      (r.truth.at("latents").cast<double>() * r.truth.at("loadings").cast<double>()).rowwise() +
      r.truth.at("baseline_drive").cast<double>().row(0);
  const auto& rates = r.truth.at("rates");
  double worst = 0;
  for (Eigen::Index t = 0; t < rates.rows(); ++t)
    for (Eigen::Index i = 0; i < rates.cols(); ++i) {
      const double expect = softplus(drive(t, i));
      worst = std::max(worst, std::fabs(rates(t, i) - expect) / (1e-3 + expect));
    }
  EXPECT_LT(worst, 1e-4);
  // Only the own area and the upstream area load on a unit: a V1 unit has no HVA/M2 loadings.
  EXPECT_EQ(r.truth.at("loadings").block(8, 0, 16, 20).cwiseAbs().maxCoeff(), 0.0f);
  EXPECT_GT(r.truth.at("loadings").block(0, 20, 8, 20).cwiseAbs().maxCoeff(), 0.0f);
}

// Σ_t counts is Poisson(Σ_t rate/fs) given the rates (sum of independent Poissons); with a
// gamma–Poisson shape r its variance is Σ(μ + μ²/r). |z| < 5 for every unit.
void expect_counts_match_rates(const Recording& r, double shape) {
  const auto& rates = r.truth.at("rates");
  for (Eigen::Index i = 0; i < rates.cols(); ++i) {
    double observed = 0, expected = 0, var = 0;
    for (Eigen::Index t = 0; t < rates.rows(); ++t) {
      const double mu = rates(t, i) / r.sample_rate_hz;
      observed += r.activity(t, i);
      expected += mu;
      var += mu + (shape > 0 ? mu * mu / shape : 0.0);
    }
    EXPECT_LT(std::fabs(observed - expected) / std::sqrt(var), 5.0)
        << "unit " << i << ": " << observed << " spikes, expected " << expected;
  }
}

TEST(SimSpont, SpikeCountsMatchRatesPoisson) {
  expect_counts_match_rates(sim::simulate(options())[0], 0);
}

TEST(SimSpont, SpikeCountsMatchRatesGammaPoisson) {
  auto o = options();
  o.dispersion = 2.0;
  const auto r = sim::simulate(o)[0];
  expect_counts_match_rates(r, 2.0);
  // Overdispersion is visible: pooled over units, Σ(c − μ)² / Σ(μ + μ²/r) ≈ 1, not Σ(c − μ)²/Σμ.
  double ss = 0, poisson_var = 0, nb_var = 0;
  const auto& rates = r.truth.at("rates");
  for (Eigen::Index t = 0; t < rates.rows(); ++t)
    for (Eigen::Index i = 0; i < rates.cols(); ++i) {
      const double mu = rates(t, i) / 30.0, d = r.activity(t, i) - mu;
      ss += d * d;
      poisson_var += mu;
      nb_var += mu + mu * mu / 2.0;
    }
  EXPECT_NEAR(ss / nb_var, 1.0, 0.1);
  EXPECT_GT(ss / poisson_var, ss / nb_var + 0.02);
}

TEST(SimSpont, CountsArePredictableFromTheRates) {
  // For Poisson counts c = μ + e (E[e | μ] = 0, Var e = μ) the population correlation is
  // ρ = sd(μ) / sqrt(Var μ + E μ). The sample correlation's standard error is at most ~1/sqrt(T);
  // each unit must match within 6/sqrt(T), and rates must carry real signal on average.
  const auto r = sim::simulate(options(60, 9000))[0];
  const auto& rates = r.truth.at("rates");
  const double T = static_cast<double>(rates.rows());
  double mean_rho = 0;
  for (Eigen::Index i = 0; i < rates.cols(); ++i) {
    const Eigen::ArrayXd mu = rates.col(i).cast<double>().array() / 30.0;
    const Eigen::ArrayXd c = r.activity.col(i).cast<double>().array();
    const double var_mu = (mu - mu.mean()).square().mean();
    const double rho = std::sqrt(var_mu / (var_mu + mu.mean()));
    const double cov = ((mu - mu.mean()) * (c - c.mean())).mean();
    const double r_emp = cov / std::sqrt(var_mu * (c - c.mean()).square().mean());
    EXPECT_NEAR(r_emp, rho, 6.0 / std::sqrt(T)) << "unit " << i;
    mean_rho += rho / static_cast<double>(rates.cols());
  }
  EXPECT_GT(mean_rho, 0.2);
}

TEST(SimSpont, CommunicationSubspaceHasTheStatedRank) {
  for (std::int64_t rank : {1, 2, 5}) {
    auto o = options(40, 300);
    o.comm_rank = rank;
    o.areas = 4;
    const auto r = sim::simulate(o)[0];
    const auto& c = r.truth.at("communication_subspace");
    ASSERT_EQ(c.rows(), 24);
    for (int a = 0; a < 3; ++a) {
      const Eigen::MatrixXd block = c.middleRows(8 * a, 8).cast<double>();
      Eigen::JacobiSVD<Eigen::MatrixXd> svd(block);
      const auto s = svd.singularValues();
      for (int k = 0; k < 8; ++k) {
        if (k < rank) {
          EXPECT_GT(s[k], 0.1) << "rank " << rank << " block " << a << " sv " << k;
        } else {
          EXPECT_LT(s[k], 1e-5) << "rank " << rank << " block " << a << " sv " << k;
        }
      }
    }
    EXPECT_EQ(r.metadata.at("area.S1.upstream"), "M2");
  }
  auto o = options(20, 100);
  o.areas = 1;
  o.fs_hz = 5;  // behaviour at 10 Hz
  EXPECT_EQ(sim::simulate(o)[0].metadata.at("behavior_rate_hz"), "10");
  EXPECT_EQ(sim::simulate(o)[0].truth.count("communication_subspace"), 0u);
}

TEST(SimSpont, BehaviourLatentsDependNonlinearlyOnBehaviour) {
  // Regress each behaviour latent on the behaviour resampled to frame times (plus an intercept):
  // behaviour explains part of every latent, and no linear map explains the product latent.
  const auto r = sim::simulate(options(30, 9000))[0];
  const MatrixF b = r.behavior_on_activity_time();
  Eigen::MatrixXd x(b.rows(), b.cols() + 2);
  x.col(0).setOnes();
  x.middleCols(1, b.cols()) = b.cast<double>();
  x.col(1 + b.cols()) = b.col(1).cast<double>().array().log().matrix();  // log pupil too
  const auto& lat = r.truth.at("behavior_latents");
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(x);
  for (Eigen::Index k = 0; k < lat.cols(); ++k) {
    const Eigen::VectorXd y = lat.col(k).cast<double>();
    const Eigen::VectorXd resid = y - x * qr.solve(y);
    const double r2 = 1 - resid.squaredNorm() / (y.array() - y.mean()).square().sum();
    EXPECT_GT(r2, 0.05) << "latent " << k;
    if (k % 3 == 2) {
      EXPECT_LT(r2, 0.95) << "product latent " << k;
    }
  }
}
