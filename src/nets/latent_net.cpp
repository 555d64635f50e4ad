// Latent-bottleneck models (latent_net.hpp): cross-validated sweep over the number of latents k,
// reduced-rank regression on the same folds for comparison, the final fit, and a state made of
// plain float64 arrays.
//
// Cost: for n_k latent counts and K folds, n_k·K + 1 trainings of O(epochs · T · FLOPs/sample)
// each (3× the forward FLOPs per sample per step), plus one RRR rank curve.

#include "neurodl/nets/latent_net.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "neurodl/core/error.hpp"
#include "neurodl/core/random.hpp"
#include "neurodl/eval/metrics.hpp"
#include "neurodl/linear/rrr.hpp"
#include "neurodl/nets/architectures.hpp"
#include "neurodl/nets/train.hpp"
#include "module_state.hpp"
#include "torch_guard.hpp"

namespace neurodl::nets {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A seed per (k, fold) run, so every run is reproducible on its own whatever the sweep order.
std::uint64_t run_seed(std::uint64_t seed, std::int64_t k, std::int64_t fold) {
  std::uint64_t s = seed ^ (static_cast<std::uint64_t>(k) << 32) ^ static_cast<std::uint64_t>(fold + 1);
  return splitmix64(s);
}

// Window of the predicted sample t: rows t − before … t + after of X.
std::pair<std::int64_t, std::int64_t> window_extent(Architecture a, const LatentNetOptions& o) {
  if (a != Architecture::behavior_net || o.window <= 1) return {0, 0};
  const std::int64_t now = o.causal ? o.window - 1 : o.window / 2;
  return {now, o.window - 1 - now};
}

std::vector<std::int64_t> all_rows(std::int64_t n) {
  std::vector<std::int64_t> r(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) r[static_cast<std::size_t>(i)] = i;
  return r;
}

}  // namespace

std::string to_string(Architecture a) { return a == Architecture::bottleneck ? "bottleneck" : "behavior-net"; }

std::vector<OptionSpec> option_specs(LatentNetOptions& o, Architecture a) {
  std::vector<OptionSpec> s = {
      {.name = "latents", .help = "number of latents k when no --sweep is given", .target = &o.latents, .min = 1, .max = 1e6},
      {.name = "sweep", .help = "latent counts k to cross-validate; the model keeps the chosen k (--k-rule)", .target = &o.sweep, .min = 1, .max = 1e6},
      {.name = "k_rule", .help = "how the sweep picks k: one_se (smallest k within one SE of the best) or best", .target = &o.k_rule, .choices = {"one_se", "best"}},
      {.name = "k_tolerance", .help = "one_se picks the smallest k within max(SE, this) of the best CV R²", .target = &o.k_tolerance, .min = 0, .max = 1},
      {.name = "epochs", .help = "maximum training epochs per fit", .target = &o.epochs, .min = 1, .max = 1e7},
      {.name = "batch", .help = "mini-batch size", .unit = "samples", .target = &o.batch, .min = 1, .max = 1e9},
      {.name = "lr", .help = "AdamW learning rate", .target = &o.lr, .min = 1e-9, .max = 10},
      {.name = "weight_decay", .help = "AdamW decoupled weight decay", .target = &o.weight_decay, .min = 0, .max = 10},
      {.name = "hidden", .help = "hidden units of the encoder MLP (0: linear encoder)", .target = &o.hidden, .min = 0, .max = 1e6},
      {.name = "decoder", .help = "decoder from latents to targets", .target = &o.decoder, .choices = {"linear", "mlp"}},
      {.name = "loss", .help = "training loss (poisson: Y are counts, softplus rates)", .target = &o.loss, .choices = {"mse", "gaussian", "poisson"}},
      {.name = "patience", .help = "early-stopping patience on the validation loss", .unit = "epochs", .target = &o.patience, .min = 1, .max = 1e7},
      {.name = "val_fraction", .help = "last fraction of each training set held out for early stopping", .target = &o.val_fraction, .min = 0, .max = 0.5},
  };
  detail::append_common_specs(s, o);
  if (a == Architecture::behavior_net) {
    const std::vector<OptionSpec> beh = {
        {.name = "window", .help = "behaviour samples seen by each prediction (>= 2·kernel − 1)", .unit = "samples", .target = &o.window, .min = 1, .max = 1e5},
        {.name = "causal", .help = "causal window (past only) instead of centred", .target = &o.causal},
        {.name = "channels", .help = "channels of the temporal convolutions", .target = &o.channels, .min = 1, .max = 1e5},
        {.name = "kernel", .help = "kernel length of the temporal convolutions", .unit = "samples", .target = &o.kernel, .min = 1, .max = 1e5},
    };
    s.insert(s.end(), beh.begin(), beh.end());
  }
  return s;
}

struct LatentNet::Impl {
  Architecture arch;
  LatentNetOptions options;
  std::shared_ptr<LatentModule> net;  // the fitted network (on the CPU)
  LatentCurve curve;
  VectorD cv_r2;
  MatrixD train_latents;
  std::int64_t n_samples = 0, p = 0, q = 0, epochs_run = 0, best_epoch = 0;
  double fit_seconds = 0, train_seconds = 0, inference_seconds = 0;
  std::string device = "cpu";
  nlohmann::json loaded_summary;  // summary of a model restored by load_state

  std::string component() const { return "nets." + to_string(arch); }

  void check_inputs(const MatrixF& x, const MatrixF& y, const std::vector<std::int64_t>& ks) const {
    const auto c = component();
    detail::check_xy(x, y, options.loss, c);
    for (auto k : ks)
      check(k >= 1, ErrorKind::config,
            {.component = c, .what = "number of latents k must be at least 1", .expected = ">= 1",
             .got = std::to_string(k), .field = options.sweep.empty() ? "latents" : "sweep"});
    check(options.k_rule == "one_se" || options.k_rule == "best", ErrorKind::config,
          {.component = c, .what = "unknown k_rule", .expected = "one_se or best", .got = options.k_rule});
    loss_from_string(options.loss);
  }

  TrainOptions train_options(std::uint64_t seed, const std::string& label, const std::string& ckpt) const {
    return detail::engine_options(options, seed, label, to_string(arch), ckpt);
  }

  // Trains a fresh network with k latents on `rows` (its last val_fraction held out for early
  // stopping); scaling statistics come from the training rows only.
  std::pair<std::shared_ptr<LatentModule>, TrainResult> train_one(const WindowedData& data, const MatrixF& x,
                                                                   const MatrixF& y, const std::vector<std::int64_t>& rows,
                                                                   std::int64_t k, std::uint64_t seed,
                                                                   const std::string& label, const std::string& ckpt) const {
    seed_torch(seed, options.deterministic);
    auto net = make_latent_module(arch, options, x.cols(), y.cols(), k);
    // Standardisation statistics (float64 sums) over the training rows.
    const auto n = static_cast<double>(rows.size());
    VectorD xm = VectorD::Zero(x.cols()), xs = VectorD::Zero(x.cols());
    VectorD ym = VectorD::Zero(y.cols()), ys = VectorD::Zero(y.cols());
    for (auto r : rows) {
      xm += x.row(r).transpose().cast<double>();
      ym += y.row(r).transpose().cast<double>();
    }
    xm /= n;
    ym /= n;
    for (auto r : rows) {
      xs += (x.row(r).transpose().cast<double>() - xm).array().square().matrix();
      ys += (y.row(r).transpose().cast<double>() - ym).array().square().matrix();
    }
    // A constant column gets scale 1 (it only shifts the bias) instead of a division by zero.
    auto safe_sd = [n](VectorD v) {
      for (auto& e : v) e = e > 0 ? std::sqrt(e / n) : 1.0;
      return v;
    };
    xs = safe_sd(xs);
    ys = safe_sd(ys);
    auto t = [](const VectorD& v) { return torch::from_blob(const_cast<double*>(v.data()), {v.size()}, torch::kFloat64).to(torch::kFloat32); };
    const bool poisson = options.loss == "poisson";
    // MSE: targets centred and scaled (the loss stays in Y's units); Poisson: rates in counts.
    net->set_scaling(t(xm), t(xs), t(ym), poisson ? torch::ones({y.cols()}) : t(ys));
    torch::Tensor variance;
    if (options.loss == "gaussian") variance = t(ys).square().reshape({1, y.cols()});
    // The last val_fraction of the (time-ordered) training rows validates early stopping.
    const auto n_val = static_cast<std::size_t>(std::floor(options.val_fraction * n));
    std::vector<std::int64_t> fit_rows(rows.begin(), rows.end() - static_cast<std::ptrdiff_t>(n_val));
    std::vector<std::int64_t> val_rows(rows.end() - static_cast<std::ptrdiff_t>(n_val), rows.end());
    if (fit_rows.empty()) fit_rows = rows, val_rows.clear();
    auto result = train(*net, data, fit_rows, val_rows, train_options(seed, label, ckpt), variance);
    net->to(torch::kCPU);
    return {net, result};
  }

  void fit(const MatrixF& x, const MatrixF& y) {
    const auto t0 = Clock::now();
    std::vector<std::int64_t> ks = options.sweep.empty() ? std::vector<std::int64_t>{options.latents} : options.sweep;
    check_inputs(x, y, ks);
    std::sort(ks.begin(), ks.end());
    ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
    const auto folds = eval::time_block_folds(x.rows(), options.split);
    // Checks the architecture (window vs kernel, ...) before any training.
    architecture_cost(arch, options, x.cols(), y.cols(), ks.front());

    detail::torch_guard(component(), [&] {
      const torch::Device dev = choose_device(options.device);
      device = dev.str();
      const auto [before, after] = window_extent(arch, options);
      const WindowedData data(x, y, before, after, dev);
      const auto K = static_cast<std::int64_t>(folds.size());
      curve = LatentCurve{};
      curve.ks = ks;
      curve.r2.resize(static_cast<Eigen::Index>(ks.size()), y.cols());
      for (std::size_t ki = 0; ki < ks.size(); ++ki) {
        const std::int64_t k = ks[ki];
        MatrixF oof(y.rows(), y.cols());
        std::vector<double> fold_r2;
        for (std::int64_t f = 0; f < K; ++f) {
          const auto& fold = folds[static_cast<std::size_t>(f)];
          const std::string tag = "k" + std::to_string(k) + "_fold" + std::to_string(f);
          auto [net, res] = train_one(data, x, y, fold.train, k, run_seed(options.seed, k, f),
                                      component() + " k=" + std::to_string(k) + " fold " + std::to_string(f + 1) + "/" + std::to_string(K), tag);
          const MatrixF pred = to_matrix(predict_rows(*net, data, fold.test));
          MatrixF yt(pred.rows(), y.cols());
          for (std::size_t i = 0; i < fold.test.size(); ++i) {
            oof.row(fold.test[i]) = pred.row(static_cast<Eigen::Index>(i));
            yt.row(static_cast<Eigen::Index>(i)) = y.row(fold.test[i]);
          }
          fold_r2.push_back(yt.rows() >= 2 ? eval::r2_score(yt, pred).mean() : 0.0);
        }
        const VectorD r2 = eval::r2_score(y, oof);
        curve.r2.row(static_cast<Eigen::Index>(ki)) = r2.transpose();
        curve.r2_mean.push_back(r2.mean());
        double mean = 0, var = 0;
        for (double v : fold_r2) mean += v / static_cast<double>(K);
        for (double v : fold_r2) var += (v - mean) * (v - mean) / static_cast<double>(std::max<std::int64_t>(K - 1, 1));
        curve.r2_sem.push_back(std::sqrt(var / static_cast<double>(K)));
        curve.r2_folds.push_back(fold_r2);
      }
      // Choice of k: the best, or the smallest within one SE (at least k_tolerance) of the best:
      // a parsimonious k that predicts as well as the best up to fold-to-fold and optimisation
      // noise (Semedo et al. 2019 use one SE for the predictive dimensionality of RRR).
      std::size_t best = 0;
      for (std::size_t i = 1; i < ks.size(); ++i)
        if (curve.r2_mean[i] > curve.r2_mean[best]) best = i;
      curve.best_k = ks[best];
      std::size_t chosen = best;
      if (options.k_rule == "one_se")
        for (std::size_t i = 0; i < ks.size(); ++i)
          if (curve.r2_mean[i] >= curve.r2_mean[best] - std::max(curve.r2_sem[best], options.k_tolerance)) {
            chosen = i;
            break;
          }
      curve.chosen_k = ks[chosen];
      cv_r2 = curve.r2.row(static_cast<Eigen::Index>(chosen)).transpose();

      // Reduced-rank regression at the same ranks on the same folds (ranks ≤ min(p, q)).
      linear::RrrOptions rrr;
      rrr.split = options.split;
      for (auto k : ks)
        if (k <= std::min<std::int64_t>(x.cols(), y.cols())) rrr.ranks.push_back(k);
      if (!rrr.ranks.empty()) {
        const auto rc = linear::rrr_rank_curve(x, y, rrr);
        curve.rrr_ranks = rc.ranks;
        curve.rrr_r2_mean = rc.r2_mean;
        curve.rrr_r2_sem = rc.r2_sem;
        curve.rrr_alpha = rc.alpha;
      }

      // The final network: the chosen k trained on every row.
      const auto t_train = Clock::now();
      auto [net_final, res] = train_one(data, x, y, all_rows(x.rows()), curve.chosen_k,
                                        run_seed(options.seed, curve.chosen_k, -1),
                                        component() + " k=" + std::to_string(curve.chosen_k) + " final",
                                        "k" + std::to_string(curve.chosen_k) + "_final");
      train_seconds = seconds_since(t_train);
      epochs_run = res.epochs_run;
      best_epoch = res.best_epoch;
      net = net_final;  // on the CPU: train_one moves every trained net back
      n_samples = x.rows();
      p = x.cols();
      q = y.cols();
      const auto t_inf = Clock::now();
      const WindowedData cpu_data(x, MatrixF(x.rows(), 0), before, after, torch::kCPU);
      (void)to_matrix(predict_rows(*net, cpu_data, all_rows(x.rows())));
      inference_seconds = seconds_since(t_inf);
      train_latents = latents_of(x).cast<double>();
      return 0;
    });
    loaded_summary = nlohmann::json();
    fit_seconds = seconds_since(t0);
  }

  void require_fitted(const MatrixF& x) const {
    check(net != nullptr, ErrorKind::config, {.component = component(), .what = "model is not fitted"});
    check(x.cols() == p, ErrorKind::shape,
          {.component = component(), .what = "X has the wrong number of columns", .expected = std::to_string(p),
           .got = std::to_string(x.cols()), .field = "X"});
    const auto bad = count_nonfinite(x);
    check(bad == 0, ErrorKind::config,
          {.component = component(), .what = "X contains NaN or Inf", .expected = "0 non-finite values",
           .got = std::to_string(bad), .field = "X"});
  }

  MatrixF latents_of(const MatrixF& x) const {
    require_fitted(x);
    return detail::torch_guard(component(), [&] {
      torch::NoGradGuard no_grad;
      const auto [before, after] = window_extent(arch, options);
      const WindowedData data(x, MatrixF(x.rows(), 0), before, after, torch::kCPU);
      const auto rows = all_rows(x.rows());
      std::vector<torch::Tensor> parts;
      for (std::int64_t s = 0; s < x.rows(); s += 8192) {
        const std::int64_t m = std::min<std::int64_t>(8192, x.rows() - s);
        parts.push_back(net->encode(data.inputs(torch::arange(s, s + m, torch::kInt64))));
      }
      return to_matrix(torch::cat(parts));
    });
  }

  MatrixF predict(const MatrixF& x) const {
    require_fitted(x);
    return detail::torch_guard(component(), [&] {
      const auto [before, after] = window_extent(arch, options);
      const WindowedData data(x, MatrixF(x.rows(), 0), before, after, torch::kCPU);
      return to_matrix(predict_rows(*net, data, all_rows(x.rows())));
    });
  }

  nlohmann::json summary() const {
    check(net != nullptr, ErrorKind::config, {.component = component(), .what = "model is not fitted"});
    if (!loaded_summary.is_null()) return loaded_summary;
    nlohmann::json s;
    s["model"] = to_string(arch);
    s["n_samples"] = n_samples;
    s["n_features"] = p;
    s["n_targets"] = q;
    s["cv_r2"] = std::vector<double>(cv_r2.data(), cv_r2.data() + cv_r2.size());
    s["cv_r2_mean"] = cv_r2.mean();
    s["latents"] = curve.chosen_k;
    s["best_latents"] = curve.best_k;
    s["k_rule"] = options.k_rule;
    nlohmann::json lc = nlohmann::json::array(), rc = nlohmann::json::array();
    for (std::size_t i = 0; i < curve.ks.size(); ++i)
      lc.push_back({{"k", curve.ks[i]}, {"cv_r2_mean", curve.r2_mean[i]}, {"sem", curve.r2_sem[i]}});
    for (std::size_t i = 0; i < curve.rrr_ranks.size(); ++i)
      rc.push_back({{"rank", curve.rrr_ranks[i]}, {"cv_r2_mean", curve.rrr_r2_mean[i]}, {"sem", curve.rrr_r2_sem[i]}});
    s["latent_curve"] = lc;
    s["rrr_curve"] = rc;
    s["rrr_alpha"] = curve.rrr_alpha;
    add_compute_summary(s, net->cost(),
                        {cv_r2.mean(), train_seconds, inference_seconds, device, options.device_power_w});
    s["epochs_run"] = epochs_run;
    s["best_epoch"] = best_epoch;
    s["fit_seconds"] = fit_seconds;
    return s;
  }
};

LatentNet::LatentNet(Architecture a, LatentNetOptions o) : impl_(std::make_unique<Impl>()) {
  impl_->arch = a;
  impl_->options = std::move(o);
}
LatentNet::~LatentNet() = default;
LatentNet::LatentNet(LatentNet&&) noexcept = default;
LatentNet& LatentNet::operator=(LatentNet&&) noexcept = default;

std::string LatentNet::name() const { return to_string(impl_->arch); }
std::vector<OptionSpec> LatentNet::option_specs() { return nets::option_specs(impl_->options, impl_->arch); }
void LatentNet::fit(const MatrixF& x, const MatrixF& y) { impl_->fit(x, y); }
MatrixF LatentNet::predict(const MatrixF& x) const { return impl_->predict(x); }
MatrixF LatentNet::latents(const MatrixF& x) const { return impl_->latents_of(x); }
nlohmann::json LatentNet::summary() const { return impl_->summary(); }
const LatentCurve& LatentNet::curve() const { return impl_->curve; }
LatentNetOptions& LatentNet::options() { return impl_->options; }
const LatentNetOptions& LatentNet::options() const { return impl_->options; }
bool LatentNet::fitted() const { return impl_->net != nullptr; }

ComputeCost LatentNet::cost() const {
  check(fitted(), ErrorKind::config, {.component = impl_->component(), .what = "model is not fitted"});
  return impl_->net->cost();
}

ModelState LatentNet::state() const {
  const auto& m = *impl_;
  check(fitted(), ErrorKind::config, {.component = m.component(), .what = "model is not fitted"});
  ModelState st;
  st.model = name();
  LatentNetOptions copy = m.options;
  st.params["options"] = option_values(nets::option_specs(copy, m.arch));
  st.params["architecture"] = name();
  st.params["n_features"] = m.p;
  st.params["n_targets"] = m.q;
  st.params["latents"] = m.net->shape().k;
  st.params["summary"] = summary();
  detail::save_module_tensors(*m.net, st);
  st.arrays["latents"] = m.train_latents;
  st.arrays["cv_r2"] = m.cv_r2.transpose();
  return st;
}

void LatentNet::load_state(const ModelState& st) {
  auto& m = *impl_;
  const auto c = m.component();
  check(st.model == name(), ErrorKind::io,
        {.component = c, .what = "state is of another model", .expected = name(), .got = st.model});
  detail::load_guard(c, [&] {
    LatentNetOptions o;
    apply_options(nets::option_specs(o, m.arch), st.params.at("options"), c);
    const std::int64_t p = st.params.at("n_features"), q = st.params.at("n_targets"), k = st.params.at("latents");
    auto net = make_latent_module(m.arch, o, p, q, k);
    detail::load_module_tensors(*net, st, c);
    m.options = o;
    m.net = net;
    m.p = p;
    m.q = q;
    if (auto it = st.arrays.find("cv_r2"); it != st.arrays.end()) m.cv_r2 = it->second.row(0).transpose();
    if (auto it = st.arrays.find("latents"); it != st.arrays.end()) m.train_latents = it->second;
    m.loaded_summary = st.params.value("summary", nlohmann::json::object());
    m.loaded_summary["model"] = name();
  });
}

LatentCurve bottleneck_sweep(const MatrixF& x, const MatrixF& y, const std::vector<std::int64_t>& ks,
                             LatentNetOptions options) {
  check(!ks.empty(), ErrorKind::config,
        {.component = "nets.bottleneck", .what = "no latent counts to sweep", .expected = ">= 1 value", .got = "0",
         .field = "sweep"});
  options.sweep = ks;
  Bottleneck model(std::move(options));
  model.fit(x, y);
  return model.curve();
}

ComputeCost architecture_cost(Architecture a, const LatentNetOptions& o, std::int64_t p, std::int64_t q,
                              std::int64_t k) {
  return detail::torch_guard("nets." + to_string(a), [&] { return make_latent_module(a, o, p, q, k)->cost(); });
}

}  // namespace neurodl::nets
