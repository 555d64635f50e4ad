#pragma once
// Joint prediction of neurons from a stimulus and behaviour together, with each input's unique
// contribution. One network with a shared core per input:
//
//   stimulus s (an image, the first h·w columns of X) → the convolutional core and factorised
//     readout of image-net (image_net.hpp): a_n = Σ_c w_nc Σ_s m_ns F_cs   ("what × where")
//   behaviour b (the last `behavior_columns` columns of X, standardised) → a shared MLP
//     e = W₂·ELU(W₁b̃) + S·b̃  (k behavioural latents, shared by all neurons)
//   η_n = bias_n + a_n + d_n·e          (additive behavioural drive)
//   ŷ_n = softplus(η_n)·exp(g_n·e)      (Poisson, default: a multiplicative behavioural gain)
//        or ȳ_n + s_n·η_n·exp(g_n·e)    (mse)
//
// Unique contributions by drop-one comparison on the same folds: the same network is cross-
// validated with one input's rows permuted (its information removed, its statistics kept;
// Musall et al. 2019 shuffle a variable's regressors), with the same seeds and batch orders;
// unique_r2[input] = CV R² of the full model − CV R² with that input shuffled, per neuron.
// Removing the input's path instead would change the network and its optimisation too.
// Torch-free header.

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

/// Options of `neurodl fit --model joint`. The names are the CLI flags and JSON keys.
struct JointNetOptions {
  /// Trailing columns of X that are behaviour (≥ 1); the columns before them are the stimulus
  /// image. The CLI sets it from --x2 (X = [--x | --x2]). Default 0: must be set.
  std::int64_t behavior_columns = 0;
  /// Image height [px]; 0 (default): square images, h = w = √(p − behavior_columns).
  std::int64_t image_height = 0;
  /// Image width [px]; 0 (default): from image_height, or √ as above.
  std::int64_t image_width = 0;
  /// Convolutional layers of the stimulus core (≥ 1); default 2.
  std::int64_t layers = 2;
  /// Channels of every core layer; default 8.
  std::int64_t channels = 8;
  /// Kernel side of the first core layer [px]; default 5.
  std::int64_t kernel = 5;
  /// Kernel side of the later core layers [px]; default 3.
  std::int64_t hidden_kernel = 3;
  /// Hidden units of the behaviour MLP; default 16.
  std::int64_t behavior_hidden = 16;
  /// Behavioural latents k shared by all neurons (each neuron has k additive and k gain
  /// weights); default 2.
  std::int64_t behavior_latents = 2;
  /// Maximum training epochs per fit; default 200 (early stopping usually ends sooner).
  std::int64_t epochs = 200;
  /// Mini-batch size [presentations]; default 16.
  std::int64_t batch = 16;
  /// AdamW learning rate; default 3e-3.
  double lr = 3e-3;
  /// AdamW decoupled weight decay; default 1e-3.
  double weight_decay = 1e-3;
  /// L1 penalty on the spatial masks (as image-net); default 0.1.
  double mask_l1 = 0.1;
  /// L1 penalty on the feature weights (as image-net); default 0.01.
  double feature_l1 = 0.01;
  /// "poisson" (default; Y are counts ≥ 0) or "mse" (Y centred and scaled per neuron).
  std::string loss = "poisson";
  /// Early-stopping patience on the validation loss [epochs]; default 20.
  std::int64_t patience = 20;
  /// Fraction of each training set (its last rows) held out for early stopping; default 0.1.
  double val_fraction = 0.1;
  /// Block cross-validation over rows (--folds, --blocks, --gap); default 5 folds.
  eval::SplitOptions split;
  /// Seed of weight initialisation and mini-batch order; default 0.
  std::uint64_t seed = 0;
  /// One torch thread and deterministic algorithms (bit-identical reruns); default false.
  bool deterministic = false;
  /// "auto" (default: CUDA when available), "cpu" or "cuda".
  std::string device = "auto";
  /// Average power of the training device [W] for the energy estimate; default 15 W.
  double device_power_w = 15.0;
  /// Folder for resumable checkpoints (one file per variant and fold, plus the final fit).
  std::string checkpoint_dir;
};

/// The option table: behavior_columns, image_height, image_width, layers, channels, kernel,
/// hidden_kernel, behavior_hidden, behavior_latents, epochs, batch, lr, weight_decay, mask_l1,
/// feature_l1, loss, patience, val_fraction, folds, blocks, gap, seed, deterministic, device,
/// device_power_w, checkpoint_dir.
std::vector<OptionSpec> option_specs(JointNetOptions& o);

/// The joint stimulus + behaviour network (registry name "joint").
///
/// fit() throws ShapeError (row counts differ, empty inputs, image size not matching
/// p − behavior_columns, fewer than 2·folds rows), ConfigError (behavior_columns < 1 or ≥ p,
/// NaN/Inf in X or Y, negative Y with the Poisson loss, images smaller than the core's receptive
/// field, bad options).
///
/// Summary keys: model, n_samples, n_features, n_targets, image_height, image_width,
/// behavior_columns, cv_r2 (per neuron, full model), cv_r2_mean, cv_corr, cv_corr_mean,
/// unique_r2 {"stimulus"|"behavior": {mean, per_target, sem, cv_r2_without, cv_r2_without_mean}}
/// (per_target: CV R² full − CV R² with the input shuffled, per neuron; mean: its mean; sem:
/// standard error over folds of the per-fold difference of the neuron-mean R²), params, macs_per_sample, flops_per_sample, compute,
/// train_seconds, inference_seconds, device, device_power_w, energy_j, r2_per_mflop,
/// r2_per_param, epochs_run, best_epoch, fit_seconds.
///
/// State arrays: "param.<name>", "buffer.<name>" (float64, size(0) × rest), "cv_r2" (1 × q),
/// "unique_r2" (2 × q: stimulus, behavior).
class JointNet : public Model {
 public:
  explicit JointNet(JointNetOptions options = {});
  ~JointNet() override;
  JointNet(JointNet&&) noexcept;
  JointNet& operator=(JointNet&&) noexcept;

  std::string name() const override { return "joint"; }
  std::vector<OptionSpec> option_specs() override;
  /// Fits on X (T × (h·w + p_b): image pixels then behaviour) and Y (T × q): the full model and
  /// the two drop-one (shuffled-input) models on the same folds, then the full model on all rows.
  void fit(const MatrixF& x, const MatrixF& y) override;
  /// Ŷ (T' × q) from X (T' × (h·w + p_b)); ShapeError when p differs, ConfigError before fit.
  MatrixF predict(const MatrixF& x) const override;
  nlohmann::json summary() const override;
  ModelState state() const override;
  void load_state(const ModelState& state) override;
  /// Per-layer parameters, MACs and FLOPs per sample of the fitted network.
  ComputeCost cost() const;
  JointNetOptions& options();
  const JointNetOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The compute cost of the joint network for h × w images, p_b behaviour columns and q neurons
/// (without training it). Throws ConfigError for impossible sizes.
ComputeCost joint_net_cost(const JointNetOptions& options, std::int64_t h, std::int64_t w, std::int64_t p_b,
                           std::int64_t q);

}  // namespace neurodl::nets
