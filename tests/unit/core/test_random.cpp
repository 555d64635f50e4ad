// core/random: reference outputs of xoshiro256** and splitmix64, determinism, stream
// independence, and the moments (and for Poisson the probability mass) of every distribution
// against theory, with tolerances of 5 standard errors computed from the sample size.

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/core/random.hpp"

using namespace neurodl;

namespace {

constexpr int kN = 200000;

struct Moments {
  double mean = 0, var = 0, m4 = 0;  // sample mean, variance, 4th central moment
};

Moments moments(const std::vector<double>& x) {
  Moments m;
  for (double v : x) m.mean += v;
  m.mean /= static_cast<double>(x.size());
  for (double v : x) {
    const double d = (v - m.mean) * (v - m.mean);
    m.var += d;
    m.m4 += d * d;
  }
  m.var /= static_cast<double>(x.size() - 1);
  m.m4 /= static_cast<double>(x.size());
  return m;
}

// Checks the sample mean against `mean` within 5·sqrt(var/n) and the sample variance against
// `var` within 5·sqrt((μ4 − σ⁴)/n), the large-sample standard error of s² (μ4 estimated).
void expect_moments(const std::vector<double>& x, double mean, double var, const char* what) {
  const auto m = moments(x);
  const double n = static_cast<double>(x.size());
  EXPECT_NEAR(m.mean, mean, 5.0 * std::sqrt(var / n)) << what << ": mean";
  EXPECT_NEAR(m.var, var, 5.0 * std::sqrt(std::max(m.m4 - m.var * m.var, 1e-300) / n))
      << what << ": variance";
}

std::vector<double> draw(const std::function<double(Rng&)>& f, std::uint64_t seed = 1, int n = kN) {
  Rng r(seed, 0);
  std::vector<double> x(static_cast<size_t>(n));
  for (auto& v : x) v = f(r);
  return x;
}

double correlation(const std::vector<double>& a, const std::vector<double>& b) {
  const auto ma = moments(a), mb = moments(b);
  double c = 0;
  for (size_t i = 0; i < a.size(); ++i) c += (a[i] - ma.mean) * (b[i] - mb.mean);
  return c / static_cast<double>(a.size() - 1) / std::sqrt(ma.var * mb.var);
}

}  // namespace

TEST(Random, ReferenceOutputs) {
  // xoshiro256** from state {1, 2, 3, 4} and splitmix64 from 0: values of the reference C code.
  auto r = Rng::from_state({1, 2, 3, 4});
  EXPECT_EQ(r.next_u64(), 11520u);
  EXPECT_EQ(r.next_u64(), 0u);
  EXPECT_EQ(r.next_u64(), 1509978240u);
  std::uint64_t s = 0;
  EXPECT_EQ(splitmix64(s), 0xE220A8397B1DCDAFULL);
  EXPECT_EQ(splitmix64(s), 0x6E789E6AA1B965F4ULL);
}

TEST(Random, SameSeedAndStreamGiveTheSameSequence) {
  Rng a(123, 4), b(123, 4), c(123, 5), d(124, 4);
  int same_c = 0, same_d = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    same_c += x == c.next_u64();
    same_d += x == d.next_u64();
  }
  EXPECT_EQ(same_c, 0);
  EXPECT_EQ(same_d, 0);
  // Every sampler is deterministic too (including the cached second normal).
  Rng e(9, 9), f(9, 9);
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(e.normal(), f.normal());
    EXPECT_EQ(e.poisson(30.0), f.poisson(30.0));
    EXPECT_EQ(e.gamma(0.5), f.gamma(0.5));
  }
}

TEST(Random, StreamsAreUncorrelated) {
  // Uniforms of neighbouring streams and seeds: the sample correlation of independent sequences is
  // ~N(0, 1/n), so |r| < 5/sqrt(n).
  const int n = kN;
  const double tol = 5.0 / std::sqrt(static_cast<double>(n));
  auto seq = [n](std::uint64_t seed, std::uint64_t stream) {
    Rng r(seed, stream);
    std::vector<double> x(static_cast<size_t>(n));
    for (auto& v : x) v = r.uniform();
    return x;
  };
  const auto base = seq(5, 0);
  EXPECT_LT(std::fabs(correlation(base, seq(5, 1))), tol);
  EXPECT_LT(std::fabs(correlation(base, seq(6, 0))), tol);
  EXPECT_LT(std::fabs(correlation(base, seq(0, 5))), tol);
  EXPECT_LT(std::fabs(correlation(seq(5, 1000), seq(5, 1001))), tol);
  // Lag-1 autocorrelation of one stream.
  std::vector<double> a(base.begin(), base.end() - 1), b(base.begin() + 1, base.end());
  EXPECT_LT(std::fabs(correlation(a, b)), tol);
}

TEST(Random, UniformNormalExponentialMoments) {
  auto u = draw([](Rng& r) { return r.uniform(); });
  for (double v : u) ASSERT_TRUE(v >= 0.0 && v < 1.0);
  expect_moments(u, 0.5, 1.0 / 12.0, "uniform");
  expect_moments(draw([](Rng& r) { return r.uniform(-2.0, 6.0); }), 2.0, 64.0 / 12.0,
                 "uniform(-2, 6)");
  expect_moments(draw([](Rng& r) { return r.normal(); }), 0.0, 1.0, "normal");
  expect_moments(draw([](Rng& r) { return r.normal(3.0, 2.0); }), 3.0, 4.0, "normal(3, 2)");
  expect_moments(draw([](Rng& r) { return r.exponential(); }), 1.0, 1.0, "exponential");
  const double s2 = 0.25;
  expect_moments(draw([](Rng& r) { return r.lognormal(0.0, 0.5); }), std::exp(s2 / 2),
                 (std::exp(s2) - 1) * std::exp(s2), "lognormal");
  // Normal tails: P(|Z| > 2) = 0.0455 within 5 binomial standard errors.
  const auto z = draw([](Rng& r) { return r.normal(); }, 3);
  double tail = 0;
  for (double v : z) tail += std::fabs(v) > 2.0;
  tail /= kN;
  EXPECT_NEAR(tail, 0.0455003, 5 * std::sqrt(0.0455 * 0.9545 / kN));
  Rng r(1);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 7000; ++i) {
    const auto k = r.below(7);
    ASSERT_LT(k, 7u);
    seen.insert(k);
  }
  EXPECT_EQ(seen.size(), 7u);
}

TEST(Random, GammaMoments) {
  for (double a : {0.3, 1.0, 2.5, 40.0}) {
    const auto x = draw([a](Rng& r) { return r.gamma(a); });
    expect_moments(x, a, a, ("gamma shape " + std::to_string(a)).c_str());
  }
  Rng r(1);
  EXPECT_THROW(r.gamma(0.0), ConfigError);
  EXPECT_THROW(r.gamma(-1.0), ConfigError);
}

TEST(Random, PoissonMomentsAndMassBothSidesOfTheMethodSwitch) {
  for (double lam : {0.05, 1.0, 3.5, 9.99, 10.0, 47.3, 1000.0}) {
    const auto x = draw([lam](Rng& r) { return static_cast<double>(r.poisson(lam)); }, 2);
    const std::string what = "poisson " + std::to_string(lam);
    expect_moments(x, lam, lam, what.c_str());
    // The probability of each value near the mode against the pmf, 5 binomial standard errors.
    const auto mode = static_cast<std::int64_t>(std::floor(lam));
    for (std::int64_t k = std::max<std::int64_t>(0, mode - 2); k <= mode + 2; ++k) {
      const double p = std::exp(-lam + static_cast<double>(k) * std::log(lam) - log_factorial(k));
      double f = 0;
      for (double v : x) f += v == static_cast<double>(k);
      f /= kN;
      EXPECT_NEAR(f, p, 5 * std::sqrt(p * (1 - p) / kN) + 1e-12) << what << " P(X=" << k << ")";
    }
  }
  Rng r(1);
  EXPECT_EQ(r.poisson(0.0), 0);
  EXPECT_THROW(r.poisson(-1.0), ConfigError);
  EXPECT_THROW(r.poisson(std::nan("")), ConfigError);
}

TEST(Random, NegativeBinomialIsOverdispersed) {
  for (double shape : {0.5, 4.0}) {
    const double mean = 6.0;
    const auto x = draw(
        [shape, mean](Rng& r) { return static_cast<double>(r.negative_binomial(mean, shape)); });
    expect_moments(x, mean, mean + mean * mean / shape, "negative binomial");
  }
  Rng r(1);
  EXPECT_THROW(r.negative_binomial(1.0, 0.0), ConfigError);
}

TEST(Random, BernoulliAndPermutation) {
  expect_moments(draw([](Rng& r) { return r.bernoulli(0.3) ? 1.0 : 0.0; }), 0.3, 0.21, "bernoulli");
  Rng r(4);
  auto p = r.permutation(50);
  std::set<std::int64_t> s(p.begin(), p.end());
  EXPECT_EQ(s.size(), 50u);
  EXPECT_EQ(*s.begin(), 0);
  EXPECT_EQ(*s.rbegin(), 49);
  // Position of element 0 is uniform over 0..9: mean 4.5, variance 8.25.
  std::vector<double> pos;
  for (int i = 0; i < 50000; ++i) {
    const auto q = r.permutation(10);
    pos.push_back(static_cast<double>(std::find(q.begin(), q.end(), 0) - q.begin()));
  }
  expect_moments(pos, 4.5, 8.25, "permutation position");
}

TEST(Random, LogFactorial) {
  EXPECT_DOUBLE_EQ(log_factorial(0), 0.0);
  EXPECT_NEAR(log_factorial(10), std::log(3628800.0), 1e-12);
  // Across the table/Stirling boundary the values agree with lgamma to ~1e-13 relative.
  for (std::int64_t k : {254, 255, 256, 257, 1000, 100000})
    EXPECT_NEAR(log_factorial(k), std::lgamma(static_cast<double>(k) + 1.0),
                1e-13 * std::lgamma(static_cast<double>(k) + 1.0));
}
