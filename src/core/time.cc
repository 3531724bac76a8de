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

bool IsUtcTimestamp(std::string_view text) {
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd";
  if (text.size() < kShape.size() + 1 || text.back() != 'Z') return false;
  for (size_t i = 0; i < kShape.size(); ++i) {
    bool digit = text[i] >= '0' && text[i] <= '9';
    if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) return false;
  }
  std::string_view fraction = text.substr(kShape.size(), text.size() - kShape.size() - 1);
  if (fraction.empty()) return true;
  if (fraction.size() < 2 || fraction.front() != '.') return false;
  for (char c : fraction.substr(1)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace scim::core
