// Placeholder until the reader lands: every entry point throws.
#include "neurodl/io/csv.hpp"
#include "neurodl/core/error.hpp"

namespace neurodl::io {
bool sniff_spikefinder_csv(const std::filesystem::path&) { return false; }
bool sniff_csv(const std::filesystem::path&) { return false; }
std::vector<Recording> read_spikefinder_csv(const std::filesystem::path&, const ReadOptions&) { throw IoError("not implemented yet"); }
std::vector<Recording> read_csv(const std::filesystem::path&, const ReadOptions&) { throw IoError("not implemented yet"); }
}  // namespace neurodl::io
