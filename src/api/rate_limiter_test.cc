#include "api/rate_limiter.h"

#include <gtest/gtest.h>

#include <string>

namespace scim::api {
namespace {

using namespace std::chrono_literals;
using Clock = RateLimiter::Clock;

// How many of `n` requests at `now` are admitted.
int AdmitMany(RateLimiter& limiter, std::string_view tenant, std::string_view credential, int n, Clock::time_point now,
              std::optional<double> tenant_rate = std::nullopt) {
  int admitted = 0;
  for (int i = 0; i < n; ++i) admitted += limiter.Admit(tenant, tenant_rate, credential, now).admitted ? 1 : 0;
  return admitted;
}

TEST(RateLimiterTest, TenantLimitWithBurstAndRetryAfter) {
  RateLimiter limiter({.tenant_rate = 50, .credential_rate = 0, .server_rate = 0, .burst_seconds = 2});
  Clock::time_point t0{};
  EXPECT_EQ(AdmitMany(limiter, "acme", "tok_a", 150, t0), 100);  // the burst: 2 s worth
  RateDecision refused = limiter.Admit("acme", std::nullopt, "tok_b", t0);  // another credential, same tenant
  EXPECT_FALSE(refused.admitted);
  EXPECT_STREQ(refused.limit, "tenant");
  EXPECT_EQ(refused.retry_after_seconds, 1);  // 20 ms rounded up to a whole second
  EXPECT_EQ(AdmitMany(limiter, "globex", "tok_g", 10, t0), 10);  // other tenants are not affected
  EXPECT_EQ(AdmitMany(limiter, "acme", "tok_a", 100, t0 + 1s), 50);  // then the rate
}

TEST(RateLimiterTest, TenantOverrideAndUnlimited) {
  RateLimiter limiter({.tenant_rate = 50});
  Clock::time_point t0{};
  EXPECT_EQ(AdmitMany(limiter, "big", "tok", 1000, t0, 400.0), 800);
  EXPECT_EQ(AdmitMany(limiter, "free", "tok2", 5000, t0, 0.0), 5000);  // 0: no limit
  // Lowered: what accrued at the old rate until now is capped at the new burst (2 s of 50).
  EXPECT_EQ(AdmitMany(limiter, "big", "tok", 1000, t0 + 1s, 50.0), 100);
  EXPECT_EQ(AdmitMany(limiter, "big", "tok", 1000, t0 + 2s, 50.0), 50);
}

TEST(RateLimiterTest, CredentialLimitIsSeparateFromTenant) {
  RateLimiter limiter({.tenant_rate = 0, .credential_rate = 10, .burst_seconds = 1});
  Clock::time_point t0{};
  EXPECT_EQ(AdmitMany(limiter, "acme", "tok_a", 20, t0), 10);
  RateDecision refused = limiter.Admit("acme", std::nullopt, "tok_a", t0);
  EXPECT_STREQ(refused.limit, "credential");
  EXPECT_EQ(AdmitMany(limiter, "acme", "tok_b", 20, t0), 10);
}

TEST(RateLimiterTest, ServerLimitKeepsEachTenantsFloor) {
  RateLimiter limiter({.tenant_rate = 0, .server_rate = 100, .tenant_floor = 25, .burst_seconds = 1});
  Clock::time_point t0{};
  // One tenant's sync takes the whole server bucket and its own floor...
  EXPECT_EQ(AdmitMany(limiter, "syncing", "tok_s", 1000, t0), 125);
  RateDecision refused = limiter.Admit("syncing", std::nullopt, "tok_s", t0);
  EXPECT_STREQ(refused.limit, "server");
  EXPECT_GE(refused.retry_after_seconds, 1);
  // ...yet every other tenant still gets its floor at once, and again each second.
  EXPECT_EQ(AdmitMany(limiter, "quiet", "tok_q", 100, t0), 25);
  EXPECT_EQ(AdmitMany(limiter, "other", "tok_o", 100, t0), 25);
  for (int second = 1; second <= 3; ++second) {
    Clock::time_point now = t0 + std::chrono::seconds(second);
    EXPECT_GE(AdmitMany(limiter, "quiet", "tok_q", 25, now), 25) << second;
    AdmitMany(limiter, "syncing", "tok_s", 1000, now);
  }
}

TEST(RateLimiterTest, ARefusedRequestTakesNoToken) {
  RateLimiter limiter({.tenant_rate = 10, .credential_rate = 100, .burst_seconds = 1});
  Clock::time_point t0{};
  EXPECT_EQ(AdmitMany(limiter, "acme", "tok", 10, t0), 10);
  EXPECT_EQ(AdmitMany(limiter, "acme", "tok", 500, t0), 0);  // refused by the tenant's bucket...
  // ...so the credential's 90 are left, for a tenant without a limit.
  EXPECT_EQ(AdmitMany(limiter, "other", "tok", 100, t0, 0.0), 90);
}

TEST(RateLimiterTest, ManyIdleCredentialsAreForgotten) {
  RateLimiter limiter({.tenant_rate = 0, .credential_rate = 5, .burst_seconds = 1});
  Clock::time_point t0{};
  for (int i = 0; i < 30'000; ++i) {
    ASSERT_TRUE(limiter.Admit("t" + std::to_string(i % 7), std::nullopt, "tok_" + std::to_string(i),
                              t0 + std::chrono::milliseconds(i))
                    .admitted);
  }
  // An active credential keeps its state through the clean-ups.
  EXPECT_EQ(AdmitMany(limiter, "t0", "tok_x", 10, t0 + 31s), 5);
}

}  // namespace
}  // namespace scim::api
