// sim calcium: one recording per frame rate with the same neurons and spikes; the noiseless trace
// equals the kernel convolved with the spikes (recomputed here by brute-force numerical
// integration), spike counts match spike times and rates, and the noise s.d. matches the stated
// noise level.

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/core/spike_trains.hpp"
#include "neurodl/sim/calcium.hpp"
#include "neurodl/sim/simulate.hpp"

using namespace neurodl;

namespace {

sim::SimOptions options(std::int64_t units, std::int64_t frames, double fs) {
  sim::SimOptions o;
  o.preset = "calcium";
  o.seed = 17;
  o.units = units;
  o.frames = frames;
  o.fs_hz = fs;
  return o;
}

// Frame averages of Σ_s A·(e^{−(t−s)/τd} − e^{−(t−s)/τr})/peak by the midpoint rule with `sub`
// points per frame; the peak of the bracket is found by a fine grid search (no closed form).
std::vector<double> brute_force_trace(const std::vector<double>& spikes, double tau_r, double tau_d,
                                      double amp, double fs, std::int64_t T, int sub = 400) {
  double peak = 0;
  for (double t = 0; t < 5 * tau_d; t += 1e-6)
    peak = std::max(peak, std::exp(-t / tau_d) - std::exp(-t / tau_r));
  std::vector<double> out(static_cast<size_t>(T));
  for (std::int64_t j = 0; j < T; ++j) {
    double acc = 0;
    for (int q = 0; q < sub; ++q) {
      const double t = (static_cast<double>(j) + (q + 0.5) / sub) / fs;
      for (double s : spikes)
        if (s <= t) acc += amp * (std::exp(-(t - s) / tau_d) - std::exp(-(t - s) / tau_r)) / peak;
    }
    out[static_cast<size_t>(j)] = acc / sub;
  }
  return out;
}

}  // namespace

TEST(SimCalcium, OneRecordingPerFrameRateWithSharedNeurons) {
  auto o = options(4, -1, NAN);
  const auto recs = sim::simulate(o);
  ASSERT_EQ(recs.size(), 4u);
  const double rates[] = {7.5, 15, 30, 60};
  for (size_t r = 0; r < 4; ++r) {
    EXPECT_EQ(recs[r].sample_rate_hz, rates[r]);
    EXPECT_EQ(recs[r].kind, ActivityKind::dff);
    EXPECT_EQ(recs[r].n_samples(), std::llround(300 * rates[r]));
    EXPECT_EQ(recs[r].n_units(), 4);
    EXPECT_TRUE(recs[r].units == recs[0].units);  // same spikes at every rate
    EXPECT_TRUE(recs[r].truth.at("tau_decay_s") == recs[0].truth.at("tau_decay_s"));
    EXPECT_FALSE(recs[r].units[0].spike_times_s.empty());
  }
  EXPECT_EQ(recs[0].name, "calcium_7.5Hz");
  const auto& t = recs[0].truth;
  for (Eigen::Index i = 0; i < 4; ++i) {
    EXPECT_TRUE(t.at("tau_rise_s")(0, i) >= 0.02f && t.at("tau_rise_s")(0, i) <= 0.1f);
    EXPECT_TRUE(t.at("tau_decay_s")(0, i) >= 0.3f && t.at("tau_decay_s")(0, i) <= 1.0f);
    EXPECT_TRUE(t.at("noise_level")(0, i) >= 1.0f && t.at("noise_level")(0, i) <= 8.0f);
    EXPECT_TRUE(t.at("mean_rate_hz")(0, i) >= 0.2f && t.at("mean_rate_hz")(0, i) <= 5.0f);
    EXPECT_GT(t.at("amplitude")(0, i), 0.0f);
  }
  // With --frames and no --fs every recording has that many frames.
  o.frames = 100;
  for (const auto& r : sim::simulate(o)) EXPECT_EQ(r.n_samples(), 100);
}

TEST(SimCalcium, KernelTraceMatchesBruteForceIntegration) {
  // Spikes at sub-frame offsets, including two in one frame and one on a frame boundary.
  const std::vector<double> spikes{0.013, 0.1, 0.1333, 0.52, 0.525, 1.0};
  for (double fs : {7.5, 30.0, 60.0}) {
    const sim::CalciumKernel k{.tau_rise_s = 0.04, .tau_decay_s = 0.5, .amplitude = 0.2};
    const std::int64_t T = static_cast<std::int64_t>(2.0 * fs);
    const auto fast = sim::calcium_trace(spikes, k, fs, T);
    const auto slow = brute_force_trace(spikes, 0.04, 0.5, 0.2, fs, T);
    for (std::int64_t j = 0; j < T; ++j)
      EXPECT_NEAR(fast[static_cast<size_t>(j)], slow[static_cast<size_t>(j)], 2e-5)
          << fs << " Hz frame " << j;
  }
  EXPECT_NEAR(sim::calcium_kernel({.tau_rise_s = 0.05, .tau_decay_s = 0.7, .amplitude = 0.3},
                                  0.05 * 0.7 / 0.65 * std::log(0.7 / 0.05)),
              0.3, 1e-12);
  EXPECT_THROW(sim::calcium_trace(spikes, {.tau_rise_s = 0.5, .tau_decay_s = 0.4}, 30, 10),
               ConfigError);
}

TEST(SimCalcium, NoiselessCalciumIsTheSaturatedKernelSum) {
  const auto r = sim::simulate(options(3, 300, 15.0))[0];
  const auto& t = r.truth;
  for (Eigen::Index i = 0; i < 3; ++i) {
    const auto& spikes = r.units[static_cast<size_t>(i)].spike_times_s;
    ASSERT_FALSE(spikes.empty());
    const auto lin = brute_force_trace(spikes, t.at("tau_rise_s")(0, i), t.at("tau_decay_s")(0, i),
                                       t.at("amplitude")(0, i), 15.0, 300, 100);
    const double c_sat = t.at("saturation")(0, i);
    for (Eigen::Index j = 0; j < 300; ++j) {
      const double expect = lin[static_cast<size_t>(j)] / (1 + lin[static_cast<size_t>(j)] / c_sat);
      EXPECT_NEAR(t.at("calcium")(j, i), expect, 1e-4 * (1 + expect))
          << "unit " << i << " frame " << j;
    }
  }
}

TEST(SimCalcium, SpikeCountsMatchSpikeTimesAndRates) {
  const auto r = sim::simulate(options(20, 9000, 30.0))[0];
  EXPECT_TRUE(bin_spike_times(r.units, 0.0, 30.0, 9000) == r.truth.at("spike_counts"));
  const auto& rates = r.truth.at("rates");
  for (Eigen::Index i = 0; i < 20; ++i) {
    const auto& s = r.units[static_cast<size_t>(i)].spike_times_s;
    EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));
    EXPECT_TRUE(s.front() >= 0 && s.back() < 300.0);
    // Given the rate, the total count is Poisson(Σ rate/fs): |z| < 5.
    const double expected = rates.col(i).cast<double>().sum() / 30.0;
    const double observed = static_cast<double>(s.size());
    EXPECT_LT(std::fabs(observed - expected) / std::sqrt(expected), 5.0) << "unit " << i;
  }
}

TEST(SimCalcium, NoiseStandardDeviationMatchesTheNoiseLevel) {
  // Residual = ΔF/F − noiseless calcium = drift + noise. First differences remove the slow drift
  // (its per-frame change is < 2e-4 ΔF/F) and have variance 2σ²; for white Gaussian noise the
  // variance estimate of the differences (an MA(1) series, lag-1 correlation −½) has relative
  // standard error sqrt(3/n). σ must be noise_level/100·sqrt(fs) within 5 of those.
  for (double fs : {7.5, 60.0}) {
    const std::int64_t T = 12000;
    const auto r = sim::simulate(options(6, T, fs))[0];
    for (Eigen::Index i = 0; i < 6; ++i) {
      const Eigen::ArrayXd res =
          (r.activity.col(i) - r.truth.at("calcium").col(i)).cast<double>().array();
      const Eigen::ArrayXd d = res.tail(T - 1) - res.head(T - 1);
      const double var_hat = (d - d.mean()).square().sum() / static_cast<double>(T - 2) / 2.0;
      const double sigma = r.truth.at("noise_level")(0, i) / 100.0 * std::sqrt(fs);
      EXPECT_NEAR(var_hat / (sigma * sigma), 1.0, 5.0 * std::sqrt(3.0 / static_cast<double>(T - 1)))
          << fs << " Hz unit " << i;
    }
  }
}
