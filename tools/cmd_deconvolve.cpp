#include "commands.hpp"

namespace neurodl::cli {
Command add_deconvolve(CLI::App& app, Common& common) {
  auto* sub = app.add_subcommand("deconvolve", "placeholder");
  add_common_flags(sub, common);
  return {sub, [] { return 0; }};
}
}  // namespace neurodl::cli
