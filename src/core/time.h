// Formatting instants for SCIM `meta` and logs. Pure: the caller reads the clock.
#pragma once

#include <chrono>
#include <string>

namespace scim::core {

// RFC 3339 UTC with milliseconds ("2026-11-22T07:34:06.123Z"). Text order is time order.
std::string FormatRfc3339(std::chrono::system_clock::time_point time);

}  // namespace scim::core
