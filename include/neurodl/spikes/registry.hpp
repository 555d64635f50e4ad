#pragma once
// Spike-inference methods by name: a map from name to a factory (../shared/STYLE.md). The
// OASIS methods are model-based; "deep" (a supervised network, LibTorch) is registered without a
// factory, so that `--method deep` fails with a clear message listing what exists, until a layer
// that links LibTorch gives it one through register_spike_method (nets/spike_net.hpp:
// register_deep_spike_inference, called by the CLI). spikes itself never links LibTorch.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "neurodl/core/matrix.hpp"
#include "neurodl/core/recording.hpp"
#include "neurodl/spikes/oasis.hpp"

namespace neurodl::spikes {

/// Everything any method may need besides the data. Methods ignore what they do not use; the CLI
/// rejects flags that do not apply (e.g. --model without --method deep).
struct InferenceOptions {
  OasisOptions oasis;  ///< OASIS options (rate, time constants, penalty, calibration)
  /// Path of a trained model (deep: a network file or folder) or of a calibration file
  /// (oasis-calibrated, from calibrate-spikes); supervised methods only.
  std::string model;
};

/// A spike-inference method: ΔF/F in, expected spikes per frame out.
class SpikeInference {
 public:
  virtual ~SpikeInference() = default;
  /// dff: T × N ΔF/F (trailing NaN padding per column allowed). Returns T × N expected spikes
  /// per frame plus per-unit parameters. Throws as spikes::deconvolve.
  virtual DeconvolveResult infer(const MatrixF& dff, const InferenceOptions& options) const = 0;
  /// Method-specific facts about the last infer() call (e.g. which trained model it chose), for
  /// the JSON summary; null (default) when there are none.
  virtual nlohmann::json details() const { return nullptr; }
};

/// One registered method.
struct SpikeMethod {
  std::string description;  ///< one line for --help
  std::function<std::unique_ptr<SpikeInference>()> make;
  /// Whether the method reads InferenceOptions::model (the CLI's --model): a trained network
  /// (deep) or a calibration file (oasis-calibrated).
  bool takes_model = false;
};

/// Every method by name (oasis-ar1, oasis-ar2, oasis-calibrated, deep).
const std::map<std::string, SpikeMethod>& spike_methods();
/// Adds a method or replaces a registered one (e.g. gives "deep" its factory). Call before
/// reading spike_methods() from several threads. Throws ConfigError for an empty factory.
void register_spike_method(const std::string& name, SpikeMethod method);
/// The method of that name. Throws ConfigError for an unknown name and for a registered method
/// that is not available yet ("deep"), both listing the valid names.
std::unique_ptr<SpikeInference> make_spike_inference(const std::string& name);
/// The names of the methods that can run now, comma-separated (for messages and --help).
std::string available_spike_methods();

/// Several recordings side by side, as front ends pass them to a method.
struct StackedColumns {
  /// T_max × ΣN_r float32: the units of every recording, in order, each column NaN-padded at
  /// the end to the longest recording (the Spikefinder CSV convention).
  MatrixF values;
  std::vector<std::string> labels;  ///< ΣN_r "<recording name>/<unit id>"
  std::vector<std::int64_t> lengths;  ///< ΣN_r frames of each column before its padding
};

/// Stacks the activity of `recordings` (or, when `truth_name` is non-empty, their truth array of
/// that name where a recording has it and its activity otherwise) column by column. Throws
/// ShapeError when there is no recording, or a truth array's rows differ from its activity's.
StackedColumns stack_columns(const std::vector<Recording>& recordings,
                             const std::string& truth_name = {});

}  // namespace neurodl::spikes
