#include "neurodl/spikes/registry.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "neurodl/core/error.hpp"
#include "neurodl/spikes/calibrate.hpp"

namespace neurodl::spikes {
namespace {

/// OASIS with the AR order fixed by the method name.
class OasisInference : public SpikeInference {
 public:
  explicit OasisInference(std::int64_t order) : order_(order) {}
  DeconvolveResult infer(const MatrixF& dff, const InferenceOptions& options) const override {
    OasisOptions o = options.oasis;
    o.ar_order = order_;
    return deconvolve(dff, o);
  }

 private:
  std::int64_t order_;
};

/// OASIS with the options and output filter of a calibration file (spikes/calibrate.hpp). The
/// input's own properties (its rate, and the rate it was recorded at when resampled up) come
/// from the caller's options; everything else from the file.
class CalibratedOasisInference : public SpikeInference {
 public:
  DeconvolveResult infer(const MatrixF& dff, const InferenceOptions& options) const override {
    check(!options.model.empty(), ErrorKind::config,
          {.component = "spikes", .what = "oasis-calibrated needs a calibration file (write one with `neurodl calibrate-spikes`)",
           .expected = "--model CALIBRATION.json", .got = "none", .field = "--model"});
    SpikeCalibration cal = load_calibration(options.model);
    cal.oasis.sample_rate_hz = options.oasis.sample_rate_hz;
    cal.oasis.native_fs_hz = options.oasis.native_fs_hz;
    details_ = {{"calibration", options.model},
                {"ar_order", cal.oasis.ar_order},
                {"tau_decay_s", std::isnan(cal.oasis.tau_decay_s) ? nlohmann::json("estimated per trace")
                                                                   : nlohmann::json(cal.oasis.tau_decay_s)},
                {"filter_taps", cal.filter.taps.size()},
                {"filter_step_s", cal.filter.step_s}};
    return deconvolve_calibrated(dff, cal);
  }
  nlohmann::json details() const override { return details_; }

 private:
  mutable nlohmann::json details_;
};

std::map<std::string, SpikeMethod>& method_table() {
  static std::map<std::string, SpikeMethod> methods{
      {"oasis-ar1",
       {"OASIS nonnegative deconvolution, AR(1) calcium (decay only); exact, O(T)",
        [] { return std::make_unique<OasisInference>(1); }}},
      {"oasis-ar2",
       {"OASIS nonnegative deconvolution, AR(2) calcium (rise and decay); greedy pools, O(T)",
        [] { return std::make_unique<OasisInference>(2); }}},
      {"oasis-calibrated",
       {"OASIS with the parameters and output filter fitted on your own ground-truth cells: --model "
        "CALIBRATION.json from `neurodl calibrate-spikes`",
        [] { return std::make_unique<CalibratedOasisInference>(); }, true}},
      // The supervised network lives in neurodl::nets (LibTorch); a front end linking it fills
      // this entry through register_spike_method.
      {"deep", {"supervised deep network (not available in this build: needs LibTorch)", nullptr, true}},
  };
  return methods;
}

}  // namespace

const std::map<std::string, SpikeMethod>& spike_methods() { return method_table(); }

void register_spike_method(const std::string& name, SpikeMethod method) {
  check(static_cast<bool>(method.make), ErrorKind::config,
        {.component = "spikes", .what = "a registered method needs a factory", .got = name});
  method_table()[name] = std::move(method);
}

std::string available_spike_methods() {
  std::string names;
  for (const auto& [name, m] : spike_methods())
    if (m.make) names += (names.empty() ? "" : ", ") + name;
  return names;
}

std::unique_ptr<SpikeInference> make_spike_inference(const std::string& name) {
  const auto& methods = spike_methods();
  const auto it = methods.find(name);
  if (it == methods.end())
    raise(ErrorKind::config, {.component = "spikes", .what = "unknown method",
                              .expected = "one of " + available_spike_methods(), .got = name,
                              .field = "--method"});
  if (!it->second.make)
    raise(ErrorKind::config, {.component = "spikes", .what = "method '" + name +
                                                              "' is not available in this build",
                              .expected = "one of " + available_spike_methods(), .got = name,
                              .field = "--method"});
  return it->second.make();
}

StackedColumns stack_columns(const std::vector<Recording>& recs, const std::string& truth_name) {
  check(!recs.empty(), ErrorKind::shape,
        {.component = "spikes", .what = "no recording to stack", .expected = ">= 1", .got = "0"});
  std::vector<const MatrixF*> parts;
  Eigen::Index T = 0, N = 0;
  for (const auto& r : recs) {
    const MatrixF* m = &r.activity;
    if (!truth_name.empty()) {
      const auto it = r.truth.find(truth_name);
      if (it != r.truth.end()) {
        check(it->second.rows() == r.activity.rows(), ErrorKind::shape,
              {.component = "spikes", .what = "truth rows differ from activity rows",
               .expected = std::to_string(r.activity.rows()),
               .got = std::to_string(it->second.rows()), .field = r.name + ":" + truth_name});
        m = &it->second;
      }
    }
    parts.push_back(m);
    T = std::max(T, m->rows());
    N += m->cols();
  }
  StackedColumns out;
  out.values = MatrixF::Constant(T, N, std::numeric_limits<float>::quiet_NaN());
  Eigen::Index col = 0;
  for (std::size_t i = 0; i < recs.size(); ++i) {
    const MatrixF& m = *parts[i];
    out.values.block(0, col, m.rows(), m.cols()) = m;
    for (Eigen::Index j = 0; j < m.cols(); ++j) {
      const std::string id = j < static_cast<Eigen::Index>(recs[i].units.size())
                                 ? recs[i].units[j].id
                                 : std::to_string(j);
      out.labels.push_back(recs[i].name + "/" + id);
      out.lengths.push_back(m.rows());
    }
    col += m.cols();
  }
  return out;
}

}  // namespace neurodl::spikes
