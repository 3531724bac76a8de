#include "core/bulk.h"

#include <gtest/gtest.h>

namespace scim::core {
namespace {

Json Request(Json operations) {
  return Json{{"schemas", {std::string(kBulkRequestSchema)}}, {"Operations", std::move(operations)}};
}

TEST(BulkParse, Rfc7644Example) {
  // RFC 7644 §3.7.2, abbreviated: a user, then a group naming it by bulkId.
  auto parsed = ParseBulkRequest(
      Json::parse(R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"failOnErrors":1,
        "Operations":[
          {"method":"POST","path":"/Users","bulkId":"qwerty","data":{"userName":"Alice"}},
          {"method":"post","path":"/Groups","bulkId":"ytrewq","data":{"displayName":"Tour Guides",
             "members":[{"type":"User","value":"bulkId:qwerty"}]}},
          {"method":"PATCH","path":"/Groups/bulkId:ytrewq","version":"W/\"1\"","data":{"Operations":[]}},
          {"method":"DELETE","path":"/Users/b7c14771-226c-4d05-8860-134711653041"}]})"),
      10);
  ASSERT_TRUE(parsed) << parsed.error().detail;
  ASSERT_EQ(parsed->operations.size(), 4u);
  EXPECT_EQ(parsed->fail_on_errors, 1);
  EXPECT_EQ(parsed->operations[1].method, "POST");
  EXPECT_EQ(parsed->operations[1].references, std::set<std::string>{"qwerty"});
  EXPECT_EQ(parsed->operations[2].references, std::set<std::string>{"ytrewq"});
  EXPECT_EQ(parsed->operations[2].version, "W/\"1\"");
  EXPECT_FALSE(parsed->operations[3].data);
  EXPECT_TRUE(parsed->operations[0].references.empty());
}

TEST(BulkParse, RejectsWhatCannotRun) {
  const struct {
    Json body;
    ErrorType type;
    const char* needle;
  } cases[] = {
      {Json::array(), ErrorType::kInvalidSyntax, "object"},
      {Json{{"Operations", Json::array({Json{{"method", "POST"}}})}}, ErrorType::kInvalidSyntax, "schemas"},
      {Request(Json::array()), ErrorType::kInvalidSyntax, "non-empty"},
      {Request({{{"method", "GET"}, {"path", "/Users"}}}), ErrorType::kInvalidValue, "Operations[0]: method 'GET'"},
      {Request({{{"method", "POST"}, {"path", "Users"}, {"data", Json::object()}}}), ErrorType::kInvalidValue, "path"},
      {Request({{{"method", "PUT"}, {"path", "/Users/x"}}}), ErrorType::kInvalidValue, "needs 'data'"},
      {Request({{{"method", "POST"}, {"path", "/Users"}, {"bulkId", "a"}, {"data", Json::object()}},
                {{"method", "POST"}, {"path", "/Users"}, {"bulkId", "a"}, {"data", Json::object()}}}),
       ErrorType::kInvalidValue, "Operations[1]: bulkId 'a' is used twice"},
      {Request({{{"method", "POST"}, {"path", "/Groups"}, {"data", {{"members", {{{"value", "bulkId:nobody"}}}}}}}}),
       ErrorType::kInvalidValue, "'nobody', which no operation has"},
      {Request({{{"method", "POST"}, {"path", "/Groups"}, {"bulkId", "me"}, {"data", {{"x", "bulkId:me"}}}}}),
       ErrorType::kInvalidValue, "its own bulkId"},
  };
  for (const auto& c : cases) {
    auto parsed = ParseBulkRequest(c.body, 10);
    ASSERT_FALSE(parsed) << c.body.dump();
    EXPECT_EQ(parsed.error().type, c.type) << c.body.dump();
    EXPECT_NE(parsed.error().detail.find(c.needle), std::string::npos) << parsed.error().detail;
  }
}

TEST(BulkParse, MaxOperationsIs413) {
  Json ops = Json::array();
  for (int i = 0; i < 3; ++i) ops.push_back({{"method", "DELETE"}, {"path", "/Users/" + std::to_string(i)}});
  EXPECT_TRUE(ParseBulkRequest(Request(ops), 3));
  auto parsed = ParseBulkRequest(Request(ops), 2);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().type, ErrorType::kPayloadTooLarge);
}

TEST(BulkReferences, WholeStringsOnlyAtAnyDepth) {
  Json data = Json::parse(R"({"members":[{"value":"bulkId:a"},{"value":"bulkId:b"}],
                              "note":"see bulkId:a","nested":{"x":["bulkId:a"]}})");
  ResolveBulkReferences(data, {{"a", "id-a"}});
  EXPECT_EQ(data["members"][0]["value"], "id-a");
  EXPECT_EQ(data["members"][1]["value"], "bulkId:b");  // not created (yet)
  EXPECT_EQ(data["note"], "see bulkId:a");
  EXPECT_EQ(data["nested"]["x"][0], "id-a");
  EXPECT_EQ(ResolveBulkReference("bulkId:a", {{"a", "id-a"}}), "id-a");
  EXPECT_EQ(ResolveBulkReference("plain", {{"a", "id-a"}}), "plain");
}

}  // namespace
}  // namespace scim::core
