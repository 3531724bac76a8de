// Request rate limits for the SCIM endpoints: token buckets per tenant, per credential and for the
// whole server, with a floor per tenant that the server-wide limit never takes away.
//
// A request is admitted when its credential's bucket and its tenant's bucket each have a token, and
// either the server's bucket has one or the tenant's floor bucket does (`tenant_floor` a second:
// one tenant's initial sync can empty the server's bucket, yet every other tenant still gets its
// floor, so none starves; Entra quarantines a connection whose calls keep failing). Tokens are
// taken only when the request is admitted. A refusal says how long until it would be admitted,
// rounded up to whole seconds (Okta honours only that form of Retry-After).
//
// Thread-safe: one mutex around a map lookup and a little arithmetic per request. Buckets of
// credentials idle long enough to be full again are dropped when the map grows, so memory stays
// bounded by the credentials active in the last few seconds.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/token_bucket.h"

namespace scim::api {

struct RateLimitOptions {
  // Requests a second (0: no limit). A bucket holds `burst_seconds` worth of requests.
  double tenant_rate = 1000;
  double credential_rate = 0;
  double server_rate = 0;
  double tenant_floor = 25;  // requests a second each tenant keeps whatever the server-wide use
  double burst_seconds = 2;
};

struct RateDecision {
  bool admitted = true;
  int retry_after_seconds = 0;  // when refused: >= 1
  const char* limit = "";       // when refused: "credential", "tenant" or "server"
};

class RateLimiter {
 public:
  using Clock = core::TokenBucket::Clock;

  explicit RateLimiter(RateLimitOptions options) : options_(options) {}

  // One request of `tenant` with `credential`. `tenant_rate` overrides options.tenant_rate for this
  // tenant (its `rate_limit` setting; 0: no limit).
  RateDecision Admit(std::string_view tenant, std::optional<double> tenant_rate, std::string_view credential,
                     Clock::time_point now);

 private:
  struct TenantBuckets {
    std::optional<core::TokenBucket> limit;  // absent: unlimited
    std::optional<core::TokenBucket> floor;  // present when there is a server-wide limit
  };

  core::TokenBucket* Bucket(std::optional<core::TokenBucket>& slot, double rate, Clock::time_point now);
  void DropIdleBuckets(Clock::time_point now);

  const RateLimitOptions options_;
  std::mutex mu_;
  // All guarded by mu_.
  std::optional<core::TokenBucket> server_;
  std::unordered_map<std::string, TenantBuckets> tenants_;
  std::unordered_map<std::string, std::optional<core::TokenBucket>> credentials_;
};

}  // namespace scim::api
