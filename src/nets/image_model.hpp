#pragma once
// Private to neurodl::nets: what image-net (image_net.cpp) and joint (joint_net.cpp) share beyond
// their convolutional core (image_core.hpp). Both cross-validate a fresh network per fold, refit on
// all rows, and keep the same sizes, timings, summary keys and model-file entries; the template
// below holds that once, so each .cpp keeps only its network, its scaling and what its fit adds.

#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "neurodl/core/error.hpp"
#include "neurodl/core/matrix.hpp"
#include "neurodl/core/model.hpp"
#include "neurodl/core/options.hpp"
#include "neurodl/core/random.hpp"
#include "neurodl/eval/metrics.hpp"
#include "neurodl/eval/splits.hpp"
#include "neurodl/nets/compute.hpp"
#include "neurodl/nets/train.hpp"
#include "module_state.hpp"
#include "torch_guard.hpp"

namespace neurodl::nets::detail {

using Clock = std::chrono::steady_clock;

/// Seconds on the steady clock since t0.
inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// Row indices 0 … n − 1.
inline std::vector<std::int64_t> all_rows(std::int64_t n) {
  std::vector<std::int64_t> r(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) r[static_cast<std::size_t>(i)] = i;
  return r;
}

/// v as a JSON array; NaN and ±Inf become null (JSON has no numbers for them).
inline nlohmann::json json_array(const VectorD& v) {
  nlohmann::json a = nlohmann::json::array();
  for (double e : v) a.push_back(std::isfinite(e) ? nlohmann::json(e) : nlohmann::json());
  return a;
}

/// The mean of v's entries that are not NaN (eval::nan_mean); null when it is not finite, e.g.
/// when every entry is NaN or v is empty.
inline nlohmann::json json_nan_mean(const VectorD& v) {
  const double m = eval::nan_mean(v);
  return std::isfinite(m) ? nlohmann::json(m) : nlohmann::json();
}

/// A float32 tensor (n) holding a copy of v (n).
inline torch::Tensor float_tensor(const VectorD& v) {
  return torch::from_blob(const_cast<double*>(v.data()), {v.size()}, torch::kFloat64)
      .to(torch::kFloat32);
}

/// Mean and standard deviation (1/n) of the first `npx` columns of x over `rows`, pooled into one
/// scalar each (pixel statistics: a per-pixel scaling would break translation equivariance). A
/// constant image gets sd 1, so that scaling by it changes nothing.
inline std::pair<double, double> pixel_mean_sd(const MatrixF& x,
                                               const std::vector<std::int64_t>& rows,
                                               std::int64_t npx) {
  double xs = 0, xss = 0;
  for (auto r : rows) {
    const auto img = x.row(r).head(npx).cast<double>();
    xs += img.sum();
    xss += img.squaredNorm();
  }
  const double n = static_cast<double>(rows.size()) * static_cast<double>(npx);
  const double mean = xs / n, var = xss / n - mean * mean;
  return {mean, var > 0 ? std::sqrt(var) : 1.0};
}

/// Per-column mean and standard deviation (1/n) of columns first … first + cols − 1 of m over
/// `rows` (each cols). A constant column gets sd 1.
inline std::pair<VectorD, VectorD> column_mean_sd(const MatrixF& m,
                                                  const std::vector<std::int64_t>& rows,
                                                  Eigen::Index first, Eigen::Index cols) {
  const auto n = static_cast<double>(rows.size());
  VectorD mean = VectorD::Zero(cols), sd = VectorD::Zero(cols);
  for (auto r : rows) mean += m.row(r).segment(first, cols).transpose().cast<double>();
  mean /= n;
  for (auto r : rows) {
    const auto row = m.row(r).segment(first, cols).transpose().cast<double>();
    sd += (row - mean).array().square().matrix();
  }
  for (auto& e : sd) e = e > 0 ? std::sqrt(e / n) : 1.0;
  return {mean, sd};
}

/// Appends the option rows of the convolutional core (image_core.hpp), described once for every
/// net that has one: image_height, image_width, layers, channels, kernel, hidden_kernel (fields of
/// the same names in NetOptions).
template <class NetOptions>
void append_image_core_specs(std::vector<OptionSpec>& s, NetOptions& o) {
  const std::vector<OptionSpec> core = {
      {.name = "image_height", .help = "image height (0: square images, h = w = √p)", .unit = "px", .target = &o.image_height, .min = 0, .max = 1e6},
      {.name = "image_width", .help = "image width (0: p / image_height, or √p)", .unit = "px", .target = &o.image_width, .min = 0, .max = 1e6},
      {.name = "layers", .help = "convolutional layers of the core", .target = &o.layers, .min = 1, .max = 16},
      {.name = "channels", .help = "channels of every core layer", .target = &o.channels, .min = 1, .max = 4096},
      {.name = "kernel", .help = "kernel side of the first core layer (valid convolution)", .unit = "px", .target = &o.kernel, .min = 1, .max = 1024},
      {.name = "hidden_kernel", .help = "kernel side of the later core layers", .unit = "px", .target = &o.hidden_kernel, .min = 1, .max = 1024},
  };
  s.insert(s.end(), core.begin(), core.end());
}

/// Appends the training rows of the image-based nets: epochs, batch, lr, weight_decay, mask_l1,
/// feature_l1, loss, patience, val_fraction.
template <class NetOptions>
void append_image_training_specs(std::vector<OptionSpec>& s, NetOptions& o) {
  const std::vector<OptionSpec> training = {
      {.name = "epochs", .help = "maximum training epochs per fit", .target = &o.epochs, .min = 1, .max = 1e7},
      {.name = "batch", .help = "mini-batch size", .unit = "presentations", .target = &o.batch, .min = 1, .max = 1e9},
      {.name = "lr", .help = "AdamW learning rate", .target = &o.lr, .min = 1e-9, .max = 10},
      {.name = "weight_decay", .help = "AdamW decoupled weight decay", .target = &o.weight_decay, .min = 0, .max = 10},
      {.name = "mask_l1", .help = "L1 penalty on the per-neuron spatial masks (mean over neurons of Σ|m|)", .target = &o.mask_l1, .min = 0, .max = 1e3},
      {.name = "feature_l1", .help = "L1 penalty on the per-neuron feature weights (mean over neurons of Σ|w|)", .target = &o.feature_l1, .min = 0, .max = 1e3},
      {.name = "loss", .help = "training loss (poisson: Y are counts, softplus rates; mse: affine output)", .target = &o.loss, .choices = {"poisson", "mse"}},
      {.name = "patience", .help = "early-stopping patience on the validation loss", .unit = "epochs", .target = &o.patience, .min = 1, .max = 1e7},
      {.name = "val_fraction", .help = "last fraction of each training set held out for early stopping", .target = &o.val_fraction, .min = 0, .max = 0.5},
  };
  s.insert(s.end(), training.begin(), training.end());
}

/// The names by which an image-based net appears in errors, files and summaries.
struct ImageModelNames {
  const char* component;  ///< prefix of its errors and progress labels, e.g. "nets.image-net"
  const char* model;      ///< registry name: ModelState::model, summary "model", checkpoint prefix
  const char* x_width;    ///< what predict() says when X has the wrong number of columns
  const char* x_unit;     ///< unit of X's columns in that message ("": none)
};

/// The state and steps behind the pimpl of image-net and joint (CRTP: `Impl` derives from it).
/// It holds the options, the fitted network (`Module`, a Net, on the CPU), the sizes (p, q and
/// the image h × w), CV R² and r per target, and the timings; `Impl` adds its own results and
/// provides:
///   static constexpr ImageModelNames kNames;
///   void prepare_fit(x, y)                      checks X and Y, sets h, w and its own sizes
///   std::shared_ptr<Module> new_net(x, y, rows) a fresh network scaled by the rows' statistics
///   void cross_validate(data, device, x, y, folds)  sets cv_r2, cv_corr and its own results
///   void add_summary(json&) const               its own summary keys
///   void add_state(ModelState&) const           its own state arrays
///   std::shared_ptr<Module> loaded_net(options, p, q, h, w) const
///                                               IoError when the sizes disagree, else a network
///   void load_results(const ModelState&)        its own results from the state
template <class Impl, class Options, class Module>
struct ImageModel {
  Options options;
  std::shared_ptr<Module> net;  // the fitted network (on the CPU)
  VectorD cv_r2, cv_corr;
  std::int64_t n_samples = 0, p = 0, q = 0, h = 0, w = 0, epochs_run = 0, best_epoch = 0;
  double fit_seconds = 0, train_seconds = 0, inference_seconds = 0;
  std::string device = "cpu";
  nlohmann::json loaded_summary;  // from load_state: summary() returns it as saved

  void check_fitted() const {
    check(net != nullptr, ErrorKind::config,
          {.component = names().component, .what = "model is not fitted"});
  }

  // Trains a fresh network on `rows`, the last val_fraction of them held out for early stopping;
  // the scaling statistics come from those rows only (Impl::new_net). seed_torch comes first, so
  // the seed fixes the initial weights.
  std::pair<std::shared_ptr<Module>, TrainResult> train_one(const WindowedData& data,
                                                            const MatrixF& x, const MatrixF& y,
                                                            const std::vector<std::int64_t>& rows,
                                                            std::uint64_t seed,
                                                            const std::string& label,
                                                            const std::string& ckpt) const {
    seed_torch(seed, options.deterministic);
    auto fresh = self().new_net(x, y, rows);
    const auto n_val = static_cast<std::size_t>(
        std::floor(options.val_fraction * static_cast<double>(rows.size())));
    std::vector<std::int64_t> fit_rows(rows.begin(),
                                       rows.end() - static_cast<std::ptrdiff_t>(n_val));
    std::vector<std::int64_t> val_rows(rows.end() - static_cast<std::ptrdiff_t>(n_val), rows.end());
    if (fit_rows.empty()) fit_rows = rows, val_rows.clear();
    auto result = train(*fresh, data, fit_rows, val_rows,
                        engine_options(options, seed, label, names().model, ckpt));
    fresh->to(torch::kCPU);
    return {fresh, result};
  }

  // Out-of-fold predictions (T × q): fold f's network is trained on its training rows with seed
  // splitmix64(seed ^ (f + 1)) and predicts its test rows, so every variant of a fit (joint's
  // shuffled inputs) sees the same initialisation and batch order per fold. `variant` and `tag`
  // (empty for a plain fit) name the run in progress labels and checkpoint files; `fold_r2`,
  // when given, receives each fold's target-mean R².
  MatrixF out_of_fold(const WindowedData& data, const MatrixF& x, const MatrixF& y,
                      const std::vector<eval::Fold>& folds, const std::string& variant = "",
                      const std::string& tag = "", std::vector<double>* fold_r2 = nullptr) const {
    const auto k = static_cast<std::int64_t>(folds.size());
    MatrixF oof(y.rows(), y.cols());
    for (std::int64_t f = 0; f < k; ++f) {
      const auto& fold = folds[static_cast<std::size_t>(f)];
      std::uint64_t s = options.seed ^ static_cast<std::uint64_t>(f + 1);
      const std::string label = std::string(names().component) +
                                (variant.empty() ? "" : " " + variant) + " fold " +
                                std::to_string(f + 1) + "/" + std::to_string(k);
      auto [net_f, res] = train_one(data, x, y, fold.train, splitmix64(s), label,
                                    (tag.empty() ? "" : tag + "_") + "fold" + std::to_string(f));
      const MatrixF pred = to_matrix(predict_rows(*net_f, data, fold.test));
      for (std::size_t i = 0; i < fold.test.size(); ++i)
        oof.row(fold.test[i]) = pred.row(static_cast<Eigen::Index>(i));
      if (fold_r2 != nullptr) {
        const MatrixF yt = y(fold.test, Eigen::all);
        fold_r2->push_back(yt.rows() >= 2 ? eval::r2_score(yt, pred).mean() : 0.0);
      }
    }
    return oof;
  }

  // Block CV over rows (Impl::cross_validate), then the final network on all rows; the timings
  // of that last training and of one prediction of X go into the compute summary.
  void fit(const MatrixF& x, const MatrixF& y) {
    const auto t0 = Clock::now();
    self().prepare_fit(x, y);
    const auto folds = eval::time_block_folds(x.rows(), options.split);
    torch_guard(names().component, [&] {
      const torch::Device dev = choose_device(options.device);
      device = dev.str();
      const WindowedData data(x, y, 0, 0, dev);
      self().cross_validate(data, dev, x, y, folds);

      const auto t_train = Clock::now();
      std::uint64_t s = options.seed;
      auto [net_final, res] = train_one(data, x, y, all_rows(x.rows()), splitmix64(s),
                                        std::string(names().component) + " final", "final");
      train_seconds = seconds_since(t_train);
      epochs_run = res.epochs_run;
      best_epoch = res.best_epoch;
      net = net_final;
      n_samples = x.rows();
      p = x.cols();
      q = y.cols();
      const auto t_inf = Clock::now();
      (void)predict(x);
      inference_seconds = seconds_since(t_inf);
      return 0;
    });
    loaded_summary = nlohmann::json();
    fit_seconds = seconds_since(t0);
  }

  MatrixF predict(const MatrixF& x) const {
    check_fitted();
    check(x.cols() == p, ErrorKind::shape,
          {.component = names().component,
           .what = names().x_width,
           .expected = std::to_string(p),
           .got = std::to_string(x.cols()),
           .unit = names().x_unit,
           .field = "X"});
    const auto bad = count_nonfinite(x);
    check(bad == 0, ErrorKind::config,
          {.component = names().component,
           .what = "X contains NaN or Inf",
           .expected = "0 non-finite values",
           .got = std::to_string(bad),
           .field = "X"});
    return torch_guard(names().component, [&] {
      const WindowedData data(x, MatrixF(x.rows(), 0), 0, 0, torch::kCPU);
      return to_matrix(predict_rows(*net, data, all_rows(x.rows())));
    });
  }

  ComputeCost cost() const {
    check_fitted();
    return net->cost();
  }

  // The keys both nets report, Impl's own ones, then the compute summary and training record.
  nlohmann::json summary() const {
    check_fitted();
    if (!loaded_summary.is_null()) return loaded_summary;
    nlohmann::json s;
    s["model"] = names().model;
    s["n_samples"] = n_samples;
    s["n_features"] = p;
    s["n_targets"] = q;
    s["image_height"] = h;
    s["image_width"] = w;
    s["cv_r2"] = json_array(cv_r2);
    s["cv_r2_mean"] = cv_r2.mean();
    s["cv_corr"] = json_array(cv_corr);
    s["cv_corr_mean"] = json_nan_mean(cv_corr);
    self().add_summary(s);
    add_compute_summary(
        s, net->cost(),
        {cv_r2.mean(), train_seconds, inference_seconds, device, options.device_power_w});
    s["epochs_run"] = epochs_run;
    s["best_epoch"] = best_epoch;
    s["fit_seconds"] = fit_seconds;
    return s;
  }

  ModelState state() const {
    check_fitted();
    ModelState st;
    st.model = names().model;
    Options copy = options;  // option_specs takes the options by reference
    st.params["options"] = option_values(option_specs(copy));
    st.params["n_features"] = p;
    st.params["n_targets"] = q;
    st.params["image_height"] = h;
    st.params["image_width"] = w;
    st.params["summary"] = summary();
    save_module_tensors(*net, st);
    st.arrays["cv_r2"] = cv_r2.transpose();
    self().add_state(st);
    return st;
  }

  // Nothing changes unless the whole state loads (every member is set at the end).
  void load_state(const ModelState& st) {
    check(st.model == names().model, ErrorKind::io,
          {.component = names().component,
           .what = "state is of another model",
           .expected = names().model,
           .got = st.model});
    load_guard(names().component, [&] {
      Options o;
      apply_options(option_specs(o), st.params.at("options"), names().component);
      const std::int64_t n_features = st.params.at("n_features"),
                         n_targets = st.params.at("n_targets");
      const std::int64_t height = st.params.at("image_height"), width = st.params.at("image_width");
      auto loaded = self().loaded_net(o, n_features, n_targets, height, width);
      load_module_tensors(*loaded, st, names().component);
      options = o;
      net = loaded;
      p = n_features;
      q = n_targets;
      h = height;
      w = width;
      if (auto it = st.arrays.find("cv_r2"); it != st.arrays.end())
        cv_r2 = it->second.row(0).transpose();
      self().load_results(st);
      loaded_summary = st.params.value("summary", nlohmann::json::object());
      loaded_summary["model"] = names().model;
    });
  }

 private:
  static constexpr const ImageModelNames& names() { return Impl::kNames; }
  Impl& self() { return static_cast<Impl&>(*this); }
  const Impl& self() const { return static_cast<const Impl&>(*this); }
};

}  // namespace neurodl::nets::detail
