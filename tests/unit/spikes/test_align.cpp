// Timing alignment of one spike estimate to another (spikes/align.hpp): planted whole and
// fractional delays are recovered, the shift is bounded, and signals without evidence of a lag
// are left alone.

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/spikes/align.hpp"
#include "neurodl/spikes/oasis.hpp"

namespace neurodl::spikes {
namespace {

/// Smoothed Poisson spikes at 30 Hz (a rate-like estimate), T frames.
std::vector<double> smooth_train(std::size_t T, unsigned seed) {
  std::mt19937 rng(seed);
  std::poisson_distribution<int> pois(0.1);
  std::vector<double> s(T);
  for (auto& v : s) v = pois(rng);
  smooth_spikes(s, 30.0, 0.08);
  return s;
}

TEST(Align, DelayTraceShiftsByWholeAndFractionalFrames) {
  const std::vector<double> x = {0, 1, 4, 9, 16, 25};
  EXPECT_EQ(delay_trace(x, 0), x);
  EXPECT_EQ(delay_trace(x, 2), (std::vector<double>{0, 0, 0, 1, 4, 9}));     // first value repeated
  EXPECT_EQ(delay_trace(x, -1), (std::vector<double>{1, 4, 9, 16, 25, 25}));  // last value repeated
  const auto h = delay_trace(x, 0.25);  // out[t] = x(t − 0.25): 3/4 of x[t] + 1/4 of x[t − 1]
  EXPECT_DOUBLE_EQ(h[0], 0);
  EXPECT_DOUBLE_EQ(h[3], 0.75 * 9 + 0.25 * 4);
  EXPECT_DOUBLE_EQ(h[5], 0.75 * 25 + 0.25 * 16);
}

TEST(Align, RecoversPlantedDelays) {
  const auto x = smooth_train(6000, 7);
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0.0, 0.02);
  for (double d : {0.0, 1.0, -2.0, 2.4, -0.6, 3.7}) {
    // The reference is x delayed by d plus noise: x must be delayed by d to match it.
    auto ref = delay_trace(x, d);
    for (auto& v : ref) v += noise(rng);
    EXPECT_NEAR(estimate_delay(x, ref, 5.0, 5.0), d, 0.15) << d;
    // Delays only (no advance allowed): a late x is left where it is.
    EXPECT_NEAR(estimate_delay(x, ref, 5.0), std::max(d, 0.0), 0.15) << d;
  }
  // Whole-frame delays without noise: exact (the parabola through a symmetric peak is flat).
  const auto ref = delay_trace(x, 3.0);
  EXPECT_NEAR(estimate_delay(x, ref, 5.0), 3.0, 0.05);
}

TEST(Align, ShiftIsBoundedAndNeedsEvidence) {
  const auto x = smooth_train(3000, 11);
  // A delay beyond the bound: the bound, never more.
  EXPECT_DOUBLE_EQ(estimate_delay(x, delay_trace(x, 6.0), 2.5), 2.5);
  EXPECT_DOUBLE_EQ(estimate_delay(x, delay_trace(x, -6.0), 2.5, 1.5), -1.5);
  EXPECT_DOUBLE_EQ(estimate_delay(x, delay_trace(x, -6.0), 2.5), 0.0);
  // No bound, a constant signal, or a trace too short for the lags: no shift.
  EXPECT_EQ(estimate_delay(x, delay_trace(x, 2.0), 0.0, 0.0), 0.0);
  EXPECT_EQ(estimate_delay(x, std::vector<double>(x.size(), 0.5), 3.0), 0.0);
  EXPECT_EQ(estimate_delay(std::vector<double>(x.size(), 0.0), x, 3.0), 0.0);
  const std::vector<double> shortx(x.begin(), x.begin() + 12);
  EXPECT_EQ(estimate_delay(shortx, delay_trace(shortx, 1.0), 3.0), 0.0);
  // Bad inputs.
  EXPECT_THROW(estimate_delay(x, shortx, 3.0), ShapeError);
  EXPECT_THROW(estimate_delay(x, x, -1.0), ConfigError);
  EXPECT_THROW(estimate_delay(x, x, 1.0, std::nan("")), ConfigError);
  auto bad = x;
  bad[10] = std::nan("");
  EXPECT_THROW(estimate_delay(x, bad, 3.0), ConfigError);
}

}  // namespace
}  // namespace neurodl::spikes
