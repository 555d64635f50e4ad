#include "commands.hpp"

namespace neurodl::cli {
Command add_dims(CLI::App& app, Common& common) {
  auto* sub = app.add_subcommand("dims", "placeholder");
  add_common_flags(sub, common);
  return {sub, [] { return 0; }};
}
}  // namespace neurodl::cli
