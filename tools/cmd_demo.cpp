// neurodl demo: the main job, on embedded default data (the simulator's presets, so no download).
// It grows with every capability: it simulates each preset, writes it in neurodl's HDF5 layout,
// reads it back (checking the round trip is exact) and reports what the recordings hold; then it
// predicts each area from behaviour and from the other areas (reduced-rank regression with rank
// curves), deconvolves the simulated calcium and scores it against the true spikes, and (with
// LibTorch) sweeps a bottleneck network's latent count beside reduced-rank regression.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "commands.hpp"
#include "neurodl/core/error.hpp"
#include "neurodl/core/filesystem.hpp"
#include "neurodl/eval/metrics.hpp"
#include "neurodl/io/neurodl_h5.hpp"
#include "neurodl/io/registry.hpp"
#include "neurodl/eval/spikefinder.hpp"
#include "neurodl/linear/rrr.hpp"
#include "neurodl/spikes/registry.hpp"
#ifdef NEURODL_HAVE_NETS
#include "neurodl/nets/latent_net.hpp"
#include "neurodl/nets/spike_net.hpp"
#endif
#include "neurodl/sim/simulate.hpp"
#include "summary.hpp"

namespace neurodl::cli {
namespace {

struct DemoArgs {
  std::uint64_t seed = 1;
  std::string out_dir;
  std::string json;
};

// Simulates one preset, writes it, reads it back and checks every field survived exactly.
nlohmann::json run_preset(const std::string& preset, const DemoArgs& args,
                          const std::filesystem::path& dir, bool quiet, std::vector<Recording>* out) {
  sim::SimOptions opt;
  opt.preset = preset;
  opt.seed = args.seed;
  if (preset == "calcium") opt.fs_hz = 30.0;  // one rate keeps the demo short
  const auto t0 = std::chrono::steady_clock::now();
  const auto recs = sim::simulate(opt);
  const auto t1 = std::chrono::steady_clock::now();
  const auto path = dir / (preset + ".h5");
  io::write_neurodl_h5(path, recs);
  const auto back = io::read_recordings(path);
  const auto t2 = std::chrono::steady_clock::now();
  const bool exact = back == recs;
  check(exact, ErrorKind::io,
        {.component = "demo", .what = "round trip through neurodl's HDF5 layout changed the data",
         .file = path.string()});
  nlohmann::json j{{"preset", preset},
                   {"file", path.string()},
                   {"simulate_seconds", std::chrono::duration<double>(t1 - t0).count()},
                   {"write_read_seconds", std::chrono::duration<double>(t2 - t1).count()},
                   {"round_trip_exact", exact}};
  j["recordings"] = nlohmann::json::array();
  for (const auto& r : recs) j["recordings"].push_back(summarize(r));
  if (!quiet) {
    std::printf("\n== preset %s: simulated in %.2f s, written and read back in %.2f s (exact)\n",
                preset.c_str(), j["simulate_seconds"].get<double>(),
                j["write_read_seconds"].get<double>());
    for (const auto& r : j["recordings"]) std::fputs(describe(r).c_str(), stdout);
  }
  if (out) *out = std::move(back);
  return j;
}

// The columns of the units in `area`.
std::vector<Eigen::Index> area_columns(const Recording& rec, const std::string& area) {
  std::vector<Eigen::Index> cols;
  for (size_t u = 0; u < rec.units.size(); ++u)
    if (rec.units[u].area == area) cols.push_back(static_cast<Eigen::Index>(u));
  return cols;
}

std::string curve_text(const linear::RankCurve& c) {
  std::string t;
  for (size_t i = 0; i < c.ranks.size(); ++i)
    t += fmt::format("{}{}:{:.3f}", i ? " " : "", c.ranks[i], c.r2_mean[i]);
  return t;
}

// CV R² at the curve's predictive dimensionality.
double r2_at_chosen(const linear::RankCurve& c) {
  for (size_t i = 0; i < c.ranks.size(); ++i)
    if (c.ranks[i] == c.predictive_dimensionality) return c.r2_mean[i];
  return c.r2_mean.back();
}

nlohmann::json curve_json(const linear::RankCurve& c) {
  nlohmann::json j = nlohmann::json::array();
  for (size_t i = 0; i < c.ranks.size(); ++i) j.push_back({{"rank", c.ranks[i]}, {"cv_r2", c.r2_mean[i]}});
  return j;
}

// Predicts each area of the spont recording from behaviour and from the other areas with
// cross-validated reduced-rank regression, next to the ceiling set by the true rates.
nlohmann::json run_prediction(const Recording& rec, bool quiet) {
  std::vector<std::string> areas;
  for (const auto& u : rec.units)
    if (std::find(areas.begin(), areas.end(), u.area) == areas.end()) areas.push_back(u.area);
  const MatrixF behavior = rec.behavior_on_activity_time();
  // Expected counts per frame from the simulator's true rates: no model can beat them on held-out
  // frames (up to sampling noise), so their R² is the ceiling for single-frame counts.
  const MatrixF expected = rec.truth.at("rates") / static_cast<float>(rec.sample_rate_hz);
  nlohmann::json j = nlohmann::json::array();
  if (!quiet)
    std::printf("\n== prediction (spont): cross-validated R² of single-frame spike counts, "
                "5 contiguous time-block folds, reduced-rank ridge regression\n");
  for (const auto& area : areas) {
    const auto cols = area_columns(rec, area);
    const MatrixF y = rec.activity(Eigen::all, cols);
    const double ceiling = eval::nan_mean(eval::r2_score(y, MatrixF(expected(Eigen::all, cols))));
    linear::RrrOptions from_beh;
    from_beh.ranks = {1, 2, 3, 4, 6, 8, 10};
    const auto beh = linear::rrr_rank_curve(behavior, y, from_beh);
    std::vector<Eigen::Index> others;
    for (Eigen::Index u = 0; u < rec.n_units(); ++u)
      if (rec.units[static_cast<size_t>(u)].area != area) others.push_back(u);
    linear::RrrOptions from_areas;
    from_areas.ranks = {1, 2, 4, 8, 16, 32};
    const auto peer = linear::rrr_rank_curve(MatrixF(rec.activity(Eigen::all, others)), y, from_areas);
    j.push_back({{"area", area},
                 {"n_units", cols.size()},
                 {"true_rate_ceiling_r2", ceiling},
                 {"from_behavior", {{"rank", beh.predictive_dimensionality}, {"cv_r2", r2_at_chosen(beh)}, {"rank_curve", curve_json(beh)}}},
                 {"from_other_areas", {{"rank", peer.predictive_dimensionality}, {"cv_r2", r2_at_chosen(peer)}, {"rank_curve", curve_json(peer)}}}});
    if (!quiet)
      std::printf("  %-4s (%zu units) ceiling %.3f | from behaviour, rank %lld: %s | from other areas, rank %lld: %s\n",
                  area.c_str(), cols.size(), ceiling, static_cast<long long>(beh.predictive_dimensionality),
                  curve_text(beh).c_str(), static_cast<long long>(peer.predictive_dimensionality),
                  curve_text(peer).c_str());
  }
  return j;
}

// Deconvolves the simulated calcium with automatic OASIS AR(2) and, in builds with LibTorch, the
// shipped deep model (chosen by frame rate and noise level), and scores each against the true
// spikes the Spikefinder way (Pearson r in 40 ms bins).
nlohmann::json run_spike_inference(const Recording& rec, bool quiet) {
  std::vector<std::pair<std::string, std::string>> methods = {{"oasis-ar2", "OASIS AR(2), automatic parameters"}};
#ifdef NEURODL_HAVE_NETS
  nets::register_deep_spike_inference();
  methods.emplace_back("deep", "deep CNN, shipped model");
#endif
  spikes::InferenceOptions o;
  o.oasis.sample_rate_hz = rec.sample_rate_hz;
  nlohmann::json all = nlohmann::json::array();
  if (!quiet)
    std::printf("\n== spike inference (calcium, %g Hz, %lld units): Spikefinder correlation with the true "
                "spikes (40 ms bins)\n",
                rec.sample_rate_hz, static_cast<long long>(rec.n_units()));
  for (const auto& [method, label] : methods) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto inference = spikes::make_spike_inference(method);
    const auto result = inference->infer(rec.activity, o);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto score = eval::spikefinder_score(rec.truth.at("spike_counts"), result.spikes, rec.sample_rate_hz);
    const double bias = eval::nan_mean(score.bias);
    if (!quiet)
      std::printf("  %-40s mean r = %.3f; mean count bias %+.2f (%.2f s)\n", label.c_str(),
                  score.mean_correlation, bias, seconds);
    nlohmann::json j = {{"method", method}, {"recording", rec.name}, {"seconds", seconds},
                        {"spikefinder_r_mean", score.mean_correlation}, {"bias_mean", bias}};
    if (auto d = inference->details(); !d.is_null()) j["details"] = d;
    all.push_back(j);
  }
  return all;
}

#ifdef NEURODL_HAVE_NETS
// Prediction-driven dimensionality reduction: a bottleneck network from behaviour to the first
// area, swept over k beside reduced-rank regression on the same folds. Kept small (3 folds, few
// epochs) so the demo stays interactive.
nlohmann::json run_bottleneck(const Recording& rec, bool quiet) {
  const auto cols = area_columns(rec, rec.units.front().area);
  const MatrixF y = rec.activity(Eigen::all, cols);
  nets::LatentNetOptions o;
  o.epochs = 30;
  o.split.folds = 3;
  o.seed = 1;
  const auto t0 = std::chrono::steady_clock::now();
  const auto curve = nets::bottleneck_sweep(rec.behavior_on_activity_time(), y, {1, 2, 4, 8}, o);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json j{{"area", rec.units.front().area}, {"chosen_k", curve.chosen_k}, {"seconds", seconds}};
  std::string net, rrr;
  for (size_t i = 0; i < curve.ks.size(); ++i) {
    net += fmt::format("{}{}:{:.3f}", i ? " " : "", curve.ks[i], curve.r2_mean[i]);
    j["latent_curve"].push_back({{"k", curve.ks[i]}, {"cv_r2", curve.r2_mean[i]}});
  }
  for (size_t i = 0; i < curve.rrr_ranks.size(); ++i) {
    rrr += fmt::format("{}{}:{:.3f}", i ? " " : "", curve.rrr_ranks[i], curve.rrr_r2_mean[i]);
    j["rrr_curve"].push_back({{"rank", curve.rrr_ranks[i]}, {"cv_r2", curve.rrr_r2_mean[i]}});
  }
  if (!quiet)
    std::printf("\n== bottleneck network (behaviour → %s, 3 folds, %.1f s): chosen k = %lld\n"
                "  k-sweep (k: CV R²)          %s\n  reduced-rank regression     %s\n",
                rec.units.front().area.c_str(), seconds, static_cast<long long>(curve.chosen_k),
                net.c_str(), rrr.c_str());
  return j;
}
#endif

}  // namespace

Command add_demo(CLI::App& app, Common& common) {
  auto args = std::make_shared<DemoArgs>();
  auto* sub = app.add_subcommand(
      "demo", "the main job on built-in simulated data: simulate, write, read back, report");
  sub->add_option("--seed", args->seed, "random seed of the simulated recordings")->capture_default_str();
  sub->add_option("--out-dir", args->out_dir,
                  "keep the simulated files in this folder (default: a temporary folder, removed)");
  sub->add_option("--json", args->json, "also write the demo's results as JSON to this path");
  add_common_flags(sub, common);
  return {sub, [args, &common] {
            namespace fs = std::filesystem;
            const bool keep = !args->out_dir.empty();
            const fs::path dir = keep ? fs::path(args->out_dir)
                                      : fs::temp_directory_path() /
                                            fmt::format("neurodl-demo-{}", ::getpid());
            fs::create_directories(dir);
            struct Cleanup {
              fs::path dir;
              bool keep;
              ~Cleanup() {
                if (!keep) remove_tree(dir.string());  // not fs::remove_all: core/filesystem.hpp
              }
            } cleanup{dir, keep};
            if (!common.quiet)
              std::printf("neurodl demo: simulated recordings with known ground truth (seed %llu)\n",
                          static_cast<unsigned long long>(args->seed));
            nlohmann::json j{{"seed", args->seed}, {"presets", nlohmann::json::array()}};
            std::vector<Recording> spont;
            j["presets"].push_back(run_preset("spont", *args, dir, common.quiet, &spont));
            j["presets"].push_back(run_preset("images", *args, dir, common.quiet, nullptr));
            std::vector<Recording> calcium;
            j["presets"].push_back(run_preset("calcium", *args, dir, common.quiet, &calcium));
            j["prediction"] = run_prediction(spont.at(0), common.quiet);
            j["spike_inference"] = run_spike_inference(calcium.at(0), common.quiet);
#ifdef NEURODL_HAVE_NETS
            j["bottleneck"] = run_bottleneck(spont.at(0), common.quiet);
#endif
            if (!args->json.empty()) write_json(args->json, j);
            if (!common.quiet && keep) std::printf("\nfiles kept in %s\n", dir.c_str());
            return 0;
          }};
}

}  // namespace neurodl::cli
