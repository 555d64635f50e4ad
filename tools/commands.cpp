#include "commands.hpp"

#include <cmath>
#include <fstream>

#include <fmt/format.h>

#include "neurodl/core/atomic_file.hpp"
#include "neurodl/core/error.hpp"
#include "neurodl/core/progress.hpp"
#include "neurodl/core/threads.hpp"

namespace neurodl::cli {

std::vector<Command> register_commands(CLI::App& app, Common& common) {
  return {add_info(app, common),    add_simulate(app, common), add_fit(app, common),
          add_predict(app, common), add_dims(app, common),     add_deconvolve(app, common),
          add_score_spikes(app, common), add_calibrate_spikes(app, common), add_train_spikes(app, common),
          add_demo(app, common)};
}

void apply_common(const Common& common) {
  set_num_threads(common.threads);
  Progress::set_quiet(common.quiet);
}

void add_common_flags(CLI::App* sub, Common& common) {
  sub->add_option("--threads", common.threads, "worker threads (0: one per core)")
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("--quiet", common.quiet, "no progress bars, no summary on standard output");
}

namespace {
// A range check whose message is short and states the bound that was broken.
CLI::Validator range_validator(double lo, double hi) {
  auto text = [](double v) { return fmt::format("{:g}", v); };
  std::string desc = std::isfinite(hi) ? "in [" + text(lo) + ", " + text(hi) + "]" : ">= " + text(lo);
  return CLI::Validator(
      [lo, hi, desc](std::string& input) -> std::string {
        double v = 0;
        try {
          size_t used = 0;
          v = std::stod(input, &used);
          if (used != input.size()) return "'" + input + "' is not a number";
        } catch (const std::exception&) {
          return "'" + input + "' is not a number";
        }
        if (std::isnan(v) || v < lo || v > hi) return "value " + input + " out of range (expected " + desc + ")";
        return {};
      },
      desc);
}
}  // namespace

void add_option_specs(CLI::App* sub, const std::vector<OptionSpec>& specs) {
  for (const auto& s : specs) {
    std::string help = s.help;
    if (!s.unit.empty()) help += " [" + s.unit + "]";
    CLI::Option* opt = std::visit(
        [&](auto* target) -> CLI::Option* {
          using T = std::remove_pointer_t<decltype(target)>;
          if constexpr (std::is_same_v<T, bool>) {
            return sub->add_flag(flag_of(s), *target, help);
          } else if constexpr (std::is_same_v<T, double>) {
            // NaN means "unset": say so instead of printing nan as a default.
            if (std::isnan(*target))
              return sub->add_option(flag_of(s), *target,
                                     help.find("default") == std::string::npos ? help + " (default: unset)" : help);
            return sub->add_option(flag_of(s), *target, help)->capture_default_str();
          } else if constexpr (std::is_same_v<T, std::vector<double>> ||
                               std::is_same_v<T, std::vector<std::int64_t>>) {
            return sub->add_option(flag_of(s), *target, help + " (comma-separated)")
                ->delimiter(',')
                ->capture_default_str();
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            // A negative count is a "preset/model default" sentinel: the help text says which.
            if (*target < 0) return sub->add_option(flag_of(s), *target, help);
            return sub->add_option(flag_of(s), *target, help)->capture_default_str();
          } else {
            return sub->add_option(flag_of(s), *target, help)->capture_default_str();
          }
        },
        s.target);
    if (!s.choices.empty()) opt->check(CLI::IsMember(s.choices));
    if (std::isfinite(s.min) || std::isfinite(s.max)) opt->check(range_validator(s.min, s.max));
  }
}

void write_json(const std::filesystem::path& path, const nlohmann::json& j) {
  AtomicFile out(path);
  {
    std::ofstream f(out.temp_path());
    f << j.dump(2) << "\n";
    check(static_cast<bool>(f), ErrorKind::io,
          {.component = "output", .what = "cannot write JSON", .file = path.string()});
  }
  out.commit();
}

nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

double frame_rate(double given, const std::vector<Recording>& recs, const std::string& file,
                  const std::string& component) {
  if (std::isfinite(given)) return given;
  check(!recs.empty() && std::isfinite(recs.front().sample_rate_hz), ErrorKind::config,
        {.component = component, .what = "the frame rate is required (the file stores none)",
         .expected = "--fs HZ", .got = "none", .file = file, .field = "--fs"});
  const double fs = recs.front().sample_rate_hz;
  for (const auto& r : recs)
    check(std::isfinite(r.sample_rate_hz) && std::abs(r.sample_rate_hz - fs) <= 0.01 * fs, ErrorKind::config,
          {.component = component, .what = "recordings at different frame rates: give --fs or one recording per run",
           .expected = fmt::format("{:g} Hz", fs), .got = fmt::format("{:g} Hz in {}", r.sample_rate_hz, r.name),
           .file = file, .field = "--fs"});
  return fs;
}

}  // namespace neurodl::cli
