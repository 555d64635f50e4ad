// neurodl: one executable, one file per subcommand (tools/cmd_*.cpp). This file wires them up,
// applies the options every command shares (--threads, --quiet) and turns errors into one line
// on standard error with exit code 2.

#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "neurodl/core/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"neurodl: deep learning and prediction on neural recordings"};
  app.set_version_flag("--version", std::string(NEURODL_VERSION));
  app.require_subcommand(1);
  neurodl::cli::Common common;
  std::vector<neurodl::cli::Command> cmds = neurodl::cli::register_commands(app, common);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version exit 0; a bad command line is a user error: exit code 2.
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    neurodl::cli::apply_common(common);
    for (auto& c : cmds)
      if (c.app->parsed()) return c.run();
  } catch (const neurodl::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "internal error: %s\n", e.what());
    return 3;
  }
  return 0;
}
