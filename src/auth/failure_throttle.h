// Slows down password and token guessing: counts failed authentications per key (the client's
// address and the tenant it names) in a fixed window, and once a key has had `max_failures` in
// one window it is locked for `lockout`. While locked, a credential that was not verified recently
// is refused with 429 before any password hash is computed, so guessing costs the attacker time
// and the server no CPU; an IdP whose credential was verified before keeps working, and other
// tenants (other keys) are never affected, even behind the same IdP address.
//
// Thread-safe. Memory is bounded: past `max_keys` keys, those neither locked nor failing recently
// are dropped, and if that is not enough the oldest windows go.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace scim::auth {

struct FailureThrottleOptions {
  int max_failures = 10;                   // 0: never lock
  std::chrono::seconds window{300};
  std::chrono::seconds lockout{300};
  size_t max_keys = 100'000;
};

class FailureThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  explicit FailureThrottle(FailureThrottleOptions options = {}) : options_(options) {}

  // Whole seconds the key stays locked (>= 1), or 0 when it is not locked.
  int LockedFor(std::string_view key, Clock::time_point now);
  void RecordFailure(std::string_view key, Clock::time_point now);

 private:
  struct Entry {
    Clock::time_point window_start;
    int failures = 0;
    Clock::time_point locked_until;
  };
  void Trim(Clock::time_point now);

  const FailureThrottleOptions options_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace scim::auth
