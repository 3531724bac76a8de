// SCIM schemas (RFC 7643 §2, §7) as data: attribute definitions, resource types, and an immutable
// registry that resolves attribute paths case-insensitively. Schemas are loaded from the JSON files
// in schemas/ (compiled into the binary), never hand-written as C++ structs.
// A SchemaRegistry is immutable after construction and safe to share across threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
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

enum class AttrType { kString, kBoolean, kDecimal, kInteger, kDateTime, kBinary, kReference, kComplex };
enum class Mutability { kReadOnly, kReadWrite, kImmutable, kWriteOnly };
enum class Returned { kAlways, kNever, kDefault, kRequest };
enum class Uniqueness { kNone, kServer, kGlobal };

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

  // Builds a registry from RFC 7643 §7 schema documents and §6 resource type documents.
  // Errors: kInvalidValue naming the offending schema or attribute.
  static Result<std::shared_ptr<const SchemaRegistry>> Load(const Json& schemas, const Json& resource_types);

  const Schema* FindSchema(std::string_view urn) const;               // case-insensitive
  const ResourceType* FindResourceType(std::string_view id) const;    // "User", case-insensitive
  const std::vector<Schema>& schemas() const { return schemas_; }
  const std::vector<ResourceType>& resource_types() const { return resource_types_; }

  // Resolves `path` against `type`: an unqualified name is looked up in the core schema first, then
  // in the extensions; a URN must be the core schema or one of the type's extensions.
  // A path may also be given with the URN alone in `name` form parsing already done by the caller.
  // Errors: kInvalidPath naming the path ("Unknown attribute 'foo' on User").
  Result<ResolvedAttr> Resolve(const ResourceType& type, const AttrPath& path) const;

  // Schemas that apply to `type`: the core schema then its extensions (never nullptr entries).
  std::vector<const Schema*> SchemasOf(const ResourceType& type) const;

 private:
  std::vector<Schema> schemas_;
  std::vector<ResourceType> resource_types_;
};

}  // namespace scim::core
