// Tests for NormalizeResource: what real IdPs send (shared/idp/TRAFFIC.md §2.1–2.3), type checks
// and coercions, unknown names, required attributes, membership and password extraction.
#include "core/validate.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace scim::core {
namespace {

Json MustParse(std::string_view text) {
  Result<Json> json = ParseJson(text);
  EXPECT_TRUE(json.has_value()) << (json ? "" : json.error().detail) << "\n" << text;
  return json ? *json : Json();
}

std::shared_ptr<const SchemaRegistry> Default() {
  Result<std::shared_ptr<const SchemaRegistry>> registry = SchemaRegistry::LoadDefault();
  EXPECT_TRUE(registry.has_value());
  return registry ? *registry : nullptr;
}

Result<NormalizedResource> Normalize(std::string_view type, std::string_view body,
                                     WriteContext context = WriteContext::kCreate, const DocumentLimits& limits = {}) {
  auto registry = Default();
  if (registry == nullptr) return Fail(ErrorType::kInternal, "no registry");
  const ResourceType* rt = registry->FindResourceType(type);
  if (rt == nullptr) return Fail(ErrorType::kInternal, "no resource type");
  return NormalizeResource(MustParse(body), *rt, *registry, context, nullptr, limits);
}

// A row: the input body, and either the exact canonical document or the error and a detail substring.
struct Row {
  const char* name;
  const char* type;
  const char* input;
  const char* output;  // nullptr when an error is expected
  ErrorType error = ErrorType::kInternal;
  const char* detail = "";
};

void Check(const Row& row) {
  SCOPED_TRACE(row.name);
  Result<NormalizedResource> r = Normalize(row.type, row.input);
  if (row.output != nullptr) {
    ASSERT_TRUE(r.has_value()) << r.error().detail;
    Json expected = MustParse(row.output);
    EXPECT_EQ(r->resource, expected) << "got:      " << DumpJson(r->resource) << "\nexpected: " << DumpJson(expected);
    // Key order matters too: `schemas` first, then the schema's attribute order.
    EXPECT_EQ(DumpJson(r->resource), DumpJson(expected));
  } else {
    ASSERT_FALSE(r.has_value()) << DumpJson(r->resource);
    EXPECT_EQ(r.error().type, row.error) << r.error().detail;
    EXPECT_NE(r.error().detail.find(row.detail), std::string::npos) << r.error().detail;
  }
}

TEST(ValidateIdpPayloads, AsSent) {
  const Row rows[] = {
      {"Okta create (TRAFFIC 2.1.2): password moved out, groups:[] ignored", "User",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"test.user@okta.local",
          "name":{"givenName":"Test","familyName":"User"},
          "emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],
          "displayName":"Test User","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7",
          "groups":[],"password":"1mz050nq","active":true})",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"externalId":"00ujl29u0le5T6Aj10h7",
          "userName":"test.user@okta.local","name":{"familyName":"User","givenName":"Test"},
          "displayName":"Test User","locale":"en-US","active":true,
          "emails":[{"value":"test.user@okta.local","type":"work","primary":true}]})"},
      {"Okta PUT (TRAFFIC 2.1.3) carries id, groups and meta: all ignored", "User",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"2819c223","userName":"u@x",
          "groups":[{"value":"g1","display":"Eng","$ref":"https://x/Groups/g1","type":"direct"}],
          "meta":{"resourceType":"User","created":"2024-01-01T00:00:00Z","location":"https://x/Users/2819c223",
                  "version":"W/\"1\""},"active":false})",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u@x","active":false})"},
      {"Entra create (TRAFFIC 2.2.3) with enterprise, meta and roles:[]", "User",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",
                      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
          "externalId":"jdoe","userName":"jdoe@contoso.com","active":true,
          "emails":[{"primary":true,"type":"work","value":"jdoe@contoso.com"}],
          "meta":{"resourceType":"User"},
          "name":{"formatted":"John Doe","familyName":"Doe","givenName":"John"},
          "roles":[],
          "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales","manager":"123456"}})",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",
                      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
          "externalId":"jdoe","userName":"jdoe@contoso.com",
          "name":{"formatted":"John Doe","familyName":"Doe","givenName":"John"},"active":true,
          "emails":[{"value":"jdoe@contoso.com","type":"work","primary":true}],
          "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales",
                                                                        "manager":{"value":"123456"}}})"},
      {"Entra group (TRAFFIC 2.2.8) with the Microsoft non-URN schema and meta", "Group",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group",
                      "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
          "externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"Group1DisplayName",
          "meta":{"resourceType":"Group"}})",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
          "externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"Group1DisplayName"})"},
      {"Entra: \"False\" string for active", "User", R"({"userName":"a","active":"False"})",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","active":false})"},
      {"Entra aadOptscim062020: fully qualified extension keys at the top level", "User",
       R"({"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Eng",
          "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:EMPLOYEENUMBER":"42"})",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",
                      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"a",
          "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"42","department":"Eng"}})"},
      {"Entra app role on POST (TRAFFIC 2.2.9): custom role type kept", "User",
       R"({"userName":"a","roles":[{"primary":true,"type":"WindowsAzureActiveDirectoryRole","value":"Admin"}]})",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a",
          "roles":[{"value":"Admin","type":"WindowsAzureActiveDirectoryRole","primary":true}]})"},
      {"OneLogin template (TRAFFIC 2.3): \"active\":\"true\", enterprise manager object", "User",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",
                      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
          "userName":"hans.mueller","name":{"givenName":"Hans","familyName":"Mueller"},
          "emails":[{"value":"hans@example.com","type":"work","primary":true}],"active":"true",
          "roles":[{"type":"base","value":"limited_user"}],
          "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D",
             "manager":{"value":"m-1","displayName":"Erika Muster"}}})",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",
                      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
          "userName":"hans.mueller","name":{"familyName":"Mueller","givenName":"Hans"},"active":true,
          "emails":[{"value":"hans@example.com","type":"work","primary":true}],
          "roles":[{"value":"limited_user","type":"base"}],
          "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D",
             "manager":{"value":"m-1"}}})"},
      {"OneLogin group without members", "Group",
       R"({"displayName":"Group C","schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"]})",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Group C"})"},
      {"Okta manager.Email custom sub-attribute (TRAFFIC 2.1.15) is rejected by name", "User",
       R"({"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
           {"manager":{"Email":"boss@example.com"}}})",
       nullptr, ErrorType::kInvalidSyntax,
       "Unknown sub-attribute 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.Email' on User"},
  };
  for (const Row& row : rows) Check(row);
}

TEST(ValidateShapes, CanonicalisationAndForgiveness) {
  const Row rows[] = {
      {"case-insensitive keys get the canonical spelling and order", "User",
       R"({"ACTIVE":true,"USERNAME":"a","Name":{"GIVENNAME":"g"},"Emails":[{"VALUE":"a@x","Primary":"TRUE"}]})",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","name":{"givenName":"g"},
          "active":true,"emails":[{"value":"a@x","primary":true}]})"},
      {"missing schemas is computed", "User", R"({"userName":"a"})",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a"})"},
      {"schemas in any case", "User", R"({"SCHEMAS":["URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER"],"userName":"a"})",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a"})"},
      {"extension key in any case, listed extension but empty object", "User",
       R"({"userName":"a","schemas":["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
          "urn:ietf:params:scim:schemas:extension:ENTERPRISE:2.0:User":{}})",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a"})"},
      {"single object for a multi-valued attribute is wrapped", "User",
       R"({"userName":"a","emails":{"value":"a@x","type":"work"}})",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a",
          "emails":[{"value":"a@x","type":"work"}]})"},
      {"unassigned: nulls, empty arrays and objects, null elements dropped; empty strings kept", "User",
       R"({"userName":"a","displayName":null,"nickName":"","name":{},"emails":[null,{"value":"a@x","type":null}],
          "phoneNumbers":[],"addresses":[{}],"roles":[null],
          "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":null})",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","nickName":"",
          "emails":[{"value":"a@x"}]})"},
      {"custom email type is kept (canonicalValues not enforced on core)", "User",
       R"({"userName":"a","emails":[{"value":"a@x","type":"Corporate"}]})",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a",
          "emails":[{"value":"a@x","type":"Corporate"}]})"},
      {"$ref is accepted where defined; readOnly manager.displayName dropped", "User",
       R"({"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
           {"manager":{"$ref":"https://x/Users/m","value":"m","displayName":"Boss"}}})",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",
                      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"a",
          "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
           {"manager":{"value":"m","$ref":"https://x/Users/m"}}})"},
      {"$ref where the schema has none is ignored (Entra sends $ref:null)", "User",
       R"({"userName":"a","emails":[{"value":"a@x","$ref":null}]})",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","emails":[{"value":"a@x"}]})"},
      {"only readOnly sub-attributes: the value is unassigned", "User",
       R"({"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
           {"manager":{"displayName":"Boss"}}})",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a"})"},
      {"one primary is fine; primary:false many times too", "User",
       R"({"userName":"a","emails":[{"value":"a@x","primary":false},{"value":"b@x","primary":true},
                                    {"value":"c@x","primary":"false"}]})",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a",
          "emails":[{"value":"a@x","primary":false},{"value":"b@x","primary":true},{"value":"c@x","primary":false}]})"},
      {"values kept exactly as sent", "User", R"({"userName":"  Mixed.Case@X  ","title":"Vice\u00a0President"})",
       "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"  Mixed.Case@X  \","
       "\"title\":\"Vice\\u00a0President\"}"},
  };
  for (const Row& row : rows) Check(row);
}

TEST(ValidateErrors, TypesNamesAndRequired) {
  const Row rows[] = {
      {"not an object", "User", R"(["userName"])", nullptr, ErrorType::kInvalidSyntax, "must be a JSON object"},
      {"schemas not an array", "User", R"({"schemas":"urn:ietf:params:scim:schemas:core:2.0:User","userName":"a"})",
       nullptr, ErrorType::kInvalidSyntax, "'schemas' must be an array of schema URNs"},
      {"schemas with a number", "User", R"({"schemas":[1],"userName":"a"})", nullptr, ErrorType::kInvalidSyntax,
       "'schemas' must be an array of schema URNs, got the number 1"},
      {"unknown schema URN", "User",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:acme:Custom"],"userName":"a"})", nullptr,
       ErrorType::kInvalidSyntax,
       "Unknown schema URN 'urn:acme:Custom' for User (this tenant declares: "
       "urn:ietf:params:scim:schemas:core:2.0:User, urn:ietf:params:scim:schemas:extension:enterprise:2.0:User)"},
      {"Group schema on a User", "User", R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"userName":"a"})",
       nullptr, ErrorType::kInvalidSyntax, "Unknown schema URN 'urn:ietf:params:scim:schemas:core:2.0:Group'"},
      {"enterprise on a Group", "Group",
       R"({"displayName":"g","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"x"}})",
       nullptr, ErrorType::kInvalidSyntax,
       "Unknown schema URN 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User' for Group"},
      {"undeclared extension key", "User", R"({"userName":"a","urn:acme:1.0:User":{"x":1}})", nullptr,
       ErrorType::kInvalidSyntax, "Unknown schema URN 'urn:acme:1.0:User'"},
      {"unknown top-level attribute", "User", R"({"userName":"a","fooBar":1})", nullptr, ErrorType::kInvalidSyntax,
       "Unknown attribute 'fooBar' on User"},
      {"members on a User", "User", R"({"userName":"a","members":[]})", nullptr, ErrorType::kInvalidSyntax,
       "Unknown attribute 'members' on User"},
      {"unknown extension attribute", "User",
       R"({"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"badge":"1"}})", nullptr,
       ErrorType::kInvalidSyntax,
       "Unknown attribute 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:badge' on User"},
      {"unknown fully qualified attribute", "User",
       R"({"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:badge":"1"})", nullptr,
       ErrorType::kInvalidSyntax,
       "Unknown attribute 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:badge' on User"},
      {"core URN used as a container", "User",
       R"({"urn:ietf:params:scim:schemas:core:2.0:User":{"userName":"a"}})", nullptr, ErrorType::kInvalidSyntax,
       "core attributes belong at the top level"},
      {"core attribute fully qualified is fine", "User",
       R"({"urn:ietf:params:scim:schemas:core:2.0:User:userName":"a"})",
       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a"})"},
      {"unknown sub-attribute", "User", R"({"userName":"a","name":{"first":"x"}})", nullptr,
       ErrorType::kInvalidSyntax, "Unknown sub-attribute 'name.first' on User"},
      {"same attribute twice in different case", "User", R"({"userName":"a","USERNAME":"b"})", nullptr,
       ErrorType::kInvalidSyntax, "Attribute 'userName' is given more than once"},
      {"extension attribute given in both forms", "User",
       R"({"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"x"},
          "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"y"})",
       nullptr, ErrorType::kInvalidSyntax, "is given more than once"},
      {"sub-attribute twice", "User", R"({"userName":"a","name":{"givenName":"a","GivenName":"b"}})", nullptr,
       ErrorType::kInvalidSyntax, "Attribute 'name.givenName' is given more than once"},
      {"string expected", "User", R"({"userName":42})", nullptr, ErrorType::kInvalidValue,
       "Attribute 'userName' must be a string, got the number 42"},
      {"sub-attribute string expected", "User", R"({"userName":"a","name":{"givenName":true}})", nullptr,
       ErrorType::kInvalidValue, "Attribute 'name.givenName' must be a string, got true"},
      {"boolean expected", "User", R"({"userName":"a","active":"yes"})", nullptr, ErrorType::kInvalidValue,
       "Attribute 'active' must be a boolean (true or false), got the string \"yes\""},
      {"boolean as number", "User", R"({"userName":"a","active":1})", nullptr, ErrorType::kInvalidValue,
       "Attribute 'active' must be a boolean"},
      {"element sub-attribute names its index", "User",
       R"({"userName":"a","emails":[{"value":"a@x"},{"value":"b@x","primary":"maybe"}]})", nullptr,
       ErrorType::kInvalidValue, "Attribute 'emails[1].primary' must be a boolean"},
      {"complex expected", "User", R"({"userName":"a","name":"John Doe"})", nullptr, ErrorType::kInvalidValue,
       "Attribute 'name' must be a complex value (a JSON object), got the string \"John Doe\""},
      {"bare string for a multi-valued complex attribute is refused, not guessed", "User",
       R"({"userName":"a","emails":"a@x"})", nullptr, ErrorType::kInvalidValue,
       "Attribute 'emails' must be a complex value (a JSON object), got the string"},
      {"complex element expected", "User", R"({"userName":"a","addresses":[42]})", nullptr,
       ErrorType::kInvalidValue, "Attribute 'addresses[0]' must be a complex value"},
      {"array for a single-valued attribute", "User", R"({"userName":"a","displayName":["a","b"]})", nullptr,
       ErrorType::kInvalidValue, "Attribute 'displayName' is single-valued: it must be a string, not an array"},
      {"array for the single-valued manager", "User",
       R"({"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":[{"value":"m"}]}})",
       nullptr, ErrorType::kInvalidValue,
       "Attribute 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager' is single-valued"},
      {"nested array in a multi-valued attribute", "User", R"({"userName":"a","emails":[[{"value":"a@x"}]]})",
       nullptr, ErrorType::kInvalidValue, "Attribute 'emails[0]' must be a complex value"},
      {"reference must be a string", "User", R"({"userName":"a","profileUrl":{"href":"x"}})", nullptr,
       ErrorType::kInvalidValue, "Attribute 'profileUrl' must be a reference (a URI string), got an object"},
      {"binary must be a string", "User", R"({"userName":"a","x509Certificates":[{"value":12}]})", nullptr,
       ErrorType::kInvalidValue, "Attribute 'x509Certificates[0].value' must be a base64-encoded string"},
      {"extension object must be an object", "User",
       R"({"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"Sales"})", nullptr,
       ErrorType::kInvalidValue, "must be an object holding its attributes"},
      {"required userName missing", "User", R"({"displayName":"a"})", nullptr, ErrorType::kInvalidValue,
       "Attribute 'userName' is required"},
      {"required userName empty", "User", R"({"userName":""})", nullptr, ErrorType::kInvalidValue,
       "Attribute 'userName' is required"},
      {"required userName null", "User", R"({"userName":null})", nullptr, ErrorType::kInvalidValue,
       "Attribute 'userName' is required"},
      {"required displayName on Group", "Group", R"({"externalId":"x","members":[]})", nullptr,
       ErrorType::kInvalidValue, "Attribute 'displayName' is required"},
      {"two primaries", "User",
       R"({"userName":"a","emails":[{"value":"a@x","primary":true},{"value":"b@x"},{"value":"c@x","primary":"True"}]})",
       nullptr, ErrorType::kInvalidValue,
       "Attribute 'emails' has more than one primary value (emails[0].primary and emails[2].primary are both true)"},
      {"two primary addresses", "User",
       R"({"userName":"a","addresses":[{"locality":"A","primary":true},{"locality":"B","primary":true}]})", nullptr,
       ErrorType::kInvalidValue, "Attribute 'addresses' has more than one primary value"},
      {"password must be a string", "User", R"({"userName":"a","password":12345678})", nullptr,
       ErrorType::kInvalidValue, "Attribute 'password' must be a string"},
  };
  for (const Row& row : rows) Check(row);
}

TEST(ValidateMembers, ExtractedFromTheDocument) {
  struct Case {
    const char* name;
    const char* input;
    std::optional<std::vector<Member>> members;
  };
  const Case cases[] = {
      {"Okta push: members []", R"({"displayName":"Test SCIMv2","members":[]})", std::vector<Member>{}},
      {"no members", R"({"displayName":"g"})", std::nullopt},
      {"members null is not sent", R"({"displayName":"g","members":null})", std::nullopt},
      {"Okta AIW PUT with display", R"({"displayName":"g","members":[{"value":"u1","display":"a@x"},
                                        {"value":"u2","display":"b@x"}]})",
       std::vector<Member>{{"u1", ""}, {"u2", ""}}},
      {"Entra $ref null; type kept in canonical spelling", R"({"displayName":"g","members":[{"$ref":null,"value":"u1",
        "type":"user"},{"value":"g2","type":"Group"},{"value":"x","type":"Robot"},{"value":"y","type":7}]})",
       std::vector<Member>{{"u1", "User"}, {"g2", "Group"}, {"x", "Robot"}, {"y", ""}}},
      {"single object, null element and duplicate value", R"({"displayName":"g","MEMBERS":{"VALUE":"u1"}})",
       std::vector<Member>{{"u1", ""}}},
      {"duplicates and nulls", R"({"displayName":"g","members":[null,{"value":"u1"},{"value":"u1","type":"User"}]})",
       std::vector<Member>{{"u1", ""}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Result<NormalizedResource> r = Normalize("Group", c.input);
    ASSERT_TRUE(r.has_value()) << r.error().detail;
    EXPECT_EQ(r->members, c.members);
    EXPECT_FALSE(r->resource.contains("members"));
    EXPECT_FALSE(r->password.has_value());
  }

  const Row bad[] = {
      {"member without value", "Group", R"({"displayName":"g","members":[{"display":"x"}]})", nullptr,
       ErrorType::kInvalidValue, "Attribute 'members[0]' must be an object with a non-empty string 'value'"},
      {"member value not a string", "Group", R"({"displayName":"g","members":[{"value":"a"},{"value":5}]})", nullptr,
       ErrorType::kInvalidValue, "Attribute 'members[1]' must be an object"},
      {"member as a bare string", "Group", R"({"displayName":"g","members":["u1"]})", nullptr,
       ErrorType::kInvalidValue, "Attribute 'members[0]' must be an object"},
      {"member with empty value", "Group", R"({"displayName":"g","members":[{"value":""}]})", nullptr,
       ErrorType::kInvalidValue, "non-empty string 'value'"},
  };
  for (const Row& row : bad) Check(row);
}

// {"userName":"a","emails":[<count> addresses]}, or a group with <count> members.
std::string WithValues(std::string_view type, int count) {
  Json body = type == "User" ? Json{{"userName", "a"}, {"emails", Json::array()}}
                             : Json{{"displayName", "g"}, {"members", Json::array()}};
  Json& values = type == "User" ? body["emails"] : body["members"];
  for (int i = 0; i < count; ++i) values.push_back(Json{{"value", "u" + std::to_string(i) + "@example.com"}});
  return DumpJson(body);
}

// A POST or PUT body's multi-valued attribute is held to max_attribute_values, as PATCH is; the
// error names the attribute and the limit. Group members are exempt (groups may have 100,000).
TEST(ValidateLimits, ValuesOfAMultiValuedAttribute) {
  ASSERT_TRUE(Normalize("User", WithValues("User", 1000)).has_value());
  auto over_ceiling = Normalize("User", WithValues("User", 1001));
  ASSERT_FALSE(over_ceiling.has_value());
  EXPECT_EQ(over_ceiling.error().type, ErrorType::kInvalidValue);
  EXPECT_EQ(over_ceiling.error().detail, "Attribute 'emails' may hold at most 1000 values, the value has 1001");

  DocumentLimits limits;
  limits.attribute_values = 10;
  for (WriteContext context : {WriteContext::kCreate, WriteContext::kReplace}) {
    auto at_limit = Normalize("User", WithValues("User", 10), context, limits);
    ASSERT_TRUE(at_limit.has_value()) << at_limit.error().detail;
    EXPECT_EQ(at_limit->resource["emails"].size(), 10u);
    auto over = Normalize("User", WithValues("User", 11), context, limits);
    ASSERT_FALSE(over.has_value());
    EXPECT_EQ(over.error().type, ErrorType::kInvalidValue);
    EXPECT_EQ(over.error().detail, "Attribute 'emails' may hold at most 10 values, the value has 11");
  }
  // A PATCH result is ApplyPatch's to limit: a document stored before the limit was lowered stays
  // patchable.
  EXPECT_TRUE(Normalize("User", WithValues("User", 11), WriteContext::kPatchResult, limits).has_value());

  auto group = Normalize("Group", WithValues("Group", 50), WriteContext::kCreate, limits);
  ASSERT_TRUE(group.has_value()) << group.error().detail;
  ASSERT_TRUE(group->members.has_value());
  EXPECT_EQ(group->members->size(), 50u);
}

TEST(ValidatePassword, MovedOutOfTheDocument) {
  Result<NormalizedResource> r = Normalize("User", R"({"userName":"a","PASSWORD":"1mz050nq"})");
  ASSERT_TRUE(r.has_value()) << r.error().detail;
  EXPECT_EQ(r->password, "1mz050nq");
  EXPECT_FALSE(r->members.has_value());
  EXPECT_EQ(r->resource, MustParse(R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a"})"));

  r = Normalize("User", R"({"userName":"a","password":null})");
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->password.has_value());
}

TEST(ValidateContexts, RequiredAppliesToEveryWrite) {
  for (WriteContext context : {WriteContext::kCreate, WriteContext::kReplace, WriteContext::kPatchResult}) {
    Result<NormalizedResource> r = Normalize("User", R"({"name":{"givenName":"a"}})", context);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().type, ErrorType::kInvalidValue);
    EXPECT_EQ(r.error().detail, "Attribute 'userName' is required");
  }
}

// A tenant schema with every attribute type, a required extension and an enumeration.
class ValidateCustomSchema : public ::testing::Test {
 protected:
  void SetUp() override {
    Json schemas = MustParse(R"([
      {"id": "urn:x:Thing", "name": "Thing", "attributes": [
        {"name": "label", "type": "string", "required": true},
        {"name": "count", "type": "integer"},
        {"name": "ratio", "type": "decimal"},
        {"name": "seen", "type": "dateTime"},
        {"name": "tags", "type": "string", "multiValued": true},
        {"name": "kind", "type": "string", "canonicalValues": ["a", "b"]},
        {"name": "secret", "type": "string", "mutability": "writeOnly", "returned": "never"},
        {"name": "parts", "type": "complex", "multiValued": true, "subAttributes": [
          {"name": "code", "type": "string", "required": true},
          {"name": "weight", "type": "decimal"}]}]},
      {"id": "urn:x:ext:Thing", "name": "ThingExt", "attributes": [
        {"name": "role", "type": "string", "required": true, "canonicalValues": ["admin", "user"]},
        {"name": "level", "type": "string", "caseExact": true, "canonicalValues": ["Gold"]}]}])");
    Json types = MustParse(R"([{"name": "Thing", "endpoint": "/Things", "schema": "urn:x:Thing",
                                "schemaExtensions": [{"schema": "urn:x:ext:Thing", "required": true}]}])");
    Result<std::shared_ptr<const SchemaRegistry>> loaded = SchemaRegistry::Load(schemas, types);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().detail;
    registry_ = *loaded;
  }

  Result<NormalizedResource> Run(std::string_view body) {
    return NormalizeResource(MustParse(body), *registry_->FindResourceType("Thing"), *registry_,
                             WriteContext::kCreate);
  }

  std::shared_ptr<const SchemaRegistry> registry_;
};

TEST_F(ValidateCustomSchema, TypesAndEnumerations) {
  struct Case {
    const char* name;
    const char* input;
    const char* output;  // nullptr: error
    const char* detail;
  };
  const char* kExt = R"("urn:x:ext:Thing":{"role":"admin"})";
  auto with_ext = [&](std::string body) { return "{" + body + "," + kExt + "}"; };
  const Case cases[] = {
      {"every type", R"("label":"l","count":-3,"ratio":0.5,"seen":"2008-01-23T04:56:22Z","tags":"t",
                        "kind":"A","secret":"s","parts":[{"code":"c","weight":2}])",
       R"({"schemas":["urn:x:Thing","urn:x:ext:Thing"],"label":"l","count":-3,"ratio":0.5,
           "seen":"2008-01-23T04:56:22Z","tags":["t"],"kind":"A","secret":"s","parts":[{"code":"c","weight":2}],
           "urn:x:ext:Thing":{"role":"admin"}})",
       ""},
      {"integer for decimal", R"("label":"l","ratio":2)",
       R"({"schemas":["urn:x:Thing","urn:x:ext:Thing"],"label":"l","ratio":2,"urn:x:ext:Thing":{"role":"admin"}})",
       ""},
      {"dateTime with fraction and offset", R"("label":"l","seen":"2024-02-29T23:59:60.123+05:30")",
       R"({"schemas":["urn:x:Thing","urn:x:ext:Thing"],"label":"l","seen":"2024-02-29T23:59:60.123+05:30",
           "urn:x:ext:Thing":{"role":"admin"}})",
       ""},
      {"dateTime without zone (xsd:dateTime)", R"("label":"l","seen":"2008-01-23T04:56:22")",
       R"({"schemas":["urn:x:Thing","urn:x:ext:Thing"],"label":"l","seen":"2008-01-23T04:56:22",
           "urn:x:ext:Thing":{"role":"admin"}})",
       ""},
      {"dateTime date only", R"("label":"l","seen":"2008-01-23")", nullptr,
       "Attribute 'seen' must be a dateTime string such as \"2008-01-23T04:56:22Z\", got the string \"2008-01-23\""},
      {"dateTime month 13", R"("label":"l","seen":"2008-13-23T04:56:22Z")", nullptr, "Attribute 'seen' must be a dateTime"},
      {"dateTime trailing junk", R"("label":"l","seen":"2008-01-23T04:56:22Zx")", nullptr, "must be a dateTime"},
      {"dateTime empty fraction", R"("label":"l","seen":"2008-01-23T04:56:22.Z")", nullptr, "must be a dateTime"},
      {"dateTime bad offset", R"("label":"l","seen":"2008-01-23T04:56:22+0530")", nullptr, "must be a dateTime"},
      {"dateTime as number", R"("label":"l","seen":20080123)", nullptr, "must be a dateTime"},
      {"integer given a fraction", R"("label":"l","count":1.5)", nullptr,
       "Attribute 'count' must be an integer, got the number 1.5"},
      // OneLogin templates send numbers as text [Q22]; strict compatibility refuses them (below).
      {"integer given as text", R"("label":"l","count":"3")",
       R"({"schemas":["urn:x:Thing","urn:x:ext:Thing"],"label":"l","count":3,"urn:x:ext:Thing":{"role":"admin"}})", ""},
      {"decimal given as text", R"("label":"l","ratio":"0.5")",
       R"({"schemas":["urn:x:Thing","urn:x:ext:Thing"],"label":"l","ratio":0.5,"urn:x:ext:Thing":{"role":"admin"}})", ""},
      {"integer given other text", R"("label":"l","count":"3 apples")", nullptr, "Attribute 'count' must be an integer"},
      {"integer given decimal text", R"("label":"l","count":"3.5")", nullptr, "Attribute 'count' must be an integer"},
      {"multi-valued string element", R"("label":"l","tags":["a",2])", nullptr,
       "Attribute 'tags[1]' must be a string, got the number 2"},
      {"required sub-attribute", R"("label":"l","parts":[{"code":"c"},{"weight":1}])", nullptr,
       "Attribute 'parts[1].code' is required"},
      {"canonical values not enforced on the core schema", R"("label":"l","kind":"zzz")",
       R"({"schemas":["urn:x:Thing","urn:x:ext:Thing"],"label":"l","kind":"zzz","urn:x:ext:Thing":{"role":"admin"}})",
       ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Result<NormalizedResource> r = Run(with_ext(c.input));
    if (c.output != nullptr) {
      ASSERT_TRUE(r.has_value()) << r.error().detail;
      EXPECT_EQ(DumpJson(r->resource), DumpJson(MustParse(c.output)));
    } else {
      ASSERT_FALSE(r.has_value());
      EXPECT_EQ(r.error().type, ErrorType::kInvalidValue);
      EXPECT_NE(r.error().detail.find(c.detail), std::string::npos) << r.error().detail;
    }
  }
}

TEST_F(ValidateCustomSchema, RequiredExtensionAndEnumerations) {
  Result<NormalizedResource> r = Run(R"({"label":"l"})");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().type, ErrorType::kInvalidValue);
  EXPECT_EQ(r.error().detail, "Extension 'urn:x:ext:Thing' is required for Thing");

  r = Run(R"({"label":"l","urn:x:ext:Thing":{"level":"Gold"}})");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().detail, "Attribute 'urn:x:ext:Thing:role' is required");

  r = Run(R"({"label":"l","urn:x:ext:Thing":{"role":"ADMIN"}})");
  ASSERT_TRUE(r.has_value()) << r.error().detail;  // caseExact false: any case, kept as sent
  EXPECT_EQ((*r).resource["urn:x:ext:Thing"]["role"], "ADMIN");

  r = Run(R"({"label":"l","urn:x:ext:Thing":{"role":"root"}})");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().type, ErrorType::kInvalidValue);
  EXPECT_EQ(r.error().detail, "Attribute 'urn:x:ext:Thing:role' must be one of: admin, user; got the string \"root\"");

  r = Run(R"({"label":"l","urn:x:ext:Thing":{"role":"user","level":"gold"}})");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().detail.find("must be one of: Gold"), std::string::npos) << r.error().detail;
}

TEST_F(ValidateCustomSchema, OtherReturnedNeverAttributesStayInTheDocument) {
  Result<NormalizedResource> r = Run(R"({"label":"l","secret":"s","urn:x:ext:Thing":{"role":"user"}})");
  ASSERT_TRUE(r.has_value()) << r.error().detail;
  EXPECT_EQ(r->resource["secret"], "s");
  EXPECT_FALSE(r->password.has_value());
}

}  // namespace
}  // namespace scim::core
