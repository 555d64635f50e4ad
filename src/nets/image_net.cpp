// Image → neurons (image_net.hpp): a convolutional core and a factorised "what × where" readout
// (Klindt et al. 2017, NeurIPS), cross-validated over presentations and trained by the one
// training engine (train.hpp); the state is plain float64 arrays.
//
// Cost: K + 1 trainings of O(epochs · T · FLOPs/image) each (about 3× the forward FLOPs per
// image per step), for K folds.

#include "neurodl/nets/image_net.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>

#include "neurodl/core/error.hpp"
#include "neurodl/core/random.hpp"
#include "neurodl/eval/metrics.hpp"
#include "neurodl/nets/architectures.hpp"
#include "neurodl/nets/train.hpp"
#include "module_state.hpp"
#include "image_core.hpp"
#include "torch_guard.hpp"

namespace neurodl::nets {
namespace {

constexpr const char* kComponent = "nets.image-net";

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::vector<std::int64_t> all_rows(std::int64_t n) {
  std::vector<std::int64_t> r(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) r[static_cast<std::size_t>(i)] = i;
  return r;
}

void check_architecture(const ImageNetOptions& o, std::int64_t h, std::int64_t w, std::int64_t q) {
  auto bad = [](const std::string& what, const std::string& expected, const std::string& got, const std::string& field) {
    raise(ErrorKind::config, {.component = kComponent, .what = what, .expected = expected, .got = got, .field = field});
  };
  if (o.layers < 1) bad("core needs at least one layer", ">= 1", std::to_string(o.layers), "layers");
  if (o.channels < 1) bad("channels out of range", ">= 1", std::to_string(o.channels), "channels");
  if (o.kernel < 1) bad("kernel out of range", ">= 1", std::to_string(o.kernel), "kernel");
  if (o.hidden_kernel < 1) bad("hidden_kernel out of range", ">= 1", std::to_string(o.hidden_kernel), "hidden_kernel");
  check(q >= 1, ErrorKind::shape, {.component = kComponent, .what = "Y needs at least one column", .got = std::to_string(q)});
  const std::int64_t rf = h - detail::core_side(o, h) + 1;  // receptive field of one core output [px]
  if (detail::core_side(o, h) < 1 || detail::core_side(o, w) < 1)
    bad("images smaller than the core's receptive field", ">= " + std::to_string(rf) + " px per side",
        std::to_string(h) + "×" + std::to_string(w), "kernel");
}

// The network. Parameters: conv<l>.weight/bias, mask (q × h'w'), features (q × C), bias (q);
// buffers: x_stats (2: pixel mean and sd), y_mean, y_scale (q).
class ImageModule : public Net {
 public:
  ImageModule(const ImageNetOptions& o, std::int64_t h, std::int64_t w, std::int64_t q)
      : o_(o), h_(h), w_(w), q_(q) {
    check_architecture(o, h, w, q);
    core_ = detail::ImageCore(*this, o, h, w, q);
    bias_ = register_parameter("bias", torch::zeros({q}));
    x_stats_ = register_buffer("x_stats", torch::tensor({0.0f, 1.0f}));
    y_mean_ = register_buffer("y_mean", torch::zeros({q}));
    y_scale_ = register_buffer("y_scale", torch::ones({q}));
  }

  void set_scaling(double x_mean, double x_sd, const torch::Tensor& y_mean, const torch::Tensor& y_scale) {
    torch::NoGradGuard no_grad;
    x_stats_.copy_(torch::tensor({static_cast<float>(x_mean), static_cast<float>(x_sd)}));
    y_mean_.copy_(y_mean.reshape({q_}));
    y_scale_.copy_(y_scale.reshape({q_}));
    if (positive()) {
      // Every rate starts at its neuron's mean count: bias = softplus⁻¹(mean) = log(e^mean − 1).
      auto m = y_mean.reshape({q_}).clamp_min(1e-4);
      bias_.copy_(m + torch::log(-torch::expm1(-m)));
    }
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    auto a = core_.drive((x - x_stats_[0]) / x_stats_[1]) + bias_;  // B × q
    if (positive()) return torch::nn::functional::softplus(a);
    return y_mean_ + y_scale_ * a;
  }

  ComputeCost cost() const override { return image_net_cost(o_, h_, w_, q_); }

  // L1 on masks and feature weights, per neuron (the loss is a mean over neurons too).
  torch::Tensor penalty() override { return core_.penalty(o_.mask_l1, o_.feature_l1); }

 private:
  bool positive() const { return o_.loss == "poisson"; }
  ImageNetOptions o_;
  std::int64_t h_, w_, q_;
  detail::ImageCore core_;
  torch::Tensor bias_, x_stats_, y_mean_, y_scale_;
};

}  // namespace

std::vector<OptionSpec> option_specs(ImageNetOptions& o) {
  std::vector<OptionSpec> s = {
      {.name = "image_height", .help = "image height (0: square images, h = w = √p)", .unit = "px", .target = &o.image_height, .min = 0, .max = 1e6},
      {.name = "image_width", .help = "image width (0: p / image_height, or √p)", .unit = "px", .target = &o.image_width, .min = 0, .max = 1e6},
      {.name = "layers", .help = "convolutional layers of the core", .target = &o.layers, .min = 1, .max = 16},
      {.name = "channels", .help = "channels of every core layer", .target = &o.channels, .min = 1, .max = 4096},
      {.name = "kernel", .help = "kernel side of the first core layer (valid convolution)", .unit = "px", .target = &o.kernel, .min = 1, .max = 1024},
      {.name = "hidden_kernel", .help = "kernel side of the later core layers", .unit = "px", .target = &o.hidden_kernel, .min = 1, .max = 1024},
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

std::shared_ptr<Net> make_image_module(const ImageNetOptions& o, std::int64_t h, std::int64_t w, std::int64_t q) {
  return detail::torch_guard(kComponent, [&] { return std::make_shared<ImageModule>(o, h, w, q); });
}

std::pair<std::int64_t, std::int64_t> image_size(const ImageNetOptions& o, std::int64_t p) {
  std::int64_t h = o.image_height, w = o.image_width;
  if (h == 0 && w == 0) {
    h = w = static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(p))));
    check(h * w == p, ErrorKind::shape,
          {.component = kComponent, .what = "X columns are not a square image; give image_height/image_width",
           .expected = "a square number of pixels", .got = std::to_string(p), .unit = "px", .field = "X"});
    return {h, w};
  }
  if (h == 0) h = w > 0 && p % w == 0 ? p / w : 0;
  if (w == 0) w = h > 0 && p % h == 0 ? p / h : 0;
  check(h >= 1 && w >= 1 && h * w == p, ErrorKind::shape,
        {.component = kComponent, .what = "image_height × image_width differs from the columns of X",
         .expected = std::to_string(p), .got = std::to_string(o.image_height) + "×" + std::to_string(o.image_width),
         .unit = "px", .field = "image_height/image_width"});
  return {h, w};
}

ComputeCost image_net_cost(const ImageNetOptions& o, std::int64_t h, std::int64_t w, std::int64_t q) {
  check_architecture(o, h, w, q);
  ComputeCost c;
  c.layers.push_back(elementwise_cost("scale_x", 2 * h * w));  // (x − μ)/σ per pixel
  std::int64_t c_in = 1, hi = h, wi = w;
  for (std::int64_t l = 0; l < o.layers; ++l) {
    const std::int64_t k = detail::kernel_of(o, l);
    c.layers.push_back(conv2d_cost("conv" + std::to_string(l + 1), c_in, o.channels, k, k, hi, wi));
    hi -= k - 1;
    wi -= k - 1;
    c.layers.push_back(elementwise_cost("elu", o.channels * hi * wi));
    c_in = o.channels;
  }
  // Readout: q·C spatial sums of S products (S − 1 adds each, no bias), then per neuron C
  // products summed with the bias (a Linear per neuron).
  const std::int64_t s = hi * wi, ch = o.channels;
  c.layers.push_back({"readout.mask (" + std::to_string(q) + "×" + std::to_string(hi) + "×" + std::to_string(wi) + ")",
                      q * s, q * ch * s, q * ch * (2 * s - 1)});
  c.layers.push_back({"readout.features (" + std::to_string(q) + "×" + std::to_string(ch) + " + bias)", q * ch + q,
                      q * ch, 2 * q * ch});
  c.layers.push_back(o.loss == "poisson" ? elementwise_cost("softplus", q) : elementwise_cost("unscale_y", 2 * q));
  return c;
}

struct ImageNet::Impl {
  ImageNetOptions options;
  std::shared_ptr<ImageModule> net;  // the fitted network (on the CPU)
  VectorD cv_r2, cv_corr, noise_ceiling, feve;
  std::int64_t repeated_stimuli = 0, repeated_rows = 0;
  std::int64_t n_samples = 0, p = 0, q = 0, h = 0, w = 0, epochs_run = 0, best_epoch = 0;
  double fit_seconds = 0, train_seconds = 0, inference_seconds = 0;
  std::string device = "cpu";
  nlohmann::json loaded_summary;

  void check_inputs(const MatrixF& x, const MatrixF& y) const {
    detail::check_xy(x, y, options.loss, kComponent, "presentations");
  }

  TrainOptions train_options(std::uint64_t seed, const std::string& label, const std::string& ckpt) const {
    return detail::engine_options(options, seed, label, "image-net", ckpt);
  }

  // Trains a fresh network on `rows` (its last val_fraction held out for early stopping); the
  // scaling statistics come from the training rows only.
  std::pair<std::shared_ptr<ImageModule>, TrainResult> train_one(const WindowedData& data, const MatrixF& x,
                                                                  const MatrixF& y, const std::vector<std::int64_t>& rows,
                                                                  std::uint64_t seed, const std::string& label,
                                                                  const std::string& ckpt) const {
    seed_torch(seed, options.deterministic);
    auto net = std::make_shared<ImageModule>(options, h, w, y.cols());
    const auto n = static_cast<double>(rows.size());
    double xs = 0, xss = 0;
    VectorD ym = VectorD::Zero(y.cols()), yv = VectorD::Zero(y.cols());
    for (auto r : rows) {
      const auto xr = x.row(r).cast<double>();
      xs += xr.sum();
      xss += xr.squaredNorm();
      ym += y.row(r).transpose().cast<double>();
    }
    const double npx = n * static_cast<double>(x.cols());
    const double xm = xs / npx, xvar = xss / npx - xm * xm;
    ym /= n;
    for (auto r : rows) yv += (y.row(r).transpose().cast<double>() - ym).array().square().matrix();
    VectorD ysd = yv;
    for (auto& e : ysd) e = e > 0 ? std::sqrt(e / n) : 1.0;  // a constant neuron keeps scale 1
    auto t = [](const VectorD& v) {
      return torch::from_blob(const_cast<double*>(v.data()), {v.size()}, torch::kFloat64).to(torch::kFloat32);
    };
    const bool poisson = options.loss == "poisson";
    net->set_scaling(xm, xvar > 0 ? std::sqrt(xvar) : 1.0, t(ym), poisson ? torch::ones({y.cols()}) : t(ysd));
    const auto n_val = static_cast<std::size_t>(std::floor(options.val_fraction * n));
    std::vector<std::int64_t> fit_rows(rows.begin(), rows.end() - static_cast<std::ptrdiff_t>(n_val));
    std::vector<std::int64_t> val_rows(rows.end() - static_cast<std::ptrdiff_t>(n_val), rows.end());
    if (fit_rows.empty()) fit_rows = rows, val_rows.clear();
    auto result = train(*net, data, fit_rows, val_rows, train_options(seed, label, ckpt));
    net->to(torch::kCPU);
    return {net, result};
  }

  // Noise ceiling and FEVE from repeated presentations: rows of X with identical pixels are
  // presentations of the same image (what the stimulus ids of a recording encode); images shown
  // at least twice enter (eval::fraction_explainable_variance, eval::feve with one out-of-fold
  // prediction per presentation; Cadena et al. 2019). Undefined (NaN) without repeats.
  void repeated_metrics(const MatrixF& x, const MatrixF& y, const MatrixF& oof) {
    std::map<std::string, std::int64_t> id_of;
    std::vector<std::int64_t> ids(static_cast<std::size_t>(x.rows()));
    std::map<std::int64_t, std::int64_t> count;
    for (Eigen::Index r = 0; r < x.rows(); ++r) {
      const std::string key(reinterpret_cast<const char*>(x.row(r).data()), sizeof(float) * static_cast<std::size_t>(x.cols()));
      const auto [it, added] = id_of.emplace(key, static_cast<std::int64_t>(id_of.size()));
      ids[static_cast<std::size_t>(r)] = it->second;
      ++count[it->second];
    }
    std::vector<Eigen::Index> rows;
    std::vector<std::int64_t> kept;
    for (Eigen::Index r = 0; r < x.rows(); ++r)
      if (count[ids[static_cast<std::size_t>(r)]] >= 2) rows.push_back(r), kept.push_back(ids[static_cast<std::size_t>(r)]);
    repeated_rows = static_cast<std::int64_t>(rows.size());
    repeated_stimuli = 0;
    for (const auto& [id, n] : count) repeated_stimuli += n >= 2;
    noise_ceiling = feve = VectorD::Constant(y.cols(), std::numeric_limits<double>::quiet_NaN());
    if (rows.empty()) return;
    const MatrixF yr = y(rows, Eigen::all), pr = oof(rows, Eigen::all);
    const auto responses = eval::group_by_stimulus(yr, kept);
    noise_ceiling = eval::fraction_explainable_variance(responses);
    feve = eval::feve(responses, eval::group_by_stimulus(pr, kept));
  }

  void fit(const MatrixF& x, const MatrixF& y) {
    const auto t0 = Clock::now();
    check_inputs(x, y);
    std::tie(h, w) = image_size(options, x.cols());
    check_architecture(options, h, w, y.cols());
    const auto folds = eval::time_block_folds(x.rows(), options.split);
    detail::torch_guard(kComponent, [&] {
      const torch::Device dev = choose_device(options.device);
      device = dev.str();
      const WindowedData data(x, y, 0, 0, dev);
      const auto k = static_cast<std::int64_t>(folds.size());
      MatrixF oof(y.rows(), y.cols());
      for (std::int64_t f = 0; f < k; ++f) {
        const auto& fold = folds[static_cast<std::size_t>(f)];
        std::uint64_t s = options.seed ^ static_cast<std::uint64_t>(f + 1);
        auto [net_f, res] = train_one(data, x, y, fold.train, splitmix64(s),
                                      std::string(kComponent) + " fold " + std::to_string(f + 1) + "/" + std::to_string(k),
                                      "fold" + std::to_string(f));
        const MatrixF pred = to_matrix(predict_rows(*net_f, data, fold.test));
        for (std::size_t i = 0; i < fold.test.size(); ++i) oof.row(fold.test[i]) = pred.row(static_cast<Eigen::Index>(i));
      }
      cv_r2 = eval::r2_score(y, oof);
      // Single-trial correlation: each row is one presentation, so Pearson r over rows pools
      // every stimulus and repeat (the Sensorium single-trial correlation).
      cv_corr = eval::pearson_r(y, oof);
      repeated_metrics(x, y, oof);

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
          {.component = kComponent, .what = "X has the wrong number of columns", .expected = std::to_string(p),
           .got = std::to_string(x.cols()), .unit = "px", .field = "X"});
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
    s["model"] = "image-net";
    s["n_samples"] = n_samples;
    s["n_features"] = p;
    s["n_targets"] = q;
    s["image_height"] = h;
    s["image_width"] = w;
    s["cv_r2"] = vec(cv_r2);
    s["cv_r2_mean"] = cv_r2.mean();
    s["cv_corr"] = vec(cv_corr);
    const double corr_mean = eval::nan_mean(cv_corr);
    s["cv_corr_mean"] = std::isfinite(corr_mean) ? nlohmann::json(corr_mean) : nlohmann::json();
    auto mean_or_null = [](const VectorD& v) {
      const double m = v.size() ? eval::nan_mean(v) : std::numeric_limits<double>::quiet_NaN();
      return std::isfinite(m) ? nlohmann::json(m) : nlohmann::json();
    };
    s["repeated_stimuli"] = repeated_stimuli;
    s["repeated_presentations"] = repeated_rows;
    s["noise_ceiling"] = vec(noise_ceiling);
    s["noise_ceiling_mean"] = mean_or_null(noise_ceiling);
    s["feve"] = vec(feve);
    s["feve_mean"] = mean_or_null(feve);
    add_compute_summary(s, net->cost(),
                        {cv_r2.mean(), train_seconds, inference_seconds, device, options.device_power_w});
    s["epochs_run"] = epochs_run;
    s["best_epoch"] = best_epoch;
    s["fit_seconds"] = fit_seconds;
    return s;
  }
};

ImageNet::ImageNet(ImageNetOptions o) : impl_(std::make_unique<Impl>()) { impl_->options = std::move(o); }
ImageNet::~ImageNet() = default;
ImageNet::ImageNet(ImageNet&&) noexcept = default;
ImageNet& ImageNet::operator=(ImageNet&&) noexcept = default;

std::vector<OptionSpec> ImageNet::option_specs() { return nets::option_specs(impl_->options); }
void ImageNet::fit(const MatrixF& x, const MatrixF& y) { impl_->fit(x, y); }
MatrixF ImageNet::predict(const MatrixF& x) const { return impl_->predict(x); }
nlohmann::json ImageNet::summary() const { return impl_->summary(); }
ImageNetOptions& ImageNet::options() { return impl_->options; }
const ImageNetOptions& ImageNet::options() const { return impl_->options; }

ComputeCost ImageNet::cost() const {
  check(impl_->net != nullptr, ErrorKind::config, {.component = kComponent, .what = "model is not fitted"});
  return impl_->net->cost();
}

ModelState ImageNet::state() const {
  const auto& m = *impl_;
  check(m.net != nullptr, ErrorKind::config, {.component = kComponent, .what = "model is not fitted"});
  ModelState st;
  st.model = name();
  ImageNetOptions copy = m.options;
  st.params["options"] = option_values(nets::option_specs(copy));
  st.params["n_features"] = m.p;
  st.params["n_targets"] = m.q;
  st.params["image_height"] = m.h;
  st.params["image_width"] = m.w;
  st.params["summary"] = summary();
  detail::save_module_tensors(*m.net, st);
  st.arrays["cv_r2"] = m.cv_r2.transpose();
  st.arrays["cv_corr"] = m.cv_corr.transpose();
  return st;
}

void ImageNet::load_state(const ModelState& st) {
  auto& m = *impl_;
  check(st.model == name(), ErrorKind::io,
        {.component = kComponent, .what = "state is of another model", .expected = name(), .got = st.model});
  detail::load_guard(kComponent, [&] {
    ImageNetOptions o;
    apply_options(nets::option_specs(o), st.params.at("options"), kComponent);
    const std::int64_t p = st.params.at("n_features"), q = st.params.at("n_targets");
    const std::int64_t h = st.params.at("image_height"), w = st.params.at("image_width");
    check(h * w == p, ErrorKind::io,
          {.component = kComponent, .what = "image size does not match n_features", .expected = std::to_string(p),
           .got = std::to_string(h) + "×" + std::to_string(w)});
    auto net = detail::torch_guard(kComponent, [&] { return std::make_shared<ImageModule>(o, h, w, q); });
    detail::load_module_tensors(*net, st, kComponent);
    m.options = o;
    m.net = net;
    m.p = p;
    m.q = q;
    m.h = h;
    m.w = w;
    if (auto it = st.arrays.find("cv_r2"); it != st.arrays.end()) m.cv_r2 = it->second.row(0).transpose();
    if (auto it = st.arrays.find("cv_corr"); it != st.arrays.end()) m.cv_corr = it->second.row(0).transpose();
    m.loaded_summary = st.params.value("summary", nlohmann::json::object());
    m.loaded_summary["model"] = name();
  });
}

}  // namespace neurodl::nets
