// Supervised spike inference (nets/spike_net.hpp; docs/spikes.md, "Deep model"). The recipe is
// CASCADE's (Rupprecht et al. 2021, Nat Neurosci 24:1324): one model per frame rate and noise
// level, trained on ground-truth traces resampled to that rate with white noise added up to that
// noise level. The network is small enough to train in about a minute on two CPU cores, and it
// is applied to whole traces as convolutions (the dense layer over a window is a convolution
// whose kernel spans the window), which costs one window's worth of work per frame only once.

#include "neurodl/nets/spike_net.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <numeric>

#include <torch/torch.h>

#include "neurodl/core/error.hpp"
#include "neurodl/core/random.hpp"
#include "neurodl/core/stats.hpp"
#include "neurodl/core/threads.hpp"
#include "neurodl/eval/spikefinder.hpp"
#include "neurodl/io/model_file.hpp"
#include "neurodl/io/registry.hpp"
#include "neurodl/nets/train.hpp"
#include "neurodl/spikes/align.hpp"
#include "neurodl/spikes/dff.hpp"
#include "neurodl/spikes/oasis.hpp"
#include "neurodl/spikes/registry.hpp"
#include "torch_guard.hpp"

#ifndef NEURODL_VERSION
#define NEURODL_VERSION "unknown"
#endif
#ifndef NEURODL_SOURCE_MODEL_DIR
#define NEURODL_SOURCE_MODEL_DIR ""
#endif

namespace neurodl::nets {
namespace {

namespace fs = std::filesystem;
constexpr char kComponent[] = "nets.spike_net";
constexpr char kFormat[] = "neurodl-spike-net";
// ν = 100·median|Δy|/√fs for white noise of s.d. σ: median|N(0, 2σ²)| = 0.6745·√2·σ, so
// ν = 95.39·σ/√fs (σ as a fraction of F0, ν in %·s^-½).
constexpr double kNoiseLevelPerSd = 100.0 * 0.6744897501960817 * 1.4142135623730951;
// Frames predicted per forward pass (bounds the memory of the whole-trace path to ~10 MB per
// layer and column).
constexpr std::int64_t kChunkFrames = 1 << 16;

/// Sizes of the network; stored in every model file so later shapes still load.
struct SpikeArch {
  std::int64_t in_channels = 1;  // input channels (inputs "dff": 1; "dff+oasis-ar*": 2)
  std::int64_t window = 64, before = 32;
  std::int64_t c1 = 16, c2 = 16, c3 = 8, k1 = 15, k2 = 9, k3 = 5, hidden = 32;
  std::int64_t after() const { return window - 1 - before; }
  std::int64_t l1() const { return window - k1 + 1; }
  std::int64_t l2() const { return l1() - k2 + 1; }
  std::int64_t l3() const { return l2() - k3 + 1; }
  std::string name() const {
    return "conv1d-w" + std::to_string(window) + "-c" + std::to_string(c1) + "." +
           std::to_string(c2) + "." + std::to_string(c3) + "-k" + std::to_string(k1) + "." +
           std::to_string(k2) + "." + std::to_string(k3) + "-h" + std::to_string(hidden) +
           (in_channels > 1 ? "-i" + std::to_string(in_channels) : "");
  }
  nlohmann::json to_json() const {
    return {{"in_channels", in_channels}, {"window", window}, {"before", before},
            {"channels", {c1, c2, c3}}, {"kernels", {k1, k2, k3}}, {"hidden", hidden}};
  }
  static SpikeArch from_json(const nlohmann::json& j) {
    SpikeArch a;
    a.in_channels = j.value("in_channels", std::int64_t{1});  // absent before format version 3
    a.window = j.at("window");
    a.before = j.at("before");
    a.c1 = j.at("channels").at(0);
    a.c2 = j.at("channels").at(1);
    a.c3 = j.at("channels").at(2);
    a.k1 = j.at("kernels").at(0);
    a.k2 = j.at("kernels").at(1);
    a.k3 = j.at("kernels").at(2);
    a.hidden = j.at("hidden");
    return a;
  }
  bool valid() const {
    return in_channels >= 1 && in_channels <= 2 && window > 0 && before >= 0 && after() >= 0 && c1 > 0 && c2 > 0 && c3 > 0 && k1 > 0 &&
           k2 > 0 && k3 > 0 && hidden > 0 && l3() >= 1;
  }
};

/// The network: x̃ = x/x_scale (one scale per input channel); three valid Conv1d + ELU; a dense layer over the window (ELU);
/// one linear output, times y_scale (expected spikes per frame).
class SpikeConvNet : public Net {
 public:
  explicit SpikeConvNet(const SpikeArch& a) : a_(a) {
    namespace nn = torch::nn;
    conv1_ = register_module("conv1", nn::Conv1d(nn::Conv1dOptions(a.in_channels, a.c1, a.k1)));
    conv2_ = register_module("conv2", nn::Conv1d(nn::Conv1dOptions(a.c1, a.c2, a.k2)));
    conv3_ = register_module("conv3", nn::Conv1d(nn::Conv1dOptions(a.c2, a.c3, a.k3)));
    fc_ = register_module("fc", nn::Linear(a.c3 * a.l3(), a.hidden));
    out_ = register_module("out", nn::Linear(a.hidden, 1));
    // One channel keeps the shape {1} of format versions 1 and 2; C channels: {C, 1}, which
    // broadcasts over B × C × W.
    x_scale_ = register_buffer("x_scale", a.in_channels == 1 ? torch::ones({1}) : torch::ones({a.in_channels, 1}));
    y_scale_ = register_buffer("y_scale", torch::ones({1}));
  }
  /// x: B × C × W windows → B × 1.
  torch::Tensor forward(const torch::Tensor& x) override {
    auto h = torch::elu(fc_(features(x).flatten(1)));
    return out_(h) * y_scale_;
  }
  /// x: N × C × (T + W − 1), the padded traces → N × T, every frame at once: the dense layer's
  /// weights (hidden × c3·L3) viewed as a Conv1d kernel (hidden × c3 × L3) give, at frame t,
  /// exactly the dense layer applied to frame t's window.
  torch::Tensor forward_trace(const torch::Tensor& x) {
    auto h = features(x);
    h = torch::elu(torch::conv1d(h, fc_->weight.view({a_.hidden, a_.c3, a_.l3()}), fc_->bias));
    return (torch::conv1d(h, out_->weight.view({1, a_.hidden, 1}), out_->bias) * y_scale_).squeeze(1);
  }
  ComputeCost cost() const override {
    ComputeCost c;
    c.layers.push_back(elementwise_cost("scale x/x_scale", a_.in_channels * a_.window));
    c.layers.push_back(conv1d_cost("conv1", a_.in_channels, a_.c1, a_.k1, a_.window));
    c.layers.push_back(elementwise_cost("elu1", a_.c1 * a_.l1()));
    c.layers.push_back(conv1d_cost("conv2", a_.c1, a_.c2, a_.k2, a_.l1()));
    c.layers.push_back(elementwise_cost("elu2", a_.c2 * a_.l2()));
    c.layers.push_back(conv1d_cost("conv3", a_.c2, a_.c3, a_.k3, a_.l2()));
    c.layers.push_back(elementwise_cost("elu3", a_.c3 * a_.l3()));
    c.layers.push_back(linear_cost("fc", a_.c3 * a_.l3(), a_.hidden));
    c.layers.push_back(elementwise_cost("elu4", a_.hidden));
    c.layers.push_back(linear_cost("out", a_.hidden, 1));
    c.layers.push_back(elementwise_cost("scale ·y_scale", 1));
    return c;
  }
  /// x_scale: one value per input channel.
  void set_scaling(const std::vector<double>& x_scale, double y_scale) {
    torch::NoGradGuard g;
    for (std::size_t c = 0; c < x_scale.size(); ++c) x_scale_.view({-1})[static_cast<std::int64_t>(c)].fill_(x_scale[c]);
    y_scale_.fill_(y_scale);
  }
  const SpikeArch& arch() const { return a_; }

 private:
  torch::Tensor features(const torch::Tensor& x) {
    auto h = torch::elu(conv1_(x / x_scale_));
    h = torch::elu(conv2_(h));
    return torch::elu(conv3_(h));
  }
  SpikeArch a_;
  torch::nn::Conv1d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr};
  torch::nn::Linear fc_{nullptr}, out_{nullptr};
  torch::Tensor x_scale_, y_scale_;
};

void check_rate(double fs, const std::string& field) {
  check(std::isfinite(fs) && fs > 0, ErrorKind::config,
        {.component = kComponent, .what = "frame rate must be positive", .expected = "> 0",
         .got = std::to_string(fs), .unit = "Hz", .field = field});
}

/// The finite frames of column j before its trailing NaN padding; NaN/Inf inside is an error.
std::vector<double> column_prefix(const MatrixF& m, Eigen::Index j) {
  Eigen::Index n = m.rows();
  while (n > 0 && std::isnan(m(n - 1, j))) --n;
  std::vector<double> v(static_cast<std::size_t>(n));
  for (Eigen::Index t = 0; t < n; ++t) {
    check(std::isfinite(m(t, j)), ErrorKind::config,
          {.component = kComponent, .what = "non-finite ΔF/F inside a trace (only trailing NaN padding is allowed)",
           .got = "unit " + std::to_string(j) + ", frame " + std::to_string(t)});
    v[static_cast<std::size_t>(t)] = m(t, j);
  }
  return v;
}

/// The input recipes (SpikeNetOptions::inputs): name → AR order of the OASIS channel (0: none).
const std::map<std::string, std::int64_t>& input_recipes() {
  static const std::map<std::string, std::int64_t> recipes = {
      {"dff", 0}, {"dff+oasis-ar1", 1}, {"dff+oasis-ar2", 2}};
  return recipes;
}

/// AR order of the OASIS channel of `inputs` (0: ΔF/F alone). Throws ConfigError listing the
/// valid names for another.
std::int64_t oasis_channel_order(const std::string& inputs) {
  const auto it = input_recipes().find(inputs);
  if (it == input_recipes().end()) {
    std::string valid;
    for (const auto& [name, order] : input_recipes()) valid += (valid.empty() ? "" : ", ") + name;
    raise(ErrorKind::config, {.component = kComponent, .what = "unknown input channels",
                              .expected = "one of " + valid, .got = inputs, .field = "inputs"});
  }
  return it->second;
}

std::int64_t input_channels(const std::string& inputs) { return oasis_channel_order(inputs) > 0 ? 2 : 1; }

/// The values of SpikeNetOptions::blend and ::align with the AR order of their OASIS estimate.
const std::map<std::string, std::int64_t>& oasis_names() {
  static const std::map<std::string, std::int64_t> names = {{"none", 0}, {"oasis-ar1", 1}, {"oasis-ar2", 2}};
  return names;
}
/// AR order of the OASIS estimate that the output is blended with or aligned to
/// (SpikeNetOptions::blend, ::align, named by `field`; 0: none). Throws ConfigError listing the
/// valid names for another.
std::int64_t oasis_order(const std::string& name, const char* field = "blend") {
  const auto it = oasis_names().find(name);
  check(it != oasis_names().end(), ErrorKind::config,
        {.component = kComponent, .what = "unknown " + std::string(field), .expected = "one of none, oasis-ar1, oasis-ar2",
         .got = name, .field = field});
  return it->second;
}

/// Throws ConfigError naming `field` unless `value` is `a` or `b` (the two-way string options).
void check_choice(const std::string& value, const char* a, const char* b, const char* what, const char* field) {
  check(value == a || value == b, ErrorKind::config,
        {.component = kComponent, .what = what, .expected = std::string(a) + " or " + b, .got = value, .field = field});
}

/// The output smoothing of the OASIS estimate that models read, blend with or align to: the one
/// every stored model was trained with, fixed so that a change of `deconvolve`'s defaults cannot
/// change what a stored model predicts.
constexpr double kModelOasisSmoothingS = 0.08;

/// OASIS (AR(order), every parameter estimated, smoothed by 0.08 s — or by per_decay × the
/// trace's decay time when per_decay > 0 —, moved `lead_frames` earlier) of y at rate F: expected
/// spikes per frame; zeros when y is shorter than OASIS's 16 frames or OASIS cannot fit it (e.g.
/// a constant trace).
std::vector<double> oasis_estimate(std::span<const double> y, double F, std::int64_t order,
                                   double lead_frames = 0.0, double per_decay = 0.0, double native_fs = kNaN) {
  std::vector<double> s(y.size(), 0.0);
  if (y.size() < 16) return s;
  spikes::OasisOptions o;
  o.sample_rate_hz = F;
  o.ar_order = order;
  o.smoothing_s = per_decay > 0 ? kNaN : kModelOasisSmoothingS;
  o.smoothing_per_decay = per_decay;
  o.lead_frames = lead_frames;
  o.native_fs_hz = native_fs;
  try {
    spikes::deconvolve_trace(y, o, s);
  } catch (const Error&) {
    std::fill(s.begin(), s.end(), 0.0);
  }
  return s;
}

/// The blend of a network's prediction `deep` with OASIS's `model` (same frames): w·deep/sd(deep)
/// + (1 − w)·model/sd(model), rescaled to deep's total count so that the output stays in
/// expected spikes per frame (the Spikefinder r of a trace does not depend on that scale). A term
/// with s.d. 0 is left out; w = 1 returns deep unchanged.
std::vector<double> blend_predictions(const std::vector<double>& deep, const std::vector<double>& model, double w) {
  if (w >= 1) return deep;
  auto sd = [](const std::vector<double>& v) {
    double mean = 0, q = 0;
    for (double x : v) mean += x / static_cast<double>(v.size());
    for (double x : v) q += (x - mean) * (x - mean) / static_cast<double>(v.size());
    return std::sqrt(q);
  };
  const double sa = sd(deep), sb = sd(model);
  std::vector<double> out(deep.size());
  double total = 0, total_out = 0;
  for (std::size_t i = 0; i < deep.size(); ++i) {
    out[i] = (sa > 0 ? w * deep[i] / sa : 0.0) + (sb > 0 ? (1 - w) * model[i] / sb : 0.0);
    total += deep[i];
    total_out += out[i];
  }
  if (total_out > 0)
    for (double& v : out) v *= total / total_out;
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Input channels
// ---------------------------------------------------------------------------------------------

MatrixF spike_net_inputs(std::span<const double> y, double F, const std::string& inputs) {
  check_rate(F, "sample_rate_hz");
  const std::int64_t order = oasis_channel_order(inputs);
  const auto n = static_cast<Eigen::Index>(y.size());
  for (Eigen::Index t = 0; t < n; ++t)
    check(std::isfinite(y[static_cast<std::size_t>(t)]), ErrorKind::config,
          {.component = kComponent, .what = "non-finite ΔF/F", .got = "frame " + std::to_string(t)});
  MatrixF x = MatrixF::Zero(n, order > 0 ? 2 : 1);
  for (Eigen::Index t = 0; t < n; ++t) x(t, 0) = static_cast<float>(y[static_cast<std::size_t>(t)]);
  if (order == 0 || n < 16) return x;
  // The model-based estimate: OASIS with every parameter estimated from this trace (shipped
  // defaults, calibrated and smoothed by 0.08 s). Its scale rests on the estimated amplitude of
  // one spike, which is what transfers worst between indicators, so the channel keeps only its
  // shape: divided by its 99th percentile (robust to the few largest events; the maximum when
  // most frames are 0).
  const std::vector<double> s = oasis_estimate(y, F, order);
  std::vector<double> sorted = s;
  const auto k = static_cast<std::ptrdiff_t>(std::floor(0.99 * static_cast<double>(n - 1)));
  std::nth_element(sorted.begin(), sorted.begin() + k, sorted.end());
  double scale = sorted[static_cast<std::size_t>(k)];
  if (!(scale > 0)) scale = *std::max_element(s.begin(), s.end());
  if (!(scale > 0) || !std::isfinite(scale)) return x;
  for (Eigen::Index t = 0; t < n; ++t) x(t, 1) = static_cast<float>(s[static_cast<std::size_t>(t)] / scale);
  return x;
}

// ---------------------------------------------------------------------------------------------
// Synthetic training traces
// ---------------------------------------------------------------------------------------------

std::vector<double> synthetic_dff(std::span<const double> counts, double F, double noise_level, Rng& rng,
                                  SyntheticIndicator* drawn, const std::string& response,
                                  double amplitude_min, double amplitude_max) {
  check_rate(F, "--fs");
  check_choice(response, "linear", "hill", "unknown synthetic indicator response", "synthetic_response");
  check(std::isfinite(noise_level) && noise_level >= 0, ErrorKind::config,
        {.component = kComponent, .what = "noise level must be finite and ≥ 0", .got = std::to_string(noise_level),
         .field = "--noise"});
  check(std::isfinite(amplitude_min) && std::isfinite(amplitude_max) && amplitude_min > 0 && amplitude_min <= amplitude_max,
        ErrorKind::config,
        {.component = kComponent, .what = "synthetic amplitude range must satisfy 0 < min ≤ max",
         .got = std::to_string(amplitude_min) + ", " + std::to_string(amplitude_max), .field = "synthetic_amplitude_min"});
  SyntheticIndicator k;
  k.rise_s = std::exp(rng.uniform(std::log(0.005), std::log(0.2)));
  k.decay_s = std::exp(rng.uniform(std::log(0.2), std::log(2.0)));
  k.amplitude = std::exp(rng.uniform(std::log(amplitude_min), std::log(amplitude_max)));
  // Imaging integrates fluorescence over each frame and spikes fall anywhere in it: a spike at
  // offset φ ∈ [0, 1) into frame u (one uniform draw per frame with spikes) gives frame u + j
  // the frame average of h(x) = e^(−x/τd) − e^(−x/τr) (x in frames since the spike):
  //   j = 0:  τd·(1 − e^(−(1−φ)/τd)) − τr·(1 − e^(−(1−φ)/τr))
  //   j ≥ 1:  c_d·gd^(j−1) − c_r·gr^(j−1),  c = τ·(1 − g)·e^(−(1−φ)/τ),  g = e^(−1/τ).
  // The tails run as two first-order recursions. Scaled so that a spike at φ = 0 peaks at the
  // amplitude (over frames).
  const double td = k.decay_s * F, tr = std::max(k.rise_s * F, 0.05);  // in frames
  const double gd = std::exp(-1.0 / td), gr = std::exp(-1.0 / tr);
  double peak = 0;
  for (double pd = 1, pr = 1;; pd *= gd, pr *= gr) {  // φ = 0: r(j) = τd(1−gd)·gd^j − τr(1−gr)·gr^j
    const double v = td * (1 - gd) * pd - tr * (1 - gr) * pr;
    if (v < peak) break;
    peak = v;
  }
  const double scale = k.amplitude / std::max(peak, 1e-300);
  const double sd = noise_level * std::sqrt(F) / kNoiseLevelPerSd;
  std::vector<double> y(counts.size()), noise(counts.size());
  double tail_d = 0, tail_r = 0;  // Σ over earlier frames' spikes of c·g^(j−1)
  for (std::size_t t = 0; t < counts.size(); ++t) {
    double now = 0;
    if (counts[t] != 0) {
      const double rest = 1 - rng.uniform();  // 1 − φ, in (0, 1]
      const double ed = std::exp(-rest / td), er = std::exp(-rest / tr);
      now = counts[t] * (td * (1 - ed) - tr * (1 - er));
      y[t] = scale * (tail_d - tail_r + now);
      tail_d = gd * tail_d + counts[t] * td * (1 - gd) * ed;
      tail_r = gr * tail_r + counts[t] * tr * (1 - gr) * er;
    } else {
      y[t] = scale * (tail_d - tail_r);
      tail_d *= gd;
      tail_r *= gr;
    }
    noise[t] = sd * rng.normal();
  }
  if (response == "hill") {
    // Drawn last, so that the kernel, onsets and noise are those of the linear indicator from the
    // same generator state. c = y/amplitude is the calcium a spike adds, in units of one spike's
    // peak, on top of a resting level c0; the fluorescence follows H(x) = x^n/(x^n + K^n), and
    // ΔF/F = amplitude·(H(c0 + c) − H(c0))/(H(c0 + 1) − H(c0)): 0 at rest, one spike at φ = 0
    // still peaks at the amplitude, a few spikes add supralinearly when n > 1 and a burst
    // saturates (at most (1 − H(c0))/(H(c0 + 1) − H(c0)) single spikes' worth).
    k.hill_n = std::exp(rng.uniform(0.0, std::log(2.5)));
    k.hill_k = std::exp(rng.uniform(std::log(5.0), std::log(30.0)));
    k.hill_rest = k.hill_k * std::exp(rng.uniform(std::log(0.15), std::log(0.5)));
    auto H = [&](double x) {
      const double xn = std::pow(std::max(x, 0.0), k.hill_n);
      return xn / (xn + std::pow(k.hill_k, k.hill_n));
    };
    const double h0 = H(k.hill_rest), one = H(k.hill_rest + 1) - h0;
    for (double& v : y) v = k.amplitude * (H(k.hill_rest + v / k.amplitude) - h0) / one;
  }
  for (std::size_t t = 0; t < y.size(); ++t) y[t] += noise[t];
  if (drawn != nullptr) *drawn = k;
  return y;
}

// ---------------------------------------------------------------------------------------------
// Ground truth
// ---------------------------------------------------------------------------------------------

std::vector<GroundTruthTrace> read_ground_truth(const fs::path& folder,
                                                const std::vector<std::string>& exclude) {
  check(fs::is_directory(folder), ErrorKind::io,
        {.component = kComponent, .what = "ground-truth folder not found", .file = folder.string()});
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(folder))
    if (e.is_directory()) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  std::vector<std::string> names;
  for (const auto& d : dirs) {
    const std::string name = d.filename().string();
    names.push_back(name.substr(0, name.find('-')));
  }
  for (const auto& x : exclude) {
    const bool known = std::any_of(dirs.begin(), dirs.end(), [&](const fs::path& d) {
      const std::string name = d.filename().string();
      return name == x || name.substr(0, name.find('-')) == x;
    });
    std::string valid;
    for (const auto& n : names) valid += (valid.empty() ? "" : ",") + n;
    check(known, ErrorKind::config,
          {.component = kComponent, .what = "unknown dataset to exclude", .expected = "one of " + valid,
           .got = x, .file = folder.string(), .field = "--exclude"});
  }
  std::vector<GroundTruthTrace> out;
  for (std::size_t d = 0; d < dirs.size(); ++d) {
    const std::string full = dirs[d].filename().string();
    if (std::find(exclude.begin(), exclude.end(), names[d]) != exclude.end() ||
        std::find(exclude.begin(), exclude.end(), full) != exclude.end())
      continue;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dirs[d]))
      if (e.path().extension() == ".mat") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      for (const Recording& rec : io::read_recordings(f)) {
        const auto it = rec.truth.find("spike_counts");
        if (it == rec.truth.end()) continue;
        for (Eigen::Index j = 0; j < rec.activity.cols(); ++j) {
          GroundTruthTrace tr{names[d], f.string(), rec.sample_rate_hz, {}, {}};
          for (Eigen::Index t = 0; t < rec.activity.rows(); ++t) {
            const float v = rec.activity(t, j);
            if (!std::isfinite(v)) break;
            tr.dff.push_back(v);
            tr.spikes.push_back(it->second(t, j));
          }
          if (tr.dff.size() >= 128) out.push_back(std::move(tr));
        }
      }
    }
  }
  check(!out.empty(), ErrorKind::io,
        {.component = kComponent, .what = "no ground-truth traces (CAttached .mat in DSxx-* folders)",
         .file = folder.string()});
  return out;
}

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

std::vector<OptionSpec> option_specs(SpikeNetOptions& o) {
  const double inf = std::numeric_limits<double>::infinity();
  return {
      {"sample_rate_hz", "frame rate of the model; training traces are resampled to it", "Hz",
       &o.sample_rate_hz, 0.1, 10000, {}, "--fs"},
      {"noise_level", "noise level of the model (CASCADE's ν); white noise is added up to it",
       "%·s^-1/2", &o.noise_level, 1e-3, 1000, {}, "--noise"},
      {"noise_tolerance", "skip training traces whose noise level exceeds noise × this", "",
       &o.noise_tolerance, 1.0, inf},
      {"noise_copies", "independent noise draws per training trace", "", &o.noise_copies, 1, 100},
      {"downsample", "training traces at a higher rate than the model's: box (mean over each model frame) or point (sampled at its centre, as a scanning microscope sees a cell)",
       "", &o.downsample, -inf, inf, {"box", "point"}},
      {"synthetic_copies", "synthetic traces per training trace: its spikes through a random indicator kernel, noise added to the model's level", "",
       &o.synthetic_copies, 0, 100},
      {"synthetic_response", "response of the synthetic indicators to calcium: linear, or hill (random Hill coefficient and saturation per copy)", "",
       &o.synthetic_response, -inf, inf, {"linear", "hill"}},
      {"synthetic_amplitude_min", "smallest peak ΔF/F of one spike of a synthetic indicator (log-uniform draw)", "ΔF/F",
       &o.synthetic_amplitude_min, 1e-4, 100},
      {"synthetic_amplitude_max", "largest peak ΔF/F of one spike of a synthetic indicator", "ΔF/F",
       &o.synthetic_amplitude_max, 1e-4, 100},
      {"target_smoothing_s", "s.d. of the Gaussian that smooths the target spike counts (its lower bound when target_smoothing_frames > 0)",
       "s", &o.target_smoothing_s, 0, 10},
      {"target_smoothing_frames", "target smoothing in frames of the model rate: s.d. = max(this / fs, target_smoothing_s); 1.5 is CASCADE's rule",
       "frames", &o.target_smoothing_frames, 0, 1000},
      {"windows", "training windows drawn per model (equal shares per dataset)", "", &o.windows,
       1, 1e9},
      {"val_fraction", "last fraction of each trace used for early stopping", "", &o.val_fraction,
       0, 0.5},
      {"epochs", "maximum epochs over the drawn windows", "", &o.epochs, 1, 100000},
      {"members", "networks in the ensemble (seeds seed, seed+1, ...; predictions averaged)", "",
       &o.members, 1, 100},
      {"batch", "mini-batch size", "", &o.batch, 1, 1e7},
      {"lr", "AdamW learning rate (cosine schedule)", "", &o.lr, 0, 10},
      {"weight_decay", "AdamW decoupled weight decay", "", &o.weight_decay, 0, 10},
      {"patience", "early-stopping patience (0: off)", "epochs", &o.patience, 0, 100000},
      {"seed", "seed of window draw, noise, weights and batch order", "", &o.seed},
      {"deterministic", "one torch thread and deterministic algorithms (identical reruns)", "",
       &o.deterministic},
      {"device", "training device", "", &o.device, -inf, inf, {"cpu", "auto", "cuda"}},
      {"inputs", "input channels: ΔF/F alone, or with OASIS's deconvolution of the same trace (AR(1) or AR(2))",
       "", &o.inputs, -inf, inf, {"dff", "dff+oasis-ar1", "dff+oasis-ar2"}},
      {"blend", "blend the prediction with OASIS's, the weight chosen on the validation tails", "",
       &o.blend, -inf, inf, {"none", "oasis-ar1", "oasis-ar2"}},
      {"blend_weight", "fixed weight of the network in the blend (default: chosen on the validation tails)", "",
       &o.blend_weight, 0, 1},
      {"blend_lead_frames", "frames by which the OASIS estimate in the blend is moved earlier (deconvolve --lead-frames)",
       "frames", &o.blend_lead_frames, -100, 100},
      {"blend_smoothing_per_decay", "smoothing of the OASIS estimate in the blend as a multiple of its decay time (deconvolve --smoothing-per-decay; 0: a fixed 0.08 s)",
       "", &o.blend_smoothing_per_decay, 0, 10},
      {"blend_rate", "where the blend is made: at the model rate, or at the input's rate with OASIS of the trace as recorded", "",
       &o.blend_rate, -inf, inf, {"model", "input"}},
      {"align", "shift the prediction of each trace to the lag at which it best matches OASIS's", "",
       &o.align, -inf, inf, {"none", "oasis-ar1", "oasis-ar2"}},
      {"align_max_delay_s", "largest delay of the alignment (the network early)", "s", &o.align_max_delay_s, 0, 10},
      {"align_max_advance_s", "largest advance of the alignment (the network late)", "s", &o.align_max_advance_s, 0, 10},
  };
}

// ---------------------------------------------------------------------------------------------
// SpikeNet
// ---------------------------------------------------------------------------------------------

struct SpikeNet::Impl {
  std::vector<std::shared_ptr<SpikeConvNet>> nets;  // the ensemble's members (same shape)
  SpikeModelInfo info;
  SpikeNetOptions options;
  nlohmann::json training = nlohmann::json::object();

  const SpikeArch& arch() const { return nets.front()->arch(); }
  /// N × 1 × (T + W − 1) padded traces (CPU) → N × T predictions (CPU), in time chunks: the
  /// mean over members of max(0, net). Clipping each member first keeps the mean a mean of
  /// valid predictions (expected counts ≥ 0).
  torch::Tensor run(const torch::Tensor& padded) const {
    const SpikeArch& a = arch();
    const std::int64_t total = padded.size(2) - (a.window - 1);
    std::vector<torch::Tensor> parts;
    for (std::int64_t s = 0; s < total; s += kChunkFrames) {
      const std::int64_t len = std::min(kChunkFrames, total - s);
      const auto chunk = padded.narrow(2, s, len + a.window - 1);
      torch::Tensor sum;
      for (const auto& net : nets) {
        auto p = net->forward_trace(chunk).clamp_min(0.0);
        sum = sum.defined() ? sum + p : p;
      }
      parts.push_back(sum / static_cast<double>(nets.size()));
    }
    return torch::cat(parts, 1);
  }
};

SpikeNet SpikeNet::train(const std::vector<GroundTruthTrace>& traces, const SpikeNetOptions& o,
                         const std::string& command) {
  check_rate(o.sample_rate_hz, "--fs");
  check(std::isfinite(o.noise_level) && o.noise_level > 0, ErrorKind::config,
        {.component = kComponent, .what = "noise level must be positive", .got = std::to_string(o.noise_level),
         .field = "--noise"});
  check(o.noise_copies >= 1 && o.windows >= 1 && o.epochs >= 1 && o.batch >= 1 &&
            o.val_fraction >= 0 && o.val_fraction <= 0.5 && o.noise_tolerance >= 1 &&
            o.target_smoothing_s >= 0 && o.target_smoothing_frames >= 0 && o.members >= 1,
        ErrorKind::config, {.component = kComponent, .what = "bad training options",
                            .expected = "copies, windows, epochs, batch, members ≥ 1; val_fraction in [0, 0.5]; noise_tolerance ≥ 1; smoothing ≥ 0"});
  const auto t0 = std::chrono::steady_clock::now();
  SpikeArch a;
  a.in_channels = input_channels(o.inputs);
  const std::int64_t blend_ar = oasis_order(o.blend);
  oasis_order(o.align, "align");  // the same names (throws for another)
  check(std::isnan(o.blend_weight) || (o.blend_weight >= 0 && o.blend_weight <= 1), ErrorKind::config,
        {.component = kComponent, .what = "blend weight out of range", .expected = "0..1 (or unset)",
         .got = std::to_string(o.blend_weight), .field = "blend_weight"});
  check_choice(o.downsample, "box", "point", "unknown downsampling", "downsample");
  check_choice(o.synthetic_response, "linear", "hill", "unknown synthetic indicator response", "synthetic_response");
  check(o.synthetic_amplitude_min <= o.synthetic_amplitude_max, ErrorKind::config,
        {.component = kComponent, .what = "synthetic amplitude range must satisfy min ≤ max",
         .got = std::to_string(o.synthetic_amplitude_min) + " > " + std::to_string(o.synthetic_amplitude_max),
         .field = "synthetic_amplitude_min"});
  check_choice(o.blend_rate, "input", "model", "unknown blend rate", "blend_rate");
  const auto C = static_cast<std::size_t>(a.in_channels);
  const double F = o.sample_rate_hz;
  const double target_nu = o.noise_level;
  // Target smoothing: σ = max(target_smoothing_s, target_smoothing_frames / F). CASCADE ties σ to
  // the frame rate (1.5 frames: 0.2 s at 7.5 Hz, 0.05 s at 30 Hz) and scores against truth
  // smoothed the same way; against raw counts in 40 ms bins (the Spikefinder metric) a wide
  // target only blurs the prediction, and validation on the training datasets preferred a
  // narrow fixed σ (docs/spikes.md, "Deep model: how the recipe was chosen").
  const double smoothing_s = std::max(o.target_smoothing_s, o.target_smoothing_frames / F);

  // 1. Resample, add noise, smooth targets, build the input channels of each noisy copy (as
  //    predict_trace does); concatenate every copy with its own edge padding (before/after
  //    frames) so a window never reaches into a neighbouring trace. X holds rows of C channels.
  std::vector<float> X, Y;
  struct Segment {
    std::size_t dataset;
    std::int64_t begin, n;
    bool synthetic;  // never validates
  };
  std::vector<Segment> segs;
  std::vector<std::string> datasets;
  std::int64_t used = 0, noisier = 0, too_short = 0;
  std::map<std::string, std::int64_t> used_per_dataset;
  // Validation tails of the first noisy copy of every trace (the blend weight is chosen on them).
  struct Tail {
    std::string dataset;
    std::vector<double> dff, counts;  // at F
  };
  std::vector<Tail> tails;
  std::vector<double> sum_sq(C, 0.0), sum(C, 0.0);
  std::int64_t count = 0;
  for (std::size_t k = 0; k < traces.size(); ++k) {
    const auto& tr = traces[k];
    check_rate(tr.sample_rate_hz, tr.source);
    check(tr.dff.size() == tr.spikes.size(), ErrorKind::shape,
          {.component = kComponent, .what = "ΔF/F and spike counts differ in length",
           .expected = std::to_string(tr.dff.size()), .got = std::to_string(tr.spikes.size()),
           .file = tr.source});
    std::vector<double> y(tr.dff.begin(), tr.dff.end()), s(tr.spikes.begin(), tr.spikes.end());
    if (y.empty()) {
      ++too_short;
      continue;
    }
    std::vector<double> yr = resample_trace(y, tr.sample_rate_hz, F, o.downsample == "box");
    const auto n = static_cast<std::int64_t>(yr.size());
    if (n < 2 * a.window) {
      ++too_short;
      continue;
    }
    const double nu = spikes::cascade_noise_level(yr, F);
    if (!(nu <= target_nu * o.noise_tolerance)) {
      ++noisier;
      continue;
    }
    const std::vector<double> counts = rebin_counts(s, tr.sample_rate_hz, F, n);
    std::vector<double> target = counts;
    spikes::smooth_spikes(target, F, smoothing_s);
    // Independent white noise adds in quadrature to the trace's own: ν² → ν² + ν_add².
    const double nu_add = std::sqrt(std::max(0.0, target_nu * target_nu - nu * nu));
    const double sd_add = nu_add * std::sqrt(F) / kNoiseLevelPerSd;
    auto it = std::find(datasets.begin(), datasets.end(), tr.dataset);
    const std::size_t d = static_cast<std::size_t>(it - datasets.begin());
    if (it == datasets.end()) datasets.push_back(tr.dataset);
    ++used;
    ++used_per_dataset[tr.dataset];
    Rng rng(o.seed, 1 + k);
    for (std::int64_t c = 0; c < o.noise_copies + o.synthetic_copies; ++c) {
      // Rounded to float first: the values the network sees, also the ones OASIS deconvolves.
      std::vector<double> noisy(static_cast<std::size_t>(n));
      const bool synthetic = c >= o.noise_copies;
      if (synthetic) {
        const std::vector<double> syn = synthetic_dff(counts, F, target_nu, rng, nullptr, o.synthetic_response,
                                                          o.synthetic_amplitude_min, o.synthetic_amplitude_max);
        for (std::int64_t t = 0; t < n; ++t)
          noisy[static_cast<std::size_t>(t)] = static_cast<float>(syn[static_cast<std::size_t>(t)]);
      } else {
        for (std::int64_t t = 0; t < n; ++t)
          noisy[static_cast<std::size_t>(t)] =
              static_cast<float>(yr[static_cast<std::size_t>(t)] + sd_add * rng.normal());
      }
      const MatrixF in = spike_net_inputs(noisy, F, o.inputs);
      const auto n_val = static_cast<std::int64_t>(std::floor(o.val_fraction * static_cast<double>(n)));
      if (blend_ar > 0 && c == 0 && n_val >= 64)
        tails.push_back({tr.dataset, {noisy.end() - n_val, noisy.end()}, {counts.end() - n_val, counts.end()}});
      auto push_row = [&](Eigen::Index t) {
        for (Eigen::Index ch = 0; ch < in.cols(); ++ch) X.push_back(in(t, ch));
      };
      for (std::int64_t t = 0; t < a.before; ++t) push_row(0);
      Y.insert(Y.end(), static_cast<std::size_t>(a.before), 0.0f);
      segs.push_back({d, static_cast<std::int64_t>(Y.size()), n, synthetic});
      for (std::int64_t t = 0; t < n; ++t) {
        push_row(t);
        Y.push_back(static_cast<float>(target[static_cast<std::size_t>(t)]));
        for (std::size_t ch = 0; ch < C; ++ch) {
          const double v = in(t, static_cast<Eigen::Index>(ch));
          sum[ch] += v;
          sum_sq[ch] += v * v;
        }
        ++count;
      }
      for (std::int64_t t = 0; t < a.after(); ++t) push_row(n - 1);
      Y.insert(Y.end(), static_cast<std::size_t>(a.after()), 0.0f);
    }
  }
  check(used > 0, ErrorKind::config,
        {.component = kComponent,
         .what = "no training trace at or below the target noise level (noise is only added)",
         .expected = "ν ≤ " + std::to_string(target_nu * o.noise_tolerance),
         .got = std::to_string(noisier) + " noisier, " + std::to_string(too_short) + " too short",
         .unit = "%·s^-1/2", .field = "--noise"});

  // 2. Rows: the last val_fraction of each segment (after a one-window gap) validates; training
  //    windows are drawn with equal shares per dataset, so large datasets do not dominate.
  std::vector<std::vector<std::int64_t>> train_pool(datasets.size());
  std::vector<std::int64_t> val_pool;
  for (const auto& sg : segs) {
    const auto n_val = static_cast<std::int64_t>(std::floor(o.val_fraction * static_cast<double>(sg.n)));
    const std::int64_t n_train = n_val > 0 ? std::max<std::int64_t>(0, sg.n - n_val - a.window) : sg.n;
    for (std::int64_t t = 0; t < n_train; ++t) train_pool[sg.dataset].push_back(sg.begin + t);
    if (sg.synthetic) continue;  // early stopping watches real traces only
    for (std::int64_t t = sg.n - n_val; t < sg.n; ++t) val_pool.push_back(sg.begin + t);
  }
  std::vector<std::int64_t> train_rows, val_rows;
  const std::int64_t share = std::max<std::int64_t>(1, o.windows / static_cast<std::int64_t>(datasets.size()));
  for (std::size_t d = 0; d < datasets.size(); ++d) {
    auto& pool = train_pool[d];
    if (static_cast<std::int64_t>(pool.size()) <= share) {
      train_rows.insert(train_rows.end(), pool.begin(), pool.end());
      continue;
    }
    Rng rng(o.seed, 1000003 + d);
    // Partial Fisher–Yates: the first `share` entries become a uniform draw without replacement.
    for (std::int64_t i = 0; i < share; ++i) {
      const auto j = i + static_cast<std::int64_t>(rng.below(pool.size() - static_cast<std::size_t>(i)));
      std::swap(pool[static_cast<std::size_t>(i)], pool[static_cast<std::size_t>(j)]);
      train_rows.push_back(pool[static_cast<std::size_t>(i)]);
    }
  }
  const std::int64_t max_val = std::max<std::int64_t>(1, o.windows / 4);
  if (static_cast<std::int64_t>(val_pool.size()) > max_val) {
    const double step = static_cast<double>(val_pool.size()) / static_cast<double>(max_val);
    for (std::int64_t i = 0; i < max_val; ++i)
      val_rows.push_back(val_pool[static_cast<std::size_t>(static_cast<double>(i) * step)]);
  } else {
    val_rows = val_pool;
  }
  check(!train_rows.empty(), ErrorKind::config,
        {.component = kComponent, .what = "no training windows (traces too short for the validation split)"});

  // 3. Scaling buffers: x by the s.d. of each training input channel, y by the s.d. of the drawn
  //    targets.
  std::vector<double> x_sd(C);
  for (std::size_t ch = 0; ch < C; ++ch) {
    const double x_mean = sum[ch] / static_cast<double>(count);
    x_sd[ch] = std::sqrt(std::max(sum_sq[ch] / static_cast<double>(count) - x_mean * x_mean, 1e-12));
  }
  double ys = 0, yss = 0;
  for (auto r : train_rows) {
    ys += Y[static_cast<std::size_t>(r)];
    yss += static_cast<double>(Y[static_cast<std::size_t>(r)]) * Y[static_cast<std::size_t>(r)];
  }
  const double y_mean = ys / static_cast<double>(train_rows.size());
  const double y_sd = std::sqrt(std::max(yss / static_cast<double>(train_rows.size()) - y_mean * y_mean, 1e-12));

  SpikeNet model;
  model.impl_ = std::make_shared<Impl>();
  auto& m = *model.impl_;
  m.options = o;
  std::vector<TrainResult> results;
  detail::torch_guard(kComponent, [&] {
    const torch::Device device = choose_device(o.device);
    const Eigen::Map<const MatrixF> xm(X.data(), static_cast<Eigen::Index>(Y.size()), a.in_channels);
    const Eigen::Map<const MatrixF> ym(Y.data(), static_cast<Eigen::Index>(Y.size()), 1);
    WindowedData data(xm, ym, a.before, a.after(), device);
    // Ensemble members see the same windows and noise; they differ in their initial weights and
    // batch order (seed + k), as CASCADE's 5 models per condition do.
    for (std::int64_t k = 0; k < o.members; ++k) {
      const std::uint64_t seed = o.seed + static_cast<std::uint64_t>(k);
      seed_torch(seed, o.deterministic);
      auto net = std::make_shared<SpikeConvNet>(a);
      net->set_scaling(x_sd, y_sd);
      net->to(device);
      TrainOptions t;
      t.epochs = o.epochs;
      t.batch = o.batch;
      t.lr = o.lr;
      t.weight_decay = o.weight_decay;
      t.optimizer = "adamw";
      t.schedule = "cosine";
      t.patience = o.patience;
      t.loss = Loss::mse;
      t.seed = seed;
      t.deterministic = o.deterministic;
      t.label = o.members > 1 ? "train-spikes " + std::to_string(k + 1) + "/" + std::to_string(o.members)
                              : "train-spikes";
      results.push_back(nets::train(*net, data, train_rows, val_rows, t));
      net->to(torch::kCPU);
      net->eval();
      m.nets.push_back(net);
    }
  });

  m.info.architecture = a.name();
  m.info.sample_rate_hz = F;
  m.info.noise_level = target_nu;
  m.info.training_datasets = datasets;
  m.info.neurodl_version = NEURODL_VERSION;
  m.info.seed = o.seed;
  m.info.training_command = command;
  m.info.members = o.members;
  m.info.inputs = o.inputs;
  m.info.blend = o.blend;
  m.info.blend_weight = 1.0;
  m.info.blend_lead_frames = o.blend_lead_frames;
  m.info.blend_smoothing_per_decay = o.blend_smoothing_per_decay;
  m.info.blend_rate = o.blend_rate;
  m.info.align = o.align;
  m.info.align_max_delay_s = o.align_max_delay_s;
  m.info.align_max_advance_s = o.align_max_advance_s;
  nlohmann::json blend_scores = nlohmann::json::object();
  if (blend_ar > 0 && !tails.empty()) {
    // The blend weight: the Spikefinder r on the validation tails (mean over each dataset's
    // tails, then over datasets) for w = 1, 0.9, …, 0; ties go to the larger w.
    std::vector<std::vector<double>> deep, oasis;
    for (const auto& t : tails) {
      deep.push_back(model.predict_trace(t.dff, F));  // blend_weight 1: the network alone
      oasis.push_back(oasis_estimate(t.dff, F, blend_ar, o.blend_lead_frames, o.blend_smoothing_per_decay));
    }
    double best = -2;
    for (int i = 10; i >= 0; --i) {
      const double w = i / 10.0;
      std::map<std::string, std::vector<double>> per;
      for (std::size_t k = 0; k < tails.size(); ++k) {
        const auto p = blend_predictions(deep[k], oasis[k], w);
        const auto T = static_cast<Eigen::Index>(p.size());
        MatrixF truth(T, 1), pred(T, 1);
        for (Eigen::Index t = 0; t < T; ++t) {
          truth(t, 0) = static_cast<float>(tails[k].counts[static_cast<std::size_t>(t)]);
          pred(t, 0) = static_cast<float>(p[static_cast<std::size_t>(t)]);
        }
        const double r = eval::spikefinder_score(truth, pred, F).correlation[0];
        if (std::isfinite(r)) per[tails[k].dataset].push_back(r);
      }
      double score = 0;
      for (const auto& [d, v] : per)
        score += std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size()) / static_cast<double>(per.size());
      blend_scores[std::to_string(w).substr(0, 3)] = score;
      if (!per.empty() && score > best + 1e-12) {
        best = score;
        m.info.blend_weight = w;
      }
    }
  }
  // A fixed weight replaces the validation's choice (whose scores stay on record).
  if (blend_ar > 0 && !std::isnan(o.blend_weight)) m.info.blend_weight = o.blend_weight;
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m.training = {{"traces_used", used},
                {"traces_skipped_noisier", noisier},
                {"traces_skipped_short", too_short},
                {"traces_per_dataset", used_per_dataset},
                {"frames", count},
                {"train_windows", train_rows.size()},
                {"val_windows", val_rows.size()},
                {"x_scale", C == 1 ? nlohmann::json(x_sd[0]) : nlohmann::json(x_sd)},
                {"y_scale", y_sd},
                {"mean_target", y_mean},
                {"target_smoothing_s", smoothing_s}};
  nlohmann::json per_member = nlohmann::json::array();
  for (const auto& res : results)
    per_member.push_back({{"epochs_run", res.epochs_run},
                          {"best_epoch", res.best_epoch},
                          {"train_loss", res.train_loss},
                          {"val_loss", res.val_loss},
                          {"train_seconds", res.seconds}});
  for (const auto& [key, value] : per_member[0].items()) m.training[key] = value;
  m.training["members"] = per_member;
  if (blend_ar > 0) {
    m.training["blend_validation_r"] = blend_scores;  // by w
    m.training["blend_validation_tails"] = tails.size();
  }
  m.training["seconds"] = secs;
  return model;
}

ModelState SpikeNet::state() const {
  check(impl_ && !impl_->nets.empty(), ErrorKind::config, {.component = kComponent, .what = "model is not trained"});
  const auto& m = *impl_;
  ModelState st;
  st.model = kSpikeNetModel;
  SpikeNetOptions copy = m.options;
  st.params = {{"format", kFormat},
               {"format_version", kSpikeNetFormatVersion},
               {"members", static_cast<std::int64_t>(m.nets.size())},
               {"inputs", m.info.inputs},
               {"blend", {{"method", m.info.blend},
                          {"weight", m.info.blend_weight},
                          {"oasis_lead_frames", m.info.blend_lead_frames},
                          {"oasis_smoothing_per_decay", m.info.blend_smoothing_per_decay},
                          {"rate", m.info.blend_rate}}},
               {"align", {{"method", m.info.align},
                          {"max_delay_s", m.info.align_max_delay_s},
                          {"max_advance_s", m.info.align_max_advance_s}}},
               {"architecture", m.info.architecture},
               {"architecture_shape", m.arch().to_json()},
               {"sample_rate_hz", m.info.sample_rate_hz},
               {"noise_level_pct_per_sqrt_s", m.info.noise_level},
               {"training_datasets", m.info.training_datasets},
               {"neurodl_version", m.info.neurodl_version},
               {"seed", m.info.seed},
               {"training_command", m.info.training_command},
               {"output", "expected spikes per frame (>= 0) at the input's frame rate"},
               {"options", option_values(option_specs(copy))},
               {"training", m.training}};
  nlohmann::json shapes = nlohmann::json::object();
  auto put = [&](const std::string& key, const torch::Tensor& t) {
    auto c = t.detach().to(torch::kCPU, torch::kFloat64).contiguous();
    const std::int64_t rows = c.dim() <= 1 ? 1 : c.size(0);
    MatrixD arr(rows, c.numel() / rows);
    std::copy(c.data_ptr<double>(), c.data_ptr<double>() + c.numel(), arr.data());
    st.arrays[key] = arr;
    shapes[key] = c.sizes().vec();
  };
  for (std::size_t k = 0; k < m.nets.size(); ++k) {
    const std::string prefix = "member" + std::to_string(k) + ".";
    for (const auto& item : m.nets[k]->named_parameters()) put(prefix + "param." + item.key(), item.value());
    for (const auto& item : m.nets[k]->named_buffers()) put(prefix + "buffer." + item.key(), item.value());
  }
  st.params["shapes"] = shapes;
  return st;
}

SpikeNet SpikeNet::from_state(const ModelState& st, const std::string& source) {
  auto fail = [&](const std::string& what, const std::string& field, const std::string& expected = {},
                  const std::string& got = {}) {
    raise(ErrorKind::io, {.component = kComponent, .what = what, .expected = expected, .got = got,
                          .file = source, .field = field});
  };
  if (st.model != kSpikeNetModel) fail("not a spike model", "model", kSpikeNetModel, st.model);
  const auto& p = st.params;
  if (!p.is_object() || !p.contains("format_version") || !p["format_version"].is_number_integer())
    fail("missing or malformed metadata", "params.format_version");
  const std::int64_t version = p["format_version"];
  if (version < 1 || version > kSpikeNetFormatVersion)
    fail("unsupported spike model format version", "params.format_version",
         "1 to " + std::to_string(kSpikeNetFormatVersion), std::to_string(version));
  SpikeNet model;
  model.impl_ = std::make_shared<Impl>();
  auto& m = *model.impl_;
  std::string field;
  std::int64_t members = 1;
  try {
    field = "params.members";
    if (version >= 2) members = p.at("members").get<std::int64_t>();
    if (members < 1 || members > 100) fail("ensemble size out of range", field, "1..100", std::to_string(members));
    m.info.members = members;
    m.info.format_version = version;
    field = "params.architecture_shape";
    const SpikeArch a = SpikeArch::from_json(p.at("architecture_shape"));
    if (!a.valid()) fail("invalid network shape", field);
    field = "params.inputs";
    // Versions 1 and 2 predate the option: ΔF/F alone.
    m.info.inputs = version >= 3 ? p.at("inputs").get<std::string>() : "dff";
    if (input_recipes().count(m.info.inputs) == 0) fail("unknown input channels", field, "dff, dff+oasis-ar1 or dff+oasis-ar2", m.info.inputs);
    field = "params.blend";
    if (version >= 3) {
      m.info.blend = p.at("blend").at("method").get<std::string>();
      m.info.blend_weight = p.at("blend").at("weight").get<double>();
      if (oasis_names().count(m.info.blend) == 0)
        fail("unknown blend", "params.blend.method", "none, oasis-ar1 or oasis-ar2", m.info.blend);
      if (!(m.info.blend_weight >= 0 && m.info.blend_weight <= 1))
        fail("blend weight out of range", "params.blend.weight", "0..1", std::to_string(m.info.blend_weight));
    }
    field = "params.blend.oasis_lead_frames";
    if (version >= 5) {
      m.info.blend_lead_frames = p.at("blend").at("oasis_lead_frames").get<double>();
      if (!(std::abs(m.info.blend_lead_frames) <= 100))
        fail("blend lead out of range", field, "-100..100", std::to_string(m.info.blend_lead_frames));
      // Absent in the first format-5 files: the fixed 0.08 s smoothing.
      field = "params.blend.oasis_smoothing_per_decay";
      m.info.blend_smoothing_per_decay = p.at("blend").value("oasis_smoothing_per_decay", 0.0);
      if (!(m.info.blend_smoothing_per_decay >= 0 && m.info.blend_smoothing_per_decay <= 10))
        fail("blend smoothing out of range", field, "0..10", std::to_string(m.info.blend_smoothing_per_decay));
    }
    field = "params.blend.rate";
    if (version >= 6) {
      m.info.blend_rate = p.at("blend").at("rate").get<std::string>();
      if (m.info.blend_rate != "model" && m.info.blend_rate != "input")
        fail("unknown blend rate", field, "model or input", m.info.blend_rate);
    }
    field = "params.align";
    if (version >= 4) {
      m.info.align = p.at("align").at("method").get<std::string>();
      if (oasis_names().count(m.info.align) == 0)
        fail("unknown alignment", "params.align.method", "none, oasis-ar1 or oasis-ar2", m.info.align);
      for (auto [key, value] : {std::pair{"max_delay_s", &m.info.align_max_delay_s},
                                std::pair{"max_advance_s", &m.info.align_max_advance_s}}) {
        field = "params.align.";
        field += key;
        *value = p.at("align").at(key).get<double>();
        if (!(*value >= 0 && *value <= 10)) fail("alignment shift out of range", field, "0..10", std::to_string(*value));
      }
    }
    if (input_channels(m.info.inputs) != a.in_channels)
      fail("input channels differ from the network's", "params.architecture_shape.in_channels",
           std::to_string(input_channels(m.info.inputs)), std::to_string(a.in_channels));
    field = "params.sample_rate_hz";
    m.info.sample_rate_hz = p.at("sample_rate_hz").get<double>();
    if (!(m.info.sample_rate_hz > 0)) fail("frame rate must be positive", field);
    field = "params.noise_level_pct_per_sqrt_s";
    m.info.noise_level = p.at("noise_level_pct_per_sqrt_s").get<double>();
    if (!(m.info.noise_level > 0)) fail("noise level must be positive", field);
    field = "params.architecture";
    m.info.architecture = p.at("architecture").get<std::string>();
    field = "params.training_datasets";
    m.info.training_datasets = p.at("training_datasets").get<std::vector<std::string>>();
    field = "params.neurodl_version";
    m.info.neurodl_version = p.value("neurodl_version", std::string());
    field = "params.seed";
    m.info.seed = p.value("seed", std::uint64_t{0});
    field = "params.training_command";
    m.info.training_command = p.value("training_command", std::string());
    field = "params.options";
    if (p.contains("options")) apply_options(option_specs(m.options), p["options"], kComponent);
    m.training = p.value("training", nlohmann::json::object());
    for (std::int64_t k = 0; k < members; ++k) m.nets.push_back(std::make_shared<SpikeConvNet>(a));
  } catch (const nlohmann::json::exception& e) {
    fail(std::string("missing or malformed metadata (") + e.what() + ")", field);
  } catch (const ConfigError& e) {
    fail(std::string("bad metadata: ") + e.what(), field);
  }
  torch::NoGradGuard no_grad;
  auto load = [&](const std::string& key, torch::Tensor& t) {
    const auto it = st.arrays.find(key);
    if (it == st.arrays.end()) fail("missing weights", "arrays/" + key);
    if (it->second.size() != t.numel())
      fail("weights of the wrong size", "arrays/" + key, std::to_string(t.numel()),
           std::to_string(it->second.size()));
    if (!it->second.allFinite()) fail("non-finite weights", "arrays/" + key);
    t.copy_(torch::from_blob(const_cast<double*>(it->second.data()), t.sizes(), torch::kFloat64));
  };
  for (std::size_t k = 0; k < m.nets.size(); ++k) {
    // Version 1: one network, arrays param.* / buffer.*.
    const std::string prefix = version == 1 ? "" : "member" + std::to_string(k) + ".";
    for (auto& item : m.nets[k]->named_parameters()) load(prefix + "param." + item.key(), item.value());
    for (auto& item : m.nets[k]->named_buffers()) load(prefix + "buffer." + item.key(), item.value());
    m.nets[k]->eval();
  }
  return model;
}

SpikeNet SpikeNet::load(const fs::path& path) {
  return from_state(io::read_model(path), path.string());
}

void SpikeNet::save(const fs::path& path) const { io::write_model(path, state()); }

const SpikeModelInfo& SpikeNet::info() const {
  check(impl_ != nullptr, ErrorKind::config, {.component = kComponent, .what = "model is not trained"});
  return impl_->info;
}
const nlohmann::json& SpikeNet::training() const {
  check(impl_ != nullptr, ErrorKind::config, {.component = kComponent, .what = "model is not trained"});
  return impl_->training;
}
ComputeCost SpikeNet::cost() const {
  check(impl_ && !impl_->nets.empty(), ErrorKind::config, {.component = kComponent, .what = "model is not trained"});
  if (impl_->nets.size() == 1) return impl_->nets[0]->cost();
  ComputeCost c;
  for (std::size_t k = 0; k < impl_->nets.size(); ++k)
    for (auto layer : impl_->nets[k]->cost().layers) {
      layer.layer = "member" + std::to_string(k) + "." + layer.layer;
      c.layers.push_back(layer);
    }
  // The mean over members: members − 1 sums and one product per frame.
  c.layers.push_back(elementwise_cost("ensemble mean", static_cast<std::int64_t>(impl_->nets.size())));
  return c;
}

std::int64_t SpikeNet::members() const {
  check(impl_ && !impl_->nets.empty(), ErrorKind::config, {.component = kComponent, .what = "model is not trained"});
  return static_cast<std::int64_t>(impl_->nets.size());
}

SpikeNet SpikeNet::member(std::int64_t k) const {
  check(k >= 0 && k < members(), ErrorKind::config,
        {.component = kComponent, .what = "ensemble member out of range",
         .expected = "0.." + std::to_string(members() - 1), .got = std::to_string(k)});
  SpikeNet one;
  one.impl_ = std::make_shared<Impl>(*impl_);
  one.impl_->nets = {impl_->nets[static_cast<std::size_t>(k)]};
  one.impl_->info.members = 1;
  return one;
}

std::vector<double> SpikeNet::predict_trace(std::span<const double> y, double fs, double* delay_s, double native_fs) const {
  check(impl_ && !impl_->nets.empty(), ErrorKind::config, {.component = kComponent, .what = "model is not trained"});
  check_rate(fs, "--fs");
  const auto n = static_cast<std::int64_t>(y.size());
  check(n >= 2, ErrorKind::shape, {.component = kComponent, .what = "trace too short", .expected = ">= 2 frames",
                                   .got = std::to_string(n)});
  for (std::int64_t t = 0; t < n; ++t)
    check(std::isfinite(y[static_cast<std::size_t>(t)]), ErrorKind::config,
          {.component = kComponent, .what = "non-finite ΔF/F", .got = "frame " + std::to_string(t)});
  const auto& m = *impl_;
  const SpikeArch& a = m.arch();
  const double F = m.info.sample_rate_hz;
  const std::vector<double> yr = resample_trace(y, fs, F);
  const auto nr = static_cast<std::int64_t>(yr.size());
  const MatrixF in = spike_net_inputs(yr, F, m.info.inputs);
  // C × (T + W − 1): each channel with its edge values repeated, as in training.
  const std::int64_t len = nr + a.window - 1;
  std::vector<float> padded(static_cast<std::size_t>(a.in_channels * len));
  for (std::int64_t ch = 0; ch < a.in_channels; ++ch)
    for (std::int64_t i = 0; i < len; ++i)
      padded[static_cast<std::size_t>(ch * len + i)] = in(std::clamp<std::int64_t>(i - a.before, 0, nr - 1), ch);
  std::vector<double> pr(static_cast<std::size_t>(nr));
  detail::torch_guard(kComponent, [&] {
    torch::NoGradGuard no_grad;
    const auto x = torch::from_blob(padded.data(), {1, a.in_channels, len}, torch::kFloat32);
    const auto out = m.run(x).to(torch::kFloat64).contiguous();
    std::copy_n(out.data_ptr<double>(), nr, pr.begin());
  });
  if (delay_s != nullptr) *delay_s = 0.0;
  if (const std::int64_t order = oasis_order(m.info.align, "align");
      order > 0 && (m.info.align_max_delay_s > 0 || m.info.align_max_advance_s > 0)) {
    // Both smoothed by OASIS's output Gaussian, so that the correlation compares rates, not
    // single frames (the OASIS estimate already is).
    std::vector<double> smooth = pr;
    spikes::smooth_spikes(smooth, F, kModelOasisSmoothingS);
    const double d = spikes::estimate_delay(smooth, oasis_estimate(yr, F, order), m.info.align_max_delay_s * F,
                                            m.info.align_max_advance_s * F);
    if (d != 0) pr = spikes::delay_trace(pr, d);
    if (delay_s != nullptr) *delay_s = d / F;
  }
  const std::int64_t blend_order = m.info.blend_weight < 1 ? oasis_order(m.info.blend) : 0;
  const bool blend_at_input = m.info.blend_rate == "input";
  if (blend_order > 0 && !blend_at_input)
    pr = blend_predictions(pr, oasis_estimate(yr, F, blend_order, m.info.blend_lead_frames, m.info.blend_smoothing_per_decay),
                           m.info.blend_weight);
  std::vector<double> r;
  if (F == fs) {
    r = std::move(pr);
  } else if (F > fs) {
    r = rebin_counts(pr, F, fs, n);  // finer model frames: sum into input frames
  } else {
    // Coarser model frames: interpolate the rate (spikes/s) at the input frames.
    for (double& v : pr) v *= F;
    r = resample_trace(pr, F, fs);
    r.resize(static_cast<std::size_t>(n), r.back());
    for (double& v : r) v /= fs;
  }
  if (blend_order > 0 && blend_at_input) {
    // OASIS of the trace as recorded, at its own rate (the same as at the model rate when F == fs).
    r = blend_predictions(r, oasis_estimate(y, fs, blend_order, m.info.blend_lead_frames, m.info.blend_smoothing_per_decay, native_fs),
                          m.info.blend_weight);
  }
  return r;
}

MatrixF SpikeNet::predict(const MatrixF& dff, double fs, std::vector<double>* delays_s,
                          const std::vector<double>* native_fs) const {
  check(dff.rows() > 0 && dff.cols() > 0, ErrorKind::shape,
        {.component = kComponent, .what = "empty ΔF/F matrix"});
  check(native_fs == nullptr || native_fs->size() == static_cast<std::size_t>(dff.cols()), ErrorKind::shape,
        {.component = kComponent, .what = "one native rate per column needed",
         .expected = std::to_string(dff.cols()), .got = native_fs ? std::to_string(native_fs->size()) : ""});
  torch::set_num_threads(std::max(1, num_threads()));
  MatrixF out = MatrixF::Constant(dff.rows(), dff.cols(), std::numeric_limits<float>::quiet_NaN());
  if (delays_s != nullptr) delays_s->assign(static_cast<std::size_t>(dff.cols()), kNaN);
  for (Eigen::Index j = 0; j < dff.cols(); ++j) {
    const std::vector<double> y = column_prefix(dff, j);
    if (y.empty()) continue;
    check(y.size() >= 2, ErrorKind::shape,
          {.component = kComponent, .what = "trace too short", .expected = ">= 2 frames",
           .got = "unit " + std::to_string(j) + ": " + std::to_string(y.size())});
    const std::vector<double> p =
        predict_trace(y, fs, delays_s != nullptr ? &(*delays_s)[static_cast<std::size_t>(j)] : nullptr,
                      native_fs != nullptr ? (*native_fs)[static_cast<std::size_t>(j)] : kNaN);
    for (std::size_t t = 0; t < p.size(); ++t) out(static_cast<Eigen::Index>(t), j) = static_cast<float>(p[t]);
  }
  return out;
}

std::vector<double> SpikeNet::predict_windows(const MatrixF& w) const {
  check(impl_ && !impl_->nets.empty(), ErrorKind::config, {.component = kComponent, .what = "model is not trained"});
  const SpikeArch& a = impl_->arch();
  check(w.cols() == a.in_channels * a.window, ErrorKind::shape,
        {.component = kComponent, .what = "window length (channels × frames)",
         .expected = std::to_string(a.in_channels * a.window), .got = std::to_string(w.cols())});
  std::vector<double> out(static_cast<std::size_t>(w.rows()));
  detail::torch_guard(kComponent, [&] {
    torch::NoGradGuard no_grad;
    const auto x = to_tensor(w, torch::kCPU).view({w.rows(), a.in_channels, a.window});
    torch::Tensor sum;
    for (const auto& net : impl_->nets) {
      auto p = net->forward(x).clamp_min(0.0);
      sum = sum.defined() ? sum + p : p;
    }
    const auto y = (sum / static_cast<double>(impl_->nets.size())).to(torch::kFloat64).contiguous();
    std::copy_n(y.data_ptr<double>(), w.rows(), out.begin());
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Shipped models and the "deep" method
// ---------------------------------------------------------------------------------------------

std::vector<fs::path> spike_model_search_path() {
  if (const char* env = std::getenv("NEURODL_MODEL_DIR"); env && *env) return {fs::path(env)};
  std::vector<fs::path> dirs;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    dirs.push_back(exe.parent_path() / "models" / "spikes");
    dirs.push_back(exe.parent_path() / ".." / "share" / "neurodl" / "models" / "spikes");
  }
  if (std::string(NEURODL_SOURCE_MODEL_DIR).size() > 0) dirs.emplace_back(NEURODL_SOURCE_MODEL_DIR);
  return dirs;
}

namespace {
std::vector<fs::path> models_in(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".h5") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}
}  // namespace

std::vector<fs::path> find_spike_models() {
  std::string searched;
  for (const auto& d : spike_model_search_path()) {
    auto files = models_in(d);
    if (!files.empty()) return files;
    searched += (searched.empty() ? "" : ", ") + d.string();
  }
  raise(ErrorKind::io, {.component = kComponent, .what = "no spike models (*.h5) found",
                        .expected = "models in one of " + searched, .got = "none",
                        .field = "NEURODL_MODEL_DIR or --model"});
}

std::size_t select_spike_model(const std::vector<SpikeModelInfo>& bank, double fs,
                               const std::function<double(double)>& noise_at) {
  check(!bank.empty(), ErrorKind::config, {.component = kComponent, .what = "no models to choose from"});
  check_rate(fs, "--fs");
  // Nearest frame rate in log rate; ties go to the higher rate (less temporal detail is lost).
  double best_rate = bank[0].sample_rate_hz, best_d = std::numeric_limits<double>::infinity();
  for (const auto& m : bank) {
    const double d = std::abs(std::log(m.sample_rate_hz / fs));
    if (d < best_d - 1e-12 || (std::abs(d - best_d) <= 1e-12 && m.sample_rate_hz > best_rate)) {
      best_d = d;
      best_rate = m.sample_rate_hz;
    }
  }
  const double nu = noise_at(best_rate);
  std::size_t best = bank.size();
  best_d = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < bank.size(); ++i) {
    if (bank[i].sample_rate_hz != best_rate) continue;
    // Unknown noise (a flat trace): the quietest model.
    const double d = std::isfinite(nu) && nu > 0 ? std::abs(std::log(bank[i].noise_level / nu))
                                                 : bank[i].noise_level;
    if (best == bank.size() || d < best_d - 1e-12 ||
        (std::abs(d - best_d) <= 1e-12 && bank[i].noise_level > bank[best].noise_level)) {
      best_d = d;
      best = i;
    }
  }
  return best;
}

namespace {

/// The "deep" spike-inference method: the nearest shipped model (or the --model file/folder).
class DeepSpikeInference : public spikes::SpikeInference {
 public:
  spikes::DeconvolveResult infer(const MatrixF& dff, const spikes::InferenceOptions& o) const override {
    const double fs = o.oasis.sample_rate_hz;
    check_rate(fs, "--fs");
    check(dff.rows() > 0 && dff.cols() > 0, ErrorKind::shape,
          {.component = kComponent, .what = "empty ΔF/F matrix"});
    std::vector<std::vector<double>> cols(static_cast<std::size_t>(dff.cols()));
    for (Eigen::Index j = 0; j < dff.cols(); ++j) cols[static_cast<std::size_t>(j)] = column_prefix(dff, j);

    std::vector<fs::path> files;
    std::string how = "automatic";
    if (o.model.empty()) {
      files = find_spike_models();
    } else if (fs::is_directory(o.model)) {
      files = models_in(o.model);
      check(!files.empty(), ErrorKind::io, {.component = kComponent, .what = "no spike models (*.h5) in folder",
                                            .file = o.model, .field = "--model"});
      how = "automatic (--model folder)";
    } else {
      files = {fs::path(o.model)};
      how = "--model";
    }
    std::vector<SpikeNet> bank;
    std::vector<SpikeModelInfo> infos;
    for (const auto& f : files) {
      bank.push_back(SpikeNet::load(f));
      infos.push_back(bank.back().info());
    }
    // The data's noise level as the model would see it: each trace resampled to the model rate,
    // the median over traces.
    // (Computed once per rate: the selection and the details both ask for the chosen one.)
    std::map<double, double> noise_by_rate;
    auto noise_at = [&](double F) {
      if (const auto it = noise_by_rate.find(F); it != noise_by_rate.end()) return it->second;
      std::vector<double> nus;
      for (const auto& c : cols)
        if (c.size() >= 2) {
          const double v = spikes::cascade_noise_level(resample_trace(c, fs, F), F);
          if (std::isfinite(v)) nus.push_back(v);
        }
      return noise_by_rate[F] = median(nus);
    };
    // A recording resampled up since (Spikefinder's 100 Hz files) holds no more detail than its
    // native rate: the model is chosen for that rate (the median over traces found band-limited
    // or not; spikes::detect_band_limit).
    // --native-fs: NaN detects per trace, 0 takes the input as recorded, a rate is taken as given.
    const double given = o.oasis.native_fs_hz;
    std::vector<double> natives(cols.size(), kNaN);
    for (std::size_t j = 0; j < cols.size(); ++j)
      if (!cols[j].empty())
        natives[j] = std::isnan(given) ? spikes::detect_band_limit(cols[j], fs).native_fs_hz
                                       : (given > 0 && given < fs ? given : fs);
    std::vector<double> known;
    for (double v : natives)
      if (std::isfinite(v)) known.push_back(v);
    double native = known.empty() ? fs : median(known);
    if (!(native < spikes::kNativeRateFraction * fs)) native = fs;
    const std::size_t pick = bank.size() == 1 ? 0 : select_spike_model(infos, native, noise_at);
    const SpikeNet& net = bank[pick];

    spikes::DeconvolveResult res;
    std::vector<double> delays;
    res.spikes = net.predict(dff, fs, &delays, &natives);  // each column's rate, found once
    for (std::size_t j = 0; j < cols.size(); ++j) {
      spikes::UnitFit u;
      u.n_frames = static_cast<std::int64_t>(cols[j].size());
      u.native_fs_hz = natives[j];
      // The noise level of the samples that were recorded (as OASIS reports it).
      if (cols[j].size() >= 2)
        u.noise_level = natives[j] < spikes::kNativeRateFraction * fs
                            ? spikes::cascade_noise_level(spikes::recorded_samples(cols[j], fs, natives[j]), natives[j])
                            : spikes::cascade_noise_level(cols[j], fs);
      double total = 0;
      for (Eigen::Index t = 0; t < u.n_frames; ++t) total += res.spikes(t, static_cast<Eigen::Index>(j));
      u.spike_rate_hz = u.n_frames > 0 ? total * fs / static_cast<double>(u.n_frames) : kNaN;
      res.units.push_back(u);
    }
    const auto& info = net.info();
    details_ = {{"model_file", files[pick].string()},
                {"selection", how},
                {"native_fs_hz", native},
                {"model_sample_rate_hz", info.sample_rate_hz},
                {"model_noise_level_pct_per_sqrt_s", info.noise_level},
                {"data_noise_level_at_model_rate", noise_at(info.sample_rate_hz)},
                {"architecture", info.architecture},
                {"training_datasets", info.training_datasets},
                {"format_version", info.format_version},
                {"members", info.members},
                {"inputs", info.inputs},
                {"blend", info.blend},
                {"blend_weight", info.blend_weight},
                {"blend_lead_frames", info.blend_lead_frames},
                {"blend_smoothing_per_decay", info.blend_smoothing_per_decay},
                {"blend_rate", info.blend_rate},
                {"align", info.align},
                {"align_max_delay_s", info.align_max_delay_s},
                {"align_max_advance_s", info.align_max_advance_s}};
    if (info.align != "none") {
      // Per unit, the delay applied to the network's prediction (s; null for an empty unit).
      nlohmann::json d = nlohmann::json::array();
      for (double v : delays) d.push_back(std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr));
      details_["align_delay_s"] = d;
    }
    return res;
  }
  nlohmann::json details() const override { return details_; }

 private:
  mutable nlohmann::json details_;
};

}  // namespace

void register_deep_spike_inference() {
  spikes::register_spike_method(
      "deep", {"supervised 1-D CNN trained on ground truth (CASCADE-style), blended with OASIS "
               "where the model stores a blend (the shipped ones: AR(2)); the model nearest in "
               "frame rate and noise level, or --model FILE|FOLDER",
               [] { return std::make_unique<DeepSpikeInference>(); }, true});
}

}  // namespace neurodl::nets
