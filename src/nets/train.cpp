// The training engine (train.hpp). One loop for every deep model: Adam/AdamW with a schedule,
// gradient clipping, early stopping with the best weights restored, and resumable checkpoints.
//
// Resume equality: everything that influences later epochs is saved — weights, the optimiser's
// moments and step counts, the current learning rate and the schedule's counter, the early-
// stopping state (best loss, best epoch, best weights, epochs without improvement), the loss
// history, and torch's CPU generator. Mini-batch orders are drawn from neurodl::Rng(seed, epoch),
// a pure function of the epoch, so they need no saved state.

#include "neurodl/nets/train.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>

#include <nlohmann/json.hpp>

#include "neurodl/core/error.hpp"
#include "neurodl/core/progress.hpp"
#include "neurodl/core/random.hpp"
#include "neurodl/core/threads.hpp"
#include "torch_guard.hpp"

namespace neurodl::nets {
namespace {

constexpr const char* kComponent = "nets.train";
constexpr double kNaNd = std::numeric_limits<double>::quiet_NaN();
constexpr std::int64_t kPredictChunk = 8192;

void check_options(const TrainOptions& o) {
  auto bad = [](const std::string& what, const std::string& expected, const std::string& got) {
    raise(ErrorKind::config, {.component = kComponent, .what = what, .expected = expected, .got = got});
  };
  if (o.epochs < 1) bad("epochs out of range", ">= 1", std::to_string(o.epochs));
  if (o.batch < 1) bad("batch out of range", ">= 1", std::to_string(o.batch));
  if (!(o.lr > 0) || !std::isfinite(o.lr)) bad("lr out of range", "> 0", std::to_string(o.lr));
  if (!(o.weight_decay >= 0)) bad("weight_decay out of range", ">= 0", std::to_string(o.weight_decay));
  if (o.optimizer != "adam" && o.optimizer != "adamw") bad("unknown optimizer", "adam or adamw", o.optimizer);
  if (o.schedule != "none" && o.schedule != "cosine" && o.schedule != "plateau")
    bad("unknown schedule", "none, cosine or plateau", o.schedule);
  if (o.patience < 0) bad("patience out of range", ">= 0", std::to_string(o.patience));
  if (!(o.clip_norm >= 0)) bad("clip_norm out of range", ">= 0", std::to_string(o.clip_norm));
  if (o.checkpoint_every < 1) bad("checkpoint_every out of range", ">= 1", std::to_string(o.checkpoint_every));
}

void set_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& group : opt.param_groups()) {
    if (auto* a = dynamic_cast<torch::optim::AdamWOptions*>(&group.options())) a->lr(lr);
    else if (auto* b = dynamic_cast<torch::optim::AdamOptions*>(&group.options())) b->lr(lr);
  }
}

torch::Tensor index_tensor(const std::int64_t* first, std::int64_t n, torch::Device device) {
  auto cpu = torch::from_blob(const_cast<std::int64_t*>(first), {n}, torch::kInt64).clone();
  return device.is_cpu() ? cpu : cpu.to(device);
}

// Mean loss over `rows` without gradients, in chunks (sample-weighted, so equal to the loss of
// one big batch).
double evaluate(Net& net, const WindowedData& data, const std::vector<std::int64_t>& rows, Loss loss,
                const torch::Tensor& variance) {
  if (rows.empty()) return kNaNd;
  torch::NoGradGuard no_grad;
  double total = 0.0;
  const auto n = static_cast<std::int64_t>(rows.size());
  for (std::int64_t s = 0; s < n; s += kPredictChunk) {
    const std::int64_t m = std::min(kPredictChunk, n - s);
    auto idx = index_tensor(rows.data() + s, m, data.device());
    total += loss_value(loss, net.forward(data.inputs(idx)), data.targets(idx), variance).item<double>() *
             static_cast<double>(m);
  }
  return total / static_cast<double>(n);
}

// Scalar state of a run; written as JSON text into the checkpoint.
struct RunState {
  std::int64_t next_epoch = 0;
  double lr = 0.0;
  double best = std::numeric_limits<double>::infinity();
  std::int64_t best_epoch = -1;
  std::int64_t since_best = 0;    // epochs without a new best (early stopping)
  std::int64_t since_reduce = 0;  // epochs without a new best since the last LR reduction
  bool finished = false;
  bool stopped_early = false;
  std::vector<double> train_loss, val_loss;

  nlohmann::json to_json() const {
    auto nan_safe = [](const std::vector<double>& v) {
      nlohmann::json a = nlohmann::json::array();
      for (double x : v) a.push_back(std::isfinite(x) ? nlohmann::json(x) : nlohmann::json());
      return a;
    };
    return {{"next_epoch", next_epoch}, {"lr", lr}, {"best", std::isfinite(best) ? nlohmann::json(best) : nlohmann::json()},
            {"best_epoch", best_epoch}, {"since_best", since_best}, {"since_reduce", since_reduce},
            {"finished", finished}, {"stopped_early", stopped_early},
            {"train_loss", nan_safe(train_loss)}, {"val_loss", nan_safe(val_loss)}};
  }
  void from_json(const nlohmann::json& j) {
    auto vec = [](const nlohmann::json& a) {
      std::vector<double> v;
      for (const auto& x : a) v.push_back(x.is_null() ? kNaNd : x.get<double>());
      return v;
    };
    next_epoch = j.at("next_epoch");
    lr = j.at("lr");
    best = j.at("best").is_null() ? std::numeric_limits<double>::infinity() : j.at("best").get<double>();
    best_epoch = j.at("best_epoch");
    since_best = j.at("since_best");
    since_reduce = j.at("since_reduce");
    finished = j.at("finished");
    stopped_early = j.at("stopped_early");
    train_loss = vec(j.at("train_loss"));
    val_loss = vec(j.at("val_loss"));
  }
};

void save_checkpoint(const std::string& path, Net& net, torch::optim::Optimizer& opt,
                     const std::vector<torch::Tensor>& best, const RunState& st) {
  torch::serialize::OutputArchive archive, model, optim;
  net.save(model);
  opt.save(optim);
  archive.write("model", model);
  archive.write("optimizer", optim);
  for (std::size_t i = 0; i < best.size(); ++i) archive.write("best." + std::to_string(i), best[i]);
  archive.write("rng_cpu", at::detail::getDefaultCPUGenerator().get_state());
  archive.write("state", c10::IValue(st.to_json().dump()));
  // Written under a temporary name and renamed, so an interruption never leaves a torn file.
  const std::string tmp = path + ".tmp";
  archive.save_to(tmp);
  std::filesystem::rename(tmp, path);
}

void load_checkpoint(const std::string& path, Net& net, torch::optim::Optimizer& opt,
                     std::vector<torch::Tensor>& best, RunState& st) {
  try {
    torch::serialize::InputArchive archive, model, optim;
    archive.load_from(path);
    archive.read("model", model);
    net.load(model);
    archive.read("optimizer", optim);
    opt.load(optim);
    for (std::size_t i = 0; i < best.size(); ++i) {
      torch::Tensor t;
      archive.read("best." + std::to_string(i), t);
      best[i].copy_(t);
    }
    torch::Tensor rng;
    archive.read("rng_cpu", rng);
    at::Generator gen = at::detail::getDefaultCPUGenerator();  // a handle to the global one
    gen.set_state(rng);
    c10::IValue text;
    archive.read("state", text);
    st.from_json(nlohmann::json::parse(text.toStringRef()));
  } catch (const c10::Error& e) {
    raise(ErrorKind::io, {.component = kComponent, .what = "cannot resume from checkpoint: " + detail::torch_message(e),
                          .file = path});
  } catch (const nlohmann::json::exception& e) {
    raise(ErrorKind::io, {.component = kComponent, .what = std::string("corrupt checkpoint state: ") + e.what(),
                          .file = path});
  }
}

}  // namespace

std::string to_string(Loss loss) {
  switch (loss) {
    case Loss::mse: return "mse";
    case Loss::gaussian: return "gaussian";
    case Loss::poisson: return "poisson";
  }
  throw InternalError("nets: unknown Loss value");
}

Loss loss_from_string(const std::string& name) {
  for (Loss l : {Loss::mse, Loss::gaussian, Loss::poisson})
    if (to_string(l) == name) return l;
  raise(ErrorKind::config, {.component = kComponent, .what = "unknown loss",
                            .expected = "mse, gaussian or poisson", .got = "'" + name + "'"});
}

torch::Device choose_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  if (name == "cuda") {
    check(torch::cuda::is_available(), ErrorKind::config,
          {.component = kComponent, .what = "no CUDA device available", .expected = "auto or cpu",
           .got = "cuda", .field = "device"});
    return torch::kCUDA;
  }
  raise(ErrorKind::config, {.component = kComponent, .what = "unknown device",
                            .expected = "auto, cpu or cuda", .got = "'" + name + "'", .field = "device"});
}

void seed_torch(std::uint64_t seed, bool deterministic) {
  // torch::manual_seed takes a uint64 and seeds the CPU and every CUDA generator.
  torch::manual_seed(seed);
  // warn_only = false: an op without a deterministic implementation throws instead of silently
  // giving run-to-run differences (matters on CUDA; CPU kernels are deterministic).
  at::globalContext().setDeterministicAlgorithms(deterministic, false);
  torch::set_num_threads(deterministic ? 1 : std::max(1, num_threads()));
}

torch::Tensor to_tensor(const MatrixF& m, torch::Device device) {
  auto t = torch::from_blob(const_cast<float*>(m.data()), {m.rows(), m.cols()}, torch::kFloat32).clone();
  return device.is_cpu() ? t : t.to(device);
}

MatrixF to_matrix(const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  if (c.dim() == 1) c = c.unsqueeze(1);
  MatrixF m(c.size(0), c.size(1));
  std::copy(c.data_ptr<float>(), c.data_ptr<float>() + c.numel(), m.data());
  return m;
}

WindowedData::WindowedData(const MatrixF& x, const MatrixF& y, std::int64_t before, std::int64_t after,
                           torch::Device device)
    : samples_(x.rows()), before_(before), after_(after), device_(device) {
  check(x.rows() == y.rows(), ErrorKind::shape,
        {.component = kComponent, .what = "X and Y row counts differ", .expected = std::to_string(x.rows()),
         .got = std::to_string(y.rows()), .unit = "samples"});
  check(before >= 0 && after >= 0, ErrorKind::config,
        {.component = kComponent, .what = "window sizes must not be negative", .expected = ">= 0",
         .got = std::to_string(before) + ", " + std::to_string(after)});
  y_ = to_tensor(y, device);
  auto xt = to_tensor(x, device);
  if (before == 0 && after == 0) {
    x_ = xt;
  } else {
    // The first and last rows repeated at the ends (a signal held at its edge value rather than
    // jumping to 0), then a view of shape T × p × W whose row t is X[t − before … t + after]
    // transposed.
    check(x.rows() > 0, ErrorKind::shape, {.component = kComponent, .what = "no samples to window", .got = "0"});
    x_ = torch::cat({xt.slice(0, 0, 1).expand({before, x.cols()}), xt,
                     xt.slice(0, x.rows() - 1, x.rows()).expand({after, x.cols()})});
    windows_ = x_.unfold(0, before + 1 + after, 1);
  }
}

torch::Tensor WindowedData::inputs(const torch::Tensor& index) const {
  auto idx = index.to(device_);
  return windows_.defined() ? windows_.index_select(0, idx) : x_.index_select(0, idx);
}

torch::Tensor WindowedData::targets(const torch::Tensor& index) const {
  return y_.index_select(0, index.to(device_));
}

torch::Tensor loss_value(Loss loss, const torch::Tensor& prediction, const torch::Tensor& target,
                         const torch::Tensor& target_variance) {
  switch (loss) {
    case Loss::mse: return (prediction - target).square().mean();
    case Loss::gaussian: {
      auto sq = (prediction - target).square();
      if (target_variance.defined()) sq = sq / target_variance;
      return 0.5 * sq.mean();
    }
    case Loss::poisson:
      // The 1e-8 keeps log finite where a rate underflows to 0 (neuralpredictors uses the same).
      return (prediction - target * torch::log(prediction + 1e-8)).mean();
  }
  throw InternalError("nets: unknown Loss value");
}

std::vector<std::int64_t> batch_order(std::uint64_t seed, std::int64_t epoch,
                                      const std::vector<std::int64_t>& train_rows) {
  // One stream per epoch ("nets" + epoch), so the order is a pure function of (seed, epoch).
  Rng rng(seed, 0x6e657473ULL + static_cast<std::uint64_t>(epoch));
  const auto perm = rng.permutation(static_cast<std::int64_t>(train_rows.size()));
  std::vector<std::int64_t> order(train_rows.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = train_rows[static_cast<std::size_t>(perm[i])];
  return order;
}

torch::Tensor predict_rows(Net& net, const WindowedData& data, const std::vector<std::int64_t>& rows) {
  return detail::torch_guard("nets.predict", [&] {
    torch::NoGradGuard no_grad;
    net.eval();
    // The network may live on another device than the data (trained on a GPU, then moved to the
    // CPU for saving): each chunk of inputs goes to the network's device.
    const auto params = net.parameters();
    const torch::Device dev = params.empty() ? data.device() : params.front().device();
    std::vector<torch::Tensor> parts;
    const auto n = static_cast<std::int64_t>(rows.size());
    for (std::int64_t s = 0; s < n; s += kPredictChunk) {
      const std::int64_t m = std::min(kPredictChunk, n - s);
      const auto in = data.inputs(index_tensor(rows.data() + s, m, data.device()));
      parts.push_back(net.forward(in.to(dev)).to(torch::kCPU));
    }
    return parts.empty() ? torch::zeros({0, 0}) : torch::cat(parts);
  });
}

TrainResult train(Net& net, const WindowedData& data, const std::vector<std::int64_t>& train_rows,
                  const std::vector<std::int64_t>& val_rows, const TrainOptions& o,
                  const torch::Tensor& target_variance,
                  const std::function<bool(const EpochReport&)>& on_epoch) {
  check_options(o);
  check(!train_rows.empty(), ErrorKind::config,
        {.component = kComponent, .what = "no training rows", .expected = ">= 1", .got = "0"});
  return detail::torch_guard(kComponent, [&] {
    const auto t0 = std::chrono::steady_clock::now();
    TrainResult result;
    net.to(data.device());
    torch::Tensor variance = target_variance.defined() ? target_variance.to(data.device()) : torch::Tensor();

    std::unique_ptr<torch::optim::Optimizer> opt;
    if (o.optimizer == "adam")
      opt = std::make_unique<torch::optim::Adam>(net.parameters(),
                                                 torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));
    else
      opt = std::make_unique<torch::optim::AdamW>(net.parameters(),
                                                  torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay));

    std::vector<torch::Tensor> params = net.parameters();
    std::vector<torch::Tensor> best;
    for (const auto& p : params) best.push_back(p.detach().clone());
    RunState st;
    st.lr = o.lr;
    if (!o.checkpoint.empty() && std::filesystem::exists(o.checkpoint)) {
      load_checkpoint(o.checkpoint, net, *opt, best, st);
      result.resumed = true;
    }

    const auto n_train = static_cast<std::int64_t>(train_rows.size());
    const std::int64_t batches = (n_train + o.batch - 1) / o.batch;
    const std::int64_t plateau_wait = std::max<std::int64_t>(2, o.patience / 4);
    Progress progress(o.label, (o.epochs - st.next_epoch) * batches);
    bool interrupted = false;
    while (!st.finished && st.next_epoch < o.epochs && !interrupted) {
      const std::int64_t epoch = st.next_epoch;
      if (o.schedule == "cosine")
        st.lr = o.lr * (0.01 + 0.99 * 0.5 * (1.0 + std::cos(M_PI * static_cast<double>(epoch) / static_cast<double>(o.epochs))));
      set_lr(*opt, st.lr);
      const auto order = batch_order(o.seed, epoch, train_rows);
      net.train();
      double epoch_loss = 0.0;
      // The epoch's batch order goes to the data's device once; each step takes a slice of it
      // (a host-to-device copy per step would stall a GPU's queue at every step).
      const auto order_t = index_tensor(order.data(), n_train, data.device());
      for (std::int64_t b = 0; b < batches; ++b) {
        const std::int64_t start = b * o.batch, m = std::min(o.batch, n_train - start);
        const auto idx = order_t.narrow(0, start, m);
        opt->zero_grad();
        auto loss = loss_value(o.loss, net.forward(data.inputs(idx)), data.targets(idx), variance);
        if (auto extra = net.penalty(); extra.defined()) loss = loss + extra;
        loss.backward();
        if (o.clip_norm > 0) torch::nn::utils::clip_grad_norm_(params, o.clip_norm);
        opt->step();
        epoch_loss += loss.item<double>() * static_cast<double>(m);
        ++result.steps;
        progress.advance();
      }
      epoch_loss /= static_cast<double>(n_train);
      net.eval();
      const double val = val_rows.empty() ? kNaNd : evaluate(net, data, val_rows, o.loss, variance);
      st.train_loss.push_back(epoch_loss);
      st.val_loss.push_back(val);
      check(std::isfinite(epoch_loss), ErrorKind::config,
            {.component = kComponent, .what = "training loss is not finite (lower lr or check inputs)",
             .got = std::to_string(epoch_loss), .field = o.label + " epoch " + std::to_string(epoch)});
      // Live losses after the bar (silent under --quiet, like the bar itself).
      char detail[128];
      if (val_rows.empty())
        std::snprintf(detail, sizeof detail, "epoch %lld/%lld train %.4g", static_cast<long long>(epoch + 1),
                      static_cast<long long>(o.epochs), epoch_loss);
      else
        std::snprintf(detail, sizeof detail, "epoch %lld/%lld train %.4g val %.4g", static_cast<long long>(epoch + 1),
                      static_cast<long long>(o.epochs), epoch_loss, val);
      progress.set_detail(detail);
      const double monitored = val_rows.empty() ? epoch_loss : val;
      const double used_lr = st.lr;
      if (monitored < st.best) {
        st.best = monitored;
        st.best_epoch = epoch;
        st.since_best = 0;
        st.since_reduce = 0;
        torch::NoGradGuard no_grad;
        for (std::size_t i = 0; i < params.size(); ++i) best[i].copy_(params[i]);
      } else {
        ++st.since_best;
        ++st.since_reduce;
        if (o.schedule == "plateau" && st.since_reduce >= plateau_wait) {
          st.lr = std::max(st.lr * 0.5, o.lr * 1e-3);
          st.since_reduce = 0;
        }
      }
      st.next_epoch = epoch + 1;
      if (o.patience > 0 && st.since_best >= o.patience) {
        st.finished = st.stopped_early = true;
        progress.advance((o.epochs - st.next_epoch) * batches);
      }
      if (st.next_epoch >= o.epochs) st.finished = true;
      if (on_epoch && !on_epoch({epoch, epoch_loss, val, used_lr})) interrupted = !st.finished;
      if (!o.checkpoint.empty() && (st.finished || interrupted || st.next_epoch % o.checkpoint_every == 0))
        save_checkpoint(o.checkpoint, net, *opt, best, st);
    }
    progress.finish();
    // Keep the best weights (early stopping); with patience 0 the last epoch's weights stay.
    if (o.patience > 0 && st.finished && st.best_epoch >= 0) {
      torch::NoGradGuard no_grad;
      for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(best[i]);
    }
    result.train_loss = st.train_loss;
    result.val_loss = st.val_loss;
    result.best_epoch = o.patience > 0 ? st.best_epoch : st.next_epoch - 1;
    result.epochs_run = st.next_epoch;
    result.stopped_early = st.stopped_early;
    result.interrupted = interrupted;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (result.seconds > 2.0 && !Progress::quiet() && !st.train_loss.empty())
      std::fprintf(stderr, "%s: %lld epochs, best %s loss %.5g at epoch %lld (%.1f s)\n", o.label.c_str(),
                   static_cast<long long>(result.epochs_run), val_rows.empty() ? "training" : "validation",
                   st.best, static_cast<long long>(st.best_epoch), result.seconds);
    return result;
  });
}

}  // namespace neurodl::nets
