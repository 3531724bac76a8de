// Token extraction from Authorization headers and the crypto helpers.
#include "auth/authenticator.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "auth/crypto.h"

namespace scim::auth {
namespace {

TEST(ExtractToken, AcceptsEveryHeaderShapeIdpAdminsPaste) {
  const std::string token = "scimd_AbC-123_xyz";
  struct Row {
    std::string header;
    std::string expected;
  } rows[] = {
      {"Bearer " + token, token},
      {"bearer " + token, token},
      {token, token},                        // Okta "HTTP Header" mode: the whole value is the token
      {"Token token=" + token, token},       // PagerDuty-style guides
      {"token=" + token, token},
      {"Bearer \"" + token + "\"", token},   // quoted by a careless template
      {"  Bearer " + token + "  ", token},
      {"Bearer other", "other"},             // not ours: looked up, and refused as 401
      {"other", "other"},
  };
  for (const auto& row : rows) EXPECT_EQ(ExtractToken(row.header), row.expected) << row.header;
}

TEST(ParseBasic, UsernameAndPasswordSplitAtTheFirstColon) {
  auto parsed = ParseBasic("Basic b2t0YTpzM2NyZXQ6d2l0aDpjb2xvbnM=");  // okta:s3cret:with:colons
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->first, "okta");
  EXPECT_EQ(parsed->second, "s3cret:with:colons");
  parsed = ParseBasic("  basic   dTpw  ");  // u:p, odd spacing, any case
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->first, "u");
  EXPECT_EQ(parsed->second, "p");
  EXPECT_FALSE(ParseBasic("Basic b2t0YTpzM2NyZXQ")) << "base64 without its padding";
  for (const char* bad : {"Basic", "Basic ", "Basic !!!!", "Basic OnBhc3M=" /* ":pass" */, "Basic dXNlcg==" /* user */,
                          "Bearer dTpw", "dTpw"}) {
    EXPECT_FALSE(ParseBasic(bad)) << bad;
  }
}

TEST(IsBearerForm, OnlyTheRfc6750Form) {
  const std::string token = "scimd_AbC-123_xyz";
  EXPECT_TRUE(IsBearerForm("Bearer " + token, token));
  EXPECT_TRUE(IsBearerForm("bearer " + token, token));
  EXPECT_TRUE(IsBearerForm("  Bearer   " + token + " ", token));
  EXPECT_FALSE(IsBearerForm(token, token));
  EXPECT_FALSE(IsBearerForm("Token token=" + token, token));
  EXPECT_FALSE(IsBearerForm("Bearer \"" + token + "\"", token));
  EXPECT_FALSE(IsBearerForm("Bearer " + token + " extra", token));
  EXPECT_FALSE(IsBearerForm("Bearer", token));
}

TEST(Crypto, TokensAreRandomAndHashesStable) {
  ASSERT_TRUE(InitCrypto());
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string t = NewTokenSecret();
    EXPECT_EQ(t.rfind("scimd_", 0), 0u);
    EXPECT_EQ(t.size(), 6u + 43u);  // 32 bytes in unpadded base64url
    EXPECT_TRUE(seen.insert(t).second);
  }
  EXPECT_EQ(HashTokenSecret("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
}

TEST(Crypto, HmacSha256MatchesRfc4231AndSecretsHaveTheirPrefixes) {
  // RFC 4231 test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  std::string secret = NewWebhookSecret();
  EXPECT_EQ(secret.rfind("whsec_", 0), 0u);
  EXPECT_EQ(secret.size(), 6u + 43u);
  EXPECT_NE(secret, NewWebhookSecret());
}

TEST(Crypto, UuidsAreVersion4) {
  ASSERT_TRUE(InitCrypto());
  std::regex uuid4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(std::regex_match(NewUuid(), uuid4));
}

TEST(Crypto, PasswordsHashWithArgon2id) {
  ASSERT_TRUE(InitCrypto());
  auto hash = HashPassword("1mz050nq");
  ASSERT_TRUE(hash);
  EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u);
  EXPECT_EQ(hash->find("1mz050nq"), std::string::npos);
  EXPECT_TRUE(VerifyPassword(*hash, "1mz050nq"));
  EXPECT_FALSE(VerifyPassword(*hash, "1mz050nQ"));
}

}  // namespace
}  // namespace scim::auth
