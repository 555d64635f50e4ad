// Inference throughput of the deep spike model (`neurodl deconvolve --method deep`): frames per
// second at 1 and 2 threads, for the whole-trace (convolutional) path the CLI uses and for the
// windowed forward pass used in training (bench/README.md, "Deep spike inference").
//
//   bench_spike_net [MODEL.h5] [--units N] [--frames T] [--fs HZ] [--reps R]
//
// Without MODEL the shipped model nearest in frame rate is used. The data are synthetic ΔF/F
// (Poisson spikes at 1 Hz through a 0.6 s exponential decay, white noise σ = 0.05) at the
// model's own rate unless --fs is given (then the resampling is timed too).

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "neurodl/core/random.hpp"
#include "neurodl/core/threads.hpp"
#include "neurodl/nets/spike_net.hpp"

using namespace neurodl;

int main(int argc, char** argv) {
  std::string model_path;
  std::int64_t units = 16, frames = 20000, reps = 3;
  double fs = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--units" && i + 1 < argc) units = std::stoll(argv[++i]);
    else if (a == "--frames" && i + 1 < argc) frames = std::stoll(argv[++i]);
    else if (a == "--fs" && i + 1 < argc) fs = std::stod(argv[++i]);
    else if (a == "--reps" && i + 1 < argc) reps = std::stoll(argv[++i]);
    else model_path = a;
  }
  if (model_path.empty()) {
    const auto files = nets::find_spike_models();
    std::vector<nets::SpikeModelInfo> infos;
    for (const auto& f : files) infos.push_back(nets::SpikeNet::load(f).info());
    const auto k = nets::select_spike_model(infos, fs > 0 ? fs : 30.0, [](double) { return 1.0; });
    model_path = files[k].string();
  }
  const auto net = nets::SpikeNet::load(model_path);
  if (fs <= 0) fs = net.info().sample_rate_hz;

  Rng rng(1);
  MatrixF dff(frames, units);
  const double decay = std::exp(-1.0 / (0.6 * fs));
  for (std::int64_t j = 0; j < units; ++j) {
    double c = 0;
    for (std::int64_t t = 0; t < frames; ++t) {
      c = c * decay + 0.2 * static_cast<double>(rng.poisson(1.0 / fs));
      dff(t, j) = static_cast<float>(c + 0.05 * rng.normal());
    }
  }
  // Windows of the first unit's input channels at the model rate for the windowed path (capped:
  // it is the slow one), channel after channel.
  const std::int64_t W = 64, nw = std::min<std::int64_t>(frames - W, 20000);
  std::vector<double> unit0(static_cast<std::size_t>(frames));
  for (std::int64_t t = 0; t < frames; ++t) unit0[static_cast<std::size_t>(t)] = dff(t, 0);
  const MatrixF in = nets::spike_net_inputs(unit0, net.info().sample_rate_hz, net.info().inputs);
  MatrixF windows(nw, in.cols() * W);
  for (std::int64_t i = 0; i < nw; ++i)
    for (Eigen::Index c = 0; c < in.cols(); ++c)
      for (std::int64_t k = 0; k < W; ++k) windows(i, c * W + k) = in(i + k, c);

  nlohmann::json j{{"model", model_path}, {"model_sample_rate_hz", net.info().sample_rate_hz},
                   {"data_sample_rate_hz", fs}, {"inputs", net.info().inputs},
                   {"blend", net.info().blend}, {"units", units}, {"frames", frames},
                   {"macs_per_frame", net.cost().macs()}, {"params", net.cost().params()}};
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    double best = 1e30, best_w = 1e30;
    for (std::int64_t r = 0; r < reps; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      const MatrixF p = net.predict(dff, fs);
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      t0 = std::chrono::steady_clock::now();
      const auto pw = net.predict_windows(windows);
      best_w = std::min(best_w, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      if (!std::isfinite(p(0, 0)) || pw.empty()) return 1;
    }
    const std::string k = std::to_string(threads) + "_threads";
    j["whole_trace_frames_per_s_" + k] = static_cast<double>(units * frames) / best;
    j["windowed_frames_per_s_" + k] = static_cast<double>(nw) / best_w;
  }
  std::printf("%s\n", j.dump(2).c_str());
  return 0;
}
