#pragma once
// Ground-truth simulator: deterministic synthetic recordings that carry the truth every later
// analysis is checked against. See docs/simulator.md for the generative model of each preset,
// the truth arrays it stores (Recording::truth) and their shapes.
//
// Determinism: equal options give bit-identical recordings whatever the thread count; every
// random draw comes from neurodl::Rng with one stream per purpose and per unit.

#include <cstdint>
#include <string>
#include <vector>

#include "neurodl/core/options.hpp"
#include "neurodl/core/recording.hpp"

namespace neurodl::sim {

/// Version of the generative models, stored in every recording's metadata ("generator_version").
/// Bumped whenever a seed would give different numbers.
constexpr const char* kGeneratorVersion = "1";

/// Options of `neurodl simulate`; -1 / NaN mean "the preset's default". Options that a preset
/// does not use are ignored by it (each help line in option_specs() names the presets).
struct SimOptions {
  /// Preset name: spont, images or calcium (see presets()).
  std::string preset = "spont";
  /// Seed of every random draw; equal options and seed give bit-identical recordings.
  std::uint64_t seed = 0;
  /// Number of units (neurons); -1: preset default (spont 600, images 200, calcium 50).
  std::int64_t units = -1;
  /// Number of frames (time samples); -1: preset default (spont 9000; images: n_images × repeats
  /// trials of 1 s; calcium: 300 s at each rate). For calcium every recording gets this count.
  std::int64_t frames = -1;
  /// Frame rate in Hz; NaN: preset default (30 Hz; calcium: one recording per rate of 7.5, 15,
  /// 30 and 60 Hz).
  double fs_hz = kNaN;
  /// spont: number of brain areas, chained upstream → downstream; -1: 3 (V1, HVA, M2).
  std::int64_t areas = -1;
  /// spont: rank of the communication subspace between consecutive areas (≤ 8 latents per area);
  /// -1: 2.
  std::int64_t comm_rank = -1;
  /// spont: gamma–Poisson shape r of the spike counts (variance μ + μ²/r); 0 or NaN: Poisson.
  double dispersion = kNaN;
  /// images: number of distinct procedural images; -1: 120.
  std::int64_t n_images = -1;
  /// images: presentations of each image (sets the default frame count); -1: 10.
  std::int64_t repeats = -1;
  /// images: image side length in pixels (square images); -1: 32.
  std::int64_t image_px = -1;
  /// images: mean G of the per-neuron running gains γ_i ~ N(G, (|G|/2)²): the rate is multiplied
  /// by exp(γ_i · z(t)), z the running speed standardised over the recording (so γ_i is the
  /// change of log rate per s.d. of running); NaN: 0 (no behavioural modulation, the responses
  /// of generator version 1).
  double behavior_gain = kNaN;
};

/// The option table of SimOptions, bound to `o` (drives the CLI flags and JSON keys).
/// Ranges are inclusive; the -1 / NaN defaults above are outside them on purpose.
std::vector<OptionSpec> option_specs(SimOptions& o);

/// One registered preset.
struct Preset {
  const char* name;
  const char* description;  ///< one line for --help
};
/// Every preset, in the order --help lists them (alphabetical).
const std::vector<Preset>& presets();

/// Simulates the preset; throws ConfigError for an unknown preset (listing the valid names) or
/// an out-of-range option (naming it). Returns one recording (several for the calcium preset
/// without fs_hz, one per frame rate). Each recording passes Recording::validate().
std::vector<Recording> simulate(const SimOptions& options);

}  // namespace neurodl::sim
