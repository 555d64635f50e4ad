#pragma once
// Ground-truth simulator: deterministic synthetic recordings that carry the truth every later
// analysis is checked against. See docs/simulator.md for the generative model of each preset.

#include <cstdint>
#include <string>
#include <vector>

#include "neurodl/core/options.hpp"
#include "neurodl/core/recording.hpp"

namespace neurodl::sim {

/// Options of `neurodl simulate`; -1 / NaN mean "the preset's default".
struct SimOptions {
  /// Preset name: spont, images or calcium (see presets()).
  std::string preset = "spont";
  /// Seed of every random draw; equal options and seed give bit-identical recordings.
  std::uint64_t seed = 0;
  /// Number of units (neurons); -1: preset default.
  std::int64_t units = -1;
  /// Number of frames (time samples); -1: preset default.
  std::int64_t frames = -1;
  /// Frame rate in Hz; NaN: preset default (30 Hz; calcium: one recording per rate of 7.5, 15,
  /// 30 and 60 Hz).
  double fs_hz = kNaN;
};

/// The option table of SimOptions, bound to `o` (drives the CLI flags and JSON keys).
std::vector<OptionSpec> option_specs(SimOptions& o);

/// One registered preset.
struct Preset {
  const char* name;
  const char* description;  ///< one line for --help
};
/// Every preset, in the order --help lists them.
const std::vector<Preset>& presets();

/// Simulates the preset; throws ConfigError for an unknown preset (listing the valid names) or
/// out-of-range sizes. Returns one recording (several for the calcium preset without fs_hz).
std::vector<Recording> simulate(const SimOptions& options);

}  // namespace neurodl::sim
