#include "mat_matio.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <mutex>

namespace neurodl::io::mat_detail {
namespace {

thread_local std::string last_message;  // last error or warning
thread_local std::string last_detail;   // last message of any level (HDF5 stacks come as these)

// matio reports problems through a logger that by default prints to stderr; a reader must not
// print, so the message is kept for the one-line IoError instead. Warnings count: matio reports a
// file that ends early ("Unexpected end-of-file") as a warning and goes on with partial data.
void quiet_log(int log_level, char* message) {
  last_detail = message ? message : "";
  if (log_level & (MATIO_LOG_LEVEL_ERROR | MATIO_LOG_LEVEL_CRITICAL | MATIO_LOG_LEVEL_WARNING))
    last_message = last_detail;
}

// One line: runs of white space folded (HDF5 stacks span indented lines), no trailing full stop.
std::string one_line(std::string& raw) {
  std::string m;
  for (char c : raw) {
    const bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if (space && (m.empty() || m.back() == ' ')) continue;
    m.push_back(space ? ' ' : c);
  }
  raw.clear();
  while (!m.empty() && (m.back() == '.' || m.back() == ' ')) m.pop_back();
  return m;
}

template <class T>
void append_as_double(const void* data, std::size_t n, std::vector<double>& out) {
  const auto* p = static_cast<const T*>(data);
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<double>(p[i]));
}

const char* class_name(const matvar_t* v) {
  if (v->isLogical) return "logical";
  switch (v->class_type) {
    case MAT_C_EMPTY:
      return "empty";
    case MAT_C_CELL:
      return "cell";
    case MAT_C_STRUCT:
      return "struct";
    case MAT_C_OBJECT:
      return "object";
    case MAT_C_CHAR:
      return "char";
    case MAT_C_SPARSE:
      return "sparse";
    case MAT_C_DOUBLE:
      return "double";
    case MAT_C_SINGLE:
      return "single";
    case MAT_C_INT8:
      return "int8";
    case MAT_C_UINT8:
      return "uint8";
    case MAT_C_INT16:
      return "int16";
    case MAT_C_UINT16:
      return "uint16";
    case MAT_C_INT32:
      return "int32";
    case MAT_C_UINT32:
      return "uint32";
    case MAT_C_INT64:
      return "int64";
    case MAT_C_UINT64:
      return "uint64";
    case MAT_C_FUNCTION:
      return "function";
    case MAT_C_OPAQUE:
      return "opaque";
  }
  return "unknown";
}

bool is_numeric_class(matio_classes c) {
  switch (c) {
    case MAT_C_DOUBLE:
    case MAT_C_SINGLE:
    case MAT_C_INT8:
    case MAT_C_UINT8:
    case MAT_C_INT16:
    case MAT_C_UINT16:
    case MAT_C_INT32:
    case MAT_C_UINT32:
    case MAT_C_INT64:
    case MAT_C_UINT64:
      return true;
    default:
      return false;
  }
}

}  // namespace

void install_quiet_matio_log() {
  static std::once_flag once;
  std::call_once(once, [] { Mat_LogInitFunc("neurodl", quiet_log); });
}

std::string take_last_matio_message() { return one_line(last_message); }

std::string take_last_matio_detail() { return one_line(last_detail); }

void clear_matio_messages() {
  last_message.clear();
  last_detail.clear();
}

std::size_t element_count(const matvar_t* v) {
  if (!v || v->rank <= 0 || !v->dims) return 0;
  // Saturating product: damaged dimensions must not wrap around to a small count.
  std::size_t n = 1;
  for (int i = 0; i < v->rank; ++i) {
    const std::size_t d = v->dims[i];
    if (d != 0 && n > std::numeric_limits<std::size_t>::max() / d)
      return std::numeric_limits<std::size_t>::max();
    n *= d;
  }
  return n;
}

std::size_t largest_data_claim(const matvar_t* v) {
  if (!v) return 0;
  const std::size_t n = element_count(v);
  if ((v->class_type == MAT_C_CELL || v->class_type == MAT_C_STRUCT) && v->data) {
    // Both keep their elements as an array of matvar_t*: n cells, or n elements × fields.
    const std::size_t fields =
        v->class_type == MAT_C_STRUCT ? Mat_VarGetNumberOfFields(const_cast<matvar_t*>(v)) : 1;
    const std::size_t held = v->nbytes / sizeof(matvar_t*);
    std::size_t most = 0;
    auto* const* items = static_cast<matvar_t* const*>(v->data);
    for (std::size_t i = 0; i < std::min(held, n * fields); ++i)
      most = std::max(most, largest_data_claim(items[i]));
    return most;
  }
  const auto size = static_cast<std::size_t>(std::max(v->data_size, 1));
  return n > std::numeric_limits<std::size_t>::max() / size ? n : n * size;
}

std::string describe(const matvar_t* v) {
  std::string dims;
  for (int i = 0; v && v->dims && i < v->rank; ++i)
    dims += (i ? "×" : "") + std::to_string(v->dims[i]);
  std::string s = dims + " " + class_name(v);
  if (v->isComplex) s += " complex";
  return s;
}

bool has_complete_data(const matvar_t* v) {
  const std::size_t n = element_count(v);
  if (n == 0) return true;
  // Damaged dimensions can promise far more elements than matio read: compare with the bytes
  // actually held (division avoids overflow of n · size).
  return v->data && v->data_size > 0 && n <= v->nbytes / static_cast<std::size_t>(v->data_size);
}

bool is_real_numeric_2d(const matvar_t* v) {
  if (!v || v->isComplex || v->rank > 2) return false;
  if (!(is_numeric_class(v->class_type) || v->isLogical)) return false;
  return true;
}

std::optional<NumericArray> to_numeric(const matvar_t* v) {
  if (v && v->class_type == MAT_C_EMPTY) return NumericArray{};
  if (!is_real_numeric_2d(v) || !has_complete_data(v)) return std::nullopt;
  NumericArray a;
  a.rows = v->rank >= 1 ? v->dims[0] : 0;
  a.cols = v->rank >= 2 ? v->dims[1] : 1;
  const std::size_t n = element_count(v);
  if (n == 0) return a;
  // matio converts stored data to the class's type on read, so data_type describes memory.
  switch (v->data_type) {
    case MAT_T_DOUBLE:
      append_as_double<double>(v->data, n, a.values);
      break;
    case MAT_T_SINGLE:
      append_as_double<float>(v->data, n, a.values);
      break;
    case MAT_T_INT8:
      append_as_double<std::int8_t>(v->data, n, a.values);
      break;
    case MAT_T_UINT8:
      append_as_double<std::uint8_t>(v->data, n, a.values);
      break;
    case MAT_T_INT16:
      append_as_double<std::int16_t>(v->data, n, a.values);
      break;
    case MAT_T_UINT16:
      append_as_double<std::uint16_t>(v->data, n, a.values);
      break;
    case MAT_T_INT32:
      append_as_double<std::int32_t>(v->data, n, a.values);
      break;
    case MAT_T_UINT32:
      append_as_double<std::uint32_t>(v->data, n, a.values);
      break;
    case MAT_T_INT64:
      append_as_double<std::int64_t>(v->data, n, a.values);
      break;
    case MAT_T_UINT64:
      append_as_double<std::uint64_t>(v->data, n, a.values);
      break;
    default:
      return std::nullopt;
  }
  return a;
}

std::optional<std::string> to_text(const matvar_t* v) {
  if (!v || v->class_type != MAT_C_CHAR) return std::nullopt;
  const std::size_t n = element_count(v);
  if (n == 0) return std::string{};
  if (!has_complete_data(v)) return std::nullopt;
  std::string s;
  if (v->data_type == MAT_T_UINT16 || v->data_type == MAT_T_UTF16) {
    const auto* p = static_cast<const std::uint16_t*>(v->data);
    for (std::size_t i = 0; i < n; ++i) s.push_back(p[i] < 128 ? static_cast<char>(p[i]) : '?');
  } else if (v->data_type == MAT_T_UINT8 || v->data_type == MAT_T_UTF8 ||
             v->data_type == MAT_T_INT8) {
    s.assign(static_cast<const char*>(v->data), n);
  } else {
    return std::nullopt;
  }
  return s;
}

matvar_t* struct_field(matvar_t* s, const char* name, std::size_t index) {
  // A struct cut short by a damaged file can come back without its field array.
  if (!s || s->class_type != MAT_C_STRUCT || !s->data || index >= element_count(s)) return nullptr;
  return Mat_VarGetStructFieldByName(s, name, index);
}

matvar_t* cell_element(matvar_t* c, std::size_t index) {
  if (!c || c->class_type != MAT_C_CELL || !c->data || index >= element_count(c)) return nullptr;
  return Mat_VarGetCell(c, static_cast<int>(index));
}

}  // namespace neurodl::io::mat_detail
