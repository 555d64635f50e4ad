#pragma once
// Cross-validation that respects time: every model in neurodl (linear and deep) splits its
// samples with this one splitter. Samples are never shuffled individually; the series is cut
// into contiguous blocks, and a gap of samples on each side of a test block is left out of
// training so that autocorrelated neighbours do not leak into the fit.

#include <cstdint>
#include <vector>

#include "neurodl/core/options.hpp"

namespace neurodl::eval {

/// How samples are split into folds.
struct SplitOptions {
  /// Number of folds K (each sample is in the test set of exactly one fold); ≥ 2.
  std::int64_t folds = 5;
  /// Contiguous blocks the series is cut into; block b tests in fold b mod K. 0: one block per
  /// fold (each test set is one contiguous stretch). More blocks spread each fold over the
  /// recording, which averages out slow drifts.
  std::int64_t blocks = 0;
  /// Samples dropped from training on each side of every test block [samples]; default 0.
  std::int64_t gap = 0;
};

/// The option table of SplitOptions (--folds, --blocks, --gap).
std::vector<OptionSpec> option_specs(SplitOptions& o);

/// One fold: sorted sample indices.
struct Fold {
  std::vector<std::int64_t> train;
  std::vector<std::int64_t> test;
};

/// The K folds over n samples. Throws ConfigError when K < 2, blocks < K (unless 0), a block
/// would be empty, or the gap leaves a fold without training samples.
std::vector<Fold> time_block_folds(std::int64_t n_samples, const SplitOptions& options);

}  // namespace neurodl::eval
