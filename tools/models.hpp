#pragma once
// Every model `neurodl fit --model NAME` can build, from every layer's registry.

#include <map>
#include <string>

#include "neurodl/core/model.hpp"

namespace neurodl::cli {

/// Name → factory, merged from neurodl::linear (and later neurodl::nets).
const std::map<std::string, ModelFactory>& all_models();
/// A new unfitted model; throws ConfigError listing the valid names.
std::unique_ptr<Model> make_model(const std::string& name);

}  // namespace neurodl::cli
