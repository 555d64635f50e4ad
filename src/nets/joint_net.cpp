// Joint stimulus + behaviour network (joint_net.hpp): image-net's convolutional core and
// factorised readout for the stimulus, a shared MLP for behaviour that adds to each neuron's
// drive and scales its rate, and drop-one models on the same folds for each input's unique
// contribution.
//
// Cost: 3·K + 1 trainings (full, without stimulus, without behaviour on K folds, then the full
// model on all rows) of O(epochs · T · FLOPs/sample) each.

#include "neurodl/nets/joint_net.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "neurodl/core/error.hpp"
#include "neurodl/core/random.hpp"
#include "neurodl/eval/metrics.hpp"
#include "neurodl/nets/image_net.hpp"
#include "neurodl/nets/train.hpp"
#include "module_state.hpp"
#include "image_core.hpp"
#include "image_model.hpp"
#include "torch_guard.hpp"

namespace neurodl::nets {
namespace {

constexpr const char* kComponent = "nets.joint";
constexpr double kMaxLogGain = 10.0;  // |g·e| is clamped: a gain of e^10 is already absurd

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
  };
  detail::append_image_core_specs(s, o);
  const std::vector<OptionSpec> behavior = {
      {.name = "behavior_hidden", .help = "hidden units of the joint model's behaviour MLP", .target = &o.behavior_hidden, .min = 1, .max = 1e6},
      {.name = "behavior_latents", .help = "behavioural latents shared by all neurons (additive drive and gain)", .target = &o.behavior_latents, .min = 1, .max = 1e4},
  };
  s.insert(s.end(), behavior.begin(), behavior.end());
  detail::append_image_training_specs(s, o);
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

struct JointNet::Impl : detail::ImageModel<JointNet::Impl, JointNetOptions, JointModule> {
  static constexpr detail::ImageModelNames kNames = {
      .component = kComponent,
      .model = "joint",
      .x_width = "X has the wrong number of columns (image pixels + behaviour)",
      .x_unit = ""};
  std::int64_t pb = 0;                      // behaviour columns (the last ones of X)
  std::array<VectorD, 2> r2_without;        // per input of kInputs: CV R² without it
  std::array<double, 2> unique_sem = {0, 0};

  void prepare_fit(const MatrixF& x, const MatrixF& y) {
    detail::check_xy(x, y, options.loss, kComponent, "samples");
    std::tie(h, w) = stimulus_size(options, x.cols());
    pb = options.behavior_columns;
    (void)joint_net_cost(options, h, w, pb, y.cols());
  }

  // Pixels scaled by one mean and sd (as image-net), behaviour and (MSE) Y per column.
  std::shared_ptr<JointModule> new_net(const MatrixF& x, const MatrixF& y,
                                       const std::vector<std::int64_t>& rows) const {
    auto fresh = std::make_shared<JointModule>(options, h, w, pb, y.cols());
    const auto [x_mean, x_sd] = detail::pixel_mean_sd(x, rows, h * w);
    const auto [b_mean, b_sd] = detail::column_mean_sd(x, rows, h * w, pb);
    const auto [y_mean, y_sd] = detail::column_mean_sd(y, rows, 0, y.cols());
    const bool poisson = options.loss == "poisson";
    fresh->set_scaling(x_mean, x_sd, detail::float_tensor(b_mean), detail::float_tensor(b_sd),
                       detail::float_tensor(y_mean),
                       poisson ? torch::ones({y.cols()}) : detail::float_tensor(y_sd));
    return fresh;
  }

  void cross_validate(const WindowedData& data, const torch::Device& dev, const MatrixF& x, const MatrixF& y,
                      const std::vector<eval::Fold>& folds) {
    // Variant 0 is the full model; variant 1 + i has input i (kInputs) replaced by a row-
    // permuted copy (Musall et al. 2019 shuffle each variable's regressors): the same network,
    // parameter count and input statistics, only the information is gone. Removing the path
    // instead would also change the optimisation (on a planted problem without any
    // behavioural effect, dropping the behaviour path cost 0.12 R², all of it spurious). Fold f
    // uses the same seed (initialisation and batch order) in every variant (out_of_fold).
    const std::array<const char*, 3> variants = {"full", "stimulus shuffled", "behavior shuffled"};
    const std::array<const char*, 3> tags = {"full", "stimulus_shuffled", "behavior_shuffled"};
    std::array<MatrixF, 3> oof;
    std::array<std::vector<double>, 3> fold_r2;
    for (std::size_t v = 0; v < variants.size(); ++v) {
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
      oof[v] = out_of_fold(v > 0 ? shuffled : data, v > 0 ? xv : x, y, folds, variants[v], tags[v],
                           &fold_r2[v]);
    }
    cv_r2 = eval::r2_score(y, oof[0]);
    cv_corr = eval::pearson_r(y, oof[0]);
    const auto k = static_cast<std::int64_t>(folds.size());
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
  }

  void add_summary(nlohmann::json& s) const {
    s["behavior_columns"] = pb;
    nlohmann::json unique = nlohmann::json::object();
    for (std::size_t i = 0; i < kInputs.size(); ++i) {
      const VectorD d = cv_r2 - r2_without[i];
      unique[kInputs[i]] = {{"mean", d.mean()}, {"per_target", detail::json_array(d)}, {"sem", unique_sem[i]},
                            {"cv_r2_without", detail::json_array(r2_without[i])},
                            {"cv_r2_without_mean", r2_without[i].mean()}};
    }
    s["unique_r2"] = unique;
  }

  void add_state(ModelState& st) const {
    MatrixD unique(2, q);
    for (std::size_t i = 0; i < kInputs.size(); ++i)
      unique.row(static_cast<Eigen::Index>(i)) = (cv_r2 - r2_without[i]).transpose();
    st.arrays["unique_r2"] = unique;
  }

  std::shared_ptr<JointModule> loaded_net(const JointNetOptions& o, std::int64_t p_x, std::int64_t q_y,
                                          std::int64_t height, std::int64_t width) const {
    check(height * width + o.behavior_columns == p_x && o.behavior_columns >= 1, ErrorKind::io,
          {.component = kComponent, .what = "image size and behavior_columns do not match n_features",
           .expected = std::to_string(p_x),
           .got = std::to_string(height) + "×" + std::to_string(width) + " + " + std::to_string(o.behavior_columns)});
    return detail::torch_guard(kComponent, [&] {
      return std::make_shared<JointModule>(o, height, width, o.behavior_columns, q_y);
    });
  }

  void load_results(const ModelState&) { pb = options.behavior_columns; }
};

JointNet::JointNet(JointNetOptions o) : impl_(std::make_unique<Impl>()) { impl_->options = std::move(o); }
JointNet::~JointNet() = default;
JointNet::JointNet(JointNet&&) noexcept = default;
JointNet& JointNet::operator=(JointNet&&) noexcept = default;

std::vector<OptionSpec> JointNet::option_specs() { return nets::option_specs(impl_->options); }
void JointNet::fit(const MatrixF& x, const MatrixF& y) { impl_->fit(x, y); }
MatrixF JointNet::predict(const MatrixF& x) const { return impl_->predict(x); }
nlohmann::json JointNet::summary() const { return impl_->summary(); }
ModelState JointNet::state() const { return impl_->state(); }
void JointNet::load_state(const ModelState& st) { impl_->load_state(st); }
ComputeCost JointNet::cost() const { return impl_->cost(); }
JointNetOptions& JointNet::options() { return impl_->options; }
const JointNetOptions& JointNet::options() const { return impl_->options; }

}  // namespace neurodl::nets
