// PATCH application. Input: a PatchOp body, or "<stored document>\0<PatchOp body>". The stored
// document is the part before the first NUL normalized as a create body (when that fails, or there
// is no NUL, a fixed User and a fixed Group are used). Then ParsePatchRequest, ApplyPatch on the
// stored User and Group (no quirk log, lenient, strict), and NormalizeResource(kPatchResult) on
// every result. Nothing may crash; an unchanged result must equal the stored document.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>

#include "core/json.h"
#include "core/patch.h"
#include "core/quirks.h"
#include "core/schema.h"
#include "core/validate.h"

namespace {

using namespace scim::core;

constexpr std::string_view kId = "2819c223-7f76-453a-919d-413861904646";

constexpr std::string_view kUser = R"json({
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "externalId": "00u1abcd",
  "userName": "bjensen@example.com",
  "name": {"formatted": "Ms. Barbara J Jensen", "givenName": "Barbara", "familyName": "Jensen"},
  "displayName": "Babs Jensen",
  "title": "Tour Guide",
  "active": true,
  "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true},
             {"value": "babs@jensen.org", "type": "home"}],
  "phoneNumbers": [{"value": "555-555-8377", "type": "work"}],
  "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood",
                 "region": "CA", "postalCode": "91608", "country": "USA", "primary": true}],
  "roles": [{"value": "admin", "display": "Admin", "type": "app", "primary": false}],
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
    "employeeNumber": "701984", "costCenter": "4130", "organization": "Universal Studios",
    "division": "Theme Park", "department": "Tour Operations",
    "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}
  }
})json";

constexpr std::string_view kGroup = R"json({
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
  "externalId": "g-001",
  "displayName": "Tour Guides"
})json";

const SchemaRegistry& Registry() {
  static const std::shared_ptr<const SchemaRegistry> registry = [] {
    auto loaded = SchemaRegistry::LoadDefault();
    if (!loaded) {
      std::fprintf(stderr, "LoadDefault failed: %s\n", loaded.error().detail.c_str());
      std::abort();
    }
    return *loaded;
  }();
  return *registry;
}

// The stored form of `body` (as the server keeps it: normalized, with its id), or nullopt.
std::optional<Json> Stored(const Json& body, const ResourceType& type) {
  auto normalized = NormalizeResource(body, type, Registry(), WriteContext::kCreate);
  if (!normalized) return std::nullopt;
  Json stored = std::move(normalized->resource);
  stored["id"] = kId;
  return stored;
}

const Json& FixedStored(const ResourceType& type) {
  static const Json user = [] {
    auto json = ParseJson(kUser);
    auto stored = json ? Stored(*json, *Registry().FindResourceType("User")) : std::nullopt;
    if (!stored) std::abort();
    return *stored;
  }();
  static const Json group = [] {
    auto json = ParseJson(kGroup);
    auto stored = json ? Stored(*json, *Registry().FindResourceType("Group")) : std::nullopt;
    if (!stored) std::abort();
    return *stored;
  }();
  return type.id == "User" ? user : group;
}

void Apply(const Json& stored, const Json& body, const ResourceType& type, QuirkLog* quirks) {
  auto ops = ParsePatchRequest(body, quirks);
  if (!ops) return;
  auto patched = ApplyPatch(stored, *ops, type, Registry(), quirks);
  if (!patched) return;
  if (!patched->changed && patched->resource != stored) {
    std::fprintf(stderr, "ApplyPatch reports no change but the document changed\n  before: %s\n  after:  %s\n",
                 DumpJson(stored).c_str(), DumpJson(patched->resource).c_str());
    std::abort();
  }
  auto normalized = NormalizeResource(patched->resource, type, Registry(), WriteContext::kPatchResult, quirks);
  if (normalized) (void)DumpJson(normalized->resource);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::optional<Json> stored_body;
  if (size_t nul = input.find('\0'); nul != std::string_view::npos) {
    auto parsed = ParseJson(input.substr(0, nul));
    if (parsed) stored_body = std::move(*parsed);
    input.remove_prefix(nul + 1);
  }
  auto body = ParseJson(input);
  if (!body) return 0;
  for (const char* type_id : {"User", "Group"}) {
    const ResourceType& type = *Registry().FindResourceType(type_id);
    std::optional<Json> own = stored_body ? Stored(*stored_body, type) : std::nullopt;
    const Json& stored = own ? *own : FixedStored(type);
    Apply(stored, *body, type, nullptr);
    QuirkLog lenient(true);
    Apply(stored, *body, type, &lenient);
    QuirkLog strict(false);
    Apply(stored, *body, type, &strict);
  }
  return 0;
}
