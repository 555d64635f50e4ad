#pragma once
// Private linear algebra shared by pca, cvpca, svca and peer (defined in pca.cpp, its first
// user): a centred, row/column-selected view of a data matrix that is
// processed one block at a time, so a 4 GB recording is never copied whole; thin wrappers of
// LAPACK; and the randomized SVD of Halko, Martinsson & Tropp (2011).

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "neurodl/core/matrix.hpp"

namespace neurodl::linear::detail {

/// Column-major float32 / float64 matrices: the tall-skinny blocks (T × l, N × l) of the
/// randomized solvers, laid out as LAPACK and column-major BLAS calls expect.
using ColMatrixF = Eigen::MatrixXf;
using ColMatrixD = Eigen::MatrixXd;
using Index = Eigen::Index;

/// A linear map A (m × n) known through its products with thin matrices and its Gram matrices.
class Operator {
 public:
  virtual ~Operator() = default;
  virtual Index rows() const = 0;
  virtual Index cols() const = 0;
  /// A·W for W (n × l): m × l.
  virtual ColMatrixF times(const ColMatrixF& w) const = 0;
  /// Aᵀ·W for W (m × l): n × l.
  virtual ColMatrixF transpose_times(const ColMatrixF& w) const = 0;
  /// AᵀA (n × n) when `of_columns`, else AAᵀ (m × m), accumulated in float64.
  virtual MatrixD gram(bool of_columns) const = 0;
};

/// The rows `rows` (all when empty) and columns `cols` (all when empty) of x, each selected
/// column minus its mean over the selected rows. Holds a reference to x: x must outlive it.
class CenteredView : public Operator {
 public:
  CenteredView(const MatrixF& x, std::vector<std::int64_t> rows = {},
               std::vector<std::int64_t> cols = {});
  /// Centres with a given mean (n values) instead of the selection's own, e.g. the training
  /// mean applied to test rows.
  CenteredView(const MatrixF& x, std::vector<std::int64_t> rows, std::vector<std::int64_t> cols,
               VectorD mean);
  Index rows() const override { return m_; }
  Index cols() const override { return n_; }
  ColMatrixF times(const ColMatrixF& w) const override;
  ColMatrixF transpose_times(const ColMatrixF& w) const override;
  MatrixD gram(bool of_columns) const override;
  /// The n column means that are subtracted.
  const VectorD& mean() const { return mean_; }
  /// Per-column sums of squares of the centred selection (n values, float64).
  VectorD column_sum_squares() const;
  /// Centred rows [r0, r0 + count) of the view into `out` (count × n, row-major float32).
  void gather_rows(Index r0, Index count, MatrixF& out) const;
  /// Rows per block: about 16 M values per block.
  Index block_rows() const;

 private:
  void gather_cols(Index c0, Index count, ColMatrixF& out) const;
  const MatrixF& x_;
  std::vector<std::int64_t> rows_, cols_;
  Index m_, n_;
  VectorD mean_;
  VectorF mean_f_;
};

/// An explicit matrix as an Operator (holds a reference).
class DenseOperator : public Operator {
 public:
  explicit DenseOperator(const MatrixF& a) : a_(a) {}
  Index rows() const override { return a_.rows(); }
  Index cols() const override { return a_.cols(); }
  ColMatrixF times(const ColMatrixF& w) const override;
  ColMatrixF transpose_times(const ColMatrixF& w) const override;
  MatrixD gram(bool of_columns) const override;

 private:
  const MatrixF& a_;
};

/// Top-k singular triplets A ≈ U·diag(s)·Vᵀ: u (m × k), s (k, decreasing), v (n × k).
struct Svd {
  ColMatrixF u;
  VectorD s;
  ColMatrixF v;
};

/// Exact top-k SVD through the eigendecomposition of the Gram matrix of A's smaller side.
Svd exact_svd(const Operator& a, Index k);
/// Randomized top-k SVD (Halko et al. 2011, Algorithm 4.4 with Algorithm 5.1 for the small SVD).
Svd randomized_svd(const Operator& a, Index k, Index oversampling, Index power_iterations,
                   std::uint64_t seed);
/// Flips the sign of each pair (u_i, v_i) so that the largest-magnitude entry of v_i is positive.
void normalize_signs(Svd& svd);

/// Eigenvalues (decreasing) and eigenvectors (columns) of the top k of a symmetric matrix
/// (LAPACK dsyevd; `a` is overwritten).
void symmetric_eig(MatrixD& a, Index k, VectorD& values, ColMatrixD& vectors);

/// Throws ConfigError naming `component` and `field` when x holds NaN/Inf.
void check_finite(const MatrixF& x, const std::string& component, const std::string& field);

}  // namespace neurodl::linear::detail
