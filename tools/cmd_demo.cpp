// neurodl demo: the main job, on embedded default data (the simulator's presets, so no download).
// It grows with every capability; today it simulates each preset, writes it in neurodl's HDF5
// layout, reads it back, checks the round trip is exact and reports what the recordings hold.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "commands.hpp"
#include "neurodl/core/error.hpp"
#include "neurodl/io/neurodl_h5.hpp"
#include "neurodl/io/registry.hpp"
#include "neurodl/sim/simulate.hpp"
#include "summary.hpp"

namespace neurodl::cli {
namespace {

struct DemoArgs {
  std::uint64_t seed = 1;
  std::string out_dir;
  std::string json;
};

// Simulates one preset, writes it, reads it back and checks every field survived exactly.
nlohmann::json run_preset(const std::string& preset, const DemoArgs& args,
                          const std::filesystem::path& dir, bool quiet) {
  sim::SimOptions opt;
  opt.preset = preset;
  opt.seed = args.seed;
  if (preset == "calcium") opt.fs_hz = 30.0;  // one rate keeps the demo short
  const auto t0 = std::chrono::steady_clock::now();
  const auto recs = sim::simulate(opt);
  const auto t1 = std::chrono::steady_clock::now();
  const auto path = dir / (preset + ".h5");
  io::write_neurodl_h5(path, recs);
  const auto back = io::read_recordings(path);
  const auto t2 = std::chrono::steady_clock::now();
  const bool exact = back == recs;
  check(exact, ErrorKind::io,
        {.component = "demo", .what = "round trip through neurodl's HDF5 layout changed the data",
         .file = path.string()});
  nlohmann::json j{{"preset", preset},
                   {"file", path.string()},
                   {"simulate_seconds", std::chrono::duration<double>(t1 - t0).count()},
                   {"write_read_seconds", std::chrono::duration<double>(t2 - t1).count()},
                   {"round_trip_exact", exact}};
  j["recordings"] = nlohmann::json::array();
  for (const auto& r : recs) j["recordings"].push_back(summarize(r));
  if (!quiet) {
    std::printf("\n== preset %s: simulated in %.2f s, written and read back in %.2f s (exact)\n",
                preset.c_str(), j["simulate_seconds"].get<double>(),
                j["write_read_seconds"].get<double>());
    for (const auto& r : j["recordings"]) std::fputs(describe(r).c_str(), stdout);
  }
  return j;
}

}  // namespace

Command add_demo(CLI::App& app, Common& common) {
  auto args = std::make_shared<DemoArgs>();
  auto* sub = app.add_subcommand(
      "demo", "the main job on built-in simulated data: simulate, write, read back, report");
  sub->add_option("--seed", args->seed, "random seed of the simulated recordings")->capture_default_str();
  sub->add_option("--out-dir", args->out_dir,
                  "keep the simulated files in this folder (default: a temporary folder, removed)");
  sub->add_option("--json", args->json, "also write the demo's results as JSON to this path");
  add_common_flags(sub, common);
  return {sub, [args, &common] {
            namespace fs = std::filesystem;
            const bool keep = !args->out_dir.empty();
            const fs::path dir = keep ? fs::path(args->out_dir)
                                      : fs::temp_directory_path() /
                                            fmt::format("neurodl-demo-{}", ::getpid());
            fs::create_directories(dir);
            struct Cleanup {
              fs::path dir;
              bool keep;
              ~Cleanup() {
                std::error_code ec;
                if (!keep) fs::remove_all(dir, ec);
              }
            } cleanup{dir, keep};
            if (!common.quiet)
              std::printf("neurodl demo: simulated recordings with known ground truth (seed %llu)\n",
                          static_cast<unsigned long long>(args->seed));
            nlohmann::json j{{"seed", args->seed}, {"presets", nlohmann::json::array()}};
            for (const char* preset : {"spont", "images", "calcium"})
              j["presets"].push_back(run_preset(preset, *args, dir, common.quiet));
            if (!args->json.empty()) write_json(args->json, j);
            if (!common.quiet && keep) std::printf("\nfiles kept in %s\n", dir.c_str());
            return 0;
          }};
}

}  // namespace neurodl::cli
