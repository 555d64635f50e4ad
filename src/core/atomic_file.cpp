#include "neurodl/core/atomic_file.hpp"

#include <unistd.h>

#include <atomic>
#include <string>
#include <system_error>

#include "neurodl/core/error.hpp"

namespace neurodl {

AtomicFile::AtomicFile(std::filesystem::path target) : target_(std::move(target)) {
  static std::atomic<int> counter{0};
  std::filesystem::path dir = target_.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  check(std::filesystem::is_directory(dir, ec), ErrorKind::io,
        {.component = "output", .what = "output folder does not exist", .file = target_.string()});
  check(!std::filesystem::is_directory(target_, ec), ErrorKind::io,
        {.component = "output", .what = "output path is a folder", .file = target_.string()});
  temp_ = dir / ("." + target_.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                 std::to_string(counter++));
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    std::error_code ec;
    std::filesystem::remove(temp_, ec);
  }
}

void AtomicFile::commit() {
  std::error_code ec;
  std::filesystem::rename(temp_, target_, ec);
  check(!ec, ErrorKind::io,
        {.component = "output", .what = "cannot move the finished file into place: " + ec.message(),
         .file = target_.string()});
  committed_ = true;
}

}  // namespace neurodl
