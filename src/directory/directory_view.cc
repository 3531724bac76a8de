#include "directory/directory_view.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

#include "auth/crypto.h"
#include "core/filter.h"
#include "directory/managers.h"

namespace scim::directory {
namespace {

using core::ErrorType;
using core::Json;
using core::Result;

constexpr int64_t kScanPage = 1000;
constexpr size_t kMaxScan = 1'000'000;  // resources one derived view looks at

std::string StringMember(const Json& object, std::string_view name) {
  if (!object.is_object()) return {};
  auto it = object.find(std::string(name));
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The enterprise department of a user document, if any.
std::string DepartmentName(const Json& document) {
  auto enterprise = document.find(std::string(core::kEnterpriseUserSchema));
  return enterprise == document.end() ? std::string() : StringMember(*enterprise, "department");
}

std::string DepartmentId(const std::string& name) {
  std::string digest = auth::Sha256(core::ToLower(name));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "dept_";
  for (size_t i = 0; i < 8; ++i) {
    id += kHex[static_cast<unsigned char>(digest[i]) >> 4];
    id += kHex[static_cast<unsigned char>(digest[i]) & 0xf];
  }
  return id;
}

// Role values a document carries: roles[].value, and `role` (a string or strings) at the top level
// or in an extension.
void CollectRoles(const Json& document, std::set<std::string>& roles) {
  auto take = [&](const Json& value) {
    if (value.is_string() && !value.get_ref<const std::string&>().empty()) roles.insert(value.get<std::string>());
    if (value.is_array()) {
      for (const Json& v : value) {
        if (v.is_string() && !v.get_ref<const std::string&>().empty()) roles.insert(v.get<std::string>());
      }
    }
  };
  if (!document.is_object()) return;
  for (auto it = document.begin(); it != document.end(); ++it) {
    if (core::IEquals(it.key(), "role")) take(it.value());
    if (core::IEquals(it.key(), "roles") && it.value().is_array()) {
      for (const Json& role : it.value()) take(role.is_object() ? role.value("value", Json()) : Json());
    }
    if (it.key().rfind("urn:", 0) == 0 && it.value().is_object()) {
      for (auto ext = it.value().begin(); ext != it.value().end(); ++ext) {
        if (core::IEquals(ext.key(), "role")) take(ext.value());
      }
    }
  }
}

struct DepartmentUsers {
  Json department;
  std::vector<Json> users;
};

Json Brief(const std::string& id, const Json& document) {
  return {{"id", id}, {"userName", StringMember(document, "userName")}, {"displayName", DisplayOf(document)}};
}

}  // namespace

struct DirectoryView::Impl {
  storage::Store& store;
  storage::TenantId tenant;
  core::TenantSettings settings;
  std::shared_ptr<const core::SchemaRegistry> registry;

  // Read once per view, when first needed.
  std::optional<std::vector<storage::StoredResource>> groups;
  std::unordered_map<std::string, Json> group_documents;
  std::optional<std::vector<storage::ManagerLink>> links;

  Result<std::vector<storage::StoredResource>> All(storage::Kind kind) {
    const core::ResourceType* type = registry->FindResourceType(storage::KindName(kind));
    std::vector<storage::StoredResource> all;
    storage::ListRequest request;
    request.count = kScanPage;
    request.cursor = "";
    while (all.size() < kMaxScan) {
      auto page = store.List(tenant, {{kind, type}}, *registry, request);
      if (!page) return std::unexpected(page.error());
      for (auto& resource : page->resources) all.push_back(std::move(resource));
      if (!page->next_cursor) break;
      request.cursor = page->next_cursor;
    }
    return all;
  }

  Result<const std::vector<storage::StoredResource>*> Groups() {
    if (!groups) {
      auto all = All(storage::Kind::kGroup);
      if (!all) return std::unexpected(all.error());
      groups = std::move(*all);
      for (const auto& group : *groups) {
        auto json = core::ParseJson(group.body);
        group_documents[group.id] = json ? std::move(*json) : Json::object();
      }
    }
    return &*groups;
  }

  Result<const std::vector<storage::ManagerLink>*> Links() {
    if (!links) {
      auto all = store.ManagerLinks(tenant);
      if (!all) return std::unexpected(all.error());
      links = std::move(*all);
    }
    return &*links;
  }

  // The department a department value belongs to: the group of that name when groups are
  // departments, else the value's own.
  Result<Json> DepartmentOfName(const std::string& name) {
    if (settings.groups_as_departments) {
      auto all = Groups();
      if (!all) return std::unexpected(all.error());
      for (const auto& group : **all) {
        const std::string group_name = StringMember(group_documents[group.id], "displayName");
        if (core::IEquals(group_name, name)) return Json{{"id", group.id}, {"name", group_name}, {"source", "group"}};
      }
    }
    return Json{{"id", DepartmentId(name)}, {"name", name}, {"source", "attribute"}};
  }

  // Every department with its users.
  Result<std::map<std::string, DepartmentUsers>> CollectDepartments() {
    std::map<std::string, DepartmentUsers> departments;
    std::map<std::string, std::set<std::string>> seen;  // department id -> user ids
    auto add = [&](const Json& department, const std::string& user_id, const Json& brief) {
      std::string id = department["id"].get<std::string>();
      auto& entry = departments[id];
      if (entry.department.is_null()) entry.department = department;
      if (seen[id].insert(user_id).second) entry.users.push_back(brief);
    };
    auto users = All(storage::Kind::kUser);
    if (!users) return std::unexpected(users.error());
    std::unordered_map<std::string, Json> briefs;
    for (const auto& user : *users) {
      auto document = core::ParseJson(user.body);
      if (!document) continue;
      briefs[user.id] = Brief(user.id, *document);
      if (std::string name = DepartmentName(*document); !name.empty()) {
        auto department = DepartmentOfName(name);
        if (!department) return std::unexpected(department.error());
        add(*department, user.id, briefs[user.id]);
      }
    }
    if (settings.groups_as_departments) {
      auto groups = Groups();
      if (!groups) return std::unexpected(groups.error());
      for (const auto& group : **groups) {
        Json department = {{"id", group.id},
                           {"name", StringMember(group_documents[group.id], "displayName")},
                           {"source", "group"}};
        departments[group.id].department = department;  // a group is a department even while empty
        auto members = store.Members(tenant, group.id);
        if (!members) return std::unexpected(members.error());
        for (const auto& member : *members) {
          if (member.kind == storage::Kind::kUser && briefs.count(member.value)) add(department, member.value, briefs[member.value]);
        }
      }
    }
    return departments;
  }

  Result<Json> UserJson(const storage::StoredResource& user, const std::vector<storage::GroupRef>& memberships) {
    auto parsed = core::ParseJson(user.body);
    Json document = parsed ? std::move(*parsed) : Json::object();
    Json json = Brief(user.id, document);
    json["active"] = document.value("active", true);
    json["externalId"] = document.contains("externalId") ? document["externalId"] : Json(nullptr);
    Json emails = Json::array();
    if (auto it = document.find("emails"); it != document.end() && it->is_array()) {
      for (const Json& email : *it) {
        if (std::string value = StringMember(email, "value"); !value.empty()) emails.push_back(value);
      }
    }
    json["emails"] = emails;
    json["manager"] = nullptr;
    if (auto reference = ManagerReferenceOf(document)) {
      const Json& manager = document[std::string(core::kEnterpriseUserSchema)]["manager"];
      if (manager.contains("displayName")) {
        json["manager"] = {{"id", *reference}, {"displayName", manager["displayName"]}};
      } else {
        json["manager_pending"] = *reference;  // nobody matches the reference yet
      }
    }

    std::set<std::string> roles;
    CollectRoles(document, roles);
    Json groups_json = Json::array();
    Json departments = Json::array();
    std::set<std::string> department_ids;
    auto add_department = [&](const Json& department) {
      if (department_ids.insert(department["id"].get<std::string>()).second) departments.push_back(department);
    };
    if (std::string name = DepartmentName(document); !name.empty()) {
      auto department = DepartmentOfName(name);
      if (!department) return std::unexpected(department.error());
      add_department(*department);
    }
    if (!memberships.empty()) {
      auto all = Groups();
      if (!all) return std::unexpected(all.error());
    }
    for (const auto& group : memberships) {
      groups_json.push_back({{"id", group.value}, {"displayName", group.display}});
      CollectRoles(group_documents[group.value], roles);
      if (settings.groups_as_departments) add_department({{"id", group.value}, {"name", group.display}, {"source", "group"}});
    }
    json["departments"] = departments;
    json["groups"] = groups_json;
    json["roles"] = Json(std::vector<std::string>(roles.begin(), roles.end()));
    json["resource"] = std::move(document);
    json["resource"]["id"] = user.id;
    return json;
  }
};

DirectoryView::DirectoryView(storage::Store& store, storage::TenantId tenant, const core::TenantSettings& settings,
                             std::shared_ptr<const core::SchemaRegistry> registry)
    : impl_(std::make_shared<Impl>(Impl{store, tenant, settings, std::move(registry), {}, {}, {}})) {}

Result<Json> DirectoryView::Users(const UserQuery& query) {
  std::optional<core::Filter> filter;
  if (!query.filter.empty()) {
    auto parsed = core::ParseFilter(query.filter);
    if (!parsed) return std::unexpected(parsed.error());
    filter = std::move(*parsed);
  }
  storage::ListRequest request;
  request.filter = filter ? &*filter : nullptr;
  request.start_index = query.start_index;
  request.count = query.count;
  request.cursor = query.cursor;
  const core::ResourceType* type = impl_->registry->FindResourceType("User");
  auto page = impl_->store.List(impl_->tenant, {{storage::Kind::kUser, type}}, *impl_->registry, request);
  if (!page) return std::unexpected(page.error());
  std::vector<std::string> ids;
  for (const auto& user : page->resources) ids.push_back(user.id);
  auto memberships = impl_->store.GroupsOfEach(impl_->tenant, ids);
  if (!memberships) return std::unexpected(memberships.error());
  Json users = Json::array();
  for (size_t i = 0; i < page->resources.size(); ++i) {
    auto json = impl_->UserJson(page->resources[i], (*memberships)[i]);
    if (!json) return std::unexpected(json.error());
    users.push_back(std::move(*json));
  }
  Json out = {{"users", users}, {"totalResults", page->total}};
  if (page->next_cursor) out["next_cursor"] = *page->next_cursor;
  return out;
}

Result<Json> DirectoryView::User(const std::string& id) {
  auto user = impl_->store.Get(impl_->tenant, storage::Kind::kUser, id);
  if (!user) return std::unexpected(user.error());
  if (!*user) return core::Fail(ErrorType::kNotFound, "No user '" + id.substr(0, 64) + "'");
  auto groups = impl_->store.GroupsOf(impl_->tenant, id);
  if (!groups) return std::unexpected(groups.error());
  auto json = impl_->UserJson(**user, *groups);
  if (!json) return json;
  auto links = impl_->Links();
  if (!links) return std::unexpected(links.error());
  std::unordered_map<std::string, std::string> manager_of;
  Json reports = Json::array();
  for (const auto& link : **links) {
    if (link.manager_id) manager_of[link.report_id] = *link.manager_id;
    if (link.manager_id == id && link.report_id != id) reports.push_back(link.report_id);
  }
  Json chain = Json::array();
  std::set<std::string> seen = {id};
  bool cycle = false;
  for (auto it = manager_of.find(id); it != manager_of.end(); it = manager_of.find(it->second)) {
    if (!seen.insert(it->second).second) {
      cycle = true;
      break;
    }
    chain.push_back(it->second);
  }
  (*json)["chain"] = chain;
  (*json)["chain_has_cycle"] = cycle;
  (*json)["reports"] = reports;
  return json;
}

Result<Json> DirectoryView::OrgChart() {
  auto links = impl_->Links();
  if (!links) return std::unexpected(links.error());
  std::map<std::string, std::string> manager_of;
  std::map<std::string, std::vector<std::string>> reports_of;
  std::set<std::string> people;
  for (const auto& link : **links) {
    if (!link.manager_id || *link.manager_id == link.report_id) continue;
    manager_of[link.report_id] = *link.manager_id;
    reports_of[*link.manager_id].push_back(link.report_id);
    people.insert(link.report_id);
    people.insert(*link.manager_id);
  }
  std::unordered_map<std::string, Json> briefs;
  for (const std::string& id : people) {
    auto user = impl_->store.Get(impl_->tenant, storage::Kind::kUser, id);
    if (!user) return std::unexpected(user.error());
    auto document = *user ? core::ParseJson((*user)->body) : core::Result<Json>(Json::object());
    briefs[id] = Brief(id, document ? *document : Json::object());
  }
  // Cycles: walking up from each person, a person seen twice in one walk closes a cycle.
  Json cycles = Json::array();
  std::set<std::string> in_cycle;
  for (const std::string& start : people) {
    std::vector<std::string> walk;
    std::string at = start;
    while (manager_of.count(at) && std::find(walk.begin(), walk.end(), at) == walk.end() && !in_cycle.count(at)) {
      walk.push_back(at);
      at = manager_of[at];
    }
    auto closes = std::find(walk.begin(), walk.end(), at);
    if (closes == walk.end()) continue;
    std::vector<std::string> members(closes, walk.end());
    std::sort(members.begin(), members.end());
    for (const auto& m : members) in_cycle.insert(m);
    cycles.push_back(members);
  }
  std::set<std::string> placed;
  std::function<Json(const std::string&)> tree = [&](const std::string& id) {
    placed.insert(id);
    Json node = briefs[id];
    Json children = Json::array();
    for (const std::string& report : reports_of[id]) {
      if (!placed.count(report)) children.push_back(tree(report));
    }
    node["reports"] = std::move(children);
    return node;
  };
  Json roots = Json::array();
  for (const std::string& id : people) {
    if (!manager_of.count(id)) roots.push_back(tree(id));
  }
  for (const auto& cycle : cycles) {  // a cycle has no top: it starts at its first member
    std::string first = cycle[0].get<std::string>();
    if (!placed.count(first)) roots.push_back(tree(first));
  }
  return Json{{"roots", roots}, {"cycles", cycles}};
}

Result<Json> DirectoryView::Departments() {
  auto all = impl_->CollectDepartments();
  if (!all) return std::unexpected(all.error());
  Json list = Json::array();
  for (auto& [id, entry] : *all) {
    Json department = entry.department;
    department["users"] = entry.users.size();
    list.push_back(std::move(department));
  }
  std::sort(list.begin(), list.end(), [](const Json& a, const Json& b) {
    return core::ToLower(a["name"].get<std::string>()) < core::ToLower(b["name"].get<std::string>());
  });
  return Json{{"departments", list}};
}

Result<Json> DirectoryView::Department(const std::string& id) {
  auto all = impl_->CollectDepartments();
  if (!all) return std::unexpected(all.error());
  auto it = all->find(id);
  if (it == all->end()) return core::Fail(ErrorType::kNotFound, "No department '" + id.substr(0, 64) + "'");
  Json department = it->second.department;
  department["users"] = it->second.users;
  return department;
}

}  // namespace scim::directory
