#pragma once
// The Recording: neurodl's data model for one continuous recording session (or one segment of it).
//
// activity    T × N float32: rows are time samples, columns are units (neurons, ROIs, channels,
//             voxels). Sampled at `sample_rate_hz` from `start_time_s`, or at the explicit
//             `timestamps_s` when the samples are irregular.
// units       N entries: id, area, position in µm, optional spike times in s.
// behavior    named channels, each with its own timestamps and T_b × d values; resampled onto
//             activity time on request.
// stimuli     a table of presentations (onset/offset s, stimulus id, repeat index) and an optional
//             image stack indexed by stimulus id.
// truth       named ground-truth arrays stored beside the data (simulated spikes, rates, latents;
//             spike counts from juxtacellular recordings), each with its own shape.
// metadata    free-form key → value text.

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "neurodl/core/matrix.hpp"

namespace neurodl {

/// What the activity matrix measures.
enum class ActivityKind {
  unknown,
  fluorescence,  ///< raw fluorescence F (a.u.)
  dff,           ///< ΔF/F (dimensionless)
  spike_counts,  ///< spikes per sample bin
  rates,         ///< spikes/s
  deconvolved,   ///< deconvolved activity (e.g. suite2p spks; a.u.)
  voltage,       ///< membrane potential or extracellular voltage (V)
  current,       ///< membrane current (A)
  lfp,           ///< local field potential channel
  eeg,           ///< EEG channel
  ecog,          ///< ECoG channel
  bold,          ///< fMRI BOLD signal of a voxel or ROI
};

/// The lower-case name used in files, JSON and the CLI ("dff", "spike_counts", ...).
std::string to_string(ActivityKind kind);
/// Parses a name from to_string; throws ConfigError listing valid names for an unknown one.
ActivityKind activity_kind_from_string(const std::string& name);

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// One unit (neuron, ROI, channel, voxel): one column of the activity matrix.
struct Unit {
  std::string id;                                ///< unique within the recording
  std::string area;                              ///< brain area, empty when unknown
  std::array<double, 3> position_um{kNaN, kNaN, kNaN};  ///< x, y, z in µm; NaN when unknown
  std::vector<double> spike_times_s;             ///< sorted spike times in s (may be empty)
  bool operator==(const Unit& o) const;
};

/// A behavioural variable (running speed, pupil area, face-motion components, position, ...).
struct BehaviorChannel {
  std::string name;                   ///< e.g. "running_speed", "face_motion_svd"
  std::string unit;                   ///< physical unit, e.g. "cm/s"; empty when unknown
  std::vector<double> timestamps_s;   ///< T_b sample times in s, strictly increasing
  MatrixF values;                     ///< T_b × d values (d = 1 for a scalar channel)
  bool operator==(const BehaviorChannel& o) const;
};

/// One stimulus presentation.
struct StimulusEvent {
  double onset_s = kNaN;        ///< start of the presentation in s
  double offset_s = kNaN;       ///< end of the presentation in s
  std::int64_t stimulus_id = -1;  ///< index into the image stack (or a stimulus code)
  std::int64_t repeat = 0;      ///< 0-based repeat index of this stimulus
  bool operator==(const StimulusEvent& o) const = default;
};

/// Stimulus presentations and the optional images they show.
struct StimulusTable {
  std::vector<StimulusEvent> events;
  /// n_images × (height·width) float32, row i is image i (row-major pixels); may be empty.
  MatrixF images;
  std::int64_t image_height = 0;  ///< pixels
  std::int64_t image_width = 0;   ///< pixels
  bool operator==(const StimulusTable& o) const;
};

/// How behaviour is resampled onto activity time.
enum class Resample { linear, nearest };

/// One recording: see the file comment for the layout of each part.
class Recording {
 public:
  std::string name;                      ///< a short name (file stem, session or segment id)
  MatrixF activity;                      ///< T × N float32
  ActivityKind kind = ActivityKind::unknown;
  double sample_rate_hz = kNaN;          ///< NaN when the rate is unknown or samples irregular
  double start_time_s = 0.0;             ///< time of row 0 in s
  std::vector<double> timestamps_s;      ///< empty, or T explicit sample times in s
  std::vector<Unit> units;               ///< N entries, one per column of activity
  std::vector<BehaviorChannel> behavior;
  StimulusTable stimuli;
  std::map<std::string, MatrixF> truth;  ///< ground-truth arrays, e.g. "spikes" (T × N)
  std::map<std::string, std::string> metadata;

  std::int64_t n_samples() const { return activity.rows(); }
  std::int64_t n_units() const { return activity.cols(); }
  /// Duration in s (last minus first sample time plus one sample period when regular).
  double duration_s() const;
  /// T sample times in s: `timestamps_s` when given, else start + i / rate.
  std::vector<double> times_s() const;
  /// The channel of that name; throws ConfigError listing the available names if absent.
  const BehaviorChannel& behavior_channel(const std::string& name) const;
  /// Behaviour channels (all when `names` is empty) resampled onto activity time: T × Σd.
  /// Samples outside a channel's time range take its first/last value.
  MatrixF behavior_on_activity_time(const std::vector<std::string>& names = {},
                                    Resample method = Resample::linear) const;
  /// Fills unit ids "0".."N-1" where `units` is empty, and checks every size invariant below;
  /// throws ShapeError/ConfigError naming `source` (a file) on the first violation:
  /// units.size() == N; timestamps empty or size T and increasing; rate > 0 or NaN;
  /// each behaviour channel's timestamps match its rows; stimulus ids index the image stack.
  void validate(const std::string& source = {});
  bool operator==(const Recording& o) const;
};

}  // namespace neurodl
