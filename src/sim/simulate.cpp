// The simulator's front door: the option table, option checks, and the registry of presets.

#include "neurodl/sim/simulate.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <type_traits>

#include "detail.hpp"
#include "neurodl/core/error.hpp"

namespace neurodl::sim {
namespace {

struct Entry {
  const char* description;
  std::vector<Recording> (*run)(const SimOptions&);
};

// name → factory. Adding a preset is one line here plus its .cpp (STYLE.md: no if/else chains).
const std::map<std::string, Entry>& registry() {
  static const std::map<std::string, Entry> r{
      {"calcium",
       {"ΔF/F of neurons with known spike times, per-unit GCaMP-like kernels and noise levels "
        "(one recording per frame rate 7.5/15/30/60 Hz unless --fs)",
        &detail::simulate_calcium}},
      {"images",
       {"V1-like simple/complex cells viewing procedural images, with analytic noise ceilings",
        &detail::simulate_images}},
      {"spont",
       {"spontaneous spike counts of chained areas driven by behaviour (nonlinearly) and latent "
        "dynamics, with a low-rank communication subspace",
        &detail::simulate_spont}},
  };
  return r;
}

std::string preset_names() {
  std::string s;
  for (const auto& [name, entry] : registry()) s += (s.empty() ? "" : ", ") + name;
  return s;
}

std::string range_text(const OptionSpec& s) {
  return detail::number_text(s.min) + ".." + detail::number_text(s.max);
}

// Checks every numeric option against its row of option_specs(); -1 (integers) and NaN (reals)
// stand for the preset default and pass.
void check_ranges(SimOptions o) {
  for (const auto& spec : option_specs(o)) {
    std::visit(
        [&](auto* p) {
          using T = std::remove_pointer_t<decltype(p)>;
          bool ok = true;
          std::string got;
          if constexpr (std::is_same_v<T, std::int64_t>) {
            ok = *p == -1 ||
                 (static_cast<double>(*p) >= spec.min && static_cast<double>(*p) <= spec.max);
            got = std::to_string(*p);
          } else if constexpr (std::is_same_v<T, double>) {
            ok = std::isnan(*p) || (std::isfinite(*p) && *p >= spec.min && *p <= spec.max);
            got = detail::number_text(*p);
          }
          check(ok, ErrorKind::config,
                {.component = "sim",
                 .what = "option out of range",
                 .expected = range_text(spec),
                 .got = got,
                 .unit = spec.unit,
                 .field = spec.name});
        },
        spec.target);
  }
}

}  // namespace

std::vector<OptionSpec> option_specs(SimOptions& o) {
  std::vector<std::string> names;
  for (const auto& [name, entry] : registry()) names.push_back(name);
  return {
      {.name = "preset", .help = "simulation preset", .target = &o.preset, .choices = names},
      {.name = "seed",
       .help = "seed of every random draw (same options and seed: identical output)",
       .target = &o.seed,
       .min = 0},
      {.name = "units",
       .help = "number of units (default: spont 600, images 200, calcium 50)",
       .target = &o.units,
       .min = 1,
       .max = 1e6},
      {.name = "frames",
       .help = "number of frames per recording (default: spont 9000; images n_images × repeats "
               "1-s trials; calcium 300 s)",
       .target = &o.frames,
       .min = 1,
       .max = 1e8},
      {.name = "fs_hz",
       .help = "frame rate (default 30; calcium: four recordings at 7.5, 15, 30 and 60)",
       .unit = "Hz",
       .target = &o.fs_hz,
       .min = 0.01,
       .max = 1e5,
       .flag = "--fs"},
      {.name = "areas",
       .help = "spont: number of chained brain areas (default 3: V1, HVA, M2)",
       .target = &o.areas,
       .min = 1,
       .max = 26},
      {.name = "comm_rank",
       .help = "spont: rank of the communication subspace between consecutive areas (default 2)",
       .target = &o.comm_rank,
       .min = 0,
       .max = 8},
      {.name = "dispersion",
       .help = "spont: gamma-Poisson shape of spike counts, variance mu + mu^2/shape "
               "(default 0: Poisson)",
       .target = &o.dispersion,
       .min = 0,
       .max = 1e6},
      {.name = "n_images",
       .help = "images: number of distinct procedural images (default 120)",
       .target = &o.n_images,
       .min = 1,
       .max = 1e5},
      {.name = "repeats",
       .help = "images: presentations of each image (default 10)",
       .target = &o.repeats,
       .min = 1,
       .max = 1e5},
      {.name = "image_px",
       .help = "images: side of the square images (default 32)",
       .unit = "px",
       .target = &o.image_px,
       .min = 8,
       .max = 512},
      {.name = "behavior_gain",
       .help = "images: mean per-neuron running gain: rate x exp(gain * running z-score), gains "
               "~ N(mean, (|mean|/2)^2), in log rate per s.d. of running (default 0: none)",
       .target = &o.behavior_gain,
       .min = -2,
       .max = 2},
  };
}

const std::vector<Preset>& presets() {
  static const std::vector<Preset> list = [] {
    std::vector<Preset> v;
    for (const auto& [name, entry] : registry()) v.push_back({name.c_str(), entry.description});
    return v;
  }();
  return list;
}

std::vector<Recording> simulate(const SimOptions& options) {
  const auto it = registry().find(options.preset);
  check(it != registry().end(), ErrorKind::config,
        {.component = "sim",
         .what = "unknown preset",
         .expected = "one of " + preset_names(),
         .got = "'" + options.preset + "'",
         .field = "preset"});
  check_ranges(options);
  auto recs = it->second.run(options);
  for (auto& r : recs) r.validate("sim." + options.preset);
  return recs;
}

namespace detail {

std::string number_text(double x) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

void add_common_metadata(Recording& rec, const SimOptions& resolved, const char* description) {
  rec.metadata["generator"] = "neurodl.sim";
  rec.metadata["generator_version"] = kGeneratorVersion;
  rec.metadata["rng"] = "xoshiro256** seeded by splitmix64(seed, stream)";
  rec.metadata["description"] = description;
  SimOptions copy = resolved;
  for (const auto& spec : option_specs(copy)) {
    std::visit(
        [&](auto* p) {
          using T = std::remove_pointer_t<decltype(p)>;
          if constexpr (std::is_same_v<T, std::string>) {
            rec.metadata[spec.name] = *p;
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            if (*p != -1) rec.metadata[spec.name] = std::to_string(*p);
          } else if constexpr (std::is_same_v<T, std::uint64_t>) {
            rec.metadata[spec.name] = std::to_string(*p);
          } else if constexpr (std::is_same_v<T, double>) {
            if (!std::isnan(*p)) rec.metadata[spec.name] = number_text(*p);
          } else if constexpr (std::is_same_v<T, bool>) {
            rec.metadata[spec.name] = *p ? "true" : "false";
          } else {  // a list of numbers
            std::string text;
            for (const auto& v : *p)
              text += (text.empty() ? "" : ",") + number_text(static_cast<double>(v));
            rec.metadata[spec.name] = text;
          }
        },
        spec.target);
  }
}

}  // namespace detail
}  // namespace neurodl::sim
