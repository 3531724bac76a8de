// Projection: attributes / excludedAttributes and the schema's `returned` characteristic.
#include "api/render.h"

#include <gtest/gtest.h>

namespace scim::api {
namespace {

using core::Json;

// A resource type whose schemas use every `returned` value.
std::shared_ptr<const core::SchemaRegistry> ThingRegistry() {
  Json schemas = Json::parse(R"([
    {"id": "urn:test:Thing", "name": "Thing", "attributes": [
      {"name": "id", "type": "string", "mutability": "readOnly", "returned": "always"},
      {"name": "label", "type": "string"},
      {"name": "secret", "type": "string", "mutability": "writeOnly", "returned": "never"},
      {"name": "pager", "type": "string", "returned": "request"},
      {"name": "code", "type": "string", "returned": "always"},
      {"name": "contact", "type": "complex", "subAttributes": [
        {"name": "email", "type": "string"},
        {"name": "pin", "type": "string", "returned": "request"}]}]},
    {"id": "urn:test:ext:Thing", "name": "ThingExtension", "attributes": [
      {"name": "badge", "type": "string", "returned": "always"},
      {"name": "note", "type": "string"}]}])");
  Json types = Json::parse(R"([{"id": "Thing", "name": "Thing", "endpoint": "/Things", "schema": "urn:test:Thing",
                               "schemaExtensions": [{"schema": "urn:test:ext:Thing", "required": false}]}])");
  auto registry = core::SchemaRegistry::Load(schemas, types);
  EXPECT_TRUE(registry) << registry.error().detail;
  return *registry;
}

Json Thing() {
  return Json::parse(R"({"schemas": ["urn:test:Thing", "urn:test:ext:Thing"], "id": "t1", "label": "L",
                          "secret": "S", "pager": "P", "code": "C", "contact": {"email": "e@x", "pin": "1234"},
                          "urn:test:ext:Thing": {"badge": "B", "note": "N"}})");
}

Json Project(std::vector<std::string> attributes, std::vector<std::string> excluded) {
  static auto registry = ThingRegistry();
  const core::ResourceType& type = *registry->FindResourceType("Thing");
  Json doc = Thing();
  Projection(std::move(attributes), std::move(excluded)).Apply(doc, type, *registry);
  return doc;
}

TEST(Projection, DefaultHidesNeverAndRequestAttributes) {
  Json doc = Project({}, {});
  EXPECT_FALSE(doc.contains("secret"));
  EXPECT_FALSE(doc.contains("pager"));
  EXPECT_FALSE(doc["contact"].contains("pin"));
  EXPECT_EQ(doc["contact"]["email"], "e@x");
  EXPECT_EQ(doc["label"], "L");
  EXPECT_EQ(doc["urn:test:ext:Thing"]["note"], "N");
}

TEST(Projection, AttributesKeepAlwaysAndReturnRequestOnlyWhenNamed) {
  Json doc = Project({"label"}, {});
  EXPECT_EQ(doc, Json::parse(R"({"schemas": ["urn:test:Thing", "urn:test:ext:Thing"], "id": "t1", "label": "L",
                                 "code": "C", "urn:test:ext:Thing": {"badge": "B"}})"));
  doc = Project({"pager", "contact.pin", "secret"}, {});
  EXPECT_EQ(doc["pager"], "P");
  EXPECT_EQ(doc["contact"], Json::parse(R"({"pin": "1234"})"));
  EXPECT_FALSE(doc.contains("secret")) << "never is never returned, even when asked for";
  doc = Project({"contact"}, {});
  EXPECT_EQ(doc["contact"], Json::parse(R"({"email": "e@x"})")) << "a request sub-attribute needs its own name";
}

TEST(Projection, ExcludedAttributesCannotRemoveAlways) {
  Json doc = Project({}, {"code", "label", "urn:test:ext:Thing:badge", "urn:test:ext:Thing:note", "id"});
  EXPECT_EQ(doc["code"], "C");
  EXPECT_EQ(doc["id"], "t1");
  EXPECT_EQ(doc["urn:test:ext:Thing"], Json::parse(R"({"badge": "B"})"));
  EXPECT_FALSE(doc.contains("label"));
  EXPECT_FALSE(doc.contains("pager"));
}

TEST(Projection, BuiltInSchemasServeStoredTextWithoutParsing) {
  auto registry = core::SchemaRegistry::LoadDefault();
  ASSERT_TRUE(registry);
  const core::ResourceType& user = *(*registry)->FindResourceType("User");
  EXPECT_FALSE(Projection({}, {}).NeedsDocument(user));
  EXPECT_TRUE(Projection({"userName"}, {}).NeedsDocument(user));
  EXPECT_TRUE(Projection({}, {}).NeedsDocument(*ThingRegistry()->FindResourceType("Thing")));
}

}  // namespace
}  // namespace scim::api
