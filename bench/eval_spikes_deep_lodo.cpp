// Leave-one-dataset-out evaluation of the deep spike model (nets/spike_net.hpp) on the CASCADE
// ground truth in ../shared/data/groundtruth, next to OASIS AR(1)/AR(2) with their shipped
// defaults on the same traces (docs/spikes.md, "Deep model: results on real data").
//
//   eval_spikes_deep_lodo GROUNDTRUTH_DIR OUT.tsv [--datasets DS01,DS02,...] [--grid]
//                         [--models DIR [--reuse-models]] [--blend-grid] [--max-rate HZ]
//                         [--noise-factor X] [--set OPTION=VALUE ...]
//
// For every held-out dataset D (default: all): a model is trained on the other datasets at D's
// frame rate (median over its traces) and D's noise level (median CASCADE ν), which is what
// `neurodl train-spikes --fs F --noise ν --exclude D` does, and every trace of D is scored with
// the Spikefinder metric at its own frame rate. With --grid the model is instead trained at the
// bank point nearest to (F, ν) (frame rates 7.5/15/30 Hz, noise levels 0.5/1/2/4/8, the
// automatic selection's choice in a bank that never saw D). The model is never scored on
// neurons it was trained on. Writes one row per trace and method; --models keeps each model.
// --set changes a training option (names of nets::option_specs, e.g. --set members=3 --set
// epochs=16); with members = k > 1 the rows "deep-e1" … "deep-e<k-1>" also score the mean of
// the first 1 … k−1 members, so one run measures the gain of the ensemble.
//
// Inner validation (the criterion for choices that the literature does not fix; it never looks at
// the held-out dataset): the model of fold D is also scored on the last val_fraction of every
// training trace (the part training never fits: it only stops early on it), each resampled to the
// model rate, kept when its noise level is at most the model's (the same traces whatever the
// recipe), one fixed draw of white noise added up to the model's level, scored against its
// rebinned counts with the Spikefinder metric at the model rate; the mean over traces per
// training dataset, then over datasets, is written as one row "inner-deep" (and "inner-deep-e1"
// for member 0 alone) per fold. The options inputs (e.g. --set inputs=dff+oasis-ar1) and blend
// (--set blend=oasis-ar2; stderr shows the weight each fold's model chose), align (--set
// align=oasis-ar2; stderr lists the delay applied to every held-out trace, ms) and
// synthetic_copies score the other recipes the same way. With --blend-grid (a model with a blend)
// the rows "deep-w0.0" … "deep-w1.0" also score the held-out traces with the blend weight set to
// each value instead of the one validation chose, so a global weight can be chosen by nested
// leave-one-dataset-out. --max-rate HZ caps the model rate (held-out data recorded faster is
// resampled to HZ and the prediction brought back, as for a bank without faster models).
// --noise-factor X trains each fold's model at X × D's median noise level (default 1).

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "neurodl/core/random.hpp"
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

/// Inner validation score of `model` on the validation tails of the training traces (see top).
static double inner_score(const nets::SpikeNet& model, const std::vector<nets::GroundTruthTrace>& train,
                          const nets::SpikeNetOptions& o) {
  const double F = o.sample_rate_hz;
  constexpr double kNoiseLevelPerSd = 100.0 * 0.6744897501960817 * 1.4142135623730951;
  std::map<std::string, std::vector<double>> per;
  for (std::size_t k = 0; k < train.size(); ++k) {
    const auto& tr = train[k];
    const std::vector<double> y(tr.dff.begin(), tr.dff.end()), s(tr.spikes.begin(), tr.spikes.end());
    const auto yr = nets::resample_trace(y, tr.sample_rate_hz, F);
    const auto n = static_cast<std::int64_t>(yr.size());
    const auto n_val = static_cast<std::int64_t>(std::floor(o.val_fraction * static_cast<double>(n)));
    if (n < 128 || n_val < 64) continue;
    const double nu = spikes::cascade_noise_level(yr, F);
    if (!(nu <= o.noise_level)) continue;
    const auto counts = nets::rebin_counts(s, tr.sample_rate_hz, F, n);
    const double sd = std::sqrt(std::max(0.0, o.noise_level * o.noise_level - nu * nu)) * std::sqrt(F) / kNoiseLevelPerSd;
    Rng rng(12345, k);
    std::vector<double> tail(static_cast<std::size_t>(n_val));
    std::vector<float> truth(static_cast<std::size_t>(n_val));
    for (std::int64_t t = 0; t < n_val; ++t) {
      tail[static_cast<std::size_t>(t)] = yr[static_cast<std::size_t>(n - n_val + t)] + sd * rng.normal();
      truth[static_cast<std::size_t>(t)] = static_cast<float>(counts[static_cast<std::size_t>(n - n_val + t)]);
    }
    double bias = 0;
    const double r = score(truth, model.predict_trace(tail, F), F, &bias);
    if (std::isfinite(r)) per[tr.dataset].push_back(r);
  }
  double sum = 0;
  for (const auto& [d, v] : per) {
    double m = 0;
    for (double r : v) m += r / static_cast<double>(v.size());
    sum += m / static_cast<double>(per.size());
  }
  return per.empty() ? std::nan("") : sum;
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
                         "[--grid] [--models DIR [--reuse-models]] [--blend-grid] [--max-rate HZ] [--noise-factor X] [--set OPTION=VALUE ...]\n");
    return 2;
  }
  const fs::path data = argv[1];
  std::vector<std::string> only;
  std::string models;
  bool grid = false, blend_grid = false, reuse = false;
  double max_rate = std::numeric_limits<double>::infinity();  // --max-rate: cap on the model rate
  double noise_factor = 1.0;  // --noise-factor: model noise level = this × D's median
  nets::SpikeNetOptions base;
  for (int i = 3; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return std::string(i + 1 < argc ? argv[++i] : ""); };
    if (a == "--datasets") {
      std::stringstream ss(next());
      for (std::string s; std::getline(ss, s, ',');) only.push_back(s);
    } else if (a == "--grid") grid = true;
    else if (a == "--blend-grid") blend_grid = true;
    else if (a == "--models") models = next();
    else if (a == "--reuse-models") reuse = true;
    else if (a == "--max-rate") max_rate = std::stod(next());
    else if (a == "--noise-factor") {
      const std::string v = next();
      char* end = nullptr;
      noise_factor = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || !(noise_factor > 0) || !std::isfinite(noise_factor)) {
        std::fprintf(stderr, "--noise-factor must be a positive number, got %s\n", v.c_str());
        return 2;
      }
    }
    else if (a == "--set") {
      const std::string kv = next();
      const auto eq = kv.find('=');
      if (eq == std::string::npos) {
        std::fprintf(stderr, "--set needs OPTION=VALUE, got %s\n", kv.c_str());
        return 2;
      }
      const std::string value = kv.substr(eq + 1);
      nlohmann::json v;
      try {
        v = nlohmann::json::parse(value);
      } catch (const nlohmann::json::exception&) {
        v = value;  // a string option (e.g. device=cpu)
      }
      apply_options(nets::option_specs(base), nlohmann::json{{kv.substr(0, eq), v}}, "eval_spikes_deep_lodo");
    } else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
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
    o.sample_rate_hz = std::min(median(rates), max_rate);
    o.noise_level = noise_factor * median(nus);
    if (grid) {
      o.sample_rate_hz = nearest({7.5, 15, 30}, o.sample_rate_hz);
      o.noise_level = nearest({0.5, 1, 2, 4, 8}, o.noise_level);
    }
    // With --reuse-models, a fold whose model is already in the --models folder is loaded, not
    // retrained (to score other prediction settings of the same networks).
    const fs::path kept = models.empty() ? fs::path() : fs::path(models) / (held + ".h5");
    const bool load = reuse && fs::exists(kept);
    const auto model = load ? nets::SpikeNet::load(kept)
                            : nets::SpikeNet::train(train, o, "eval_spikes_deep_lodo held-out " + held);
    if (!models.empty() && !load) model.save(kept);
    std::fprintf(stderr, "%s: %zu test traces, model %.3g Hz noise %.3g, %lld training traces, %.0f s, blend %s w %.1f\n",
                 held.c_str(), test.size(), o.sample_rate_hz, o.noise_level,
                 static_cast<long long>(model.training()["traces_used"].get<std::int64_t>()),
                 model.training()["seconds"].get<double>(), model.info().blend.c_str(), model.info().blend_weight);
    {
      const double inner = inner_score(model, train, o);
      std::fprintf(out, "%s\tall\t%.4g\tnan\tinner-deep\t%.4g\t%.4g\t%.6f\tnan\n", held.c_str(),
                   o.sample_rate_hz, o.sample_rate_hz, o.noise_level, inner);
      if (model.members() > 1)
        std::fprintf(out, "%s\tall\t%.4g\tnan\tinner-deep-e1\t%.4g\t%.4g\t%.6f\tnan\n", held.c_str(),
                     o.sample_rate_hz, o.sample_rate_hz, o.noise_level, inner_score(model.member(0), train, o));
      std::fprintf(stderr, "%s: inner validation r %.4f\n", held.c_str(), inner);
    }
    // The same model with every blend weight of the grid (--blend-grid).
    std::vector<std::pair<std::string, nets::SpikeNet>> weighted;
    if (blend_grid && model.info().blend != "none")
      for (int i = 0; i <= 10; ++i) {
        auto st = model.state();
        st.params["blend"]["weight"] = i / 10.0;
        char tag[32];
        std::snprintf(tag, sizeof tag, "deep-w%.1f", i / 10.0);
        weighted.emplace_back(tag, nets::SpikeNet::from_state(st, "blend grid"));
      }
    std::string delays;
    for (std::size_t k = 0; k < test.size(); ++k) {
      const auto& t = test[k];
      std::vector<double> y(t.dff.begin(), t.dff.end());
      double bias = 0, delay = 0;
      const double r_deep = score(t.spikes, model.predict_trace(y, t.sample_rate_hz, &delay), t.sample_rate_hz, &bias);
      delays += ' ';
      delays += std::to_string(static_cast<int>(std::lround(1000 * delay)));
      std::fprintf(out, "%s\t%zu\t%.4g\t%.4g\tdeep\t%.4g\t%.4g\t%.6f\t%.5g\n", held.c_str(), k,
                   t.sample_rate_hz, nus[k], o.sample_rate_hz, o.noise_level, r_deep, bias);
      for (const auto& [tag, m] : weighted) {
        const double r = score(t.spikes, m.predict_trace(y, t.sample_rate_hz), t.sample_rate_hz, &bias);
        std::fprintf(out, "%s\t%zu\t%.4g\t%.4g\t%s\t%.4g\t%.4g\t%.6f\t%.5g\n", held.c_str(), k,
                     t.sample_rate_hz, nus[k], tag.c_str(), o.sample_rate_hz, o.noise_level, r, bias);
      }
      // Smaller ensembles: the mean of the first e members' predictions.
      std::vector<double> sum(y.size(), 0.0);
      for (std::int64_t e = 1; e < model.members(); ++e) {
        const auto p = model.member(e - 1).predict_trace(y, t.sample_rate_hz);
        std::vector<double> mean(y.size());
        for (std::size_t i = 0; i < y.size(); ++i) mean[i] = (sum[i] += p[i]) / static_cast<double>(e);
        const double r = score(t.spikes, mean, t.sample_rate_hz, &bias);
        std::fprintf(out, "%s\t%zu\t%.4g\t%.4g\tdeep-e%lld\t%.4g\t%.4g\t%.6f\t%.5g\n", held.c_str(), k,
                     t.sample_rate_hz, nus[k], static_cast<long long>(e), o.sample_rate_hz, o.noise_level, r, bias);
      }
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
    if (model.info().align != "none") std::fprintf(stderr, "%s: alignment delays (ms):%s\n", held.c_str(), delays.c_str());
    std::fflush(out);
  }
  std::fclose(out);
  return 0;
}
