#pragma once
// Reduced-rank (ridge) regression: the ridge solution B_α projected onto the r-dimensional
// target subspace that carries most of its fitted variance, B_r = B_α V_r V_r', with V_r the top
// r right singular vectors of the fitted values X·B_α. This is the "communication subspace"
// model of Semedo et al. (2019, Neuron 102:249) and the reduced-rank regression of Stringer et
// al. (2019, Science 364:eaav7893); see Izenman (1975, J. Multivar. Anal. 5:248) for the
// estimator. Every rank is cross-validated from one decomposition per fold.

#include <cstdint>
#include <string>
#include <vector>

#include "neurodl/core/matrix.hpp"
#include "neurodl/core/model.hpp"
#include "neurodl/core/options.hpp"
#include "neurodl/eval/splits.hpp"
#include "neurodl/linear/ridge.hpp"

namespace neurodl::linear {

/// Options of reduced-rank regression (`neurodl fit --model rrr`).
struct RrrOptions {
  /// Ridge penalties (each > 0; scale as in RidgeOptions::alphas). One value: that penalty.
  /// Several: one penalty shared by all targets, the one whose full-rank ridge has the highest
  /// CV R² averaged over targets. Default default_ridge_alphas().
  std::vector<double> alphas = default_ridge_alphas();
  /// Rank of the fitted model (1 ≤ rank ≤ min(p, q)); 0 (default): chosen by CV (rank_rule).
  std::int64_t rank = 0;
  /// Ranks swept by CV (each 1 ≤ r ≤ min(p, q)); empty (default): 1..min(p, q, 128).
  std::vector<std::int64_t> ranks;
  /// How CV picks the rank when rank is 0: "one_se" (default; the smallest swept rank whose
  /// CV R² is within one standard error over folds of the best, Semedo et al. 2019) or "best".
  std::string rank_rule = "one_se";
  /// Time-block folds (--folds, --blocks, --gap); default 5 folds.
  eval::SplitOptions split;
  /// Fit an intercept by centring X and Y with their training means; default true.
  bool fit_intercept = true;
  /// Divide each feature by its training standard deviation before the penalty; default false.
  bool standardize = false;
  /// "auto" (default), "primal" (X'X) or "dual" (XX'), as for ridge.
  std::string solver = "auto";
  /// "float32" (default) or "float64" for the large products; decompositions are float64.
  std::string precision = "float32";
};

/// The option table of RrrOptions: alphas, rank, ranks, rank_rule, folds, blocks, gap,
/// fit_intercept, standardize, solver, precision.
std::vector<OptionSpec> option_specs(RrrOptions& o);

/// Cross-validated prediction performance as a function of rank (one point per swept rank).
struct RankCurve {
  std::vector<std::int64_t> ranks;  ///< swept ranks, ascending
  /// CV R² averaged over targets, per rank (concatenated out-of-fold predictions per target).
  std::vector<double> r2_mean;
  /// Standard error over folds of the per-fold target-averaged R², per rank.
  std::vector<double> r2_sem;
  /// CV R² of every target at every rank (n_ranks × q).
  MatrixD r2;
  /// CV R² averaged over targets of the full-rank ridge solution at `alpha`.
  double ridge_r2_mean = 0.0;
  /// The ridge penalty used (chosen by CV when several were given).
  double alpha = 0.0;
  /// Swept rank with the highest r2_mean.
  std::int64_t best_rank = 0;
  /// Smallest swept rank whose r2_mean is within one r2_sem of the best (Semedo et al. 2019).
  std::int64_t predictive_dimensionality = 0;
};

/// The rank curve of reduced-rank ridge regression of Y (T × q) on X (T × p) under `options`
/// (options.rank is ignored; options.ranks or the default sweep is used). For area-to-area
/// prediction and communication-subspace analyses. Throws as ReducedRankRegression::fit.
RankCurve rrr_rank_curve(const MatrixF& x, const MatrixF& y, const RrrOptions& options);

/// Reduced-rank ridge regression Y ≈ X·W_r + 1·b (registry name "rrr").
///
/// fit() throws ShapeError for different row counts or empty inputs; ConfigError for NaN/Inf,
/// penalties ≤ 0, a rank (or swept rank) outside 1..min(p, q), an unknown rank_rule, solver or
/// precision, or an impossible split.
///
/// Summary keys: model, n_samples, n_features, n_targets, cv_r2 (per target at the chosen rank),
/// cv_r2_mean, fit_seconds, alpha, rank (chosen), rank_curve (array of {rank, cv_r2_mean,
/// sem}), predictive_dimensionality, ridge_cv_r2_mean, rank_rule.
///
/// State arrays: weights (p × q, rank r), intercept (1 × q), target_subspace V_r (q × r,
/// orthonormal columns), source_map B_α·V_r (p × r; weights = source_map · V_r'), cv_r2
/// (1 × q); params: options, alpha, rank, rank_curve, predictive_dimensionality, n_samples,
/// fit_seconds.
class ReducedRankRegression : public Model {
 public:
  explicit ReducedRankRegression(RrrOptions options = {});

  std::string name() const override { return "rrr"; }
  std::vector<OptionSpec> option_specs() override;
  /// Fits on X (T × p) and Y (T × q); see the class comment for what it throws.
  void fit(const MatrixF& x, const MatrixF& y) override;
  /// Ŷ = X·W_r + 1·b (T' × q); throws ShapeError when X has not p columns, ConfigError before fit.
  MatrixF predict(const MatrixF& x) const override;
  nlohmann::json summary() const override;
  ModelState state() const override;
  void load_state(const ModelState& state) override;

  /// The options (change them before fit()).
  RrrOptions& options() { return options_; }
  const RrrOptions& options() const { return options_; }
  /// True after fit() or load_state().
  bool fitted() const { return weights_.size() > 0; }
  /// Rank-r weights W_r (p × q).
  const MatrixD& weights() const { return weights_; }
  /// Intercepts (q).
  const VectorD& intercept() const { return intercept_; }
  /// Orthonormal basis V_r of the predicted target subspace (q × r).
  const MatrixD& target_subspace() const { return target_subspace_; }
  /// Source-side map B_α·V_r (p × r): the predictive dimensions in feature space.
  const MatrixD& source_map() const { return source_map_; }
  /// The rank used by the fitted weights.
  std::int64_t rank() const { return rank_; }
  /// The ridge penalty used.
  double alpha() const { return alpha_; }
  /// CV R² of each target at the fitted rank (q).
  const VectorD& cv_r2() const { return cv_r2_; }
  /// The cross-validated rank curve of the last fit().
  const RankCurve& rank_curve() const { return curve_; }

 private:
  RrrOptions options_;
  MatrixD weights_, target_subspace_, source_map_;
  MatrixF weights_f_;
  VectorD intercept_, cv_r2_;
  RankCurve curve_;
  std::int64_t rank_ = 0;
  double alpha_ = 0.0;
  std::int64_t n_samples_ = 0;
  double fit_seconds_ = 0.0;
};

}  // namespace neurodl::linear
