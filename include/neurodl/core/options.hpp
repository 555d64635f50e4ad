#pragma once
// One description per option (name, help, unit, range) bound to a field of a method's Options
// struct. The CLI derives its flags from it (--name with '_' → '-'), the JSON summaries their
// keys, and (later) the Python bindings their keyword arguments, so an option is described once.

#include <cstdint>
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace neurodl {

struct OptionSpec {
  std::string name;  ///< snake_case key, e.g. "sample_rate_hz"; flag --sample-rate-hz
  std::string help;  ///< one sentence
  std::string unit;  ///< physical unit, empty when dimensionless
  /// The field this option sets.
  std::variant<std::int64_t*, std::uint64_t*, double*, std::string*, bool*, std::vector<double>*,
               std::vector<std::int64_t>*>
      target;
  double min = -std::numeric_limits<double>::infinity();  ///< inclusive lower bound (numbers)
  double max = std::numeric_limits<double>::infinity();   ///< inclusive upper bound (numbers)
  std::vector<std::string> choices;  ///< allowed values (strings); empty: any
  std::string flag;  ///< CLI flag override (e.g. "--fs"); empty: derived from name
};

/// Sets the options named in `values` (keys = OptionSpec names; lists as JSON arrays), checking
/// types, ranges and choices (null for a floating-point option: unset, NaN, as option_values
/// writes it). A key that no spec has throws ConfigError naming `component` and
/// listing the valid keys, so a flag that does not apply to a model is never silently ignored.
void apply_options(const std::vector<OptionSpec>& specs, const nlohmann::json& values,
                   const std::string& component);
/// The options' current values as a JSON object keyed by their names (NaN → null).
nlohmann::json option_values(const std::vector<OptionSpec>& specs);

/// The CLI flag of an option: its override or "--" + name with '_' replaced by '-'.
inline std::string flag_of(const OptionSpec& o) {
  if (!o.flag.empty()) return o.flag;
  std::string f = "--" + o.name;
  for (char& c : f)
    if (c == '_') c = '-';
  return f;
}

}  // namespace neurodl
