#include "core/tenant_schema.h"

#include <algorithm>
#include <array>
#include <string>

namespace scim::core {
namespace {

// Core attributes with a meaning to scimd (indexed columns, membership, the password's hash,
// deactivation): a tenant cannot redefine them.
constexpr std::array<std::string_view, 10> kProtectedCoreAttributes = {
    "id", "externalId", "meta", "userName", "displayName", "password", "active", "emails", "groups", "members"};

bool StartsWithI(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && IEquals(text.substr(0, prefix.size()), prefix);
}

bool EndsWithI(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && IEquals(text.substr(text.size() - suffix.size()), suffix);
}

// The resource type an extension URN extends ("User", "Group"), or empty.
std::string_view ExtendedType(std::string_view urn) {
  if (EndsWithI(urn, ":User")) return "User";
  if (EndsWithI(urn, ":Group")) return "Group";
  return {};
}

std::string IdOf(const Json& document) {
  auto id = document.find("id");
  return id != document.end() && id->is_string() ? id->get<std::string>() : std::string();
}

std::string NameOf(const Json& attribute) {
  auto name = attribute.find("name");
  return name != attribute.end() && name->is_string() ? name->get<std::string>() : std::string();
}

// Marks an attribute definition and its sub-attributes as declared by a tenant.
void MarkDeclared(Json& attribute) {
  attribute[std::string(kDeclaredByTenantKey)] = true;
  if (auto subs = attribute.find("subAttributes"); subs != attribute.end() && subs->is_array()) {
    for (Json& sub : *subs) {
      if (sub.is_object()) MarkDeclared(sub);
    }
  }
}

Json* FindById(Json& array, std::string_view id) {
  for (Json& element : array) {
    if (element.is_object() && IEquals(IdOf(element), id)) return &element;
  }
  return nullptr;
}

}  // namespace

bool IsCoreSchemaUrn(std::string_view urn) { return IEquals(urn, kUserSchema) || IEquals(urn, kGroupSchema); }

Result<std::vector<Json>> ReadSchemaFile(const Json& file) {
  std::vector<Json> documents;
  if (file.is_object()) {
    documents.push_back(file);
  } else if (file.is_array() && !file.empty()) {
    for (const Json& element : file) documents.push_back(element);
  } else {
    return Fail(ErrorType::kInvalidValue, "A schema file holds one RFC 7643 Schema object or a non-empty array of them");
  }
  for (size_t i = 0; i < documents.size(); ++i) {
    const Json& document = documents[i];
    std::string where = documents.size() == 1 ? "The schema" : "Schema " + std::to_string(i + 1) + " of the file";
    if (!document.is_object()) return Fail(ErrorType::kInvalidValue, where + " is not a JSON object");
    std::string id = IdOf(document);
    if (id.empty()) return Fail(ErrorType::kInvalidValue, where + " has no string 'id' (its URN)");
    where = "Schema '" + id + "'";
    if (!StartsWithI(id, "urn:")) return Fail(ErrorType::kInvalidValue, where + ": the id must be a URN");
    if (IEquals(id, kEnterpriseUserSchema)) {
      return Fail(ErrorType::kInvalidValue, where + " is built in; declare another extension for your attributes");
    }
    if (!IsCoreSchemaUrn(id) && ExtendedType(id).empty()) {
      return Fail(ErrorType::kInvalidValue,
                  where + ": an extension's URN ends in ':User' or ':Group', naming the resource type it extends "
                          "(e.g. urn:ietf:params:scim:schemas:extension:acme:1.0:User)");
    }
    auto attributes = document.find("attributes");
    if (attributes == document.end() || !attributes->is_array()) {
      return Fail(ErrorType::kInvalidValue, where + " needs an 'attributes' array");
    }
    for (size_t j = 0; j < i; ++j) {
      if (IEquals(IdOf(documents[j]), id)) {
        return Fail(ErrorType::kInvalidValue, where + " is in the file twice");
      }
    }
  }
  return documents;
}

std::vector<Json> ApplySchemaDocuments(std::vector<Json> current, const std::vector<Json>& incoming) {
  for (const Json& document : incoming) {
    std::string id = IdOf(document);
    auto same = std::find_if(current.begin(), current.end(), [&](const Json& d) { return IEquals(IdOf(d), id); });
    if (same == current.end()) {
      current.push_back(document);
      continue;
    }
    if (!IsCoreSchemaUrn(id)) {
      *same = document;
      continue;
    }
    Json& attributes = (*same)["attributes"];
    for (const Json& attribute : document["attributes"]) {
      std::string name = NameOf(attribute);
      bool replaced = false;
      for (Json& existing : attributes) {
        if (!replaced && IEquals(NameOf(existing), name)) {
          existing = attribute;
          replaced = true;
        }
      }
      if (!replaced) attributes.push_back(attribute);
    }
  }
  return current;
}

Result<std::shared_ptr<const SchemaRegistry>> BuildTenantRegistry(const std::vector<Json>& documents) {
  auto built_in = SchemaRegistry::BuiltInDocuments();
  if (!built_in) return std::unexpected(built_in.error());
  Json schemas = built_in->first;
  Json types = built_in->second;
  for (Json document : documents) {
    std::string id = IdOf(document);
    for (Json& attribute : document["attributes"]) {
      if (attribute.is_object()) MarkDeclared(attribute);
    }
    if (IsCoreSchemaUrn(id)) {
      Json* core = FindById(schemas, id);
      if (core == nullptr) return Fail(ErrorType::kInternal, "Built-in schema '" + id + "' is missing");
      Json& attributes = (*core)["attributes"];
      for (const Json& attribute : document["attributes"]) {
        std::string name = NameOf(attribute);
        for (std::string_view protected_name : kProtectedCoreAttributes) {
          if (IEquals(name, protected_name)) {
            return Fail(ErrorType::kInvalidValue, "Schema '" + id + "': the core attribute '" + name +
                                                      "' cannot be redefined (scimd relies on its meaning)");
          }
        }
        bool replaced = false;
        for (Json& existing : attributes) {
          if (!replaced && IEquals(NameOf(existing), name)) {
            existing = attribute;
            replaced = true;
          }
        }
        if (!replaced) attributes.push_back(attribute);
      }
      continue;
    }
    if (document.find("name") == document.end()) document["name"] = id.substr(id.rfind(':', id.size() - 6) + 1);
    schemas.push_back(document);
    Json* type = FindById(types, ExtendedType(id));
    if (type == nullptr) return Fail(ErrorType::kInternal, "Built-in resource type for '" + id + "' is missing");
    (*type)["schemaExtensions"].push_back({{"schema", id}, {"required", false}});
  }
  return SchemaRegistry::Load(schemas, types);
}

SplitDocument SplitBySchema(const Json& document, const ResourceType& type, const SchemaRegistry& registry) {
  const std::vector<const Schema*> schemas = registry.SchemasOf(type);
  SplitDocument split{Json::object(), Json::object()};
  split.visible["schemas"] = Json::array();
  if (!document.is_object() || schemas.empty()) return split;
  std::vector<bool> present(schemas.size(), false);
  present[0] = true;
  for (auto it = document.begin(); it != document.end(); ++it) {
    const std::string& key = it.key();
    if (key == "schemas") continue;
    if (schemas[0]->Find(key) != nullptr) {
      split.visible[key] = it.value();
      continue;
    }
    size_t extension = 0;
    for (size_t i = 1; i < schemas.size() && extension == 0; ++i) {
      if (IEquals(schemas[i]->id, key)) extension = i;
    }
    if (extension == 0 || !it.value().is_object()) {
      split.hidden[key] = it.value();
      continue;
    }
    for (auto attr = it.value().begin(); attr != it.value().end(); ++attr) {
      if (schemas[extension]->Find(attr.key()) != nullptr) {
        split.visible[schemas[extension]->id][attr.key()] = attr.value();
        present[extension] = true;
      } else {
        split.hidden[key][attr.key()] = attr.value();
      }
    }
  }
  for (size_t i = 0; i < schemas.size(); ++i) {
    if (present[i]) split.visible["schemas"].push_back(schemas[i]->id);
  }
  return split;
}

Json MergeHidden(Json document, const Json& hidden) {
  if (!document.is_object() || !hidden.is_object()) return document;
  for (auto it = hidden.begin(); it != hidden.end(); ++it) {
    auto existing = document.find(it.key());
    if (existing == document.end()) {
      document[it.key()] = it.value();
    } else if (existing->is_object() && it.value().is_object()) {
      for (auto sub = it.value().begin(); sub != it.value().end(); ++sub) {
        if (existing->find(sub.key()) == existing->end()) (*existing)[sub.key()] = sub.value();
      }
    }
  }
  return document;
}

}  // namespace scim::core
