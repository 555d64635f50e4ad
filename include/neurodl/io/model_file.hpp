#pragma once
// Fitted models on disk: a ModelState (core/model.hpp) in an HDF5 file. Layout (docs/format.md):
// root attributes neurodl_format = "neurodl-model", format_version = 1, model = registry name,
// params = the JSON text of ModelState::params; datasets /arrays/<name>, rows × cols float64.

#include <filesystem>

#include "neurodl/core/model.hpp"

namespace neurodl::io {

/// Writes the state atomically (temporary name, then rename); throws IoError.
void write_model(const std::filesystem::path& path, const ModelState& state);
/// Reads a state written by write_model; throws IoError naming the file and field when the file
/// is missing, not a neurodl model, corrupt, or from a newer format version.
ModelState read_model(const std::filesystem::path& path);

}  // namespace neurodl::io
