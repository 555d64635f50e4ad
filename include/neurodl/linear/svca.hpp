#pragma once
// Shared variance component analysis (SVCA): Stringer, Pachitariu, Steinmetz, Reddy, Carandini &
// Harris (2019) "Spontaneous behaviors drive multidimensional, brainwide activity", Science 364.
//
// Units are split into two sets A and B (spatially separated, so that no unit's own noise or an
// optical neighbour's can be shared), and time into training and test samples. On training time
// the SVD of the cross-covariance C = A_trᵀ·B_tr (N_A × N_B) gives pairs of directions (u_k, v_k)
// that maximise the covariance between the sets. On test time the projections a_k = A_te·u_k and
// b_k = B_te·v_k give
//     shared variance    s_k = cov(a_k, b_k)                 (reliable, cross-validated)
//     variance           σ²_k = (var(a_k) + var(b_k)) / 2
//     reliable fraction  s_k / σ²_k,
// the fraction of each component's variance that is shared and repeatable on held-out time.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "neurodl/core/matrix.hpp"
#include "neurodl/core/options.hpp"
#include "neurodl/core/recording.hpp"
#include "neurodl/eval/splits.hpp"

namespace neurodl::linear {

/// Options of svca().
struct SvcaOptions {
  /// Number of component pairs k, clipped to min(N_A, N_B); default 128.
  std::int64_t n_components = 128;
  /// Recording input: how units are split: "checkerboard" (default; squares of side
  /// checker_um on the x, y positions, alternate squares to A and B) or "interleaved" (even
  /// unit indices to A, odd to B; for units without positions).
  std::string unit_split = "checkerboard";
  /// Side of the checkerboard squares [µm]; default 60.
  double checker_um = 60.0;
  /// Time split: fold 0 of eval::time_block_folds is used (its test blocks are test time, the
  /// rest training time); default 2 folds over 10 blocks, so half the samples test, spread
  /// over the recording.
  eval::SplitOptions split{.folds = 2, .blocks = 10, .gap = 0};
  /// "exact", "randomized" or "auto" (default: exact when min(N_A, N_B) ≤ 2000) SVD of C.
  std::string solver = "auto";
  /// Seed of the randomized SVD; default 0.
  std::uint64_t seed = 0;
  /// Threshold of n_reliable: leading components whose reliable fraction is at least this;
  /// default 0.05.
  double reliable_threshold = 0.05;
};

/// The option table of SvcaOptions (with --folds, --blocks, --gap).
std::vector<OptionSpec> option_specs(SvcaOptions& o);

/// The result of svca().
struct SvcaResult {
  /// k shared (reliable) variances s_k on test time (divisor T_test − 1).
  VectorD shared_variance;
  /// k mean variances σ²_k of the two projections on test time.
  VectorD variance;
  /// k ratios s_k / σ²_k.
  VectorD reliable_fraction;
  /// Sum of unit variances of set A and of set B on test time.
  double total_variance_a = 0.0, total_variance_b = 0.0;
  /// Number of leading components with reliable_fraction ≥ reliable_threshold.
  std::int64_t n_reliable = 0;
  /// Directions u_k (k × N_A) and v_k (k × N_B), unit norm.
  MatrixF components_a, components_b;
  /// Unit indices (columns of x) of the two sets.
  std::vector<std::int64_t> set_a, set_b;
  std::int64_t n_train = 0, n_test = 0;  ///< training and test samples
};

/// SVCA of x (T × N) with the given disjoint unit sets (column indices, ≥ 1 each). Throws
/// ShapeError for an index outside 0..N−1, ConfigError for NaN/Inf, overlapping or empty sets,
/// an unknown solver or a split the series cannot give.
SvcaResult svca(const MatrixF& x, const std::vector<std::int64_t>& set_a,
                const std::vector<std::int64_t>& set_b, const SvcaOptions& options = {});

/// Splits units into two sets by a checkerboard of squares of side `square_um` on their x, y
/// positions: unit i goes to A when ⌊x/s⌋ + ⌊y/s⌋ is even. Throws ConfigError when a unit has
/// no position or square_um ≤ 0.
std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>> checkerboard_split(
    const std::vector<Unit>& units, double square_um);

/// SVCA of a recording's activity with the unit split named by options.unit_split.
SvcaResult svca(const Recording& rec, const SvcaOptions& options = {});

/// JSON: n_units_a/b, n_train, n_test, n_reliable, total_variance_a/b, shared_variance,
/// variance, reliable_fraction (lists of length k).
nlohmann::json to_json(const SvcaResult& result);

}  // namespace neurodl::linear
