#include "neurodl/io/position_tracking.hpp"

#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "neurodl/core/error.hpp"

namespace neurodl::io {
namespace {

constexpr std::size_t kRecordBytes = 12;  // uint32 time + 4 × uint16
constexpr const char* kEndOfHeader = "<End settings>\n";

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what,
                       const std::string& expected = {}, const std::string& got = {}) {
  raise(ErrorKind::io, {.component = "io.position_tracking",
                        .what = what,
                        .expected = expected,
                        .got = got,
                        .file = path.string()});
}

// Records are little-endian whatever the host; assemble the integers byte by byte.
std::uint32_t le32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}
std::uint16_t le16(const unsigned char* p) { return static_cast<std::uint16_t>(p[0] | p[1] << 8); }

// The header's "clockrate: 30000" line, when present and positive.
double clock_rate_from_header(const std::string& header) {
  std::istringstream lines(header);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("clockrate:", 0) != 0) continue;
    try {
      const double rate = std::stod(line.substr(std::strlen("clockrate:")));
      if (rate > 0) return rate;
    } catch (const std::exception&) {
      // An unreadable clock rate falls back to the default, as when the line is absent.
    }
  }
  return kDefaultTrackingClockRateHz;
}

}  // namespace

BehaviorChannel read_video_position_tracking(const std::filesystem::path& path,
                                             PositionTrackingInfo* info) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open position tracking file");
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) fail(path, "read error");

  const std::size_t end = bytes.find(kEndOfHeader);
  if (end == std::string::npos)
    fail(path, "no end of the text header", "a line '<End settings>'", "none");
  const std::size_t body = end + std::strlen(kEndOfHeader);
  const std::size_t n_body = bytes.size() - body;
  // A partial record means the file was cut while being written or copied: refuse rather than
  // guess, since the missing bytes may belong to any record boundary.
  if (n_body % kRecordBytes != 0)
    fail(path, "truncated record after the header",
         "a multiple of " + std::to_string(kRecordBytes) + " bytes", std::to_string(n_body));
  const std::size_t n = n_body / kRecordBytes;
  if (n == 0) fail(path, "no position records after the header");

  PositionTrackingInfo meta;
  meta.clock_rate_hz = clock_rate_from_header(bytes.substr(0, end));
  meta.n_records = static_cast<std::int64_t>(n);

  BehaviorChannel ch;
  ch.name = "position";
  ch.unit = "px";
  ch.values.resize(static_cast<Eigen::Index>(n), 4);
  ch.timestamps_s.reserve(n);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + body);
  std::int64_t kept = 0;
  std::uint32_t last_tick = 0;
  for (std::size_t i = 0; i < n; ++i, p += kRecordBytes) {
    const std::uint32_t tick = le32(p);
    // Repeated time stamps (the camera delivering a frame twice) would break the strictly
    // increasing behaviour times that Recording requires; the first record of a time is kept.
    if (kept > 0 && tick <= last_tick) {
      ++meta.n_dropped;
      continue;
    }
    last_tick = tick;
    ch.timestamps_s.push_back(static_cast<double>(tick) / meta.clock_rate_hz);
    for (int k = 0; k < 4; ++k) ch.values(kept, k) = static_cast<float>(le16(p + 4 + 2 * k));
    ++kept;
  }
  ch.values.conservativeResize(kept, 4);
  if (info) *info = meta;
  return ch;
}

}  // namespace neurodl::io
