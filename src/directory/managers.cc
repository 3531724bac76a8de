#include "directory/managers.h"

#include <algorithm>

#include "core/schema.h"

namespace scim::directory {
namespace {

using core::Json;

// The enterprise extension object of `body` (its key in any case), or null.
Json* EnterpriseOf(Json& body) {
  if (!body.is_object()) return nullptr;
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (core::IEquals(it.key(), core::kEnterpriseUserSchema) && it.value().is_object()) return &it.value();
  }
  return nullptr;
}

const Json* EnterpriseOf(const Json& body) { return EnterpriseOf(const_cast<Json&>(body)); }

std::string StringMember(const Json& object, std::string_view name) {
  if (!object.is_object()) return {};
  auto it = object.find(std::string(name));
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

void AcceptManagerEmail(Json& body, core::QuirkLog* quirks) {
  Json* enterprise = EnterpriseOf(body);
  if (enterprise == nullptr) return;
  for (auto it = enterprise->begin(); it != enterprise->end(); ++it) {
    if (!core::IEquals(it.key(), "manager") || !it.value().is_object()) continue;
    Json& manager = it.value();
    for (auto sub = manager.begin(); sub != manager.end(); ++sub) {
      if (!core::IEquals(sub.key(), "email") || !sub.value().is_string()) continue;
      if (!core::AllowQuirk(quirks, core::Quirk::kManagerEmail, "manager.Email")) return;
      std::string email = sub.value().get<std::string>();
      manager.erase(sub.key());
      bool has_value = false;
      for (auto v = manager.begin(); v != manager.end(); ++v) has_value = has_value || core::IEquals(v.key(), "value");
      if (!has_value && !email.empty()) manager["value"] = email;
      return;
    }
  }
}

std::optional<std::string> ManagerReferenceOf(const Json& document) {
  const Json* enterprise = EnterpriseOf(document);
  if (enterprise == nullptr) return std::nullopt;
  auto manager = enterprise->find("manager");
  if (manager == enterprise->end()) return std::nullopt;
  std::string value = StringMember(*manager, "value");
  if (value.empty()) return std::nullopt;
  return value;
}

std::vector<storage::UserKey> MatchOrder(const std::vector<std::string>& order) {
  std::vector<storage::UserKey> keys;
  for (const std::string& name : order) {
    if (name == "id") keys.push_back(storage::UserKey::kId);
    if (name == "userName") keys.push_back(storage::UserKey::kUserName);
    if (name == "email") keys.push_back(storage::UserKey::kEmail);
    if (name == "externalId") keys.push_back(storage::UserKey::kExternalId);
  }
  if (std::find(keys.begin(), keys.end(), storage::UserKey::kId) == keys.end()) keys.push_back(storage::UserKey::kId);
  return keys;
}

bool AnswersTo(const std::string& id, const Json& document, const std::vector<storage::UserKey>& keys,
               const std::string& raw) {
  for (storage::UserKey key : keys) {
    switch (key) {
      case storage::UserKey::kId:
        if (id == raw) return true;
        break;
      case storage::UserKey::kUserName:
        if (core::IEquals(StringMember(document, "userName"), raw)) return true;
        break;
      case storage::UserKey::kExternalId:
        if (StringMember(document, "externalId") == raw && !raw.empty()) return true;
        break;
      case storage::UserKey::kEmail:
        if (auto emails = document.find("emails"); emails != document.end() && emails->is_array()) {
          for (const Json& email : *emails) {
            if (core::IEquals(StringMember(email, "value"), raw)) return true;
          }
        }
        break;
    }
  }
  return false;
}

std::vector<std::string> ReferenceKeys(const std::string& id, const Json& document) {
  std::vector<std::string> keys = {id};
  for (std::string_view name : {"userName", "externalId"}) {
    if (std::string value = StringMember(document, name); !value.empty()) keys.push_back(value);
  }
  if (auto emails = document.find("emails"); emails != document.end() && emails->is_array()) {
    for (const Json& email : *emails) {
      if (std::string value = StringMember(email, "value"); !value.empty()) keys.push_back(value);
    }
  }
  return keys;
}

std::string DisplayOf(const Json& document) {
  std::string display = StringMember(document, "displayName");
  return display.empty() ? StringMember(document, "userName") : display;
}

void SetManager(Json& document, const std::optional<std::pair<std::string, std::string>>& manager) {
  std::string urn(core::kEnterpriseUserSchema);
  Json* enterprise = EnterpriseOf(document);
  if (manager) {
    if (enterprise == nullptr) {
      document[urn] = Json::object();
      enterprise = &document[urn];
    }
    Json value = {{"value", manager->first}};
    if (!manager->second.empty()) value["displayName"] = manager->second;
    (*enterprise)["manager"] = std::move(value);
  } else if (enterprise != nullptr) {
    enterprise->erase("manager");
  }
  bool present = enterprise != nullptr && !enterprise->empty();
  if (enterprise != nullptr && !present) document.erase(urn);
  Json& schemas = document["schemas"];
  if (!schemas.is_array()) schemas = Json::array();
  auto listed = std::find(schemas.begin(), schemas.end(), Json(urn));
  if (present && listed == schemas.end()) schemas.push_back(urn);
  if (!present && listed != schemas.end()) schemas.erase(listed);
}

}  // namespace scim::directory
