#pragma once
// Private engine shared by ridge.cpp and rrr.cpp: the eigendecompositions of every training set
// (one per fold plus one of all samples) and the products that turn a chunk of targets into
// ridge coefficients in each eigenbasis.
//
// Notation (one training set, X_c its centred and optionally standardized rows, n_tr × p):
//   primal: X_c'X_c = V Λ V', R = diag(1/σ) V (p × k, k = p), B = R' X'Y_c  (k × c)
//   dual:   X_c X_c' = U Λ U', R = diag(1/σ) X_c' U (p × k, k = n_tr), B = U' Y_c (k × c)
// In both, the ridge weights at penalty α are W_α = R diag(1/(λ + α)) B, so the predictions of
// test rows are Ŷ_α = A diag(1/(λ + α)) B + 1·ȳ' with A = (X_test − 1·x̄') R, precomputed once
// per fold (primal: A = X̃_test V; dual: A = X̃_test X̃_train' U, X̃ the centred, scaled rows).
// Every penalty then costs one scaling of B and one product A·B (Hastie, Tibshirani &
// Friedman 2009, Elements of Statistical Learning §3.4.1, eq. 3.47), or, with A = QR and
// n_test ≥ k, one triangular product R·B: ‖y − A·b‖² = ‖y‖² − 2 b'A'y + ‖R·b‖² (grid_sse).
// Usually neither: the quadratic form b'D G D b (G = A'A, D = diag(1/(λ + α))) splits by
// partial fractions into terms with one factor 1/(λ_i + α) each, so that every penalty is
// scored from products formed once per fold (Sweep, grid_sse).

#include <algorithm>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "blas.hpp"
#include "neurodl/core/matrix.hpp"
#include "neurodl/core/model.hpp"
#include "neurodl/core/options.hpp"
#include "neurodl/eval/splits.hpp"

namespace neurodl::linear::ridge_detail {

using blas::Index;
using blas::RowMat;

/// What the engine needs from RidgeOptions / RrrOptions.
struct Settings {
  eval::SplitOptions split;
  bool fit_intercept = true;
  bool standardize = false;
  std::string solver = "auto";  ///< auto | primal | dual
  std::string component;        ///< for messages: "linear.ridge" or "linear.rrr"
  std::size_t n_alphas = 1;     ///< penalties per fold (chooses how the test errors are formed)
  double min_alpha = 0;         ///< smallest penalty (bounds the partial-fraction split's error)
  Index n_targets = 0;          ///< targets to be scored (0: many); picks how test errors are formed
};

/// The engine settings of a RidgeOptions or RrrOptions (both name these fields alike), for
/// n_targets targets.
template <class Options>
Settings settings_of(const Options& o, const std::string& component, Index n_targets) {
  return {.split = o.split,
          .fit_intercept = o.fit_intercept,
          .standardize = o.standardize,
          .solver = o.solver,
          .component = component,
          .n_alphas = o.alphas.size(),
          .min_alpha = o.alphas.empty() ? 0.0 : *std::min_element(o.alphas.begin(), o.alphas.end()),
          .n_targets = n_targets};
}

/// Option specs of the engine settings both models share, in this order: fit_intercept,
/// standardize, solver.
std::vector<OptionSpec> engine_option_specs(bool& fit_intercept, bool& standardize,
                                            std::string& solver);
/// Option spec of the arithmetic of the large products (float32 | float64).
OptionSpec precision_option_spec(std::string& precision);

/// Input checks shared by ridge and rrr: non-empty, equal rows, finite values, penalties > 0,
/// known solver/precision. Throws ShapeError / ConfigError.
void check_inputs(const MatrixF& x, const MatrixF& y, const std::vector<double>& alphas,
                  const std::string& solver, const std::string& precision,
                  const std::string& component);

/// A dense float64 block (rows [r0, r0 + m.rows()), columns [c0, c0 + m.cols())) of a banded
/// k × k matrix.
struct BandTile {
  Index r0 = 0, c0 = 0;
  RowMat<double> m;
};

/// The penalty-independent operators that score every penalty of one fold at once.
///
/// With b a target's coefficients in the eigenbasis (k), G = A'A (k × k) and d_i = 1/(λ_i + α),
/// the quadratic part of its test error is Σ_il b_i b_l G_il d_i d_l. For λ_i ≠ λ_l,
///   d_i d_l = (d_i − d_l) / (λ_l − λ_i),
/// so the off-diagonal pairs sum to 2 Σ_i d_i b_i t_i with t = K·b, K_il = G_il / (λ_l − λ_i):
/// K is the same for every penalty. Rounding in t is amplified by the ratio
/// ρ_il = (max(λ_i, λ_l) + α_min) / |λ_l − λ_i|, so pairs are split three ways:
///  - far (ρ ≤ 16 in float32, ρ ≤ 2·10⁵ in float64): K in the working precision, one GEMM;
///  - mid (float32 only, 16 < ρ ≤ 2·10⁵): K in float64, in tiles along the diagonal (λ is
///    sorted, so close pairs form a band);
///  - near (ρ > 2·10⁵, e.g. equal or zero eigenvalues): d_i d_l is replaced by (d_i² + d_l²)/2,
///    whose relative error is below 1/ρ² < 3·10⁻¹¹, so those pairs join the diagonal term
///    Σ_i d_i² b_i h_i with h = G_near·b, again penalty-free.
/// Per fold this costs one k × k product with the targets (2·k²·c flops) in place of one per
/// penalty, plus O(k·c) per penalty.
template <class T>
struct Sweep {
  RowMat<T> far;                ///< K restricted to far pairs (k × k), zero elsewhere
  std::vector<BandTile> mid;    ///< K restricted to mid pairs, float64 tiles
  std::vector<BandTile> near;   ///< G restricted to near off-diagonal pairs, float64 tiles
  std::vector<char> mid_rows, near_rows;  ///< rows (k) that the mid / near tiles cover
  Index band_lo = 0, band_hi = 0;         ///< rows [band_lo, band_hi) of B that the tiles read
  Eigen::VectorXd g_diag;       ///< diag(G) (k)
  bool empty() const { return g_diag.size() == 0; }
};

/// One training set's eigenbasis.
template <class T>
struct Basis {
  Index test_begin = 0, test_size = 0;  ///< test rows (permuted order); none for the full fit
  std::vector<Index> gap;               ///< permuted rows neither trained on nor tested
  std::vector<Index> train;             ///< permuted training rows (dual solver only)
  Index n_train = 0;
  Eigen::VectorXd mean_x;  ///< training mean of the globally centred X (p); 0 without intercept
  Eigen::VectorXd lambda;  ///< eigenvalues λ (k), clamped at 0
  RowMat<T> test_map;      ///< A (n_test × k); empty for the full fit
  /// The partial-fraction operators (grid_sse) when, by flop count, they are the cheapest way
  /// to score 3 or more penalties (k ≤ 4096; see Engine::decompose); empty otherwise.
  Sweep<T> sweep;
  /// R of A = QR (k × k, upper triangular) when quadratic forms in R are the cheapest way to score
  /// 3 or more penalties (n_test ≥ k); else empty.
  RowMat<T> test_r;
  RowMat<T> coef_map;      ///< primal: R (p × k); dual: U (n_train × k)
  RowMat<T> weight_map;    ///< R (p × k); full fit only (primal: same as coef_map, left empty)
};

/// A chunk of targets, globally centred and permuted so that each fold's test rows are
/// contiguous.
template <class T>
struct Chunk {
  Index c0 = 0, c = 0;         ///< first target and number of targets
  RowMat<T> y;                 ///< Y_g (n × c), rows in fold order
  Eigen::VectorXd mean_y;      ///< global means of the chunk's targets (c); 0 without intercept
  Eigen::VectorXd sst;         ///< Σ_i (y_ij − ȳ_j)² over all samples (c)
  RowMat<double> block_sum_y;  ///< column sums of Y_g over each fold's test rows (K × c)
  std::vector<RowMat<T>> block_xy;  ///< primal: X_g'Y_g over each fold's test rows (p × c)
  RowMat<T> all_xy;                 ///< primal: X_g'Y_g over all rows (p × c)
};

/// Wall-clock seconds spent in each phase (for summaries and the benchmark).
struct Timing {
  double decompose_s = 0;  ///< Gram matrices and eigendecompositions
  double products_s = 0;   ///< X'Y, B, per-penalty predictions and residuals
  double refit_s = 0;      ///< final weights
};

/// Folds, permuted and centred features, and every eigenbasis. Cost: O(n·p²) + K·O(p³)
/// (primal) or O(n²·p) + K·O(n³) (dual), all in float64; memory O(n·p + K·k²).
template <class T>
class Engine {
 public:
  Engine(const MatrixF& x, const Settings& settings);

  Index n() const { return n_; }
  Index p() const { return p_; }
  bool dual() const { return dual_; }
  std::size_t folds() const { return folds_.size(); }
  const Basis<T>& fold(std::size_t f) const { return folds_[f]; }
  const Basis<T>& full() const { return full_; }
  /// Global feature means (p, original units); 0 without intercept.
  const Eigen::VectorXd& mean_x() const { return mean_x_; }
  /// How grid_sse forms the test errors of the first fold: "sweep", "quadratic" or "residuals".
  std::string scoring() const {
    if (folds_.empty()) return "none";
    if (!folds_.front().sweep.empty()) return "sweep";
    return folds_.front().test_r.size() > 0 ? "quadratic" : "residuals";
  }

  /// Loads targets [c0, c0 + c) of y: centring, permutation and, for the primal solver, the
  /// block products X_g'Y_g (2·n·p·c flops).
  Chunk<T> load(const MatrixF& y, Index c0, Index c) const;
  /// B (k × c) of fold f (or of the full fit when f == folds()) and the training target means
  /// of Y_g (c) in `mean_y`. Primal: R'·(X'Y)_train, 2·p·k·c flops; dual: U'·Y_train.
  RowMat<T> coefficients(std::size_t f, const Chunk<T>& ch, Eigen::VectorXd& mean_y) const;
  /// E ← (Y_test − 1·ȳ') − A·bs for fold f: the test residuals of coefficients `bs` (k × c,
  /// already scaled by 1/(λ + α)); 2·n_test·k·c flops.
  void residual(std::size_t f, const Chunk<T>& ch, const RowMat<T>& bs,
                const Eigen::VectorXd& mean_y, RowMat<T>& e) const;

  mutable Timing timing;

 private:
  void decompose(const RowMat<double>& xd, Basis<T>& b, bool full, const Eigen::MatrixXd* gram_all,
                 const Eigen::VectorXd& sum_all);
  Settings settings_;
  Index n_ = 0, p_ = 0;
  bool dual_ = false;
  std::vector<Index> perm_;  // permuted row r holds sample perm_[r]
  Eigen::VectorXd mean_x_;
  RowMat<T> xg_;  // X − 1·mean_x' in fold order (n × p)
  std::vector<Basis<T>> folds_;
  Basis<T> full_;
};

/// Adds the column sums of squares of e (rows × c) to acc (c), in float64.
template <class T>
void add_column_sumsq(const RowMat<T>& e, double* acc);

/// R² = 1 − sse/sst, with sklearn's convention for a constant target (sst = 0): 1 when sse = 0,
/// else 0.
inline double r2_from(double sse, double sst) {
  if (sst > 0) return 1.0 - sse / sst;
  return sse == 0 ? 1.0 : 0.0;
}

/// Sum over folds of the test sums of squared errors of every penalty (n_alphas × c), from one
/// B per fold and one product per penalty (ridge CV; also used by rrr to pick its penalty).
template <class T>
RowMat<double> grid_sse(const Engine<T>& eng, const Chunk<T>& ch,
                        const std::vector<double>& alphas);

/// The number of targets per chunk: `requested`, or min(q, 2048) when 0.
Index chunk_size(Index requested, Index q);

/// Ŷ = X·W + 1·b' (T × q) for a fitted linear map: W (p × q) and b (q) in float64, `weights_f`
/// the float32 copy of W used when `precision` is not float64. Throws ConfigError when W is
/// empty (not fitted) and ShapeError when X has not p columns.
MatrixF predict_linear(const MatrixF& x, const MatrixD& weights, const MatrixF& weights_f,
                       const VectorD& intercept, const std::string& precision,
                       const std::string& component);

/// Throws ConfigError "<call> called before fit() or load_state()" unless `fitted`.
void require_fitted(bool fitted, const std::string& call, const std::string& component);

/// A vector (q) as a JSON array of numbers.
nlohmann::json to_json(const VectorD& v);

/// Checks that a saved state is of `model` (IOError "<what>" otherwise) and holds every array
/// in `keys`.
void check_state_kind(const ModelState& st, const std::string& model, const std::string& what,
                      std::initializer_list<const char*> keys, const std::string& component);
/// Throws ShapeError unless the state array `key` is rows × cols.
void check_state_shape(const MatrixD& a, Index rows, Index cols, const char* key,
                       const std::string& component);
/// Throws ShapeError when the state weights are empty.
void check_state_weights(const MatrixD& w, const std::string& component);
/// Runs `read`, turning a missing or mistyped JSON parameter into IOError "state parameters are
/// incomplete".
void read_state_params(const std::function<void()>& read, const std::string& component);

/// Seconds since `start` (steady clock).
double seconds_since(std::int64_t start_ns);
/// Now, in steady-clock nanoseconds.
std::int64_t now_ns();

}  // namespace neurodl::linear::ridge_detail
