// Formatting instants for SCIM `meta` and logs. Pure: the caller reads the clock.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace scim::core {

// RFC 3339 UTC with milliseconds ("2026-11-22T07:34:06.123Z"). Text order is time order.
std::string FormatRfc3339(std::chrono::system_clock::time_point time);

// Whether `text` is YYYY-MM-DDTHH:MM:SS, an optional fraction, then Z: the one RFC 3339 form
// whose text order is time order (so such times compare as strings).
bool IsUtcTimestamp(std::string_view text);

}  // namespace scim::core
