// Tests for core/patch: one row per PATCH wire shape the IdPs send (shared/idp/TRAFFIC.md §2, the
// quirks of §2.6 named [Qn]), the RFC 7644 §3.5.2 semantics, and the errors. Every row runs the
// real request body through ParsePatchRequest and ApplyPatch.
#include "core/patch.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace scim::core {
namespace {

const SchemaRegistry& Registry() {
  static const std::shared_ptr<const SchemaRegistry> registry = [] {
    auto loaded = SchemaRegistry::LoadDefault();
    return loaded ? *loaded : nullptr;
  }();
  return *registry;
}

const ResourceType& TypeNamed(std::string_view id) { return *Registry().FindResourceType(id); }

Json Parse(std::string_view text) {
  auto json = ParseJson(text);
  EXPECT_TRUE(json.has_value()) << text << ": " << (json ? "" : json.error().detail);
  return json ? *json : Json();
}

// Member order inside objects is not part of the contract: compare as unordered JSON.
nlohmann::json Unordered(const Json& value) { return nlohmann::json::parse(DumpJson(value)); }

// "add:a,b/Group", "remove:x", "remove_all", "replace_all:", "remove_where".
std::vector<std::string> Render(const std::vector<MemberOp>& ops) {
  std::vector<std::string> out;
  for (const MemberOp& op : ops) {
    std::string text;
    switch (op.kind) {
      case MemberOp::Kind::kAdd: text = "add:"; break;
      case MemberOp::Kind::kRemove: text = "remove:"; break;
      case MemberOp::Kind::kReplaceAll: text = "replace_all:"; break;
      case MemberOp::Kind::kRemoveAll: text = "remove_all"; break;
      case MemberOp::Kind::kRemoveWhere: text = op.where ? "remove_where" : "remove_where(null)"; break;
    }
    for (size_t i = 0; i < op.members.size(); ++i) {
      text += (i ? "," : "") + op.members[i].value;
      if (!op.members[i].type.empty()) text += "/" + op.members[i].type;
    }
    out.push_back(std::move(text));
  }
  return out;
}

// ---- stored documents the rows start from ------------------------------------------------------------

constexpr const char* kUser = R"json({
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
  "userName": "bjensen@example.com",
  "name": {"givenName": "Barbara", "familyName": "Jensen"},
  "displayName": "Babs Jensen",
  "active": true,
  "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true},
             {"value": "babs@home.example", "type": "home"}]
})json";

constexpr const char* kUserHomeEmailOnly = R"json({
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
  "userName": "bjensen@example.com",
  "active": true,
  "emails": [{"value": "babs@home.example", "type": "home"}]
})json";

constexpr const char* kEnterpriseUser = R"json({
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "userName": "bjensen@example.com",
  "active": true,
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
    "employeeNumber": "701984",
    "manager": {"value": "26118915", "displayName": "John Smith"}
  }
})json";

constexpr const char* kGroup = R"json({
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
  "displayName": "Engineering"
})json";

// ---- successful requests -------------------------------------------------------------------------------

struct ApplyCase {
  const char* name;                   // test name
  const char* type;                   // resource type id
  const char* before;                 // stored document
  const char* body;                   // the PATCH request body, as the IdP sends it
  const char* after;                  // expected document
  std::vector<std::string> members;   // expected member_ops, see Render
};

const ApplyCase kApplyCases[] = {
    // -- Okta (TRAFFIC §2.1)
    {"okta_deactivate", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","value":{"active":false}}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com",
             "name":{"givenName":"Barbara","familyName":"Jensen"},"displayName":"Babs Jensen","active":false,
             "emails":[{"value":"bjensen@example.com","type":"work","primary":true},
                       {"value":"babs@home.example","type":"home"}]})json",
     {}},
    {"okta_reactivate", "User",
     R"json({"userName":"bjensen","active":false})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","value":{"active":true}}]})json",
     R"json({"userName":"bjensen","active":true})json", {}},
    {"okta_group_rename_with_id_Q12", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","value":{"id":"abf4dd94-a4c0-4f67-89c9-76b03340cb9b","displayName":"Platform"}}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Platform"})json", {}},
    {"okta_group_rename_same_name_is_noop_Q12", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","value":{"id":"abf4dd94","displayName":"Engineering",
                                                     "schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                                     "meta":{"resourceType":"Group"}}}]})json",
     kGroup, {}},
    {"okta_member_remove_then_add", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
               {"op":"remove","path":"members[value eq \"89bb1940-b905-4575-9e7f-6f887cfb368e\"]"},
               {"op":"add","path":"members","value":[{"value":"23a35c27-23d3-4c03-b4c5-6443c09e7173",
                                                      "display":"test.user@okta.local"}]}]})json",
     kGroup,
     {"remove:89bb1940-b905-4575-9e7f-6f887cfb368e", "add:23a35c27-23d3-4c03-b4c5-6443c09e7173"}},
    {"okta_replace_members_full_push", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
               {"op":"replace","path":"members","value":[{"value":"u1","display":"a@x"},{"value":"u2","display":"b@x"}]}]})json",
     kGroup, {"replace_all:u1,u2"}},
    {"okta_push_now_empty_group_clears_Q21", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","path":"members","value":[]}]})json",
     kGroup, {"replace_all:"}},
    {"okta_rename_and_members_in_one_request", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
               {"op":"replace","value":{"id":"g1","displayName":"Eng"}},
               {"op":"add","path":"members","value":[{"value":"u1"}]}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Eng"})json", {"add:u1"}},

    // -- Microsoft Entra ID (TRAFFIC §2.2)
    {"entra_disable_string_False_Q1_Q2", "User", R"json({"userName":"bjensen","active":true})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"Replace","path":"active","value":"False"}]})json",
     R"json({"userName":"bjensen","active":false})json", {}},
    {"entra_enable_string_True", "User", R"json({"userName":"bjensen","active":false})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"Replace","path":"active","value":"True"}]})json",
     R"json({"userName":"bjensen","active":true})json", {}},
    {"entra_disable_boolean_with_flag", "User", R"json({"userName":"bjensen","active":true})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","path":"active","value":false}]})json",
     R"json({"userName":"bjensen","active":false})json", {}},
    {"entra_work_email_value_existing", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"barbara@example.com"}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com",
             "name":{"givenName":"Barbara","familyName":"Jensen"},"displayName":"Babs Jensen","active":true,
             "emails":[{"value":"barbara@example.com","type":"work","primary":true},
                       {"value":"babs@home.example","type":"home"}]})json",
     {}},
    {"entra_work_email_value_created_Q7", "User", kUserHomeEmailOnly,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"barbara@example.com"}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com","active":true,
             "emails":[{"value":"babs@home.example","type":"home"},
                       {"type":"work","value":"barbara@example.com"}]})json",
     {}},
    {"entra_work_email_value_created_without_emails_Q7", "User", R"json({"userName":"bjensen"})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"Add","path":"emails[type eq \"work\"].value","value":"barbara@example.com"}]})json",
     R"json({"userName":"bjensen","emails":[{"type":"work","value":"barbara@example.com"}]})json", {}},
    {"entra_family_name", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"Replace","path":"name.familyName","value":"Jensen-Smith"}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com",
             "name":{"givenName":"Barbara","familyName":"Jensen-Smith"},"displayName":"Babs Jensen","active":true,
             "emails":[{"value":"bjensen@example.com","type":"work","primary":true},
                       {"value":"babs@home.example","type":"home"}]})json",
     {}},
    {"entra_family_name_creates_parent", "User", R"json({"userName":"bjensen"})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"Replace","path":"name.familyName","value":"Jensen"}]})json",
     R"json({"userName":"bjensen","name":{"familyName":"Jensen"}})json", {}},
    {"entra_user_name", "User", R"json({"userName":"bjensen"})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"Replace","path":"userName","value":"barbara@example.com"}]})json",
     R"json({"userName":"barbara@example.com"})json", {}},
    {"entra_add_single_valued_nickname", "User", R"json({"userName":"bjensen"})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"Add","path":"nickName","value":"Babs"}]})json",
     R"json({"userName":"bjensen","nickName":"Babs"})json", {}},
    {"entra_add_on_existing_is_upsert_Q8", "User", R"json({"userName":"bjensen","title":"Engineer"})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"Add","path":"title","value":"Staff Engineer"}]})json",
     R"json({"userName":"bjensen","title":"Staff Engineer"})json", {}},
    {"entra_replace_on_absent_is_upsert_Q8", "User", R"json({"userName":"bjensen"})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"Replace","path":"title","value":"Engineer"}]})json",
     R"json({"userName":"bjensen","title":"Engineer"})json", {}},
    {"entra_pathless_dotted_and_urn_keys_Q4", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{
               "displayName":"Barbara Jensen",
               "emails[type eq \"work\"].value":"barbara@example.com",
               "name.givenName":"Barb",
               "name.familyName":"Jensen",
               "externalId":"Eqpj",
               "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"701985"}}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com",
             "name":{"givenName":"Barb","familyName":"Jensen"},"displayName":"Barbara Jensen","active":true,
             "emails":[{"value":"barbara@example.com","type":"work","primary":true},
                       {"value":"babs@home.example","type":"home"}],
             "externalId":"Eqpj",
             "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"701985"}})json",
     {}},
    {"entra_empty_path_is_pathless", "User", R"json({"userName":"bjensen"})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"Replace","path":"","value":{"displayName":"Babs"}}]})json",
     R"json({"userName":"bjensen","displayName":"Babs"})json", {}},
    {"entra_extension_attribute_path", "User", kEnterpriseUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
               {"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
                "value":"42"}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
             "userName":"bjensen@example.com","active":true,
             "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{
               "employeeNumber":"42","manager":{"value":"26118915","displayName":"John Smith"}}})json",
     {}},
    {"entra_manager_bare_string_Q5", "User", R"json({"userName":"bjensen"})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
               {"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"271"}]})json",
     R"json({"userName":"bjensen",
             "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"271"}}})json",
     {}},
    {"entra_manager_new_referent_drops_stale_display", "User", kEnterpriseUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
               {"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"271"}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
             "userName":"bjensen@example.com","active":true,
             "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{
               "employeeNumber":"701984","manager":{"value":"271"}}})json",
     {}},
    {"entra_manager_reference_array", "User", R"json({"userName":"bjensen"})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
               {"op":"Add","path":"manager",
                "value":[{"$ref":"https://scim.example.com/Users/26118915","value":"26118915"}]}]})json",
     R"json({"userName":"bjensen","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{
               "manager":{"$ref":"https://scim.example.com/Users/26118915","value":"26118915"}}})json",
     {}},
    {"entra_manager_cleared_with_empty_string", "User",
     R"json({"userName":"bjensen","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"271"}}})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
               {"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":""}]})json",
     R"json({"userName":"bjensen"})json", {}},
    {"entra_pathless_extension_object", "User", R"json({"userName":"bjensen"})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","value":{
               "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D","manager":"42"}}}]})json",
     R"json({"userName":"bjensen","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{
               "department":"R&D","manager":{"value":"42"}}})json",
     {}},
    {"entra_add_role_with_string_primary", "User", R"json({"userName":"bjensen"})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
               {"op":"Add","path":"roles",
                "value":[{"primary":"True","type":"WindowsAzureActiveDirectoryRole","value":"Admin"}]}]})json",
     R"json({"userName":"bjensen","roles":[{"primary":true,"type":"WindowsAzureActiveDirectoryRole","value":"Admin"}]})json",
     {}},
    {"entra_app_role_stringified_Q6", "User", R"json({"userName":"bjensen"})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
               {"op":"Add","path":"roles","value":[{"value":
                 "{\"id\":\"7c8ba2c2-7e0b-4e3c-9a5e-2d6d3c1f4b1e\",\"value\":\"Admin\",\"displayName\":\"Admin\"}"}]}]})json",
     R"json({"userName":"bjensen","roles":[{"value":"Admin","display":"Admin"}]})json", {}},
    {"entra_group_rename", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"Replace","path":"displayName","value":"1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
             "displayName":"1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"})json", {}},
    {"entra_add_members_ref_null", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
               {"op":"Add","path":"members","value":[{"$ref":null,"value":"f648f8d5ea4e4cd38e9c"}]}]})json",
     kGroup, {"add:f648f8d5ea4e4cd38e9c"}},
    {"entra_remove_members_value_array_Q3", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
               {"op":"Remove","path":"members","value":[{"value":"f648f8d5ea4e4cd38e9c"},{"value":"a1b2"}]}]})json",
     kGroup, {"remove:f648f8d5ea4e4cd38e9c,a1b2"}},
    {"entra_remove_members_filter_with_flag", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
               {"op":"Remove","path":"members[value eq \"f648f8d5ea4e4cd38e9c\"]"}]})json",
     kGroup, {"remove:f648f8d5ea4e4cd38e9c"}},

    // -- OneLogin (TRAFFIC §2.3) and JumpCloud (§2.4)
    {"onelogin_add_member", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"value":[{"value":"a8c4c1f2"}],"op":"add","path":"members"}]})json",
     kGroup, {"add:a8c4c1f2"}},
    {"onelogin_remove_member_value_array_Q3", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"remove","path":"members","value":[{"value":"a8c4c1f2"}]}]})json",
     kGroup, {"remove:a8c4c1f2"}},
    {"jumpcloud_pathless_rename", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","value":{"displayName":"Engineering (all)"}}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Engineering (all)"})json", {}},
    {"jumpcloud_add_member", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"add","path":"members","value":[{"value":"5f3a"}]}]})json",
     kGroup, {"add:5f3a"}},

    // -- RFC 7644 §3.5.2 semantics and our documented choices
    {"pathless_boolean_string_Q2", "User", R"json({"userName":"bjensen","active":true})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","value":{"active":"False"}}]})json",
     R"json({"userName":"bjensen","active":false})json", {}},
    {"schemas_urn_and_operations_key_any_case", "User", R"json({"userName":"bjensen"})json",
     R"json({"SCHEMAS":["URN:IETF:PARAMS:SCIM:API:MESSAGES:2.0:PATCHOP"],
             "operations":[{"OP":"REPLACE","PATH":"Title","VALUE":"CTO"}]})json",
     R"json({"userName":"bjensen","title":"CTO"})json", {}},
    {"path_names_any_case", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","path":"NAME.GIVENNAME","value":"Babs"}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com",
             "name":{"givenName":"Babs","familyName":"Jensen"},"displayName":"Babs Jensen","active":true,
             "emails":[{"value":"bjensen@example.com","type":"work","primary":true},
                       {"value":"babs@home.example","type":"home"}]})json",
     {}},
    {"add_email_appends_and_new_primary_demotes_others", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"add","path":"emails","value":[{"value":"b@new.example","type":"other","primary":true}]}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com",
             "name":{"givenName":"Barbara","familyName":"Jensen"},"displayName":"Babs Jensen","active":true,
             "emails":[{"value":"bjensen@example.com","type":"work"},
                       {"value":"babs@home.example","type":"home"},
                       {"value":"b@new.example","type":"other","primary":true}]})json",
     {}},
    {"add_existing_email_is_skipped", "User", kUserHomeEmailOnly,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"add","path":"emails","value":[{"value":"babs@home.example","type":"home"}]}]})json",
     kUserHomeEmailOnly, {}},
    {"add_same_email_value_merges_into_it", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"add","path":"emails","value":{"value":"BABS@home.example","primary":true}}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com",
             "name":{"givenName":"Barbara","familyName":"Jensen"},"displayName":"Babs Jensen","active":true,
             "emails":[{"value":"bjensen@example.com","type":"work"},
                       {"value":"BABS@home.example","type":"home","primary":true}]})json",
     {}},
    {"add_single_object_to_multi_valued", "User", R"json({"userName":"bjensen"})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"add","path":"phoneNumbers","value":{"value":"+1 555 0100","type":"work"}}]})json",
     R"json({"userName":"bjensen","phoneNumbers":[{"value":"+1 555 0100","type":"work"}]})json", {}},
    {"add_complex_merges_sub_attributes", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"add","path":"name","value":{"middleName":"Jane"}}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com",
             "name":{"givenName":"Barbara","familyName":"Jensen","middleName":"Jane"},"displayName":"Babs Jensen",
             "active":true,"emails":[{"value":"bjensen@example.com","type":"work","primary":true},
                                     {"value":"babs@home.example","type":"home"}]})json",
     {}},
    {"replace_complex_merges_sub_attributes", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","path":"name","value":{"givenName":"Barb","middleName":null}}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com",
             "name":{"givenName":"Barb","familyName":"Jensen"},"displayName":"Babs Jensen","active":true,
             "emails":[{"value":"bjensen@example.com","type":"work","primary":true},
                       {"value":"babs@home.example","type":"home"}]})json",
     {}},
    {"replace_multi_valued_replaces_all", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","path":"emails","value":[{"value":"only@example.com","type":"work"}]}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com",
             "name":{"givenName":"Barbara","familyName":"Jensen"},"displayName":"Babs Jensen","active":true,
             "emails":[{"value":"only@example.com","type":"work"}]})json",
     {}},
    {"replace_multi_valued_with_empty_array_unassigns", "User", kUserHomeEmailOnly,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","path":"emails","value":[]}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com",
             "active":true})json",
     {}},
    {"replace_filtered_element_merges_object", "User", kUserHomeEmailOnly,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","path":"emails[type eq \"home\"]","value":{"value":"new@home.example"}}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com","active":true,
             "emails":[{"value":"new@home.example","type":"home"}]})json",
     {}},
    {"replace_filtered_no_match_creates_from_and_chain_Q7", "User", R"json({"userName":"bjensen"})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
               {"op":"replace","path":"phoneNumbers[type eq \"work\" and primary eq true].value","value":"+1 555 0100"}]})json",
     R"json({"userName":"bjensen","phoneNumbers":[{"type":"work","primary":true,"value":"+1 555 0100"}]})json", {}},
    {"sub_attribute_of_multi_valued_without_filter_creates_element", "User", R"json({"userName":"bjensen"})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"add","path":"emails.value","value":"bjensen@example.com"}]})json",
     R"json({"userName":"bjensen","emails":[{"value":"bjensen@example.com"}]})json", {}},
    {"sub_attribute_of_multi_valued_without_filter_sets_every_element", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","path":"emails.display","value":"Babs"}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com",
             "name":{"givenName":"Barbara","familyName":"Jensen"},"displayName":"Babs Jensen","active":true,
             "emails":[{"value":"bjensen@example.com","type":"work","primary":true,"display":"Babs"},
                       {"value":"babs@home.example","type":"home","display":"Babs"}]})json",
     {}},
    {"replace_null_removes", "User", R"json({"userName":"bjensen","title":"CTO"})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","path":"title","value":null}]})json",
     R"json({"userName":"bjensen"})json", {}},
    {"pathless_writes_password_for_normalizer", "User", R"json({"userName":"bjensen"})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","value":{"password":"t1meMa$heen"}}]})json",
     R"json({"userName":"bjensen","password":"t1meMa$heen"})json", {}},
    {"remove_filtered_element", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"remove","path":"emails[type eq \"home\"]"}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com",
             "name":{"givenName":"Barbara","familyName":"Jensen"},"displayName":"Babs Jensen","active":true,
             "emails":[{"value":"bjensen@example.com","type":"work","primary":true}]})json",
     {}},
    {"remove_last_filtered_element_unassigns", "User", kUserHomeEmailOnly,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"remove","path":"emails[value ew \"@HOME.EXAMPLE\"]"}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com",
             "active":true})json",
     {}},
    {"remove_filter_matching_nothing_is_noop", "User", kUserHomeEmailOnly,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"remove","path":"emails[type eq \"work\"]"}]})json",
     kUserHomeEmailOnly, {}},
    {"remove_absent_attribute_is_noop", "User", R"json({"userName":"bjensen"})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"remove","path":"title"}]})json",
     R"json({"userName":"bjensen"})json", {}},
    {"remove_sub_attribute", "User", R"json({"userName":"bjensen","name":{"givenName":"Barbara","familyName":"Jensen"}})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"remove","path":"name.givenName"}]})json",
     R"json({"userName":"bjensen","name":{"familyName":"Jensen"}})json", {}},
    {"remove_filtered_sub_attribute", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"remove","path":"emails[type eq \"work\"].primary"}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com",
             "name":{"givenName":"Barbara","familyName":"Jensen"},"displayName":"Babs Jensen","active":true,
             "emails":[{"value":"bjensen@example.com","type":"work"},
                       {"value":"babs@home.example","type":"home"}]})json",
     {}},
    {"remove_emails_with_value_array", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"Remove","path":"emails","value":[{"value":"BJENSEN@example.com"}]}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com",
             "name":{"givenName":"Barbara","familyName":"Jensen"},"displayName":"Babs Jensen","active":true,
             "emails":[{"value":"babs@home.example","type":"home"}]})json",
     {}},
    {"remove_extension_attribute_drops_empty_extension", "User",
     R"json({"userName":"bjensen","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D"}})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}]})json",
     R"json({"userName":"bjensen"})json", {}},
    {"remove_whole_extension_by_urn", "User", kEnterpriseUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
             "userName":"bjensen@example.com","active":true})json",
     {}},
    {"add_with_extension_urn_path", "User", R"json({"userName":"bjensen"})json",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
               {"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                "value":{"costCenter":"4130","division":"Theme Park"}}]})json",
     R"json({"userName":"bjensen","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{
               "costCenter":"4130","division":"Theme Park"}})json",
     {}},
    {"remove_all_members", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"remove","path":"members"}]})json",
     kGroup, {"remove_all"}},
    {"remove_members_or_of_value_eq", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"remove","path":"members[value eq \"a\" or value eq \"b\" or value eq \"c\"]"}]})json",
     kGroup, {"remove:a,b,c"}},
    {"remove_members_other_filter_is_remove_where", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"remove","path":"members[type eq \"Group\"]"}]})json",
     kGroup, {"remove_where"}},
    {"members_keep_type", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
               {"op":"add","path":"members","value":[{"value":"u1","type":"User"},{"value":"g2","type":"Group"}]}]})json",
     kGroup, {"add:u1/User,g2/Group"}},
    {"pathless_add_members", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"add","value":{"members":[{"value":"u1"}]}}]})json",
     kGroup, {"add:u1"}},
    {"pathless_replace_members_and_name", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","value":{"displayName":"Ops","members":[{"value":"u1"},{"value":"u2"}]}}]})json",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Ops"})json",
     {"replace_all:u1,u2"}},
};

class PatchApplyTest : public testing::TestWithParam<ApplyCase> {};

TEST_P(PatchApplyTest, Applies) {
  const ApplyCase& c = GetParam();
  Json before = Parse(c.before);
  auto ops = ParsePatchRequest(Parse(c.body));
  ASSERT_TRUE(ops.has_value()) << ops.error().detail;
  auto result = ApplyPatch(before, *ops, TypeNamed(c.type), Registry());
  ASSERT_TRUE(result.has_value()) << result.error().detail;
  Json after = Parse(c.after);
  EXPECT_EQ(Unordered(result->resource), Unordered(after))
      << "got      " << DumpJson(result->resource) << "\nexpected " << DumpJson(after);
  EXPECT_EQ(Render(result->member_ops), c.members);
  EXPECT_EQ(result->changed, Unordered(before) != Unordered(after));
}

INSTANTIATE_TEST_SUITE_P(Patch, PatchApplyTest, testing::ValuesIn(kApplyCases),
                         [](const testing::TestParamInfo<ApplyCase>& info) { return info.param.name; });

// ---- requests ApplyPatch rejects ---------------------------------------------------------------------------

struct RejectCase {
  const char* name;
  const char* type;
  const char* before;
  const char* body;
  ErrorType error;
  const char* detail_has;  // a substring of the error detail
};

const RejectCase kRejectCases[] = {
    {"unknown_attribute_path", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","path":"favouriteColour","value":"blue"}]})json",
     ErrorType::kInvalidPath, "Operations[0]: Unknown attribute 'favouriteColour'"},
    {"unknown_sub_attribute", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","path":"name.nickname","value":"x"}]})json",
     ErrorType::kInvalidPath, "Operations[0]"},
    {"unknown_pathless_key", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","value":{"displayName":"B","favouriteColour":"blue"}}]})json",
     ErrorType::kInvalidPath, "favouriteColour"},
    {"manager_Email_sub_attribute_is_unknown_Q23", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
               {"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.Email",
                "value":"boss@example.com"}]})json",
     ErrorType::kInvalidPath, "Operations[0]"},
    {"unknown_extension_urn", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
               {"op":"replace","path":"urn:example:params:scim:schemas:extension:acme:2.0:User:badge","value":"1"}]})json",
     ErrorType::kInvalidPath, "Operations[0]"},
    {"replace_id_is_readonly", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","path":"id","value":"other"}]})json",
     ErrorType::kMutability, "Operations[0]: Attribute 'id' is readOnly"},
    {"remove_meta_is_readonly", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"remove","path":"meta.lastModified"}]})json",
     ErrorType::kMutability, "readOnly"},
    {"add_groups_is_readonly", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"add","path":"groups","value":[{"value":"g1"}]}]})json",
     ErrorType::kMutability, "'groups' is readOnly"},
    {"manager_display_name_is_readonly", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","path":"manager.displayName","value":"Boss"}]})json",
     ErrorType::kMutability, "manager.displayName"},
    {"second_operation_fails_whole_request", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
               {"op":"replace","path":"displayName","value":"Applied?"},
               {"op":"replace","path":"nope","value":"x"}]})json",
     ErrorType::kInvalidPath, "Operations[1]"},
    {"array_for_single_valued", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","path":"displayName","value":["a","b"]}]})json",
     ErrorType::kInvalidValue, "Operations[0]: 'displayName' is single-valued"},
    {"object_for_string", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","path":"userName","value":{"value":"x"}}]})json",
     ErrorType::kInvalidValue, "'userName' expects a string"},
    {"number_for_complex", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"add","path":"emails","value":[5]}]})json",
     ErrorType::kInvalidValue, "'emails[0]' expects an object"},
    {"string_for_complex_without_value_sub", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","path":"name","value":"Barbara Jensen"}]})json",
     ErrorType::kInvalidValue, "'name' expects an object"},
    {"not_a_boolean", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","value":{"active":"yes"}}]})json",
     ErrorType::kInvalidValue, "'active' expects a boolean"},
    {"wrong_sub_attribute_type", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"add","path":"emails","value":[{"value":"a@b","primary":"maybe"}]}]})json",
     ErrorType::kInvalidValue, "'emails[0].primary' expects a boolean"},
    {"pathless_value_not_object", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","value":"False"}]})json",
     ErrorType::kInvalidValue, "Operations[0]: a path-less 'replace' needs an object value"},
    {"filter_on_single_valued", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","path":"name[givenName eq \"Barbara\"].familyName","value":"J"}]})json",
     ErrorType::kInvalidPath, "single-valued"},
    {"filter_names_unknown_sub_attribute", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","path":"emails[kind eq \"work\"].value","value":"a@b"}]})json",
     ErrorType::kInvalidPath, "'emails' has no sub-attribute 'kind'"},
    {"unknown_sub_after_filter", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","path":"emails[type eq \"work\"].address","value":"a@b"}]})json",
     ErrorType::kInvalidPath, "'address'"},
    {"filtered_no_match_not_eq_chain_Q7", "User", kUserHomeEmailOnly,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","path":"emails[type eq \"work\" or type eq \"other\"].value","value":"a@b"}]})json",
     ErrorType::kNoTarget, "Operations[0]: no element of 'emails'"},
    {"add_on_filtered_members", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"add","path":"members[value eq \"u1\"]","value":{"value":"u1"}}]})json",
     ErrorType::kInvalidPath, "use add or remove on members"},
    {"replace_on_filtered_members", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"replace","path":"members[value eq \"u1\"].display","value":"x"}]})json",
     ErrorType::kInvalidPath, "use add or remove on members"},
    {"member_without_value", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"add","path":"members","value":[{"value":"u1"},{"display":"b@x"}]}]})json",
     ErrorType::kInvalidValue, "'members[1]' needs a non-empty string 'value'"},
    {"member_value_not_string", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"add","path":"members","value":[{"value":42}]}]})json",
     ErrorType::kInvalidValue, "Operations[0]: 'members[0]'"},
    {"member_not_object", "Group", kGroup,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"add","path":"members","value":["u1"]}]})json",
     ErrorType::kInvalidValue, "'members[0]' must be an object"},
    {"members_on_user_is_unknown", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"add","path":"members","value":[{"value":"u1"}]}]})json",
     ErrorType::kInvalidPath, "Operations[0]"},
    {"remove_core_schema", "User", kUser,
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"remove","path":"urn:ietf:params:scim:schemas:core:2.0:User"}]})json",
     ErrorType::kInvalidPath, "cannot be removed"},
};

class PatchRejectTest : public testing::TestWithParam<RejectCase> {};

TEST_P(PatchRejectTest, Rejects) {
  const RejectCase& c = GetParam();
  auto ops = ParsePatchRequest(Parse(c.body));
  ASSERT_TRUE(ops.has_value()) << ops.error().detail;
  auto result = ApplyPatch(Parse(c.before), *ops, TypeNamed(c.type), Registry());
  ASSERT_FALSE(result.has_value()) << "applied: " << DumpJson(result->resource);
  EXPECT_EQ(result.error().type, c.error) << result.error().detail;
  EXPECT_NE(result.error().detail.find(c.detail_has), std::string::npos) << result.error().detail;
}

INSTANTIATE_TEST_SUITE_P(Patch, PatchRejectTest, testing::ValuesIn(kRejectCases),
                         [](const testing::TestParamInfo<RejectCase>& info) { return info.param.name; });

// ---- malformed PatchOp messages ----------------------------------------------------------------------------

struct ParseCase {
  const char* name;
  const char* body;
  ErrorType error;
  const char* detail_has;
};

const ParseCase kParseCases[] = {
    {"body_not_object", R"json([{"op":"add"}])json", ErrorType::kInvalidSyntax, "JSON object"},
    {"schemas_missing", R"json({"Operations":[{"op":"replace","value":{"active":false}}]})json",
     ErrorType::kInvalidSyntax, "PatchOp"},
    {"schemas_wrong_urn",
     R"json({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"Operations":[{"op":"replace","value":{}}]})json",
     ErrorType::kInvalidSyntax, "PatchOp"},
    {"operations_missing", R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]})json",
     ErrorType::kInvalidSyntax, "Operations"},
    {"operations_empty", R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]})json",
     ErrorType::kInvalidSyntax, "non-empty"},
    {"operations_not_array",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":{"op":"add"}})json",
     ErrorType::kInvalidSyntax, "Operations"},
    {"operation_not_object",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":["add"]})json",
     ErrorType::kInvalidSyntax, "Operations[0]"},
    {"op_missing",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"path":"title","value":"x"}]})json",
     ErrorType::kInvalidSyntax, "Operations[0]: 'op'"},
    {"op_unknown", R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
                            {"op":"add","path":"title","value":"a"},{"op":"remove","path":"title"},
                            {"op":"Upsert","path":"title","value":"b"}]})json",
     ErrorType::kInvalidSyntax, "Operations[2]: unknown PATCH op 'Upsert'"},
    {"remove_without_path",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove"}]})json",
     ErrorType::kNoTarget, "Operations[0]: 'remove' needs a 'path'"},
    {"remove_with_empty_path",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":""}]})json",
     ErrorType::kNoTarget, "Operations[0]"},
    {"add_without_value",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"title"}]})json",
     ErrorType::kInvalidValue, "Operations[0]: 'add' needs a 'value'"},
    {"replace_without_value",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace"}]})json",
     ErrorType::kInvalidValue, "'replace' needs a 'value'"},
    {"path_not_string",
     R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":5,"value":1}]})json",
     ErrorType::kInvalidPath, "Operations[0]"},
    {"path_malformed", R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
                                {"op":"replace","path":"title","value":"a"},
                                {"op":"remove","path":"emails[type eq \"work\""}]})json",
     ErrorType::kInvalidPath, "Operations[1]: invalid path"},
};

class PatchParseTest : public testing::TestWithParam<ParseCase> {};

TEST_P(PatchParseTest, Rejects) {
  const ParseCase& c = GetParam();
  auto ops = ParsePatchRequest(Parse(c.body));
  ASSERT_FALSE(ops.has_value());
  EXPECT_EQ(ops.error().type, c.error) << ops.error().detail;
  EXPECT_NE(ops.error().detail.find(c.detail_has), std::string::npos) << ops.error().detail;
}

INSTANTIATE_TEST_SUITE_P(Patch, PatchParseTest, testing::ValuesIn(kParseCases),
                         [](const testing::TestParamInfo<ParseCase>& info) { return info.param.name; });

// ---- single tests ---------------------------------------------------------------------------------------

TEST(PatchParse, KeepsWhatWasSent) {
  auto ops = ParsePatchRequest(Parse(R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      "Operations":[{"op":"Add","path":"emails[type eq \"work\"].value","value":"a@b"},
                    {"op":"REMOVE","path":"title"},
                    {"op":"replace","path":"","value":{"active":false}}]})json"));
  ASSERT_TRUE(ops.has_value()) << ops.error().detail;
  ASSERT_EQ(ops->size(), 3u);
  EXPECT_EQ((*ops)[0].op, PatchOpType::kAdd);
  ASSERT_TRUE((*ops)[0].path.has_value());
  EXPECT_EQ((*ops)[0].path->attr.name, "emails");
  EXPECT_NE((*ops)[0].path->value_filter, nullptr);
  EXPECT_EQ((*ops)[0].path->sub_after_filter, "value");
  EXPECT_EQ((*ops)[0].path_text, "emails[type eq \"work\"].value");
  EXPECT_EQ((*ops)[0].value, Json("a@b"));
  EXPECT_EQ((*ops)[1].op, PatchOpType::kRemove);
  EXPECT_FALSE((*ops)[1].value.has_value());
  EXPECT_EQ((*ops)[2].op, PatchOpType::kReplace);
  EXPECT_FALSE((*ops)[2].path.has_value());  // "" is path-less
}

TEST(PatchParse, OperationLimit) {
  Json body = Parse(R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]})json");
  Json op = Parse(R"json({"op":"remove","path":"title"})json");
  body["Operations"] = Json::array();
  for (size_t i = 0; i < kMaxPatchOperations; ++i) body["Operations"].push_back(op);
  EXPECT_TRUE(ParsePatchRequest(body).has_value());
  body["Operations"].push_back(op);
  auto too_many = ParsePatchRequest(body);
  ASSERT_FALSE(too_many.has_value());
  EXPECT_EQ(too_many.error().type, ErrorType::kInvalidValue);
  EXPECT_EQ(too_many.error().detail, "A PATCH body may hold at most 1000 operations, this one has 1001");
}

// max_patch_operations lowers the limit; the error names it.
TEST(PatchParse, LoweredOperationLimit) {
  DocumentLimits limits;
  limits.patch_operations = 3;
  Json body = Parse(R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]})json");
  for (int i = 0; i < 3; ++i) body["Operations"].push_back(Parse(R"json({"op":"remove","path":"title"})json"));
  EXPECT_TRUE(ParsePatchRequest(body, nullptr, limits).has_value());
  body["Operations"].push_back(Parse(R"json({"op":"remove","path":"title"})json"));
  EXPECT_TRUE(ParsePatchRequest(body).has_value());
  auto too_many = ParsePatchRequest(body, nullptr, limits);
  ASSERT_FALSE(too_many.has_value());
  EXPECT_EQ(too_many.error().type, ErrorType::kInvalidValue);
  EXPECT_EQ(too_many.error().detail, "A PATCH body may hold at most 3 operations, this one has 4");

  // Paths keep to the filter limits.
  limits.filter_depth = 4;
  Json deep = Parse(R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      "Operations":[{"op":"remove","path":"emails[((((type eq \"work\"))))]"}]})json");
  EXPECT_TRUE(ParsePatchRequest(deep).has_value());
  auto refused = ParsePatchRequest(deep, nullptr, limits);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().type, ErrorType::kInvalidPath);
  EXPECT_NE(refused.error().detail.find("nested deeper than the limit of 4 levels"), std::string::npos)
      << refused.error().detail;
}

// A hostile value nested far deeper than the stack allows is refused before anything copies it.
TEST(PatchParse, ValueDepthLimit) {
  Json body = Parse(R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                            "Operations":[{"op":"add","path":"title"}]})json");
  // ParseJson refuses such nesting at the edge; a document built another way must still be safe.
  Json deep = Json::parse(std::string(20000, '[') + std::string(20000, ']'));
  body["Operations"][0]["value"] = std::move(deep);  // moved, not copied
  auto ops = ParsePatchRequest(body);
  ASSERT_FALSE(ops.has_value());
  EXPECT_EQ(ops.error().type, ErrorType::kInvalidValue);
  EXPECT_NE(ops.error().detail.find("Operations[0]: 'value' nests deeper"), std::string::npos);
}

// Multi-valued attributes other than members are capped, which keeps add's duplicate check cheap.
TEST(PatchApply, MultiValuedLimit) {
  Json body = Parse(R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                            "Operations":[{"op":"add","path":"emails","value":[]}]})json");
  for (size_t i = 0; i < kMaxAttributeValues; ++i) {
    body["Operations"][0]["value"].push_back(Json{{"value", "u" + std::to_string(i) + "@example.com"}});
  }
  auto ops = ParsePatchRequest(body);
  ASSERT_TRUE(ops.has_value());
  auto at_limit = ApplyPatch(Parse(R"json({"userName":"bjensen"})json"), *ops, TypeNamed("User"), Registry());
  ASSERT_TRUE(at_limit.has_value()) << at_limit.error().detail;
  EXPECT_EQ((*FindMember(at_limit->resource, "emails")).size(), kMaxAttributeValues);
  auto over = ApplyPatch(Parse(kUser), *ops, TypeNamed("User"), Registry());
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error().type, ErrorType::kInvalidValue);
  EXPECT_EQ(over.error().detail, "Operations[0]: 'emails' may hold at most 1000 values");
}

// A PATCH body of one operation whose value is `count` emails, "<prefix>0@example.com", ...
Json EmailsOp(std::string_view op, std::string_view path, int count, std::string_view prefix = "u") {
  Json body = Parse(R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]})json");
  Json value = Json::array();
  for (int i = 0; i < count; ++i) {
    value.push_back(Json{{"value", std::string(prefix) + std::to_string(i) + "@example.com"}});
  }
  Json operation{{"op", std::string(op)}, {"path", std::string(path)}, {"value", std::move(value)}};
  body["Operations"] = Json::array({std::move(operation)});
  return body;
}

// max_attribute_values lowers the limit for every way an operation writes elements; the errors
// name it. Group members are not in the document and are not limited.
TEST(PatchApply, LoweredMultiValuedLimit) {
  DocumentLimits limits;
  limits.attribute_values = 10;
  const Json bare = Parse(R"json({"userName":"bjensen"})json");
  auto apply = [&](const Json& body, const Json& document, std::string_view type) {
    auto ops = ParsePatchRequest(body, nullptr, limits);
    EXPECT_TRUE(ops.has_value()) << ops.error().detail;
    return ApplyPatch(document, ops ? *ops : std::vector<PatchOperation>{}, TypeNamed(type), Registry(), nullptr,
                      limits);
  };

  auto at_limit = apply(EmailsOp("add", "emails", 10), bare, "User");
  ASSERT_TRUE(at_limit.has_value()) << at_limit.error().detail;
  EXPECT_EQ(FindMember(at_limit->resource, "emails")->size(), 10u);
  EXPECT_TRUE(apply(EmailsOp("replace", "emails", 10), at_limit->resource, "User").has_value());

  struct Case {
    const char* name;
    Json body;
    Json document;
    std::string detail;
  };
  const Json filtered_add = Parse(R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      "Operations":[{"op":"add","path":"emails[type eq \"work\"].value","value":"w@example.com"}]})json");
  const Case cases[] = {
      {"add: the value array", EmailsOp("add", "emails", 11), bare,
       "Operations[0]: 'emails' may hold at most 10 values, the value has 11"},
      {"add: the document after it", EmailsOp("add", "emails", 1, "new"), at_limit->resource,
       "Operations[0]: 'emails' may hold at most 10 values"},
      {"replace", EmailsOp("replace", "emails", 11), bare,
       "Operations[0]: 'emails' may hold at most 10 values, the value has 11"},
      {"add on a filter that creates an element", filtered_add, at_limit->resource,
       "Operations[0]: 'emails' may hold at most 10 values"},
      {"remove naming values", EmailsOp("remove", "emails", 11), at_limit->resource,
       "Operations[0]: 'remove' on 'emails' may name at most 10 values"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto refused = apply(c.body, c.document, "User");
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().type, ErrorType::kInvalidValue);
    EXPECT_EQ(refused.error().detail, c.detail);
    // Without the lowered limit the same operation applies.
    auto ops = ParsePatchRequest(c.body);
    ASSERT_TRUE(ops.has_value());
    EXPECT_TRUE(ApplyPatch(c.document, *ops, TypeNamed("User"), Registry()).has_value());
  }

  Json members = Parse(R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                               "Operations":[{"op":"add","path":"members","value":[]}]})json");
  for (int i = 0; i < 50; ++i) members["Operations"][0]["value"].push_back(Json{{"value", "u" + std::to_string(i)}});
  auto group = apply(members, Parse(kGroup), "Group");
  ASSERT_TRUE(group.has_value()) << group.error().detail;
  ASSERT_EQ(group->member_ops.size(), 1u);
  EXPECT_EQ(group->member_ops[0].members.size(), 50u);
}

// Okta pushes up to 256 members in one operation (Ory Polis PR #4080): one kAdd, in order.
TEST(PatchMembers, OktaBatchOf256IsOneAdd) {
  Json body = Parse(R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                            "Operations":[{"op":"add","path":"members","value":[]}]})json");
  for (int i = 0; i < 256; ++i) {
    body["Operations"][0]["value"].push_back(
        Json{{"value", "user-" + std::to_string(i)}, {"display", "u" + std::to_string(i) + "@okta.local"}});
  }
  auto ops = ParsePatchRequest(body);
  ASSERT_TRUE(ops.has_value()) << ops.error().detail;
  auto result = ApplyPatch(Parse(kGroup), *ops, TypeNamed("Group"), Registry());
  ASSERT_TRUE(result.has_value()) << result.error().detail;
  ASSERT_EQ(result->member_ops.size(), 1u);
  EXPECT_EQ(result->member_ops[0].kind, MemberOp::Kind::kAdd);
  ASSERT_EQ(result->member_ops[0].members.size(), 256u);
  EXPECT_EQ(result->member_ops[0].members[0].value, "user-0");
  EXPECT_EQ(result->member_ops[0].members[255].value, "user-255");
  EXPECT_FALSE(result->changed);
}

// kRemoveWhere carries the request's filter; storage evaluates it over {value, type, display}.
TEST(PatchMembers, RemoveWhereKeepsFilter) {
  auto ops = ParsePatchRequest(Parse(R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      "Operations":[{"op":"remove","path":"members[type eq \"Group\" and value sw \"g-\"]"}]})json"));
  ASSERT_TRUE(ops.has_value()) << ops.error().detail;
  auto result = ApplyPatch(Parse(kGroup), *ops, TypeNamed("Group"), Registry());
  ASSERT_TRUE(result.has_value()) << result.error().detail;
  ASSERT_EQ(result->member_ops.size(), 1u);
  ASSERT_NE(result->member_ops[0].where, nullptr);
  EXPECT_TRUE(Matches(*result->member_ops[0].where, Parse(R"json({"value":"g-1","type":"Group"})json")));
  EXPECT_FALSE(Matches(*result->member_ops[0].where, Parse(R"json({"value":"u-1","type":"User"})json")));
}

// ApplyPatch works on a copy: the caller's document is untouched, also when an operation fails.
TEST(PatchApply, InputIsNeverModified) {
  const Json before = Parse(kUser);
  const Json copy = before;
  auto ops = ParsePatchRequest(Parse(R"json({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      "Operations":[{"op":"replace","path":"displayName","value":"X"},{"op":"remove","path":"emails"}]})json"));
  ASSERT_TRUE(ops.has_value());
  auto result = ApplyPatch(before, *ops, TypeNamed("User"), Registry());
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->changed);
  EXPECT_EQ(before, copy);
}

// Immutable attributes (RFC 7643 §2.2) may be set when unassigned, never changed or removed.
TEST(PatchApply, ImmutableAttribute) {
  Json schemas = Parse(R"json([{"id":"urn:example:schemas:Badge","name":"Badge","attributes":[
      {"name":"holder","type":"string","mutability":"readWrite"},
      {"name":"serial","type":"string","mutability":"immutable"},
      {"name":"issue","type":"complex","subAttributes":[
        {"name":"office","type":"string","mutability":"immutable"},
        {"name":"note","type":"string"}]}]}])json");
  Json types = Parse(R"json([{"id":"Badge","name":"Badge","endpoint":"/Badges",
                              "schema":"urn:example:schemas:Badge"}])json");
  auto registry = SchemaRegistry::Load(schemas, types);
  ASSERT_TRUE(registry.has_value()) << registry.error().detail;
  const ResourceType& type = *(*registry)->FindResourceType("Badge");
  auto apply = [&](const char* before, const char* operations) {
    auto ops = ParsePatchRequest(Parse(std::string(R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)") +
                                       R"("Operations":)" + operations + "}"));
    EXPECT_TRUE(ops.has_value());
    return ApplyPatch(Parse(before), *ops, type, **registry);
  };
  EXPECT_TRUE(apply(R"({"holder":"a"})", R"([{"op":"add","path":"serial","value":"S1"}])").has_value());
  EXPECT_TRUE(apply(R"({"serial":"S1"})", R"([{"op":"replace","value":{"serial":"S1","holder":"b"}}])").has_value());
  auto changed = apply(R"({"serial":"S1"})", R"([{"op":"replace","path":"serial","value":"S2"}])");
  ASSERT_FALSE(changed.has_value());
  EXPECT_EQ(changed.error().type, ErrorType::kMutability);
  EXPECT_NE(changed.error().detail.find("Operations[0]: Attribute 'serial' is immutable"), std::string::npos);
  auto removed = apply(R"({"serial":"S1"})", R"([{"op":"remove","path":"serial"}])");
  ASSERT_FALSE(removed.has_value());
  EXPECT_EQ(removed.error().type, ErrorType::kMutability);
  EXPECT_TRUE(apply(R"({"issue":{"office":"HQ"}})", R"([{"op":"add","path":"issue.note","value":"n"}])").has_value());
  auto sub = apply(R"({"issue":{"office":"HQ"}})", R"([{"op":"replace","path":"issue","value":{"office":"Remote"}}])");
  ASSERT_FALSE(sub.has_value());
  EXPECT_EQ(sub.error().type, ErrorType::kMutability);
  EXPECT_NE(sub.error().detail.find("issue.office"), std::string::npos);
}

}  // namespace
}  // namespace scim::core
