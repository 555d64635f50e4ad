// Training throughput of neurodl's engine (nets::train) for the side-by-side comparison with the
// same networks in PyTorch (bench/nets_vs_pytorch.py, run by bench/run_nets_bench.sh).
//
//   bench_nets DIR [--model bottleneck|image-net] [--device cpu|cuda] [--threads N] [--t T]
//                  [--p P] [--q Q] [--k K] [--hidden H] [--side S] [--channels C] [--batch B]
//                  [--epochs E] [--seed S]
//
// bottleneck: X (T × p) → k latents → Y (T × q), MSE. image-net: S × S white-noise images →
// conv core (C channels, kernels 5 and 3) and factorised readout → q Poisson neurons, Poisson
// loss + L1 penalty on masks and feature weights.
// Writes to DIR: x.npy, y.npy, order.npy (epochs × T, the engine's batch order),
// init_<param>.npy (initial weights, float32), buffers buf_<name>.npy, and cpp.json {model,
// steps, seconds, steps_per_s, epoch_loss[], ...}. The Python side trains the same network from
// the same weights in the same order, so equal seeds must give equal losses.

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
    std::fprintf(stderr, "usage: bench_nets DIR [--model bottleneck|image-net] [--device cpu|cuda] [--threads N] [--t T] "
                         "[--p P] [--q Q] [--k K] [--hidden H] [--side S] [--channels C] [--batch B] [--epochs E] [--seed S]\n");
    return 2;
  }
  const std::string dir = argv[1];
  std::string model = "bottleneck", device_name = "cpu";
  std::int64_t threads = 2, t = -1, p = 64, q = -1, k = 8, hidden = 128, side = 32, channels = 8, batch = -1, epochs = 5;
  std::uint64_t seed = 0;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string a = argv[i], value = argv[i + 1];
    if (a == "--model") { model = value; continue; }
    if (a == "--device") { device_name = value; continue; }
    const std::int64_t v = std::stoll(value);
    if (a == "--threads") threads = v;
    else if (a == "--t") t = v;
    else if (a == "--p") p = v;
    else if (a == "--q") q = v;
    else if (a == "--k") k = v;
    else if (a == "--hidden") hidden = v;
    else if (a == "--side") side = v;
    else if (a == "--channels") channels = v;
    else if (a == "--batch") batch = v;
    else if (a == "--epochs") epochs = v;
    else if (a == "--seed") seed = static_cast<std::uint64_t>(v);
    else { std::fprintf(stderr, "bench_nets: unknown option %s\n", a.c_str()); return 2; }
  }
  const bool image = model == "image-net";
  if (!image && model != "bottleneck") { std::fprintf(stderr, "bench_nets: unknown model %s\n", model.c_str()); return 2; }
  if (t < 0) t = image ? 2048 : 8192;
  if (q < 0) q = image ? 64 : 256;
  if (batch < 0) batch = image ? 64 : 256;
  if (image) p = side * side;
  set_num_threads(static_cast<int>(threads));
  const torch::Device device = choose_device(device_name);

  Rng rng(seed);
  MatrixF x(t, p), y;
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(rng.normal());
  if (image) {
    // Poisson counts of q neurons with random linear filters: rate exp(0.3·w·x / ‖w‖).
    MatrixF w(p, q);
    for (Eigen::Index i = 0; i < w.size(); ++i) w.data()[i] = static_cast<float>(rng.normal() / std::sqrt(p));
    const MatrixF drive = x * w;
    y.resize(t, q);
    for (Eigen::Index i = 0; i < y.size(); ++i) y.data()[i] = static_cast<float>(rng.poisson(std::exp(0.3 * drive.data()[i])));
  } else {
    // Y a noisy nonlinear function of a k-dimensional projection of X.
    MatrixF w(p, k), v(k, q);
    for (Eigen::Index i = 0; i < w.size(); ++i) w.data()[i] = static_cast<float>(rng.normal() / std::sqrt(p));
    for (Eigen::Index i = 0; i < v.size(); ++i) v.data()[i] = static_cast<float>(rng.normal());
    y = (x * w).array().tanh().matrix() * v;
    for (Eigen::Index i = 0; i < y.size(); ++i) y.data()[i] += static_cast<float>(0.5 * rng.normal());
  }
  io::write_npy(dir + "/x.npy", x);
  io::write_npy(dir + "/y.npy", y);

  seed_torch(seed, false);
  std::shared_ptr<Net> net;
  ImageNetOptions io_;
  if (image) {
    io_.channels = channels;
    net = make_image_module(io_, side, side, q);
  } else {
    LatentModuleShape shape{.p = p, .q = q, .k = k, .hidden = hidden};
    auto latent = std::make_shared<LatentModule>(shape);
    // Standardisation over all rows, as the model does on its training rows.
    auto xt = to_tensor(x, torch::kCPU), yt = to_tensor(y, torch::kCPU);
    latent->set_scaling(xt.mean(0), xt.std(0, false), yt.mean(0), yt.std(0, false));
    net = latent;
  }
  for (const auto& item : net->named_parameters()) {
    auto c = item.value().detach().contiguous();
    io::write_npy(dir + "/init_" + item.key() + ".npy", to_matrix(c.dim() == 1 ? c.unsqueeze(0) : c.reshape({c.size(0), -1})));
  }
  for (const auto& item : net->named_buffers())
    io::write_npy(dir + "/buf_" + item.key() + ".npy", to_matrix(item.value().reshape({1, -1})));

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
  o.loss = image ? Loss::poisson : Loss::mse;
  const WindowedData data(x, y, 0, 0, device);
  const auto res = train(*net, data, rows, {}, o);
  const double steps_per_s = static_cast<double>(res.steps) / res.seconds;
  nlohmann::json out = {{"model", model}, {"device", device.str()}, {"mask_l1", io_.mask_l1}, {"feature_l1", io_.feature_l1},
                        {"steps", res.steps}, {"seconds", res.seconds}, {"steps_per_s", steps_per_s},
                        {"epoch_loss", res.train_loss}, {"threads", threads}, {"batch", batch}, {"torch_threads", torch::get_num_threads()},
                        {"flops_per_sample", net->cost().flops()}, {"params", net->cost().params()}};
  std::ofstream(dir + "/cpp.json") << out.dump(2);
  std::printf("neurodl %s on %s (LibTorch %s): %lld steps in %.3f s = %.1f steps/s, final epoch loss %.6f\n",
              model.c_str(), device.str().c_str(), TORCH_VERSION, static_cast<long long>(res.steps), res.seconds, steps_per_s, res.train_loss.back());
  return 0;
}
