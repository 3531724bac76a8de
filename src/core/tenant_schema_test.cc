#include "core/tenant_schema.h"

#include <gtest/gtest.h>

#include "core/validate.h"

namespace scim::core {
namespace {

constexpr std::string_view kAcme = "urn:ietf:params:scim:schemas:extension:acme:1.0:User";

Json Parse(std::string_view text) {
  auto json = ParseJson(text);
  EXPECT_TRUE(json) << text;
  return json ? *json : Json();
}

Json AcmeSchema(std::string_view attributes) {
  return Parse(R"({"id":")" + std::string(kAcme) + R"(","attributes":)" + std::string(attributes) + "}");
}

TEST(ReadSchemaFileTest, TakesOneSchemaOrAnArrayAndSaysWhatIsWrong) {
  EXPECT_EQ(ReadSchemaFile(AcmeSchema("[]"))->size(), 1u);
  EXPECT_EQ(ReadSchemaFile(Json::array({AcmeSchema("[]"), Parse(R"({"id":"urn:x:Group","attributes":[]})")}))->size(), 2u);
  auto cases = {
      std::pair{R"([])", "non-empty array"},
      std::pair{R"({"attributes":[]})", "no string 'id'"},
      std::pair{R"({"id":"acme","attributes":[]})", "must be a URN"},
      std::pair{R"({"id":"urn:acme:1.0","attributes":[]})", "ends in ':User' or ':Group'"},
      std::pair{R"({"id":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","attributes":[]})", "built in"},
      std::pair{R"({"id":"urn:acme:User"})", "'attributes' array"},
      std::pair{R"([{"id":"urn:a:User","attributes":[]},{"id":"URN:A:USER","attributes":[]}])", "twice"},
  };
  for (const auto& [text, why] : cases) {
    auto read = ReadSchemaFile(Parse(text));
    ASSERT_FALSE(read) << text;
    EXPECT_EQ(read.error().type, ErrorType::kInvalidValue);
    EXPECT_NE(read.error().detail.find(why), std::string::npos) << read.error().detail;
  }
}

TEST(ApplySchemaDocumentsTest, ExtensionsAreReplacedAndCoreAttributesMergedByName) {
  std::vector<Json> current = {AcmeSchema(R"([{"name":"a","type":"string"}])"),
                               Parse(R"({"id":"urn:ietf:params:scim:schemas:core:2.0:User",
                                         "attributes":[{"name":"role","type":"string"},{"name":"tier","type":"integer"}]})")};
  auto next = ApplySchemaDocuments(current, {AcmeSchema(R"([{"name":"b","type":"string"}])"),
                                             Parse(R"({"id":"urn:ietf:params:scim:schemas:core:2.0:user",
                                                       "attributes":[{"name":"ROLE","type":"boolean"},{"name":"x","type":"string"}]})")});
  ASSERT_EQ(next.size(), 2u);
  EXPECT_EQ(next[0]["attributes"].size(), 1u);
  EXPECT_EQ(next[0]["attributes"][0]["name"], "b");
  const Json& core = next[1]["attributes"];
  ASSERT_EQ(core.size(), 3u);
  EXPECT_EQ(core[0]["type"], "boolean");
  EXPECT_EQ(core[1]["name"], "tier");
  EXPECT_EQ(core[2]["name"], "x");
}

TEST(BuildTenantRegistryTest, AddsExtensionsAndCoreAttributesWithClosedValues) {
  auto registry = BuildTenantRegistry(
      {AcmeSchema(R"([{"name":"level","type":"string","canonicalValues":["L1","L2"]}])"),
       Parse(R"({"id":"urn:ietf:params:scim:schemas:core:2.0:User",
                 "attributes":[{"name":"role","type":"string","required":true,"canonicalValues":["A","B"]}]})")});
  ASSERT_TRUE(registry) << registry.error().detail;
  const ResourceType* user = (*registry)->FindResourceType("User");
  ASSERT_NE(user, nullptr);
  ASSERT_EQ(user->extensions.size(), 2u);
  EXPECT_EQ(user->extensions[1].schema, kAcme);
  const Attribute* role = (*registry)->FindSchema(kUserSchema)->Find("role");
  ASSERT_NE(role, nullptr);
  EXPECT_TRUE(role->closed_values);
  EXPECT_FALSE((*registry)->FindSchema(kUserSchema)->Find("emails")->closed_values);
  EXPECT_EQ((*registry)->FindSchema(kAcme)->definition.dump().find(kDeclaredByTenantKey), std::string::npos);

  Json body = Parse(R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u","role":"C"})");
  auto refused = NormalizeResource(body, *user, **registry, WriteContext::kCreate);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().detail.find("must be one of: A, B"), std::string::npos) << refused.error().detail;
  body["role"] = "b";
  EXPECT_TRUE(NormalizeResource(body, *user, **registry, WriteContext::kCreate));
}

TEST(BuildTenantRegistryTest, RefusesWhatScimdReliesOnAndBadDefinitions) {
  auto protected_attr = BuildTenantRegistry(
      {Parse(R"({"id":"urn:ietf:params:scim:schemas:core:2.0:User","attributes":[{"name":"userName","type":"integer"}]})")});
  ASSERT_FALSE(protected_attr);
  EXPECT_NE(protected_attr.error().detail.find("'userName' cannot be redefined"), std::string::npos);
  auto bad_type = BuildTenantRegistry({AcmeSchema(R"([{"name":"x","type":"float"}])")});
  ASSERT_FALSE(bad_type);
  EXPECT_NE(bad_type.error().detail.find("unknown type 'float'"), std::string::npos) << bad_type.error().detail;
}

TEST(SplitBySchemaTest, HidesWhatIsUndeclaredAndMergingBringsItBack) {
  auto with = BuildTenantRegistry({AcmeSchema(R"([{"name":"a","type":"string"},{"name":"b","type":"integer"}])")});
  auto without = BuildTenantRegistry({AcmeSchema(R"([{"name":"a","type":"string"}])")});
  ASSERT_TRUE(with && without);
  Json document = Parse(R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",")" + std::string(kAcme) +
                        R"("],"userName":"u",")" + std::string(kAcme) + R"(":{"a":"x","b":7},"stray":1})");
  SplitDocument hidden = SplitBySchema(document, *(*without)->FindResourceType("User"), **without);
  EXPECT_EQ(hidden.visible.dump(), R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",")" +
                                       std::string(kAcme) + R"("],"userName":"u",")" + std::string(kAcme) +
                                       R"(":{"a":"x"}})");
  EXPECT_EQ(hidden.hidden.dump(), R"({")" + std::string(kAcme) + R"(":{"b":7},"stray":1})");

  SplitDocument back = SplitBySchema(MergeHidden(hidden.visible, hidden.hidden), *(*with)->FindResourceType("User"), **with);
  EXPECT_EQ(back.visible[std::string(kAcme)], Parse(R"({"a":"x","b":7})"));
  EXPECT_EQ(back.hidden, Parse(R"({"stray":1})"));

  auto built_in = SchemaRegistry::LoadDefault();
  SplitDocument none = SplitBySchema(document, *(*built_in)->FindResourceType("User"), **built_in);
  EXPECT_EQ(none.visible["schemas"], Json::array({std::string(kUserSchema)}));
  EXPECT_FALSE(none.visible.contains(std::string(kAcme)));
}

}  // namespace
}  // namespace scim::core
