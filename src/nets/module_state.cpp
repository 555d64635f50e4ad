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

void check_xy(const MatrixF& x, const MatrixF& y, const std::string& loss, const std::string& component,
              const std::string& row_unit) {
  check(x.rows() == y.rows(), ErrorKind::shape,
        {.component = component, .what = "X and Y row counts differ", .expected = std::to_string(x.rows()),
         .got = std::to_string(y.rows()), .unit = row_unit});
  check(x.rows() > 0 && x.cols() > 0 && y.cols() > 0, ErrorKind::shape,
        {.component = component, .what = "empty input", .expected = "T×p and T×q with T, p, q >= 1",
         .got = "X " + shape_string(x.rows(), x.cols()) + ", Y " + shape_string(y.rows(), y.cols())});
  for (const auto& [m, nm] : {std::pair{&x, "X"}, std::pair{&y, "Y"}}) {
    const auto bad = count_nonfinite(*m);
    check(bad == 0, ErrorKind::config,
          {.component = component, .what = std::string(nm) + " contains NaN or Inf",
           .expected = "0 non-finite values", .got = std::to_string(bad), .field = nm});
  }
  if (loss == "poisson")
    check(y.minCoeff() >= 0, ErrorKind::config,
          {.component = component, .what = "Poisson loss needs counts >= 0", .expected = ">= 0",
           .got = std::to_string(y.minCoeff()), .field = "Y"});
  loss_from_string(loss);
}

}  // namespace neurodl::nets::detail
