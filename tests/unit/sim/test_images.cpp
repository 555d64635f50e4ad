// sim images: procedural images, the presentation table, the consistency of rates, trial gains
// and mean responses, the behaviour channels and running gain, the stimuli/behavior selection on
// a simulated recording, and the analytic noise ceiling against a Monte-Carlo estimate over many
// repeats (jackknife standard errors), without and with the running gain.

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/io/neurodl_h5.hpp"
#include "neurodl/io/select.hpp"
#include "neurodl/sim/images.hpp"
#include "neurodl/sim/simulate.hpp"
#include "test_support.hpp"

using namespace neurodl;

namespace {

sim::SimOptions options(std::int64_t units, std::int64_t n_images, std::int64_t repeats,
                        double behavior_gain = kNaN) {
  sim::SimOptions o;
  o.preset = "images";
  o.seed = 4;
  o.units = units;
  o.n_images = n_images;
  o.repeats = repeats;
  o.behavior_gain = behavior_gain;
  return o;
}

// Running speed standardised over the recording (population s.d.), as docs/simulator.md defines
// the z-score that the running gain multiplies.
std::vector<double> running_z(const Recording& r) {
  const auto& v = r.behavior_channel("running_speed").values;
  const double mean = v.cast<double>().mean();
  const double sd = std::sqrt((v.cast<double>().array() - mean).square().mean());
  std::vector<double> z(static_cast<size_t>(v.rows()));
  for (Eigen::Index t = 0; t < v.rows(); ++t) z[static_cast<size_t>(t)] = (v(t, 0) - mean) / sd;
  return z;
}

// Spike count of every unit in every trial window (onset to next onset): P × N.
Eigen::MatrixXd window_counts(const Recording& r) {
  const std::int64_t W = std::stoll(r.metadata.at("trial_frames"));
  const auto P = static_cast<Eigen::Index>(r.stimuli.events.size());
  Eigen::MatrixXd c = Eigen::MatrixXd::Zero(P, r.n_units());
  for (Eigen::Index p = 0; p < P; ++p)
    c.row(p) = r.activity.middleRows(p * W, W).cast<double>().colwise().sum();
  return c;
}

}  // namespace

TEST(SimImages, ProceduralImagesAreNormalisedAndDeterministic) {
  const auto a = sim::procedural_images(9, 24, 32, 1), b = sim::procedural_images(9, 24, 32, 1);
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == sim::procedural_images(9, 24, 32, 2));
  ASSERT_EQ(a.rows(), 9);
  ASSERT_EQ(a.cols(), 24 * 32);
  for (Eigen::Index i = 0; i < a.rows(); ++i) {
    const Eigen::ArrayXd v = a.row(i).cast<double>().transpose().array();
    EXPECT_NEAR(v.mean(), 0.0, 1e-5);
    EXPECT_NEAR(std::sqrt((v - v.mean()).square().mean()), 1.0, 1e-4);
  }
  EXPECT_EQ(sim::to_string(sim::ImageKind::grating), "grating");
  // A Gabor at its centre is cos(phase); a grating is periodic along its wave vector.
  const auto g = sim::gabor({.x_px = 5, .y_px = 3, .phase_rad = 0.7, .sigma_px = 2}, 8, 10);
  EXPECT_NEAR(g[3 * 10 + 5], std::cos(0.7), 1e-12);
  const auto gr = sim::gabor({.sf_cyc_per_px = 0.25, .sigma_px = INFINITY}, 4, 8);
  EXPECT_NEAR(gr[1], gr[5], 1e-12);
  EXPECT_THROW(sim::procedural_images(0, 8, 8, 1), ConfigError);
}

TEST(SimImages, ShapesAndPresentationTable) {
  const auto recs = sim::simulate(options(30, 12, 5));
  ASSERT_EQ(recs.size(), 1u);
  const auto& r = recs[0];
  const std::int64_t W = 30, P = 60, N = 30;
  EXPECT_EQ(r.activity.rows(), P * W);
  EXPECT_EQ(r.stimuli.images.rows(), 12);
  EXPECT_EQ(r.stimuli.images.cols(), 32 * 32);
  ASSERT_EQ(static_cast<std::int64_t>(r.stimuli.events.size()), P);
  std::map<std::int64_t, int> seen;
  for (std::int64_t p = 0; p < P; ++p) {
    const auto& e = r.stimuli.events[static_cast<size_t>(p)];
    EXPECT_DOUBLE_EQ(e.onset_s, static_cast<double>(p));
    EXPECT_DOUBLE_EQ(e.offset_s - e.onset_s, 0.5);
    EXPECT_EQ(e.repeat, seen[e.stimulus_id]++);
  }
  for (const auto& [id, n] : seen) EXPECT_EQ(n, 5) << "image " << id;
  EXPECT_EQ(r.truth.at("mean_response").rows(), 12);
  EXPECT_EQ(r.truth.at("mean_response").cols(), N);
  EXPECT_EQ(r.truth.at("noise_ceiling").cols(), N);
  EXPECT_EQ(r.truth.at("receptive_fields").rows(), N);
  EXPECT_EQ(r.truth.at("receptive_fields").cols(), 32 * 32);
  EXPECT_EQ(r.truth.at("trial_gain").rows(), P);
  EXPECT_EQ(r.truth.at("temporal_kernel").rows(), W);
  EXPECT_EQ(r.truth.at("rf_params").cols(), 6);
  for (Eigen::Index i = 0; i < N; ++i)
    EXPECT_NEAR(r.truth.at("receptive_fields").row(i).norm(), 1.0, 1e-5);
  const auto& nc = r.truth.at("noise_ceiling");
  EXPECT_TRUE((nc.array() > 0).all() && (nc.array() < 1).all());
}

TEST(SimImages, RatesEqualGainTimesMeanResponseInEveryTrial) {
  // Σ_frames rate/fs over trial p is exactly g_p · μ(image_p): the stored rates, trial gains and
  // mean responses describe one model.
  const auto r = sim::simulate(options(20, 6, 3))[0];
  const auto& rates = r.truth.at("rates");
  const auto& mu = r.truth.at("mean_response");
  for (size_t p = 0; p < r.stimuli.events.size(); ++p) {
    const auto& e = r.stimuli.events[p];
    const double g = r.truth.at("trial_gain")(static_cast<Eigen::Index>(p), 0);
    for (Eigen::Index i = 0; i < rates.cols(); ++i) {
      const double sum =
          rates.middleRows(static_cast<Eigen::Index>(p) * 30, 30).col(i).cast<double>().sum() /
          30.0;
      EXPECT_NEAR(sum, g * mu(e.stimulus_id, i), 1e-4 * (1 + sum));
    }
  }
}

// Delete-a-group jackknife: `estimate(lo, hi)` recomputes a statistic without the repeats in
// [lo, hi); returns {full estimate, standard error} over `groups` groups of repeats. Because
// whole trials are left out, correlations between units (the shared gain) are accounted for.
template <class F>
std::pair<double, double> jackknife(F&& estimate, std::int64_t reps, int groups = 20) {
  const double full = estimate(0, 0);
  std::vector<double> loo(static_cast<size_t>(groups));
  double mean = 0;
  for (int g = 0; g < groups; ++g) {
    loo[static_cast<size_t>(g)] = estimate(g * reps / groups, (g + 1) * reps / groups);
    mean += loo[static_cast<size_t>(g)] / groups;
  }
  double ss = 0;
  for (double v : loo) ss += (v - mean) * (v - mean);
  return {full, std::sqrt((groups - 1.0) / groups * ss)};
}

// The analytic ceiling without behavioural modulation (generator version 1) and with a running
// gain (then conditional on the recorded behaviour, docs/simulator.md).
class SimImagesMonteCarlo : public ::testing::TestWithParam<double> {};

TEST_P(SimImagesMonteCarlo, MeanResponseNoiseCeilingAndGainMatchMonteCarlo) {
  const std::int64_t S = 6, reps = 1000, N = 40;
  const double behavior_gain = GetParam();
  const auto r = sim::simulate(options(N, S, reps, behavior_gain))[0];
  const auto counts = window_counts(r);
  const auto& mu = r.truth.at("mean_response");
  const auto& nc = r.truth.at("noise_ceiling");
  const double gain_var = std::expm1(0.3 * 0.3);
  // trials[s][k]: the presentation of image s with repeat index k.
  std::vector<std::vector<Eigen::Index>> trials(S, std::vector<Eigen::Index>(reps));
  for (size_t p = 0; p < r.stimuli.events.size(); ++p) {
    const auto& e = r.stimuli.events[p];
    trials[static_cast<size_t>(e.stimulus_id)][static_cast<size_t>(e.repeat)] =
        static_cast<Eigen::Index>(p);
  }

  // Noise ceiling of unit i from the trials outside [lo, hi):
  // 1 − mean_s(unbiased within-image variance) / (population variance over all presentations).
  auto ceiling = [&](Eigen::Index i, std::int64_t lo, std::int64_t hi) {
    double within = 0, sum = 0, sum2 = 0, n = 0;
    for (const auto& ts : trials) {
      double s = 0, s2 = 0, m = 0;
      for (std::int64_t k = 0; k < reps; ++k) {
        if (k >= lo && k < hi) continue;
        const double v = counts(ts[static_cast<size_t>(k)], i);
        s += v;
        s2 += v * v;
        ++m;
      }
      within += (s2 - s * s / m) / (m - 1) / static_cast<double>(S);
      sum += s;
      sum2 += s2;
      n += m;
    }
    return 1.0 - within / (sum2 / n - (sum / n) * (sum / n));
  };

  for (Eigen::Index i = 0; i < N; ++i) {
    // Each image's mean count against μ, with variance (μ + Var(g)·μ²)/reps without behaviour;
    // with it, the sample variance (the behaviour term is not stored in the truth).
    for (std::int64_t s = 0; s < S; ++s) {
      double mean = 0, sq = 0;
      for (auto p : trials[static_cast<size_t>(s)]) {
        mean += counts(p, i) / static_cast<double>(reps);
        sq += counts(p, i) * counts(p, i) / static_cast<double>(reps);
      }
      const double m = mu(s, i);
      const double var = behavior_gain == 0 ? m + gain_var * m * m : sq - mean * mean;
      EXPECT_LT(std::fabs(mean - m) / std::sqrt(var / reps), 5.0) << "unit " << i << " image " << s;
    }
    const auto [mc, se] =
        jackknife([&](std::int64_t lo, std::int64_t hi) { return ceiling(i, lo, hi); }, reps);
    EXPECT_LT(std::fabs(mc - nc(0, i)), 5.0 * se)
        << "unit " << i << ": Monte-Carlo " << mc << " ± " << se << ", analytic " << nc(0, i);
  }
  // Pooled over units the comparison is sharper (the jackknife keeps the units' correlation).
  const auto [pooled, pooled_se] = jackknife(
      [&](std::int64_t lo, std::int64_t hi) {
        double d = 0;
        for (Eigen::Index i = 0; i < N; ++i)
          d += (ceiling(i, lo, hi) - nc(0, i)) / static_cast<double>(N);
        return d;
      },
      reps);
  EXPECT_LT(std::fabs(pooled), 5.0 * pooled_se) << "mean Monte-Carlo − analytic ceiling";
  if (behavior_gain != 0) {
    // Running adds response variance that no stimulus model explains: the ceiling is lower.
    const auto r0 = sim::simulate(options(N, S, reps, 0.0))[0];
    EXPECT_LT(nc.mean(), r0.truth.at("noise_ceiling").mean());
    return;  // the population-sum check below has no running term
  }

  // The shared gain: the summed count of all units has within-image variance
  // Σ_i μ_si + Var(g)·(Σ_i μ_si)², dominated by the gain term.
  const auto [ratio, ratio_se] = jackknife(
      [&](std::int64_t lo, std::int64_t hi) {
        double observed = 0, predicted = 0;
        for (std::int64_t s = 0; s < S; ++s) {
          double a = 0, a2 = 0, m = 0;
          for (std::int64_t k = 0; k < reps; ++k) {
            if (k >= lo && k < hi) continue;
            const double v =
                counts.row(trials[static_cast<size_t>(s)][static_cast<size_t>(k)]).sum();
            a += v;
            a2 += v * v;
            ++m;
          }
          observed += (a2 - a * a / m) / (m - 1);
          const double total = mu.row(s).cast<double>().sum();
          predicted += total + gain_var * total * total;
        }
        return observed / predicted;
      },
      reps);
  EXPECT_LT(std::fabs(ratio - 1.0), 5.0 * ratio_se) << "population variance ratio " << ratio;
}

INSTANTIATE_TEST_SUITE_P(BehaviorGain, SimImagesMonteCarlo, ::testing::Values(0.0, 0.5));

TEST(SimImages, BehaviourChannelsAndRunningGain) {
  // Same seed without and with a running gain: behaviour, images, presentations and every
  // stimulus-side parameter are the same draws; the rates differ exactly by exp(γ_i z_t).
  const double G = 0.5;
  const auto r0 = sim::simulate(options(40, 12, 20, 0.0))[0];
  const auto r1 = sim::simulate(options(40, 12, 20, G))[0];
  const auto d = sim::simulate(options(40, 12, 20))[0];  // the default: no gain
  EXPECT_TRUE(d == r0);
  ASSERT_EQ(r1.behavior.size(), 2u);
  EXPECT_EQ(r1.behavior[0].name, "running_speed");
  EXPECT_EQ(r1.behavior[1].name, "pupil_area");
  EXPECT_TRUE(r0.behavior == r1.behavior);
  EXPECT_EQ(r1.behavior[0].timestamps_s, r1.times_s());  // sampled on the activity clock
  EXPECT_TRUE(r0.stimuli == r1.stimuli);
  for (const char* name : {"receptive_fields", "rf_params", "complex_cell", "stimulus_drive",
                           "baseline_drive", "stimulus_gain", "temporal_kernel", "trial_gain"})
    EXPECT_TRUE(r0.truth.at(name) == r1.truth.at(name)) << name;
  EXPECT_TRUE((r0.truth.at("behavior_gain").array() == 0).all());

  // Gains γ_i ~ N(G, (G/2)²): mean within 4 s.e. (s.d. G/2 over 40 units).
  const auto& gamma = r1.truth.at("behavior_gain");
  ASSERT_EQ(gamma.cols(), 40);
  EXPECT_NEAR(gamma.mean(), G, 4 * (G / 2) / std::sqrt(40.0));
  const auto z = running_z(r1);
  const auto& a = r0.truth.at("rates");
  const auto& b = r1.truth.at("rates");
  for (Eigen::Index t = 0; t < a.rows(); t += 7)
    for (Eigen::Index i = 0; i < a.cols(); ++i) {
      const double expected = a(t, i) * std::exp(gamma(0, i) * z[static_cast<size_t>(t)]);
      EXPECT_NEAR(b(t, i), expected, 1e-5 * expected) << "frame " << t << " unit " << i;
    }
  // Speed is non-negative and bursty (the animal both rests and runs); pupil follows running.
  const auto& v = r1.behavior[0].values;
  EXPECT_TRUE((v.array() >= 0).all());
  EXPECT_GT((v.array() > 5).cast<double>().mean(), 0.1);
  EXPECT_GT((v.array() < 1).cast<double>().mean(), 0.1);
  const Eigen::ArrayXd vs = v.col(0).cast<double>().array() - v.cast<double>().mean();
  const Eigen::ArrayXd ps = r1.behavior[1].values.col(0).cast<double>().array() -
                            r1.behavior[1].values.cast<double>().mean();
  EXPECT_GT((vs * ps).mean() / std::sqrt(vs.square().mean() * ps.square().mean()), 0.3);
}

TEST(SimImages, StimulusBehaviorSelectionAveragesEachPresentation) {
  // FILE:stimuli/behavior on a simulated recording: one row per presentation in the table's
  // order, each the mean of the behaviour channels over the stimulus-on frames
  // [pW, pW + on) that stimuli/responses sums (computed here from the frame layout).
  test::ScratchDir dir;
  const auto r = sim::simulate(options(8, 5, 3, 0.5))[0];
  const std::string f = (dir / "im.h5").string();
  io::write_neurodl_h5(f, {r});
  const auto beh = io::select_matrix(f + ":stimuli/behavior", {});
  const auto resp = io::select_matrix(f + ":stimuli/responses", {});
  const std::int64_t W = std::stoll(r.metadata.at("trial_frames"));
  const std::int64_t on = std::stoll(r.metadata.at("on_frames"));
  const auto P = static_cast<Eigen::Index>(r.stimuli.events.size());
  ASSERT_EQ(beh.data.rows(), P);
  ASSERT_EQ(beh.data.cols(), 2);
  for (Eigen::Index p = 0; p < P; ++p) {
    for (int c = 0; c < 2; ++c) {
      double mean = 0;
      for (std::int64_t j = 0; j < on; ++j)
        mean += r.behavior[static_cast<size_t>(c)].values(p * W + j, 0) / static_cast<double>(on);
      EXPECT_NEAR(beh.data(p, c), mean, 1e-5 * (1 + std::abs(mean))) << "presentation " << p;
    }
    EXPECT_FLOAT_EQ(resp.data(p, 0), r.activity.middleRows(p * W, on).col(0).sum());
  }
}
