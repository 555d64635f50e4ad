#pragma once
// Private: thin, precision-generic wrappers of the OpenBLAS products and the LAPACK symmetric
// eigensolver used by ridge and reduced-rank regression. All matrices are row-major (the
// neurodl convention); a row range of a row-major matrix is itself a row-major matrix with the
// same leading dimension, so fold blocks are passed without copies.

#include <cblas.h>

#include <algorithm>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "neurodl/core/error.hpp"

// LAPACK's Fortran symbol (OpenBLAS ships it; LAPACKE is not required).
extern "C" void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda,
                        double* w, double* work, const int* lwork, int* iwork, const int* liwork,
                        int* info);
extern "C" void dgeqrf_(const int* m, const int* n, double* a, const int* lda, double* tau,
                        double* work, const int* lwork, int* info);

namespace neurodl::linear::blas {

template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Index = Eigen::Index;

/// A read-only row-major matrix: `rows` × `cols` entries, row i starting at data + i·ld.
template <class T>
struct View {
  const T* data = nullptr;
  Index rows = 0, cols = 0, ld = 0;
};

/// The whole of m.
template <class T>
View<T> view(const RowMat<T>& m) {
  return {m.data(), m.rows(), m.cols(), m.cols()};
}
/// Rows [r0, r0 + nr) of m.
template <class T>
View<T> rows(const RowMat<T>& m, Index r0, Index nr) {
  return {m.data() + r0 * m.cols(), nr, m.cols(), m.cols()};
}

inline void gemm_raw(bool ta, bool tb, Index m, Index n, Index k, float alpha, const float* a,
                     Index lda, const float* b, Index ldb, float beta, float* c, Index ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha, a,
              static_cast<int>(lda), b, static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
}
inline void gemm_raw(bool ta, bool tb, Index m, Index n, Index k, double alpha, const double* a,
                     Index lda, const double* b, Index ldb, double beta, double* c, Index ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha, a,
              static_cast<int>(lda), b, static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
}

/// C ← alpha·op(A)·op(B) + beta·C, op = transpose when `ta`/`tb`. With beta == 0, C is resized
/// to op(A).rows × op(B).cols. Cost 2·m·n·k flops.
template <class T>
void gemm(const View<T>& a, bool ta, const View<T>& b, bool tb, RowMat<T>& c, T alpha = 1,
          T beta = 0) {
  const Index m = ta ? a.cols : a.rows, k = ta ? a.rows : a.cols;
  const Index n = tb ? b.rows : b.cols;
  if (beta == T(0)) c.resize(m, n);
  if (c.rows() != m || c.cols() != n || (tb ? b.cols : b.rows) != k)
    throw InternalError("linear.blas: gemm shapes disagree");
  if (m == 0 || n == 0) return;
  if (k == 0) {
    c *= beta;
    return;
  }
  gemm_raw(ta, tb, m, n, k, alpha, a.data, a.ld, b.data, b.ld, beta, c.data(), c.cols());
}

/// op(A)·op(B) as a new matrix (through BLAS, so no OpenMP region is opened).
template <class T>
RowMat<T> product(const RowMat<T>& a, bool ta, const RowMat<T>& b, bool tb) {
  RowMat<T> c;
  gemm(view(a), ta, view(b), tb, c);
  return c;
}

/// The Gram matrix A'A (when `of_columns`) or AA' of a float64 view, full symmetric result.
/// Cost m·n² flops (half of a general product).
inline Eigen::MatrixXd gram(const View<double>& a, bool of_columns) {
  const Index n = of_columns ? a.cols : a.rows, k = of_columns ? a.rows : a.cols;
  Eigen::MatrixXd g = Eigen::MatrixXd::Zero(n, n);  // column-major: LAPACK's layout
  if (n > 0 && k > 0)
    cblas_dsyrk(CblasColMajor, CblasUpper, of_columns ? CblasNoTrans : CblasTrans,
                static_cast<int>(n), static_cast<int>(k), 1.0, a.data, static_cast<int>(a.ld), 0.0,
                g.data(), static_cast<int>(n));
  // A row-major A is a column-major A': syrk of "A'" with NoTrans gives A'A (of_columns).
  g.triangularView<Eigen::StrictlyLower>() = g.transpose();
  return g;
}

/// Eigendecomposition of a symmetric matrix by LAPACK's divide and conquer (dsyevd): on return
/// `a` holds the eigenvectors as columns, ordered like the returned eigenvalues (ascending).
/// Cost about 9·n³ flops. Throws Error when LAPACK does not converge (`component` names the
/// caller).
inline Eigen::VectorXd eigh(Eigen::MatrixXd& a, const std::string& component) {
  const int n = static_cast<int>(a.rows());
  Eigen::VectorXd w(n);
  if (n == 0) return w;
  int info = 0, lwork = -1, liwork = -1, iwork_query = 0;
  double work_query = 0;
  dsyevd_("V", "U", &n, a.data(), &n, w.data(), &work_query, &lwork, &iwork_query, &liwork, &info);
  lwork = static_cast<int>(work_query);
  liwork = iwork_query;
  std::vector<double> work(static_cast<size_t>(std::max(lwork, 1)));
  std::vector<int> iwork(static_cast<size_t>(std::max(liwork, 1)));
  dsyevd_("V", "U", &n, a.data(), &n, w.data(), work.data(), &lwork, iwork.data(), &liwork, &info);
  check(info == 0, ErrorKind::config,
        {.component = component,
         .what = "eigendecomposition did not converge",
         .expected = "LAPACK info 0",
         .got = std::to_string(info)});
  return w;
}

/// The triangular factor R (n × n, upper, row-major) of the QR decomposition A = QR of a
/// row-major m × n matrix with m ≥ n (LAPACK dgeqrf, Householder; Q is not formed), so that
/// ‖A x‖ = ‖R x‖ for every x. Cost 2mn² − 2n³/3 flops.
inline RowMat<double> qr_r(const RowMat<double>& a) {
  const int m = static_cast<int>(a.rows()), n = static_cast<int>(a.cols());
  if (m < n) throw InternalError("linear.blas: qr_r needs at least as many rows as columns");
  Eigen::MatrixXd f = a;  // column-major copy: LAPACK's layout
  std::vector<double> tau(static_cast<size_t>(std::max(n, 1)));
  int info = 0, lwork = -1;
  double work_query = 0;
  dgeqrf_(&m, &n, f.data(), &m, tau.data(), &work_query, &lwork, &info);
  lwork = std::max(1, static_cast<int>(work_query));
  std::vector<double> work(static_cast<size_t>(lwork));
  dgeqrf_(&m, &n, f.data(), &m, tau.data(), work.data(), &lwork, &info);
  if (info != 0) throw InternalError("linear.blas: dgeqrf failed");
  return f.topRows(n).triangularView<Eigen::Upper>();
}

/// B ← R·B in place for an upper-triangular R (n × n) and B (n × c), both row-major: half the
/// flops of a general product (n²·c).
inline void trmm_upper(const RowMat<float>& r, RowMat<float>& b) {
  if (b.size() == 0) return;
  cblas_strmm(CblasRowMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit,
              static_cast<int>(b.rows()), static_cast<int>(b.cols()), 1.0f, r.data(),
              static_cast<int>(r.cols()), b.data(), static_cast<int>(b.cols()));
}
inline void trmm_upper(const RowMat<double>& r, RowMat<double>& b) {
  if (b.size() == 0) return;
  cblas_dtrmm(CblasRowMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit,
              static_cast<int>(b.rows()), static_cast<int>(b.cols()), 1.0, r.data(),
              static_cast<int>(r.cols()), b.data(), static_cast<int>(b.cols()));
}

}  // namespace neurodl::linear::blas
