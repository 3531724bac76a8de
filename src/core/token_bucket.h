// A token bucket: `rate` tokens a second, holding at most `burst`. Pure arithmetic: the caller
// passes the time, so it is deterministic in tests and costs no clock read of its own.
// Not thread-safe; the owner locks.
#pragma once

#include <algorithm>
#include <chrono>

namespace scim::core {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts full. rate > 0, burst >= 1.
  TokenBucket(double rate, double burst, Clock::time_point now)
      : rate_(rate), burst_(burst), tokens_(burst), last_(now) {}

  // Adds what accrued since the last call (time never runs backwards here).
  void Refill(Clock::time_point now) {
    if (now <= last_) return;
    tokens_ = std::min(burst_, tokens_ + std::chrono::duration<double>(now - last_).count() * rate_);
    last_ = now;
  }
  bool HasToken() const { return tokens_ >= 1; }
  void Take() { tokens_ -= 1; }
  // Seconds until a token is there (0 when one is), as of the last Refill.
  double SecondsUntilToken() const { return tokens_ >= 1 ? 0 : (1 - tokens_) / rate_; }
  bool Full() const { return tokens_ >= burst_; }
  double rate() const { return rate_; }

  // A new rate and burst from now on, keeping the tokens there are (capped at the new burst).
  void Reset(double rate, double burst) {
    rate_ = rate;
    burst_ = burst;
    tokens_ = std::min(tokens_, burst_);
  }

 private:
  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace scim::core
