#pragma once
// The contract every predictive model in neurodl follows (linear models in neurodl::linear, deep
// models in neurodl::nets): fit on X (T × p) and Y (T × q), predict Y from X, report a JSON
// summary with the field's cross-validated metrics, and save/restore its state. The state is a
// plain bag of named float64 arrays and a JSON object, so no layer below io needs to know a file
// format (io/model_file.hpp writes it as HDF5).

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "neurodl/core/matrix.hpp"
#include "neurodl/core/options.hpp"

namespace neurodl {

/// Everything needed to rebuild a fitted model.
struct ModelState {
  std::string model;                       ///< registry name, e.g. "ridge", "rrr"
  nlohmann::json params;                   ///< options and scalar results
  std::map<std::string, MatrixD> arrays;   ///< weights etc.; shapes documented per model
  bool operator==(const ModelState& o) const;
};

/// A model that predicts targets Y (T × q) from features X (T × p). Rows are time samples.
class Model {
 public:
  virtual ~Model() = default;
  /// Registry name of the model.
  virtual std::string name() const = 0;
  /// The model's option table (bound to its options); the CLI and JSON are derived from it.
  virtual std::vector<OptionSpec> option_specs() = 0;
  /// Fits on X (T × p) and Y (T × q), choosing hyper-parameters by time-block cross-validation.
  /// Throws ShapeError when the rows differ, ConfigError for NaN/Inf or bad options.
  virtual void fit(const MatrixF& x, const MatrixF& y) = 0;
  /// Predicts Y (T' × q) from X (T' × p); throws ShapeError when p differs from the fit.
  virtual MatrixF predict(const MatrixF& x) const = 0;
  /// JSON summary of the fit: at least model, n_samples, n_features, n_targets, cv_r2 (per
  /// target), cv_r2_mean, fit_seconds, plus the model's own keys.
  virtual nlohmann::json summary() const = 0;
  /// The fitted state (throws ConfigError before fit).
  virtual ModelState state() const = 0;
  /// Restores a fitted state; throws IoError/ShapeError when it is inconsistent.
  virtual void load_state(const ModelState& state) = 0;
};

/// Creates an unfitted model; registries map names to these.
using ModelFactory = std::function<std::unique_ptr<Model>()>;

}  // namespace neurodl
