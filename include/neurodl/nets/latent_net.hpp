#pragma once
// Prediction-driven dimensionality reduction with deep networks: a source X (T × p) is encoded
// into k latents by a small network and the targets Y (T × q) are read out from the latents
// linearly (or by an MLP). Sweeping k and cross-validating gives the nonlinear counterpart of the
// reduced-rank regression rank curve (Semedo et al. 2019): how many dimensions of X predict Y.
//
//  - "bottleneck": X row t → MLP encoder (+ a linear skip) → k latents → decoder → Y row t.
//  - "behavior-net" (after Facemap's behaviour → neural network, Syeda et al. 2024, Nat.
//    Neurosci. 27:187): a window of behaviour around t (running speed, pupil, face-motion
//    components; columns of X) → two temporal convolutions → MLP (+ a linear skip from x_t) →
//    k latents → per-neuron linear readout.
//
// This header is free of torch, so front ends (the CLI, the demo) include it cheaply.

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

/// Which network a LatentNet trains.
enum class Architecture { bottleneck, behavior_net };
/// Registry name: "bottleneck" or "behavior-net".
std::string to_string(Architecture a);

/// Options of the latent-bottleneck models (`neurodl fit --model bottleneck|behavior-net`). The
/// names are the CLI flags (--weight-decay, ...) and JSON keys.
struct LatentNetOptions {
  /// Number of latents k (≥ 1) when no sweep is given; default 4.
  std::int64_t latents = 4;
  /// Latent counts to sweep by cross-validation (each ≥ 1); the fitted model uses the chosen k
  /// (k_rule). Empty (default): no sweep, k = latents.
  std::vector<std::int64_t> sweep;
  /// How the sweep picks k: "one_se" (default; the smallest k whose CV R² is within one
  /// standard error over folds of the best, as Semedo et al. 2019 pick a predictive
  /// dimensionality) or "best" (the highest CV R²).
  std::string k_rule = "one_se";
  /// Smallest margin [R²] used by "one_se": k qualifies when its CV R² is within
  /// max(SE, k_tolerance) of the best. Networks trained from different random initialisations
  /// differ by a few thousandths of R² from optimisation alone, a noise the fold-to-fold SE does
  /// not measure; default 0.01.
  double k_tolerance = 0.01;
  /// Maximum training epochs per fit; default 200 (early stopping usually ends sooner).
  std::int64_t epochs = 200;
  /// Mini-batch size [samples]; default 256.
  std::int64_t batch = 256;
  /// AdamW learning rate; default 3e-3.
  double lr = 3e-3;
  /// AdamW decoupled weight decay; default 1e-4.
  double weight_decay = 1e-4;
  /// Hidden units of the encoder MLP (and of an "mlp" decoder); 0: linear encoder (then the
  /// bottleneck model is a reduced-rank linear model trained by gradient descent). Default 64.
  std::int64_t hidden = 64;
  /// Decoder from the latents to Y: "linear" (default) or "mlp" (one hidden ELU layer).
  std::string decoder = "linear";
  /// "mse" (default; Y centred and scaled per target on the training rows), "gaussian"
  /// (per-target variance weighting: each target counts equally) or "poisson" (Y are counts ≥ 0;
  /// the output is a softplus rate).
  std::string loss = "mse";
  /// Early-stopping patience [epochs] on the validation loss; default 20.
  std::int64_t patience = 20;
  /// Fraction of each training set (its last rows in time) held out for early stopping;
  /// default 0.1.
  double val_fraction = 0.1;
  /// Time-block cross-validation (--folds, --blocks, --gap); default 5 folds.
  eval::SplitOptions split;
  /// Seed of weight initialisation and mini-batch order; default 0.
  std::uint64_t seed = 0;
  /// One torch thread and deterministic algorithms (bit-identical reruns); default false.
  bool deterministic = false;
  /// "auto" (default: CUDA when available), "cpu" or "cuda".
  std::string device = "auto";
  /// Average power of the training device [W] for the energy estimate (energy_j = power ×
  /// train_seconds); default 15 W (a laptop CPU package).
  double device_power_w = 15.0;
  /// Folder for resumable checkpoints (one file per fold and k, plus the final fit); a rerun
  /// with the same data and options resumes from it. Empty (default): none.
  std::string checkpoint_dir;
  /// behavior-net: samples of behaviour in the window of each prediction (≥ 2·kernel − 1);
  /// default 31 (1 s at 30 Hz).
  std::int64_t window = 31;
  /// behavior-net: true: causal window (t − window + 1 … t); false (default): centred.
  bool causal = false;
  /// behavior-net: channels of both temporal convolutions; default 16.
  std::int64_t channels = 16;
  /// behavior-net: kernel length of both temporal convolutions [samples]; default 7.
  std::int64_t kernel = 7;
};

/// The option table: latents, sweep, k_rule, k_tolerance, epochs, batch, lr, weight_decay, hidden, decoder,
/// loss, patience, val_fraction, folds, blocks, gap, seed, deterministic, device,
/// device_power_w, checkpoint_dir, and for behavior-net window, causal, channels, kernel.
std::vector<OptionSpec> option_specs(LatentNetOptions& o, Architecture a);

/// Cross-validated prediction performance as a function of the number of latents, beside
/// reduced-rank regression at the same ranks on the same folds.
struct LatentCurve {
  std::vector<std::int64_t> ks;  ///< swept latent counts, ascending
  std::vector<double> r2_mean;   ///< CV R² averaged over targets (out-of-fold predictions)
  std::vector<double> r2_sem;    ///< standard error over folds of the per-fold mean R²
  /// Per k: the target-averaged R² of each fold's test rows (for paired comparisons on the same
  /// folds).
  std::vector<std::vector<double>> r2_folds;
  MatrixD r2;                    ///< CV R² per k and target (n_k × q)
  std::vector<std::int64_t> rrr_ranks;  ///< the ks with k ≤ min(p, q) (RRR's possible ranks)
  std::vector<double> rrr_r2_mean;      ///< RRR CV R² averaged over targets, per rank
  std::vector<double> rrr_r2_sem;       ///< its standard error over folds
  double rrr_alpha = 0.0;               ///< RRR's ridge penalty (chosen by its own CV)
  std::int64_t best_k = 0;              ///< k with the highest r2_mean
  std::int64_t chosen_k = 0;            ///< k picked by k_rule
};

/// A bottleneck network trained by neurodl::nets::train (registry names "bottleneck",
/// "behavior-net").
///
/// fit() throws ShapeError (row counts differ, empty inputs, fewer than 2·folds rows),
/// ConfigError (NaN/Inf in X or Y, k < 1, negative Y with the Poisson loss, a window shorter
/// than 2·kernel − 1, bad options), and converts torch failures to neurodl::Error.
///
/// Summary keys: model, n_samples, n_features, n_targets, cv_r2 (per target, at the chosen k),
/// cv_r2_mean, latents (chosen k), k_rule, latent_curve ([{k, cv_r2_mean, sem}]), rrr_curve
/// ([{rank, cv_r2_mean, sem}], same folds), rrr_alpha, params, macs_per_sample,
/// flops_per_sample, compute (per layer), train_seconds (final fit), inference_seconds
/// (predicting the T training rows), device, device_power_w, energy_j (= device_power_w ×
/// train_seconds, an estimate from a stated power, not a measurement), r2_per_mflop
/// (cv_r2_mean per 10⁶ FLOPs per sample), r2_per_param, epochs_run, fit_seconds (everything).
///
/// State arrays: "param.<name>" and "buffer.<name>" for every tensor of the network, flattened
/// to size(0) × rest (shapes in params.shapes), "latents" (T × k: the training rows' latents),
/// "cv_r2" (1 × q). Params: options, architecture, n_features, n_targets, latents, shapes,
/// summary. Reloading needs no torch serialisation.
class LatentNet : public Model {
 public:
  explicit LatentNet(Architecture architecture, LatentNetOptions options = {});
  ~LatentNet() override;
  LatentNet(LatentNet&&) noexcept;
  LatentNet& operator=(LatentNet&&) noexcept;

  std::string name() const override;
  std::vector<OptionSpec> option_specs() override;
  /// Fits on X (T × p) and Y (T × q): cross-validates every k of the sweep (or k = latents),
  /// then trains the chosen k on all rows. See the class comment for what it throws.
  void fit(const MatrixF& x, const MatrixF& y) override;
  /// Ŷ (T' × q) from X (T' × p); throws ShapeError when p differs, ConfigError before fit.
  MatrixF predict(const MatrixF& x) const override;
  nlohmann::json summary() const override;
  ModelState state() const override;
  void load_state(const ModelState& state) override;

  /// The latents (T' × k) of X (T' × p): the encoder's output, the low-dimensional
  /// representation of X that predicts Y. Throws as predict().
  MatrixF latents(const MatrixF& x) const;
  /// The cross-validated latent curve of the last fit() (one point without a sweep).
  const LatentCurve& curve() const;
  /// Per-layer parameters, MACs and FLOPs per sample of the fitted network.
  ComputeCost cost() const;
  /// The options (change them before fit()).
  LatentNetOptions& options();
  const LatentNetOptions& options() const;
  /// True after fit() or load_state().
  bool fitted() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// "bottleneck": an MLP encoder of X rows (see LatentNet).
class Bottleneck : public LatentNet {
 public:
  explicit Bottleneck(LatentNetOptions options = {}) : LatentNet(Architecture::bottleneck, std::move(options)) {}
};

/// "behavior-net": temporal convolutions over a window of behaviour (see LatentNet).
class BehaviorNet : public LatentNet {
 public:
  explicit BehaviorNet(LatentNetOptions options = {}) : LatentNet(Architecture::behavior_net, std::move(options)) {}
};

/// The cross-validated latent curve of a bottleneck network predicting Y (T × q) from X (T × p)
/// for every k in `ks` (each ≥ 1), beside RRR at the same ranks on the same folds. The function
/// to call from front ends (e.g. `neurodl demo`). Throws as LatentNet::fit.
LatentCurve bottleneck_sweep(const MatrixF& x, const MatrixF& y, const std::vector<std::int64_t>& ks,
                             LatentNetOptions options = {});

/// The compute cost of the network `architecture` builds for p inputs, q targets and k latents
/// under `options` (without training it). Throws ConfigError for impossible sizes.
ComputeCost architecture_cost(Architecture architecture, const LatentNetOptions& options, std::int64_t p,
                              std::int64_t q, std::int64_t k);

}  // namespace neurodl::nets
