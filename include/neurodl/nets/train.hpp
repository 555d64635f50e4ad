#pragma once
// The one training engine of neurodl::nets. Every deep model trains through train(): windowed
// mini-batches indexed out of one padded copy of the data (never re-copied per epoch), Adam or
// AdamW, a cosine or reduce-on-plateau learning-rate schedule, gradient-norm clipping, early
// stopping on a validation loss with the best weights restored, MSE / Gaussian / Poisson losses,
// seeded and (optionally) deterministic runs, and checkpoints from which an interrupted run
// resumes to the same numbers as an uninterrupted one.
//
// This header includes LibTorch; models that only need the neurodl::Model interface include
// their own torch-free headers (bottleneck.hpp, behavior_net.hpp).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "neurodl/core/matrix.hpp"
#include "neurodl/core/options.hpp"
#include "neurodl/nets/compute.hpp"

namespace neurodl::nets {

/// Loss minimised by train().
enum class Loss {
  mse,       ///< mean squared error, mean over samples and targets of (ŷ − y)²
  gaussian,  ///< Gaussian negative log-likelihood with a fixed per-target variance σ²_j:
             ///< mean of (ŷ − y)²/(2σ²_j) (constants dropped); σ² = 1 gives MSE/2
  poisson,   ///< Poisson negative log-likelihood of counts y under rates ŷ > 0:
             ///< mean of ŷ − y·log(ŷ + 1e-8) (log y! dropped)
};
/// "mse", "gaussian", "poisson".
std::string to_string(Loss loss);
/// Parses a loss name; throws ConfigError listing the valid names.
Loss loss_from_string(const std::string& name);

/// Options of train(). Defaults suit small recordings on a CPU.
struct TrainOptions {
  /// Maximum number of epochs (passes over the training rows); default 200.
  std::int64_t epochs = 200;
  /// Mini-batch size [samples]; default 256.
  std::int64_t batch = 256;
  /// Initial learning rate; default 1e-3.
  double lr = 1e-3;
  /// Weight decay (L2 for "adam", decoupled for "adamw"); default 0.
  double weight_decay = 0.0;
  /// "adamw" (default; Loshchilov & Hutter 2019) or "adam" (Kingma & Ba 2015).
  std::string optimizer = "adamw";
  /// Learning-rate schedule: "plateau" (default; halve the rate after max(2, patience/4)
  /// epochs without a new best validation loss, down to lr/1000), "cosine" (lr·(0.01 + 0.99·
  /// (1 + cos(π·epoch/epochs))/2)) or "none".
  std::string schedule = "plateau";
  /// Early stopping: stop after this many epochs without a new best validation loss and restore
  /// the best weights; 0 disables (the last epoch's weights are kept). Default 20.
  std::int64_t patience = 20;
  /// Clip the global L2 norm of the gradient to this value; 0 disables. Default 5.
  double clip_norm = 5.0;
  /// Loss; default mse.
  Loss loss = Loss::mse;
  /// Seed of the weight initialisation (set by the caller through seed_torch()) and of the
  /// mini-batch order (epoch e uses neurodl::Rng(seed, stream e)). Default 0.
  std::uint64_t seed = 0;
  /// Deterministic mode: torch uses one intra-op thread and deterministic algorithms, so equal
  /// seeds give bit-identical weights. Otherwise torch uses neurodl::num_threads() threads (runs
  /// are still repeatable on a CPU at a fixed thread count). Default false.
  bool deterministic = false;
  /// Checkpoint file written every `checkpoint_every` epochs (model, optimizer, schedule,
  /// early-stopping state, loss history, torch RNG); when it exists, train() resumes from it.
  /// Empty (default): no checkpoints.
  std::string checkpoint;
  /// Epochs between checkpoints (≥ 1); default 1.
  std::int64_t checkpoint_every = 1;
  /// Label of the progress bar; default "train".
  std::string label = "train";
};

/// A network trained by train(): a torch module mapping inputs (B × p, or B × p × W for
/// windowed models) to predictions (B × q) that also reports its compute cost.
class Net : public torch::nn::Module {
 public:
  /// Predictions (B × q) for a batch of inputs.
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  /// Parameters, MACs and FLOPs per predicted sample, per layer (compute.hpp conventions).
  virtual ComputeCost cost() const = 0;
  /// A regularisation term (scalar) added to the training loss of every mini-batch, not to the
  /// validation loss that early stopping monitors; undefined (default): none.
  virtual torch::Tensor penalty() { return {}; }
};

/// Mini-batches of windows over X (T × p) and Y (T × q). The data are copied once into tensors
/// on the training device, X padded with `before` copies of its first row and `after` copies of
/// its last row; the
/// window of sample t is X[t − before … t + after] (W = before + 1 + after rows), obtained as a
/// strided view (Tensor::unfold), so an epoch copies only its batches. before = after = 0 gives
/// plain rows (inputs B × p); otherwise inputs are B × p × W (channels × time, as Conv1d wants).
class WindowedData {
 public:
  /// Throws ShapeError when the row counts differ, ConfigError for negative window sizes.
  WindowedData(const MatrixF& x, const MatrixF& y, std::int64_t before, std::int64_t after,
               torch::Device device);
  /// Inputs of the rows in `index` (int64, on any device): B × p, or B × p × W when windowed.
  torch::Tensor inputs(const torch::Tensor& index) const;
  /// Targets of the rows in `index`: B × q.
  torch::Tensor targets(const torch::Tensor& index) const;
  std::int64_t samples() const { return samples_; }  ///< T
  std::int64_t window() const { return before_ + 1 + after_; }  ///< W
  torch::Device device() const { return device_; }

 private:
  std::int64_t samples_ = 0, before_ = 0, after_ = 0;
  torch::Device device_;
  torch::Tensor x_, windows_, y_;
};

/// One finished epoch, as passed to the epoch callback.
struct EpochReport {
  std::int64_t epoch = 0;   ///< 0-based index of the finished epoch
  double train_loss = 0.0;  ///< mean mini-batch loss of the epoch
  double val_loss = 0.0;    ///< validation loss (NaN without validation rows)
  double lr = 0.0;          ///< learning rate used during the epoch
};

/// What train() did.
struct TrainResult {
  std::vector<double> train_loss;  ///< per epoch run (including epochs before a resume)
  std::vector<double> val_loss;    ///< per epoch run; NaN without validation rows
  std::int64_t best_epoch = -1;    ///< epoch whose weights were kept
  std::int64_t epochs_run = 0;     ///< epochs completed in total
  std::int64_t steps = 0;          ///< optimiser steps taken by this call
  bool stopped_early = false;      ///< early stopping ended the run
  bool interrupted = false;        ///< the callback asked to stop; resume from the checkpoint
  bool resumed = false;            ///< this call started from a checkpoint
  double seconds = 0.0;            ///< wall time of this call [s]
};

/// Trains `net` on the rows `train_rows` of `data`, early-stopping on `val_rows` (may be empty:
/// then on the training loss). `target_variance` (1 × q, Gaussian loss only; undefined → ones).
/// `on_epoch` is called after every epoch; returning false interrupts the run after its
/// checkpoint is written (resume by calling train() again with the same checkpoint).
/// Throws ConfigError for bad options or empty training rows, IoError for an unreadable or
/// mismatched checkpoint; torch failures become neurodl::Error.
TrainResult train(Net& net, const WindowedData& data, const std::vector<std::int64_t>& train_rows,
                  const std::vector<std::int64_t>& val_rows, const TrainOptions& options,
                  const torch::Tensor& target_variance = {},
                  const std::function<bool(const EpochReport&)>& on_epoch = {});

/// The order in which train() visits `train_rows` in epoch `epoch` under `seed`: a permutation
/// drawn from neurodl::Rng(seed, stream derived from the epoch), so it needs no saved state and
/// other programs (the PyTorch side-by-side bench) can replay it.
std::vector<std::int64_t> batch_order(std::uint64_t seed, std::int64_t epoch,
                                      const std::vector<std::int64_t>& train_rows);

/// Predictions (rows.size() × q, float32, on the CPU) of `net` for `rows` of `data`, in chunks,
/// without gradients.
torch::Tensor predict_rows(Net& net, const WindowedData& data,
                           const std::vector<std::int64_t>& rows);

/// The loss of predictions (B × q) against targets (B × q); `target_variance` as in train().
torch::Tensor loss_value(Loss loss, const torch::Tensor& prediction, const torch::Tensor& target,
                         const torch::Tensor& target_variance = {});

/// Seeds torch's generators (weight initialisation) and sets the deterministic mode and
/// torch's intra-op threads (1 when deterministic, else neurodl::num_threads()).
void seed_torch(std::uint64_t seed, bool deterministic);

/// "auto" → CUDA when torch::cuda::is_available(), else CPU; "cpu"; "cuda" (ConfigError when
/// no CUDA device is available). Throws ConfigError for other names.
torch::Device choose_device(const std::string& name);

/// MatrixF (T × n) → float32 tensor (T × n) on `device` (one copy).
torch::Tensor to_tensor(const MatrixF& m, torch::Device device);
/// float tensor (T × n, any device, any float type) → MatrixF (one copy).
MatrixF to_matrix(const torch::Tensor& t);

}  // namespace neurodl::nets
