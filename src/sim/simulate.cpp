// Placeholder until the simulator lands.
#include "neurodl/sim/simulate.hpp"

#include "neurodl/core/error.hpp"

namespace neurodl::sim {
std::vector<OptionSpec> option_specs(SimOptions& o) {
  return {{.name = "preset", .help = "preset name", .target = &o.preset},
          {.name = "seed", .help = "random seed", .target = &o.seed},
          {.name = "units", .help = "number of units", .target = &o.units},
          {.name = "frames", .help = "number of frames", .target = &o.frames},
          {.name = "fs_hz", .help = "frame rate", .unit = "Hz", .target = &o.fs_hz, .flag = "--fs"}};
}
const std::vector<Preset>& presets() {
  static const std::vector<Preset> p;
  return p;
}
std::vector<Recording> simulate(const SimOptions&) { throw ConfigError("sim: not implemented yet"); }
}  // namespace neurodl::sim
