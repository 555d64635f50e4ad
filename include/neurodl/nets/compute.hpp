#pragma once
// Compute accounting for the deep models: parameters, multiply–accumulates (MACs) and floating-
// point operations (FLOPs) per predicted sample, counted per layer from the architecture (not
// measured), plus an energy estimate from measured time and a stated device power.
//
// Conventions (docs/nets.md):
//  - Linear(in → out): in·out MACs; FLOPs 2·in·out (one multiply and one add per MAC; the bias
//    add replaces the first add of each output, so it costs nothing extra).
//  - Conv1d(C_in → C_out, kernel K, stride 1, no padding) over a window of L_in samples:
//    L_out = L_in − K + 1 outputs, C_in·C_out·K·L_out MACs, 2× that in FLOPs.
//  - Conv2d(C_in → C_out, kernel K_h × K_w, stride 1, no padding) over an H_in × W_in image:
//    H_out = H_in − K_h + 1, W_out = W_in − K_w + 1, C_in·C_out·K_h·K_w·H_out·W_out MACs, 2× that
//    in FLOPs.
//  - Elementwise layers (ELU, softplus, ReLU, ...): 0 MACs, 1 FLOP per element. A
//    transcendental function costs more cycles than a multiply; the one-FLOP convention is the
//    one fvcore/ptflops use and is stated, not hidden.
//  - MACs and FLOPs are per predicted sample (one row of Y), forward pass only; a training step
//    costs about 3× the forward FLOPs (forward + two backward products).

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace neurodl::nets {

/// The cost of one layer for one predicted sample.
struct LayerCost {
  std::string layer;        ///< e.g. "encoder.0 Linear(10→64)"
  std::int64_t params = 0;  ///< trainable parameters (weights + biases)
  std::int64_t macs = 0;    ///< multiply–accumulates per sample
  std::int64_t flops = 0;   ///< floating-point operations per sample (2·MACs + elementwise)
};

/// Cost of a whole network: the sum of its layers.
struct ComputeCost {
  std::vector<LayerCost> layers;
  std::int64_t params() const;  ///< Σ params
  std::int64_t macs() const;    ///< Σ MACs per sample
  std::int64_t flops() const;   ///< Σ FLOPs per sample
  /// {"params", "macs_per_sample", "flops_per_sample", "layers": [{layer, params, macs, flops}]}.
  nlohmann::json to_json() const;
};

/// Linear(in → out): params in·out (+ out with bias), MACs in·out, FLOPs 2·in·out with a bias
/// and 2·in·out − out without (in products and in − 1 sums per output).
LayerCost linear_cost(const std::string& name, std::int64_t in, std::int64_t out, bool bias = true);
/// Conv1d(c_in → c_out, kernel, stride 1, no padding, bias) over l_in samples:
/// params c_in·c_out·kernel + c_out, MACs c_in·c_out·kernel·l_out with l_out = l_in − kernel + 1,
/// FLOPs 2·MACs.
LayerCost conv1d_cost(const std::string& name, std::int64_t c_in, std::int64_t c_out,
                      std::int64_t kernel, std::int64_t l_in);
/// Conv2d(c_in → c_out, kernel_h × kernel_w, stride 1, no padding, bias) over h_in × w_in
/// positions: params c_in·c_out·kernel_h·kernel_w + c_out, MACs c_in·c_out·kernel_h·kernel_w·
/// h_out·w_out with h_out = h_in − kernel_h + 1 and w_out = w_in − kernel_w + 1, FLOPs 2·MACs.
LayerCost conv2d_cost(const std::string& name, std::int64_t c_in, std::int64_t c_out,
                      std::int64_t kernel_h, std::int64_t kernel_w, std::int64_t h_in, std::int64_t w_in);
/// An elementwise nonlinearity over `elements` values: 0 params, 0 MACs, `elements` FLOPs.
LayerCost elementwise_cost(const std::string& name, std::int64_t elements);

/// Energy estimate [J] = device_power_w [W] × seconds [s]. A stated average power, not a
/// measurement (e.g. 15 W for a laptop CPU package, 300-700 W for a data-centre GPU).
inline double energy_joules(double device_power_w, double seconds) {
  return device_power_w * seconds;
}

/// What a fitted network was and cost, in the summary keys every net reports.
struct ComputeReport {
  double cv_r2_mean = 0;          ///< cross-validated R² averaged over targets
  double train_seconds = 0;       ///< measured training time of the final fit [s]
  double inference_seconds = 0;   ///< measured inference time [s]
  std::string device;             ///< "cpu" or "cuda"
  double device_power_w = 0;      ///< stated average device power [W]
};

/// Adds params, macs_per_sample, flops_per_sample, compute (per layer), train_seconds,
/// inference_seconds, device, device_power_w, energy_j (+ energy_note), r2_per_mflop and
/// r2_per_param to a model's JSON summary `s`.
void add_compute_summary(nlohmann::json& s, const ComputeCost& cost, const ComputeReport& r);

}  // namespace neurodl::nets
