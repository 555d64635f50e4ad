#include "neurodl/nets/compute.hpp"

namespace neurodl::nets {

std::int64_t ComputeCost::params() const {
  std::int64_t n = 0;
  for (const auto& l : layers) n += l.params;
  return n;
}
std::int64_t ComputeCost::macs() const {
  std::int64_t n = 0;
  for (const auto& l : layers) n += l.macs;
  return n;
}
std::int64_t ComputeCost::flops() const {
  std::int64_t n = 0;
  for (const auto& l : layers) n += l.flops;
  return n;
}

nlohmann::json ComputeCost::to_json() const {
  nlohmann::json per_layer = nlohmann::json::array();
  for (const auto& l : layers)
    per_layer.push_back({{"layer", l.layer}, {"params", l.params}, {"macs", l.macs}, {"flops", l.flops}});
  return {{"params", params()}, {"macs_per_sample", macs()}, {"flops_per_sample", flops()},
          {"layers", per_layer}};
}

LayerCost linear_cost(const std::string& name, std::int64_t in, std::int64_t out, bool bias) {
  return {name + " Linear(" + std::to_string(in) + "→" + std::to_string(out) + (bias ? ")" : ", no bias)"),
          in * out + (bias ? out : 0), in * out, 2 * in * out - (bias ? 0 : out)};
}

LayerCost conv1d_cost(const std::string& name, std::int64_t c_in, std::int64_t c_out,
                      std::int64_t kernel, std::int64_t l_in) {
  const std::int64_t l_out = l_in - kernel + 1;
  const std::int64_t macs = c_in * c_out * kernel * l_out;
  return {name + " Conv1d(" + std::to_string(c_in) + "→" + std::to_string(c_out) + ", k=" +
              std::to_string(kernel) + ", L=" + std::to_string(l_in) + "→" + std::to_string(l_out) + ")",
          c_in * c_out * kernel + c_out, macs, 2 * macs};
}

LayerCost conv2d_cost(const std::string& name, std::int64_t c_in, std::int64_t c_out,
                      std::int64_t kernel_h, std::int64_t kernel_w, std::int64_t h_in, std::int64_t w_in) {
  const std::int64_t h_out = h_in - kernel_h + 1, w_out = w_in - kernel_w + 1;
  const std::int64_t macs = c_in * c_out * kernel_h * kernel_w * h_out * w_out;
  return {name + " Conv2d(" + std::to_string(c_in) + "→" + std::to_string(c_out) + ", k=" +
              std::to_string(kernel_h) + "×" + std::to_string(kernel_w) + ", " + std::to_string(h_in) + "×" +
              std::to_string(w_in) + "→" + std::to_string(h_out) + "×" + std::to_string(w_out) + ")",
          c_in * c_out * kernel_h * kernel_w + c_out, macs, 2 * macs};
}

LayerCost elementwise_cost(const std::string& name, std::int64_t elements) {
  return {name + " ×" + std::to_string(elements), 0, 0, elements};
}

void add_compute_summary(nlohmann::json& s, const ComputeCost& c, const ComputeReport& r) {
  s["params"] = c.params();
  s["macs_per_sample"] = c.macs();
  s["flops_per_sample"] = c.flops();
  s["compute"] = c.to_json()["layers"];
  s["train_seconds"] = r.train_seconds;
  s["inference_seconds"] = r.inference_seconds;
  s["device"] = r.device;
  s["device_power_w"] = r.device_power_w;
  s["energy_j"] = energy_joules(r.device_power_w, r.train_seconds);
  s["energy_note"] = "estimate: device_power_w × train_seconds of the final fit, not a measurement";
  s["r2_per_mflop"] = r.cv_r2_mean / (static_cast<double>(c.flops()) / 1e6);
  s["r2_per_param"] = r.cv_r2_mean / static_cast<double>(c.params());
}

}  // namespace neurodl::nets
