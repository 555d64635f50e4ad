// Training throughput of the bottleneck network through neurodl's engine (nets::train), for the
// side-by-side comparison with the same network in PyTorch (bench/nets_vs_pytorch.py, run by
// bench/run_nets_bench.sh).
//
//   bench_nets DIR [--threads N] [--t T] [--p P] [--q Q] [--k K] [--hidden H] [--batch B]
//                  [--epochs E] [--seed S]
//
// Writes to DIR: x.npy (T × p), y.npy (T × q), order.npy (epochs × T, the engine's batch order),
// init_<param>.npy (initial weights, float32), scaling buffers buf_<name>.npy, and
// cpp.json {steps, seconds, steps_per_s, epoch_loss[]}. The Python side trains the same network
// from the same weights in the same order, so equal seeds must give equal losses.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "neurodl/core/random.hpp"
#include "neurodl/core/threads.hpp"
#include "neurodl/io/npy.hpp"
#include "neurodl/nets/architectures.hpp"
#include "neurodl/nets/train.hpp"

using namespace neurodl;
using namespace neurodl::nets;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_nets DIR [--threads N] [--t T] [--p P] [--q Q] [--k K] [--hidden H] [--batch B] [--epochs E] [--seed S]\n");
    return 2;
  }
  const std::string dir = argv[1];
  std::int64_t threads = 2, t = 8192, p = 64, q = 256, k = 8, hidden = 128, batch = 256, epochs = 5;
  std::uint64_t seed = 0;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const std::int64_t v = std::stoll(argv[i + 1]);
    if (a == "--threads") threads = v;
    else if (a == "--t") t = v;
    else if (a == "--p") p = v;
    else if (a == "--q") q = v;
    else if (a == "--k") k = v;
    else if (a == "--hidden") hidden = v;
    else if (a == "--batch") batch = v;
    else if (a == "--epochs") epochs = v;
    else if (a == "--seed") seed = static_cast<std::uint64_t>(v);
  }
  set_num_threads(static_cast<int>(threads));

  // Data: Y a noisy nonlinear function of a k-dimensional projection of X.
  Rng rng(seed);
  MatrixF x(t, p), w(p, k), v(k, q);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(rng.normal());
  for (Eigen::Index i = 0; i < w.size(); ++i) w.data()[i] = static_cast<float>(rng.normal() / std::sqrt(p));
  for (Eigen::Index i = 0; i < v.size(); ++i) v.data()[i] = static_cast<float>(rng.normal());
  MatrixF y = (x * w).array().tanh().matrix() * v;
  for (Eigen::Index i = 0; i < y.size(); ++i) y.data()[i] += static_cast<float>(0.5 * rng.normal());
  io::write_npy(dir + "/x.npy", x);
  io::write_npy(dir + "/y.npy", y);

  seed_torch(seed, false);
  LatentModuleShape shape{.p = p, .q = q, .k = k, .hidden = hidden};
  auto net = std::make_shared<LatentModule>(shape);
  // Standardisation over all rows, as the model does on its training rows.
  auto xt = to_tensor(x, torch::kCPU), yt = to_tensor(y, torch::kCPU);
  net->set_scaling(xt.mean(0), xt.std(0, false), yt.mean(0), yt.std(0, false));
  for (const auto& item : net->named_parameters()) {
    auto c = item.value().detach().contiguous();
    io::write_npy(dir + "/init_" + item.key() + ".npy", to_matrix(c.dim() == 1 ? c.unsqueeze(0) : c));
  }
  for (const auto& item : net->named_buffers())
    io::write_npy(dir + "/buf_" + item.key() + ".npy", to_matrix(item.value()));

  std::vector<std::int64_t> rows(static_cast<std::size_t>(t));
  for (std::int64_t i = 0; i < t; ++i) rows[static_cast<std::size_t>(i)] = i;
  MatrixF order(epochs, t);
  for (std::int64_t e = 0; e < epochs; ++e) {
    const auto o = batch_order(seed, e, rows);
    for (std::int64_t i = 0; i < t; ++i) order(e, i) = static_cast<float>(o[static_cast<std::size_t>(i)]);
  }
  io::write_npy(dir + "/order.npy", order);

  // Plain Adam, no clipping, no schedule, no early stopping, no validation: the same update as
  // the PyTorch loop, so the steps are comparable one to one.
  TrainOptions o;
  o.epochs = epochs;
  o.batch = batch;
  o.lr = 1e-3;
  o.optimizer = "adam";
  o.schedule = "none";
  o.patience = 0;
  o.clip_norm = 0;
  o.seed = seed;
  o.label = "bench";
  const WindowedData data(x, y, 0, 0, torch::kCPU);
  const auto res = train(*net, data, rows, {}, o);
  const double steps_per_s = static_cast<double>(res.steps) / res.seconds;
  nlohmann::json out = {{"steps", res.steps}, {"seconds", res.seconds}, {"steps_per_s", steps_per_s},
                        {"epoch_loss", res.train_loss}, {"threads", threads}, {"batch", batch}, {"torch_threads", torch::get_num_threads()},
                        {"flops_per_sample", net->cost().flops()}, {"params", net->cost().params()}};
  std::ofstream(dir + "/cpp.json") << out.dump(2);
  std::printf("neurodl (LibTorch %s): %lld steps in %.3f s = %.1f steps/s, final epoch loss %.6f\n",
              TORCH_VERSION, static_cast<long long>(res.steps), res.seconds, steps_per_s, res.train_loss.back());
  return 0;
}
