#include "commands.hpp"

namespace neurodl::cli {
Command add_score_spikes(CLI::App& app, Common& common) {
  auto* sub = app.add_subcommand("score-spikes", "placeholder");
  add_common_flags(sub, common);
  return {sub, [] { return 0; }};
}
}  // namespace neurodl::cli
