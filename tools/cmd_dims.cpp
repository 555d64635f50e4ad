// neurodl dims FILE --method NAME: dimensionality of a recording (PCA, cvPCA, SVCA, peer and
// area-to-area prediction). Flags are the union of the methods' option tables; only the flags
// given on the command line are passed on, and a flag the chosen method does not have is refused
// by the library (linear::run_dims) with the list of its options.

#include <cstdio>

#include <fmt/format.h>

#include "commands.hpp"
#include "neurodl/core/error.hpp"
#include "neurodl/io/registry.hpp"
#include "neurodl/linear/dims.hpp"

namespace neurodl::cli {
namespace {

// One flag per option name over all methods. The first method with a name owns the flag's
// storage; choices and ranges of the same name in other methods are merged in.
struct DimsFlags {
  std::vector<std::unique_ptr<linear::DimsRun>> holders;  // storage the flags write into
  std::vector<OptionSpec> specs;                           // merged, one per name
  std::vector<size_t> owner;                               // holder of each merged spec
};

DimsFlags merged_flags() {
  DimsFlags f;
  for (const auto& [name, method] : linear::dims_methods()) {
    f.holders.push_back(method.make());
    for (auto& s : f.holders.back()->option_specs()) {
      auto it = std::find_if(f.specs.begin(), f.specs.end(), [&](const OptionSpec& m) { return m.name == s.name; });
      if (it == f.specs.end()) {
        f.specs.push_back(s);
        f.owner.push_back(f.holders.size() - 1);
        continue;
      }
      if (it->target.index() != s.target.index())
        throw InternalError("dims: option " + s.name + " has different types in two methods");
      it->min = std::min(it->min, s.min);
      it->max = std::max(it->max, s.max);
      if (it->choices.empty() || s.choices.empty()) {
        it->choices.clear();
      } else {
        for (const auto& c : s.choices)
          if (std::find(it->choices.begin(), it->choices.end(), c) == it->choices.end()) it->choices.push_back(c);
      }
    }
  }
  return f;
}

}  // namespace

Command add_dims(CLI::App& app, Common& common) {
  struct Args {
    std::string path;
    std::string format = "auto";
    std::string method;
    std::string json;
    std::int64_t recording = 0;
    io::ReadOptions read;
    DimsFlags flags = merged_flags();
  };
  auto args = std::make_shared<Args>();
  std::string methods = "methods (--method) and their options with defaults:";
  for (const auto& [name, m] : linear::dims_methods()) {
    methods += fmt::format("\n  {:<6} {}\n         ", name, m.description);
    auto run = m.make();
    std::string opts;
    const nlohmann::json defaults = option_values(run->option_specs());
    for (const auto& [key, value] : defaults.items())
      opts += fmt::format("{}{}={}", opts.empty() ? "" : ", ", key, value.dump());
    methods += opts;
  }
  auto* sub = app.add_subcommand("dims", "dimensionality of a recording: pca, cvpca, svca, peer, areas");
  sub->footer(methods);
  sub->add_option("file", args->path, "file or folder to read (any supported format)")->required();
  sub->add_option("--method", args->method, "pca, cvpca, svca, peer or areas")->required();
  sub->add_option("--json", args->json, "write the full result (spectra, per-unit R²) as JSON to this path");
  sub->add_option("--format", args->format, "file format (default: detected)")->capture_default_str();
  sub->add_option("--recording", args->recording, "which recording of a multi-recording file (0-based)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  add_option_specs(sub, io::option_specs(args->read));
  add_option_specs(sub, args->flags.specs);
  add_common_flags(sub, common);
  return {sub, [args, sub, &common] {
            // The chosen method's options: the flags given on the command line, by name.
            nlohmann::json options = nlohmann::json::object();
            for (size_t i = 0; i < args->flags.specs.size(); ++i) {
              const auto& spec = args->flags.specs[i];
              if (sub->count(flag_of(spec)) == 0) continue;
              auto values = option_values(args->flags.holders[args->flags.owner[i]]->option_specs());
              options[spec.name] = values[spec.name];
            }
            linear::dims_method(args->method);  // an unknown name fails before the file is read
            auto recs = io::read_recordings(args->path, args->read, args->format);
            check(args->recording < static_cast<std::int64_t>(recs.size()), ErrorKind::config,
                  {.component = "dims", .what = "no such recording",
                   .expected = "0.." + std::to_string(recs.size() - 1), .got = std::to_string(args->recording),
                   .file = args->path, .field = "--recording"});
            nlohmann::json j = linear::run_dims(args->method, recs[static_cast<size_t>(args->recording)], options);
            j["file"] = args->path;
            if (!args->json.empty()) write_json(args->json, j);
            if (!common.quiet) {
              std::printf("%s: %s, %lld × %lld\n", args->path.c_str(), j["recording"].get<std::string>().c_str(),
                          static_cast<long long>(j["n_samples"].get<std::int64_t>()),
                          static_cast<long long>(j["n_units"].get<std::int64_t>()));
              std::fputs(linear::describe_dims(j).c_str(), stdout);
            }
            return 0;
          }};
}

}  // namespace neurodl::cli
