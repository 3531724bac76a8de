#include "auth/failure_throttle.h"

#include <gtest/gtest.h>

#include <string>

namespace scim::auth {
namespace {

using namespace std::chrono_literals;
using Clock = FailureThrottle::Clock;

TEST(FailureThrottleTest, LocksAKeyAfterTooManyFailuresInAWindow) {
  FailureThrottle throttle({.max_failures = 3, .window = 60s, .lockout = 120s});
  Clock::time_point t0 = Clock::time_point{} + 1000s;
  throttle.RecordFailure("1.2.3.4|acme", t0);
  throttle.RecordFailure("1.2.3.4|acme", t0 + 10s);
  EXPECT_EQ(throttle.LockedFor("1.2.3.4|acme", t0 + 10s), 0);
  throttle.RecordFailure("1.2.3.4|acme", t0 + 20s);
  EXPECT_EQ(throttle.LockedFor("1.2.3.4|acme", t0 + 20s), 120);
  EXPECT_EQ(throttle.LockedFor("1.2.3.4|acme", t0 + 139500ms), 1);  // whole seconds, rounded up
  EXPECT_EQ(throttle.LockedFor("1.2.3.4|acme", t0 + 140s), 0);
  // Other tenants behind the same address, and other addresses, are not affected.
  EXPECT_EQ(throttle.LockedFor("1.2.3.4|globex", t0 + 20s), 0);
  EXPECT_EQ(throttle.LockedFor("5.6.7.8|acme", t0 + 20s), 0);
}

TEST(FailureThrottleTest, FailuresSpreadOverWindowsDoNotLock) {
  FailureThrottle throttle({.max_failures = 3, .window = 60s, .lockout = 120s});
  Clock::time_point t0 = Clock::time_point{} + 1000s;
  for (int i = 0; i < 10; ++i) throttle.RecordFailure("k", t0 + std::chrono::seconds(i * 31));
  EXPECT_EQ(throttle.LockedFor("k", t0 + 300s), 0);
}

TEST(FailureThrottleTest, ZeroMaxFailuresNeverLocks) {
  FailureThrottle throttle({.max_failures = 0});
  Clock::time_point t0 = Clock::time_point{} + 1000s;
  for (int i = 0; i < 100; ++i) throttle.RecordFailure("k", t0);
  EXPECT_EQ(throttle.LockedFor("k", t0), 0);
}

TEST(FailureThrottleTest, MemoryStaysBoundedUnderManyAddresses) {
  FailureThrottle throttle({.max_failures = 2, .window = 60s, .lockout = 600s, .max_keys = 1000});
  Clock::time_point t0 = Clock::time_point{} + 1000s;
  for (int i = 0; i < 20'000; ++i) {
    std::string key = "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    throttle.RecordFailure(key, t0 + std::chrono::milliseconds(i));
    throttle.RecordFailure(key, t0 + std::chrono::milliseconds(i));
  }
  // The newest keys are still locked; the map never held much more than max_keys.
  EXPECT_GT(throttle.LockedFor("10.0.78.31", t0 + 30s), 0);  // i = 19999
}

}  // namespace
}  // namespace scim::auth
