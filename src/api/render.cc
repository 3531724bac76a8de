#include "api/render.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "api/scim_api.h"
#include "core/filter.h"

namespace scim::api {

using core::Json;

namespace {

// The top-level name an attribute-list entry refers to, and the sub-attribute if any.
struct Selector {
  std::string extension;  // canonical URN when the entry is in an extension
  std::string name;       // empty when the entry names a whole extension
  std::string sub;
};

std::optional<Selector> ToSelector(const std::string& entry, const core::ResourceType& type,
                                   const core::SchemaRegistry& registry) {
  for (const core::Schema* schema : registry.SchemasOf(type)) {
    if (core::IEquals(entry, schema->id)) {
      if (schema->id == type.schema) return std::nullopt;  // the core schema as a whole: ignore
      return Selector{schema->id, "", ""};
    }
  }
  auto path = core::ParseAttrPath(entry);
  if (!path) return std::nullopt;
  auto resolved = registry.Resolve(type, *path);
  if (!resolved) return std::nullopt;
  Selector selector;
  if (resolved->in_extension) selector.extension = resolved->schema->id;
  selector.name = resolved->attr->name;
  if (resolved->sub) selector.sub = resolved->sub->name;
  return selector;
}

// Keeps in `object` only the keys some selector of `extension` names ("" = core attributes);
// a selector with a sub-attribute keeps only that sub-attribute of the key's value(s).
void KeepSelected(Json& object, const std::vector<Selector>& selectors, std::string_view extension) {
  if (!object.is_object()) return;
  for (auto it = object.begin(); it != object.end();) {
    if (extension.empty() && (it.key() == "schemas" || it.key() == "id")) {
      ++it;
      continue;
    }
    bool keep = false;
    bool whole = false;
    std::vector<std::string> subs;
    for (const auto& s : selectors) {
      if (s.extension != extension || !core::IEquals(s.name, it.key())) continue;
      keep = true;
      if (s.sub.empty()) whole = true; else subs.push_back(s.sub);
    }
    if (!keep) {
      it = object.erase(it);
      continue;
    }
    if (!whole) {
      auto keep_subs = [&](Json& value) {
        if (!value.is_object()) return;
        for (auto sub = value.begin(); sub != value.end();) {
          bool wanted = false;
          for (const auto& name : subs) wanted = wanted || core::IEquals(name, sub.key());
          sub = wanted ? std::next(sub) : value.erase(sub);
        }
      };
      if (it->is_array()) {
        for (auto& element : *it) keep_subs(element);
      } else {
        keep_subs(*it);
      }
    }
    ++it;
  }
}

void RemoveExcluded(Json& object, const std::vector<Selector>& selectors, std::string_view extension) {
  for (const auto& s : selectors) {
    if (s.extension != extension || s.name.empty()) continue;
    if (s.sub.empty()) {
      core::EraseMember(object, s.name);
      continue;
    }
    Json* value = core::FindMember(object, s.name);
    if (!value) continue;
    if (value->is_array()) {
      for (auto& element : *value) core::EraseMember(element, s.sub);
    } else {
      core::EraseMember(*value, s.sub);
    }
  }
}

std::string TopLevelName(std::string_view entry) {
  // "members.value" -> "members"; URN-qualified core names keep their last ':' segment.
  if (entry.substr(0, 4) == "urn:" || entry.substr(0, 4) == "URN:") {
    size_t colon = entry.rfind(':');
    entry = entry.substr(colon + 1);
  }
  return std::string(entry.substr(0, entry.find('.')));
}

std::string JsonString(std::string_view text) { return core::DumpJson(Json(text)); }

Json MetaJson(const char* resource_type, const std::string& location) {
  return Json{{"resourceType", resource_type}, {"location", location}};
}

}  // namespace

Projection::Projection(std::vector<std::string> attributes, std::vector<std::string> excluded)
    : attributes_(std::move(attributes)), excluded_(std::move(excluded)) {}

bool Projection::Wants(std::string_view name) const {
  if (!attributes_.empty()) {
    for (const auto& a : attributes_) {
      if (core::IEquals(TopLevelName(a), name)) return true;
    }
    return false;
  }
  for (const auto& e : excluded_) {
    if (core::IEquals(e, name)) return false;
  }
  return true;
}

namespace {

Selector FromPath(const core::AttrPath& path) { return Selector{path.urn, path.name, path.sub}; }

// Removes what `selectors` name: whole extensions, core attributes and extension attributes.
void RemoveAll(Json& document, const std::vector<Selector>& selectors, const core::ResourceType& type,
               const core::SchemaRegistry& registry) {
  for (const auto& s : selectors) {
    if (!s.extension.empty() && s.name.empty()) core::EraseMember(document, s.extension);
  }
  RemoveExcluded(document, selectors, "");
  for (auto it = document.begin(); it != document.end(); ++it) {
    if (registry.FindSchema(it.key()) && it.key() != type.schema) RemoveExcluded(*it, selectors, it.key());
  }
}

// Whether `selectors` name `path` itself (for a top-level path, also one of its sub-attributes).
bool Names(const std::vector<Selector>& selectors, const core::AttrPath& path) {
  for (const auto& s : selectors) {
    if (s.extension == path.urn && core::IEquals(s.name, path.name) && (path.sub.empty() || core::IEquals(s.sub, path.sub))) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool Projection::NeedsDocument(const core::ResourceType& type) const {
  return !IsIdentity() || !type.returned_never.empty() || !type.returned_request.empty();
}

void Projection::Apply(Json& document, const core::ResourceType& type, const core::SchemaRegistry& registry) const {
  if (!document.is_object()) return;
  std::vector<Selector> requested;
  for (const auto& entry : attributes_) {
    if (auto s = ToSelector(entry, type, registry)) requested.push_back(std::move(*s));
  }
  if (!attributes_.empty()) {
    std::vector<Selector> selectors = requested;
    for (const auto& path : type.returned_always) selectors.push_back(FromPath(path));
    // Extension objects: dropped unless selected, whole or in part.
    for (auto it = document.begin(); it != document.end();) {
      const core::Schema* extension = registry.FindSchema(it.key());
      if (!extension || extension->id == type.schema) {
        ++it;
        continue;
      }
      bool any = false;
      bool whole = false;
      for (const auto& s : selectors) {
        if (s.extension != extension->id) continue;
        any = true;
        whole = whole || s.name.empty();
      }
      if (!any) {
        it = document.erase(it);
        continue;
      }
      if (!whole) KeepSelected(*it, selectors, extension->id);
      ++it;
    }
    // Core attributes: the extension objects that survived count as selected.
    for (auto it = document.begin(); it != document.end(); ++it) {
      if (registry.FindSchema(it.key())) selectors.push_back({"", it.key(), ""});
    }
    KeepSelected(document, selectors, "");
  } else if (!excluded_.empty()) {
    std::vector<Selector> excluded;
    for (const auto& entry : excluded_) {
      auto s = ToSelector(entry, type, registry);
      if (!s) continue;
      bool always = false;  // `returned: always` cannot be excluded (RFC 7644 §3.4.2.5)
      for (const auto& path : type.returned_always) always = always || (FromPath(path).extension == s->extension &&
                                                                          core::IEquals(path.name, s->name) &&
                                                                          core::IEquals(path.sub, s->sub));
      if (!always) excluded.push_back(std::move(*s));
    }
    RemoveAll(document, excluded, type, registry);
  }
  // `returned: never` never comes back; `request` only when named.
  std::vector<Selector> hidden;
  for (const auto& path : type.returned_never) hidden.push_back(FromPath(path));
  for (const auto& path : type.returned_request) {
    if (!Names(requested, path)) hidden.push_back(FromPath(path));
  }
  if (!hidden.empty()) RemoveAll(document, hidden, type, registry);
  core::EraseMember(document, "password");
}

std::string ETag(int64_t version) { return fmt::format("W/\"{}\"", version); }

bool EntityTags::Matches(int64_t version) const {
  return any || std::find(versions.begin(), versions.end(), version) != versions.end();
}

std::optional<EntityTags> ParseEntityTags(std::string_view header) {
  EntityTags tags;
  bool seen = false;
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view tag = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.empty()) continue;
    seen = true;
    if (tag == "*") {
      tags.any = true;
      continue;
    }
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag.size() < 2 || tag.front() != '"' || tag.back() != '"') continue;
    tag = tag.substr(1, tag.size() - 2);
    int64_t version = 0;
    auto [end, ec] = std::from_chars(tag.data(), tag.data() + tag.size(), version);
    if (ec == std::errc() && end == tag.data() + tag.size()) tags.versions.push_back(version);
  }
  if (!seen) return std::nullopt;
  return tags;
}

std::string Location(const std::string& base_url, storage::Kind kind, const std::string& id) {
  return fmt::format("{}/{}s/{}", base_url, storage::KindName(kind), id);
}

namespace {

// The enterprise manager's "$ref" (its location at this request's base URL) after its value. The
// stored document holds {"value":ID,"displayName":…} for a resolved manager and {"value":REFERENCE}
// for a pending one (directory/managers.h); ids are UUIDs, so the text needs no escaping and the
// splice no parse.
void SpliceManagerRef(std::string& text, const std::string& base_url) {
  constexpr std::string_view kManager = R"("manager":{"value":")";
  size_t enterprise = text.find("\"" + std::string(core::kEnterpriseUserSchema) + "\":{");
  if (enterprise == std::string::npos) return;
  size_t at = text.find(kManager, enterprise);
  if (at == std::string::npos) return;
  size_t id_start = at + kManager.size();
  size_t id_end = text.find('"', id_start);
  // A resolved manager has its displayName; a pending one (the reference as sent) has no $ref.
  constexpr std::string_view kDisplay = R"(","displayName":)";
  if (id_end == std::string::npos || text.compare(id_end, kDisplay.size(), kDisplay) != 0) return;
  std::string id = text.substr(id_start, id_end - id_start);
  text.insert(id_end + 1, ",\"$ref\":" + JsonString(Location(base_url, storage::Kind::kUser, id)));
}

}  // namespace

std::string RenderResource(storage::Kind kind, const core::ResourceType& type, const core::SchemaRegistry& registry,
                           const storage::StoredResource& stored, const Extras& extras, const std::string& base_url,
                           const Projection& projection) {
  // What follows the stored attributes.
  std::string tail;
  if (kind == storage::Kind::kUser && !extras.groups.empty()) {
    Json groups = Json::array();
    for (const auto& g : extras.groups) {
      groups.push_back({{"value", g.value},
                        {"$ref", Location(base_url, storage::Kind::kGroup, g.value)},
                        {"display", g.display},
                        {"type", "direct"}});
    }
    tail += ",\"groups\":" + core::DumpJson(groups);
  }
  if (kind == storage::Kind::kGroup && !extras.members.empty()) {
    Json members = Json::array();
    for (const auto& m : extras.members) {
      members.push_back({{"value", m.value},
                         {"$ref", Location(base_url, m.kind, m.value)},
                         {"display", m.display},
                         {"type", storage::KindName(m.kind)}});
    }
    tail += ",\"members\":" + core::DumpJson(members);
  }
  tail += fmt::format(R"(,"meta":{{"resourceType":"{}","created":"{}","lastModified":"{}","location":{},"version":{}}}}})",
                      storage::KindName(kind), stored.created, stored.last_modified,
                      JsonString(Location(base_url, kind, stored.id)), JsonString(ETag(stored.version)));

  // Stored documents always start with the schemas array; id goes right after it.
  const std::string& body = stored.body;
  constexpr std::string_view kHead = R"({"schemas":[)";
  size_t schemas_end = body.compare(0, kHead.size(), kHead) == 0 ? body.find(']') : std::string::npos;
  std::string text;
  if (schemas_end != std::string::npos && body.size() >= 2 && body.back() == '}') {
    text.reserve(body.size() + tail.size() + 64);
    text.append(body, 0, schemas_end + 1);
    text += ",\"id\":" + JsonString(stored.id);
    text.append(body, schemas_end + 1, body.size() - schemas_end - 2);  // without the closing brace
    text += tail;
  } else {
    // Not expected; stay correct anyway.
    text = "{\"id\":" + JsonString(stored.id) + (body.size() > 2 ? "," + body.substr(1, body.size() - 2) : "") + tail;
  }
  if (kind == storage::Kind::kUser) SpliceManagerRef(text, base_url);
  if (!projection.NeedsDocument(type)) return text;
  auto document = core::ParseJson(text);
  if (!document) return text;
  projection.Apply(*document, type, registry);
  return core::DumpJson(*document);
}

std::string RenderServiceProviderConfig(const std::string& base_url, const ApiOptions& options) {
  Json config = {
      {"schemas", {"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"}},
      {"documentationUri", "https://datatracker.ietf.org/doc/html/rfc7644"},
      {"patch", {{"supported", true}}},
      {"bulk",
       {{"supported", true},
        {"maxOperations", options.bulk_max_operations},
        {"maxPayloadSize", options.bulk_max_payload_bytes}}},
      {"filter", {{"supported", true}, {"maxResults", options.max_page_size}}},
      {"changePassword", {{"supported", false}}},
      {"sort", {{"supported", true}}},
      {"etag", {{"supported", true}}},
      // RFC 9865 §4: both paging methods; cursors do not expire (they name a row, not a snapshot).
      {"pagination",
       {{"cursor", true},
        {"index", true},
        {"defaultPaginationMethod", "index"},
        {"defaultPageSize", options.default_page_size},
        {"maxPageSize", options.max_page_size}}},
      {"authenticationSchemes",
       {{{"type", "oauthbearertoken"},
         {"name", "Bearer token"},
         {"description",
          "A tenant token issued by 'scimd token issue', sent as 'Authorization: Bearer <token>' (or the bare token)"},
         {"primary", true}}}},
      {"meta", MetaJson("ServiceProviderConfig", base_url + "/ServiceProviderConfig")},
  };
  return core::DumpJson(config);
}

namespace {

std::string ListOf(const std::vector<Json>& resources) {
  Json list = {{"schemas", {core::kListResponseSchema}},
               {"totalResults", resources.size()},
               {"startIndex", 1},
               {"itemsPerPage", resources.size()},
               {"Resources", resources}};
  return core::DumpJson(list);
}

}  // namespace

core::Result<std::string> RenderResourceTypes(const core::SchemaRegistry& registry, const std::string& base_url,
                                              const std::string* id, const std::vector<Json>& extra) {
  std::vector<Json> resources;
  std::vector<Json> all;
  for (const auto& type : registry.resource_types()) all.push_back(type.definition);
  all.insert(all.end(), extra.begin(), extra.end());
  for (Json& doc : all) {
    std::string type_id = doc.value("id", std::string());
    if (id && !core::IEquals(*id, type_id)) continue;
    doc["meta"] = MetaJson("ResourceType", base_url + "/ResourceTypes/" + type_id);
    resources.push_back(std::move(doc));
  }
  if (!id) return ListOf(resources);
  if (resources.empty()) return core::Fail(core::ErrorType::kNotFound, "No resource type '" + *id + "'");
  return core::DumpJson(resources.front());
}

core::Result<std::string> RenderSchemas(const core::SchemaRegistry& registry, const std::string& base_url,
                                        const std::string* id, const std::vector<Json>& extra) {
  std::vector<Json> resources;
  std::vector<Json> all;
  for (const auto& schema : registry.schemas()) all.push_back(schema.definition);
  all.insert(all.end(), extra.begin(), extra.end());
  for (Json& doc : all) {
    std::string schema_id = doc.value("id", std::string());
    if (id && !core::IEquals(*id, schema_id)) continue;
    doc["meta"] = MetaJson("Schema", base_url + "/Schemas/" + schema_id);
    resources.push_back(std::move(doc));
  }
  if (!id) return ListOf(resources);
  if (resources.empty()) return core::Fail(core::ErrorType::kNotFound, "No schema '" + *id + "'");
  return core::DumpJson(resources.front());
}

}  // namespace scim::api
