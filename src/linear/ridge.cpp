// Multi-target ridge regression with a penalty per target chosen by time-block CV.
//
// Maths (Hoerl & Kennard 1970, Technometrics 12:55; Hastie, Tibshirani & Friedman 2009 §3.4.1):
// with X_c the centred (optionally standardized) training features and X_c'X_c = VΛV', the
// weights of target j at penalty α are w_j = V diag(1/(λ + α)) V'X_c'y_j. All penalties and all
// targets share one decomposition per fold, so the CV grid costs, per fold, one product
// B = V'X_c'Y (2·p²·q flops) and the test errors of every penalty. Those come from a partial-
// fraction split of the quadratic form in 1/(λ + α) (ridge_detail.hpp, Sweep): two more products
// per fold that do not depend on the penalty, so the grid costs about K·6·p²·q flops however many
// penalties it has, plus O(p·q) per penalty. With 1–2 penalties (or k > 4096) each penalty costs
// one product of the test rows X_test V · diag(1/(λ+α)) B (2·n_test·p·q flops), or one
// triangular product with the QR factor of X_test V when n_test ≥ p (p²·q flops).
// ridge_detail.hpp has the dual form for p > n.
// The refit on all samples uses one more decomposition and scales each column of B by its own
// target's 1/(λ + α_j) before the last product, so per-target penalties cost nothing extra.
//
// The CV score of a target is R² of its concatenated out-of-fold predictions,
// 1 − Σ_folds Σ_test (y − ŷ)² / Σ_all (y − ȳ)², ȳ the mean over all samples; for every target
// the penalty with the smallest summed squared error wins (ties go to the larger penalty).

#include "neurodl/linear/ridge.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "neurodl/core/error.hpp"
#include "ridge_detail.hpp"

namespace neurodl::linear {

namespace rd = ridge_detail;
using rd::Index;
using rd::RowMat;

namespace {

constexpr const char* kComponent = "linear.ridge";

struct RidgeFit {
  MatrixD weights, grid;
  VectorD intercept, alphas, cv_r2;
  bool dual = false;
  std::string scoring;
  rd::Timing timing;
};

// Order in which penalties are scanned when choosing: largest first, so that exact ties (e.g. a
// constant target) go to the stronger penalty.
std::vector<std::size_t> largest_first(const std::vector<double>& alphas) {
  std::vector<std::size_t> order(alphas.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return alphas[a] > alphas[b]; });
  return order;
}

template <class T>
RidgeFit fit_ridge(const MatrixF& x, const MatrixF& y, const RidgeOptions& o) {
  rd::Engine<T> eng(x, rd::settings_of(o, kComponent, y.cols()));
  const Index p = x.cols(), q = y.cols(), na = static_cast<Index>(o.alphas.size());
  RidgeFit res;
  res.dual = eng.dual();
  res.scoring = eng.scoring();
  res.weights.resize(p, q);
  res.grid.resize(na, q);
  res.intercept = VectorD::Zero(q);
  res.alphas.resize(q);
  res.cv_r2.resize(q);
  const auto order = largest_first(o.alphas);
  const auto& full = eng.full();
  const RowMat<T>& weight_map = eng.dual() ? full.weight_map : full.coef_map;
  const Index chunk = rd::chunk_size(o.target_chunk, q);

  for (Index c0 = 0; c0 < q; c0 += chunk) {
    const Index c = std::min(chunk, q - c0);
    const rd::Chunk<T> ch = eng.load(y, c0, c);
    const RowMat<double> sse = rd::grid_sse(eng, ch, o.alphas);

    for (Index j = 0; j < c; ++j) {
      std::size_t best = order.front();
      for (std::size_t a : order)
        if (sse(static_cast<Index>(a), j) < sse(static_cast<Index>(best), j)) best = a;
      for (Index a = 0; a < na; ++a) res.grid(a, c0 + j) = rd::r2_from(sse(a, j), ch.sst(j));
      res.alphas(c0 + j) = o.alphas[best];
      res.cv_r2(c0 + j) = res.grid(static_cast<Index>(best), c0 + j);
    }

    // Refit on all samples: W = R · [B_kj / (λ_k + α_j)].
    const auto t0 = rd::now_ns();
    Eigen::VectorXd mean_y;
    RowMat<T> bs = eng.coefficients(eng.folds(), ch, mean_y);
    for (Index k = 0; k < bs.rows(); ++k)
      for (Index j = 0; j < c; ++j)
        bs(k, j) =
            static_cast<T>(static_cast<double>(bs(k, j)) / (full.lambda(k) + res.alphas(c0 + j)));
    RowMat<T> w;
    blas::gemm(blas::view(weight_map), false, blas::view(bs), false, w);
    res.weights.middleCols(c0, c) = w.template cast<double>();
    if (o.fit_intercept) {
      // ŷ = (x − x̄_g − x̄_full)·W + ȳ_g + ȳ_full, x̄_g/ȳ_g the global centring.
      const Eigen::VectorXd mx = eng.mean_x() + full.mean_x;
      res.intercept.segment(c0, c) =
          ch.mean_y + mean_y - (mx.transpose() * res.weights.middleCols(c0, c)).transpose();
    }
    eng.timing.refit_s += rd::seconds_since(t0);
  }
  res.timing = eng.timing;
  return res;
}

}  // namespace

std::vector<double> default_ridge_alphas() {
  std::vector<double> a;
  for (int e = -2; e <= 6; ++e) a.push_back(std::pow(10.0, e));
  return a;
}

std::vector<OptionSpec> option_specs(RidgeOptions& o) {
  std::vector<OptionSpec> specs = {
      {.name = "alphas",
       .help = "ridge penalties tried by cross-validation, one chosen per target (> 0; added to "
               "the eigenvalues of X'X of the centred, optionally standardized training features)",
       .target = &o.alphas},
  };
  for (auto& s : eval::option_specs(o.split)) specs.push_back(s);
  for (auto& s : rd::engine_option_specs(o.fit_intercept, o.standardize, o.solver))
    specs.push_back(s);
  specs.push_back({.name = "target_chunk",
                   .help = "targets processed together (0: min(q, 2048))",
                   .target = &o.target_chunk,
                   .min = 0,
                   .max = 1e12});
  specs.push_back(rd::precision_option_spec(o.precision));
  return specs;
}

Ridge::Ridge(RidgeOptions options) : options_(std::move(options)) {}

std::vector<OptionSpec> Ridge::option_specs() { return linear::option_specs(options_); }

void Ridge::fit(const MatrixF& x, const MatrixF& y) {
  rd::check_inputs(x, y, options_.alphas, options_.solver, options_.precision, kComponent);
  const auto t0 = rd::now_ns();
  RidgeFit res = options_.precision == "float64" ? fit_ridge<double>(x, y, options_)
                                                 : fit_ridge<float>(x, y, options_);
  weights_ = std::move(res.weights);
  weights_f_ = weights_.cast<float>();
  intercept_ = std::move(res.intercept);
  alphas_ = std::move(res.alphas);
  cv_r2_ = std::move(res.cv_r2);
  cv_r2_grid_ = std::move(res.grid);
  n_samples_ = x.rows();
  solver_used_ = res.dual ? "dual" : "primal";
  scoring_used_ = res.scoring;
  timing_ = {res.timing.decompose_s, res.timing.products_s, res.timing.refit_s};
  fit_seconds_ = rd::seconds_since(t0);
}

MatrixF Ridge::predict(const MatrixF& x) const {
  return rd::predict_linear(x, weights_, weights_f_, intercept_, options_.precision, kComponent);
}

nlohmann::json Ridge::summary() const {
  rd::require_fitted(fitted(), "summary()", kComponent);
  nlohmann::json s = {{"model", "ridge"},
          {"n_samples", n_samples_},
          {"n_features", weights_.rows()},
          {"n_targets", weights_.cols()},
          {"cv_r2", rd::to_json(cv_r2_)},
          {"cv_r2_mean", cv_r2_.mean()},
          {"fit_seconds", fit_seconds_},
          {"alphas", rd::to_json(alphas_)},
          {"alpha_grid", options_.alphas},
          {"solver", solver_used_},
          {"precision", options_.precision},
          {"timing_seconds",
           {{"decompose", timing_[0]}, {"products", timing_[1]}, {"refit", timing_[2]}}}};
  if (!scoring_used_.empty()) s["cv_scoring"] = scoring_used_;
  return s;
}

ModelState Ridge::state() const {
  rd::require_fitted(fitted(), "state()", kComponent);
  RidgeOptions copy = options_;
  ModelState st;
  st.model = "ridge";
  st.params = {{"options", option_values(linear::option_specs(copy))},
               {"n_samples", n_samples_},
               {"fit_seconds", fit_seconds_},
               {"solver", solver_used_}};
  st.arrays["weights"] = weights_;
  st.arrays["intercept"] = intercept_.transpose();
  st.arrays["alphas"] = alphas_.transpose();
  st.arrays["cv_r2"] = cv_r2_.transpose();
  return st;
}

void Ridge::load_state(const ModelState& st) {
  rd::check_state_kind(st, "ridge", "state is not a ridge model",
                       {"weights", "intercept", "alphas", "cv_r2"}, kComponent);
  const MatrixD& w = st.arrays.at("weights");
  for (const char* key : {"intercept", "alphas", "cv_r2"})
    rd::check_state_shape(st.arrays.at(key), 1, w.cols(), key, kComponent);
  rd::check_state_weights(w, kComponent);
  RidgeOptions opts;
  rd::read_state_params(
      [&] {
        apply_options(linear::option_specs(opts), st.params.at("options"), kComponent);
        n_samples_ = st.params.at("n_samples").get<std::int64_t>();
        fit_seconds_ = st.params.at("fit_seconds").get<double>();
        solver_used_ = st.params.at("solver").get<std::string>();
      },
      kComponent);
  options_ = std::move(opts);
  weights_ = w;
  weights_f_ = weights_.cast<float>();
  intercept_ = st.arrays.at("intercept").row(0).transpose();
  alphas_ = st.arrays.at("alphas").row(0).transpose();
  cv_r2_ = st.arrays.at("cv_r2").row(0).transpose();
  cv_r2_grid_.resize(0, 0);
  scoring_used_.clear();
  timing_ = {0, 0, 0};
}

}  // namespace neurodl::linear
