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
  if (argc > 1 && argv[1][0] != '-') {
    // An unknown command word: name it and list the commands, on one line.
    std::string valid;
    bool known = false;
    for (const auto& c : cmds) {
      known = known || c.app->get_name() == argv[1];
      valid += (valid.empty() ? "" : ", ") + c.app->get_name();
    }
    if (!known) {
      std::fprintf(stderr, "error: unknown command '%s' (expected one of %s)\n", argv[1], valid.c_str());
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version print and exit 0; a bad command line is one line and exit code 2.
    if (e.get_exit_code() == 0) return app.exit(e);
    std::string msg = e.what();
    for (char& c : msg)
      if (c == '\n') c = ' ';
    std::fprintf(stderr, "error: %s (see --help)\n", msg.c_str());
    return 2;
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
