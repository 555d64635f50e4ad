#pragma once
// Image → neurons: a convolutional core shared by all neurons and a factorised per-neuron readout
// (Klindt, Ecker, Euler & Bethge 2017, "Neural system identification for large populations
// separating 'what' and 'where'", NeurIPS). Each row of X is one presentation of an image
// (h·w pixels, row-major, row = y); each row of Y the responses of q neurons to it.
//
//   x̃ = (x − μ)/σ            (one scalar μ, σ over the training pixels: keeps translation
//                              equivariance, which a per-pixel scaling would break)
//   F = ELU(conv_L(… ELU(conv_1(x̃))))    C channels, valid convolutions, h'×w' positions
//   a_n = Σ_c w_nc Σ_s m_ns F_cs + b_n     spatial mask m_n (h'·w') times feature weights w_n (C)
//   ŷ_n = softplus(a_n)  (Poisson loss, default)  or  ȳ_n + s_n·a_n  (MSE)
//   training loss + λ_m·mean_n ‖m_n‖₁ + λ_w·mean_n ‖w_n‖₁   (sparse masks and features, as Klindt)
//
// Torch-free header, so front ends include it cheaply.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "neurodl/core/matrix.hpp"
#include "neurodl/core/model.hpp"
#include "neurodl/core/options.hpp"
#include "neurodl/eval/splits.hpp"
#include "neurodl/nets/compute.hpp"

namespace neurodl::nets {

/// Options of `neurodl fit --model image-net`. The names are the CLI flags and JSON keys.
struct ImageNetOptions {
  /// Image height [px]; 0 (default): h = w = √p (X must then have a square number of columns).
  std::int64_t image_height = 0;
  /// Image width [px]; 0 (default): p / image_height, or √p when both are 0.
  std::int64_t image_width = 0;
  /// Convolutional layers of the core (≥ 1); default 2.
  std::int64_t layers = 2;
  /// Channels of every core layer; default 8.
  std::int64_t channels = 8;
  /// Kernel side of the first layer [px] (valid convolution); default 5.
  std::int64_t kernel = 5;
  /// Kernel side of the later layers [px]; default 3.
  std::int64_t hidden_kernel = 3;
  /// Maximum training epochs per fit; default 200 (early stopping usually ends sooner).
  std::int64_t epochs = 200;
  /// Mini-batch size [presentations]; default 16 (image sets hold hundreds of presentations).
  std::int64_t batch = 16;
  /// AdamW learning rate; default 3e-3.
  double lr = 3e-3;
  /// AdamW decoupled weight decay (keeps the masks small where the data do not constrain them);
  /// default 1e-3.
  double weight_decay = 1e-3;
  /// L1 penalty on the spatial masks, λ_m · mean_n Σ_s |m_ns|, added to the training loss
  /// (Klindt et al. 2017: each neuron looks at a small patch); default 0.1.
  double mask_l1 = 0.1;
  /// L1 penalty on the feature weights, λ_w · mean_n Σ_c |w_nc|; default 0.01.
  double feature_l1 = 0.01;
  /// "poisson" (default; Y are counts ≥ 0, softplus rates) or "mse" (Y centred and scaled per
  /// neuron, affine output).
  std::string loss = "poisson";
  /// Early-stopping patience on the validation loss [epochs]; default 20.
  std::int64_t patience = 20;
  /// Fraction of each training set (its last rows) held out for early stopping; default 0.1.
  double val_fraction = 0.1;
  /// Block cross-validation over rows (= presentations) (--folds, --blocks, --gap); default 5
  /// folds.
  eval::SplitOptions split;
  /// Seed of weight initialisation and mini-batch order; default 0.
  std::uint64_t seed = 0;
  /// One torch thread and deterministic algorithms (bit-identical reruns); default false.
  bool deterministic = false;
  /// "auto" (default: CUDA when available), "cpu" or "cuda".
  std::string device = "auto";
  /// Average power of the training device [W] for the energy estimate; default 15 W.
  double device_power_w = 15.0;
  /// Folder for resumable checkpoints (one file per fold plus the final fit); empty: none.
  std::string checkpoint_dir;
};

/// The option table: image_height, image_width, layers, channels, kernel, hidden_kernel, epochs,
/// batch, lr, weight_decay, mask_l1, feature_l1, loss, patience, val_fraction, folds, blocks, gap, seed,
/// deterministic, device, device_power_w, checkpoint_dir.
std::vector<OptionSpec> option_specs(ImageNetOptions& o);

/// A convolutional core with a factorised readout trained by neurodl::nets::train (registry
/// name "image-net").
///
/// fit() throws ShapeError (row counts differ, empty inputs, image size not matching p,
/// fewer than 2·folds rows), ConfigError (NaN/Inf in X or Y, negative Y with the Poisson loss,
/// images smaller than the core's receptive field, bad options).
///
/// Summary keys: model, n_samples, n_features, n_targets, image_height, image_width, cv_r2 (per
/// neuron, out-of-fold), cv_r2_mean, cv_corr (per neuron: Pearson r between single-trial
/// responses and out-of-fold predictions, pooled over presentations; NaN for a silent neuron),
/// cv_corr_mean (mean over the defined ones), repeated_stimuli (images shown at least twice: rows
/// of X with identical pixels), repeated_presentations, noise_ceiling (per neuron: the fraction
/// of explainable variance of the repeated presentations, eval::fraction_explainable_variance),
/// noise_ceiling_mean, feve (per neuron: out-of-fold FEVE, eval::feve; cv_r2 ≈ feve ·
/// noise_ceiling), feve_mean (null without repeats), params, macs_per_sample, flops_per_sample,
/// compute (per layer), train_seconds (final fit), inference_seconds, device, device_power_w,
/// energy_j, r2_per_mflop, r2_per_param, epochs_run, best_epoch, fit_seconds.
///
/// State arrays: "param.<name>" and "buffer.<name>" (float64, flattened to size(0) × rest,
/// shapes in params.shapes), "cv_r2" and "cv_corr" (1 × q). Params: options, n_features,
/// n_targets, image_height, image_width, shapes, summary.
class ImageNet : public Model {
 public:
  explicit ImageNet(ImageNetOptions options = {});
  ~ImageNet() override;
  ImageNet(ImageNet&&) noexcept;
  ImageNet& operator=(ImageNet&&) noexcept;

  std::string name() const override { return "image-net"; }
  std::vector<OptionSpec> option_specs() override;
  /// Fits on X (T × h·w images) and Y (T × q responses): block CV over rows, then a final fit on
  /// all rows. Throws as described in the class comment.
  void fit(const MatrixF& x, const MatrixF& y) override;
  /// Ŷ (T' × q) from images X (T' × h·w); ShapeError when p differs, ConfigError before fit or
  /// for NaN/Inf.
  MatrixF predict(const MatrixF& x) const override;
  nlohmann::json summary() const override;
  ModelState state() const override;
  void load_state(const ModelState& state) override;
  /// Per-layer parameters, MACs and FLOPs per image of the fitted network.
  ComputeCost cost() const;
  ImageNetOptions& options();
  const ImageNetOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The image size (h, w) for p pixels under `options`: explicit sizes, or √p for square images.
/// Throws ShapeError when p is not h·w (or not a square without explicit sizes).
std::pair<std::int64_t, std::int64_t> image_size(const ImageNetOptions& options, std::int64_t p);

/// The compute cost of the image network for h × w images and q neurons under `options`
/// (without training it). Throws ConfigError when the images are smaller than the core's
/// receptive field.
ComputeCost image_net_cost(const ImageNetOptions& options, std::int64_t h, std::int64_t w, std::int64_t q);

}  // namespace neurodl::nets
