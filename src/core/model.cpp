#include "neurodl/core/model.hpp"

namespace neurodl {

bool ModelState::operator==(const ModelState& o) const {
  if (model != o.model || params != o.params || arrays.size() != o.arrays.size()) return false;
  for (const auto& [k, v] : arrays) {
    auto it = o.arrays.find(k);
    if (it == o.arrays.end() || it->second.rows() != v.rows() || it->second.cols() != v.cols() ||
        !(it->second.array() == v.array()).all())
      return false;
  }
  return true;
}

}  // namespace neurodl
