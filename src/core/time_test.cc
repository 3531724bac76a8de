#include "core/time.h"

#include <gtest/gtest.h>

namespace scim::core {
namespace {

TEST(FormatRfc3339, UtcWithMilliseconds) {
  using namespace std::chrono;
  system_clock::time_point t{milliseconds(1764667506123)};  // 2025-12-02T09:25:06.123Z
  EXPECT_EQ(FormatRfc3339(t), "2025-12-02T09:25:06.123Z");
  EXPECT_EQ(FormatRfc3339(system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(system_clock::time_point{milliseconds(-1)}), "1969-12-31T23:59:59.999Z");
}

TEST(IsUtcTimestamp, OnlyTheFormWhoseTextOrderIsTimeOrder) {
  for (const char* good : {"2026-12-03T00:00:00Z", "2026-12-03T00:00:00.5Z", "2026-12-03T00:00:00.123Z"}) {
    EXPECT_TRUE(IsUtcTimestamp(good)) << good;
  }
  for (const char* bad : {"", "2026-12-03", "2026-12-03T00:00:00", "2026-12-03T00:00:00+01:00", "2026-12-03 00:00:00Z",
                          "2026-12-03T00:00:00.Z", "2026-1x-03T00:00:00Z", "on"}) {
    EXPECT_FALSE(IsUtcTimestamp(bad)) << bad;
  }
}

}  // namespace
}  // namespace scim::core
