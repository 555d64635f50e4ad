// Reduced-rank ridge regression (Izenman 1975; Stringer et al. 2019; Semedo et al. 2019).
//
// Maths: with the ridge solution B_α = R diag(1/(λ+α)) B (ridge_detail.hpp), the training fitted
// values are Ŷ = X_c B_α = Q M with Q orthonormal and M = diag(f) diag(1/(λ+α)) B (k × q), where
// f = √λ in the primal form (X_c = Q√ΛV') and f = λ in the dual form (X_cX_c' = QΛQ'). So the
// right singular vectors of Ŷ are those of M, found from the smaller of MM' (k × k) or M'M
// (q × q) in float64, and the rank-r estimator is B_r = B_α V_r V_r'.
//
// Every rank from one decomposition per fold: with Z = A·diag(1/(λ+α))·B·V (n_test × r_max) the
// rank-r test prediction is Z_{:,1:r} V_{:,1:r}'. The squared error of target j is
//   ‖y_j‖² − 2 Σ_{k≤r} (Y'Z)_jk V_jk + Σ_{k,l≤r} V_jk V_jl (Z'Z)_kl,
// updated from rank r−1 to r in O(r) per target, so the whole curve costs
// O(n_test·q·r_max + q·r_max²) per fold beyond the ridge products.
//
// Rank choice: predictive dimensionality is the smallest swept rank whose CV R² (averaged over
// targets) is within one standard error (over folds) of the best (Semedo et al. 2019, Neuron
// 102:249, "optimal dimensionality"); rank_rule "one_se" fits that rank, "best" the best one.

#include "neurodl/linear/rrr.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "neurodl/core/error.hpp"
#include "ridge_detail.hpp"

namespace neurodl::linear {

namespace rd = ridge_detail;
using rd::Index;
using rd::RowMat;

namespace {

constexpr const char* kComponent = "linear.rrr";

struct RrrFit {
  RankCurve curve;
  MatrixD weights, subspace, source_map;
  VectorD intercept, cv_r2;
  std::int64_t rank = 0;
};

// The top `r` right singular vectors of m (k × q) as columns of a q × r matrix; directions with
// a singular value below 1e-7 of the largest (numerically absent) are left zero.
RowMat<double> top_right_singular(const RowMat<double>& m, Index r) {
  const Index k = m.rows(), q = m.cols();
  const bool via_rows = k < q;
  Eigen::MatrixXd g = blas::gram(blas::view(m), !via_rows);  // MM' or M'M
  const Eigen::VectorXd ev = blas::eigh(g, kComponent);      // ascending
  const Index n = ev.size();
  const double top = n > 0 ? std::max(ev(n - 1), 0.0) : 0.0;
  Index found = 0;  // leading directions with a non-negligible singular value
  while (found < std::min(r, n) && top > 0 && ev(n - 1 - found) > 1e-14 * top) ++found;
  RowMat<double> lead(g.rows(), found);  // eigenvectors, largest first
  for (Index i = 0; i < found; ++i) lead.col(i) = g.col(n - 1 - i);
  RowMat<double> v = RowMat<double>::Zero(q, r);
  if (found == 0) return v;
  if (via_rows) {
    // v_i = M'p_i / σ_i.
    const Eigen::VectorXd inv_s = ev.tail(found).reverse().cwiseSqrt().cwiseInverse();
    v.leftCols(found) = blas::product(m, true, lead, false) * inv_s.asDiagonal();
  } else {
    v.leftCols(found) = lead;
  }
  return v;
}

template <class T>
RrrFit fit_rrr(const MatrixF& x, const MatrixF& y, const RrrOptions& o, bool want_weights) {
  const Index p = x.cols(), q = y.cols();
  const Index limit = std::min(p, q);
  auto bad_rank = [&](std::int64_t r, const char* field) {
    raise(ErrorKind::config, {.component = kComponent,
                              .what = "rank out of range",
                              .expected = "1 ≤ rank ≤ min(p, q) = " + std::to_string(limit),
                              .got = std::to_string(r),
                              .field = field});
  };
  if (o.rank < 0 || o.rank > limit) bad_rank(o.rank, "--rank");
  std::set<std::int64_t> swept;
  for (auto r : o.ranks) {
    if (r < 1 || r > limit) bad_rank(r, "--ranks");
    swept.insert(r);
  }
  if (o.ranks.empty())
    for (std::int64_t r = 1; r <= std::min<Index>(limit, 128); ++r) swept.insert(r);
  if (o.rank > 0) swept.insert(o.rank);
  check(o.rank_rule == "one_se" || o.rank_rule == "best", ErrorKind::config,
        {.component = kComponent,
         .what = "unknown rank rule",
         .expected = "one_se or best",
         .got = "'" + o.rank_rule + "'",
         .field = "--rank-rule"});
  const std::vector<std::int64_t> ranks(swept.begin(), swept.end());
  const Index nr = static_cast<Index>(ranks.size()), rmax = ranks.back();

  rd::Engine<T> eng(x, rd::settings_of(o, kComponent, y.cols()));
  const rd::Chunk<T> ch = eng.load(y, 0, q);
  const std::size_t nf = eng.folds();
  RrrFit res;
  RankCurve& curve = res.curve;
  curve.ranks = ranks;

  // One penalty for all targets: the best full-rank ridge by target-averaged CV R².
  {
    const RowMat<double> sse = rd::grid_sse(eng, ch, o.alphas);
    double best = -std::numeric_limits<double>::infinity();
    for (Index a = 0; a < sse.rows(); ++a) {
      double mean = 0;
      for (Index j = 0; j < q; ++j)
        mean += rd::r2_from(sse(a, j), ch.sst(j)) / static_cast<double>(q);
      const double alpha = o.alphas[static_cast<size_t>(a)];
      if (mean > best || (mean == best && alpha > curve.alpha)) {
        best = mean;
        curve.alpha = alpha;
      }
    }
    curve.ridge_r2_mean = best;
  }
  const double alpha = curve.alpha;
  auto fitted_scale = [&](const Eigen::VectorXd& lambda) {
    // f·1/(λ+α): the map from B to M (see the header comment).
    const Eigen::VectorXd f = eng.dual() ? lambda : Eigen::VectorXd(lambda.cwiseSqrt());
    return Eigen::VectorXd(f.array() / (lambda.array() + alpha));
  };

  RowMat<double> sse = RowMat<double>::Zero(nr, q);
  RowMat<double> fold_r2 = RowMat<double>::Zero(static_cast<Index>(nf), nr);
  Eigen::VectorXd mean_y;
  for (std::size_t f = 0; f < nf; ++f) {
    const auto& basis = eng.fold(f);
    const RowMat<T> coef = eng.coefficients(f, ch, mean_y);
    const Eigen::VectorXd shrink = (basis.lambda.array() + alpha).inverse();
    const RowMat<double> coef_d = coef.template cast<double>();
    const RowMat<double> m = fitted_scale(basis.lambda).asDiagonal() * coef_d;
    const RowMat<double> v = top_right_singular(m, rmax);  // q × rmax
    // Z = A · diag(1/(λ+α)) B · V.
    const RowMat<T> bv =
        (shrink.asDiagonal() * blas::product(coef_d, false, v, false)).template cast<T>();
    RowMat<T> z, cross;
    blas::gemm(blas::view(basis.test_map), false, blas::view(bv), false, z);
    RowMat<T> yt = ch.y.middleRows(basis.test_begin, basis.test_size);
    yt.rowwise() -= mean_y.transpose().template cast<T>();
    blas::gemm(blas::view(yt), true, blas::view(z), false, cross);  // q × rmax
    const RowMat<double> zd = z.template cast<double>();
    const Eigen::MatrixXd zz = blas::gram(blas::view(zd), true);
    const RowMat<double> yd = yt.template cast<double>();
    const Eigen::VectorXd yy = yd.colwise().squaredNorm().transpose();
    const Eigen::VectorXd test_mean = yd.colwise().mean().transpose();
    const Eigen::VectorXd sst_fold =
        (yd.rowwise() - test_mean.transpose()).colwise().squaredNorm().transpose();
    RowMat<double> fold_sse(nr, q);
    for (Index j = 0; j < q; ++j) {
      double lin = 0, quad = 0;
      Index next = 0;
      for (Index r = 0; r < rmax && next < nr; ++r) {
        const double vr = v(j, r);
        double off = 0;
        for (Index l = 0; l < r; ++l) off += v(j, l) * zz(l, r);
        lin += static_cast<double>(cross(j, r)) * vr;
        quad += 2 * vr * off + vr * vr * zz(r, r);
        if (r + 1 == ranks[static_cast<size_t>(next)]) fold_sse(next++, j) = yy(j) - 2 * lin + quad;
      }
    }
    sse += fold_sse;
    for (Index i = 0; i < nr; ++i) {
      double mean = 0;
      for (Index j = 0; j < q; ++j)
        mean += rd::r2_from(fold_sse(i, j), sst_fold(j)) / static_cast<double>(q);
      fold_r2(static_cast<Index>(f), i) = mean;
    }
  }

  curve.r2.resize(nr, q);
  curve.r2_mean.resize(static_cast<size_t>(nr));
  curve.r2_sem.resize(static_cast<size_t>(nr));
  Index best = 0;
  for (Index i = 0; i < nr; ++i) {
    for (Index j = 0; j < q; ++j) curve.r2(i, j) = rd::r2_from(sse(i, j), ch.sst(j));
    curve.r2_mean[static_cast<size_t>(i)] = curve.r2.row(i).mean();
    const Eigen::VectorXd fr = fold_r2.col(i);
    const double k = static_cast<double>(nf);
    const double var = (fr.array() - fr.mean()).square().sum() / (k - 1);
    curve.r2_sem[static_cast<size_t>(i)] = std::sqrt(var / k);
    if (curve.r2_mean[static_cast<size_t>(i)] > curve.r2_mean[static_cast<size_t>(best)]) best = i;
  }
  curve.best_rank = ranks[static_cast<size_t>(best)];
  const double threshold =
      curve.r2_mean[static_cast<size_t>(best)] - curve.r2_sem[static_cast<size_t>(best)];
  Index pd = best;
  for (Index i = 0; i < nr; ++i)
    if (curve.r2_mean[static_cast<size_t>(i)] >= threshold) {
      pd = i;
      break;
    }
  curve.predictive_dimensionality = ranks[static_cast<size_t>(pd)];
  if (!want_weights) return res;

  res.rank = o.rank > 0
                 ? o.rank
                 : (o.rank_rule == "best" ? curve.best_rank : curve.predictive_dimensionality);
  const Index chosen = std::find(ranks.begin(), ranks.end(), res.rank) - ranks.begin();
  res.cv_r2 = curve.r2.row(chosen).transpose();

  // Refit on all samples: source map B_α V_r = R diag(1/(λ+α)) (B V_r), weights = source map·V_r'.
  const auto& full = eng.full();
  const RowMat<T> coef = eng.coefficients(eng.folds(), ch, mean_y);
  const RowMat<double> coef_d = coef.template cast<double>();
  const RowMat<double> m = fitted_scale(full.lambda).asDiagonal() * coef_d;
  const RowMat<double> v = top_right_singular(m, res.rank);
  const Eigen::VectorXd shrink = (full.lambda.array() + alpha).inverse();
  const RowMat<double> bv = shrink.asDiagonal() * blas::product(coef_d, false, v, false);
  const RowMat<T>& weight_map = eng.dual() ? full.weight_map : full.coef_map;
  res.source_map =
      blas::product(RowMat<double>(weight_map.template cast<double>()), false, bv, false);
  res.subspace = v;
  res.weights = blas::product(res.source_map, false, v, true);
  res.intercept = VectorD::Zero(q);
  if (o.fit_intercept) {
    const Eigen::VectorXd mx = eng.mean_x() + full.mean_x;
    res.intercept = ch.mean_y + mean_y - (mx.transpose() * res.weights).transpose();
  }
  return res;
}

RrrFit fit_any(const MatrixF& x, const MatrixF& y, const RrrOptions& o, bool want_weights) {
  rd::check_inputs(x, y, o.alphas, o.solver, o.precision, kComponent);
  return o.precision == "float64" ? fit_rrr<double>(x, y, o, want_weights)
                                  : fit_rrr<float>(x, y, o, want_weights);
}

nlohmann::json curve_json(const RankCurve& c) {
  nlohmann::json a = nlohmann::json::array();
  for (size_t i = 0; i < c.ranks.size(); ++i)
    a.push_back({{"rank", c.ranks[i]}, {"cv_r2_mean", c.r2_mean[i]}, {"sem", c.r2_sem[i]}});
  return a;
}

}  // namespace

std::vector<OptionSpec> option_specs(RrrOptions& o) {
  std::vector<OptionSpec> specs = {
      {.name = "alphas",
       .help = "ridge penalties (> 0); several: one shared penalty chosen by full-rank CV R²",
       .target = &o.alphas},
      {.name = "rank",
       .help = "rank of the fitted model (0: chosen by cross-validation)",
       .target = &o.rank,
       .min = 0,
       .max = 1e12},
      {.name = "ranks",
       .help = "ranks swept by cross-validation (default 1..min(p, q, 128))",
       .target = &o.ranks,
       .min = 1,
       .max = 1e12},
      {.name = "rank_rule",
       .help = "rank chosen by CV: one_se (smallest within one standard error of the best) or best",
       .target = &o.rank_rule,
       .choices = {"one_se", "best"}},
  };
  for (auto& s : eval::option_specs(o.split)) specs.push_back(s);
  for (auto& s : rd::engine_option_specs(o.fit_intercept, o.standardize, o.solver))
    specs.push_back(s);
  specs.push_back(rd::precision_option_spec(o.precision));
  return specs;
}

RankCurve rrr_rank_curve(const MatrixF& x, const MatrixF& y, const RrrOptions& options) {
  RrrOptions o = options;
  o.rank = 0;
  return fit_any(x, y, o, false).curve;
}

ReducedRankRegression::ReducedRankRegression(RrrOptions options) : options_(std::move(options)) {}

std::vector<OptionSpec> ReducedRankRegression::option_specs() {
  return linear::option_specs(options_);
}

void ReducedRankRegression::fit(const MatrixF& x, const MatrixF& y) {
  const auto t0 = rd::now_ns();
  RrrFit res = fit_any(x, y, options_, true);
  curve_ = std::move(res.curve);
  weights_ = std::move(res.weights);
  weights_f_ = weights_.cast<float>();
  target_subspace_ = std::move(res.subspace);
  source_map_ = std::move(res.source_map);
  intercept_ = std::move(res.intercept);
  cv_r2_ = std::move(res.cv_r2);
  rank_ = res.rank;
  alpha_ = curve_.alpha;
  n_samples_ = x.rows();
  fit_seconds_ = rd::seconds_since(t0);
}

MatrixF ReducedRankRegression::predict(const MatrixF& x) const {
  return rd::predict_linear(x, weights_, weights_f_, intercept_, options_.precision, kComponent);
}

nlohmann::json ReducedRankRegression::summary() const {
  rd::require_fitted(fitted(), "summary()", kComponent);
  return {{"model", "rrr"},
          {"n_samples", n_samples_},
          {"n_features", weights_.rows()},
          {"n_targets", weights_.cols()},
          {"cv_r2", rd::to_json(cv_r2_)},
          {"cv_r2_mean", cv_r2_.mean()},
          {"fit_seconds", fit_seconds_},
          {"alpha", alpha_},
          {"rank", rank_},
          {"rank_rule", options_.rank > 0 ? std::string("fixed") : options_.rank_rule},
          {"rank_curve", curve_json(curve_)},
          {"best_rank", curve_.best_rank},
          {"predictive_dimensionality", curve_.predictive_dimensionality},
          {"ridge_cv_r2_mean", curve_.ridge_r2_mean}};
}

ModelState ReducedRankRegression::state() const {
  rd::require_fitted(fitted(), "state()", kComponent);
  RrrOptions copy = options_;
  ModelState st;
  st.model = "rrr";
  st.params = {{"options", option_values(linear::option_specs(copy))},
               {"alpha", alpha_},
               {"rank", rank_},
               {"rank_curve", curve_json(curve_)},
               {"best_rank", curve_.best_rank},
               {"predictive_dimensionality", curve_.predictive_dimensionality},
               {"ridge_cv_r2_mean", curve_.ridge_r2_mean},
               {"n_samples", n_samples_},
               {"fit_seconds", fit_seconds_}};
  st.arrays["weights"] = weights_;
  st.arrays["intercept"] = intercept_.transpose();
  st.arrays["target_subspace"] = target_subspace_;
  st.arrays["source_map"] = source_map_;
  st.arrays["cv_r2"] = cv_r2_.transpose();
  return st;
}

void ReducedRankRegression::load_state(const ModelState& st) {
  rd::check_state_kind(st, "rrr", "state is not a reduced-rank regression model",
                       {"weights", "intercept", "target_subspace", "source_map", "cv_r2"},
                       kComponent);
  const MatrixD& w = st.arrays.at("weights");
  const MatrixD& v = st.arrays.at("target_subspace");
  const MatrixD& s = st.arrays.at("source_map");
  rd::check_state_weights(w, kComponent);
  rd::check_state_shape(st.arrays.at("intercept"), 1, w.cols(), "intercept", kComponent);
  rd::check_state_shape(st.arrays.at("cv_r2"), 1, w.cols(), "cv_r2", kComponent);
  rd::check_state_shape(v, w.cols(), v.cols(), "target_subspace", kComponent);
  rd::check_state_shape(s, w.rows(), v.cols(), "source_map", kComponent);
  RrrOptions opts;
  RankCurve curve;
  rd::read_state_params(
      [&] {
        apply_options(linear::option_specs(opts), st.params.at("options"), kComponent);
        alpha_ = st.params.at("alpha").get<double>();
        rank_ = st.params.at("rank").get<std::int64_t>();
        for (const auto& point : st.params.at("rank_curve")) {
          curve.ranks.push_back(point.at("rank").get<std::int64_t>());
          curve.r2_mean.push_back(point.at("cv_r2_mean").get<double>());
          curve.r2_sem.push_back(point.at("sem").get<double>());
        }
        curve.best_rank = st.params.at("best_rank").get<std::int64_t>();
        curve.predictive_dimensionality =
            st.params.at("predictive_dimensionality").get<std::int64_t>();
        curve.ridge_r2_mean = st.params.at("ridge_cv_r2_mean").get<double>();
        n_samples_ = st.params.at("n_samples").get<std::int64_t>();
        fit_seconds_ = st.params.at("fit_seconds").get<double>();
      },
      kComponent);
  check(rank_ == v.cols(), ErrorKind::shape,
        {.component = kComponent,
         .what = "state rank disagrees with the subspace",
         .expected = std::to_string(rank_) + " columns",
         .got = std::to_string(v.cols()),
         .field = "target_subspace"});
  curve.alpha = alpha_;
  options_ = std::move(opts);
  curve_ = std::move(curve);
  weights_ = w;
  weights_f_ = weights_.cast<float>();
  target_subspace_ = v;
  source_map_ = s;
  intercept_ = st.arrays.at("intercept").row(0).transpose();
  cv_r2_ = st.arrays.at("cv_r2").row(0).transpose();
}

}  // namespace neurodl::linear
