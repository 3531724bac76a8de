#include "auth/failure_throttle.h"

#include <algorithm>
#include <vector>

namespace scim::auth {

int FailureThrottle::LockedFor(std::string_view key, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(key));
  if (it == entries_.end() || it->second.locked_until <= now) return 0;
  auto left = std::chrono::ceil<std::chrono::seconds>(it->second.locked_until - now);
  return std::max(1, static_cast<int>(left.count()));
}

void FailureThrottle::RecordFailure(std::string_view key, Clock::time_point now) {
  if (options_.max_failures <= 0) return;
  std::lock_guard lock(mu_);
  if (entries_.size() >= options_.max_keys) Trim(now);
  Entry& entry = entries_[std::string(key)];
  if (entry.failures == 0 || now - entry.window_start >= options_.window) {
    entry.window_start = now;
    entry.failures = 0;
  }
  if (++entry.failures >= options_.max_failures) {
    entry.locked_until = now + options_.lockout;
    entry.failures = 0;  // a new window starts when the lockout ends
    entry.window_start = entry.locked_until;
  }
}

void FailureThrottle::Trim(Clock::time_point now) {
  std::erase_if(entries_, [&](const auto& item) {
    const Entry& e = item.second;
    return e.locked_until <= now && now - e.window_start >= options_.window;
  });
  if (entries_.size() < options_.max_keys) return;
  // Still full (an attacker spreading over many addresses): keep the newer half, locked or not.
  std::vector<Clock::time_point> starts;
  starts.reserve(entries_.size());
  for (const auto& item : entries_) starts.push_back(item.second.window_start);
  auto middle = starts.begin() + static_cast<std::ptrdiff_t>(starts.size() / 2);
  std::nth_element(starts.begin(), middle, starts.end());
  Clock::time_point cutoff = *middle;
  std::erase_if(entries_, [&](const auto& item) {
    return item.second.window_start < cutoff;
  });
}

}  // namespace scim::auth
