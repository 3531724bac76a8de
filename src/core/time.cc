#include "core/time.h"

#include <cstdio>
#include <ctime>

namespace scim::core {

std::string FormatRfc3339(std::chrono::system_clock::time_point time) {
  auto since_epoch = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  auto millis = static_cast<int>(((since_epoch % 1000) + 1000) % 1000);
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  if (since_epoch < 0 && millis != 0) seconds -= 1;  // to_time_t truncates toward zero
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[80];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
  return buffer;
}

}  // namespace scim::core
