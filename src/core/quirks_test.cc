// Every IdP-dialect shape the core reads leniently: recorded in the request's QuirkLog when the
// tenant is lenient, and refused as RFC 7643/7644 would refuse it when the tenant is strict.
#include "core/quirks.h"

#include <gtest/gtest.h>

#include "core/filter.h"
#include "core/patch.h"
#include "core/validate.h"

namespace scim::core {
namespace {

const SchemaRegistry& Registry() {
  static const std::shared_ptr<const SchemaRegistry> registry = *SchemaRegistry::LoadDefault();
  return *registry;
}

constexpr const char* kUser =
    R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com",
        "emails":[{"value":"ada@example.com","type":"home"}]})";

// Runs a PATCH body against kUser with a log of the given leniency.
Result<PatchResult> Patch(const char* body, QuirkLog& log) {
  auto ops = ParsePatchRequest(*ParseJson(body), &log);
  if (!ops) return std::unexpected(ops.error());
  return ApplyPatch(*ParseJson(kUser), *ops, *Registry().FindResourceType("User"), Registry(), &log);
}

Result<NormalizedResource> Write(const char* type, const char* body, QuirkLog& log) {
  return NormalizeResource(*ParseJson(body), *Registry().FindResourceType(type), Registry(), WriteContext::kCreate, &log);
}

struct Case {
  const char* name;
  Quirk quirk;
  const char* patch;  // a PATCH body, or null
  const char* write;  // a User POST body, or null
  ErrorType strict_error;
};

#define PATCH_OP(ops) R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[)" ops "]}"

const Case kCases[] = {
    {"Entra capitalised op", Quirk::kCapitalisedOp, PATCH_OP(R"({"op":"Replace","path":"title","value":"x"})"), nullptr,
     ErrorType::kInvalidSyntax},
    {"Entra boolean string in PATCH", Quirk::kBooleanString,
     PATCH_OP(R"({"op":"replace","path":"active","value":"False"})"), nullptr, ErrorType::kInvalidValue},
    {"OneLogin boolean string in PUT", Quirk::kBooleanString, nullptr,
     R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","active":"true"})",
     ErrorType::kInvalidValue},
    {"Entra remove with value array", Quirk::kRemoveWithValue,
     PATCH_OP(R"({"op":"remove","path":"emails","value":[{"value":"ada@example.com"}]})"), nullptr,
     ErrorType::kInvalidValue},
    {"Entra dotted key in a path-less value", Quirk::kPathInValueKey,
     PATCH_OP(R"({"op":"replace","value":{"name.givenName":"Ada"}})"), nullptr, ErrorType::kInvalidPath},
    {"Entra URN-qualified key in a path-less value", Quirk::kPathInValueKey,
     PATCH_OP(R"({"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"R&D"}})"),
     nullptr, ErrorType::kInvalidPath},
    {"Entra bare-string manager in PATCH", Quirk::kBareStringForComplex,
     PATCH_OP(R"({"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"271"})"),
     nullptr, ErrorType::kInvalidValue},
    {"Entra bare-string manager in POST", Quirk::kBareStringForComplex, nullptr,
     R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
         "userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"271"}})",
     ErrorType::kInvalidValue},
    {"Entra filtered path that matches nothing", Quirk::kCreateFromFilter,
     PATCH_OP(R"({"op":"replace","path":"emails[type eq \"work\"].value","value":"a@work.example"})"), nullptr,
     ErrorType::kNoTarget},
    {"Entra empty path", Quirk::kEmptyPath, PATCH_OP(R"({"op":"replace","path":"","value":{"title":"x"}})"), nullptr,
     ErrorType::kInvalidPath},
    {"Entra one-element array for manager", Quirk::kArrayForSingle,
     PATCH_OP(R"({"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":[{"value":"271"}]})"),
     nullptr, ErrorType::kInvalidValue},
    {"single value for emails", Quirk::kValueForArray, nullptr,
     R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","emails":{"value":"a@x"}})",
     ErrorType::kInvalidValue},
    {"no schemas", Quirk::kMissingSchemas, nullptr, R"({"userName":"a"})", ErrorType::kInvalidSyntax},
    {"Entra non-URN schema id", Quirk::kForeignSchema, nullptr,
     R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/User"],"userName":"a"})",
     ErrorType::kInvalidSyntax},
    {"Entra extension attribute spelled urn:…:extension:2.0:NAME:attr", Quirk::kEntraUrnSpelling,
     PATCH_OP(R"({"op":"replace","path":"urn:ietf:params:scim:schemas:extension:2.0:enterprise:department","value":"R&D"})"),
     nullptr, ErrorType::kInvalidPath},
    {"Entra extension attribute spelled urn:…:2.0:User.attr:value", Quirk::kEntraUrnSpelling,
     PATCH_OP(R"({"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager:value","value":"271"})"),
     nullptr, ErrorType::kInvalidPath},
    {"Entra spelling as a body key", Quirk::kEntraUrnSpelling, nullptr,
     R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a",
         "urn:ietf:params:scim:schemas:extension:2.0:enterprise:costCenter":"42"})",
     ErrorType::kInvalidSyntax},
    {"Entra qualified top-level key", Quirk::kQualifiedKey, nullptr,
     R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a",
         "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"R&D"})",
     ErrorType::kInvalidSyntax},
};

TEST(Quirks, LenientReadsAndRecordsStrictRefuses) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    QuirkLog lenient(true);
    QuirkLog strict(false);
    bool lenient_ok = c.patch ? Patch(c.patch, lenient).has_value() : Write("User", c.write, lenient).has_value();
    EXPECT_TRUE(lenient_ok);
    EXPECT_TRUE(lenient.Used(c.quirk)) << lenient.Summary();
    EXPECT_NE(lenient.Summary().find(Describe(c.quirk).id), std::string::npos);
    if (c.patch) {
      auto r = Patch(c.patch, strict);
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().type, c.strict_error) << r.error().detail;
    } else {
      auto r = Write("User", c.write, strict);
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().type, c.strict_error) << r.error().detail;
    }
    EXPECT_TRUE(strict.Used(c.quirk));
  }
}

TEST(Quirks, EntraSpellingsLandOnTheCanonicalAttribute) {
  QuirkLog log;
  auto patched = Patch(PATCH_OP(R"({"op":"replace","path":"urn:ietf:params:scim:schemas:extension:2.0:enterprise:department","value":"R&D"},
                                   {"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager:value","value":"271"})"),
                       log);
  ASSERT_TRUE(patched) << patched.error().detail;
  const Json& enterprise = patched->resource["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"];
  EXPECT_EQ(enterprise["department"], "R&D");
  EXPECT_EQ(enterprise["manager"]["value"], "271");
  // Not every URN is one of them.
  QuirkLog other;
  EXPECT_FALSE(Patch(PATCH_OP(R"({"op":"replace","path":"urn:ietf:params:scim:schemas:extension:2.0:acme:department","value":"x"})"),
                     other));
}

TEST(Quirks, RfcRequestsUseNone) {
  QuirkLog log(false);
  ASSERT_TRUE(Patch(PATCH_OP(R"({"op":"replace","path":"active","value":false},
                               {"op":"add","path":"emails","value":[{"value":"b@x","type":"work"}]},
                               {"op":"remove","path":"emails[value eq \"ada@example.com\"]"},
                               {"op":"replace","value":{"title":"t","name":{"givenName":"Ada"}}})"),
                    log));
  ASSERT_TRUE(Write("User", kUser, log));
  EXPECT_TRUE(log.uses().empty()) << log.Summary();
}

TEST(Quirks, StringifiedRolesStayTextWhenStrict) {
  const char* body = PATCH_OP(
      R"({"op":"add","path":"roles","value":[{"value":"{\"id\":\"1\",\"value\":\"Admin\",\"displayName\":\"Admin\"}"}]})");
  QuirkLog lenient(true);
  auto unpacked = Patch(body, lenient);
  ASSERT_TRUE(unpacked);
  EXPECT_EQ(unpacked->resource["roles"][0]["value"], "Admin");
  QuirkLog strict(false);
  auto kept = Patch(body, strict);
  ASSERT_TRUE(kept) << "JSON text is a valid string: strict keeps it as sent";
  EXPECT_EQ(kept->resource["roles"][0]["value"], R"({"id":"1","value":"Admin","displayName":"Admin"})");
  EXPECT_TRUE(strict.Used(Quirk::kStringifiedJson));
}

TEST(Quirks, EntraFilterFormAndRecordingCap) {
  QuirkLog lenient(true);
  EXPECT_TRUE(ParseFilter(R"(emails[type eq "work"].value eq "a@x")", &lenient));
  EXPECT_TRUE(lenient.Used(Quirk::kFilterValuePathSub));
  QuirkLog strict(false);
  auto refused = ParseFilter(R"(emails[type eq "work"].value eq "a@x")", &strict);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().type, ErrorType::kInvalidFilter);
  EXPECT_TRUE(ParseFilter(R"(emails[type eq "work" and value eq "a@x"])", &strict));

  QuirkLog many(true);
  for (int i = 0; i < 100; ++i) many.Allow(Quirk::kBooleanString, "x");
  EXPECT_EQ(many.uses().size(), 16u);
}

}  // namespace
}  // namespace scim::core
