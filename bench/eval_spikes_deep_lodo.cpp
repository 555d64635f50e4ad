// Leave-one-dataset-out evaluation of the deep spike model (nets/spike_net.hpp) on the CASCADE
// ground truth in ../shared/data/groundtruth, next to OASIS AR(1)/AR(2) with their shipped
// defaults on the same traces (docs/spikes.md, "Deep model: results on real data").
//
//   eval_spikes_deep_lodo GROUNDTRUTH_DIR OUT.tsv [--datasets DS01,DS02,...] [--grid]
//                         [--models DIR] [--windows N] [--epochs E] [--seed S]
//
// For every held-out dataset D (default: all): a model is trained on the other datasets at D's
// frame rate (median over its traces) and D's noise level (median CASCADE ν), which is what
// `neurodl train-spikes --fs F --noise ν --exclude D` does, and every trace of D is scored with
// the Spikefinder metric at its own frame rate. With --grid the model is instead trained at the
// bank point nearest to (F, ν) (frame rates 7.5/15/30/60 Hz, noise levels 0.5/1/2/4/8, the
// automatic selection's choice in a bank that never saw D). The model is never scored on
// neurons it was trained on. Writes one row per trace and method; --models keeps each model.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "neurodl/core/threads.hpp"
#include "neurodl/eval/spikefinder.hpp"
#include "neurodl/nets/spike_net.hpp"
#include "neurodl/spikes/dff.hpp"
#include "neurodl/spikes/oasis.hpp"

namespace fs = std::filesystem;
using namespace neurodl;

static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double score(const std::vector<float>& truth, const std::vector<double>& pred, double fs,
                    double* bias) {
  const auto T = static_cast<Eigen::Index>(truth.size());
  MatrixF t(T, 1), p(T, 1);
  for (Eigen::Index i = 0; i < T; ++i) {
    t(i, 0) = truth[static_cast<std::size_t>(i)];
    p(i, 0) = static_cast<float>(pred[static_cast<std::size_t>(i)]);
  }
  const auto s = eval::spikefinder_score(t, p, fs);
  *bias = s.bias[0];
  return s.correlation[0];
}

static double nearest(const std::vector<double>& grid, double v) {
  double best = grid[0];
  for (double g : grid)
    if (std::abs(std::log(g / v)) < std::abs(std::log(best / v))) best = g;
  return best;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: eval_spikes_deep_lodo GROUNDTRUTH_DIR OUT.tsv [--datasets DS01,...] "
                         "[--grid] [--models DIR] [--windows N] [--epochs E] [--seed S]\n");
    return 2;
  }
  const fs::path data = argv[1];
  std::vector<std::string> only;
  std::string models;
  bool grid = false;
  nets::SpikeNetOptions base;
  for (int i = 3; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return std::string(i + 1 < argc ? argv[++i] : ""); };
    if (a == "--datasets") {
      std::stringstream ss(next());
      for (std::string s; std::getline(ss, s, ',');) only.push_back(s);
    } else if (a == "--grid") grid = true;
    else if (a == "--models") models = next();
    else if (a == "--windows") base.windows = std::stoll(next());
    else if (a == "--epochs") base.epochs = std::stoll(next());
    else if (a == "--seed") base.seed = std::stoull(next());
  }
  set_num_threads(1);
  const auto all = nets::read_ground_truth(data);
  std::vector<std::string> datasets;
  for (const auto& t : all)
    if (std::find(datasets.begin(), datasets.end(), t.dataset) == datasets.end()) datasets.push_back(t.dataset);
  if (!only.empty()) datasets = only;

  FILE* out = std::fopen(argv[2], "w");
  if (!out) return 2;
  std::fprintf(out, "dataset\ttrace\tfs\tnoise\tmethod\tmodel_fs\tmodel_noise\tr\tbias\n");
  for (const auto& held : datasets) {
    std::vector<nets::GroundTruthTrace> train, test;
    for (const auto& t : all) (t.dataset == held ? test : train).push_back(t);
    if (test.empty()) {
      std::fprintf(stderr, "%s: no traces\n", held.c_str());
      continue;
    }
    std::vector<double> rates, nus;
    for (const auto& t : test) {
      rates.push_back(t.sample_rate_hz);
      std::vector<double> y(t.dff.begin(), t.dff.end());
      nus.push_back(spikes::cascade_noise_level(y, t.sample_rate_hz));
    }
    nets::SpikeNetOptions o = base;
    o.sample_rate_hz = median(rates);
    o.noise_level = median(nus);
    if (grid) {
      o.sample_rate_hz = nearest({7.5, 15, 30, 60}, o.sample_rate_hz);
      o.noise_level = nearest({0.5, 1, 2, 4, 8}, o.noise_level);
    }
    const auto model = nets::SpikeNet::train(train, o, "eval_spikes_deep_lodo held-out " + held);
    if (!models.empty()) model.save(fs::path(models) / (held + ".h5"));
    std::fprintf(stderr, "%s: %zu test traces, model %.3g Hz noise %.3g, %lld training traces, %.0f s\n",
                 held.c_str(), test.size(), o.sample_rate_hz, o.noise_level,
                 static_cast<long long>(model.training()["traces_used"].get<std::int64_t>()),
                 model.training()["seconds"].get<double>());
    for (std::size_t k = 0; k < test.size(); ++k) {
      const auto& t = test[k];
      std::vector<double> y(t.dff.begin(), t.dff.end());
      double bias = 0;
      const double r_deep = score(t.spikes, model.predict_trace(y, t.sample_rate_hz), t.sample_rate_hz, &bias);
      std::fprintf(out, "%s\t%zu\t%.4g\t%.4g\tdeep\t%.4g\t%.4g\t%.6f\t%.5g\n", held.c_str(), k,
                   t.sample_rate_hz, nus[k], o.sample_rate_hz, o.noise_level, r_deep, bias);
      for (int order : {1, 2}) {
        spikes::OasisOptions oo;  // shipped defaults
        oo.sample_rate_hz = t.sample_rate_hz;
        oo.ar_order = order;
        std::vector<double> sp(y.size());
        spikes::deconvolve_trace(y, oo, sp);
        const double r = score(t.spikes, sp, t.sample_rate_hz, &bias);
        std::fprintf(out, "%s\t%zu\t%.4g\t%.4g\toasis-ar%d\tnan\tnan\t%.6f\t%.5g\n", held.c_str(), k,
                     t.sample_rate_hz, nus[k], order, r, bias);
      }
    }
    std::fflush(out);
  }
  std::fclose(out);
  return 0;
}
