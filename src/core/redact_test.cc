#include "core/redact.h"

#include <gtest/gtest.h>

namespace scim::core {
namespace {

TEST(RedactSecrets, PasswordsAnywhereAndPatchValuesThatSetThem) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {R"({"userName":"a","password":"s3cret"})", R"({"userName":"a","password":"[redacted]"})"},
      {R"({"PassWord":"s3cret"})", R"({"PassWord":"[redacted]"})"},
      {R"({"urn:ietf:params:scim:schemas:core:2.0:User:password":"x"})",
       R"({"urn:ietf:params:scim:schemas:core:2.0:User:password":"[redacted]"})"},
      {R"({"Operations":[{"op":"replace","path":"password","value":"x"},{"op":"replace","path":"title","value":"y"}]})",
       R"({"Operations":[{"op":"replace","path":"password","value":"[redacted]"},{"op":"replace","path":"title","value":"y"}]})"},
      {R"({"Operations":[{"op":"Replace","value":{"password":"x","active":true}}]})",
       R"({"Operations":[{"op":"Replace","value":{"password":"[redacted]","active":true}}]})"},
      {R"({"Operations":[{"method":"POST","data":{"password":"x"}}]})",
       R"({"Operations":[{"method":"POST","data":{"password":"[redacted]"}}]})"},
      {R"({"title":"password"})", R"({"title":"password"})"},
  };
  for (const auto& c : cases) {
    Json doc = Json::parse(c.in);
    RedactSecrets(doc);
    EXPECT_EQ(DumpJson(doc), c.out) << c.in;
  }
}

TEST(RedactedBody, BoundsSizeAndKeepsNoNonJson) {
  EXPECT_EQ(RedactedBody("", 100), "");
  EXPECT_EQ(RedactedBody("password=hunter2", 100), "(not JSON, 16 bytes)");
  std::string big = R"({"a":")" + std::string(500, 'x') + R"("})";
  std::string cut = RedactedBody(big, 100);
  EXPECT_LE(cut.size(), 100u);
  EXPECT_NE(cut.find("(truncated, 508 bytes)"), std::string::npos) << cut;
  std::string utf8 = R"({"a":")";
  for (int i = 0; i < 50; ++i) utf8 += "\xC3\xA9";  // é, two bytes each
  utf8 += "\"}";
  for (size_t limit = 40; limit < 50; ++limit) {  // every cut point: never half a character
    std::string kept = RedactedBody(utf8, limit);
    EXPECT_LE(kept.size(), limit);
    for (size_t i = 0; i < kept.size();) {
      size_t n = WellFormedUtf8Length(kept, i);
      ASSERT_GT(n, 0u) << "limit " << limit << " at " << i;
      i += n;
    }
  }
}

}  // namespace
}  // namespace scim::core
