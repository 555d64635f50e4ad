#include "neurodl/linear/svca.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "dims_linalg.hpp"
#include "neurodl/core/error.hpp"

namespace neurodl::linear {
namespace {

const std::string kComponent = "linear.svca";

void check_set(const std::vector<std::int64_t>& set, std::int64_t n, const char* name) {
  check(!set.empty(), ErrorKind::config,
        {.component = kComponent, .what = std::string("unit set ") + name + " is empty",
         .expected = ">= 1 unit", .got = "0"});
  for (auto i : set)
    check(i >= 0 && i < n, ErrorKind::shape,
          {.component = kComponent, .what = std::string("unit index out of range in set ") + name,
           .expected = "0.." + std::to_string(n - 1), .got = std::to_string(i)});
}

}  // namespace

std::vector<OptionSpec> option_specs(SvcaOptions& o) {
  std::vector<OptionSpec> specs = {
      {.name = "n_components", .help = "number of shared variance components",
       .target = &o.n_components, .min = 1, .max = 1e9},
      {.name = "unit_split", .help = "how units are split into two sets: checkerboard (x, y "
                                     "positions) or interleaved (by index)",
       .target = &o.unit_split, .choices = {"checkerboard", "interleaved"}},
      {.name = "checker_um", .help = "side of the checkerboard squares", .unit = "µm",
       .target = &o.checker_um, .min = 1e-3, .max = 1e9},
      {.name = "solver", .help = "SVD of the cross-covariance: auto, exact or randomized",
       .target = &o.solver, .choices = {"auto", "exact", "randomized"}},
      {.name = "seed", .help = "seed of the randomized SVD", .target = &o.seed, .min = 0},
      {.name = "reliable_threshold",
       .help = "reliable fraction that counts a leading component as reliable",
       .target = &o.reliable_threshold, .min = 0, .max = 1},
  };
  for (auto& s : eval::option_specs(o.split)) specs.push_back(s);
  return specs;
}

std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>> checkerboard_split(
    const std::vector<Unit>& units, double square_um) {
  check(square_um > 0, ErrorKind::config,
        {.component = kComponent, .what = "checkerboard square side must be positive",
         .expected = "> 0", .got = std::to_string(square_um), .unit = "µm"});
  std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>> sets;
  for (size_t i = 0; i < units.size(); ++i) {
    const auto& p = units[i].position_um;
    check(std::isfinite(p[0]) && std::isfinite(p[1]), ErrorKind::config,
          {.component = kComponent, .what = "unit " + units[i].id + " has no x, y position",
           .expected = "positions for the checkerboard split (or --unit-split interleaved)",
           .got = "NaN", .field = "units"});
    const auto cell = static_cast<std::int64_t>(std::floor(p[0] / square_um)) +
                      static_cast<std::int64_t>(std::floor(p[1] / square_um));
    (cell % 2 == 0 ? sets.first : sets.second).push_back(static_cast<std::int64_t>(i));
  }
  return sets;
}

SvcaResult svca(const MatrixF& x, const std::vector<std::int64_t>& set_a,
                const std::vector<std::int64_t>& set_b, const SvcaOptions& o) {
  using detail::Index;
  const Index t = x.rows(), n = x.cols();
  check_set(set_a, n, "A");
  check_set(set_b, n, "B");
  {
    std::vector<char> in_a(static_cast<size_t>(n), 0);
    for (auto i : set_a) in_a[static_cast<size_t>(i)] = 1;
    for (auto i : set_b)
      check(!in_a[static_cast<size_t>(i)], ErrorKind::config,
            {.component = kComponent, .what = "unit sets overlap", .expected = "disjoint sets",
             .got = "unit " + std::to_string(i) + " in both"});
  }
  check(o.solver == "auto" || o.solver == "exact" || o.solver == "randomized", ErrorKind::config,
        {.component = kComponent, .what = "unknown solver", .expected = "auto, exact, randomized",
         .got = o.solver});
  check(o.n_components >= 1, ErrorKind::config,
        {.component = kComponent, .what = "n_components must be positive", .expected = ">= 1",
         .got = std::to_string(o.n_components)});
  detail::check_finite(x, kComponent, "activity");
  const auto folds = eval::time_block_folds(t, o.split);
  const auto& train = folds[0].train;
  const auto& test = folds[0].test;
  check(train.size() >= 2 && test.size() >= 2, ErrorKind::config,
        {.component = kComponent, .what = "too few training or test samples",
         .expected = ">= 2 each",
         .got = std::to_string(train.size()) + " and " + std::to_string(test.size())});
  const Index na = static_cast<Index>(set_a.size()), nb = static_cast<Index>(set_b.size());
  const Index k = std::min<Index>(o.n_components, std::min(na, nb));

  // Cross-covariance on training time, one block of rows at a time: C += A_blkᵀ·B_blk. The
  // blocks are row-major (rows × N_A, rows × N_B), i.e. column-major N_A × rows and N_B × rows;
  // C (N_A × N_B, row-major) is column-major Cᵀ = B_blk_cm · A_blk_cmᵀ. O(T_train·N_A·N_B).
  const detail::CenteredView a_train(x, train, set_a), b_train(x, train, set_b);
  MatrixF c = MatrixF::Zero(na, nb);
  {
    MatrixF block_a, block_b;
    const Index step = std::min(a_train.block_rows(), b_train.block_rows());
    for (Index r0 = 0; r0 < a_train.rows(); r0 += step) {
      const Index count = std::min(step, a_train.rows() - r0);
      a_train.gather_rows(r0, count, block_a);
      b_train.gather_rows(r0, count, block_b);
      cblas_sgemm(CblasColMajor, CblasNoTrans, CblasTrans, static_cast<int>(nb),
                  static_cast<int>(na), static_cast<int>(count), 1.0f, block_b.data(),
                  static_cast<int>(nb), block_a.data(), static_cast<int>(na), 1.0f, c.data(),
                  static_cast<int>(nb));
    }
  }
  // Top-k singular pairs of C: exact (Gram eigendecomposition) for small sets, otherwise the
  // randomized SVD (C is explicit and small next to the data, so power iterations are cheap).
  const detail::DenseOperator c_op(c);
  const Index small = std::min(na, nb);
  constexpr Index kOversampling = 10, kPowerIterations = 6;
  const bool exact = o.solver == "exact" ||
                     (o.solver == "auto" && (small <= 2000 || 2 * (k + kOversampling) > small));
  detail::Svd svd = exact ? detail::exact_svd(c_op, k)
                          : detail::randomized_svd(c_op, k, kOversampling, kPowerIterations, o.seed);
  detail::normalize_signs(svd);

  // Test time: each set centred by its own test means; projections T_test × k.
  const detail::CenteredView a_test(x, test, set_a), b_test(x, test, set_b);
  const detail::ColMatrixF pa = a_test.times(svd.u), pb = b_test.times(svd.v);
  const double denom = static_cast<double>(test.size()) - 1.0;
  SvcaResult r;
  r.shared_variance = (pa.cast<double>().array() * pb.cast<double>().array()).colwise().sum().transpose() / denom;
  r.variance = (pa.cast<double>().array().square().colwise().sum() +
                pb.cast<double>().array().square().colwise().sum()).transpose() / (2.0 * denom);
  r.reliable_fraction = (r.variance.array() > 0).select(r.shared_variance.array() / r.variance.array(), 0.0);
  r.total_variance_a = a_test.column_sum_squares().sum() / denom;
  r.total_variance_b = b_test.column_sum_squares().sum() / denom;
  while (r.n_reliable < k && r.reliable_fraction(r.n_reliable) >= o.reliable_threshold) ++r.n_reliable;
  r.components_a = svd.u.transpose();
  r.components_b = svd.v.transpose();
  r.set_a = set_a;
  r.set_b = set_b;
  r.n_train = static_cast<std::int64_t>(train.size());
  r.n_test = static_cast<std::int64_t>(test.size());
  return r;
}

SvcaResult svca(const Recording& rec, const SvcaOptions& o) {
  check(o.unit_split == "checkerboard" || o.unit_split == "interleaved", ErrorKind::config,
        {.component = kComponent, .what = "unknown unit split",
         .expected = "checkerboard, interleaved", .got = o.unit_split});
  std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>> sets;
  if (o.unit_split == "checkerboard") {
    sets = checkerboard_split(rec.units, o.checker_um);
  } else {
    for (std::int64_t i = 0; i < rec.n_units(); ++i) (i % 2 == 0 ? sets.first : sets.second).push_back(i);
  }
  return svca(rec.activity, sets.first, sets.second, o);
}

nlohmann::json to_json(const SvcaResult& r) {
  const auto list = [](const VectorD& v) { return std::vector<double>(v.data(), v.data() + v.size()); };
  return {{"n_units_a", r.set_a.size()},
          {"n_units_b", r.set_b.size()},
          {"n_train", r.n_train},
          {"n_test", r.n_test},
          {"n_components", r.shared_variance.size()},
          {"n_reliable", r.n_reliable},
          {"total_variance_a", r.total_variance_a},
          {"total_variance_b", r.total_variance_b},
          {"shared_variance", list(r.shared_variance)},
          {"variance", list(r.variance)},
          {"reliable_fraction", list(r.reliable_fraction)}};
}

}  // namespace neurodl::linear
