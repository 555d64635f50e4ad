#pragma once
// Portable, splittable random numbers. Every draw is made by neurodl's own code (xoshiro256**
// seeded through splitmix64, and the sampling algorithms below), never by the implementation-
// defined std:: distributions, so a seed gives the same numbers with any compiler or standard
// library. Independent streams per (seed, stream) let a parallel loop give each unit or chunk its
// own generator, so results do not depend on the number of threads or on the schedule.
//
// References: Blackman & Vigna (2021) "Scrambled linear pseudorandom number generators", ACM TOMS
// 47(4) (xoshiro256**); Steele, Lea & Flood (2014) "Fast splittable pseudorandom number
// generators", OOPSLA (splitmix64); Marsaglia & Bray (1964) (polar normal method); Marsaglia &
// Tsang (2000) "A simple method for generating gamma variables", ACM TOMS 26(3); Hörmann (1993)
// "The transformed rejection method for generating Poisson random variables", Insurance:
// Mathematics and Economics 12 (PTRS).

#include <array>
#include <cstdint>
#include <vector>

namespace neurodl {

/// One step of splitmix64: advances `state` by the golden-ratio increment and returns the mixed
/// output. Used to expand a seed into a full generator state.
std::uint64_t splitmix64(std::uint64_t& state);

/// xoshiro256** generator with the sampling methods neurodl needs. Not thread-safe: give each
/// thread (better: each unit or chunk of work) its own Rng(seed, stream).
class Rng {
 public:
  /// The generator of stream `stream` under `seed`. Different (seed, stream) pairs give
  /// statistically independent sequences (their states are splitmix64 hashes of both numbers).
  explicit Rng(std::uint64_t seed, std::uint64_t stream = 0);
  /// A generator started from a raw xoshiro256** state (for reference tests); an all-zero state
  /// is replaced by a fixed non-zero one.
  static Rng from_state(const std::array<std::uint64_t, 4>& state);

  /// The next raw 64-bit output.
  std::uint64_t next_u64();
  /// Uniform on [0, 1) with 53 random bits.
  double uniform();
  /// Uniform on [lo, hi).
  double uniform(double lo, double hi);
  /// Uniform on (0, 1): never 0, for logarithms.
  double uniform_open();
  /// Unbiased integer uniform on [0, n); n must be > 0 (returns 0 for n == 0).
  std::uint64_t below(std::uint64_t n);
  /// Standard normal N(0, 1) by the polar method; the second variate of each pair is kept for the
  /// next call (part of the state, so sequences stay deterministic).
  double normal();
  /// N(mean, sd²).
  double normal(double mean, double sd);
  /// exp(N(mu, sigma²)): log-normal with log-mean `mu` and log-sd `sigma`.
  double lognormal(double mu, double sigma);
  /// Exponential with rate 1 (mean 1) by inversion.
  double exponential();
  /// Gamma(shape, scale 1), mean = variance = shape; shape > 0 (Marsaglia–Tsang; shapes below 1
  /// use the boost Gamma(shape + 1)·U^(1/shape)). Throws ConfigError for shape ≤ 0 or NaN.
  double gamma(double shape);
  /// Poisson(mean): inversion by sequential search for mean < 10, PTRS (Hörmann 1993) above.
  /// Throws ConfigError for a negative or non-finite mean; mean 0 gives 0.
  std::int64_t poisson(double mean);
  /// Negative binomial as a gamma–Poisson mixture: Poisson(λ) with λ ~ Gamma(shape, mean/shape).
  /// Mean `mean`, variance mean + mean²/shape. shape = +∞ gives Poisson(mean).
  /// Throws ConfigError for shape ≤ 0 or a negative mean.
  std::int64_t negative_binomial(double mean, double shape);
  /// true with probability p (p clamped to [0, 1]).
  bool bernoulli(double p);
  /// A uniformly random permutation of 0..n-1 (Fisher–Yates).
  std::vector<std::int64_t> permutation(std::int64_t n);

 private:
  Rng() = default;
  std::array<std::uint64_t, 4> s_{};
  double spare_normal_ = 0.0;
  bool has_spare_ = false;
};

/// ln(k!) for k ≥ 0: a table up to 255, Stirling's series beyond (relative error < 1e-15).
double log_factorial(std::int64_t k);

}  // namespace neurodl
