#pragma once
// Private helpers of the .mat reader: RAII owners for matio handles, a quiet logger, and the
// conversion of matio variables into plain column-major double arrays. Only src/io/mat*.cpp
// include this file, so matio stays a private dependency of neurodl::io.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <matio.h>

namespace neurodl::io::mat_detail {

/// Closes a mat_t* with Mat_Close.
struct MatFileCloser {
  void operator()(mat_t* m) const {
    if (m) Mat_Close(m);
  }
};
/// Frees a top-level matvar_t* with Mat_VarFree (fields and cells are owned by their parent).
struct MatVarFreer {
  void operator()(matvar_t* v) const {
    if (v) Mat_VarFree(v);
  }
};
using MatFile = std::unique_ptr<mat_t, MatFileCloser>;
using MatVar = std::unique_ptr<matvar_t, MatVarFreer>;

/// Installs (once) a matio log function that records the last message instead of printing it.
void install_quiet_matio_log();
/// The last error or warning matio logged on this thread, on one line (empty when none); clears it.
std::string take_last_matio_message();
/// The last message of any level (HDF5 failures inside matio arrive as plain messages); clears it.
std::string take_last_matio_detail();
/// Forgets both, before a matio call whose messages are wanted.
void clear_matio_messages();

/// A real numeric MATLAB array of rank ≤ 2 as doubles, column-major like MATLAB: element (r, c)
/// is values[c * rows + r].
struct NumericArray {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<double> values;
  double at(std::size_t r, std::size_t c) const { return values[c * rows + r]; }
  std::size_t size() const { return values.size(); }
  bool is_vector() const { return rows == 1 || cols == 1; }
};

/// Number of elements (product of the dimensions, saturating at SIZE_MAX).
std::size_t element_count(const matvar_t* v);
/// The largest number of data bytes that any array inside `v` (cells and structs searched)
/// claims by its dimensions: a sanity bound against damaged dimensions.
std::size_t largest_data_claim(const matvar_t* v);
/// "6×3 double" style description for messages and listings.
std::string describe(const matvar_t* v);
/// True for a real, non-sparse numeric or logical array of rank ≤ 2 (data not checked).
bool is_real_numeric_2d(const matvar_t* v);
/// True when the loaded data holds every element the dimensions promise.
bool has_complete_data(const matvar_t* v);
/// The array as doubles; nullopt when `v` is not real numeric of rank ≤ 2 or its data is
/// incomplete.
std::optional<NumericArray> to_numeric(const matvar_t* v);
/// The text of a char array (ASCII/UTF-8 or UTF-16 code units below 128); nullopt otherwise.
std::optional<std::string> to_text(const matvar_t* v);
/// Field `name` of element `index` of a struct array; nullptr when absent or not a struct.
matvar_t* struct_field(matvar_t* s, const char* name, std::size_t index = 0);
/// Element `index` (linear, column-major) of a cell array; nullptr when out of range.
matvar_t* cell_element(matvar_t* c, std::size_t index);

}  // namespace neurodl::io::mat_detail
