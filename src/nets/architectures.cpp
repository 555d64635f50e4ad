// The latent-bottleneck module (architectures.hpp) and its compute accounting.

#include "neurodl/nets/architectures.hpp"

#include "neurodl/core/error.hpp"

namespace neurodl::nets {
namespace {

// Features entering the head: p for plain rows; channels × L2 after two valid convolutions.
std::int64_t trunk_features(const LatentModuleShape& s) {
  if (s.window <= 1) return s.p;
  return s.channels * (s.window - 2 * (s.kernel - 1));
}

}  // namespace

LatentModule::LatentModule(const LatentModuleShape& s) : shape_(s) {
  check(s.k >= 1, ErrorKind::config,
        {.component = "nets.latent", .what = "number of latents k must be at least 1", .expected = ">= 1",
         .got = std::to_string(s.k), .field = "latents"});
  check(s.p >= 1 && s.q >= 1, ErrorKind::shape,
        {.component = "nets.latent", .what = "X and Y need at least one column",
         .got = std::to_string(s.p) + " and " + std::to_string(s.q)});
  if (s.window > 1) {
    check(s.kernel >= 1 && s.channels >= 1 && s.window >= 2 * s.kernel - 1, ErrorKind::config,
          {.component = "nets.behavior-net", .what = "window shorter than two convolutions need",
           .expected = ">= 2·kernel − 1 = " + std::to_string(2 * s.kernel - 1), .got = std::to_string(s.window),
           .unit = "samples", .field = "window"});
    conv1_ = register_module("conv1", torch::nn::Conv1d(torch::nn::Conv1dOptions(s.p, s.channels, s.kernel)));
    conv2_ = register_module("conv2", torch::nn::Conv1d(torch::nn::Conv1dOptions(s.channels, s.channels, s.kernel)));
  }
  const std::int64_t f = trunk_features(s);
  if (s.hidden > 0) {
    head_in_ = register_module("head_in", torch::nn::Linear(f, s.hidden));
    head_out_ = register_module("head_out", torch::nn::Linear(s.hidden, s.k));
    skip_ = register_module("skip", torch::nn::Linear(torch::nn::LinearOptions(s.p, s.k).bias(false)));
  } else {
    head_out_ = register_module("head_out", torch::nn::Linear(f, s.k));
    if (s.window > 1)
      skip_ = register_module("skip", torch::nn::Linear(torch::nn::LinearOptions(s.p, s.k).bias(false)));
  }
  if (s.mlp_decoder) {
    dec_in_ = register_module("dec_in", torch::nn::Linear(s.k, std::max<std::int64_t>(s.hidden, s.k)));
    dec_out_ = register_module("dec_out", torch::nn::Linear(std::max<std::int64_t>(s.hidden, s.k), s.q));
  } else {
    dec_out_ = register_module("dec_out", torch::nn::Linear(s.k, s.q));
  }
  x_mean_ = register_buffer("x_mean", torch::zeros({1, s.p}));
  x_scale_ = register_buffer("x_scale", torch::ones({1, s.p}));
  y_mean_ = register_buffer("y_mean", torch::zeros({1, s.q}));
  y_scale_ = register_buffer("y_scale", torch::ones({1, s.q}));
}

void LatentModule::set_scaling(const torch::Tensor& x_mean, const torch::Tensor& x_scale,
                               const torch::Tensor& y_mean, const torch::Tensor& y_scale) {
  torch::NoGradGuard no_grad;
  x_mean_.copy_(x_mean.reshape({1, shape_.p}));
  x_scale_.copy_(x_scale.reshape({1, shape_.p}));
  y_mean_.copy_(y_mean.reshape({1, shape_.q}));
  y_scale_.copy_(y_scale.reshape({1, shape_.q}));
  if (shape_.positive) {
    // Start every rate at the target's mean count: bias = softplus⁻¹(mean) = log(e^mean − 1).
    auto m = y_mean.reshape({shape_.q}).clamp_min(1e-4);
    dec_out_->bias.copy_(m + torch::log(-torch::expm1(-m)));
  }
}

torch::Tensor LatentModule::encode(const torch::Tensor& x) {
  if (shape_.window <= 1) {
    auto xs = (x - x_mean_) / x_scale_;
    if (shape_.hidden == 0) return head_out_->forward(xs);
    return head_out_->forward(torch::elu(head_in_->forward(xs))) + skip_->forward(xs);
  }
  // x: B × p × W; the scaling buffers broadcast over the window as p × 1.
  auto xs = (x - x_mean_.unsqueeze(2)) / x_scale_.unsqueeze(2);
  auto h = torch::elu(conv2_->forward(torch::elu(conv1_->forward(xs)))).flatten(1);
  auto z = shape_.hidden > 0 ? head_out_->forward(torch::elu(head_in_->forward(h))) : head_out_->forward(h);
  return z + skip_->forward(xs.select(2, shape_.now));
}

torch::Tensor LatentModule::decode(const torch::Tensor& z) {
  auto out = shape_.mlp_decoder ? dec_out_->forward(torch::elu(dec_in_->forward(z))) : dec_out_->forward(z);
  if (shape_.positive) return torch::nn::functional::softplus(out);
  return y_mean_ + y_scale_ * out;
}

torch::Tensor LatentModule::forward(const torch::Tensor& x) { return decode(encode(x)); }

ComputeCost LatentModule::cost() const {
  const auto& s = shape_;
  ComputeCost c;
  // Standardisation: a subtraction and a division per input value.
  c.layers.push_back(elementwise_cost("scale_x", 2 * s.p * s.window));
  if (s.window > 1) {
    const std::int64_t l1 = s.window - s.kernel + 1, l2 = l1 - s.kernel + 1;
    c.layers.push_back(conv1d_cost("conv1", s.p, s.channels, s.kernel, s.window));
    c.layers.push_back(elementwise_cost("elu", s.channels * l1));
    c.layers.push_back(conv1d_cost("conv2", s.channels, s.channels, s.kernel, l1));
    c.layers.push_back(elementwise_cost("elu", s.channels * l2));
  }
  const std::int64_t f = trunk_features(s);
  if (s.hidden > 0) {
    c.layers.push_back(linear_cost("head_in", f, s.hidden));
    c.layers.push_back(elementwise_cost("elu", s.hidden));
    c.layers.push_back(linear_cost("head_out", s.hidden, s.k));
  } else {
    c.layers.push_back(linear_cost("head_out", f, s.k));
  }
  if (skip_) {
    c.layers.push_back(linear_cost("skip", s.p, s.k, false));
    c.layers.push_back(elementwise_cost("skip_add", s.k));
  }
  if (s.mlp_decoder) {
    const std::int64_t h = std::max<std::int64_t>(s.hidden, s.k);
    c.layers.push_back(linear_cost("dec_in", s.k, h));
    c.layers.push_back(elementwise_cost("elu", h));
    c.layers.push_back(linear_cost("dec_out", h, s.q));
  } else {
    c.layers.push_back(linear_cost("dec_out", s.k, s.q));
  }
  // Output: softplus (1 FLOP per target) or the affine unscaling (2 per target).
  c.layers.push_back(s.positive ? elementwise_cost("softplus", s.q) : elementwise_cost("unscale_y", 2 * s.q));
  return c;
}

std::shared_ptr<LatentModule> make_latent_module(Architecture a, const LatentNetOptions& o, std::int64_t p,
                                                 std::int64_t q, std::int64_t k) {
  LatentModuleShape s;
  s.p = p;
  s.q = q;
  s.k = k;
  s.hidden = o.hidden;
  s.mlp_decoder = o.decoder == "mlp";
  s.positive = o.loss == "poisson";
  if (a == Architecture::behavior_net) {
    s.window = o.window;
    s.now = o.causal ? o.window - 1 : o.window / 2;
    s.channels = o.channels;
    s.kernel = o.kernel;
  }
  return std::make_shared<LatentModule>(s);
}

}  // namespace neurodl::nets
