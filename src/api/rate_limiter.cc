#include "api/rate_limiter.h"

#include <cmath>
#include <iterator>

namespace scim::api {
namespace {

// More entries than this and the full (idle) buckets are dropped.
constexpr size_t kMaxIdleEntries = 10'000;

}  // namespace

core::TokenBucket* RateLimiter::Bucket(std::optional<core::TokenBucket>& slot, double rate, Clock::time_point now) {
  if (rate <= 0) {
    slot.reset();
    return nullptr;
  }
  double burst = std::max(1.0, rate * options_.burst_seconds);
  if (!slot) {
    slot.emplace(rate, burst, now);
  } else {
    slot->Refill(now);
    if (slot->rate() != rate) slot->Reset(rate, burst);
  }
  return &*slot;
}

RateDecision RateLimiter::Admit(std::string_view tenant, std::optional<double> tenant_rate,
                                std::string_view credential, Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (tenants_.size() + credentials_.size() > kMaxIdleEntries) DropIdleBuckets(now);
  TenantBuckets& buckets = tenants_[std::string(tenant)];
  core::TokenBucket* by_credential =
      options_.credential_rate > 0 ? Bucket(credentials_[std::string(credential)], options_.credential_rate, now)
                                   : nullptr;
  core::TokenBucket* by_tenant = Bucket(buckets.limit, tenant_rate.value_or(options_.tenant_rate), now);
  core::TokenBucket* server = Bucket(server_, options_.server_rate, now);
  core::TokenBucket* floor = Bucket(buckets.floor, server ? options_.tenant_floor : 0, now);

  RateDecision refused{false, 0, ""};
  auto refuse = [&](const core::TokenBucket& bucket, const char* limit) {
    int seconds = std::max(1, static_cast<int>(std::ceil(bucket.SecondsUntilToken())));
    if (seconds > refused.retry_after_seconds) {
      refused.retry_after_seconds = seconds;
      refused.limit = limit;
    }
  };
  if (by_credential && !by_credential->HasToken()) refuse(*by_credential, "credential");
  if (by_tenant && !by_tenant->HasToken()) refuse(*by_tenant, "tenant");
  core::TokenBucket* shared = server;  // the bucket this request draws on besides its own
  if (server && !server->HasToken()) {
    if (floor && floor->HasToken()) {
      shared = floor;
    } else {
      // Whichever frees first: the server's bucket or this tenant's floor.
      const core::TokenBucket& sooner =
          floor && floor->SecondsUntilToken() < server->SecondsUntilToken() ? *floor : *server;
      refuse(sooner, "server");
    }
  }
  if (refused.retry_after_seconds > 0) return refused;
  if (by_credential) by_credential->Take();
  if (by_tenant) by_tenant->Take();
  if (shared) shared->Take();
  return {};
}

void RateLimiter::DropIdleBuckets(Clock::time_point now) {
  // A bucket that would be full by now has not been used for its burst's worth of time: dropping it
  // loses nothing, since a new one starts full.
  auto idle = [now](std::optional<core::TokenBucket>& bucket) {
    if (!bucket) return true;
    bucket->Refill(now);
    return bucket->Full();
  };
  for (auto it = credentials_.begin(); it != credentials_.end();) {
    it = idle(it->second) ? credentials_.erase(it) : std::next(it);
  }
  for (auto it = tenants_.begin(); it != tenants_.end();) {
    bool unused = idle(it->second.limit) && idle(it->second.floor);
    it = unused ? tenants_.erase(it) : std::next(it);
  }
}

}  // namespace scim::api
