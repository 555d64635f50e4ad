#pragma once
// The registry of dimensionality methods behind `neurodl dims --method NAME`: one line per method
// in src/linear/dims.cpp, mapping a name to a description, a factory of its option table and run
// function, and a readable summary of its JSON result.
//
//   pca    principal components of the activity (linear/pca.hpp)
//   cvpca  cross-validated eigenspectrum of two stimulus repeats, power-law α (linear/cvpca.hpp)
//   svca   shared variance components of two unit sets on held-out time (linear/svca.hpp)
//   peer   each unit predicted from the non-neighbouring population (linear/peer.hpp)
//   areas  one area predicted from another by reduced-rank regression: the rank curve and the
//          predictive dimensionality (--from AREA --to AREA; linear/peer.hpp)

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "neurodl/core/options.hpp"
#include "neurodl/core/recording.hpp"

namespace neurodl::linear {

/// One configured run of a dimensionality method: it owns its options.
class DimsRun {
 public:
  virtual ~DimsRun() = default;
  /// The option table bound to this run's options (CLI flags and JSON keys derive from it).
  virtual std::vector<OptionSpec> option_specs() = 0;
  /// Runs the method on a recording and returns its result as JSON (see to_json of each method).
  virtual nlohmann::json run(const Recording& rec) = 0;
};

/// A registered method.
struct DimsMethod {
  std::string description;                          ///< one line for --help
  std::function<std::unique_ptr<DimsRun>()> make;   ///< a run with default options
  /// A few readable lines from the JSON that run_dims() returned.
  std::function<std::string(const nlohmann::json&)> describe;
};

/// Name → method: pca, cvpca, svca, peer, areas.
const std::map<std::string, DimsMethod>& dims_methods();
/// The method of that name; throws ConfigError listing the valid names for an unknown one.
const DimsMethod& dims_method(const std::string& name);

/// Runs method `name` on `rec` with `options` (keys = option names of its table; a key it does
/// not have throws ConfigError listing the valid keys). Returns {"method", "recording",
/// "n_samples", "n_units", "options" (all values used), "result" (the method's JSON)}.
/// Throws what the method throws.
nlohmann::json run_dims(const std::string& name, const Recording& rec,
                        const nlohmann::json& options = nlohmann::json::object());

/// The readable summary of a run_dims() result (dispatches on its "method").
std::string describe_dims(const nlohmann::json& result);

}  // namespace neurodl::linear
