#pragma once
// Errors raised by neurodl. Anything a user or a file can cause is a neurodl::Error (or one of its
// subclasses); a broken internal invariant is a neurodl::InternalError. The CLI catches Error,
// prints its one-line message and exits with code 2.

#include <stdexcept>
#include <string>
#include <string_view>

namespace neurodl {

/// Base of every error a user, an option or an input file can cause.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A file is missing, unreadable, truncated, corrupt or of an unknown format.
class IoError : public Error {
 public:
  using Error::Error;
};

/// An array has the wrong shape, or sizes disagree between arrays.
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// An option or a value is out of range, unknown, or inconsistent (NaN, mismatched rates, ...).
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// A bug in neurodl: an invariant that no input should be able to break.
class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// Which subclass of Error a failed check raises.
enum class ErrorKind { io, shape, config };

/// Everything a check message can carry. Empty fields are left out of the message.
struct Problem {
  std::string component;  ///< the part of neurodl that noticed, e.g. "io.npy", "sim"
  std::string what;       ///< what is wrong, in a few words
  std::string expected;   ///< what was expected (optional)
  std::string got;        ///< what was found (optional)
  std::string unit;       ///< unit of expected/got (optional)
  std::string file;       ///< the file concerned (optional)
  std::string field;      ///< the field, variable or dataset inside the file (optional)
};

/// Formats a Problem as one line:
/// `<component>: <file>: <field>: <what> (expected <x>, got <y>) [<unit>]`.
std::string format_problem(const Problem& p);

/// Throws the Error subclass named by `kind` with the formatted message.
[[noreturn]] void raise(ErrorKind kind, const Problem& p);

/// Throws unless `ok`; the Problem is formatted only on failure.
inline void check(bool ok, ErrorKind kind, const Problem& p) {
  if (!ok) raise(kind, p);
}

}  // namespace neurodl
