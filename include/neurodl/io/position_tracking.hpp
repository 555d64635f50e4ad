#pragma once
// Video position tracking files (`*.videoPositionTracking`, Frank lab / nelpy example data): a
// text header ending with the line "<End settings>", then little-endian 12-byte records
// `uint32 time (clock ticks), uint16 x, y, x2, y2` (pixels; x2, y2 is a second LED, 0 when absent).

#include <cstdint>
#include <filesystem>

#include "neurodl/core/recording.hpp"

namespace neurodl::io {

/// Clock rate of the time stamps when the header has no "clockrate:" line: 30 kHz.
constexpr double kDefaultTrackingClockRateHz = 30000.0;

/// What read_video_position_tracking had to leave out.
struct PositionTrackingInfo {
  double clock_rate_hz = kDefaultTrackingClockRateHz;  ///< ticks per second used for the times
  std::int64_t n_records = 0;                          ///< records in the file
  std::int64_t n_dropped = 0;  ///< records dropped because their time did not increase
};

/// Reads the file into a behaviour channel named "position" with unit "px": values T × 4 float32
/// (x, y, x2, y2 in pixels), timestamps_s = ticks / clock rate (the header's "clockrate: N", else
/// 30 kHz). Records whose time is not greater than the previous kept record's (repeated frames)
/// are dropped so that the times are strictly increasing; `info`, when given, receives the count.
/// Throws IoError naming the file when it is missing or unreadable, has no "<End settings>" line,
/// ends in a partial record (the byte count after the header is not a multiple of 12), or holds
/// no record.
BehaviorChannel read_video_position_tracking(const std::filesystem::path& path,
                                             PositionTrackingInfo* info = nullptr);

}  // namespace neurodl::io
