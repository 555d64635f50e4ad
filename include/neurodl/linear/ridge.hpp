#pragma once
// Multi-target ridge regression with one penalty per target chosen by time-block
// cross-validation. Every penalty of the grid and every target is evaluated from one
// eigendecomposition of the training Gram matrix per fold (X'X when n ≥ p, XX' when p > n), so
// the grid costs one matrix product per penalty and fold (a triangular one when the test block
// has at least as many rows as the basis) instead of one solve per penalty and target. See
// src/linear/ridge.cpp and ridge_detail.cpp for the formulas and their cost.
//
// Scale of the penalty: alpha is added to the eigenvalues of X_c'X_c, where X_c is the training
// design matrix centred with its training means (when fit_intercept) and divided by its training
// standard deviations (when standardize). It is a sum over samples, not a mean: the same
// convention as scikit-learn's Ridge, so equal alphas give equal weights.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "neurodl/core/matrix.hpp"
#include "neurodl/core/model.hpp"
#include "neurodl/core/options.hpp"
#include "neurodl/eval/splits.hpp"

namespace neurodl::linear {

/// The default penalty grid: 1e-2, 1e-1, ..., 1e6 (nine values, one per decade).
std::vector<double> default_ridge_alphas();

/// Options of ridge regression (`neurodl fit --model ridge`).
struct RidgeOptions {
  /// Penalties tried by cross-validation (each > 0); each target gets the one with the highest
  /// CV R². One value fixes the penalty (CV still reports cv_r2). Default default_ridge_alphas().
  std::vector<double> alphas = default_ridge_alphas();
  /// Time-block folds (--folds, --blocks, --gap) of eval::time_block_folds; default 5 folds.
  eval::SplitOptions split;
  /// Fit an intercept by centring X and Y with their training means; default true.
  bool fit_intercept = true;
  /// Divide each feature by its training standard deviation (root mean square when
  /// fit_intercept is false; constant features are left unscaled) before the penalty is
  /// applied; weights are always returned in the original units. Default false.
  bool standardize = false;
  /// "primal" decomposes X'X (p × p), "dual" XX' (n × n); "auto" (default) picks primal
  /// when the training samples are at least the features.
  std::string solver = "auto";
  /// Targets processed together; bounds the working memory to O(n·p + folds·p·chunk).
  /// 0 (default): min(q, 2048).
  std::int64_t target_chunk = 0;
  /// Arithmetic of the large matrix products: "float32" (default) or "float64". The
  /// decompositions are always computed in float64.
  std::string precision = "float32";
};

/// The option table of RidgeOptions: alphas, folds, blocks, gap, fit_intercept, standardize,
/// solver, target_chunk, precision.
std::vector<OptionSpec> option_specs(RidgeOptions& o);

/// Ridge regression Y ≈ X·W + 1·b with a penalty per target (registry name "ridge").
///
/// fit() throws ShapeError when X and Y have different row counts or are empty, ConfigError for
/// NaN/Inf values, penalties ≤ 0 or NaN, an unknown solver/precision, or a split the series
/// cannot give (eval::time_block_folds).
///
/// Summary keys: model, n_samples, n_features, n_targets, cv_r2 (per target, at its chosen
/// alpha, computed on the concatenated out-of-fold predictions: 1 − Σ(y − ŷ)² / Σ(y − ȳ)²
/// over all samples, ȳ the target's mean over all samples), cv_r2_mean, fit_seconds, alphas
/// (chosen per target), alpha_grid, solver, precision, timing_seconds (decompose, products,
/// refit), and after fit() cv_scoring (how the test errors of the penalty grid were formed:
/// sweep, quadratic or residuals).
///
/// State arrays: weights (p × q), intercept (1 × q), alphas (1 × q), cv_r2 (1 × q);
/// params: options, n_samples, fit_seconds, solver.
class Ridge : public Model {
 public:
  explicit Ridge(RidgeOptions options = {});

  std::string name() const override { return "ridge"; }
  std::vector<OptionSpec> option_specs() override;
  /// Fits on X (T × p) and Y (T × q); see the class comment for what it throws.
  void fit(const MatrixF& x, const MatrixF& y) override;
  /// Ŷ = X·W + 1·b (T' × q); throws ShapeError when X has not p columns, ConfigError before fit.
  MatrixF predict(const MatrixF& x) const override;
  nlohmann::json summary() const override;
  ModelState state() const override;
  void load_state(const ModelState& state) override;

  /// The options (change them before fit()).
  RidgeOptions& options() { return options_; }
  const RidgeOptions& options() const { return options_; }
  /// True after fit() or load_state().
  bool fitted() const { return weights_.size() > 0; }
  /// Weights W (p × q) in the units of X and Y.
  const MatrixD& weights() const { return weights_; }
  /// Intercepts b (q); zero when fit_intercept is false.
  const VectorD& intercept() const { return intercept_; }
  /// The penalty chosen for each target (q).
  const VectorD& alphas() const { return alphas_; }
  /// Cross-validated R² of each target at its chosen penalty (q).
  const VectorD& cv_r2() const { return cv_r2_; }
  /// Cross-validated R² of every target at every penalty (n_alphas × q, rows in the order of
  /// options().alphas); empty after load_state().
  const MatrixD& cv_r2_grid() const { return cv_r2_grid_; }

 private:
  RidgeOptions options_;
  MatrixD weights_;
  MatrixF weights_f_;  // float32 copy used by predict() when precision is float32
  VectorD intercept_, alphas_, cv_r2_;
  MatrixD cv_r2_grid_;
  std::int64_t n_samples_ = 0;
  double fit_seconds_ = 0.0;
  std::string solver_used_;
  std::string scoring_used_;  // how the CV test errors were formed (summary's cv_scoring)
  std::array<double, 3> timing_{};  // decompose, products, refit [s]
};

}  // namespace neurodl::linear
