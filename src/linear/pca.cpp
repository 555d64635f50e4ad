#include "neurodl/linear/pca.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "dims_linalg.hpp"
#include "neurodl/core/error.hpp"
#include "neurodl/core/random.hpp"

// LAPACK's Fortran interface (column-major). The trailing size_t arguments are the hidden lengths
// of the character arguments that gfortran passes.
extern "C" {
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda,
             double* w, double* work, const int* lwork, int* iwork, const int* liwork, int* info,
             std::size_t, std::size_t);
void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s,
             double* u, const int* ldu, double* vt, const int* ldvt, double* work,
             const int* lwork, int* iwork, int* info, std::size_t);
void sgeqrf_(const int* m, const int* n, float* a, const int* lda, float* tau, float* work,
             const int* lwork, int* info);
void sorgqr_(const int* m, const int* n, const int* k, float* a, const int* lda, const float* tau,
             float* work, const int* lwork, int* info);
}

namespace neurodl::linear {
namespace detail {
namespace {

constexpr Index kBlockValues = Index{1} << 24;  // values per gathered block (64 MB of float32)
constexpr Index kGramBlock = 2048;  // float32 partial sums of at most this many terms
// Loops over fewer values than this run on one thread: idle OpenMP workers spin-wait and would
// steal the cores from the OpenBLAS threads of the product that follows.
constexpr Index kParallelMin = Index{1} << 18;

int to_int(Index v) {
  if (v > Index{2147483647})
    raise(ErrorKind::shape, {.component = "linear", .what = "matrix too large for LAPACK",
                             .expected = "< 2^31", .got = std::to_string(v)});
  return static_cast<int>(v);
}

void lapack_failed(const char* routine, int info) {
  throw InternalError(std::string("linear: LAPACK ") + routine + " failed, info = " +
                      std::to_string(info));
}

// Orthonormal basis of the columns of y (m × l, m ≥ l), in place: Householder QR (sgeqrf) and the
// explicit thin Q (sorgqr).
void orthonormalize(ColMatrixF& y) {
  const int m = to_int(y.rows()), l = to_int(y.cols()), lda = m;
  std::vector<float> tau(static_cast<size_t>(l));
  int info = 0, lwork = -1;
  float query = 0;
  sgeqrf_(&m, &l, y.data(), &lda, tau.data(), &query, &lwork, &info);
  lwork = std::max(1, static_cast<int>(query));
  std::vector<float> work(static_cast<size_t>(lwork));
  sgeqrf_(&m, &l, y.data(), &lda, tau.data(), work.data(), &lwork, &info);
  if (info != 0) lapack_failed("sgeqrf", info);
  lwork = -1;
  sorgqr_(&m, &l, &l, y.data(), &lda, tau.data(), &query, &lwork, &info);
  lwork = std::max(1, static_cast<int>(query));
  work.resize(static_cast<size_t>(lwork));
  sorgqr_(&m, &l, &l, y.data(), &lda, tau.data(), work.data(), &lwork, &info);
  if (info != 0) lapack_failed("sorgqr", info);
}

// Scales column i of `m` by 1/s_i, zeroing columns whose singular value is negligible (their
// direction is undetermined).
void divide_columns(ColMatrixF& m, const VectorD& s) {
  const double tiny = (s.size() > 0 ? s(0) : 0.0) * 1e-7;
  for (Index i = 0; i < m.cols(); ++i) {
    if (s(i) > tiny && s(i) > 0) m.col(i) /= static_cast<float>(s(i));
    else m.col(i).setZero();
  }
}

}  // namespace

void check_finite(const MatrixF& x, const std::string& component, const std::string& field) {
  const auto bad = count_nonfinite(x);
  check(bad == 0, ErrorKind::config,
        {.component = component, .what = "NaN or Inf values", .expected = "finite values",
         .got = std::to_string(bad) + " non-finite", .field = field});
}

// ---------------------------------------------------------------------------------------------
// CenteredView

CenteredView::CenteredView(const MatrixF& x, std::vector<std::int64_t> rows,
                           std::vector<std::int64_t> cols)
    : x_(x), rows_(std::move(rows)), cols_(std::move(cols)) {
  m_ = rows_.empty() ? x.rows() : static_cast<Index>(rows_.size());
  n_ = cols_.empty() ? x.cols() : static_cast<Index>(cols_.size());
  // Column means in float64, one pass over the selected rows, columns split across threads.
  mean_ = VectorD::Zero(n_);
#pragma omp parallel for schedule(static) if (m_ * n_ >= kParallelMin)
  for (Index j0 = 0; j0 < n_; j0 += 256) {
    const Index j1 = std::min(n_, j0 + 256);
    for (Index r = 0; r < m_; ++r) {
      const float* row = x_.data() + (rows_.empty() ? r : rows_[static_cast<size_t>(r)]) * x_.cols();
      for (Index j = j0; j < j1; ++j)
        mean_(j) += row[cols_.empty() ? j : cols_[static_cast<size_t>(j)]];
    }
  }
  if (m_ > 0) mean_ /= static_cast<double>(m_);
  mean_f_ = mean_.cast<float>();
}

CenteredView::CenteredView(const MatrixF& x, std::vector<std::int64_t> rows,
                           std::vector<std::int64_t> cols, VectorD mean)
    : x_(x), rows_(std::move(rows)), cols_(std::move(cols)), mean_(std::move(mean)) {
  m_ = rows_.empty() ? x.rows() : static_cast<Index>(rows_.size());
  n_ = cols_.empty() ? x.cols() : static_cast<Index>(cols_.size());
  if (mean_.size() != n_) throw InternalError("linear: CenteredView mean has the wrong length");
  mean_f_ = mean_.cast<float>();
}

Index CenteredView::block_rows() const { return std::max<Index>(64, kBlockValues / std::max<Index>(1, n_)); }

void CenteredView::gather_rows(Index r0, Index count, MatrixF& out) const {
  out.resize(count, n_);
#pragma omp parallel for schedule(static) if (count * n_ >= kParallelMin)
  for (Index r = 0; r < count; ++r) {
    const Index src = rows_.empty() ? r0 + r : rows_[static_cast<size_t>(r0 + r)];
    const float* in = x_.data() + src * x_.cols();
    float* o = out.data() + r * n_;
    if (cols_.empty()) {
      for (Index j = 0; j < n_; ++j) o[j] = in[j] - mean_f_(j);
    } else {
      for (Index j = 0; j < n_; ++j) o[j] = in[cols_[static_cast<size_t>(j)]] - mean_f_(j);
    }
  }
}

void CenteredView::gather_cols(Index c0, Index count, ColMatrixF& out) const {
  out.resize(m_, count);
#pragma omp parallel for schedule(static) if (m_ * count >= kParallelMin)
  for (Index r = 0; r < m_; ++r) {
    const Index src = rows_.empty() ? r : rows_[static_cast<size_t>(r)];
    const float* in = x_.data() + src * x_.cols();
    for (Index j = 0; j < count; ++j) {
      const Index c = cols_.empty() ? c0 + j : cols_[static_cast<size_t>(c0 + j)];
      out(r, j) = in[c] - mean_f_(c0 + j);
    }
  }
}

VectorD CenteredView::column_sum_squares() const {
  VectorD ss = VectorD::Zero(n_);
#pragma omp parallel for schedule(static) if (m_ * n_ >= kParallelMin)
  for (Index j0 = 0; j0 < n_; j0 += 256) {
    const Index j1 = std::min(n_, j0 + 256);
    for (Index r = 0; r < m_; ++r) {
      const float* row = x_.data() + (rows_.empty() ? r : rows_[static_cast<size_t>(r)]) * x_.cols();
      for (Index j = j0; j < j1; ++j) {
        const double d = row[cols_.empty() ? j : cols_[static_cast<size_t>(j)]] - mean_(j);
        ss(j) += d * d;
      }
    }
  }
  return ss;
}

// A·W, one block of rows at a time: the block (count × n, row-major) is a column-major n × count
// array, so the product is blockᵀ·W in column-major BLAS terms.
ColMatrixF CenteredView::times(const ColMatrixF& w) const {
  ColMatrixF out(m_, w.cols());
  MatrixF block;
  const Index step = block_rows();
  for (Index r0 = 0; r0 < m_; r0 += step) {
    const Index count = std::min(step, m_ - r0);
    gather_rows(r0, count, block);
    cblas_sgemm(CblasColMajor, CblasTrans, CblasNoTrans, to_int(count), to_int(w.cols()),
                to_int(n_), 1.0f, block.data(), to_int(n_), w.data(), to_int(n_), 0.0f,
                out.data() + r0, to_int(m_));
  }
  return out;
}

// Aᵀ·W = Σ_blocks blockᵀ·W[block rows].
ColMatrixF CenteredView::transpose_times(const ColMatrixF& w) const {
  ColMatrixF out = ColMatrixF::Zero(n_, w.cols());
  MatrixF block;
  const Index step = block_rows();
  for (Index r0 = 0; r0 < m_; r0 += step) {
    const Index count = std::min(step, m_ - r0);
    gather_rows(r0, count, block);
    cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, to_int(n_), to_int(w.cols()),
                to_int(count), 1.0f, block.data(), to_int(n_), w.data() + r0, to_int(m_), 1.0f,
                out.data(), to_int(n_));
  }
  return out;
}

// Gram matrices: float32 SYRK on blocks of at most kGramBlock rows (or columns), summed in
// float64, so no partial sum has more than kGramBlock float32 terms.
MatrixD CenteredView::gram(bool of_columns) const {
  const Index size = of_columns ? n_ : m_;
  MatrixD g = MatrixD::Zero(size, size);
  std::vector<float> part(static_cast<size_t>(size * size));
  auto add_upper = [&] {
    // `part` is column-major with its upper triangle set: entry (i, j), i ≤ j, at j·size + i.
#pragma omp parallel for schedule(dynamic, 16) if (size * size >= kParallelMin)
    for (Index j = 0; j < size; ++j)
      for (Index i = 0; i <= j; ++i) g(i, j) += part[static_cast<size_t>(j * size + i)];
  };
  if (of_columns) {
    MatrixF block;
    for (Index r0 = 0; r0 < m_; r0 += kGramBlock) {
      const Index count = std::min(kGramBlock, m_ - r0);
      gather_rows(r0, count, block);
      cblas_ssyrk(CblasColMajor, CblasUpper, CblasNoTrans, to_int(n_), to_int(count), 1.0f,
                  block.data(), to_int(n_), 0.0f, part.data(), to_int(n_));
      add_upper();
    }
  } else {
    ColMatrixF block;
    for (Index c0 = 0; c0 < n_; c0 += kGramBlock) {
      const Index count = std::min(kGramBlock, n_ - c0);
      gather_cols(c0, count, block);
      cblas_ssyrk(CblasColMajor, CblasUpper, CblasNoTrans, to_int(m_), to_int(count), 1.0f,
                  block.data(), to_int(m_), 0.0f, part.data(), to_int(m_));
      add_upper();
    }
  }
  g.triangularView<Eigen::StrictlyLower>() = g.transpose();
  return g;
}

// ---------------------------------------------------------------------------------------------
// DenseOperator: a_ (m × n, row-major) is the column-major n × m array M = aᵀ.

ColMatrixF DenseOperator::times(const ColMatrixF& w) const {
  ColMatrixF out(a_.rows(), w.cols());
  cblas_sgemm(CblasColMajor, CblasTrans, CblasNoTrans, to_int(a_.rows()), to_int(w.cols()),
              to_int(a_.cols()), 1.0f, a_.data(), to_int(a_.cols()), w.data(), to_int(a_.cols()),
              0.0f, out.data(), to_int(a_.rows()));
  return out;
}

ColMatrixF DenseOperator::transpose_times(const ColMatrixF& w) const {
  ColMatrixF out(a_.cols(), w.cols());
  cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, to_int(a_.cols()), to_int(w.cols()),
              to_int(a_.rows()), 1.0f, a_.data(), to_int(a_.cols()), w.data(), to_int(a_.rows()),
              0.0f, out.data(), to_int(a_.cols()));
  return out;
}

MatrixD DenseOperator::gram(bool of_columns) const {
  const MatrixD a = a_.cast<double>();
  const Index size = of_columns ? a.cols() : a.rows();
  MatrixD g = MatrixD::Zero(size, size);
  // Column-major view of the row-major a is aᵀ (n × m): AᵀA = M·Mᵀ, AAᵀ = Mᵀ·M.
  cblas_dsyrk(CblasColMajor, CblasUpper, of_columns ? CblasNoTrans : CblasTrans, to_int(size),
              to_int(of_columns ? a.rows() : a.cols()), 1.0, a.data(), to_int(a.cols()), 0.0,
              g.data(), to_int(size));
  // g's buffer holds the column-major upper triangle, i.e. the row-major lower triangle.
  g.triangularView<Eigen::StrictlyUpper>() = g.transpose();
  return g;
}

// ---------------------------------------------------------------------------------------------
// Decompositions

void symmetric_eig(MatrixD& a, Index k, VectorD& values, ColMatrixD& vectors) {
  const int n = to_int(a.rows());
  VectorD w(n);
  int info = 0, lwork = -1, liwork = -1, iquery = 0;
  double query = 0;
  // The matrix is symmetric, so its row-major buffer is also its column-major one.
  dsyevd_("V", "U", &n, a.data(), &n, w.data(), &query, &lwork, &iquery, &liwork, &info, 1, 1);
  lwork = std::max(1, static_cast<int>(query));
  liwork = std::max(1, iquery);
  std::vector<double> work(static_cast<size_t>(lwork));
  std::vector<int> iwork(static_cast<size_t>(liwork));
  dsyevd_("V", "U", &n, a.data(), &n, w.data(), work.data(), &lwork, iwork.data(), &liwork, &info,
          1, 1);
  if (info != 0) lapack_failed("dsyevd", info);
  // Eigenvalues come ascending; eigenvector j is column j of the column-major result, i.e. row j
  // of the row-major buffer.
  values.resize(k);
  vectors.resize(n, k);
  for (Index i = 0; i < k; ++i) {
    const Index src = n - 1 - i;
    values(i) = w(src);
    vectors.col(i) = a.row(src).transpose();
  }
}

// A = UΣVᵀ from the eigenpairs of the smaller Gram matrix: AᵀA = VΣ²Vᵀ gives V and Σ, then
// U = AVΣ⁻¹ (or the mirror image through AAᵀ). Squaring the singular values limits the relative
// accuracy of the smallest ones to about sqrt(ε₆₄)·σ₁ ≈ 1e-8·σ₁, far below float32 input noise.
Svd exact_svd(const Operator& a, Index k) {
  const bool by_columns = a.cols() <= a.rows();
  MatrixD g = a.gram(by_columns);
  VectorD lambda;
  ColMatrixD vecs;
  symmetric_eig(g, k, lambda, vecs);
  Svd out;
  out.s = lambda.cwiseMax(0.0).cwiseSqrt();
  if (by_columns) {
    out.v = vecs.cast<float>();
    out.u = a.times(out.v);
    divide_columns(out.u, out.s);
  } else {
    out.u = vecs.cast<float>();
    out.v = a.transpose_times(out.u);
    divide_columns(out.v, out.s);
  }
  return out;
}

// Halko, Martinsson & Tropp (2011): Q spans the range of (AAᵀ)^q·A·Ω for a Gaussian Ω (n × l,
// l = k + p); re-orthonormalising after every product (their Algorithm 4.4) keeps the small
// singular directions from being lost to float32 rounding. Then B = QᵀA (l × n) is small, and
// its SVD B = W̃ΣŨᵀ gives A ≈ (QW̃)ΣŨᵀ (their Algorithm 5.1). The spectral error decays like
// (σ_{k+1}/σ_k)^(2q+1) (their Corollary 10.10).
Svd randomized_svd(const Operator& a, Index k, Index oversampling, Index power_iterations,
                   std::uint64_t seed) {
  const Index m = a.rows(), n = a.cols();
  const Index l = std::min(k + oversampling, std::min(m, n));
  ColMatrixF omega(n, l);
  Rng rng(seed, 0x5eed'd1a5ULL);
  for (Index j = 0; j < l; ++j)
    for (Index i = 0; i < n; ++i) omega(i, j) = static_cast<float>(rng.normal());
  ColMatrixF q = a.times(omega);
  orthonormalize(q);
  for (Index it = 0; it < power_iterations; ++it) {
    ColMatrixF z = a.transpose_times(q);
    orthonormalize(z);
    q = a.times(z);
    orthonormalize(q);
  }
  // Bᵀ = AᵀQ (n × l) and its thin SVD Bᵀ = ŨΣW̃ᵀ (LAPACK dgesdd, float64).
  ColMatrixD bt = a.transpose_times(q).cast<double>();
  const int nn = to_int(n), ll = to_int(l);
  VectorD s(l);
  ColMatrixD u_small(n, l), wt(l, l);
  int info = 0, lwork = -1;
  double query = 0;
  std::vector<int> iwork(static_cast<size_t>(8 * l));
  dgesdd_("S", &nn, &ll, bt.data(), &nn, s.data(), u_small.data(), &nn, wt.data(), &ll, &query,
          &lwork, iwork.data(), &info, 1);
  lwork = std::max(1, static_cast<int>(query));
  std::vector<double> work(static_cast<size_t>(lwork));
  dgesdd_("S", &nn, &ll, bt.data(), &nn, s.data(), u_small.data(), &nn, wt.data(), &ll,
          work.data(), &lwork, iwork.data(), &info, 1);
  if (info != 0) lapack_failed("dgesdd", info);
  Svd out;
  out.s = s.head(k);
  out.v = u_small.leftCols(k).cast<float>();
  // W̃ = (W̃ᵀ)ᵀ: its first k columns are the first k rows of wt.
  out.u = q * wt.topRows(k).transpose().cast<float>();
  return out;
}

void normalize_signs(Svd& svd) {
  for (Index i = 0; i < svd.v.cols(); ++i) {
    Index arg = 0;
    svd.v.col(i).cwiseAbs().maxCoeff(&arg);
    if (svd.v(arg, i) < 0) {
      svd.v.col(i) *= -1.0f;
      svd.u.col(i) *= -1.0f;
    }
  }
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// PCA

std::vector<OptionSpec> option_specs(PcaOptions& o) {
  return {
      {.name = "n_components", .help = "number of principal components (0: all)",
       .target = &o.n_components, .min = 0, .max = 1e9},
      {.name = "solver", .help = "exact (covariance eigendecomposition), randomized (Halko et al. "
                                 "2011) or auto (exact when min(T, N) <= 4000)",
       .target = &o.solver, .choices = {"auto", "exact", "randomized"}},
      {.name = "oversampling", .help = "randomized: extra random directions beyond k",
       .target = &o.oversampling, .min = 0, .max = 1e6},
      {.name = "power_iterations", .help = "randomized: power iterations (two data passes each)",
       .target = &o.power_iterations, .min = 0, .max = 100},
      {.name = "seed", .help = "randomized: seed of the random test matrix", .target = &o.seed,
       .min = 0},
      {.name = "scores", .help = "also return the T × k scores", .target = &o.scores},
  };
}

PcaResult pca(const MatrixF& x, const PcaOptions& o) {
  using Index = Eigen::Index;
  const std::string component = "linear.pca";
  const Index t = x.rows(), n = x.cols();
  check(t >= 2 && n >= 1, ErrorKind::shape,
        {.component = component, .what = "need at least 2 samples and 1 unit",
         .expected = ">= 2×1 (T×N)", .got = shape_string(t, n)});
  detail::check_finite(x, component, "activity");
  check(o.solver == "auto" || o.solver == "exact" || o.solver == "randomized", ErrorKind::config,
        {.component = component, .what = "unknown solver", .expected = "auto, exact, randomized",
         .got = o.solver});
  check(o.n_components >= 0 && o.n_components <= std::min(t, n), ErrorKind::config,
        {.component = component, .what = "n_components out of range",
         .expected = "0.." + std::to_string(std::min(t, n)) + " (min(T, N))",
         .got = std::to_string(o.n_components)});
  check(o.oversampling >= 0 && o.power_iterations >= 0, ErrorKind::config,
        {.component = component, .what = "oversampling and power_iterations must be >= 0",
         .expected = ">= 0",
         .got = std::to_string(o.oversampling) + ", " + std::to_string(o.power_iterations)});
  const Index k = o.n_components == 0 ? std::min(t - 1, n) : o.n_components;
  const Index small = std::min(t, n);
  const bool exact = o.solver == "exact" ||
                     (o.solver == "auto" && (small <= 4000 || 2 * (k + o.oversampling) > small));

  detail::CenteredView view(x);
  detail::Svd svd = exact ? detail::exact_svd(view, k)
                          : detail::randomized_svd(view, k, o.oversampling, o.power_iterations,
                                                   o.seed);
  detail::normalize_signs(svd);

  PcaResult r;
  r.solver = exact ? "exact" : "randomized";
  r.components = svd.v.transpose();
  r.explained_variance = svd.s.array().square() / static_cast<double>(t - 1);
  r.total_variance = view.column_sum_squares().sum() / static_cast<double>(t - 1);
  r.explained_variance_ratio = r.total_variance > 0
                                   ? VectorD(r.explained_variance / r.total_variance)
                                   : VectorD::Zero(k);
  r.mean = view.mean();
  if (o.scores) r.scores = svd.u * svd.s.cast<float>().asDiagonal();
  return r;
}

nlohmann::json to_json(const PcaResult& r) {
  const auto list = [](const VectorD& v) { return std::vector<double>(v.data(), v.data() + v.size()); };
  return {{"solver", r.solver},
          {"n_components", r.components.rows()},
          {"n_units", r.components.cols()},
          {"total_variance", r.total_variance},
          {"explained_variance", list(r.explained_variance)},
          {"explained_variance_ratio", list(r.explained_variance_ratio)}};
}

}  // namespace neurodl::linear
