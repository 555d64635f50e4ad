#pragma once
// The subcommands of the neurodl executable. Each tools/cmd_<name>.cpp only parses, loads, calls
// the library and saves; no algorithm lives here.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "neurodl/core/options.hpp"
#include "neurodl/core/recording.hpp"

namespace neurodl::cli {

/// Options every subcommand takes.
struct Common {
  int threads = 0;     ///< --threads N: worker threads, 0 = one per core
  bool quiet = false;  ///< --quiet: no progress bars and no summary on stdout
};

/// A registered subcommand: its CLI11 app and what runs when it was chosen.
struct Command {
  CLI::App* app;
  std::function<int()> run;
};

/// Adds every subcommand to `app`.
std::vector<Command> register_commands(CLI::App& app, Common& common);
/// Applies --threads and --quiet before a command runs.
void apply_common(const Common& common);
/// Adds --threads and --quiet to a subcommand.
void add_common_flags(CLI::App* sub, Common& common);
/// Adds one CLI flag per OptionSpec (range and choices checked by CLI11).
void add_option_specs(CLI::App* sub, const std::vector<OptionSpec>& specs);
/// v as a JSON number, or null when it is NaN or infinite (JSON has neither).
nlohmann::json number_or_null(double v);
/// Writes JSON (indented) to `path` atomically.
void write_json(const std::filesystem::path& path, const nlohmann::json& j);
/// The frame rate a command works at: `given` (--fs) when finite, else the rate the file stores,
/// the same for every recording in it (within 1 %; the first one's). Throws ConfigError naming
/// `file` and --fs when the file stores none or its recordings disagree.
double frame_rate(double given, const std::vector<Recording>& recs, const std::string& file,
                  const std::string& component);

// One factory per subcommand (tools/cmd_<name>.cpp).
Command add_info(CLI::App& app, Common& common);
Command add_simulate(CLI::App& app, Common& common);
Command add_demo(CLI::App& app, Common& common);
Command add_fit(CLI::App& app, Common& common);
Command add_predict(CLI::App& app, Common& common);
Command add_dims(CLI::App& app, Common& common);
Command add_deconvolve(CLI::App& app, Common& common);
Command add_score_spikes(CLI::App& app, Common& common);
Command add_calibrate_spikes(CLI::App& app, Common& common);
Command add_train_spikes(CLI::App& app, Common& common);

}  // namespace neurodl::cli
