#pragma once
// Order statistics shared by the layers (torch-free, header-only).

#include <algorithm>
#include <cstddef>
#include <limits>
#include <vector>

namespace neurodl {

/// The element at index ⌊n/2⌋ of v sorted (the upper median for an even count); NaN when v is
/// empty. O(n).
inline double upper_median(std::vector<double> v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

/// The median of v (the mean of the two middle values for an even count); NaN when v is empty.
/// O(n).
inline double median(std::vector<double> v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  if (v.size() % 2 == 1) return *mid;
  return 0.5 * (*mid + *std::max_element(v.begin(), mid));
}

}  // namespace neurodl
