#include "commands.hpp"

namespace neurodl::cli {
Command add_demo(CLI::App& app, Common& common) {
  auto* sub = app.add_subcommand("demo", "placeholder");
  add_common_flags(sub, common);
  return {sub, [] { return 0; }};
}
}  // namespace neurodl::cli
