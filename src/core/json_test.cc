// The JSON helpers every layer uses.
#include "core/json.h"

#include <gtest/gtest.h>

namespace scim::core {
namespace {

TEST(ParseJson, ReportsWhereTheSyntaxBreaks) {
  auto bad = ParseJson(R"({"userName": )");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().type, ErrorType::kInvalidSyntax);
  EXPECT_NE(bad.error().detail.find("column"), std::string::npos) << bad.error().detail;
  EXPECT_TRUE(ParseJson(R"({"a":[1,{"b":"[[[[{{{{"}]})"));
}

TEST(ParseJson, RefusesHostileNestingBeforeParsing) {
  std::string deep(100000, '[');
  auto r = ParseJson(deep);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("nested deeper"), std::string::npos);
  std::string ok = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(ParseJson(ok));
  // Brackets inside strings, escaped quotes included, do not count.
  EXPECT_TRUE(ParseJson("\"\\\"" + std::string(1000, '[') + "\""));
}

TEST(FindMember, IsCaseInsensitive) {
  Json doc = {{"userName", "a"}, {"Emails", Json::array()}};
  ASSERT_NE(FindMember(doc, "USERNAME"), nullptr);
  EXPECT_EQ(*FindMember(doc, "username"), "a");
  EXPECT_EQ(FindMember(doc, "nope"), nullptr);
  EXPECT_EQ(FindMember(Json::array(), "a"), nullptr);
  EXPECT_EQ(EraseMember(doc, "emails"), 1u);
  EXPECT_FALSE(doc.contains("Emails"));
  EXPECT_TRUE(IEquals("Replace", "rEPLACE"));
  EXPECT_FALSE(IEquals("add", "adds"));
  EXPECT_EQ(ToLower("AbC-1"), "abc-1");
}

}  // namespace
}  // namespace scim::core
