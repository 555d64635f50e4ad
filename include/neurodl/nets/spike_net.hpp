#pragma once
// Supervised spike inference with a small 1-D convolutional network, trained on ground-truth
// recordings (simultaneous imaging and electrophysiology) after the CASCADE recipe (Rupprecht et
// al. 2021, Nat Neurosci 24:1324): every training trace is resampled to the model's frame rate
// and white noise is added until its noise level equals the model's, so one model serves data of
// one frame rate and one noise level. A model predicts expected spikes per frame.
//
//   input   ΔF/F (fraction) resampled to the model rate F; a window of W = 64 frames around
//           each frame (32 before, 31 after; edge values repeated at the ends of a trace);
//           optionally (inputs "dff+oasis-ar1|2") a second channel: OASIS's deconvolution of
//           the same resampled trace, divided by its 99th percentile (spike_net_inputs)
//   net     Conv1d(1→16, 15) ELU → Conv1d(16→16, 9) ELU → Conv1d(16→8, 5) ELU → Linear(8·38→32)
//           ELU → Linear(32→1); ~13,000 parameters
//   target  spike counts rebinned to F and smoothed by a narrow Gaussian (target_smoothing_s,
//           optionally widened to target_smoothing_frames / F), so the output is in expected
//           spikes per frame (MSE training: the conditional mean)
//   output  the mean over an ensemble of independently initialised networks (members) of
//           max(0, net) at F, converted back to the input's frames (counts are kept)
//
// Shipped models live in models/spikes/ (a bank over frame rates × noise levels); `--method
// deep` picks the nearest one (docs/spikes.md, "Deep model"). This header is free of torch.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "neurodl/core/matrix.hpp"
#include "neurodl/core/model.hpp"
#include "neurodl/core/options.hpp"
#include "neurodl/core/random.hpp"
#include "neurodl/core/recording.hpp"
#include "neurodl/nets/compute.hpp"
#include "neurodl/spikes/resample.hpp"

namespace neurodl::nets {

/// Version of the spike-model record (ModelState params) this build writes and reads.
/// Version 6 adds params.blend.rate (SpikeNetOptions::blend_rate; versions 1–5 read as "model").
/// Version 5 adds params.blend.oasis_lead_frames (SpikeNetOptions::blend_lead_frames; versions
/// 3–4 read as 0) and params.blend.oasis_smoothing_per_decay (::blend_smoothing_per_decay;
/// absent: 0).
/// Version 4 adds params.align {method, max_delay_s, max_advance_s} (SpikeNetOptions::align; versions 1–3 read
/// as "none").
/// Version 3 adds params.inputs (the input channels, SpikeNetOptions::inputs),
/// architecture_shape.in_channels and params.blend {method, weight} (SpikeNetOptions::blend); version 2 (an ensemble: params.members, arrays
/// member<k>.param.*) and version 1 (one network, arrays param.*) are still read, as "dff" models.
constexpr std::int64_t kSpikeNetFormatVersion = 6;
/// ModelState::model of a spike model file.
inline constexpr const char* kSpikeNetModel = "spike-net";

/// One ground-truth recording of one neuron.
struct GroundTruthTrace {
  std::string dataset;           ///< dataset name, e.g. "DS01" (balancing, --exclude)
  std::string source;            ///< file it came from (messages)
  double sample_rate_hz = kNaN;  ///< frame rate [Hz]
  std::vector<float> dff;        ///< T finite ΔF/F values (fraction)
  std::vector<float> spikes;     ///< T spike counts per frame
};

/// Reads every ground-truth `.mat` (CAttached, io::read_recordings) in the sub-folders of
/// `folder`; a sub-folder `DSxx-name` is dataset "DSxx" (the name up to the first '-'). Folders
/// whose dataset or full name is in `exclude` are skipped. Each entry becomes one trace, cut at
/// its first NaN; traces shorter than 128 frames or without spike times are skipped. Sorted by
/// dataset and file. Throws IoError (no such folder, no traces left, unreadable files).
std::vector<GroundTruthTrace> read_ground_truth(const std::filesystem::path& folder,
                                                const std::vector<std::string>& exclude = {});

/// Options of SpikeNet::train (`neurodl train-spikes`); names are the CLI flags and JSON keys.
struct SpikeNetOptions {
  /// Frame rate F of the model [Hz]: training traces are resampled to it (CLI --fs). Default 30.
  double sample_rate_hz = 30.0;
  /// Noise level ν of the model [%·s^-½] (CASCADE's, spikes::cascade_noise_level): white noise
  /// is added to every resampled training trace until its ν equals this (CLI --noise). Default 2.
  double noise_level = 2.0;
  /// Traces whose ν at F exceeds noise_level × this are skipped (noise is only ever added).
  /// Default 1.
  double noise_tolerance = 1.0;
  /// Independent noise draws per training trace. Default 2.
  std::int64_t noise_copies = 2;
  /// Synthetic copies per training trace: the trace's spike counts (at the model rate) through a
  /// random double-exponential indicator kernel (rise 5–200 ms, decay 0.2–2 s, 0.02–0.2 ΔF/F per
  /// spike, log-uniform), white noise at the model's level added; they join the training windows
  /// of the trace's dataset but never the validation set. Default 0.
  std::int64_t synthetic_copies = 0;
  /// Response of the synthetic indicators to their calcium: "linear" (default) or "hill" (each
  /// copy draws a Hill coefficient n and a half-saturation K in single-spike units, see
  /// synthetic_dff: GCaMPs respond supralinearly to a few spikes and saturate in bursts).
  std::string synthetic_response = "linear";
  /// Range of the synthetic indicators' peak ΔF/F for one spike (log-uniform). Defaults 0.02–0.2.
  double synthetic_amplitude_min = 0.02;
  double synthetic_amplitude_max = 0.2;
  /// How training traces recorded faster than the model rate are brought to it: "box" (default:
  /// the mean over each model frame, resample_trace) or "point" (the value at each model frame's
  /// centre, interpolated: a scanning microscope samples a cell once per frame rather than
  /// averaging over the frame). Inference always uses "box".
  std::string downsample = "box";
  /// s.d. [s] of the Gaussian that smooths the target spike counts (its lower bound when
  /// target_smoothing_frames > 0). Default 0.0125 s, chosen by validation on the training
  /// datasets among 0.05, 0.025 and 0.0125 s and CASCADE's rule (docs/spikes.md, "Deep model").
  double target_smoothing_s = 0.0125;
  /// s.d. of the target smoothing in frames of the model rate F: σ = max(target_smoothing_s,
  /// target_smoothing_frames / F) [s]. 1.5 is CASCADE's rule (Rupprecht et al. 2021: 0.2 s at
  /// 7.5 Hz, 0.05 s at 30 Hz); it lost in validation. Default 0 (σ = target_smoothing_s).
  double target_smoothing_frames = 0.0;
  /// Training windows drawn per model, equal shares per dataset. Default 100,000.
  std::int64_t windows = 100000;
  /// Last fraction of every trace (after a gap of one window) used for early stopping. Default 0.15.
  double val_fraction = 0.15;
  /// Maximum epochs over the drawn windows. Default 8.
  std::int64_t epochs = 8;
  /// Networks in the ensemble, trained on the same windows from seeds seed, seed + 1, …; the
  /// prediction is their mean. Default 2 (CASCADE averages 5; 2 keeps the shipped bank under
  /// 5 MB and its retraining within ~10 min on 2 cores).
  std::int64_t members = 2;
  /// Mini-batch size. Default 256.
  std::int64_t batch = 256;
  /// AdamW learning rate (cosine schedule). Default 2e-3.
  double lr = 2e-3;
  /// AdamW decoupled weight decay. Default 1e-4.
  double weight_decay = 1e-4;
  /// Early-stopping patience [epochs]. Default 3.
  std::int64_t patience = 3;
  /// Seed of the window draw and the added noise; member k initialises its weights and orders its
  /// batches from seed + k. Default 0.
  std::uint64_t seed = 0;
  /// One torch thread and deterministic algorithms, so a rerun gives identical weights. Default
  /// true.
  bool deterministic = true;
  /// Training device: "cpu" (default, reproducible), "auto" or "cuda".
  std::string device = "cpu";
  /// Input channels (spike_net_inputs): "dff" (ΔF/F alone, default), "dff+oasis-ar1" or
  /// "dff+oasis-ar2" (ΔF/F and OASIS's deconvolution of the same trace at the model rate, so the
  /// network can lean on the model-based estimate).
  std::string inputs = "dff";
  /// Post-hoc blend with OASIS: "none" (default), "oasis-ar1" or "oasis-ar2". The prediction
  /// becomes w·deep/sd(deep) + (1 − w)·OASIS/sd(OASIS) (OASIS on the same trace at the model rate,
  /// shipped defaults; s.d. over the trace), rescaled to the deep prediction's total count; w ∈
  /// {0, 0.1, …, 1} is chosen after training by the Spikefinder r on the validation tails (the
  /// mean over traces per dataset, then over datasets; ties to the larger w).
  std::string blend = "none";
  /// Fixed blend weight w in [0, 1]; NaN (default): chosen on the validation tails as above.
  /// Validation tails come from the training neurons, on which the network is at its best, so
  /// the chosen w overrates the network on new data; the shipped bank uses a fixed w chosen by
  /// nested leave-one-dataset-out (docs/spikes.md).
  double blend_weight = kNaN;
  /// Frames (at the rate the blend is made at, blend_rate) by which the OASIS estimate in the
  /// blend is moved earlier, as `neurodl deconvolve --lead-frames` does. Default 0.
  double blend_lead_frames = 0.0;
  /// Smoothing of the OASIS estimate in the blend as a multiple of its decay time, as
  /// `deconvolve --smoothing-per-decay` does; 0 (default): a fixed 0.08 s.
  double blend_smoothing_per_decay = 0.0;
  /// Where the blend is made: "input" (default: OASIS of the trace as recorded, at the input's
  /// rate, blended once the network's prediction is back at that rate — `deconvolve`'s OASIS
  /// output with the stored lead and smoothing, in input frames) or "model" (OASIS of the trace
  /// resampled to the model rate, blended before the prediction is brought back; the only way
  /// before format 6). The two are the same when the input is at the model rate; "input" spares
  /// OASIS the resampling, which costs it accuracy (docs/spikes.md).
  std::string blend_rate = "input";
  /// Timing alignment to OASIS: "none" (default), "oasis-ar1" or "oasis-ar2". Before the blend,
  /// the network's prediction of each trace is shifted by the lag (spikes::estimate_delay,
  /// fractional frames) at which it best correlates with OASIS's estimate of the same trace at
  /// the model rate (both smoothed by OASIS's output Gaussian): a network that places spikes too
  /// early on an indicator it never saw takes the timing OASIS fits to the trace's own kinetics.
  std::string align = "none";
  /// Largest delay of the alignment [s] (the network early). Default 0.1.
  double align_max_delay_s = 0.1;
  /// Largest advance of the alignment [s] (the network late). Default 0: OASIS's kernel is causal
  /// and its estimate lags the truth where the indicator rises more slowly than the fitted model,
  /// so a network later than OASIS is kept (docs/spikes.md, "Deep model").
  double align_max_advance_s = 0.0;
};

/// The option table of SpikeNetOptions bound to `o` (rate → --fs, noise level → --noise).
std::vector<OptionSpec> option_specs(SpikeNetOptions& o);

/// The versioned record every spike model carries (ModelState params).
struct SpikeModelInfo {
  std::int64_t format_version = kSpikeNetFormatVersion;  ///< record version
  std::string architecture;           ///< e.g. "conv1d-w64-16.16.8-h32"
  double sample_rate_hz = kNaN;       ///< model frame rate [Hz]
  double noise_level = kNaN;          ///< model noise level [%·s^-½]
  std::vector<std::string> training_datasets;  ///< datasets of the training traces
  std::string neurodl_version;        ///< version of neurodl that trained it
  std::uint64_t seed = 0;             ///< SpikeNetOptions::seed
  std::string training_command;       ///< the command that reproduces it
  std::int64_t members = 1;           ///< networks in the ensemble
  std::string inputs = "dff";         ///< input channels (SpikeNetOptions::inputs)
  std::string blend = "none";         ///< post-hoc blend (SpikeNetOptions::blend)
  double blend_weight = 1.0;          ///< weight w of the network in the blend (1: none)
  double blend_lead_frames = 0.0;     ///< lead of the OASIS estimate in the blend [frames]
  double blend_smoothing_per_decay = 0.0;  ///< its smoothing per decay time (0: 0.08 s)
  std::string blend_rate = "model";   ///< where the blend is made (SpikeNetOptions::blend_rate)
  std::string align = "none";         ///< timing alignment (SpikeNetOptions::align)
  double align_max_delay_s = 0.1;     ///< its largest delay [s]
  double align_max_advance_s = 0.0;   ///< its largest advance [s]
};

/// The input channels of a model with `inputs` (SpikeNetOptions::inputs) for one finite trace y
/// (T values of ΔF/F already at the model rate `sample_rate_hz`): T × C, channel 0 = y; for
/// "dff+oasis-ar<p>" channel 1 = spikes::deconvolve_trace of y (AR(p), every parameter estimated,
/// shipped defaults) divided by its 99th percentile over the trace (its maximum when that is 0;
/// all zeros when the trace is shorter than 16 frames or OASIS finds nothing), so the channel is
/// free of units and of calibration errors. Training (on each noisy copy) and predict_trace
/// build their inputs with this function. Throws ConfigError for an unknown `inputs` (listing
/// the valid names), a non-positive rate or non-finite values.
MatrixF spike_net_inputs(std::span<const double> y, double sample_rate_hz, const std::string& inputs);

/// The indicator drawn for one synthetic training trace (synthetic_dff).
struct SyntheticIndicator {
  double rise_s = kNaN;     ///< rise time constant [s], log-uniform in [0.005, 0.2]
  double decay_s = kNaN;    ///< decay time constant [s], log-uniform in [0.2, 2]
  double amplitude = kNaN;  ///< peak ΔF/F of one spike (fraction), log-uniform in [0.02, 0.2]
  double hill_n = kNaN;     ///< Hill coefficient, log-uniform in [1, 2.5] ("hill" only)
  double hill_k = kNaN;     ///< half-saturation [single-spike peaks], log-uniform in [5, 30]
  double hill_rest = kNaN;  ///< resting calcium [single-spike peaks], K × log-uniform [0.15, 0.5]
};

/// A synthetic ΔF/F trace for training (SpikeNetOptions::synthetic_copies): spike `counts` per
/// frame at rate F through a double-exponential kernel exp(−t/decay) − exp(−t/rise) averaged over
/// each frame (imaging integrates over the frame), the spikes of a frame at one random offset
/// within it, scaled so that a spike at the frame's start peaks at the amplitude; linear in the
/// counts. Rise, decay and amplitude are drawn from `rng` (returned in `drawn`). With
/// `response` "hill", the noise-free trace (c in units of one spike's peak) becomes
/// amplitude·(H(c0 + c) − H(c0))/(H(c0 + 1) − H(c0)), H(x) = x^n/(x^n + K^n), with n, K and the
/// resting level c0 drawn after everything else (so the linear trace of the same generator
/// state is its input): zero at rest, one spike still peaks at the amplitude, supralinear for a
/// few spikes when n > 1, saturating in bursts. White noise whose CASCADE noise level is
/// `noise_level` [%·s^-½] is then added. Throws ConfigError for a non-positive rate, a negative
/// level or another response.
std::vector<double> synthetic_dff(std::span<const double> counts, double sample_rate_hz, double noise_level,
                                  Rng& rng, SyntheticIndicator* drawn = nullptr,
                                  const std::string& response = "linear", double amplitude_min = 0.02,
                                  double amplitude_max = 0.2);

/// A trained spike-inference network. Copies share the network.
class SpikeNet {
 public:
  /// Trains a model on `traces` (all of them; exclude held-out data before). `command` is
  /// recorded in the metadata. Throws ConfigError for bad options or when no trace is at or
  /// below the target noise level.
  static SpikeNet train(const std::vector<GroundTruthTrace>& traces, const SpikeNetOptions& options,
                        const std::string& command = {});
  /// Restores a model from its state; `source` (a file name) goes into every message. Throws
  /// IoError for another model, an unsupported format_version, missing or malformed fields.
  static SpikeNet from_state(const ModelState& state, const std::string& source = "state");
  /// io::read_model + from_state. Throws IoError naming the file and field.
  static SpikeNet load(const std::filesystem::path& path);
  /// Writes the state atomically (io::write_model).
  void save(const std::filesystem::path& path) const;

  /// The state: params {format, format_version, members, inputs, blend, align, architecture, sample_rate_hz,
  /// noise_level_pct_per_sqrt_s, training_datasets, neurodl_version, seed, training_command,
  /// options, training}, arrays member<k>.param.<name>/member<k>.buffer.<name> (float64,
  /// size(0) × rest; shapes in params.shapes).
  ModelState state() const;
  const SpikeModelInfo& info() const;
  /// Training statistics (traces used and skipped, windows, target smoothing, seconds; epochs and
  /// losses of member 0 at the top level and of every member under "members").
  const nlohmann::json& training() const;
  /// Parameters, MACs and FLOPs per predicted frame of the windowed networks (all members).
  ComputeCost cost() const;
  /// Networks in the ensemble (≥ 1).
  std::int64_t members() const;
  /// Member k (0 ≤ k < members()) as a one-network model sharing its weights and metadata (the
  /// blend weight included).
  /// Throws ConfigError for k out of range.
  SpikeNet member(std::int64_t k) const;

  /// Expected spikes per frame (T values, ≥ 0) of one finite ΔF/F trace (T ≥ 2 frames) sampled
  /// at `sample_rate_hz`: resampled to the model rate, predicted for all frames at once (each
  /// network applied as convolutions over the whole trace, max(0, ·), averaged over members,
  /// aligned to OASIS when info().align says so, blended with OASIS when info().blend says so),
  /// then converted back to the input's frames. `delay_s`, when given, receives the alignment's
  /// delay [s] (0 without alignment). `native_fs` is the OASIS option native_fs_hz of the blend
  /// made at the input's rate (NaN: detected, 0: off, else the recorded rate). Throws ConfigError
  /// for a non-positive rate or non-finite values.
  std::vector<double> predict_trace(std::span<const double> dff, double sample_rate_hz,
                                    double* delay_s = nullptr, double native_fs = kNaN) const;
  /// predict_trace for every column of `dff` (T × N, trailing NaN padding kept); `delays_s`, when
  /// given, receives each column's alignment delay [s] (NaN for an empty column); `native_fs`,
  /// when given, holds predict_trace's native_fs for each column (N values). Throws ConfigError
  /// for NaN inside a column (naming unit and frame) and ShapeError for a wrong native_fs length.
  MatrixF predict(const MatrixF& dff, double sample_rate_hz, std::vector<double>* delays_s = nullptr,
                  const std::vector<double>* native_fs = nullptr) const;
  /// Predictions for windows (B × C·W, row b the window around one frame at the model rate,
  /// channel after channel, C = the model's input channels) by the windowed forward pass used in
  /// training (mean over members of max(0, net); the network alone, without the blend); for
  /// tests of the whole-trace path.
  std::vector<double> predict_windows(const MatrixF& windows) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Resampling between frame rates: spikes/resample.hpp, used here by these names.
using spikes::rebin_counts;
using spikes::resample_trace;
using spikes::resampled_length;

// ---------------------------------------------------------------------------------------------
// Finding and choosing shipped models
// ---------------------------------------------------------------------------------------------

/// The folders searched for spike models, in order: $NEURODL_MODEL_DIR alone when set;
/// otherwise <executable dir>/models/spikes, <executable dir>/../share/neurodl/models/spikes,
/// and the source tree's models/spikes compiled in at configure time.
std::vector<std::filesystem::path> spike_model_search_path();
/// The `*.h5` files of the first folder of spike_model_search_path() that has any, sorted.
/// Throws IoError listing the folders searched when none has.
std::vector<std::filesystem::path> find_spike_models();

/// Index of the model for data at `sample_rate_hz`: the nearest frame rate (in log rate; ties to
/// the higher rate), then among models at that rate the nearest noise level (in log noise; ties
/// to the noisier model). `noise_at(F)` gives the data's noise level after resampling to F (it
/// is called once, for the chosen rate). Throws ConfigError for an empty bank.
std::size_t select_spike_model(const std::vector<SpikeModelInfo>& bank, double sample_rate_hz,
                               const std::function<double(double)>& noise_at);

/// Gives the spike-inference registry's "deep" method its factory (spikes/registry.hpp). Called
/// by front ends that link neurodl::nets (an explicit call, because a static initialiser in a
/// static library is dropped by the linker when nothing references its object file).
void register_deep_spike_inference();

}  // namespace neurodl::nets
