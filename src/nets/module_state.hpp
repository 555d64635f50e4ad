#pragma once
// Private to neurodl::nets: pieces shared by the networks that implement neurodl::Model — a torch
// module's weights in a ModelState (the model file's arrays) and back, the input checks of fit()
// and the engine options built from a net's options.

#include <cstdint>
#include <filesystem>
#include <string>

#include <torch/torch.h>

#include "neurodl/core/matrix.hpp"
#include "neurodl/core/model.hpp"
#include "neurodl/core/options.hpp"
#include "neurodl/eval/splits.hpp"
#include "neurodl/nets/train.hpp"

namespace neurodl::nets::detail {

/// Stores every parameter and buffer of `net` as a float64 array "param.NAME" / "buffer.NAME"
/// (flattened to size(0) × rest; scalars and vectors as one row) in st.arrays, and each true
/// shape in st.params["shapes"]. The tensors may live on any device.
void save_module_tensors(torch::nn::Module& net, ModelState& st);

/// Copies the arrays written by save_module_tensors into `net`'s parameters and buffers (a
/// module of the same architecture). IoError naming the missing array; ShapeError naming the
/// array whose size differs. `component` names the caller in errors.
void load_module_tensors(torch::nn::Module& net, const ModelState& st, const std::string& component);

}  // namespace neurodl::nets::detail

namespace neurodl::nets::detail {

/// Checks shared by the nets' fit(): X and Y have the same rows (`row_unit` names them in the
/// error), neither is empty or holds NaN/Inf, Y holds counts ≥ 0 for the Poisson loss, and the
/// loss name is known. One-line errors from `component`.
void check_xy(const MatrixF& x, const MatrixF& y, const std::string& loss, const std::string& component,
              const std::string& row_unit = "samples");

/// The engine's options from a net's options struct (fields epochs, batch, lr, weight_decay,
/// patience, loss, deterministic, checkpoint_dir); the checkpoint, when checkpoint_dir is set,
/// is checkpoint_dir/<prefix>_<ckpt>.pt (the folder is created).
template <class NetOptions>
TrainOptions engine_options(const NetOptions& o, std::uint64_t seed, const std::string& label,
                            const std::string& prefix, const std::string& ckpt) {
  TrainOptions t;
  t.epochs = o.epochs;
  t.batch = o.batch;
  t.lr = o.lr;
  t.weight_decay = o.weight_decay;
  t.patience = o.patience;
  t.loss = loss_from_string(o.loss);
  t.seed = seed;
  t.deterministic = o.deterministic;
  t.label = label;
  if (!o.checkpoint_dir.empty()) {
    std::filesystem::create_directories(o.checkpoint_dir);
    t.checkpoint = (std::filesystem::path(o.checkpoint_dir) / (prefix + "_" + ckpt + ".pt")).string();
  }
  return t;
}

/// Appends the options every net shares after its own, in this order: the time-block split
/// (eval::option_specs), seed, deterministic, device, device_power_w and checkpoint_dir, so that
/// each is described once for all nets (fields of the same names in NetOptions).
template <class NetOptions>
void append_common_specs(std::vector<OptionSpec>& s, NetOptions& o) {
  for (auto& spec : eval::option_specs(o.split)) s.push_back(spec);
  const std::vector<OptionSpec> common = {
      {.name = "seed", .help = "seed of weight initialisation and mini-batch order", .target = &o.seed},
      {.name = "deterministic", .help = "one torch thread and deterministic algorithms (bit-identical reruns)", .target = &o.deterministic},
      {.name = "device", .help = "training device", .target = &o.device, .choices = {"auto", "cpu", "cuda"}},
      {.name = "device_power_w", .help = "stated average device power for the energy estimate (energy = power × train time)", .unit = "W", .target = &o.device_power_w, .min = 0, .max = 1e5},
      {.name = "checkpoint_dir", .help = "folder of resumable training checkpoints (empty: none)", .target = &o.checkpoint_dir},
  };
  s.insert(s.end(), common.begin(), common.end());
}

}  // namespace neurodl::nets::detail
