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
