// The pure parts of webhook delivery: signatures and the retry schedule. Delivery itself runs
// against a real receiver in tests/e2e/test_webhooks.py.
#include "events/dispatcher.h"

#include <gtest/gtest.h>

#include "auth/crypto.h"
#include "events/webhooks.h"

namespace scim::events {
namespace {

using std::chrono::milliseconds;

TEST(SignatureHeader, SignsTimestampDotBodyWithEachSecret) {
  std::string body = R"({"id":"evt_1"})";
  std::string header = SignatureHeader(1733130000, body, {"whsec_new", "whsec_old"});
  std::string expected_new = auth::HmacSha256Hex("whsec_new", "1733130000." + body);
  std::string expected_old = auth::HmacSha256Hex("whsec_old", "1733130000." + body);
  EXPECT_EQ(header, "t=1733130000,v1=" + expected_new + ",v1=" + expected_old);
  EXPECT_EQ(SignatureHeader(1, "x", {"k"}), "t=1,v1=" + auth::HmacSha256Hex("k", "1.x"));
}

TEST(RetryDelay, DoublesFromTheBaseUpToTheCapWithJitterInTheUpperHalf) {
  milliseconds base(1000), max(60'000);
  struct Case {
    int64_t attempt;
    double jitter;
    int64_t expected_ms;
  } cases[] = {
      {1, 0.0, 500},   {1, 1.0, 1000},  {2, 0.0, 1000},   {3, 0.5, 3000},  {4, 1.0, 8000},
      {7, 1.0, 60000}, {7, 0.0, 30000}, {50, 1.0, 60000}, {1, -3.0, 500},  {1, 9.0, 1000},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(RetryDelay(c.attempt, base, max, c.jitter).count(), c.expected_ms)
        << "attempt " << c.attempt << " jitter " << c.jitter;
  }
}

TEST(SplitEventTypes, TrimsAndDropsEmptyNames) {
  EXPECT_EQ(SplitEventTypes("user.created, group.renamed,,"),
            (std::vector<std::string>{"user.created", "group.renamed"}));
  EXPECT_TRUE(SplitEventTypes("").empty());
}

TEST(NewWebhook, ChecksTheUrlAndTheEventTypes) {
  ASSERT_TRUE(auth::InitCrypto());
  storage::Tenant tenant{storage::TenantId{7}, "acme", "", "{}"};
  auto ok = NewWebhook(tenant, "https://hooks.example.com/scim", {"user.created"}, "2026-12-02T00:00:00.000Z");
  ASSERT_TRUE(ok) << ok.error().detail;
  EXPECT_EQ(ok->id.rfind("wh_", 0), 0u);
  EXPECT_EQ(ok->secret.rfind("whsec_", 0), 0u);
  EXPECT_EQ(ok->tenant.value, 7);
  auto bad_url = NewWebhook(tenant, "ftp://x/", {}, "");
  ASSERT_FALSE(bad_url);
  EXPECT_EQ(bad_url.error().type, core::ErrorType::kInvalidValue);
  auto bad_type = NewWebhook(tenant, "http://127.0.0.1:9/", {"user.exploded"}, "");
  ASSERT_FALSE(bad_type);
  EXPECT_NE(bad_type.error().detail.find("group.member_added"), std::string::npos) << bad_type.error().detail;
}

}  // namespace
}  // namespace scim::events
