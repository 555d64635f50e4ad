#include "neurodl/core/random.hpp"

#include <cmath>
#include <limits>
#include <numbers>
#include <string>

#include "neurodl/core/error.hpp"

namespace neurodl {
namespace {

constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// The splitmix64 output function alone: a bijective 64-bit mixer (Stafford's "Mix13").
std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// ln k! for k < 256, built once by summing logarithms (exact enough: the error grows like k·ulp).
struct LogFactorialTable {
  std::array<double, 256> v{};
  LogFactorialTable() {
    v[0] = 0.0;
    for (size_t k = 1; k < v.size(); ++k) v[k] = v[k - 1] + std::log(static_cast<double>(k));
  }
};

// The Problem (and its number formatting) is built only on failure: these run once per draw.
void check_finite_nonnegative(double x, const char* what) {
  if (!(x >= 0 && std::isfinite(x)))
    raise(ErrorKind::config, {.component = "random",
                              .what = what,
                              .expected = "finite and >= 0",
                              .got = std::to_string(x)});
}

}  // namespace

std::uint64_t splitmix64(std::uint64_t& state) {
  state += kGolden;
  return mix64(state);
}

Rng::Rng(std::uint64_t seed, std::uint64_t stream) {
  // Hash seed and stream separately (mix64 is a bijection, so distinct seeds give distinct
  // keys), combine, and expand the key with splitmix64 into the 256-bit state. Two (seed,
  // stream) pairs share a key only by a 2^-64 accident; different keys give unrelated states.
  std::uint64_t key = mix64(seed ^ 0x6A09E667F3BCC908ULL) ^ rotl(mix64(stream + kGolden), 23);
  for (auto& w : s_) w = splitmix64(key);
  if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = kGolden;
}

Rng Rng::from_state(const std::array<std::uint64_t, 4>& state) {
  Rng r;
  r.s_ = state;
  if ((state[0] | state[1] | state[2] | state[3]) == 0) r.s_[0] = kGolden;
  return r;
}

std::uint64_t Rng::next_u64() {
  // xoshiro256** (Blackman & Vigna 2021): period 2^256 − 1, passes BigCrush.
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() {
  // The top 53 bits as an integer times 2^-53: every value is a multiple of 2^-53 in [0, 1).
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

double Rng::uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

double Rng::uniform_open() {
  // (k + 0.5)·2^-53 for k in [0, 2^53): symmetric, never 0 or 1.
  return (static_cast<double>(next_u64() >> 11) + 0.5) * 0x1.0p-53;
}

std::uint64_t Rng::below(std::uint64_t n) {
  if (n == 0) return 0;
  // Rejection of the lowest (2^64 mod n) values makes x mod n exactly uniform.
  const std::uint64_t threshold = (0 - n) % n;
  std::uint64_t x;
  do x = next_u64();
  while (x < threshold);
  return x % n;
}

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_normal_;
  }
  // Marsaglia's polar method: a uniform point in the unit disc (u, v) with s = u² + v² gives two
  // independent normals u·m and v·m, m = sqrt(−2 ln s / s). No trigonometric functions.
  double u, v, s;
  do {
    u = 2.0 * uniform() - 1.0;
    v = 2.0 * uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double m = std::sqrt(-2.0 * std::log(s) / s);
  spare_normal_ = v * m;
  has_spare_ = true;
  return u * m;
}

double Rng::normal(double mean, double sd) { return mean + sd * normal(); }

double Rng::lognormal(double mu, double sigma) { return std::exp(mu + sigma * normal()); }

double Rng::exponential() { return -std::log(uniform_open()); }

double Rng::gamma(double shape) {
  if (!(shape > 0 && std::isfinite(shape)))
    raise(ErrorKind::config, {.component = "random",
                              .what = "gamma shape must be positive and finite",
                              .expected = "> 0",
                              .got = std::to_string(shape)});
  if (shape < 1.0) {
    // Boost: if G ~ Gamma(a + 1) and U ~ U(0, 1) then G·U^(1/a) ~ Gamma(a) (Marsaglia–Tsang §6).
    const double g = gamma(shape + 1.0);
    return g * std::pow(uniform_open(), 1.0 / shape);
  }
  // Marsaglia & Tsang (2000): with d = a − 1/3 and c = 1/sqrt(9d), d·(1 + c·X)³ for X ~ N(0, 1)
  // is accepted with the squeeze u < 1 − 0.0331 X⁴ or the exact test
  // ln u < X²/2 + d − d·v + d·ln v; the acceptance rate exceeds 95 % for every a ≥ 1.
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = uniform_open();
    const double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) return d * v;
    if (std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) return d * v;
  }
}

std::int64_t Rng::poisson(double mean) {
  check_finite_nonnegative(mean, "Poisson mean must be finite and non-negative");
  if (mean == 0.0) return 0;
  if (mean < 10.0) {
    // Inversion by sequential search: walk the CDF P(X ≤ k) = Σ e^-λ λ^j / j! until it passes u.
    // Expected cost 1 + λ steps. The cap only guards against u above the rounded total mass.
    const double u = uniform();
    double p = std::exp(-mean);
    double cdf = p;
    std::int64_t k = 0;
    while (u > cdf && k < 1000) {
      ++k;
      p *= mean / static_cast<double>(k);
      cdf += p;
    }
    return k;
  }
  // PTRS, Hörmann (1993): transformed rejection with a squeeze. The hat is the inverse of a
  // shifted hyperbola k(u) = floor((2a/(0.5 − |u|) + b)·u + λ + 0.43); the constants a, b, α,
  // v_r are Hörmann's fits for λ ≥ 10. Acceptance is exact: it compares against ln p(k).
  const double sq = std::sqrt(mean);
  const double log_mean = std::log(mean);
  const double b = 0.931 + 2.53 * sq;
  const double a = -0.059 + 0.02483 * b;
  const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
  const double v_r = 0.9277 - 3.6224 / (b - 2.0);
  for (;;) {
    const double u = uniform() - 0.5;
    const double v = uniform_open();
    const double us = 0.5 - std::fabs(u);
    const double kf = std::floor((2.0 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= v_r) return static_cast<std::int64_t>(kf);  // squeeze: accept at once
    if (kf < 0.0 || (us < 0.013 && v > us)) continue;
    const auto k = static_cast<std::int64_t>(kf);
    // Exact test: accept when ln(v·α⁻¹ / (a/us² + b)) ≤ ln p(k) = −λ + k ln λ − ln k!.
    if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <=
        -mean + kf * log_mean - log_factorial(k))
      return k;
  }
}

std::int64_t Rng::negative_binomial(double mean, double shape) {
  check_finite_nonnegative(mean, "negative binomial mean must be finite and non-negative");
  if (!(shape > 0))
    raise(ErrorKind::config, {.component = "random",
                              .what = "negative binomial shape must be positive",
                              .expected = "> 0",
                              .got = std::to_string(shape)});
  if (std::isinf(shape)) return poisson(mean);
  if (mean == 0.0) return 0;
  // Gamma–Poisson mixture: λ ~ Gamma(r, mean/r) has mean `mean` and variance mean²/r, so the
  // count has variance mean + mean²/r (law of total variance).
  return poisson(gamma(shape) * (mean / shape));
}

bool Rng::bernoulli(double p) { return uniform() < p; }

std::vector<std::int64_t> Rng::permutation(std::int64_t n) {
  std::vector<std::int64_t> perm(static_cast<size_t>(std::max<std::int64_t>(n, 0)));
  for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<std::int64_t>(i);
  for (size_t i = perm.size(); i > 1; --i) std::swap(perm[i - 1], perm[below(i)]);
  return perm;
}

double log_factorial(std::int64_t k) {
  static const LogFactorialTable table;
  if (k < 0) throw InternalError("log_factorial: negative argument");
  if (k < static_cast<std::int64_t>(table.v.size())) return table.v[static_cast<size_t>(k)];
  // Stirling's series for ln Γ(x), x = k + 1 ≥ 257: the next term (x^-7/1680) is below 1e-20.
  const double x = static_cast<double>(k) + 1.0;
  const double x2 = x * x;
  return (x - 0.5) * std::log(x) - x + 0.5 * std::log(2.0 * std::numbers::pi) +
         (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / (1260.0 * x2)) / x2) / x;
}

}  // namespace neurodl
