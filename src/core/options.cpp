#include "neurodl/core/options.hpp"

#include <cmath>
#include <limits>
#include <type_traits>

#include "neurodl/core/error.hpp"

namespace neurodl {
namespace {

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};

void check_range(const OptionSpec& s, double v, const std::string& component) {
  check(!(v < s.min || v > s.max) && !std::isnan(v), ErrorKind::config,
        {.component = component, .what = "option out of range",
         .expected = "[" + std::to_string(s.min) + ", " + std::to_string(s.max) + "]",
         .got = std::to_string(v), .unit = s.unit, .field = flag_of(s)});
}

}  // namespace

void apply_options(const std::vector<OptionSpec>& specs, const nlohmann::json& values,
                   const std::string& component) {
  for (const auto& [key, value] : values.items()) {
    const OptionSpec* spec = nullptr;
    std::string valid;
    for (const auto& s : specs) {
      if (s.name == key) spec = &s;
      valid += (valid.empty() ? "" : ", ") + flag_of(s);
    }
    if (spec == nullptr)
      raise(ErrorKind::config, {.component = component, .what = "option does not apply",
                                .expected = valid.empty() ? "no options" : "one of " + valid,
                                .got = "--" + key});
    try {
      std::visit(
          [&](auto* target) {
            using T = std::remove_pointer_t<decltype(target)>;
            if constexpr (std::is_same_v<T, double>) {
              // null is an unset (NaN) value, as option_values writes it.
              if (value.is_null()) {
                *target = std::numeric_limits<double>::quiet_NaN();
                return;
              }
            }
            *target = value.get<T>();
            if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
              check_range(*spec, static_cast<double>(*target), component);
            } else if constexpr (IsVector<T>::value) {
              for (auto v : *target) check_range(*spec, static_cast<double>(v), component);
            } else if constexpr (std::is_same_v<T, std::string>) {
              if (!spec->choices.empty()) {
                bool ok = false;
                std::string list;
                for (const auto& c : spec->choices) {
                  ok = ok || c == *target;
                  list += (list.empty() ? "" : ", ") + c;
                }
                check(ok, ErrorKind::config,
                      {.component = component, .what = "unknown value", .expected = "one of " + list,
                       .got = "'" + *target + "'", .field = flag_of(*spec)});
              }
            }
          },
          spec->target);
    } catch (const nlohmann::json::exception&) {
      raise(ErrorKind::config, {.component = component, .what = "option has the wrong type",
                                .got = value.dump(), .field = flag_of(*spec)});
    }
  }
}

nlohmann::json option_values(const std::vector<OptionSpec>& specs) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& s : specs)
    std::visit(
        [&](auto* target) {
          using T = std::remove_pointer_t<decltype(target)>;
          if constexpr (std::is_same_v<T, double>) {
            if (std::isnan(*target)) j[s.name] = nullptr;
            else j[s.name] = *target;
          } else {
            j[s.name] = *target;
          }
        },
        s.target);
  return j;
}

}  // namespace neurodl
