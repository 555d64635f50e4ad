#pragma once
// Principal component analysis of a time × units matrix, exact or randomized.
//
// Exact: the eigendecomposition (LAPACK dsyevd) of the centred Gram matrix of the smaller side,
// XcᵀXc (N × N) when N ≤ T, else XcXcᵀ (T × T); cost O(T·min(T,N)² + min(T,N)³).
// Randomized: the randomized subspace iteration of Halko, Martinsson & Tropp (2011) "Finding
// structure with randomness", SIAM Review 53(2), Algorithm 4.4, in float32 with BLAS GEMMs;
// cost O(T·N·(k + p)·(2q + 2)) for k components, oversampling p and q power iterations.
//
// Memory: the input is never copied whole. Centring happens on the fly, one block of rows (or
// columns) at a time, so the extra memory is O((T + N)·(k + p)) plus one block (randomized) or
// O(min(T,N)²) (exact). A 10,000-unit × 100,000-sample float32 recording (4 GB) takes about
// 4.2 GB in all with the randomized solver.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "neurodl/core/matrix.hpp"
#include "neurodl/core/options.hpp"

namespace neurodl::linear {

/// Options of pca().
struct PcaOptions {
  /// Number of components k; 0: all (min(T − 1, N)); default 10.
  std::int64_t n_components = 10;
  /// "exact", "randomized" or "auto" (default): exact when min(T, N) ≤ 4000 or when k + p
  /// exceeds half of min(T, N), randomized otherwise.
  std::string solver = "auto";
  /// Randomized: extra random directions p beyond k (Halko et al. 2011 §4.2); default 10.
  std::int64_t oversampling = 10;
  /// Randomized: power (subspace) iterations q; each costs two passes over the data; default 4.
  std::int64_t power_iterations = 4;
  /// Randomized: seed of the Gaussian test matrix; default 0.
  std::uint64_t seed = 0;
  /// Also return the scores (T × k projections of the centred data); default false.
  bool scores = false;
};

/// The option table of PcaOptions (--n-components, --solver, --oversampling,
/// --power-iterations, --seed, --scores).
std::vector<OptionSpec> option_specs(PcaOptions& o);

/// The result of pca(). Components are sign-normalised: the entry of largest magnitude of each
/// component is positive.
struct PcaResult {
  /// k × N unit-norm principal axes, ordered by decreasing variance.
  MatrixF components;
  /// k variances along the components (eigenvalues of the covariance, divisor T − 1).
  VectorD explained_variance;
  /// k fractions of the total variance (explained_variance / total_variance).
  VectorD explained_variance_ratio;
  /// Sum of the N unit variances (divisor T − 1): the trace of the covariance.
  double total_variance = 0.0;
  /// N column means that were subtracted (float64).
  VectorD mean;
  /// T × k scores (centred data × componentsᵀ) when PcaOptions::scores, else empty.
  MatrixF scores;
  /// The solver that ran: "exact" or "randomized".
  std::string solver;
};

/// PCA of x (T × N; rows are samples). Throws ShapeError when T < 2 or N < 1, ConfigError for
/// NaN/Inf in x, an unknown solver, or k > min(T, N).
PcaResult pca(const MatrixF& x, const PcaOptions& options = {});

/// Summary of a PcaResult as JSON: solver, n_components, total_variance, explained_variance,
/// explained_variance_ratio (lists of length k); no arrays of size N or T.
nlohmann::json to_json(const PcaResult& result);

}  // namespace neurodl::linear
