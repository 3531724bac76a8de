#include "auth/oauth.h"

#include <gtest/gtest.h>

namespace scim::auth {
namespace {

TEST(OAuthRedirectUris, OnlyAbsoluteHttpsOrLocalHttpWithoutFragmentOrUserInfo) {
  for (const char* good : {"https://app.example.com/oauth/callback", "https://app.example.com:8443/cb?x=1",
                           "http://localhost:3000/cb", "http://127.0.0.1/cb", "http://[::1]:8080/cb"}) {
    EXPECT_TRUE(ValidateRedirectUri(good)) << good;
  }
  for (const char* bad : {"", "app.example.com/cb", "ftp://app.example.com/cb", "http://app.example.com/cb",
                          "http://localhost.evil.example/cb", "https://app.example.com/cb#x", "https:///cb",
                          "https://user:pw@app.example.com/cb", "https://app.example.com/a b",
                          "https://app.example.com/\xc3\xa9"}) {
    auto r = ValidateRedirectUri(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().type, core::ErrorType::kInvalidValue);
  }
  EXPECT_FALSE(ValidateRedirectUri("https://app.example.com/" + std::string(2000, 'a')));
}

TEST(OAuthRedirectUris, ExactMatchAndOktaCallbacksOnEveryOktaHost) {
  storage::OAuthClientRecord client;
  client.redirect_uris = {"https://app.example.com/cb"};
  EXPECT_TRUE(RedirectUriAllowed(client, "https://app.example.com/cb"));
  EXPECT_FALSE(RedirectUriAllowed(client, "https://app.example.com/cb/"));
  EXPECT_FALSE(RedirectUriAllowed(client, "https://app.example.com/cb?next=https://evil.example"));
  EXPECT_FALSE(RedirectUriAllowed(client, "https://APP.example.com/cb"));
  EXPECT_FALSE(RedirectUriAllowed(client, "https://system-admin.okta.com/admin/app/cpc/acme_scim/oauth/callback"));
  client.okta_app = "acme_scim";
  for (const char* host : {"okta.com", "okta-emea.com", "oktapreview.com", "trexcloud.com"}) {
    EXPECT_TRUE(RedirectUriAllowed(
        client, std::string("https://system-admin.") + host + "/admin/app/cpc/acme_scim/oauth/callback"))
        << host;
  }
  EXPECT_FALSE(RedirectUriAllowed(client, "https://system-admin.okta.com/admin/app/cpc/other/oauth/callback"));
  EXPECT_FALSE(RedirectUriAllowed(client, "https://evil.okta.com.example/admin/app/cpc/acme_scim/oauth/callback"));
  EXPECT_TRUE(RedirectUriAllowed(client, "http://system-admin.okta1.com:1802/admin/app/cpc/acme_scim/oauth/callback"));
  EXPECT_EQ(OktaCallbacks("x").size(), 5u);
}

TEST(OAuthRedirectUris, OktaAppNames) {
  EXPECT_TRUE(ValidateOktaAppName("acme_scim-2"));
  EXPECT_FALSE(ValidateOktaAppName(""));
  EXPECT_FALSE(ValidateOktaAppName("acme/../x"));
  EXPECT_FALSE(ValidateOktaAppName(std::string(101, 'a')));
}

}  // namespace
}  // namespace scim::auth
