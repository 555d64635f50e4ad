#pragma once
// The torch modules behind the latent-bottleneck models (latent_net.hpp), exposed for tests
// (gradient checks, compute counts) and for building new models on the training engine.

#include <cstdint>
#include <memory>
#include <string>

#include <torch/torch.h>

#include "neurodl/nets/image_net.hpp"
#include "neurodl/nets/latent_net.hpp"
#include "neurodl/nets/train.hpp"

namespace neurodl::nets {

/// Sizes of a LatentModule.
struct LatentModuleShape {
  std::int64_t p = 0;        ///< input features (columns of X)
  std::int64_t q = 0;        ///< targets (columns of Y)
  std::int64_t k = 0;        ///< latents (≥ 1)
  std::int64_t hidden = 0;   ///< encoder MLP width; 0: linear encoder
  bool mlp_decoder = false;  ///< decoder k → hidden → q (ELU) instead of k → q
  bool positive = false;     ///< softplus output (Poisson rates)
  std::int64_t window = 1;   ///< input samples per prediction; 1: plain rows (bottleneck)
  std::int64_t now = 0;      ///< index of the predicted sample inside the window
  std::int64_t channels = 0; ///< temporal-convolution channels (window > 1)
  std::int64_t kernel = 0;   ///< temporal-convolution kernel (window > 1)
};

/// Encoder → k latents → decoder, with fixed standardisation buffers:
///   x̃ = (x − x_mean)/x_scale,
///   trunk: x̃ (bottleneck) or ELU(conv2(ELU(conv1(x̃)))) flattened (behaviour windows),
///   z = head(trunk) + S·x̃_now   (head = Linear→ELU→Linear, or one Linear when hidden = 0, in
///                                which case the bottleneck has no separate skip S),
///   ŷ = y_mean + y_scale ⊙ decoder(z), or softplus(decoder(z)) for positive outputs.
/// The linear skip means the network contains the rank-k linear model, so it can match reduced-
/// rank regression where the mapping is linear and improve on it where it is not.
class LatentModule : public Net {
 public:
  /// Throws ConfigError for k < 1 or a window shorter than 2·kernel − 1.
  explicit LatentModule(const LatentModuleShape& shape);
  /// x: B × p (window 1) or B × p × W. Returns B × q.
  torch::Tensor forward(const torch::Tensor& x) override;
  /// The latents z (B × k) of inputs x.
  torch::Tensor encode(const torch::Tensor& x);
  /// Ŷ (B × q) from latents z (B × k).
  torch::Tensor decode(const torch::Tensor& z);
  ComputeCost cost() const override;
  const LatentModuleShape& shape() const { return shape_; }
  /// Sets the standardisation buffers (1 × p and 1 × q tensors).
  void set_scaling(const torch::Tensor& x_mean, const torch::Tensor& x_scale, const torch::Tensor& y_mean,
                   const torch::Tensor& y_scale);

 private:
  LatentModuleShape shape_;
  torch::nn::Conv1d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::Linear head_in_{nullptr}, head_out_{nullptr}, skip_{nullptr};
  torch::nn::Linear dec_in_{nullptr}, dec_out_{nullptr};
  torch::Tensor x_mean_, x_scale_, y_mean_, y_scale_;
};

/// The module `architecture` uses for p inputs, q targets and k latents under `options`.
std::shared_ptr<LatentModule> make_latent_module(Architecture architecture, const LatentNetOptions& options,
                                                 std::int64_t p, std::int64_t q, std::int64_t k);

/// The image-net module (image_net.hpp) for h × w images and q neurons under `options`, with
/// its scaling buffers at their defaults (x_stats = {0, 1}, y_mean = 0, y_scale = 1) and bias 0;
/// for the bench and tests that train it directly. Parameters: conv<l>.weight/bias, mask
/// (q × h'w'), features (q × C), bias (q). Throws ConfigError for impossible sizes.
std::shared_ptr<Net> make_image_module(const ImageNetOptions& options, std::int64_t h, std::int64_t w,
                                       std::int64_t q);

}  // namespace neurodl::nets
