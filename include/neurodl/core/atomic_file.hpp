#pragma once
// Writes that never leave a half-written file: write to a temporary name in the target's folder,
// then rename into place. A failure (an exception before commit()) removes the temporary file,
// and the target, if it existed, is untouched.

#include <filesystem>

namespace neurodl {

class AtomicFile {
 public:
  /// Prepares a temporary path beside `target`; throws IoError when the folder does not exist.
  explicit AtomicFile(std::filesystem::path target);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  /// Removes the temporary file unless commit() succeeded.
  ~AtomicFile();
  /// Where to write: a hidden name in the target's folder.
  const std::filesystem::path& temp_path() const { return temp_; }
  const std::filesystem::path& target() const { return target_; }
  /// Renames the temporary file onto the target; throws IoError on failure.
  void commit();

 private:
  std::filesystem::path target_;
  std::filesystem::path temp_;
  bool committed_ = false;
};

}  // namespace neurodl
