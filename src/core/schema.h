// SCIM schemas (RFC 7643 §2, §7) as data: attribute definitions, resource types, and an immutable
// registry that resolves attribute paths case-insensitively. Schemas are loaded from the JSON files
// in schemas/ (compiled into the binary), never hand-written as C++ structs.
// A SchemaRegistry is immutable after construction and safe to share across threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/json.h"

namespace scim::core {

inline constexpr std::string_view kUserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
inline constexpr std::string_view kGroupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group";
inline constexpr std::string_view kEnterpriseUserSchema =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
inline constexpr std::string_view kListResponseSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
inline constexpr std::string_view kPatchOpSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
inline constexpr std::string_view kErrorSchema = "urn:ietf:params:scim:api:messages:2.0:Error";
inline constexpr std::string_view kSearchRequestSchema = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
// The `schemas` value of the documents served at /Schemas and /ResourceTypes.
inline constexpr std::string_view kSchemaSchema = "urn:ietf:params:scim:schemas:core:2.0:Schema";
inline constexpr std::string_view kResourceTypeSchema = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";

// A member scimd adds to the attribute definitions a tenant declares (core/tenant_schema.h) before
// loading them: it sets Attribute::closed_values and is never served.
inline constexpr std::string_view kDeclaredByTenantKey = "x-scimd-declared";

enum class AttrType { kString, kBoolean, kDecimal, kInteger, kDateTime, kBinary, kReference, kComplex };
enum class Mutability { kReadOnly, kReadWrite, kImmutable, kWriteOnly };
enum class Returned { kAlways, kNever, kDefault, kRequest };
enum class Uniqueness { kNone, kServer, kGlobal };

// The RFC 7643 §7 spelling of each characteristic value ("dateTime", "readOnly", "server", ...),
// for definitions and error messages.
std::string_view ToString(AttrType type);
std::string_view ToString(Mutability mutability);
std::string_view ToString(Returned returned);
std::string_view ToString(Uniqueness uniqueness);

struct Attribute {
  std::string name;  // canonical spelling, e.g. "userName"
  AttrType type = AttrType::kString;
  bool multi_valued = false;
  bool required = false;
  bool case_exact = false;
  Mutability mutability = Mutability::kReadWrite;
  Returned returned = Returned::kDefault;
  Uniqueness uniqueness = Uniqueness::kNone;
  std::vector<std::string> canonical_values;
  std::vector<std::string> reference_types;
  std::string description;
  std::vector<Attribute> sub_attributes;  // only for kComplex
  // canonicalValues are a closed list: set on attributes a tenant declared (core/tenant_schema.h).
  // On the RFC's own core attributes they stay suggestions.
  bool closed_values = false;

  // Case-insensitive lookup of a sub-attribute; nullptr when absent.
  const Attribute* FindSub(std::string_view sub_name) const;
};

struct Schema {
  std::string id;  // the URN
  std::string name;
  std::string description;
  std::vector<Attribute> attributes;
  Json definition;  // the RFC 7643 §7 representation served at /Schemas (without meta)

  const Attribute* Find(std::string_view attr_name) const;  // case-insensitive
};

// A path to an attribute as written in a filter or a PATCH path, before binding:
// [urn ":"] name ["." sub].  e.g. {"", "name", "familyName"},
// {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "manager", "value"}.
struct AttrPath {
  std::string urn;   // empty when not fully qualified
  std::string name;
  std::string sub;   // empty when absent
  std::string ToString() const;
};

struct SchemaExtensionRef {
  std::string schema;  // URN
  bool required = false;
};

struct ResourceType {
  std::string id;        // "User"
  std::string name;      // "User"
  std::string endpoint;  // "/Users"
  std::string description;
  std::string schema;    // core schema URN
  std::vector<SchemaExtensionRef> extensions;
  Json definition;       // the RFC 7643 §6 representation served at /ResourceTypes (without meta)
  // Attributes and sub-attributes whose `returned` is not "default", over the core schema and the
  // extensions (urn empty for core attributes, the extension URN otherwise), set by
  // SchemaRegistry::Load: a response always carries the `always` ones, never the `never` ones, and
  // the `request` ones only when `attributes` names them. The core `password` is not listed as
  // `never`: NormalizeResource keeps it out of the document (only its hash is stored).
  std::vector<AttrPath> returned_always;
  std::vector<AttrPath> returned_never;
  std::vector<AttrPath> returned_request;
};

// An AttrPath bound to its schema definitions.
struct ResolvedAttr {
  const Schema* schema = nullptr;      // the schema the attribute belongs to
  const Attribute* attr = nullptr;     // the top-level attribute
  const Attribute* sub = nullptr;      // the sub-attribute, or nullptr
  bool in_extension = false;           // true when `schema` is an extension (value lives under its URN key)
  // The attribute the path finally names (sub if present, else attr).
  const Attribute& Leaf() const { return sub ? *sub : *attr; }
};

class SchemaRegistry {
 public:
  // The built-in schemas: core User, Group, EnterpriseUser, and the User and Group resource types.
  // Fails only if the compiled-in schema files are malformed (a bug).
  static Result<std::shared_ptr<const SchemaRegistry>> LoadDefault();
  // The compiled-in documents LoadDefault builds from: {schemas array, resource types array}.
  static Result<std::pair<Json, Json>> BuiltInDocuments();

  // Builds a registry from RFC 7643 §7 schema documents and §6 resource type documents, each given
  // as a JSON array. Characteristics left out get the RFC 7643 §2.2 defaults (required false,
  // caseExact false, mutability readWrite, returned default, uniqueness none, multiValued false);
  // names and characteristic values ("dateTime", "readOnly") match case-insensitively. Each
  // Schema/ResourceType `definition` is regenerated with every characteristic spelled out and
  // `schemas` set to kSchemaSchema / kResourceTypeSchema; the caller adds `meta`.
  // Errors: kInvalidValue naming the offending schema or attribute (unknown type or characteristic
  // value, invalid or duplicate name, complex attribute without sub-attributes, complex
  // sub-attribute, duplicate schema or resource type, resource type naming a schema not loaded).
  static Result<std::shared_ptr<const SchemaRegistry>> Load(const Json& schemas, const Json& resource_types);

  const Schema* FindSchema(std::string_view urn) const;               // case-insensitive
  const ResourceType* FindResourceType(std::string_view id) const;    // "User", case-insensitive
  const std::vector<Schema>& schemas() const { return schemas_; }
  const std::vector<ResourceType>& resource_types() const { return resource_types_; }

  // Resolves `path` against `type`: an unqualified name is looked up in the core schema first, then
  // in the extensions; a URN must be the core schema or one of the type's extensions (any case).
  // `path.name` is one attribute name: the caller has already split "name.familyName".
  // On success the pointers point into this registry and live as long as it does.
  // Errors: kInvalidPath naming the path: "Unknown schema URN 'urn:…' for User",
  // "Unknown attribute 'foo' on User", a sub-attribute on a non-complex attribute, an unknown sub.
  Result<ResolvedAttr> Resolve(const ResourceType& type, const AttrPath& path) const;

  // Entra's two other spellings of an extension attribute (TRAFFIC.md §2.2 item 10) [Q24], for an
  // extension urn:ietf:params:scim:schemas:extension:NAME:2.0:User of `type`:
  //   urn:ietf:params:scim:schemas:extension:2.0:NAME:attr         -> {that URN, attr}
  //   urn:ietf:params:scim:schemas:extension:NAME:2.0:User.attr:value -> {that URN, attr} (".value"
  //   when attr is complex with a `value` sub-attribute)
  // as parsed by ParseAttrPath. Errors: kInvalidPath when `path` is neither or names nothing.
  Result<ResolvedAttr> ResolveEntraSpelling(const ResourceType& type, const AttrPath& path) const;

  // Schemas that apply to `type`: the core schema then its extensions (never nullptr entries).
  std::vector<const Schema*> SchemasOf(const ResourceType& type) const;

 private:
  std::vector<Schema> schemas_;
  std::vector<ResourceType> resource_types_;
};

}  // namespace scim::core
