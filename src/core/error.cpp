#include "neurodl/core/error.hpp"

namespace neurodl {

std::string format_problem(const Problem& p) {
  std::string m = p.component.empty() ? std::string("neurodl") : p.component;
  m += ": ";
  if (!p.file.empty()) m += p.file + ": ";
  if (!p.field.empty()) m += p.field + ": ";
  m += p.what;
  if (!p.expected.empty() || !p.got.empty()) {
    m += " (";
    if (!p.expected.empty()) m += "expected " + p.expected;
    if (!p.expected.empty() && !p.got.empty()) m += ", ";
    if (!p.got.empty()) m += "got " + p.got;
    m += ")";
  }
  if (!p.unit.empty()) m += " [" + p.unit + "]";
  // The CLI prints errors on one line: fold any newline a library message may carry.
  for (char& c : m)
    if (c == '\n' || c == '\r') c = ' ';
  return m;
}

void raise(ErrorKind kind, const Problem& p) {
  const std::string m = format_problem(p);
  switch (kind) {
    case ErrorKind::io: throw IoError(m);
    case ErrorKind::shape: throw ShapeError(m);
    case ErrorKind::config: throw ConfigError(m);
  }
  throw InternalError(m);
}

}  // namespace neurodl
