// SVCA: recovery of a planted number of shared dimensions, the checkerboard split, bad inputs.

#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/core/random.hpp"
#include "neurodl/linear/svca.hpp"
#include "linear_test_support.hpp"

using namespace neurodl;
using neurodl::linear::SvcaOptions;
using neurodl::test::expect_error;

namespace {

// Units on a 20 × 20 grid, 20 µm apart. Activity = d shared latents (sd 1, 0.7, 0.5, ...) mixed
// by Gaussian loadings of sd 0.3, plus private unit noise of sd 1 (independent across units and
// time).
Recording planted_shared(std::int64_t t, int d, std::uint64_t seed) {
  const int side = 20, n = side * side;
  Rng rng(seed);
  MatrixF z(t, d), l(d, n);
  for (std::int64_t i = 0; i < t; ++i)
    for (int j = 0; j < d; ++j) z(i, j) = static_cast<float>(rng.normal() * std::pow(0.7, j));
  for (int j = 0; j < d; ++j)
    for (int i = 0; i < n; ++i) l(j, i) = static_cast<float>(0.3 * rng.normal());
  Recording rec;
  rec.sample_rate_hz = 30;
  rec.activity = z * l;
  for (std::int64_t i = 0; i < rec.activity.size(); ++i) rec.activity.data()[i] += static_cast<float>(rng.normal());
  rec.units.resize(n);
  for (int i = 0; i < n; ++i) {
    rec.units[i].id = std::to_string(i);
    rec.units[i].position_um = {20.0 * (i % side) + 5, 20.0 * (i / side) + 5, 0.0};
  }
  rec.validate();
  return rec;
}

}  // namespace

TEST(Svca, RecoversPlantedSharedDimensions) {
  // 5 latents; the weakest (sd 0.7⁴ = 0.24) projects onto a set of 200 units with variance
  // ≈ 0.24² · 200 · 0.09 ≈ 1.0 against private noise 1 along any direction: reliable fraction
  // ≈ 0.5. Components beyond 5 carry only private noise, whose test covariance has mean 0 and sd
  // ≈ 1/sqrt(T_test) = 0.018 (T_test = 3000): the 0.05 threshold is 2.7 sd, the 0.1 bound 5.5 sd.
  const Recording rec = planted_shared(6000, 5, 21);
  SvcaOptions o;
  o.n_components = 20;
  o.checker_um = 40;
  for (const std::string solver : {"exact", "randomized"}) {
    o.solver = solver;
    const auto r = linear::svca(rec, o);
    EXPECT_EQ(r.n_reliable, 5) << solver;
    EXPECT_EQ(r.set_a.size() + r.set_b.size(), 400u);
    EXPECT_EQ(r.n_test, 3000);
    for (int k = 0; k < 5; ++k) EXPECT_GT(r.reliable_fraction(k), 0.3) << solver << " component " << k;
    for (int k = 5; k < 20; ++k) EXPECT_LT(std::abs(r.reliable_fraction(k)), 0.1) << solver << " component " << k;
    // Shared variance ≤ variance (Cauchy–Schwarz on the pair of projections).
    EXPECT_TRUE((r.shared_variance.array() <= r.variance.array() + 1e-9).all());
    // The shared variance of the leading components is most of the latent variance in set A.
    EXPECT_GT(r.shared_variance.head(5).sum(), 0.5 * (r.total_variance_a - 200.0));
  }
  // With no latents there is nothing reliable.
  const auto none = linear::svca(planted_shared(6000, 0, 3), o);
  EXPECT_EQ(none.n_reliable, 0);
}

TEST(Svca, CheckerboardSplit) {
  std::vector<Unit> units(4);
  units[0].position_um = {10, 10, 0};   // cell (0, 0): A
  units[1].position_um = {70, 10, 0};   // cell (1, 0): B
  units[2].position_um = {70, 70, 0};   // cell (1, 1): A
  units[3].position_um = {-10, 10, 0};  // cell (-1, 0): B
  const auto [a, b] = linear::checkerboard_split(units, 60);
  EXPECT_EQ(a, (std::vector<std::int64_t>{0, 2}));
  EXPECT_EQ(b, (std::vector<std::int64_t>{1, 3}));
  units[1].id = "u1";
  units[1].position_um[0] = kNaN;
  expect_error<ConfigError>([&] { linear::checkerboard_split(units, 60); },
                            "linear.svca: units: unit u1 has no x, y position");
  expect_error<ConfigError>([&] { linear::checkerboard_split(units, 0); },
                            "checkerboard square side must be positive (expected > 0, got 0.000000) [µm]");
}

TEST(Svca, BadInputs) {
  MatrixF x = MatrixF::Random(100, 6);
  expect_error<ConfigError>([&] { linear::svca(x, {0, 1, 2}, {2, 3}); },
                            "linear.svca: unit sets overlap (expected disjoint sets, got unit 2 in both)");
  expect_error<ShapeError>([&] { linear::svca(x, {0, 1}, {3, 9}); },
                           "unit index out of range in set B (expected 0..5, got 9)");
  expect_error<ConfigError>([&] { linear::svca(x, {}, {3}); }, "unit set A is empty");
  x(4, 4) = std::nanf("");
  expect_error<ConfigError>([&] { linear::svca(x, {0, 1}, {3, 4}); }, "linear.svca: activity: NaN or Inf values");
  x(4, 4) = 0;
  SvcaOptions o;
  o.split.folds = 1;
  expect_error<ConfigError>([&] { linear::svca(x, {0, 1}, {3, 4}, o); }, "eval.splits: need at least 2 folds");
  o = {};
  o.solver = "qr";
  expect_error<ConfigError>([&] { linear::svca(x, {0, 1}, {3, 4}, o); }, "unknown solver");
}
