#pragma once
// Private: the convolutional core and factorised "what × where" readout (Klindt et al. 2017)
// shared by image-net (image_net.cpp) and joint (joint_net.cpp), so both build, initialise and
// count it the same way.

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "neurodl/nets/image_net.hpp"

namespace neurodl::nets::detail {

/// Kernel side of core layer l.
inline std::int64_t kernel_of(const ImageNetOptions& o, std::int64_t l) { return l == 0 ? o.kernel : o.hidden_kernel; }

/// Side of the core's output after valid convolutions over `side` pixels.
inline std::int64_t core_side(const ImageNetOptions& o, std::int64_t side) {
  for (std::int64_t l = 0; l < o.layers; ++l) side -= kernel_of(o, l) - 1;
  return side;
}

/// Conv layers conv1…convL (C channels, valid), a spatial mask per neuron (q × h'w') and feature
/// weights per neuron (q × C), registered on `owner` in that order (the order fixes which random
/// numbers each tensor gets from a seed).
class ImageCore {
 public:
  ImageCore() = default;
  ImageCore(torch::nn::Module& owner, const ImageNetOptions& o, std::int64_t h, std::int64_t w, std::int64_t q)
      : h_(h), w_(w), q_(q) {
    std::int64_t c_in = 1;
    for (std::int64_t l = 0; l < o.layers; ++l) {
      convs_.push_back(owner.register_module(
          "conv" + std::to_string(l + 1), torch::nn::Conv2d(torch::nn::Conv2dOptions(c_in, o.channels, kernel_of(o, l)))));
      c_in = o.channels;
    }
    const std::int64_t s = core_side(o, h) * core_side(o, w);
    // Scaled so that at initialisation Σ_c w_nc Σ_s m_ns F_cs has about the spread of one feature
    // value: masks ~ N(0, 1/S), feature weights ~ N(0, 1/C).
    mask_ = owner.register_parameter("mask", torch::randn({q, s}) / std::sqrt(static_cast<double>(s)));
    features_ = owner.register_parameter("features",
                                         torch::randn({q, o.channels}) / std::sqrt(static_cast<double>(o.channels)));
  }

  /// The drive Σ_c w_nc Σ_s m_ns F_cs (B × q, no bias) of scaled images x̃ (B × h·w).
  torch::Tensor drive(const torch::Tensor& x_scaled) {
    auto f = x_scaled.reshape({x_scaled.size(0), 1, h_, w_});
    for (auto& conv : convs_) f = torch::elu(conv->forward(f));
    f = f.flatten(2);                             // B × C × S
    auto where = torch::matmul(f, mask_.t());     // B × C × q: Σ_s m_ns F_cs
    return (where * features_.t()).sum(1);        // B × q: Σ_c w_nc (…)
  }

  /// L1 on masks and feature weights, per neuron (the loss is a mean over neurons too);
  /// undefined when both weights are 0.
  torch::Tensor penalty(double mask_l1, double feature_l1) const {
    if (mask_l1 == 0 && feature_l1 == 0) return {};
    return (mask_l1 * mask_.abs().sum() + feature_l1 * features_.abs().sum()) / static_cast<double>(q_);
  }

 private:
  std::int64_t h_ = 0, w_ = 0, q_ = 0;
  std::vector<torch::nn::Conv2d> convs_;
  torch::Tensor mask_, features_;
};

}  // namespace neurodl::nets::detail
