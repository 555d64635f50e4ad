#pragma once
// What `neurodl info` (and simulate, demo) report about recordings: a machine summary as JSON and
// a human one as text. Both are derived from the same fields.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "neurodl/core/recording.hpp"

namespace neurodl::cli {

/// Shapes, rates, kinds, units, behaviour channels, stimuli, truth arrays and metadata of one
/// recording (no data values).
nlohmann::json summarize(const Recording& rec);
/// The JSON summary rendered as a few readable lines.
std::string describe(const nlohmann::json& summary);

}  // namespace neurodl::cli
