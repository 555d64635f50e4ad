// Joint stimulus + behaviour network (joint_net.hpp): image-net's convolutional core and
// factorised readout for the stimulus, a shared MLP for behaviour that adds to each neuron's
// drive and scales its rate, and drop-one models on the same folds for each input's unique
// contribution.
//
// Cost: 3·K + 1 trainings (full, without stimulus, without behaviour on K folds, then the full
// model on all rows) of O(epochs · T · FLOPs/sample) each.

#include "neurodl/nets/joint_net.hpp"

#include <array>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "neurodl/core/error.hpp"
#include "neurodl/core/random.hpp"
#include "neurodl/eval/metrics.hpp"
#include "neurodl/nets/image_net.hpp"
#include "neurodl/nets/train.hpp"
#include "module_state.hpp"
#include "image_core.hpp"
#include "torch_guard.hpp"

namespace neurodl::nets {
namespace {

constexpr const char* kComponent = "nets.joint";
constexpr double kMaxLogGain = 10.0;  // |g·e| is clamped: a gain of e^10 is already absurd

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::vector<std::int64_t> all_rows(std::int64_t n) {
  std::vector<std::int64_t> r(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) r[static_cast<std::size_t>(i)] = i;
  return r;
}

constexpr std::array<const char*, 2> kInputs = {"stimulus", "behavior"};

// The stimulus-path options in image-net's terms (one description of the core).
ImageNetOptions image_options(const JointNetOptions& o) {
  ImageNetOptions i;
  i.image_height = o.image_height;
  i.image_width = o.image_width;
  i.layers = o.layers;
  i.channels = o.channels;
  i.kernel = o.kernel;
  i.hidden_kernel = o.hidden_kernel;
  i.loss = o.loss;
  return i;
}

// Parameters: conv<l>.*, mask, features (stimulus path), beh_in.*, beh_out.*, beh_skip.weight,
// beh_add (q × k), beh_gain (q × k) (behaviour path), bias (q); buffers x_stats (pixel mean, sd),
// b_mean, b_scale (p_b), y_mean, y_scale (q).
class JointModule : public Net {
 public:
  JointModule(const JointNetOptions& o, std::int64_t h, std::int64_t w, std::int64_t pb, std::int64_t q)
      : o_(o), h_(h), w_(w), pb_(pb), q_(q) {
    (void)joint_net_cost(o, h, w, pb, q);  // checks the sizes
    core_ = detail::ImageCore(*this, image_options(o), h, w, q);
    {
      const std::int64_t k = o.behavior_latents;
      beh_in_ = register_module("beh_in", torch::nn::Linear(pb, o.behavior_hidden));
      beh_out_ = register_module("beh_out", torch::nn::Linear(o.behavior_hidden, k));
      beh_skip_ = register_module("beh_skip", torch::nn::Linear(torch::nn::LinearOptions(pb, k).bias(false)));
      // Small random readouts: behaviour starts with little influence, but gradients reach the
      // MLP from the first step (zero readouts would leave it untrained until they grow).
      beh_add_ = register_parameter("beh_add", 0.1 * torch::randn({q, k}) / std::sqrt(static_cast<double>(k)));
      beh_gain_ = register_parameter("beh_gain", 0.1 * torch::randn({q, k}) / std::sqrt(static_cast<double>(k)));
    }
    bias_ = register_parameter("bias", torch::zeros({q}));
    x_stats_ = register_buffer("x_stats", torch::tensor({0.0f, 1.0f}));
    b_mean_ = register_buffer("b_mean", torch::zeros({pb}));
    b_scale_ = register_buffer("b_scale", torch::ones({pb}));
    y_mean_ = register_buffer("y_mean", torch::zeros({q}));
    y_scale_ = register_buffer("y_scale", torch::ones({q}));
  }

  void set_scaling(double x_mean, double x_sd, const torch::Tensor& b_mean, const torch::Tensor& b_scale,
                   const torch::Tensor& y_mean, const torch::Tensor& y_scale) {
    torch::NoGradGuard no_grad;
    x_stats_.copy_(torch::tensor({static_cast<float>(x_mean), static_cast<float>(x_sd)}));
    b_mean_.copy_(b_mean.reshape({pb_}));
    b_scale_.copy_(b_scale.reshape({pb_}));
    y_mean_.copy_(y_mean.reshape({q_}));
    y_scale_.copy_(y_scale.reshape({q_}));
    if (positive()) {
      auto m = y_mean.reshape({q_}).clamp_min(1e-4);  // rates start at the mean count
      bias_.copy_(m + torch::log(-torch::expm1(-m)));
    }
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    const std::int64_t npx = h_ * w_;
    auto eta = core_.drive((x.slice(1, 0, npx) - x_stats_[0]) / x_stats_[1]) + bias_;  // B × q
    auto b = (x.slice(1, npx, npx + pb_) - b_mean_) / b_scale_;
    auto e = beh_out_->forward(torch::elu(beh_in_->forward(b))) + beh_skip_->forward(b);  // B × k
    eta = eta + torch::matmul(e, beh_add_.t());
    auto gain = torch::exp(torch::matmul(e, beh_gain_.t()).clamp(-kMaxLogGain, kMaxLogGain));
    if (positive()) return torch::nn::functional::softplus(eta) * gain;
    return y_mean_ + y_scale_ * eta * gain;
  }

  ComputeCost cost() const override { return joint_cost(o_, h_, w_, pb_, q_); }

  torch::Tensor penalty() override { return core_.penalty(o_.mask_l1, o_.feature_l1); }

  static ComputeCost joint_cost(const JointNetOptions& o, std::int64_t h, std::int64_t w, std::int64_t pb,
                                std::int64_t q) {
    // image-net's layers up to and including its readout (its output layer is replaced below).
    ComputeCost c = image_net_cost(image_options(o), h, w, q);
    c.layers.pop_back();
    const std::int64_t k = o.behavior_latents;
    c.layers.push_back(elementwise_cost("scale_behavior", 2 * pb));
    c.layers.push_back(linear_cost("beh_in", pb, o.behavior_hidden));
    c.layers.push_back(elementwise_cost("elu", o.behavior_hidden));
    c.layers.push_back(linear_cost("beh_out", o.behavior_hidden, k));
    c.layers.push_back(linear_cost("beh_skip", pb, k, false));
    c.layers.push_back(elementwise_cost("skip_add", k));
    // Additive readout (q·k MACs, added to the drive) and gain readout (q·k MACs, then exp and
    // the product with the rate).
    c.layers.push_back({"beh_add (" + std::to_string(q) + "×" + std::to_string(k) + ")", q * k, q * k, 2 * q * k});
    c.layers.push_back({"beh_gain (" + std::to_string(q) + "×" + std::to_string(k) + ")", q * k, q * k, 2 * q * k - q});
    c.layers.push_back(elementwise_cost("exp·rate", 2 * q));
    c.layers.push_back(o.loss == "poisson" ? elementwise_cost("softplus", q) : elementwise_cost("unscale_y", 2 * q));
    return c;
  }

 private:
  bool positive() const { return o_.loss == "poisson"; }
  JointNetOptions o_;
  std::int64_t h_, w_, pb_, q_;
  detail::ImageCore core_;
  torch::nn::Linear beh_in_{nullptr}, beh_out_{nullptr}, beh_skip_{nullptr};
  torch::Tensor beh_add_, beh_gain_, bias_, x_stats_, b_mean_, b_scale_, y_mean_, y_scale_;
};

// Image size of the stimulus columns; ConfigError when behavior_columns does not fit p.
std::pair<std::int64_t, std::int64_t> stimulus_size(const JointNetOptions& o, std::int64_t p) {
  check(o.behavior_columns >= 1 && o.behavior_columns < p, ErrorKind::config,
        {.component = kComponent, .what = "behavior_columns must leave image columns before it (the CLI sets it from --x2)",
         .expected = "1.." + std::to_string(p - 1), .got = std::to_string(o.behavior_columns),
         .field = "behavior_columns"});
  return image_size(image_options(o), p - o.behavior_columns);
}

}  // namespace

std::vector<OptionSpec> option_specs(JointNetOptions& o) {
  std::vector<OptionSpec> s = {
      {.name = "behavior_columns", .help = "trailing columns of X that are behaviour (set by --x2: X = [--x | --x2])", .target = &o.behavior_columns, .min = 0, .max = 1e6},
      {.name = "image_height", .help = "image height (0: square images, h = w = √p)", .unit = "px", .target = &o.image_height, .min = 0, .max = 1e6},
      {.name = "image_width", .help = "image width (0: p / image_height, or √p)", .unit = "px", .target = &o.image_width, .min = 0, .max = 1e6},
      {.name = "layers", .help = "convolutional layers of the core", .target = &o.layers, .min = 1, .max = 16},
      {.name = "channels", .help = "channels of every core layer", .target = &o.channels, .min = 1, .max = 4096},
      {.name = "kernel", .help = "kernel side of the first core layer (valid convolution)", .unit = "px", .target = &o.kernel, .min = 1, .max = 1024},
      {.name = "hidden_kernel", .help = "kernel side of the later core layers", .unit = "px", .target = &o.hidden_kernel, .min = 1, .max = 1024},
      {.name = "behavior_hidden", .help = "hidden units of the joint model's behaviour MLP", .target = &o.behavior_hidden, .min = 1, .max = 1e6},
      {.name = "behavior_latents", .help = "behavioural latents shared by all neurons (additive drive and gain)", .target = &o.behavior_latents, .min = 1, .max = 1e4},
      {.name = "epochs", .help = "maximum training epochs per fit", .target = &o.epochs, .min = 1, .max = 1e7},
      {.name = "batch", .help = "mini-batch size", .unit = "presentations", .target = &o.batch, .min = 1, .max = 1e9},
      {.name = "lr", .help = "AdamW learning rate", .target = &o.lr, .min = 1e-9, .max = 10},
      {.name = "weight_decay", .help = "AdamW decoupled weight decay", .target = &o.weight_decay, .min = 0, .max = 10},
      {.name = "mask_l1", .help = "L1 penalty on the per-neuron spatial masks (mean over neurons of Σ|m|)", .target = &o.mask_l1, .min = 0, .max = 1e3},
      {.name = "feature_l1", .help = "L1 penalty on the per-neuron feature weights (mean over neurons of Σ|w|)", .target = &o.feature_l1, .min = 0, .max = 1e3},
      {.name = "loss", .help = "training loss (poisson: Y are counts, softplus rates; mse: affine output)", .target = &o.loss, .choices = {"poisson", "mse"}},
      {.name = "patience", .help = "early-stopping patience on the validation loss", .unit = "epochs", .target = &o.patience, .min = 1, .max = 1e7},
      {.name = "val_fraction", .help = "last fraction of each training set held out for early stopping", .target = &o.val_fraction, .min = 0, .max = 0.5},
  };
  detail::append_common_specs(s, o);
  return s;
}

ComputeCost joint_net_cost(const JointNetOptions& o, std::int64_t h, std::int64_t w, std::int64_t pb,
                           std::int64_t q) {
  check(o.behavior_hidden >= 1 && o.behavior_latents >= 1, ErrorKind::config,
        {.component = kComponent, .what = "behaviour MLP sizes must be at least 1", .expected = ">= 1",
         .got = std::to_string(o.behavior_hidden) + ", " + std::to_string(o.behavior_latents),
         .field = "behavior_hidden/behavior_latents"});
  check(pb >= 1, ErrorKind::config,
        {.component = kComponent, .what = "no behaviour columns", .expected = ">= 1", .got = std::to_string(pb),
         .field = "behavior_columns"});
  return JointModule::joint_cost(o, h, w, pb, q);
}

struct JointNet::Impl {
  JointNetOptions options;
  std::shared_ptr<JointModule> net;  // the fitted full network (on the CPU)
  VectorD cv_r2, cv_corr;
  std::array<VectorD, 2> r2_without;        // per input of kInputs: CV R² without it
  std::array<double, 2> unique_sem = {0, 0};
  std::int64_t n_samples = 0, p = 0, q = 0, h = 0, w = 0, pb = 0, epochs_run = 0, best_epoch = 0;
  double fit_seconds = 0, train_seconds = 0, inference_seconds = 0;
  std::string device = "cpu";
  nlohmann::json loaded_summary;

  void check_inputs(const MatrixF& x, const MatrixF& y) const {
    detail::check_xy(x, y, options.loss, kComponent, "samples");
  }

  TrainOptions train_options(std::uint64_t seed, const std::string& label, const std::string& ckpt) const {
    return detail::engine_options(options, seed, label, "joint", ckpt);
  }

  // Trains a fresh network on `rows`, its last val_fraction held out for early
  // stopping; scaling statistics from the training rows only.
  std::pair<std::shared_ptr<JointModule>, TrainResult> train_one(const WindowedData& data, const MatrixF& x,
                                                                  const MatrixF& y, const std::vector<std::int64_t>& rows,
                                                                  std::uint64_t seed,
                                                                  const std::string& label, const std::string& ckpt) const {
    seed_torch(seed, options.deterministic);
    auto m = std::make_shared<JointModule>(options, h, w, pb, y.cols());
    const auto n = static_cast<double>(rows.size());
    const std::int64_t npx = h * w;
    double xs = 0, xss = 0;
    VectorD bm = VectorD::Zero(pb), bv = VectorD::Zero(pb), ym = VectorD::Zero(y.cols()), yv = VectorD::Zero(y.cols());
    for (auto r : rows) {
      const auto img = x.row(r).head(npx).cast<double>();
      xs += img.sum();
      xss += img.squaredNorm();
      bm += x.row(r).tail(pb).transpose().cast<double>();
      ym += y.row(r).transpose().cast<double>();
    }
    const double n_px = n * static_cast<double>(npx);
    const double xm = xs / n_px, xvar = xss / n_px - xm * xm;
    bm /= n;
    ym /= n;
    for (auto r : rows) {
      bv += (x.row(r).tail(pb).transpose().cast<double>() - bm).array().square().matrix();
      yv += (y.row(r).transpose().cast<double>() - ym).array().square().matrix();
    }
    auto sd = [n](VectorD v) {
      for (auto& e : v) e = e > 0 ? std::sqrt(e / n) : 1.0;  // a constant column keeps scale 1
      return v;
    };
    auto t = [](const VectorD& v) {
      return torch::from_blob(const_cast<double*>(v.data()), {v.size()}, torch::kFloat64).to(torch::kFloat32);
    };
    const bool poisson = options.loss == "poisson";
    m->set_scaling(xm, xvar > 0 ? std::sqrt(xvar) : 1.0, t(bm), t(sd(bv)), t(ym),
                   poisson ? torch::ones({y.cols()}) : t(sd(yv)));
    const auto n_val = static_cast<std::size_t>(std::floor(options.val_fraction * n));
    std::vector<std::int64_t> fit_rows(rows.begin(), rows.end() - static_cast<std::ptrdiff_t>(n_val));
    std::vector<std::int64_t> val_rows(rows.end() - static_cast<std::ptrdiff_t>(n_val), rows.end());
    if (fit_rows.empty()) fit_rows = rows, val_rows.clear();
    auto result = train(*m, data, fit_rows, val_rows, train_options(seed, label, ckpt));
    m->to(torch::kCPU);
    return {m, result};
  }

  void fit(const MatrixF& x, const MatrixF& y) {
    const auto t0 = Clock::now();
    check_inputs(x, y);
    std::tie(h, w) = stimulus_size(options, x.cols());
    pb = options.behavior_columns;
    (void)joint_net_cost(options, h, w, pb, y.cols());
    const auto folds = eval::time_block_folds(x.rows(), options.split);
    detail::torch_guard(kComponent, [&] {
      const torch::Device dev = choose_device(options.device);
      device = dev.str();
      const WindowedData data(x, y, 0, 0, dev);
      const auto k = static_cast<std::int64_t>(folds.size());
      // Variant 0 is the full model; variant 1 + i has input i (kInputs) replaced by a row-
      // permuted copy (Musall et al. 2019 shuffle each variable's regressors): the same network,
      // parameter count and input statistics, only the information is gone. Removing the path
      // instead would also change the optimisation (on a planted problem without any
      // behavioural effect, dropping the behaviour path cost 0.12 R², all of it spurious). Fold f
      // uses the same seed (initialisation and batch order) in every variant.
      const std::array<const char*, 3> names = {"full", "stimulus shuffled", "behavior shuffled"};
      const std::array<const char*, 3> tags = {"full", "stimulus_shuffled", "behavior_shuffled"};
      std::array<MatrixF, 3> oof;
      std::array<std::vector<double>, 3> fold_r2;
      for (std::size_t v = 0; v < names.size(); ++v) {
        MatrixF xv;
        if (v > 0) {
          xv = x;
          const std::int64_t first = v == 1 ? 0 : h * w, cols = v == 1 ? h * w : pb;
          Rng rng(options.seed, 0x73687566ULL + v);  // "shuf" + variant
          const auto perm = rng.permutation(x.rows());
          for (Eigen::Index r = 0; r < x.rows(); ++r)
            xv.row(r).segment(first, cols) = x.row(perm[static_cast<std::size_t>(r)]).segment(first, cols);
        }
        const WindowedData shuffled = v > 0 ? WindowedData(xv, y, 0, 0, dev) : WindowedData(MatrixF(0, 0), MatrixF(0, 0), 0, 0, torch::kCPU);
        const WindowedData& dv = v > 0 ? shuffled : data;
        const MatrixF& xref = v > 0 ? xv : x;
        oof[v].resize(y.rows(), y.cols());
        for (std::int64_t f = 0; f < k; ++f) {
          const auto& fold = folds[static_cast<std::size_t>(f)];
          std::uint64_t s = options.seed ^ static_cast<std::uint64_t>(f + 1);
          auto [net_f, res] = train_one(dv, xref, y, fold.train, splitmix64(s),
                                        std::string(kComponent) + " " + names[v] + " fold " + std::to_string(f + 1) +
                                            "/" + std::to_string(k),
                                        std::string(tags[v]) + "_fold" + std::to_string(f));
          const MatrixF pred = to_matrix(predict_rows(*net_f, dv, fold.test));
          MatrixF yt(pred.rows(), y.cols());
          for (std::size_t i = 0; i < fold.test.size(); ++i) {
            oof[v].row(fold.test[i]) = pred.row(static_cast<Eigen::Index>(i));
            yt.row(static_cast<Eigen::Index>(i)) = y.row(fold.test[i]);
          }
          fold_r2[v].push_back(yt.rows() >= 2 ? eval::r2_score(yt, pred).mean() : 0.0);
        }
      }
      cv_r2 = eval::r2_score(y, oof[0]);
      cv_corr = eval::pearson_r(y, oof[0]);
      for (std::size_t i = 0; i < kInputs.size(); ++i) {
        r2_without[i] = eval::r2_score(y, oof[i + 1]);
        // Standard error over folds of the paired per-fold difference (full − without).
        double mean = 0, var = 0;
        for (std::int64_t f = 0; f < k; ++f) mean += (fold_r2[0][f] - fold_r2[i + 1][f]) / static_cast<double>(k);
        for (std::int64_t f = 0; f < k; ++f) {
          const double d = fold_r2[0][f] - fold_r2[i + 1][f] - mean;
          var += d * d / static_cast<double>(std::max<std::int64_t>(k - 1, 1));
        }
        unique_sem[i] = std::sqrt(var / static_cast<double>(k));
      }

      const auto t_train = Clock::now();
      std::uint64_t s = options.seed;
      auto [net_final, res] = train_one(data, x, y, all_rows(x.rows()), splitmix64(s),
                                        std::string(kComponent) + " final", "final");
      train_seconds = seconds_since(t_train);
      epochs_run = res.epochs_run;
      best_epoch = res.best_epoch;
      net = net_final;
      n_samples = x.rows();
      p = x.cols();
      q = y.cols();
      const auto t_inf = Clock::now();
      (void)predict(x);
      inference_seconds = seconds_since(t_inf);
      return 0;
    });
    loaded_summary = nlohmann::json();
    fit_seconds = seconds_since(t0);
  }

  MatrixF predict(const MatrixF& x) const {
    check(net != nullptr, ErrorKind::config, {.component = kComponent, .what = "model is not fitted"});
    check(x.cols() == p, ErrorKind::shape,
          {.component = kComponent, .what = "X has the wrong number of columns (image pixels + behaviour)",
           .expected = std::to_string(p), .got = std::to_string(x.cols()), .field = "X"});
    const auto bad = count_nonfinite(x);
    check(bad == 0, ErrorKind::config,
          {.component = kComponent, .what = "X contains NaN or Inf", .expected = "0 non-finite values",
           .got = std::to_string(bad), .field = "X"});
    return detail::torch_guard(kComponent, [&] {
      const WindowedData data(x, MatrixF(x.rows(), 0), 0, 0, torch::kCPU);
      return to_matrix(predict_rows(*net, data, all_rows(x.rows())));
    });
  }

  nlohmann::json summary() const {
    check(net != nullptr, ErrorKind::config, {.component = kComponent, .what = "model is not fitted"});
    if (!loaded_summary.is_null()) return loaded_summary;
    auto vec = [](const VectorD& v) {
      nlohmann::json a = nlohmann::json::array();
      for (double e : v) a.push_back(std::isfinite(e) ? nlohmann::json(e) : nlohmann::json());
      return a;
    };
    nlohmann::json s;
    s["model"] = "joint";
    s["n_samples"] = n_samples;
    s["n_features"] = p;
    s["n_targets"] = q;
    s["image_height"] = h;
    s["image_width"] = w;
    s["behavior_columns"] = pb;
    s["cv_r2"] = vec(cv_r2);
    s["cv_r2_mean"] = cv_r2.mean();
    s["cv_corr"] = vec(cv_corr);
    const double corr_mean = eval::nan_mean(cv_corr);
    s["cv_corr_mean"] = std::isfinite(corr_mean) ? nlohmann::json(corr_mean) : nlohmann::json();
    nlohmann::json unique = nlohmann::json::object();
    for (std::size_t i = 0; i < kInputs.size(); ++i) {
      const VectorD d = cv_r2 - r2_without[i];
      unique[kInputs[i]] = {{"mean", d.mean()}, {"per_target", vec(d)}, {"sem", unique_sem[i]},
                            {"cv_r2_without", vec(r2_without[i])}, {"cv_r2_without_mean", r2_without[i].mean()}};
    }
    s["unique_r2"] = unique;
    add_compute_summary(s, net->cost(),
                        {cv_r2.mean(), train_seconds, inference_seconds, device, options.device_power_w});
    s["epochs_run"] = epochs_run;
    s["best_epoch"] = best_epoch;
    s["fit_seconds"] = fit_seconds;
    return s;
  }
};

JointNet::JointNet(JointNetOptions o) : impl_(std::make_unique<Impl>()) { impl_->options = std::move(o); }
JointNet::~JointNet() = default;
JointNet::JointNet(JointNet&&) noexcept = default;
JointNet& JointNet::operator=(JointNet&&) noexcept = default;

std::vector<OptionSpec> JointNet::option_specs() { return nets::option_specs(impl_->options); }
void JointNet::fit(const MatrixF& x, const MatrixF& y) { impl_->fit(x, y); }
MatrixF JointNet::predict(const MatrixF& x) const { return impl_->predict(x); }
nlohmann::json JointNet::summary() const { return impl_->summary(); }
JointNetOptions& JointNet::options() { return impl_->options; }
const JointNetOptions& JointNet::options() const { return impl_->options; }

ComputeCost JointNet::cost() const {
  check(impl_->net != nullptr, ErrorKind::config, {.component = kComponent, .what = "model is not fitted"});
  return impl_->net->cost();
}

ModelState JointNet::state() const {
  const auto& m = *impl_;
  check(m.net != nullptr, ErrorKind::config, {.component = kComponent, .what = "model is not fitted"});
  ModelState st;
  st.model = name();
  JointNetOptions copy = m.options;
  st.params["options"] = option_values(nets::option_specs(copy));
  st.params["n_features"] = m.p;
  st.params["n_targets"] = m.q;
  st.params["image_height"] = m.h;
  st.params["image_width"] = m.w;
  st.params["summary"] = summary();
  detail::save_module_tensors(*m.net, st);
  st.arrays["cv_r2"] = m.cv_r2.transpose();
  MatrixD unique(2, m.q);
  for (std::size_t i = 0; i < kInputs.size(); ++i)
    unique.row(static_cast<Eigen::Index>(i)) = (m.cv_r2 - m.r2_without[i]).transpose();
  st.arrays["unique_r2"] = unique;
  return st;
}

void JointNet::load_state(const ModelState& st) {
  auto& m = *impl_;
  check(st.model == name(), ErrorKind::io,
        {.component = kComponent, .what = "state is of another model", .expected = name(), .got = st.model});
  detail::load_guard(kComponent, [&] {
    JointNetOptions o;
    apply_options(nets::option_specs(o), st.params.at("options"), kComponent);
    const std::int64_t p = st.params.at("n_features"), q = st.params.at("n_targets");
    const std::int64_t h = st.params.at("image_height"), w = st.params.at("image_width");
    check(h * w + o.behavior_columns == p && o.behavior_columns >= 1, ErrorKind::io,
          {.component = kComponent, .what = "image size and behavior_columns do not match n_features",
           .expected = std::to_string(p),
           .got = std::to_string(h) + "×" + std::to_string(w) + " + " + std::to_string(o.behavior_columns)});
    auto net = detail::torch_guard(kComponent, [&] {
      return std::make_shared<JointModule>(o, h, w, o.behavior_columns, q);
    });
    detail::load_module_tensors(*net, st, kComponent);
    m.options = o;
    m.net = net;
    m.p = p;
    m.q = q;
    m.h = h;
    m.w = w;
    m.pb = o.behavior_columns;
    if (auto it = st.arrays.find("cv_r2"); it != st.arrays.end()) m.cv_r2 = it->second.row(0).transpose();
    m.loaded_summary = st.params.value("summary", nlohmann::json::object());
    m.loaded_summary["model"] = name();
  });
}

}  // namespace neurodl::nets
