#pragma once
// The deep models that `neurodl fit --model NAME` can build: one line each in
// src/nets/registry.cpp. Torch-free, so tools/models.cpp includes it cheaply.

#include <map>
#include <string>

#include "neurodl/core/model.hpp"

namespace neurodl::nets {

/// Name → factory of every deep model ("bottleneck", "behavior-net", "image-net", "joint").
const std::map<std::string, ModelFactory>& models();

}  // namespace neurodl::nets
