#pragma once
// Converts LibTorch's exceptions (TORCH_CHECK → c10::Error) into neurodl::Error at the public
// API boundary, so callers and the CLI see one-line neurodl messages.

#include <string>
#include <utility>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "neurodl/core/error.hpp"

namespace neurodl::nets::detail {

/// The first line of a LibTorch error, without its backtrace.
inline std::string torch_message(const c10::Error& e) {
  std::string msg = e.what_without_backtrace();
  if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
  return msg;
}

/// Runs f(); a c10::Error becomes a neurodl::Error "<component>: torch: <first line>".
template <class F>
decltype(auto) torch_guard(const std::string& component, F&& f) {
  try {
    return std::forward<F>(f)();
  } catch (const c10::Error& e) {
    raise(ErrorKind::config, {.component = component, .what = "torch: " + torch_message(e)});
  }
}

/// Runs the body of a net's load_state(): a missing or mistyped JSON parameter becomes IoError
/// "bad model parameters: …", a LibTorch error IoError "torch: <first line>".
template <class F>
void load_guard(const std::string& component, F&& f) {
  try {
    std::forward<F>(f)();
  } catch (const nlohmann::json::exception& e) {
    raise(ErrorKind::io, {.component = component, .what = std::string("bad model parameters: ") + e.what()});
  } catch (const c10::Error& e) {
    raise(ErrorKind::io, {.component = component, .what = "torch: " + torch_message(e)});
  }
}

}  // namespace neurodl::nets::detail
