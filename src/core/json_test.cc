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

std::string Nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(ParseJson, DepthLimitIsTheCeilingOrLower) {
  // The default is the ceiling, and the error names it.
  EXPECT_TRUE(ParseJson(Nested(kMaxJsonDepth)));
  auto too_deep = ParseJson(Nested(kMaxJsonDepth + 1));
  ASSERT_FALSE(too_deep);
  EXPECT_EQ(too_deep.error().type, ErrorType::kInvalidSyntax);
  EXPECT_EQ(too_deep.error().detail, "Request body is nested deeper than the limit of 64 levels");

  // A lowered limit: exactly it parses, one more is refused naming it.
  EXPECT_TRUE(ParseJson(Nested(8), 8));
  EXPECT_TRUE(ParseJson(R"({"a":[{"b":{}}]})", 4));
  auto lowered = ParseJson(Nested(9), 8);
  ASSERT_FALSE(lowered);
  EXPECT_EQ(lowered.error().type, ErrorType::kInvalidSyntax);
  EXPECT_EQ(lowered.error().detail, "Request body is nested deeper than the limit of 8 levels");

  // Above the ceiling counts as the ceiling: the ceiling protects the stack.
  auto raised = ParseJson(Nested(kMaxJsonDepth + 1), 1000);
  ASSERT_FALSE(raised);
  EXPECT_NE(raised.error().detail.find("limit of 64 levels"), std::string::npos) << raised.error().detail;
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

namespace scim::core {
namespace {

TEST(AppendJsonString, WritesWhatDumpJsonWrites) {
  const std::string cases[] = {"", "plain", "quote\" backslash\\ slash/", std::string("nul\0byte", 8), "\x01\x1f\x7f",
                               "tab\tnewline\ncr\rbs\bff\f", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                               "bad \xff byte", "cut \xe2\x82", "overlong \xc0\xaf", "surrogate \xed\xa0\x80",
                               "too big \xf4\x90\x80\x80", "/scim/v2/demo/Users/%ff"};
  for (const std::string& text : cases) {
    std::string out;
    AppendJsonString(out, text);
    EXPECT_EQ(out, DumpJson(Json(text))) << text;
  }
  // And for bytes at random (a fixed seed, so the test is the same every run).
  uint32_t state = 12345;
  for (int n = 0; n < 5000; ++n) {
    std::string text;
    for (int i = 0, len = n % 12; i < len; ++i) {
      state = state * 1664525u + 1013904223u;
      text.push_back(static_cast<char>(state >> 24));
    }
    std::string out;
    AppendJsonString(out, text);
    ASSERT_EQ(out, DumpJson(Json(text))) << "case " << n;
  }
}

}  // namespace
}  // namespace scim::core

namespace scim::core {
namespace {

// tests/fuzz found that a number too large for a double threw past ParseJson and ended the process.
TEST(ParseJson, NumbersBeyondADoubleAreAnErrorNotAnException) {
  for (const char* text : {"1e999", R"({"userName":"a","x":[1,2,-1e400]})", "123456789e999999999"}) {
    auto parsed = ParseJson(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().type, ErrorType::kInvalidSyntax);
    EXPECT_NE(parsed.error().detail.find("number overflow"), std::string::npos) << parsed.error().detail;
  }
  EXPECT_TRUE(ParseJson("1e308"));
}

TEST(WellFormedUtf8Length, AsciiMultibyteAndInvalid) {
  EXPECT_EQ(WellFormedUtf8Length("a", 0), 1u);
  EXPECT_EQ(WellFormedUtf8Length("\xc3\xa9", 0), 2u);
  EXPECT_EQ(WellFormedUtf8Length("\xf0\x9f\x98\x80", 0), 4u);
  EXPECT_EQ(WellFormedUtf8Length("\xff", 0), 0u);
  EXPECT_EQ(WellFormedUtf8Length("\xe2\x82", 0), 0u);
  EXPECT_EQ(WellFormedUtf8Length("\xed\xa0\x80", 0), 0u);  // a surrogate
}

}  // namespace
}  // namespace scim::core

namespace scim::core {
namespace {

TEST(ParseJson, AKeyTwiceInOneObjectIsAnError) {
  for (const char* text : {R"({"userName":"a","userName":"b"})", R"({"name":{"givenName":"a","givenName":"a"}})",
                           R"([{"x":1},{"y":2,"y":3}])"}) {
    auto parsed = ParseJson(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().type, ErrorType::kInvalidSyntax);
    EXPECT_NE(parsed.error().detail.find("appears twice"), std::string::npos) << parsed.error().detail;
  }
  // The same key in different objects, or differing in case, is not a duplicate here (case is
  // the schema's business, NormalizeResource refuses that).
  EXPECT_TRUE(ParseJson(R"({"a":{"k":1},"b":{"k":2},"k":3,"K":4})"));
}

}  // namespace
}  // namespace scim::core
