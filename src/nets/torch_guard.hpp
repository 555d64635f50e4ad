#pragma once
// Converts LibTorch's exceptions (TORCH_CHECK → c10::Error) into neurodl::Error at the public
// API boundary, so callers and the CLI see one-line neurodl messages.

#include <string>
#include <utility>

#include <torch/torch.h>

#include "neurodl/core/error.hpp"

namespace neurodl::nets::detail {

/// Runs f(); a c10::Error becomes a neurodl::Error "<component>: torch: <first line>".
template <class F>
decltype(auto) torch_guard(const std::string& component, F&& f) {
  try {
    return std::forward<F>(f)();
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    raise(ErrorKind::config, {.component = component, .what = "torch: " + msg});
  }
}

}  // namespace neurodl::nets::detail
