// ΔF/F (neuropil subtraction, Suite2p maximin and running-percentile baselines) and CASCADE's
// noise level against numpy/scipy (tests/reference/make_spikes_reference.py → fixtures/spikes/
// dff.txt), plus bad inputs.

#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <vector>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/spikes/dff.hpp"
#include "test_support.hpp"

namespace neurodl::spikes {
namespace {

struct DffFixture {
  double fs, window_s, sigma, q;
  Eigen::Index T, N;
  std::map<std::string, std::vector<double>> arrays;
};

DffFixture load() {
  std::ifstream in(test::fixture("spikes/dff.txt"));
  DffFixture f;
  std::string line;
  std::getline(in, line);
  std::istringstream head(line);
  head >> f.fs >> f.T >> f.N >> f.window_s >> f.sigma >> f.q;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string name;
    ss >> name;
    double x;
    while (ss >> x) f.arrays[name].push_back(x);
  }
  return f;
}

MatrixF as_matrix(const std::vector<double>& v, Eigen::Index T, Eigen::Index N) {
  MatrixF m(T, N);
  for (Eigen::Index i = 0; i < T * N; ++i) m(i / N, i % N) = static_cast<float>(v[i]);
  return m;
}

TEST(Dff, MatchesScipyMaximinAndNumpyPercentile) {
  const DffFixture f = load();
  ASSERT_EQ(f.arrays.at("F").size(), static_cast<std::size_t>(f.T * f.N));
  const MatrixF F = as_matrix(f.arrays.at("F"), f.T, f.N);
  const MatrixF Fneu = as_matrix(f.arrays.at("Fneu"), f.T, f.N);
  DffOptions o;
  o.window_s = f.window_s;
  o.sigma_frames = f.sigma;
  o.percentile = f.q;
  const MatrixF mm = delta_f_over_f(F, Fneu, f.fs, o);
  o.baseline = "percentile";
  const MatrixF pc = delta_f_over_f(F, Fneu, f.fs, o);
  const auto& ref_mm = f.arrays.at("maximin");
  const auto& ref_pc = f.arrays.at("percentile");
  // float32 storage of F (values ~100) limits agreement to ~1e-6 relative.
  for (Eigen::Index i = 0; i < f.T * f.N; ++i) {
    EXPECT_NEAR(mm(i / f.N, i % f.N), ref_mm[i], 2e-5) << i;
    EXPECT_NEAR(pc(i / f.N, i % f.N), ref_pc[i], 2e-5) << i;
  }
  // CASCADE noise level of the reference ΔF/F.
  const auto nu = cascade_noise_level(as_matrix(ref_mm, f.T, f.N), f.fs);
  for (Eigen::Index j = 0; j < f.N; ++j)
    EXPECT_NEAR(nu[j], f.arrays.at("noise_level")[j], 1e-4 * f.arrays.at("noise_level")[j]);
}

TEST(Dff, NoiseLevelOfWhiteNoiseIsItsStandardisedValue) {
  // For white noise of s.d. σ per frame, median|Δ| = 0.6745·σ√2, so ν = 95.4·σ/√fs.
  std::mt19937_64 rng(7);
  std::normal_distribution<double> n(0, 0.05);
  std::vector<double> x(200000);
  for (auto& v : x) v = n(rng);
  const double fs = 30;
  EXPECT_NEAR(cascade_noise_level(x, fs), 100 * 0.6745 * std::sqrt(2.0) * 0.05 / std::sqrt(fs),
              0.01 * 100 * 0.05 / std::sqrt(fs));
}

TEST(Dff, BadInputs) {
  MatrixF F = MatrixF::Constant(100, 2, 10.0f);
  EXPECT_THROW(delta_f_over_f(F, MatrixF(), 0.0), ConfigError);
  EXPECT_THROW(delta_f_over_f(F, MatrixF::Zero(100, 3), 10.0), ShapeError);
  DffOptions o;
  o.baseline = "median";
  EXPECT_THROW(delta_f_over_f(F, MatrixF(), 10.0, o), ConfigError);
  F(3, 1) = NAN;
  EXPECT_THROW(delta_f_over_f(F, MatrixF(), 10.0), ConfigError);
  // A baseline ≤ 0 leaves ΔF/F undefined.
  try {
    delta_f_over_f(MatrixF::Constant(100, 1, -1.0f), MatrixF(), 10.0);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("unit 0, frame 0"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace neurodl::spikes
