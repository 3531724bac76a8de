// Tests for the built-in schema files and SchemaRegistry: loading, RFC 7643 defaults, the
// regenerated /Schemas and /ResourceTypes definitions, load errors and path resolution.
#include "core/schema.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace scim::core {

std::string_view EmbeddedSchemaFile(std::string_view file_name);

namespace {

std::shared_ptr<const SchemaRegistry> Default() {
  Result<std::shared_ptr<const SchemaRegistry>> registry = SchemaRegistry::LoadDefault();
  EXPECT_TRUE(registry.has_value()) << (registry ? "" : registry.error().detail);
  return registry ? *registry : nullptr;
}

Json MustParse(std::string_view text) {
  Result<Json> json = ParseJson(text);
  EXPECT_TRUE(json.has_value()) << (json ? "" : json.error().detail) << "\n" << text;
  return json ? *json : Json();
}

const Attribute& Attr(const SchemaRegistry& registry, std::string_view urn, std::string_view name,
                      std::string_view sub = "") {
  const Schema* schema = registry.FindSchema(urn);
  EXPECT_NE(schema, nullptr) << urn;
  static const Attribute kMissing{"<missing>"};
  if (schema == nullptr) return kMissing;
  const Attribute* attr = schema->Find(name);
  EXPECT_NE(attr, nullptr) << name;
  if (attr == nullptr) return kMissing;
  if (sub.empty()) return *attr;
  const Attribute* s = attr->FindSub(sub);
  EXPECT_NE(s, nullptr) << name << "." << sub;
  return s ? *s : kMissing;
}

TEST(SchemaRegistry, LoadsTheBuiltInSchemas) {
  auto registry = Default();
  ASSERT_NE(registry, nullptr);
  ASSERT_EQ(registry->schemas().size(), 3u);
  ASSERT_EQ(registry->resource_types().size(), 2u);
  EXPECT_NE(registry->FindSchema(kUserSchema), nullptr);
  EXPECT_NE(registry->FindSchema(kGroupSchema), nullptr);
  EXPECT_NE(registry->FindSchema(kEnterpriseUserSchema), nullptr);
  EXPECT_EQ(registry->FindSchema("URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER"), registry->FindSchema(kUserSchema));
  EXPECT_EQ(registry->FindSchema("urn:ietf:params:scim:schemas:core:2.0:Nope"), nullptr);
  // The same immutable snapshot every time.
  EXPECT_EQ(Default().get(), registry.get());
}

TEST(SchemaRegistry, EmbeddedFilesAreValidJson) {
  for (std::string_view file : {"user.json", "group.json", "enterprise_user.json", "resource_types.json"}) {
    std::string_view text = EmbeddedSchemaFile(file);
    ASSERT_FALSE(text.empty()) << file;
    EXPECT_TRUE(ParseJson(text).has_value()) << file;
  }
  EXPECT_TRUE(EmbeddedSchemaFile("nope.json").empty());
}

TEST(SchemaRegistry, ResourceTypes) {
  auto registry = Default();
  ASSERT_NE(registry, nullptr);
  const ResourceType* user = registry->FindResourceType("user");
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(user->id, "User");
  EXPECT_EQ(user->name, "User");
  EXPECT_EQ(user->endpoint, "/Users");
  EXPECT_EQ(user->schema, kUserSchema);
  ASSERT_EQ(user->extensions.size(), 1u);
  EXPECT_EQ(user->extensions[0].schema, kEnterpriseUserSchema);
  EXPECT_FALSE(user->extensions[0].required);
  ASSERT_EQ(registry->SchemasOf(*user).size(), 2u);
  EXPECT_EQ(registry->SchemasOf(*user)[0]->id, kUserSchema);
  EXPECT_EQ(registry->SchemasOf(*user)[1]->id, kEnterpriseUserSchema);

  const ResourceType* group = registry->FindResourceType("GROUP");
  ASSERT_NE(group, nullptr);
  EXPECT_EQ(group->endpoint, "/Groups");
  EXPECT_EQ(group->schema, kGroupSchema);
  EXPECT_TRUE(group->extensions.empty());
  EXPECT_EQ(registry->FindResourceType("Users"), nullptr);

  EXPECT_EQ(user->definition, MustParse(R"({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
    "id": "User", "name": "User", "endpoint": "/Users", "description": "User Account",
    "schema": "urn:ietf:params:scim:schemas:core:2.0:User",
    "schemaExtensions": [{"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": false}]
  })"));
}

TEST(SchemaRegistry, UserCharacteristics) {
  auto registry = Default();
  ASSERT_NE(registry, nullptr);
  const SchemaRegistry& r = *registry;

  const Attribute& user_name = Attr(r, kUserSchema, "USERNAME");
  EXPECT_EQ(user_name.name, "userName");
  EXPECT_EQ(user_name.type, AttrType::kString);
  EXPECT_TRUE(user_name.required);
  EXPECT_FALSE(user_name.case_exact);
  EXPECT_EQ(user_name.uniqueness, Uniqueness::kServer);

  const Attribute& id = Attr(r, kUserSchema, "id");
  EXPECT_EQ(id.mutability, Mutability::kReadOnly);
  EXPECT_EQ(id.returned, Returned::kAlways);
  EXPECT_TRUE(id.case_exact);
  EXPECT_EQ(id.uniqueness, Uniqueness::kServer);
  EXPECT_TRUE(Attr(r, kUserSchema, "externalId").case_exact);
  EXPECT_EQ(Attr(r, kUserSchema, "meta").mutability, Mutability::kReadOnly);
  EXPECT_EQ(Attr(r, kUserSchema, "meta", "lastModified").type, AttrType::kDateTime);
  EXPECT_EQ(Attr(r, kUserSchema, "meta", "location").type, AttrType::kReference);

  EXPECT_EQ(Attr(r, kUserSchema, "name").sub_attributes.size(), 6u);
  EXPECT_EQ(Attr(r, kUserSchema, "name", "honorificSuffix").type, AttrType::kString);
  EXPECT_EQ(Attr(r, kUserSchema, "profileUrl").type, AttrType::kReference);
  EXPECT_EQ(Attr(r, kUserSchema, "profileUrl").reference_types, std::vector<std::string>{"external"});
  EXPECT_EQ(Attr(r, kUserSchema, "active").type, AttrType::kBoolean);

  const Attribute& password = Attr(r, kUserSchema, "password");
  EXPECT_EQ(password.mutability, Mutability::kWriteOnly);
  EXPECT_EQ(password.returned, Returned::kNever);

  for (std::string_view plural : {"emails", "phoneNumbers", "ims", "photos", "addresses", "entitlements", "roles",
                                  "x509Certificates"}) {
    const Attribute& attr = Attr(r, kUserSchema, plural);
    EXPECT_TRUE(attr.multi_valued) << plural;
    EXPECT_EQ(attr.type, AttrType::kComplex) << plural;
    EXPECT_EQ(Attr(r, kUserSchema, plural, "type").type, AttrType::kString) << plural;
    EXPECT_EQ(Attr(r, kUserSchema, plural, "primary").type, AttrType::kBoolean) << plural;
  }
  EXPECT_EQ(Attr(r, kUserSchema, "emails", "type").canonical_values,
            (std::vector<std::string>{"work", "home", "other"}));
  EXPECT_EQ(Attr(r, kUserSchema, "phoneNumbers", "type").canonical_values.size(), 6u);
  EXPECT_EQ(Attr(r, kUserSchema, "photos", "value").type, AttrType::kReference);
  EXPECT_EQ(Attr(r, kUserSchema, "x509Certificates", "value").type, AttrType::kBinary);
  EXPECT_EQ(Attr(r, kUserSchema, "addresses", "postalCode").type, AttrType::kString);

  const Attribute& groups = Attr(r, kUserSchema, "groups");
  EXPECT_TRUE(groups.multi_valued);
  EXPECT_EQ(groups.mutability, Mutability::kReadOnly);
  EXPECT_EQ(Attr(r, kUserSchema, "groups", "$ref").type, AttrType::kReference);
  EXPECT_EQ(Attr(r, kUserSchema, "groups", "type").canonical_values,
            (std::vector<std::string>{"direct", "indirect"}));
}

TEST(SchemaRegistry, GroupAndEnterpriseCharacteristics) {
  auto registry = Default();
  ASSERT_NE(registry, nullptr);
  const SchemaRegistry& r = *registry;
  EXPECT_TRUE(Attr(r, kGroupSchema, "displayName").required);
  EXPECT_NE(r.FindSchema(kGroupSchema)->Find("id"), nullptr);
  const Attribute& members = Attr(r, kGroupSchema, "members");
  EXPECT_TRUE(members.multi_valued);
  EXPECT_EQ(members.type, AttrType::kComplex);
  EXPECT_EQ(Attr(r, kGroupSchema, "members", "value").mutability, Mutability::kImmutable);
  EXPECT_EQ(Attr(r, kGroupSchema, "members", "type").canonical_values, (std::vector<std::string>{"User", "Group"}));
  EXPECT_EQ(Attr(r, kGroupSchema, "members", "$ref").reference_types, (std::vector<std::string>{"User", "Group"}));

  for (std::string_view name : {"employeeNumber", "costCenter", "organization", "division", "department"}) {
    EXPECT_EQ(Attr(r, kEnterpriseUserSchema, name).type, AttrType::kString) << name;
  }
  EXPECT_EQ(Attr(r, kEnterpriseUserSchema, "manager").type, AttrType::kComplex);
  EXPECT_FALSE(Attr(r, kEnterpriseUserSchema, "manager").multi_valued);
  EXPECT_EQ(Attr(r, kEnterpriseUserSchema, "manager", "value").mutability, Mutability::kReadWrite);
  EXPECT_EQ(Attr(r, kEnterpriseUserSchema, "manager", "displayName").mutability, Mutability::kReadOnly);
}

TEST(SchemaRegistry, DefinitionsSpellOutEveryCharacteristic) {
  auto registry = Default();
  ASSERT_NE(registry, nullptr);
  const Schema* user = registry->FindSchema(kUserSchema);
  ASSERT_NE(user, nullptr);
  const Json& def = user->definition;
  EXPECT_EQ(def["schemas"], Json::array({kSchemaSchema}));
  EXPECT_EQ(def["id"], kUserSchema);
  EXPECT_EQ(def["name"], "User");
  ASSERT_TRUE(def["attributes"].is_array());
  ASSERT_EQ(def["attributes"].size(), user->attributes.size());
  for (const Json& attr : def["attributes"]) {
    for (const char* key : {"name", "type", "multiValued", "description", "required", "caseExact", "mutability",
                            "returned", "uniqueness"}) {
      EXPECT_TRUE(attr.contains(key)) << attr["name"] << " lacks " << key;
    }
  }
  const Json* password = nullptr;
  for (const Json& attr : def["attributes"]) {
    if (attr["name"] == "password") password = &attr;
  }
  ASSERT_NE(password, nullptr);
  EXPECT_EQ((*password)["mutability"], "writeOnly");
  EXPECT_EQ((*password)["returned"], "never");
}

TEST(SchemaRegistry, LoadFillsRfcDefaults) {
  Json schemas = MustParse(R"([{
    "id": "urn:example:params:scim:schemas:extension:acme:1.0:User", "name": "Acme",
    "attributes": [
      {"name": "badge", "type": "Integer"},
      {"name": "tags", "type": "string", "multiValued": true, "canonicalValues": ["a", "b"]},
      {"name": "office", "type": "COMPLEX", "subAttributes": [{"name": "floor", "type": "integer"}]},
      {"name": "site", "type": "reference", "referenceTypes": ["external"]}
    ]}])");
  Json types = MustParse(R"([{"name": "Widget", "endpoint": "/Widgets",
                             "schema": "urn:example:params:scim:schemas:extension:acme:1.0:User"}])");
  Result<std::shared_ptr<const SchemaRegistry>> loaded = SchemaRegistry::Load(schemas, types);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().detail;
  const SchemaRegistry& r = **loaded;
  const Attribute& badge = Attr(r, "urn:example:params:scim:schemas:extension:acme:1.0:User", "badge");
  EXPECT_EQ(badge.type, AttrType::kInteger);
  EXPECT_FALSE(badge.multi_valued);
  EXPECT_FALSE(badge.required);
  EXPECT_FALSE(badge.case_exact);
  EXPECT_EQ(badge.mutability, Mutability::kReadWrite);
  EXPECT_EQ(badge.returned, Returned::kDefault);
  EXPECT_EQ(badge.uniqueness, Uniqueness::kNone);
  EXPECT_EQ(Attr(r, "urn:example:params:scim:schemas:extension:acme:1.0:User", "office", "floor").type,
            AttrType::kInteger);

  const ResourceType* widget = r.FindResourceType("widget");
  ASSERT_NE(widget, nullptr);
  EXPECT_EQ(widget->id, "Widget");  // id defaults to the name
  const Json& def = r.FindSchema("urn:example:params:scim:schemas:extension:acme:1.0:User")->definition;
  EXPECT_EQ(def["attributes"][0], MustParse(R"({"name": "badge", "type": "integer", "multiValued": false,
      "description": "", "required": false, "caseExact": false, "mutability": "readWrite",
      "returned": "default", "uniqueness": "none"})"));
  EXPECT_EQ(def["attributes"][1]["canonicalValues"], Json::array({"a", "b"}));
  EXPECT_EQ(def["attributes"][2]["subAttributes"][0]["name"], "floor");
  EXPECT_EQ(def["attributes"][3]["referenceTypes"], Json::array({"external"}));
}

TEST(SchemaRegistry, LoadErrors) {
  const std::string kTypes =
      R"([{"name": "Thing", "endpoint": "/Things", "schema": "urn:x:Thing"}])";
  struct Case {
    const char* name;
    std::string schemas;
    std::string types;
    std::string detail;  // a substring of the error detail
  };
  const Case cases[] = {
      {"unknown type", R"([{"id": "urn:x:Thing", "attributes": [{"name": "size", "type": "str"}]}])", kTypes,
       "Schema 'urn:x:Thing', attribute 'size': unknown type 'str'"},
      {"unknown sub type",
       R"([{"id": "urn:x:Thing", "attributes": [{"name": "a", "type": "complex",
            "subAttributes": [{"name": "b", "type": "float"}]}]}])",
       kTypes, "attribute 'a.b': unknown type 'float'"},
      {"missing type", R"([{"id": "urn:x:Thing", "attributes": [{"name": "size"}]}])", kTypes, "'type' is required"},
      {"bad mutability", R"([{"id": "urn:x:Thing", "attributes": [{"name": "a", "type": "string",
            "mutability": "sometimes"}]}])", kTypes, "unknown mutability 'sometimes'"},
      {"bad returned", R"([{"id": "urn:x:Thing", "attributes": [{"name": "a", "type": "string",
            "returned": "maybe"}]}])", kTypes, "unknown returned 'maybe'"},
      {"bad uniqueness", R"([{"id": "urn:x:Thing", "attributes": [{"name": "a", "type": "string",
            "uniqueness": "galactic"}]}])", kTypes, "unknown uniqueness 'galactic'"},
      {"bool as string", R"([{"id": "urn:x:Thing", "attributes": [{"name": "a", "type": "string",
            "required": "yes"}]}])", kTypes, "'required' must be true or false"},
      {"bad name", R"([{"id": "urn:x:Thing", "attributes": [{"name": "1st", "type": "string"}]}])", kTypes,
       "not a valid attribute name"},
      {"duplicate name", R"([{"id": "urn:x:Thing", "attributes": [{"name": "a", "type": "string"},
            {"name": "A", "type": "integer"}]}])", kTypes, "attribute 'A' is defined twice"},
      {"complex without subs", R"([{"id": "urn:x:Thing", "attributes": [{"name": "a", "type": "complex"}]}])",
       kTypes, "non-empty 'subAttributes'"},
      {"nested complex", R"([{"id": "urn:x:Thing", "attributes": [{"name": "a", "type": "complex",
            "subAttributes": [{"name": "b", "type": "complex", "subAttributes": [{"name": "c", "type": "string"}]}]}]}])",
       kTypes, "a sub-attribute cannot be complex"},
      {"subs on a string", R"([{"id": "urn:x:Thing", "attributes": [{"name": "a", "type": "string",
            "subAttributes": [{"name": "b", "type": "string"}]}]}])", kTypes, "only complex attributes"},
      {"attributes not an array", R"([{"id": "urn:x:Thing", "attributes": {}}])", kTypes,
       "'attributes' must be an array"},
      {"schema without id", R"([{"attributes": []}])", kTypes, "'id' is required"},
      {"schemas not an array", R"({"id": "urn:x:Thing", "attributes": []})", kTypes, "must be given as a JSON array"},
      {"duplicate schema", R"([{"id": "urn:x:Thing", "attributes": []}, {"id": "URN:X:THING", "attributes": []}])",
       kTypes, "defined twice"},
      {"type names unknown schema", R"([{"id": "urn:x:Other", "attributes": []}])", kTypes,
       "names schema 'urn:x:Thing', which is not loaded"},
      {"type names unknown extension", R"([{"id": "urn:x:Thing", "attributes": []}])",
       R"([{"name": "Thing", "endpoint": "/Things", "schema": "urn:x:Thing",
            "schemaExtensions": [{"schema": "urn:x:Ext"}]}])",
       "names extension schema 'urn:x:Ext'"},
      {"type without endpoint", R"([{"id": "urn:x:Thing", "attributes": []}])",
       R"([{"name": "Thing", "schema": "urn:x:Thing"}])", "'endpoint' is required"},
      {"duplicate type", R"([{"id": "urn:x:Thing", "attributes": []}])",
       R"([{"name": "Thing", "endpoint": "/Things", "schema": "urn:x:Thing"},
           {"name": "thing", "endpoint": "/Things2", "schema": "urn:x:Thing"}])",
       "defined twice"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Result<std::shared_ptr<const SchemaRegistry>> r = SchemaRegistry::Load(MustParse(c.schemas), MustParse(c.types));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().type, ErrorType::kInvalidValue);
    EXPECT_NE(r.error().detail.find(c.detail), std::string::npos) << r.error().detail;
  }
}

TEST(SchemaRegistry, Resolve) {
  auto registry = Default();
  ASSERT_NE(registry, nullptr);
  const ResourceType& user = *registry->FindResourceType("User");
  const ResourceType& group = *registry->FindResourceType("Group");
  const std::string ent(kEnterpriseUserSchema);
  const std::string core(kUserSchema);

  struct Case {
    const ResourceType* type;
    AttrPath path;
    // Success: the schema, canonical attribute and sub names, in_extension.
    std::string_view schema;
    std::string attr;
    std::string sub;
    bool in_extension;
  };
  const Case ok[] = {
      {&user, {"", "userName", ""}, kUserSchema, "userName", "", false},
      {&user, {"", "USERNAME", ""}, kUserSchema, "userName", "", false},
      {&user, {"", "name", "familyName"}, kUserSchema, "name", "familyName", false},
      {&user, {"", "Name", "FAMILYNAME"}, kUserSchema, "name", "familyName", false},
      {&user, {"", "emails", "value"}, kUserSchema, "emails", "value", false},
      {&user, {"", "meta", "lastModified"}, kUserSchema, "meta", "lastModified", false},
      {&user, {"", "id", ""}, kUserSchema, "id", "", false},
      {&user, {core, "userName", ""}, kUserSchema, "userName", "", false},
      {&user, {"URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER", "displayName", ""}, kUserSchema, "displayName", "",
       false},
      {&user, {ent, "department", ""}, kEnterpriseUserSchema, "department", "", true},
      {&user, {ent, "manager", "value"}, kEnterpriseUserSchema, "manager", "value", true},
      {&user, {"", "employeeNumber", ""}, kEnterpriseUserSchema, "employeeNumber", "", true},
      {&user, {"", "manager", "displayName"}, kEnterpriseUserSchema, "manager", "displayName", true},
      {&group, {"", "members", "value"}, kGroupSchema, "members", "value", false},
      {&group, {"", "displayname", ""}, kGroupSchema, "displayName", "", false},
      {&group, {"", "externalId", ""}, kGroupSchema, "externalId", "", false},
  };
  for (const Case& c : ok) {
    SCOPED_TRACE(c.path.urn + "|" + c.path.name + "|" + c.path.sub);
    Result<ResolvedAttr> r = registry->Resolve(*c.type, c.path);
    ASSERT_TRUE(r.has_value()) << r.error().detail;
    EXPECT_EQ(r->schema->id, c.schema);
    EXPECT_EQ(r->attr->name, c.attr);
    if (c.sub.empty()) {
      EXPECT_EQ(r->sub, nullptr);
      EXPECT_EQ(&r->Leaf(), r->attr);
    } else {
      ASSERT_NE(r->sub, nullptr);
      EXPECT_EQ(r->sub->name, c.sub);
      EXPECT_EQ(&r->Leaf(), r->sub);
    }
    EXPECT_EQ(r->in_extension, c.in_extension);
  }

  struct Bad {
    const ResourceType* type;
    AttrPath path;
    std::string detail;
  };
  const Bad bad[] = {
      {&user, {"", "foo", ""}, "Unknown attribute 'foo' on User"},
      {&user, {"", "name", "foo"}, "Unknown attribute 'name.foo' on User"},
      {&user, {"", "userName", "x"}, "Attribute 'userName' is a string, it has no sub-attribute 'x'"},
      {&user, {"urn:ietf:params:scim:schemas:extension:acme:1.0:User", "badge", ""},
       "Unknown schema URN 'urn:ietf:params:scim:schemas:extension:acme:1.0:User' for User"},
      {&user, {ent, "userName", ""}, "Unknown attribute '" + ent + ":userName' on User"},
      {&user, {core, "department", ""}, "Unknown attribute '" + core + ":department' on User"},
      {&group, {ent, "department", ""}, "Unknown schema URN '" + ent + "' for Group"},
      {&group, {"", "userName", ""}, "Unknown attribute 'userName' on Group"},
      {&group, {"", "members", "email"}, "Unknown attribute 'members.email' on Group"},
  };
  for (const Bad& c : bad) {
    SCOPED_TRACE(c.path.urn + "|" + c.path.name + "|" + c.path.sub);
    Result<ResolvedAttr> r = registry->Resolve(*c.type, c.path);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().type, ErrorType::kInvalidPath);
    EXPECT_EQ(r.error().detail, c.detail);
  }
}

TEST(SchemaRegistry, CharacteristicNames) {
  EXPECT_EQ(ToString(AttrType::kDateTime), "dateTime");
  EXPECT_EQ(ToString(AttrType::kReference), "reference");
  EXPECT_EQ(ToString(Mutability::kWriteOnly), "writeOnly");
  EXPECT_EQ(ToString(Returned::kRequest), "request");
  EXPECT_EQ(ToString(Uniqueness::kGlobal), "global");
}

}  // namespace
}  // namespace scim::core
