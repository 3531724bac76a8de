#include "core/tenant_settings.h"

#include <gtest/gtest.h>

namespace scim::core {
namespace {

TEST(TenantSettings, DefaultsRoundTripAndOnlyDifferencesAreStored) {
  auto defaults = ParseTenantSettings("{}");
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->profile, IdpProfile::kAuto);
  EXPECT_EQ(defaults->compatibility, Compatibility::kLenient);
  EXPECT_FALSE(defaults->reject_unknown_members);
  EXPECT_EQ(DumpTenantSettings(*defaults), "{}");

  TenantSettings s;
  ASSERT_TRUE(SetTenantSetting(s, "profile", "Entra"));
  ASSERT_TRUE(SetTenantSetting(s, "compatibility", "strict"));
  ASSERT_TRUE(SetTenantSetting(s, "unknown_members", "reject"));
  std::string stored = DumpTenantSettings(s);
  EXPECT_EQ(stored, R"({"profile":"entra","compatibility":"strict","unknown_members":"reject"})");
  auto back = ParseTenantSettings(stored);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->profile, IdpProfile::kEntra);
  EXPECT_EQ(back->compatibility, Compatibility::kStrict);
  EXPECT_EQ(back->reject_unknown_members, true);
  ASSERT_TRUE(SetTenantSetting(s, "unknown_members", "server"));
  EXPECT_FALSE(s.reject_unknown_members);
}

TEST(TenantSettings, BadNamesAndValuesSayWhatIsAllowed) {
  TenantSettings s;
  auto r = SetTenantSetting(s, "profile", "google");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("okta, entra, onelogin, jumpcloud, ping"), std::string::npos) << r.error().detail;
  r = SetTenantSetting(s, "compatibility", "loose");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("lenient, strict"), std::string::npos);
  r = SetTenantSetting(s, "colour", "blue");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("profile, compatibility, unknown_members"), std::string::npos);
  EXPECT_FALSE(ParseTenantSettings("[1]"));
  EXPECT_FALSE(ParseTenantSettings(R"({"compatibility": true})"));
  EXPECT_EQ(s.profile, IdpProfile::kAuto) << "a refused value changes nothing";
}

TEST(TenantSettings, PasswordsFollowTheServerUnlessSet) {
  TenantSettings s;
  EXPECT_FALSE(s.store_passwords);
  ASSERT_TRUE(SetTenantSetting(s, "passwords", "store"));
  EXPECT_EQ(s.store_passwords, true);
  EXPECT_EQ(DumpTenantSettings(s), R"({"passwords":"store"})");
  ASSERT_TRUE(SetTenantSetting(s, "passwords", "ignore"));
  EXPECT_EQ(s.store_passwords, false);
  ASSERT_TRUE(SetTenantSetting(s, "passwords", "server"));
  EXPECT_FALSE(s.store_passwords);
  auto r = SetTenantSetting(s, "passwords", "hash");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("server, ignore, store"), std::string::npos);
}

TEST(TenantSettings, NotificationsAndTheInitialSyncWindow) {
  TenantSettings s;
  EXPECT_FALSE(s.notifications_paused);
  EXPECT_FALSE(s.InInitialSync("2026-12-02T10:00:00.000Z"));
  ASSERT_TRUE(SetTenantSetting(s, "notifications", "paused"));
  EXPECT_TRUE(s.notifications_paused);
  ASSERT_TRUE(SetTenantSetting(s, "initial_sync", "on"));
  EXPECT_TRUE(s.InInitialSync("2026-12-02T10:00:00.000Z"));
  ASSERT_TRUE(SetTenantSetting(s, "initial_sync", "2026-12-03T00:00:00Z"));
  EXPECT_TRUE(s.InInitialSync("2026-12-02T23:59:59.999Z"));
  EXPECT_FALSE(s.InInitialSync("2026-12-03T00:00:00.000Z")) << "the window ends at its end time";
  auto stored = DumpTenantSettings(s);
  EXPECT_EQ(stored, R"({"notifications":"paused","initial_sync":"2026-12-03T00:00:00Z"})");
  auto back = ParseTenantSettings(stored);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->notifications_paused);
  EXPECT_EQ(back->initial_sync, "2026-12-03T00:00:00Z");

  for (const char* bad : {"tomorrow", "2026-12-03", "2026-12-03T00:00:00", "2026-12-03T00:00:00+01:00",
                          "2026-12-03T00:00:00.Z", "2026-1x-03T00:00:00Z"}) {
    auto r = SetTenantSetting(s, "initial_sync", bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().detail.find("on, off"), std::string::npos);
  }
  EXPECT_FALSE(SetTenantSetting(s, "notifications", "muted"));
  EXPECT_EQ(s.initial_sync, "2026-12-03T00:00:00Z") << "a refused value changes nothing";
}

TEST(TenantSettings, RateLimitIsServerOffOrAtLeastTheFloor) {
  TenantSettings s;
  EXPECT_FALSE(s.rate_limit);
  ASSERT_TRUE(SetTenantSetting(s, "rate_limit", "250"));
  EXPECT_EQ(s.rate_limit, 250);
  EXPECT_EQ(DumpTenantSettings(s), R"({"rate_limit":"250"})");
  auto back = ParseTenantSettings(DumpTenantSettings(s));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->rate_limit, 250);
  ASSERT_TRUE(SetTenantSetting(s, "rate_limit", "OFF"));
  EXPECT_EQ(s.rate_limit, 0);
  for (const char* bad : {"24", "0", "-5", "fast", "25x", "", "1000001"}) {
    auto r = SetTenantSetting(s, "rate_limit", bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().detail.find("from 25 to 1000000"), std::string::npos) << r.error().detail;
  }
  EXPECT_EQ(s.rate_limit, 0) << "a refused value changes nothing";
  ASSERT_TRUE(SetTenantSetting(s, "rate_limit", "server"));
  EXPECT_FALSE(s.rate_limit);
  EXPECT_EQ(DumpTenantSettings(s), "{}");
}

TEST(TenantSettings, AuthSchemeIsAnyBearerOrTheTextBeforeTheToken) {
  TenantSettings s;
  EXPECT_EQ(s.auth_scheme, "any");
  ASSERT_TRUE(SetTenantSetting(s, "auth_scheme", "Bearer"));
  EXPECT_EQ(s.auth_scheme, "bearer");
  ASSERT_TRUE(SetTenantSetting(s, "auth_scheme", "Token token="));
  EXPECT_EQ(s.auth_scheme, "Token token=");
  EXPECT_EQ(DumpTenantSettings(s), R"({"auth_scheme":"Token token="})");
  EXPECT_EQ(ParseTenantSettings(DumpTenantSettings(s))->auth_scheme, "Token token=");
  for (const char* bad : {"", "tab\there", "scimd_abc", "\xc3\xa9=", "0123456789012345678901234567890123456789x"}) {
    EXPECT_FALSE(SetTenantSetting(s, "auth_scheme", bad)) << bad;
  }
  EXPECT_EQ(s.auth_scheme, "Token token=");
}

TEST(IdentifyClient, ConfiguredThenUserAgentThenDialect) {
  QuirkLog none;
  QuirkLog entra_ops;
  entra_ops.Allow(Quirk::kCapitalisedOp, "Operations[0]");
  EXPECT_EQ(IdentifyClient(IdpProfile::kOneLogin, "Okta SCIM Client 1.0.0", none), IdpProfile::kOneLogin);
  EXPECT_EQ(IdentifyClient(IdpProfile::kAuto, "Okta SCIM Client 1.0.0", none), IdpProfile::kOkta);
  EXPECT_EQ(IdentifyClient(IdpProfile::kAuto, "", entra_ops), IdpProfile::kEntra);
  EXPECT_EQ(IdentifyClient(IdpProfile::kAuto, "curl/7.88.1", none), IdpProfile::kGeneric);
}

}  // namespace
}  // namespace scim::core
