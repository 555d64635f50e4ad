#include "module_state.hpp"

#include <algorithm>

#include "neurodl/core/error.hpp"

namespace neurodl::nets::detail {

void save_module_tensors(torch::nn::Module& net, ModelState& st) {
  nlohmann::json shapes = nlohmann::json::object();
  auto put = [&](const std::string& key, const torch::Tensor& t) {
    const auto c = t.detach().to(torch::kCPU, torch::kFloat64).contiguous();
    const std::int64_t rows = c.dim() <= 1 ? 1 : c.size(0);
    MatrixD a(rows, c.numel() / std::max<std::int64_t>(rows, 1));
    std::copy(c.data_ptr<double>(), c.data_ptr<double>() + c.numel(), a.data());
    st.arrays[key] = a;
    shapes[key] = c.sizes().vec();
  };
  for (const auto& item : net.named_parameters()) put("param." + item.key(), item.value());
  for (const auto& item : net.named_buffers()) put("buffer." + item.key(), item.value());
  st.params["shapes"] = shapes;
}

void load_module_tensors(torch::nn::Module& net, const ModelState& st, const std::string& component) {
  torch::NoGradGuard no_grad;
  auto load = [&](const std::string& key, torch::Tensor& t) {
    const auto it = st.arrays.find(key);
    check(it != st.arrays.end(), ErrorKind::io, {.component = component, .what = "missing array", .field = key});
    check(it->second.size() == t.numel(), ErrorKind::shape,
          {.component = component, .what = "array has the wrong size", .expected = std::to_string(t.numel()),
           .got = std::to_string(it->second.size()), .field = key});
    t.copy_(torch::from_blob(const_cast<double*>(it->second.data()), t.sizes(), torch::kFloat64));
  };
  for (auto& item : net.named_parameters()) load("param." + item.key(), item.value());
  for (auto& item : net.named_buffers()) load("buffer." + item.key(), item.value());
}

}  // namespace neurodl::nets::detail
