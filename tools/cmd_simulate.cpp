// neurodl simulate: a ground-truth recording from a preset, written in neurodl's HDF5 layout.

#include <cstdio>

#include <fmt/format.h>

#include "commands.hpp"
#include "neurodl/io/neurodl_h5.hpp"
#include "neurodl/sim/simulate.hpp"
#include "summary.hpp"

namespace neurodl::cli {

Command add_simulate(CLI::App& app, Common& common) {
  struct Args {
    sim::SimOptions sim;
    std::string output;
    std::string json;
  };
  auto args = std::make_shared<Args>();
  std::string presets = "presets:";
  for (const auto& p : sim::presets()) presets += fmt::format("\n  {:<10} {}", p.name, p.description);
  auto* sub = app.add_subcommand("simulate", "simulate a recording with known ground truth");
  sub->footer(presets);
  add_option_specs(sub, sim::option_specs(args->sim));
  sub->add_option("-o,--output", args->output, "output file (neurodl HDF5 layout, .h5)")->required();
  sub->add_option("--json", args->json, "also write a JSON summary to this path");
  add_common_flags(sub, common);
  return {sub, [args, &common] {
            const auto recs = sim::simulate(args->sim);
            io::write_neurodl_h5(args->output, recs);
            nlohmann::json j{{"file", args->output}, {"options", option_values(sim::option_specs(args->sim))}};
            j["recordings"] = nlohmann::json::array();
            for (const auto& r : recs) j["recordings"].push_back(summarize(r));
            if (!args->json.empty()) write_json(args->json, j);
            if (!common.quiet) {
              std::printf("wrote %s (%zu recording%s)\n", args->output.c_str(), recs.size(),
                          recs.size() == 1 ? "" : "s");
              for (const auto& r : j["recordings"]) std::fputs(describe(r).c_str(), stdout);
            }
            return 0;
          }};
}

}  // namespace neurodl::cli
