#pragma once
// The linear models that `neurodl fit --model NAME` can build: one line each in
// src/linear/registry.cpp.

#include <map>
#include <string>

#include "neurodl/core/model.hpp"

namespace neurodl::linear {

/// Name → factory of every linear model ("ridge", "rrr", ...).
const std::map<std::string, ModelFactory>& models();

}  // namespace neurodl::linear
