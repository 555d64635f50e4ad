// neurodl calibrate-spikes INPUT... -o CALIBRATION.json: fits OASIS (parameters and an output
// filter) to ground-truth cells of one preparation, for `deconvolve --method oasis-calibrated`
// (docs/spikes.md, "Calibrated OASIS"; the maths in neurodl/spikes/calibrate.hpp).

#include <cmath>
#include <cstdio>
#include <regex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.hpp"
#include "neurodl/core/error.hpp"
#include "neurodl/io/registry.hpp"
#include "neurodl/spikes/calibrate.hpp"
#include "neurodl/spikes/registry.hpp"

namespace neurodl::cli {
namespace {

/// The ground-truth traces of one input file: every unit with true spike counts (the file's own
/// spike_counts, or those of --truth), each trimmed of its trailing NaN padding.
void add_traces(const std::string& file, const std::string& truth_file, const io::ReadOptions& read,
                std::vector<spikes::CalibrationTrace>& out) {
  const auto recs = io::read_recordings(file, read);
  for (const auto& r : recs)
    check(r.kind != ActivityKind::fluorescence, ErrorKind::config,
          {.component = "calibrate-spikes", .what = "raw fluorescence: compute ΔF/F first (calibration reads ΔF/F)",
           .expected = "ΔF/F", .got = "fluorescence", .file = file, .field = r.name});
  const auto cols = spikes::stack_columns(recs);
  spikes::StackedColumns truth;
  if (!truth_file.empty()) {
    truth = spikes::stack_columns(io::read_recordings(truth_file, read), "spike_counts");
    check(truth.values.rows() == cols.values.rows() && truth.values.cols() == cols.values.cols(), ErrorKind::shape,
          {.component = "calibrate-spikes", .what = "true spike counts and ΔF/F differ in shape",
           .expected = fmt::format("{} × {}", cols.values.rows(), cols.values.cols()),
           .got = fmt::format("{} × {}", truth.values.rows(), truth.values.cols()), .file = truth_file});
  } else {
    for (const auto& r : recs)
      check(r.truth.count("spike_counts") > 0, ErrorKind::config,
            {.component = "calibrate-spikes",
             .what = "no true spike counts (a ground-truth .mat, X.calcium.csv beside X.spikes.csv, or --truth)",
             .file = file, .field = r.name + ":spike_counts"});
    truth = spikes::stack_columns(recs, "spike_counts");
  }
  // Recordings of one cell (file#1, file#2, ...) are held out together.
  static const std::regex recording_suffix("#[0-9]+$");
  Eigen::Index col = 0;
  for (const auto& r : recs) {
    const double fs = std::isfinite(r.sample_rate_hz) ? r.sample_rate_hz : read.sample_rate_hz;
    check(std::isfinite(fs), ErrorKind::config,
          {.component = "calibrate-spikes", .what = "the frame rate is required (the file stores none)",
           .expected = "--fs HZ", .got = "none", .file = file, .field = "--fs"});
    for (Eigen::Index j = 0; j < r.activity.cols(); ++j, ++col) {
      spikes::CalibrationTrace t;
      t.sample_rate_hz = fs;
      t.label = cols.labels[static_cast<std::size_t>(col)];
      const std::string unit = j < static_cast<Eigen::Index>(r.units.size()) ? r.units[j].id : std::to_string(j);
      t.cell = file + ":" + std::regex_replace(r.name, recording_suffix, "") + "/" + unit;
      Eigen::Index n = r.activity.rows();
      while (n > 0 && std::isnan(r.activity(n - 1, j))) --n;  // trailing padding
      if (n == 0) continue;                                   // an empty ROI
      for (Eigen::Index i = 0; i < n; ++i) {
        t.dff.push_back(r.activity(i, j));
        t.spike_counts.push_back(truth.values(i, col));
      }
      for (double v : t.spike_counts)
        check(std::isfinite(v), ErrorKind::config,
              {.component = "calibrate-spikes", .what = "true spike counts end before the ΔF/F",
               .file = truth_file.empty() ? file : truth_file, .field = t.label});
      out.push_back(std::move(t));
    }
  }
}

}  // namespace

Command add_calibrate_spikes(CLI::App& app, Common& common) {
  struct Args {
    std::vector<std::string> inputs;
    std::string truth, output, json;
    io::ReadOptions read;
    spikes::OasisOptions oasis;
    spikes::CalibrationOptions cal;
  };
  auto args = std::make_shared<Args>();
  auto* sub = app.add_subcommand(
      "calibrate-spikes",
      "fit OASIS's parameters and an output filter to ground-truth cells (for deconvolve --method oasis-calibrated)");
  sub->footer(
      "Each candidate (AR order × decay time constant) deconvolves every trace; a linear filter on its output "
      "is fitted to the true spikes (least squares on 40 ms bins); the candidate with the best leave-one-cell-out "
      "Spikefinder r is kept and its filter refitted on every cell. Recordings of one cell (file#1, file#2, ...) "
      "are held out together. The report gives the leave-one-cell-out r, the nested r (the choice of candidate "
      "repeated without each cell: what to expect on a new cell) and uncalibrated OASIS for comparison.");
  sub->add_option("inputs", args->inputs,
                  "ΔF/F with true spikes: ground-truth .mat files, X.calcium.csv (X.spikes.csv beside it), or any "
                  "readable file with --truth")
      ->required();
  sub->add_option("--truth", args->truth,
                  "true spike counts per frame for a single INPUT (same shape), e.g. a .npy");
  add_option_specs(sub, io::option_specs(args->read));
  for (auto& s : spikes::option_specs(args->oasis))
    if (s.name == "native_fs_hz") add_option_specs(sub, {s});
  add_option_specs(sub, spikes::option_specs(args->cal));
  sub->add_option("-o,--output", args->output, "the calibration file (JSON) to write")->required();
  sub->add_option("--json", args->json, "also write the report (per-trace scores) as JSON here");
  add_common_flags(sub, common);
  return {sub, [args, &common] {
            if (!args->truth.empty() && args->inputs.size() != 1)
              raise(ErrorKind::config, {.component = "calibrate-spikes", .what = "--truth goes with a single input",
                                        .expected = "1 input", .got = std::to_string(args->inputs.size()),
                                        .field = "--truth"});
            std::vector<spikes::CalibrationTrace> traces;
            for (const auto& f : args->inputs) add_traces(f, args->truth, args->read, traces);
            const auto res = spikes::calibrate_oasis(traces, args->oasis, args->cal);

            const auto& chosen = res.candidates[res.chosen];
            nlohmann::json report{{"inputs", args->inputs},
                                  {"n_cells", res.n_cells},
                                  {"n_traces", traces.size()},
                                  {"chosen", {{"ar_order", chosen.ar_order},
                                              {"tau_decay_s", chosen.tau_decay_s > 0 ? number_or_null(chosen.tau_decay_s)
                                                                                     : nlohmann::json("estimated")}}},
                                  {"cv_correlation", number_or_null(res.mean_cv)},
                                  {"nested_correlation", number_or_null(res.mean_nested)},
                                  {"in_sample_correlation", number_or_null(res.mean_in_sample)},
                                  {"default_correlation", number_or_null(res.mean_default)},
                                  {"options", option_values(spikes::option_specs(args->cal))}};
            if (!args->truth.empty()) report["truth"] = args->truth;
            for (const auto& c : res.candidates)
              report["candidates"].push_back(
                  {{"ar_order", c.ar_order},
                   {"tau_decay_s", c.tau_decay_s > 0 ? number_or_null(c.tau_decay_s) : nlohmann::json("estimated")},
                   {"cv_correlation", number_or_null(c.cv_correlation)}});
            for (std::size_t i = 0; i < traces.size(); ++i)
              report["traces"].push_back({{"label", traces[i].label},
                                          {"cell", traces[i].cell},
                                          {"sample_rate_hz", traces[i].sample_rate_hz},
                                          {"n_frames", traces[i].dff.size()},
                                          {"cv_correlation", number_or_null(res.cv_correlation[i])},
                                          {"nested_correlation", number_or_null(res.nested_correlation[i])},
                                          {"default_correlation", number_or_null(res.default_correlation[i])}});
            nlohmann::json out = spikes::calibration_json(res.calibration);
            out["report"] = report;
            if (!args->json.empty()) write_json(args->json, report);
            write_json(args->output, out);
            if (!common.quiet) {
              std::printf("calibrated on %lld cells (%zu traces): OASIS AR(%lld), decay %s, filter %zu taps\n",
                          static_cast<long long>(res.n_cells), traces.size(), static_cast<long long>(chosen.ar_order),
                          chosen.tau_decay_s > 0 ? fmt::format("{:g} s", chosen.tau_decay_s).c_str() : "estimated",
                          res.calibration.filter.taps.size());
              std::printf("  Spikefinder r: leave-one-cell-out %.3f, nested %.3f, in-sample %.3f; uncalibrated OASIS "
                          "AR(%lld) %.3f\n  written to %s\n",
                          res.mean_cv, res.mean_nested, res.mean_in_sample, static_cast<long long>(chosen.ar_order),
                          res.mean_default, args->output.c_str());
            }
            return 0;
          }};
}

}  // namespace neurodl::cli
