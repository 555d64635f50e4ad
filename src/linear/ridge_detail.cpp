// The shared ridge engine (see ridge_detail.hpp for the notation).
//
// Why the products are arranged this way: with K folds, P penalties, n samples, p features and
// q targets, refitting ridge per penalty would cost K·P solves of O(p²·q). Here each fold costs
// one eigendecomposition (O(p³), float64) and one product B = R'(X'Y)_train (2·p²·q flops). The
// test errors of all P penalties then come, in the usual case, from two more products per fold
// that do not depend on the penalty (A'Y_test and K·B, see Sweep in ridge_detail.hpp), so that
// a penalty costs only O(p·q): the grid is about K·6·p²·q flops whatever P is. When the sweep
// does not apply (1–2 penalties, or k > 4096), each penalty costs one product
// A·diag(1/(λ+α))·B over the test rows (2·n_test·p·q flops) or, when the test block has at least
// p rows, one triangular product with the QR factor R of A (p²·q flops). The training
// cross-products are not recomputed per fold: X'Y over each fold's test rows is formed once and
// the training product is their sum minus the fold's own block (and its gap rows), 2·n·p·q
// flops for all folds. Centring with the training means is applied as a rank-one correction,
// X_c'Y_c = X'Y − n_tr·x̄ȳ', on data already centred with the global means, so the correction
// is small and float32 loses nothing to cancellation even for large offsets (fluorescence).

#include "ridge_detail.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <type_traits>

#include "neurodl/core/error.hpp"
#include "neurodl/core/vector_clones.hpp"

namespace neurodl::linear::ridge_detail {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double seconds_since(std::int64_t start_ns) {
  return 1e-9 * static_cast<double>(now_ns() - start_ns);
}

Index chunk_size(Index requested, Index q) {
  return std::max<Index>(1, std::min<Index>(q, requested > 0 ? requested : 2048));
}

void check_inputs(const MatrixF& x, const MatrixF& y, const std::vector<double>& alphas,
                  const std::string& solver, const std::string& precision,
                  const std::string& component) {
  check(x.rows() > 0 && x.cols() > 0, ErrorKind::shape,
        {.component = component,
         .what = "X is empty",
         .expected = "at least 1×1",
         .got = shape_string(x.rows(), x.cols()),
         .field = "X"});
  check(y.rows() > 0 && y.cols() > 0, ErrorKind::shape,
        {.component = component,
         .what = "Y is empty",
         .expected = "at least 1×1",
         .got = shape_string(y.rows(), y.cols()),
         .field = "Y"});
  check(x.rows() == y.rows(), ErrorKind::shape,
        {.component = component,
         .what = "X and Y have different numbers of samples (rows)",
         .expected = std::to_string(x.rows()) + " rows in Y",
         .got = std::to_string(y.rows())});
  const auto bad_x = count_nonfinite(x), bad_y = count_nonfinite(y);
  check(bad_x == 0, ErrorKind::config,
        {.component = component,
         .what = "X has NaN or Inf values",
         .expected = "finite values",
         .got = std::to_string(bad_x) + " non-finite",
         .field = "X"});
  check(bad_y == 0, ErrorKind::config,
        {.component = component,
         .what = "Y has NaN or Inf values",
         .expected = "finite values",
         .got = std::to_string(bad_y) + " non-finite",
         .field = "Y"});
  check(!alphas.empty(), ErrorKind::config,
        {.component = component,
         .what = "no penalty given",
         .expected = "at least one alpha",
         .field = "--alphas"});
  for (double a : alphas)
    check(a > 0 && std::isfinite(a), ErrorKind::config,
          {.component = component,
           .what = "penalty must be positive and finite",
           .expected = "alpha > 0",
           .got = std::to_string(a),
           .field = "--alphas"});
  check(solver == "auto" || solver == "primal" || solver == "dual", ErrorKind::config,
        {.component = component,
         .what = "unknown solver",
         .expected = "auto, primal or dual",
         .got = "'" + solver + "'",
         .field = "--solver"});
  check(precision == "float32" || precision == "float64", ErrorKind::config,
        {.component = component,
         .what = "unknown precision",
         .expected = "float32 or float64",
         .got = "'" + precision + "'",
         .field = "--precision"});
}

std::vector<OptionSpec> engine_option_specs(bool& fit_intercept, bool& standardize,
                                            std::string& solver) {
  return {
      {.name = "fit_intercept",
       .help = "fit an intercept (centre X and Y with training means)",
       .target = &fit_intercept},
      {.name = "standardize",
       .help = "scale features to unit training standard deviation before the penalty",
       .target = &standardize},
      {.name = "solver",
       .help = "primal (X'X), dual (XX') or auto (primal when n_train >= p)",
       .target = &solver,
       .choices = {"auto", "primal", "dual"}},
  };
}

OptionSpec precision_option_spec(std::string& precision) {
  return {.name = "precision",
          .help = "arithmetic of the large products (float32 or float64)",
          .target = &precision,
          .choices = {"float32", "float64"}};
}

void require_fitted(bool fitted, const std::string& call, const std::string& component) {
  check(fitted, ErrorKind::config,
        {.component = component, .what = call + " called before fit() or load_state()"});
}

MatrixF predict_linear(const MatrixF& x, const MatrixD& weights, const MatrixF& weights_f,
                       const VectorD& intercept, const std::string& precision,
                       const std::string& component) {
  require_fitted(weights.size() > 0, "predict()", component);
  check(x.cols() == weights.rows(), ErrorKind::shape,
        {.component = component,
         .what = "X has the wrong number of features (columns)",
         .expected = std::to_string(weights.rows()),
         .got = std::to_string(x.cols()),
         .field = "X"});
  if (precision == "float64")
    return ((x.cast<double>() * weights).rowwise() + intercept.transpose()).cast<float>();
  // float32: one BLAS product with the stored float copy, no conversion of X.
  MatrixF out;
  blas::gemm(blas::view(x), false, blas::view(weights_f), false, out);
  out.rowwise() += intercept.transpose().cast<float>();
  return out;
}

nlohmann::json to_json(const VectorD& v) {
  return std::vector<double>(v.data(), v.data() + v.size());
}

void check_state_kind(const ModelState& st, const std::string& model, const std::string& what,
                      std::initializer_list<const char*> keys, const std::string& component) {
  check(st.model == model, ErrorKind::io,
        {.component = component, .what = what, .expected = model, .got = "'" + st.model + "'"});
  for (const char* key : keys)
    check(st.arrays.count(key) == 1, ErrorKind::io,
          {.component = component, .what = "state lacks an array", .expected = key, .field = key});
}

void check_state_shape(const MatrixD& a, Index rows, Index cols, const char* key,
                       const std::string& component) {
  check(a.rows() == rows && a.cols() == cols, ErrorKind::shape,
        {.component = component,
         .what = "state array has the wrong shape",
         .expected = shape_string(rows, cols),
         .got = shape_string(a.rows(), a.cols()),
         .field = key});
}

void check_state_weights(const MatrixD& w, const std::string& component) {
  check(w.rows() > 0 && w.cols() > 0, ErrorKind::shape,
        {.component = component, .what = "state weights are empty", .field = "weights"});
}

void read_state_params(const std::function<void()>& read, const std::string& component) {
  try {
    read();
  } catch (const nlohmann::json::exception& e) {
    raise(ErrorKind::io, {.component = component,
                          .what = "state parameters are incomplete",
                          .got = e.what(),
                          .field = "params"});
  }
}

namespace {

// Rows `idx` of m, copied (idx in the permuted order).
template <class S>
RowMat<S> gather(const RowMat<S>& m, const std::vector<Index>& idx) {
  RowMat<S> out(static_cast<Index>(idx.size()), m.cols());
  for (Index r = 0; r < out.rows(); ++r) out.row(r) = m.row(idx[static_cast<size_t>(r)]);
  return out;
}

// Thresholds on ρ = (max(λ_i, λ_l) + α_min) / |λ_l − λ_i| (see Sweep): pairs above kNearRatio
// use the symmetrised product, pairs at or below kFarRatio32 go into the float32 GEMM.
constexpr double kNearRatio = 2e5;
constexpr double kFarRatio32 = 64;
constexpr Index kSweepMaxK = 4096;
constexpr Index kTileRows = 32;

// The penalty-free operators of Sweep from G = A'A (k × k) and ascending eigenvalues λ. Cost
// O(k²) plus the tiles' size.
template <class T>
Sweep<T> build_sweep(const Eigen::MatrixXd& g, const Eigen::VectorXd& lambda, double min_alpha) {
  constexpr bool single = std::is_same_v<T, float>;
  const double far_ratio = single ? kFarRatio32 : kNearRatio;
  const Index k = lambda.size();
  enum Kind : char { kDiag, kFar, kMid, kNear };
  // ρ ≤ r ⇔ scale ≤ r·|gap|; written without division so that equal eigenvalues are near.
  auto kind = [&](Index i, Index l) {
    if (i == l) return kDiag;
    const double gap = std::abs(lambda(l) - lambda(i));
    const double scale = std::max(lambda(i), lambda(l)) + min_alpha;
    if (scale > kNearRatio * gap) return kNear;
    return scale <= far_ratio * gap ? kFar : kMid;
  };
  Sweep<T> sw;
  sw.g_diag = g.diagonal();
  sw.far = RowMat<T>::Zero(k, k);
  for (Index i = 0; i < k; ++i)
    for (Index l = 0; l < k; ++l)
      if (kind(i, l) == kFar) sw.far(i, l) = static_cast<T>(g(i, l) / (lambda(l) - lambda(i)));
  // Mid and near pairs sit in a band around the diagonal (for a fixed i, ρ falls as l moves away
  // from i in either direction), so each block of rows needs one contiguous range of columns.
  auto tiles = [&](Kind want, std::vector<BandTile>& out) {
    for (Index r0 = 0; r0 < k; r0 += kTileRows) {
      const Index nr = std::min(kTileRows, k - r0);
      Index lo = k, hi = -1;
      for (Index i = r0; i < r0 + nr; ++i)
        for (Index l = 0; l < k; ++l)
          if (kind(i, l) == want) {
            lo = std::min(lo, l);
            hi = std::max(hi, l);
          }
      if (hi < lo) continue;
      BandTile t{.r0 = r0, .c0 = lo, .m = RowMat<double>::Zero(nr, hi - lo + 1)};
      for (Index i = r0; i < r0 + nr; ++i)
        for (Index l = lo; l <= hi; ++l)
          if (kind(i, l) == want)
            t.m(i - r0, l - lo) = want == kNear ? g(i, l) : g(i, l) / (lambda(l) - lambda(i));
      out.push_back(std::move(t));
    }
  };
  if (single) tiles(kMid, sw.mid);
  tiles(kNear, sw.near);
  sw.mid_rows.assign(static_cast<size_t>(k), 0);
  sw.near_rows.assign(static_cast<size_t>(k), 0);
  sw.band_lo = k;
  for (auto* part : {&sw.mid, &sw.near})
    for (const auto& t : *part) {
      auto& rows = part == &sw.mid ? sw.mid_rows : sw.near_rows;
      std::fill(rows.begin() + t.r0, rows.begin() + t.r0 + t.m.rows(), 1);
      sw.band_lo = std::min(sw.band_lo, t.c0);
      sw.band_hi = std::max(sw.band_hi, t.c0 + t.m.cols());
    }
  return sw;
}

// out[r0 + i][j] ← Σ_l tile(i, l)·x[c0 + l − x0][j] for every tile (rows of x start at row x0
// of the band; leading dimensions ldx and ldo, nc columns); rows no tile covers are not touched.
void apply_tiles(const std::vector<BandTile>& tiles, const double* x, Index x0, Index ldx,
                 Index nc, double* out, Index ldo) {
  for (const auto& t : tiles)
    blas::gemm_raw(false, false, t.m.rows(), nc, t.m.cols(), 1.0, t.m.data(), t.m.cols(),
                   x + (t.c0 - x0) * ldx, ldx, 0.0, out + t.r0 * ldo, ldo);
}

// One row i of the sweep over a tile of nc targets: u = 2b∘(t − c + t_mid), h = b∘(G_ii·b + h_near)
// (t_mid, h_near may be null), then acc[a][j] += d[a]·u[j] + d[a]²·h[j] for every penalty a
// (acc row stride `ld`, `work` 2·nc doubles). The only part of the sweep whose cost grows with
// the number of penalties, so it is compiled for the wider vector units too.
template <class T>
inline void sweep_row_body(const T* b, const T* tc, const double* t_mid, const double* h_near,
                           double g_ii, Index nc, const double* d, Index na, double* acc, Index ld,
                           double* work) {
  double *u = work, *h = work + nc;
  for (Index j = 0; j < nc; ++j) {
    const double bj = static_cast<double>(b[j]);
    u[j] = 2.0 * bj * static_cast<double>(tc[j]);
    h[j] = bj * (g_ii * bj);
  }
  if (t_mid)
    for (Index j = 0; j < nc; ++j) u[j] += 2.0 * static_cast<double>(b[j]) * t_mid[j];
  if (h_near)
    for (Index j = 0; j < nc; ++j) h[j] += static_cast<double>(b[j]) * h_near[j];
  for (Index a = 0; a < na; ++a) {
    const double da = d[a], d2 = da * da;
    double* out = acc + a * ld;
    for (Index j = 0; j < nc; ++j) out[j] += da * u[j] + d2 * h[j];
  }
}

NEURODL_VECTOR_CLONES
void sweep_row(const float* b, const float* tc, const double* t_mid, const double* h_near,
               double g_ii, Index nc, const double* d, Index na, double* acc, Index ld,
               double* work) {
  sweep_row_body(b, tc, t_mid, h_near, g_ii, nc, d, na, acc, ld, work);
}

NEURODL_VECTOR_CLONES
void sweep_row(const double* b, const double* tc, const double* t_mid, const double* h_near,
               double g_ii, Index nc, const double* d, Index na, double* acc, Index ld,
               double* work) {
  sweep_row_body(b, tc, t_mid, h_near, g_ii, nc, d, na, acc, ld, work);
}

// Adds to sse (P × c) one fold's test errors of every penalty by the sweep:
//   sse(α) = ‖y‖² + Σ_i d_i·u_i + d_i²·h_i,  u = 2b∘(t − c),  h = b∘(G_ii b + G_near b),
// with tc = t − c (k × c). Columns are taken in tiles of 256 targets; each tile forms its banded
// float64 parts (t_mid, h_near) on their rows only and keeps its P × 256 sums in cache. Serial:
// an OpenMP split of the tiles measured no faster, its threads competing with OpenBLAS's.
template <class T>
void sweep_fold(const Sweep<T>& sw, const RowMat<T>& coef, const RowMat<T>& tc,
                const Eigen::VectorXd& lambda, const std::vector<double>& alphas,
                const std::vector<double>& yy, RowMat<double>& sse) {
  const Index k = coef.rows(), c = coef.cols(), na = static_cast<Index>(alphas.size());
  const bool has_mid = !sw.mid.empty(), has_near = !sw.near.empty();
  const Index lo = sw.band_lo, hi = sw.band_hi;
  RowMat<double> dd(k, na);  // 1/(λ_i + α_a)
  for (Index i = 0; i < k; ++i)
    for (Index a = 0; a < na; ++a) dd(i, a) = 1.0 / (lambda(i) + alphas[static_cast<size_t>(a)]);
  constexpr Index kCols = 256;
  std::vector<double> acc(static_cast<size_t>(na * kCols)), work(2 * kCols);
  RowMat<double> bd, tm, hn;
  if (has_mid) tm.resize(k, kCols);
  if (has_near) hn.resize(k, kCols);
  if (hi > lo) bd.resize(hi - lo, kCols);
  for (Index j0 = 0; j0 < c; j0 += kCols) {
    const Index nc = std::min(kCols, c - j0);
    for (Index i = lo; i < hi; ++i)
      for (Index j = 0; j < nc; ++j) bd(i - lo, j) = static_cast<double>(coef(i, j0 + j));
    if (has_mid) apply_tiles(sw.mid, bd.data(), lo, kCols, nc, tm.data(), kCols);
    if (has_near) apply_tiles(sw.near, bd.data(), lo, kCols, nc, hn.data(), kCols);
    std::fill(acc.begin(), acc.end(), 0.0);
    for (Index i = 0; i < k; ++i) {
      const auto r = static_cast<size_t>(i);
      sweep_row(coef.data() + i * c + j0, tc.data() + i * c + j0,
                has_mid && sw.mid_rows[r] ? tm.data() + i * kCols : nullptr,
                has_near && sw.near_rows[r] ? hn.data() + i * kCols : nullptr, sw.g_diag(i), nc,
                dd.data() + i * na, na, acc.data(), kCols, work.data());
    }
    for (Index a = 0; a < na; ++a)
      for (Index j = 0; j < nc; ++j)
        sse(a, j0 + j) += std::max(0.0, yy[static_cast<size_t>(j0 + j)] +
                                            acc[static_cast<size_t>(a * kCols + j)]);
  }
}

}  // namespace

template <class T>
Engine<T>::Engine(const MatrixF& x, const Settings& settings)
    : settings_(settings), n_(x.rows()), p_(x.cols()) {
  const auto t0 = now_ns();
  const auto folds = eval::time_block_folds(n_, settings.split);
  const std::size_t k = folds.size();

  // Permute the samples so that the test rows of each fold are one contiguous range.
  std::vector<Index> pos(static_cast<size_t>(n_));
  std::vector<Index> begin(k + 1, 0);
  perm_.reserve(static_cast<size_t>(n_));
  for (std::size_t f = 0; f < k; ++f) {
    begin[f] = static_cast<Index>(perm_.size());
    for (auto i : folds[f].test) {
      pos[static_cast<size_t>(i)] = static_cast<Index>(perm_.size());
      perm_.push_back(i);
    }
  }
  begin[k] = n_;

  mean_x_ = Eigen::VectorXd::Zero(p_);
  if (settings.fit_intercept) {
    for (Index i = 0; i < n_; ++i) mean_x_ += x.row(i).transpose().cast<double>();
    mean_x_ /= static_cast<double>(n_);
  }
  RowMat<double> xd(n_, p_);
  for (Index r = 0; r < n_; ++r)
    xd.row(r) = x.row(perm_[static_cast<size_t>(r)]).template cast<double>() - mean_x_.transpose();

  double mean_train = 0;
  for (const auto& f : folds)
    mean_train += static_cast<double>(f.train.size()) / static_cast<double>(k);
  dual_ = settings.solver == "dual" ||
          (settings.solver == "auto" && static_cast<double>(p_) > mean_train);

  folds_.resize(k);
  for (std::size_t f = 0; f < k; ++f) {
    Basis<T>& b = folds_[f];
    b.test_begin = begin[f];
    b.test_size = begin[f + 1] - begin[f];
    b.n_train = static_cast<Index>(folds[f].train.size());
    std::vector<char> is_train(static_cast<size_t>(n_), 0);
    for (auto i : folds[f].train) is_train[static_cast<size_t>(pos[static_cast<size_t>(i)])] = 1;
    for (Index r = 0; r < n_; ++r) {
      const bool in_test = r >= b.test_begin && r < b.test_begin + b.test_size;
      if (is_train[static_cast<size_t>(r)]) {
        if (dual_) b.train.push_back(r);
      } else if (!in_test) {
        b.gap.push_back(r);
      }
    }
  }
  full_.n_train = n_;
  if (dual_)
    for (Index r = 0; r < n_; ++r) full_.train.push_back(r);

  Eigen::MatrixXd gram_all;
  const Eigen::VectorXd sum_all = xd.colwise().sum().transpose();
  if (!dual_) gram_all = blas::gram(blas::view(xd), true);
  for (auto& b : folds_) decompose(xd, b, false, &gram_all, sum_all);
  decompose(xd, full_, true, &gram_all, sum_all);
  xg_ = xd.template cast<T>();
  timing.decompose_s = seconds_since(t0);
}

template <class T>
void Engine<T>::decompose(const RowMat<double>& xd, Basis<T>& b, bool full,
                          const Eigen::MatrixXd* gram_all, const Eigen::VectorXd& sum_all) {
  const bool ic = settings_.fit_intercept, st = settings_.standardize;
  const double ntr = static_cast<double>(b.n_train);
  auto scale_of = [&](const Eigen::VectorXd& sumsq_centred) {
    // Training standard deviation (ddof 0) or root mean square; constant features keep scale 1.
    Eigen::VectorXd sigma = Eigen::VectorXd::Ones(p_);
    if (st)
      for (Index j = 0; j < p_; ++j) {
        const double s = std::sqrt(std::max(0.0, sumsq_centred(j)) / ntr);
        if (s > 0) sigma(j) = s;
      }
    return sigma;
  };
  const RowMat<double> x_test = full ? RowMat<double>() : xd.middleRows(b.test_begin, b.test_size);
  auto set_test_map = [&](const RowMat<double>& a) {
    b.test_map = a.template cast<T>();
    // Cost of each way of scoring the P penalties of this fold for q targets, in flops of the
    // working precision (float64 setup counted twice): residuals need one test product per
    // penalty; the quadratic forms a float64 QR of A (2·n_test·k²), C = A'Y and one triangular
    // product per penalty; the sweep G = A'A in float64 (n_test·k²), C = A'Y and K·B. The k × k
    // operator of the sweep is capped so that K folds of it stay small next to the data.
    const double k = static_cast<double>(a.cols()), nt = static_cast<double>(a.rows());
    const double na = static_cast<double>(settings_.n_alphas);
    const double q = settings_.n_targets > 0 ? static_cast<double>(settings_.n_targets) : 1e9;
    if (na < 3 || a.cols() == 0) return;
    const double residuals = na * 2 * nt * k * q;
    const double quadratic = nt >= k ? 4 * nt * k * k + 2 * nt * k * q + na * k * k * q : residuals;
    const double sweep =
        a.cols() <= kSweepMaxK ? 2 * nt * k * k + 2 * nt * k * q + 2 * k * k * q : residuals;
    if (sweep < std::min(residuals, quadratic))
      b.sweep = build_sweep<T>(blas::gram(blas::view(a), true), b.lambda, settings_.min_alpha);
    else if (quadratic < residuals)
      b.test_r = blas::qr_r(a).template cast<T>();
  };

  if (!dual_) {
    // Primal: C = X_c'X_c = Σ_all − Σ_test − Σ_gap − n_tr·x̄x̄' (p × p), then C̃ = S⁻¹CS⁻¹ = VΛV'.
    Eigen::MatrixXd g = *gram_all;
    Eigen::VectorXd sum = sum_all;
    if (!full) {
      g -= blas::gram(blas::view(x_test), true);
      sum -= x_test.colwise().sum().transpose();
      if (!b.gap.empty()) {
        const RowMat<double> xe = gather(xd, b.gap);
        g -= blas::gram(blas::view(xe), true);
        sum -= xe.colwise().sum().transpose();
      }
    }
    b.mean_x = ic ? Eigen::VectorXd(sum / ntr) : Eigen::VectorXd::Zero(p_);
    if (ic) g.noalias() -= (ntr * b.mean_x) * b.mean_x.transpose();
    const Eigen::VectorXd inv_sigma = scale_of(g.diagonal()).cwiseInverse();
    g = inv_sigma.asDiagonal() * g * inv_sigma.asDiagonal();
    b.lambda = blas::eigh(g, settings_.component).cwiseMax(0.0);
    const RowMat<double> r = inv_sigma.asDiagonal() * g;  // R = S⁻¹V
    if (!full) {
      RowMat<double> xt = x_test.rowwise() - b.mean_x.transpose();
      RowMat<double> a;
      blas::gemm(blas::view(xt), false, blas::view(r), false, a);
      set_test_map(a);
    }
    b.coef_map = r.template cast<T>();
    return;
  }

  // Dual: K = X̃X̃' (n_tr × n_tr) of the centred, scaled training rows, K = UΛU'.
  RowMat<double> xs = gather(xd, b.train);
  b.mean_x = ic ? Eigen::VectorXd(xs.colwise().mean().transpose()) : Eigen::VectorXd::Zero(p_);
  if (ic) xs.rowwise() -= b.mean_x.transpose();
  const Eigen::VectorXd inv_sigma = scale_of(xs.colwise().squaredNorm().transpose()).cwiseInverse();
  xs = xs * inv_sigma.asDiagonal();
  Eigen::MatrixXd kmat = blas::gram(blas::view(xs), false);
  b.lambda = blas::eigh(kmat, settings_.component).cwiseMax(0.0);
  const RowMat<double> u = kmat;
  if (!full) {
    // A = X̃_test X̃_train' U (n_test × n_tr).
    RowMat<double> xt = (x_test.rowwise() - b.mean_x.transpose()) * inv_sigma.asDiagonal();
    RowMat<double> kt, a;
    blas::gemm(blas::view(xt), false, blas::view(xs), true, kt);
    blas::gemm(blas::view(kt), false, blas::view(u), false, a);
    set_test_map(a);
  } else {
    // R = S⁻¹X̃'U (p × n): weights W = R diag(1/(λ+α)) U'Y_c.
    RowMat<double> r;
    blas::gemm(blas::view(xs), true, blas::view(u), false, r);
    r = inv_sigma.asDiagonal() * r;
    b.weight_map = r.template cast<T>();
  }
  b.coef_map = u.template cast<T>();
}

template <class T>
Chunk<T> Engine<T>::load(const MatrixF& y, Index c0, Index c) const {
  const auto t0 = now_ns();
  Chunk<T> ch;
  ch.c0 = c0;
  ch.c = c;
  const auto block = y.middleCols(c0, c);
  // Means and total sums of squares in float64, row by row (no n × c float64 temporaries).
  Eigen::VectorXd true_mean = Eigen::VectorXd::Zero(c);
  for (Index i = 0; i < n_; ++i) true_mean += block.row(i).transpose().template cast<double>();
  true_mean /= static_cast<double>(n_);
  ch.sst = Eigen::VectorXd::Zero(c);
  for (Index i = 0; i < n_; ++i)
    ch.sst += (block.row(i).transpose().template cast<double>() - true_mean).cwiseAbs2();
  ch.mean_y = settings_.fit_intercept ? true_mean : Eigen::VectorXd::Zero(c);
  ch.y.resize(n_, c);
  const Eigen::Matrix<T, 1, Eigen::Dynamic> my = ch.mean_y.transpose().template cast<T>();
  for (Index r = 0; r < n_; ++r)
    ch.y.row(r) = block.row(perm_[static_cast<size_t>(r)]).template cast<T>() - my;
  const std::size_t k = folds_.size();
  ch.block_sum_y.resize(static_cast<Index>(k), c);
  ch.block_sum_y.setZero();
  for (std::size_t f = 0; f < k; ++f)
    for (Index i = folds_[f].test_begin; i < folds_[f].test_begin + folds_[f].test_size; ++i)
      ch.block_sum_y.row(static_cast<Index>(f)) += ch.y.row(i).template cast<double>();
  if (!dual_) {
    ch.block_xy.resize(k);
    ch.all_xy = RowMat<T>::Zero(p_, c);
    for (std::size_t f = 0; f < k; ++f) {
      const auto& b = folds_[f];
      blas::gemm(blas::rows(xg_, b.test_begin, b.test_size), true,
                 blas::rows(ch.y, b.test_begin, b.test_size), false, ch.block_xy[f]);
      ch.all_xy += ch.block_xy[f];
    }
  }
  timing.products_s += seconds_since(t0);
  return ch;
}

template <class T>
RowMat<T> Engine<T>::coefficients(std::size_t f, const Chunk<T>& ch,
                                  Eigen::VectorXd& mean_y) const {
  const bool full = f >= folds_.size();
  const Basis<T>& b = full ? full_ : folds_[f];
  const double ntr = static_cast<double>(b.n_train);
  RowMat<T> ye;
  if (!b.gap.empty()) ye = gather(ch.y, b.gap);
  Eigen::VectorXd sum = ch.block_sum_y.colwise().sum().transpose();
  if (!full) sum -= ch.block_sum_y.row(static_cast<Index>(f)).transpose();
  if (ye.rows() > 0) sum -= ye.template cast<double>().colwise().sum().transpose();
  mean_y = settings_.fit_intercept ? Eigen::VectorXd(sum / ntr) : Eigen::VectorXd::Zero(ch.c);

  RowMat<T> coef;
  if (!dual_) {
    // (X'Y_c)_train = Σ_all − Σ_test − X_gap'Y_gap − n_tr·x̄ȳ'.
    RowMat<T> s = ch.all_xy;
    if (!full) s -= ch.block_xy[f];
    if (ye.rows() > 0) {
      const RowMat<T> xe = gather(xg_, b.gap);
      blas::gemm(blas::view(xe), true, blas::view(ye), false, s, T(-1), T(1));
    }
    if (settings_.fit_intercept)
      s.noalias() -= (ntr * b.mean_x).template cast<T>() * mean_y.transpose().template cast<T>();
    blas::gemm(blas::view(b.coef_map), true, blas::view(s), false, coef);
  } else {
    RowMat<T> yt = gather(ch.y, b.train);
    yt.rowwise() -= mean_y.transpose().template cast<T>();
    blas::gemm(blas::view(b.coef_map), true, blas::view(yt), false, coef);
  }
  return coef;
}

template <class T>
void Engine<T>::residual(std::size_t f, const Chunk<T>& ch, const RowMat<T>& bs,
                         const Eigen::VectorXd& mean_y, RowMat<T>& e) const {
  const Basis<T>& b = folds_[f];
  e = ch.y.middleRows(b.test_begin, b.test_size);
  e.rowwise() -= mean_y.transpose().template cast<T>();
  blas::gemm(blas::view(b.test_map), false, blas::view(bs), false, e, T(-1), T(1));
}

template <class T>
void add_column_sumsq(const RowMat<T>& e, double* acc) {
  // Serial on purpose: this pass is memory-bound and sits between two BLAS calls; an OpenMP
  // region here leaves its threads spinning while OpenBLAS's threads need the same cores.
  const Index rows = e.rows(), c = e.cols();
  for (Index i = 0; i < rows; ++i) {
    const T* row = e.data() + i * c;
    for (Index j = 0; j < c; ++j)
      acc[j] += static_cast<double>(row[j]) * static_cast<double>(row[j]);
  }
}

template <class T>
RowMat<double> grid_sse(const Engine<T>& eng, const Chunk<T>& ch,
                        const std::vector<double>& alphas) {
  // Per fold and penalty the test error of every target, ‖y − A·D·b‖² with D = diag(1/(λ + α)),
  // is formed in one of three ways:
  //  - the sweep (Basis::sweep): ‖y‖² + Σ_i d_i·b_i·(2(t_i − c_i)) + Σ_i d_i²·b_i·h_i with
  //    C = A'Y, t = K·B and h = G_near·B formed once per fold, so that a penalty costs O(k·c);
  //  - quadratic forms, when A = QR is stored: ‖y‖² − 2·Σ_k d_k c_k b_k + ‖R·D·b‖², one
  //    triangular product per penalty;
  //  - residuals: E = Y − A·(D·B) (one GEMM per penalty), then the column sums of E².
  // Sums are accumulated in float64.
  const auto t0 = now_ns();
  const Index na = static_cast<Index>(alphas.size());
  RowMat<double> sse = RowMat<double>::Zero(na, ch.c);
  RowMat<T> bs, e, ct;
  Eigen::VectorXd mean_y;
  std::vector<double> yy, cross, quad;
  for (std::size_t f = 0; f < eng.folds(); ++f) {
    const RowMat<T> coef = eng.coefficients(f, ch, mean_y);
    const Basis<T>& b = eng.fold(f);
    const Eigen::VectorXd& lambda = b.lambda;
    const bool sweep = !b.sweep.empty();
    const bool quadratic = sweep || b.test_r.size() > 0;
    if (quadratic) {
      e = ch.y.middleRows(b.test_begin, b.test_size);
      e.rowwise() -= mean_y.transpose().template cast<T>();
      yy.assign(static_cast<size_t>(ch.c), 0.0);
      add_column_sumsq(e, yy.data());
      blas::gemm(blas::view(b.test_map), true, blas::view(e), false, ct);
    }
    if (sweep) {
      // ct ← t − c = K_far·B − A'Y in one product.
      blas::gemm(blas::view(b.sweep.far), false, blas::view(coef), false, ct, T(1), T(-1));
      sweep_fold(b.sweep, coef, ct, lambda, alphas, yy, sse);
      continue;
    }
    for (Index a = 0; a < na; ++a) {
      const Eigen::Matrix<T, Eigen::Dynamic, 1> shrink =
          (lambda.array() + alphas[static_cast<size_t>(a)]).inverse().matrix().template cast<T>();
      if (!quadratic) {
        bs = shrink.asDiagonal() * coef;
        eng.residual(f, ch, bs, mean_y, e);
        add_column_sumsq(e, sse.row(a).data());
        continue;
      }
      // D·B and the cross terms Σ_k c_k (D·b)_k in one pass.
      bs.resize(coef.rows(), coef.cols());
      cross.assign(static_cast<size_t>(ch.c), 0.0);
      for (Index i = 0; i < coef.rows(); ++i) {
        const T d = shrink(i);
        const T *x = coef.data() + i * ch.c, *y = ct.data() + i * ch.c;
        T* out = bs.data() + i * ch.c;
        for (Index j = 0; j < ch.c; ++j) {
          out[j] = d * x[j];
          cross[static_cast<size_t>(j)] += static_cast<double>(out[j]) * static_cast<double>(y[j]);
        }
      }
      blas::trmm_upper(b.test_r, bs);
      quad.assign(static_cast<size_t>(ch.c), 0.0);
      add_column_sumsq(bs, quad.data());
      for (Index j = 0; j < ch.c; ++j) {
        const auto u = static_cast<size_t>(j);
        sse(a, j) += std::max(0.0, yy[u] - 2.0 * cross[u] + quad[u]);
      }
    }
  }
  eng.timing.products_s += seconds_since(t0);
  return sse;
}

template class Engine<float>;
template class Engine<double>;
template void add_column_sumsq<float>(const RowMat<float>&, double*);
template void add_column_sumsq<double>(const RowMat<double>&, double*);
template RowMat<double> grid_sse<float>(const Engine<float>&, const Chunk<float>&,
                                        const std::vector<double>&);
template RowMat<double> grid_sse<double>(const Engine<double>&, const Chunk<double>&,
                                         const std::vector<double>&);

}  // namespace neurodl::linear::ridge_detail
