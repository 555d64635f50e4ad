// Image → neurons (image_net.hpp): a convolutional core and a factorised "what × where" readout
// (Klindt et al. 2017, NeurIPS), cross-validated over presentations and trained by the one
// training engine (train.hpp); the state is plain float64 arrays.
//
// Cost: K + 1 trainings of O(epochs · T · FLOPs/image) each (about 3× the forward FLOPs per
// image per step), for K folds.

#include "neurodl/nets/image_net.hpp"

#include <cmath>
#include <limits>
#include <map>

#include "neurodl/core/error.hpp"
#include "neurodl/eval/metrics.hpp"
#include "neurodl/nets/architectures.hpp"
#include "neurodl/nets/train.hpp"
#include "module_state.hpp"
#include "image_core.hpp"
#include "image_model.hpp"
#include "torch_guard.hpp"

namespace neurodl::nets {
namespace {

constexpr const char* kComponent = "nets.image-net";

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
  std::vector<OptionSpec> s;
  detail::append_image_core_specs(s, o);
  detail::append_image_training_specs(s, o);
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

struct ImageNet::Impl : detail::ImageModel<ImageNet::Impl, ImageNetOptions, ImageModule> {
  static constexpr detail::ImageModelNames kNames = {.component = kComponent,
                                                      .model = "image-net",
                                                      .x_width = "X has the wrong number of columns",
                                                      .x_unit = "px"};
  VectorD noise_ceiling, feve;
  std::int64_t repeated_stimuli = 0, repeated_rows = 0;

  void prepare_fit(const MatrixF& x, const MatrixF& y) {
    detail::check_xy(x, y, options.loss, kComponent, "presentations");
    std::tie(h, w) = image_size(options, x.cols());
    check_architecture(options, h, w, y.cols());
  }

  // One scalar mean and sd over all pixels (image_net.hpp); Y scaled per neuron for the MSE loss.
  std::shared_ptr<ImageModule> new_net(const MatrixF& x, const MatrixF& y,
                                       const std::vector<std::int64_t>& rows) const {
    auto fresh = std::make_shared<ImageModule>(options, h, w, y.cols());
    const auto [x_mean, x_sd] = detail::pixel_mean_sd(x, rows, x.cols());
    const auto [y_mean, y_sd] = detail::column_mean_sd(y, rows, 0, y.cols());
    const bool poisson = options.loss == "poisson";
    fresh->set_scaling(x_mean, x_sd, detail::float_tensor(y_mean),
                       poisson ? torch::ones({y.cols()}) : detail::float_tensor(y_sd));
    return fresh;
  }

  void cross_validate(const WindowedData& data, const torch::Device&, const MatrixF& x, const MatrixF& y,
                      const std::vector<eval::Fold>& folds) {
    const MatrixF oof = out_of_fold(data, x, y, folds);
    cv_r2 = eval::r2_score(y, oof);
    // Single-trial correlation: each row is one presentation, so Pearson r over rows pools
    // every stimulus and repeat (the Sensorium single-trial correlation).
    cv_corr = eval::pearson_r(y, oof);
    repeated_metrics(x, y, oof);
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

  void add_summary(nlohmann::json& s) const {
    s["repeated_stimuli"] = repeated_stimuli;
    s["repeated_presentations"] = repeated_rows;
    s["noise_ceiling"] = detail::json_array(noise_ceiling);
    s["noise_ceiling_mean"] = detail::json_nan_mean(noise_ceiling);
    s["feve"] = detail::json_array(feve);
    s["feve_mean"] = detail::json_nan_mean(feve);
  }

  void add_state(ModelState& st) const { st.arrays["cv_corr"] = cv_corr.transpose(); }

  std::shared_ptr<ImageModule> loaded_net(const ImageNetOptions& o, std::int64_t p_x, std::int64_t q_y,
                                          std::int64_t height, std::int64_t width) const {
    check(height * width == p_x, ErrorKind::io,
          {.component = kComponent, .what = "image size does not match n_features", .expected = std::to_string(p_x),
           .got = std::to_string(height) + "×" + std::to_string(width)});
    return detail::torch_guard(kComponent,
                               [&] { return std::make_shared<ImageModule>(o, height, width, q_y); });
  }

  void load_results(const ModelState& st) {
    if (auto it = st.arrays.find("cv_corr"); it != st.arrays.end()) cv_corr = it->second.row(0).transpose();
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
ModelState ImageNet::state() const { return impl_->state(); }
void ImageNet::load_state(const ModelState& st) { impl_->load_state(st); }
ComputeCost ImageNet::cost() const { return impl_->cost(); }
ImageNetOptions& ImageNet::options() { return impl_->options; }
const ImageNetOptions& ImageNet::options() const { return impl_->options; }

}  // namespace neurodl::nets
