// The Spikefinder metric against values computed by hand (shown in the comments), fractional
// binning for non-integer rate ratios, NaN padding and bad inputs.

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/eval/spikefinder.hpp"

namespace neurodl::eval {
namespace {

constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();

TEST(Spikefinder, HandComputedScoresAt100Hz) {
  // 13 frames at 100 Hz: 3 complete 40 ms bins of 4 frames; frame 12 is left out.
  MatrixF truth(13, 1), pred(13, 1);
  truth.col(0) << 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 5;
  pred.col(0) << 0.5, 0.5, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0.5, 9;
  // Binned: n = [1, 2, 0], p = [1, 1, 0.5]. Deviations from the means 1 and 5/6:
  // dn = [0, 1, −1], dp = [1/6, 1/6, −1/3]; Σdn·dp = 1/2, Σdn² = 2, Σdp² = 1/6,
  // r = (1/2)/√(2/6) = √3/2. error = (0 + 1 + 0.5)/3 = 1/2, bias = (2.5 − 3)/3 = −1/6.
  const auto s = spikefinder_score(truth, pred, 100.0);
  EXPECT_NEAR(s.correlation[0], std::sqrt(3.0) / 2, 1e-12);
  EXPECT_NEAR(s.error[0], 0.5, 1e-12);
  EXPECT_NEAR(s.bias[0], -1.0 / 6, 1e-12);
  EXPECT_EQ(s.n_bins[0], 3);
  EXPECT_NEAR(s.mean_correlation, std::sqrt(3.0) / 2, 1e-12);
}

TEST(Spikefinder, FractionalBinsFor30Hz) {
  // 30 Hz → 25 Hz: 1.2 frames per bin. Bin k covers frames [1.2k, 1.2k + 1.2):
  // [1 + 0.2·2, 0.8·2 + 0.4·3, 0.6·3 + 0.6·4, 0.4·4 + 0.8·5, 0.2·5 + 6] = [1.4, 2.8, 4.2, 5.6, 7].
  const double x[6] = {1, 2, 3, 4, 5, 6};
  const auto b = bin_by_overlap(x, 6, 30.0, 25.0);
  ASSERT_EQ(b.size(), 5u);
  const double expected[5] = {1.4, 2.8, 4.2, 5.6, 7.0};
  for (int k = 0; k < 5; ++k) EXPECT_NEAR(b[k], expected[k], 1e-12) << k;
  // 7 frames hold 5.83 bins: still 5 complete ones.
  const double y[7] = {1, 1, 1, 1, 1, 1, 1};
  EXPECT_EQ(bin_by_overlap(y, 7, 30.0, 25.0).size(), 5u);
}

TEST(Spikefinder, NaNPaddingAndConstantUnits) {
  MatrixF truth = MatrixF::Zero(16, 3), pred = MatrixF::Zero(16, 3);
  for (int t = 0; t < 16; ++t) {
    truth(t, 0) = (t % 3 == 0);
    pred(t, 0) = (t % 3 == 0) ? 0.5f : 0.0f;
  }
  truth.col(1) = truth.col(0);
  pred.col(1) = pred.col(0);
  for (int t = 8; t < 16; ++t) pred(t, 1) = kNaNf;  // unit 1 scored on 8 frames = 2 bins
  truth(0, 2) = 1;  // unit 2: constant prediction → r undefined
  const auto s = spikefinder_score(truth, pred, 100.0);
  EXPECT_NEAR(s.correlation[0], 1.0, 1e-12);
  EXPECT_EQ(s.n_bins[0], 4);
  EXPECT_EQ(s.n_bins[1], 2);
  EXPECT_NEAR(s.bias[0], -0.5, 1e-12);
  EXPECT_TRUE(std::isnan(s.correlation[2]));
  EXPECT_NEAR(s.mean_correlation, 1.0, 1e-12);  // NaN units left out of the mean
}

TEST(Spikefinder, BadInputs) {
  MatrixF a = MatrixF::Zero(16, 2), b = MatrixF::Zero(16, 3);
  EXPECT_THROW(spikefinder_score(a, b, 100.0), ShapeError);
  b = MatrixF::Zero(16, 2);
  b(3, 1) = kNaNf;  // NaN before the end of the trace
  try {
    spikefinder_score(a, b, 100.0);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("unit 1, frame 3"), std::string::npos) << e.what();
  }
  b(3, 1) = 0;
  EXPECT_THROW(spikefinder_score(a, b, 0.0), ConfigError);
  EXPECT_THROW(spikefinder_score(MatrixF::Zero(3, 1), MatrixF::Zero(3, 1), 100.0), ShapeError);
}

}  // namespace
}  // namespace neurodl::eval
