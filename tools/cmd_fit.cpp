// neurodl fit: fit a predictive model of Y (T × q) from X (T × p) with time-block
// cross-validation, save it, and report the cross-validated metrics as text and JSON.
//
// Flags are the union of every registered model's option table; only the flags a user gives are
// passed on, and a flag that does not apply to the chosen model is an error (never ignored).

#include <chrono>
#include <cstdio>
#include <map>
#include <tuple>
#include <variant>

#include <fmt/format.h>

#include "commands.hpp"
#include "models.hpp"
#include "neurodl/core/error.hpp"
#include "neurodl/core/threads.hpp"
#include "neurodl/io/model_file.hpp"
#include "neurodl/io/select.hpp"

namespace neurodl::cli {
namespace {

// Storage for one flag of the union, whatever its type.
using Value = std::variant<std::int64_t, std::uint64_t, double, std::string, bool,
                           std::vector<double>, std::vector<std::int64_t>>;

struct FitArgs {
  std::string x, x2, y, model, output, json;
  std::uint64_t seed = 0;
  io::ReadOptions read;
  std::map<std::string, Value> values;          // one per distinct option name
  std::map<std::string, CLI::Option*> options;  // to see which were given
};

std::string summary_text(const nlohmann::json& s) {
  std::string out = fmt::format("{}: {} samples, {} features → {} targets; cross-validated R² {:.4f}",
                                s.value("model", "?"), s.value("n_samples", 0), s.value("n_features", 0),
                                s.value("n_targets", 0), s.value("cv_r2_mean", 0.0));
  if (s.contains("rank")) out += fmt::format(", rank {}", s["rank"].dump());
  if (s.contains("latents")) out += fmt::format(", {} latents", s["latents"].dump());
  if (s.contains("fit_seconds")) out += fmt::format(" ({:.2f} s)", s["fit_seconds"].get<double>());
  out += "\n";
  // Curves are arrays of {rank|k, cv_r2_mean, ...}: print them as "rank:R²" pairs.
  for (const auto& [key, index, label] :
       {std::tuple{"rank_curve", "rank", "rank curve (rank:CV R²)"},
        std::tuple{"latent_curve", "k", "latent curve (k:CV R²)"},
        std::tuple{"rrr_curve", "rank", "reduced-rank regression (rank:CV R²)"}}) {
    if (!s.contains(key) || !s[key].is_array()) continue;
    out += fmt::format("  {}:", label);
    for (const auto& p : s[key])
      if (p.contains(index) && p.contains("cv_r2_mean"))
        out += fmt::format(" {}:{:.4f}", p[index].dump(), p["cv_r2_mean"].get<double>());
    out += "\n";
  }
  return out;
}

}  // namespace

Command add_fit(CLI::App& app, Common& common) {
  auto args = std::make_shared<FitArgs>();
  std::string names;
  for (const auto& [n, f] : all_models()) names += (names.empty() ? "" : "|") + n;
  auto* sub = app.add_subcommand("fit", "fit a model predicting Y from X, cross-validated in time blocks");
  sub->add_option("--x", args->x, "features X: FILE.npy or FILE:PART (see `neurodl fit --help` footer)")->required();
  sub->add_option("--x2", args->x2,
                  "second input, columns appended to X (same rows); for --model joint the behaviour "
                  "(e.g. a .npy with one row per presentation) beside the images of --x");
  sub->add_option("--y", args->y, "targets Y: FILE.npy or FILE:PART")->required();
  sub->add_option("--model", args->model, "model: " + names)->required();
  sub->add_option("-o,--output", args->output, "where to save the fitted model (.h5)")->required();
  sub->add_option("--json", args->json, "write the summary (cv_r2, cv_r2_mean, ...) as JSON here");
  sub->add_option("--seed", args->seed, "random seed (models that draw random numbers)")->capture_default_str();
  add_option_specs(sub, io::option_specs(args->read));
  // The union of the models' options, each flag added once with the first model's help.
  for (const auto& [model_name, factory] : all_models()) {
    auto model = factory();
    for (const auto& spec : model->option_specs()) {
      if (spec.name == "seed" || args->values.count(spec.name)) continue;
      OptionSpec s = spec;
      Value& v = args->values[s.name];
      std::visit([&](auto* t) { v = *t; }, spec.target);
      std::visit([&](auto& stored) { s.target = &stored; }, v);
      add_option_specs(sub, {s});
      args->options[s.name] = sub->get_option(flag_of(s));
    }
  }
  sub->footer(
      "X and Y: a .npy file (rows = time samples) or FILE:PART of any recording file, e.g.\n"
      "  rec.h5:activity  rec.h5:activity?area=V1  rec.h5:behavior  rec.h5:behavior/running_speed\n"
      "  rec.h5:truth/latents  (add ?recording=N for files holding several recordings)");
  add_common_flags(sub, common);
  return {sub, [args, &common] {
            auto model = make_model(args->model);
            nlohmann::json given = nlohmann::json::object();
            for (const auto& [name, opt] : args->options)
              if (opt->count() > 0) std::visit([&](const auto& v) { given[name] = v; }, args->values.at(name));
            bool has_seed = false;
            for (const auto& s : model->option_specs()) has_seed = has_seed || s.name == "seed";
            if (has_seed) given["seed"] = args->seed;

            auto x = io::select_matrix(args->x, args->read);
            const auto y = io::select_matrix(args->y, args->read);
            io::check_paired(x, y);
            if (!args->x2.empty()) {
              const auto x2 = io::select_matrix(args->x2, args->read);
              io::check_paired(x, x2);
              x.data.conservativeResize(Eigen::NoChange, x.data.cols() + x2.data.cols());
              x.data.rightCols(x2.data.cols()) = x2.data;
              // A model with a behavior_columns option (joint) learns from here which columns
              // are the second input.
              bool takes_columns = false;
              for (const auto& spec : model->option_specs()) takes_columns = takes_columns || spec.name == "behavior_columns";
              if (takes_columns) {
                const auto given_cols = given.value("behavior_columns", x2.data.cols());
                if (given_cols != x2.data.cols())
                  raise(ErrorKind::config, {.component = "fit", .what = "--behavior-columns differs from the columns of --x2",
                                            .expected = std::to_string(x2.data.cols()), .got = std::to_string(given_cols),
                                            .field = "--behavior-columns"});
                given["behavior_columns"] = x2.data.cols();
              }
            }
            apply_options(model->option_specs(), given, "fit --model " + args->model);
            const auto t0 = std::chrono::steady_clock::now();
            model->fit(x.data, y.data);
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            ModelState state = model->state();
            state.params["x_source"] = args->x;
            if (!args->x2.empty()) state.params["x2_source"] = args->x2;
            state.params["y_source"] = args->y;
            io::write_model(args->output, state);
            nlohmann::json s = model->summary();
            if (!s.contains("fit_seconds")) s["fit_seconds"] = seconds;
            s["x"] = args->x;
            if (!args->x2.empty()) s["x2"] = args->x2;
            s["y"] = args->y;
            s["output"] = args->output;
            s["options"] = option_values(model->option_specs());
            s["threads"] = num_threads();
            if (!args->json.empty()) write_json(args->json, s);
            if (!common.quiet) std::fputs(summary_text(s).c_str(), stdout);
            return 0;
          }};
}

}  // namespace neurodl::cli
