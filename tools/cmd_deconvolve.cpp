// neurodl deconvolve INPUT --fs HZ [--method M] -o OUT.npy: spike inference from ΔF/F traces.
// Several recordings in one file (Spikefinder CSV, ground-truth .mat) become one output column
// each, NaN-padded at the end like the Spikefinder CSV (docs/spikes.md).

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.hpp"
#include "neurodl/core/error.hpp"
#include "neurodl/core/stats.hpp"
#include "neurodl/io/csv.hpp"
#include "neurodl/io/npy.hpp"
#include "neurodl/io/registry.hpp"
#include "neurodl/spikes/calibrate.hpp"
#include "neurodl/spikes/dff.hpp"
#include "neurodl/spikes/oasis.hpp"
#include "neurodl/spikes/registry.hpp"
#ifdef NEURODL_HAVE_NETS
#include "neurodl/nets/spike_net.hpp"
#endif

namespace neurodl::cli {

/// Above this median CASCADE noise level [%·s^-½] the input is taken for ΔF/F in % or raw
/// fluorescence and a warning is printed (real ΔF/F recordings: ~0.5–10; ×100 for ΔF/F in %).
constexpr double kImplausibleNoiseLevel = 30.0;

/// An output named *.csv is written in the Spikefinder layout, anything else as .npy.
bool is_csv(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".csv";
}

Command add_deconvolve(CLI::App& app, Common& common) {
  struct Args {
    std::string input, output, json, method = "oasis-ar2";
    io::ReadOptions read;
    spikes::InferenceOptions infer;
    spikes::DffOptions dff;
    std::string input_kind = "auto";
  };
  auto args = std::make_shared<Args>();
#ifdef NEURODL_HAVE_NETS
  nets::register_deep_spike_inference();  // gives "deep" its factory (spikes/registry.hpp)
#endif
  std::string methods = "methods:";
  for (const auto& [name, m] : spikes::spike_methods())
    methods += fmt::format("\n  {:<10} {}", name, m.description);
  auto* sub = app.add_subcommand(
      "deconvolve", "infer spikes (expected spikes per frame) from ΔF/F traces");
  sub->footer(methods);
  sub->add_option("input", args->input,
                  "ΔF/F: .npy (time × units), suite2p folder, Spikefinder CSV, NWB, .mat, ...")
      ->required();
  sub->add_option("--method", args->method, "spike-inference method (see below)")
      ->capture_default_str();
  sub->add_option("--model", args->infer.model,
                  "--method deep: trained model file, or a folder of them to choose from (default: "
                  "the shipped models, chosen by frame rate and noise level); --method "
                  "oasis-calibrated: the calibration file from `neurodl calibrate-spikes` (required)");
  add_option_specs(sub, io::option_specs(args->read));
  // --fs comes from the read options; the OASIS table's own rate entry is left out.
  std::vector<OptionSpec> specs;
  for (auto& s : spikes::option_specs(args->infer.oasis))
    if (s.name != "sample_rate_hz") specs.push_back(s);
  add_option_specs(sub, specs);
  // Raw fluorescence becomes ΔF/F first; its options carry a --dff- prefix (OASIS has --baseline).
  sub->add_option("--input-kind", args->input_kind,
                  "auto: raw fluorescence (suite2p F.npy, NWB Fluorescence) is turned into ΔF/F "
                  "first, anything else is taken as ΔF/F; dff or fluorescence: say which it is")
      ->check(CLI::IsMember({"auto", "dff", "fluorescence"}))
      ->capture_default_str();
  std::vector<OptionSpec> dff_specs = spikes::option_specs(args->dff);
  for (auto& s : dff_specs)
    s.flag = s.name == "neuropil_coefficient" ? "--neuropil-coefficient" : "--dff-" + flag_of(s).substr(2);
  add_option_specs(sub, dff_specs);
  sub->add_option("-o,--output", args->output,
                  "expected spikes per frame as .npy, same shape and orientation as the input, or "
                  "as .csv in the Spikefinder layout (a column per unit, empty cells for padding)")
      ->required();
  sub->add_option("--json", args->json, "also write per-unit parameters as JSON to this path");
  add_common_flags(sub, common);
  return {sub, [args, specs, dff_specs, sub, &common] {
            // Everything that can be checked before reading is checked first.
            const auto method = spikes::make_spike_inference(args->method);
            nlohmann::json calibration_options;  // oasis-calibrated: the file's OASIS options
            const bool takes_model = spikes::spike_methods().at(args->method).takes_model;
            if (!args->infer.model.empty() && !takes_model)
              raise(ErrorKind::config, {.component = "deconvolve",
                                        .what = "--model applies only to --method deep or oasis-calibrated",
                                        .got = args->method, .field = "--model"});
            if (args->method == "oasis-calibrated") {
              // The calibration file sets OASIS's options; only the input's own rates may be given.
              for (const auto& s : specs)
                if (s.name != "native_fs_hz" && sub->get_option(flag_of(s))->count() > 0)
                  raise(ErrorKind::config, {.component = "deconvolve",
                                            .what = "the calibration file sets the OASIS options of oasis-calibrated",
                                            .got = flag_of(s), .field = flag_of(s)});
              if (args->infer.model.empty())
                raise(ErrorKind::config, {.component = "deconvolve",
                                          .what = "--method oasis-calibrated needs a calibration file (`neurodl calibrate-spikes`)",
                                          .expected = "--model CALIBRATION.json", .got = "none", .field = "--model"});
              // Read now, so that a bad file fails before the input is read; its OASIS options
              // are the ones the JSON summary reports.
              calibration_options = spikes::calibration_json(spikes::load_calibration(args->infer.model))["oasis"];
            }
            auto recs = io::read_recordings(args->input, args->read);
            const double rate = frame_rate(args->read.sample_rate_hz, recs, args->input, "deconvolve");
            args->infer.oasis.sample_rate_hz = rate;
            // Raw fluorescence → ΔF/F (F − α·F_neu with the reader's neuropil when it has one,
            // over a running baseline), recording by recording, before anything is written.
            std::size_t converted = 0;
            for (auto& r : recs) {
              const bool raw = args->input_kind == "fluorescence" ||
                               (args->input_kind == "auto" && r.kind == ActivityKind::fluorescence);
              if (!raw) continue;
              const auto it = r.truth.find("neuropil");
              const MatrixF none;
              const double fs = std::isfinite(r.sample_rate_hz) ? r.sample_rate_hz : rate;
              try {
                r.activity = spikes::delta_f_over_f(r.activity, it != r.truth.end() ? it->second : none, fs, args->dff);
              } catch (const Error& e) {
                const ErrorKind kind = dynamic_cast<const ShapeError*>(&e) != nullptr ? ErrorKind::shape : ErrorKind::config;
                raise(kind, {.component = "deconvolve", .what = std::string("ΔF/F of raw fluorescence: ") + e.what(),
                             .file = args->input, .field = "--input-kind"});
              }
              r.kind = ActivityKind::dff;
              ++converted;
            }
            const auto cols = spikes::stack_columns(recs);
            const auto res = method->infer(cols.values, args->infer);
            // ΔF/F as a fraction has a CASCADE noise level of about 0.5–10 %·s^-½; values far
            // above mean ΔF/F in %, or raw fluorescence: the output is then not what it claims.
            std::string warning;
            {
              std::vector<double> nus;
              for (const auto& u : res.units)
                if (std::isfinite(u.noise_level)) nus.push_back(u.noise_level);
              if (!nus.empty()) {
                const double nu = upper_median(nus);
                if (nu > kImplausibleNoiseLevel)
                  warning = fmt::format(
                      "{}: median noise level {:.3g} %·s^-1/2 is far above that of ΔF/F traces (0.5-10): is the "
                      "input ΔF/F as a fraction, not in % or raw fluorescence? (spike calibration and the deep "
                      "models assume fractions)",
                      args->input, nu);
              }
            }
            if (!warning.empty()) std::fprintf(stderr, "warning: %s\n", warning.c_str());
            if (is_csv(args->output))
              io::write_spikefinder_csv(args->output, res.spikes);  // Spikefinder layout: time × units
            else if (args->read.units_by_time)
              io::write_npy(args->output, MatrixF(res.spikes.transpose()));
            else
              io::write_npy(args->output, res.spikes);
            if (!args->json.empty()) {
              nlohmann::json j{{"input", args->input},
                               {"output", args->output},
                               {"method", args->method},
                               {"output_units", "expected spikes per frame (× fs for spikes/s)"},
                               {"n_recordings", recs.size()},
                               {"shape", {res.spikes.rows(), res.spikes.cols()}},
                               {"options", option_values(specs)}};
              if (!calibration_options.is_null()) {
                calibration_options["native_fs_hz"] = j["options"]["native_fs_hz"];  // the input's, not the file's
                j["options"] = calibration_options;
              }
              j["options"]["sample_rate_hz"] = rate;  // --fs, or the rate the file stores
              j["options"]["input_kind"] = args->input_kind;
              j["dff_from_fluorescence"] = converted;  // recordings turned into ΔF/F
              if (converted > 0) j["dff_options"] = option_values(dff_specs);
              j["units"] = nlohmann::json::array();
              for (std::size_t k = 0; k < res.units.size(); ++k) {
                const auto& u = res.units[k];
                j["units"].push_back({{"column", k},
                                      {"label", cols.labels[k]},
                                      {"n_frames", u.n_frames},
                                      {"native_fs_hz", number_or_null(u.native_fs_hz)},
                                      {"gamma", {number_or_null(u.gamma1), number_or_null(u.gamma2)}},
                                      {"tau_decay_s", number_or_null(u.tau_decay_s)},
                                      {"tau_rise_s", number_or_null(u.tau_rise_s)},
                                      {"noise_sd", number_or_null(u.noise_sd)},
                                      {"noise_level_pct_per_sqrt_s", number_or_null(u.noise_level)},
                                      {"baseline", number_or_null(u.baseline)},
                                      {"lambda", number_or_null(u.lambda)},
                                      {"s_min", number_or_null(u.s_min)},
                                      {"spike_amplitude", number_or_null(u.spike_amplitude)},
                                      {"spike_rate_hz", number_or_null(u.spike_rate_hz)},
                                      {"smoothing_s", number_or_null(u.smoothing_s)},
                                      {"iterations", u.iterations}});
              }
              if (const auto d = method->details(); !d.is_null()) j["method_details"] = d;
              j["warnings"] = warning.empty() ? nlohmann::json::array() : nlohmann::json::array({warning});
              write_json(args->json, j);
            }
            if (!common.quiet) {
              std::printf("%s: %lld frames × %lld units deconvolved (%s), written to %s\n",
                          args->input.c_str(), static_cast<long long>(res.spikes.rows()),
                          static_cast<long long>(res.spikes.cols()), args->method.c_str(),
                          args->output.c_str());
              std::vector<double> natives;
              for (const auto& u : res.units)
                if (u.native_fs_hz < spikes::kNativeRateFraction * rate) natives.push_back(u.native_fs_hz);
              if (!natives.empty())
                std::printf("  %zu of %zu units were resampled up from about %.3g Hz (median) and were deconvolved at that rate "
                            "(--native-fs gives it, --native-fs 0 turns this off)\n",
                            natives.size(), res.units.size(), upper_median(natives));
            }
            return 0;
          }};
}

}  // namespace neurodl::cli
