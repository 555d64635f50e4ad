// Scores neurodl's automatic OASIS deconvolution on every ground-truth dataset (CASCADE database)
// and Spikefinder training sets 5 and 6, read in place from ../shared/data, for a grid of output
// settings of the global hyper-parameters: the span of the autocovariance lags and the
// decay shrinkage (which set the time constants), the output smoothing width (fixed, or a multiple of the decay time) and its lead. Writes one row per trace and setting;
// bench/eval_spikes_lodo.py turns the rows into leave-one-dataset-out scores.
//   eval_spikes_lodo DATA_DIR OUT.tsv
// Only the library's public API is used (io::read_recordings, spikes::deconvolve_trace,
// spikes::smooth_spikes, eval::spikefinder_score), the calls `neurodl deconvolve` makes.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "neurodl/eval/spikefinder.hpp"
#include "neurodl/io/registry.hpp"
#include "neurodl/spikes/oasis.hpp"

namespace fs = std::filesystem;
using namespace neurodl;

struct Trace {
  std::string dataset;
  double rate_hz;
  std::vector<double> y;
  std::vector<double> truth;
};

static void add_recordings(const std::string& dataset, const fs::path& file, double rate_hz,
                           std::vector<Trace>& out) {
  io::ReadOptions ro;
  ro.sample_rate_hz = rate_hz;
  for (const Recording& rec : io::read_recordings(file, ro)) {
    const MatrixF& truth = rec.truth.at("spike_counts");
    for (Eigen::Index j = 0; j < rec.activity.cols(); ++j) {
      Trace tr{dataset, rec.sample_rate_hz, {}, {}};
      for (Eigen::Index t = 0; t < rec.activity.rows(); ++t) {
        const float v = rec.activity(t, j);
        if (std::isnan(v)) break;  // trailing padding (Spikefinder CSV)
        tr.y.push_back(v);
        tr.truth.push_back(truth(t, j));
      }
      if (tr.y.size() >= 100) out.push_back(std::move(tr));
    }
  }
}

int main(int argc, char** argv) {
  // --defaults-only: the shipped window and shrinkage, the shipped lead, a finer grid of widths
  // (for rules that set the width per trace from its fit, e.g. its signal-to-noise ratio).
  const bool defaults_only = argc == 4 && std::string(argv[3]) == "--defaults-only";
  if (argc != 3 && !defaults_only) {
    std::fprintf(stderr, "usage: eval_spikes_lodo DATA_DIR OUT.tsv [--defaults-only]\n");
    return 2;
  }
  const fs::path data = argv[1];
  std::vector<Trace> traces;
  for (int set : {5, 6})
    add_recordings("SF" + std::to_string(set),
                   data / "spikefinder" / (std::to_string(set) + ".train.calcium.csv"), 100.0,
                   traces);
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(data / "groundtruth"))
    if (e.is_directory()) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& dir : dirs) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".mat") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    const std::string name = dir.filename().string().substr(0, 4);
    for (const auto& f : files) add_recordings(name, f, kNaN, traces);
  }
  std::fprintf(stderr, "%zu traces\n", traces.size());

  const std::vector<double> widths =
      defaults_only ? std::vector<double>{0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.1, 0.125, 0.15, 0.2, 0.25}
                    : std::vector<double>{0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.4};
  const std::vector<double> leads = defaults_only ? std::vector<double>{0.5} : std::vector<double>{0, 0.25, 0.5, 0.75, 1, 1.5};
  // Widths proportional to each trace's estimated decay time (s.d. = k·τ_d); rows with
  // smoothing_s = −1 and smoothing_per_decay = k.
  const std::vector<double> per_decay{0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.1, 0.12};
  struct Setting {
    int order;
    double window_s, shrinkage_hz;
  };
  std::vector<Setting> settings;
  // window_s < 0 marks the previous defaults (OASIS's): 10 lags beyond the order and the
  // per-frame shrinkage 0.98, i.e. window (10 + p)/fs and κ = −fs·ln 0.98.
  for (int order : {1, 2}) {
    if (defaults_only) {
      settings.push_back({order, 3.0, 0.5});
      continue;
    }
    settings.push_back({order, -1.0, -1.0});
    for (double window : {1.0, 3.0, 10.0})
      for (double shrink : {0.0, 0.25, 0.5, 1.0, 2.0}) settings.push_back({order, window, shrink});
  }
  const std::size_t n_rows = traces.size() * settings.size();
  std::vector<std::string> rows(n_rows);
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t k = 0; k < n_rows; ++k) {
    const Trace& tr = traces[k / settings.size()];
    const Setting& st = settings[k % settings.size()];
    spikes::OasisOptions o;
    o.sample_rate_hz = tr.rate_hz;
    o.ar_order = st.order;
    o.smoothing_s = 0;  // the widths and leads below are applied to the unsmoothed output
    o.smoothing_per_decay = 0;
    o.lead_frames = 0;
    const bool legacy = st.window_s < 0;
    o.decay_window_s = legacy ? (10.0 + st.order) / tr.rate_hz : st.window_s;
    o.decay_shrinkage_hz = legacy ? -tr.rate_hz * std::log(0.98) : st.shrinkage_hz;
    std::vector<double> sp(tr.y.size()), sm;
    const auto fit = spikes::deconvolve_trace(tr.y, o, sp);
    const auto T = static_cast<Eigen::Index>(tr.y.size());
    MatrixF truth(T, 1), pred(T, 1);
    for (Eigen::Index t = 0; t < T; ++t) truth(t, 0) = static_cast<float>(tr.truth[t]);
    std::string out;
    std::vector<std::pair<double, double>> smoothings;  // (smoothing_s, per_decay)
    for (double wd : widths) smoothings.emplace_back(wd, 0.0);
    if (!legacy)
      for (double per : per_decay) smoothings.emplace_back(-1.0, per);
    for (const auto& [wd_row, per] : smoothings)
    for (double lead : leads) {
      // The previous defaults had no lead: only lead 0 for them.
      if (legacy && lead != 0) continue;
      const double wd = per > 0 ? per * fit.tau_decay_s : wd_row;
      sm = sp;
      spikes::smooth_spikes(sm, tr.rate_hz, wd, lead);
      for (Eigen::Index t = 0; t < T; ++t) pred(t, 0) = static_cast<float>(sm[t]);
      const auto sc = eval::spikefinder_score(truth, pred, tr.rate_hz);
      char line[512];
      std::snprintf(line, sizeof line, "%s\t%zu\t%.4g\t%d\t%g\t%g\t%g\t%g\t%g\t%.6f\t%.6f\t%.5g\t%.5g\t%.5g\t%.5g\n",
                    tr.dataset.c_str(), k / settings.size(), tr.rate_hz, st.order,
                    st.window_s, st.shrinkage_hz, wd_row, per, lead, sc.correlation[0], sc.bias[0],
                    fit.tau_decay_s, fit.tau_rise_s, fit.noise_sd, fit.spike_amplitude);
      out += line;
    }
    rows[k] = out;
  }
  FILE* f = std::fopen(argv[2], "w");
  if (!f) return 2;
  std::fprintf(f, "dataset\ttrace\tfs\torder\twindow_s\tshrinkage_hz\tsmoothing_s\tsmoothing_per_decay\tlead_frames\tr\tbias\ttau_decay_s\ttau_rise_s\tnoise_sd\tspike_amplitude\n");
  for (const auto& r : rows) std::fputs(r.c_str(), f);
  std::fclose(f);
  return 0;
}
