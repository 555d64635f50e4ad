// neurodl info FILE: what a file holds, as readable text and (--json) as a machine summary.

#include <cstdio>

#include <fmt/format.h>

#include "commands.hpp"
#include "neurodl/io/registry.hpp"
#include "summary.hpp"

namespace neurodl::cli {

Command add_info(CLI::App& app, Common& common) {
  struct Args {
    std::string path;
    std::string format = "auto";
    std::string json;
    io::ReadOptions read;
  };
  auto args = std::make_shared<Args>();
  std::string formats_help = "file format (default: detected). Formats:";
  for (const auto& f : io::formats()) formats_help += fmt::format("\n  {:<16} {}", f.name, f.description);
  auto* sub = app.add_subcommand("info", "summarise a recording file or folder (any supported format)");
  sub->add_option("file", args->path, "file or folder to read")->required();
  sub->add_option("--format", args->format, formats_help)->capture_default_str();
  add_option_specs(sub, io::option_specs(args->read));
  sub->add_option("--json", args->json, "also write the summary as JSON to this path");
  add_common_flags(sub, common);
  return {sub, [args, &common] {
            const io::Format& f =
                args->format == "auto" ? io::detect_format(args->path) : io::format_by_name(args->format);
            const auto recs = io::read_recordings(args->path, args->read, f.name);
            nlohmann::json j{{"file", args->path}, {"format", f.name}, {"n_recordings", recs.size()}};
            j["recordings"] = nlohmann::json::array();
            for (const auto& r : recs) j["recordings"].push_back(summarize(r));
            if (!args->json.empty()) write_json(args->json, j);
            if (!common.quiet) {
              std::printf("%s: %s, %zu recording%s\n", args->path.c_str(), f.name, recs.size(),
                          recs.size() == 1 ? "" : "s");
              constexpr size_t kShown = 20;
              for (size_t i = 0; i < recs.size() && i < kShown; ++i)
                std::fputs(describe(j["recordings"][i]).c_str(), stdout);
              if (recs.size() > kShown)
                std::printf("… and %zu more (see --json for all)\n", recs.size() - kShown);
            }
            return 0;
          }};
}

}  // namespace neurodl::cli
