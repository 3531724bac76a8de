#include "directory/tenant_schemas.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "core/tenant_schema.h"

namespace scim::directory {
namespace {

using core::ErrorType;
using core::Json;
using core::Result;

constexpr int64_t kRewritePage = 500;

// The stored documents as JSON (a document that does not parse is a bug: kInternal).
Result<std::vector<Json>> ParseRecords(const std::vector<storage::TenantSchemaRecord>& records) {
  std::vector<Json> documents;
  for (const auto& record : records) {
    auto json = core::ParseJson(record.definition);
    if (!json) return core::Fail(ErrorType::kInternal, "Stored schema '" + record.urn + "' is unreadable");
    documents.push_back(std::move(*json));
  }
  return documents;
}

std::string IdOf(const Json& document) { return document.value("id", std::string()); }

// Splits every document of the tenant again under `registry`; returns how many changed.
Result<int64_t> ResplitDocuments(storage::WriteTxn& txn, storage::TenantId tenant,
                                 const core::SchemaRegistry& registry) {
  int64_t rewritten = 0;
  for (storage::Kind kind : {storage::Kind::kUser, storage::Kind::kGroup}) {
    const core::ResourceType* type = registry.FindResourceType(storage::KindName(kind));
    if (type == nullptr) return core::Fail(ErrorType::kInternal, "No resource type for " + std::string(storage::KindName(kind)));
    std::string after;
    while (true) {
      auto page = txn.ResourcesAfter(tenant, kind, after, kRewritePage);
      if (!page) return std::unexpected(page.error());
      for (const auto& [stored, unmapped] : *page) {
        auto document = core::ParseJson(stored.body);
        if (!document) return core::Fail(ErrorType::kInternal, "Stored document '" + stored.id + "' is unreadable");
        Json hidden = Json::object();
        if (unmapped) {
          if (auto parsed = core::ParseJson(*unmapped); parsed && parsed->is_object()) hidden = std::move(*parsed);
        }
        core::SplitDocument split = core::SplitBySchema(core::MergeHidden(std::move(*document), hidden), *type, registry);
        std::string body = core::DumpJson(split.visible);
        if (body != stored.body) {
          if (auto r = txn.RewriteBody(tenant, kind, stored.id, body, stored.version + 1); !r) return std::unexpected(r.error());
          ++rewritten;
        }
        std::optional<std::string> kept;
        if (!split.hidden.empty()) kept = core::DumpJson(split.hidden);
        if (kept != unmapped) {
          if (auto r = txn.SetUnmapped(tenant, kind, stored.id, kept); !r) return std::unexpected(r.error());
        }
      }
      if (static_cast<int64_t>(page->size()) < kRewritePage) break;
      after = page->back().first.id;
    }
  }
  return rewritten;
}

// Runs `modify` on the tenant's documents and, when the result loads, stores it with everything a
// schema change implies (see the header), in one transaction.
Result<SchemaChange> ChangeSchemas(storage::Store& store, const storage::Tenant& tenant, const std::string& action,
                                   const auth::Actor& actor,
                                   const std::function<Result<std::vector<std::string>>(std::vector<Json>&)>& modify) {
  SchemaChange change;
  std::string now = auth::NowRfc3339();
  auto r = store.WriteSync([&](storage::WriteTxn& txn) -> Result<void> {
    change = {};
    auto records = txn.TenantSchemas(tenant.id);
    if (!records) return std::unexpected(records.error());
    auto documents = ParseRecords(*records);
    if (!documents) return std::unexpected(documents.error());
    auto urns = modify(*documents);
    if (!urns) return std::unexpected(urns.error());
    change.urns = std::move(*urns);
    auto registry = core::BuildTenantRegistry(*documents);
    if (!registry) return std::unexpected(registry.error());
    for (const auto& record : *records) {
      bool kept = std::any_of(documents->begin(), documents->end(),
                              [&](const Json& d) { return core::IEquals(IdOf(d), record.urn); });
      if (kept) continue;
      if (auto deleted = txn.DeleteTenantSchema(tenant.id, record.urn); !deleted) return std::unexpected(deleted.error());
    }
    for (const Json& document : *documents) {
      storage::TenantSchemaRecord record{IdOf(document), core::DumpJson(document), now};
      if (auto put = txn.PutTenantSchema(tenant.id, record); !put) return put;
    }
    if (auto bumped = txn.BumpSchemaRevision(tenant.id); !bumped) return bumped;
    auto rewritten = ResplitDocuments(txn, tenant.id, **registry);
    if (!rewritten) return std::unexpected(rewritten.error());
    change.documents_rewritten = *rewritten;
    Json detail = {{"urns", change.urns}, {"documents_rewritten", change.documents_rewritten}};
    return txn.AppendAudit(auth::AuditOf(actor, action, tenant.name, change.urns.size() == 1 ? change.urns[0] : "",
                                         core::DumpJson(detail)));
  });
  if (!r) return std::unexpected(r.error());
  return change;
}

}  // namespace

Result<SchemaChange> ApplySchemas(storage::Store& store, const storage::Tenant& tenant, const Json& file,
                                  const auth::Actor& actor) {
  auto incoming = core::ReadSchemaFile(file);
  if (!incoming) return std::unexpected(incoming.error());
  return ChangeSchemas(store, tenant, "schema.apply", actor,
                       [&](std::vector<Json>& documents) -> Result<std::vector<std::string>> {
                         documents = core::ApplySchemaDocuments(std::move(documents), *incoming);
                         std::vector<std::string> urns;
                         for (const Json& document : *incoming) urns.push_back(IdOf(document));
                         return urns;
                       });
}

Result<SchemaChange> RemoveSchema(storage::Store& store, const storage::Tenant& tenant, const std::string& urn,
                                  const auth::Actor& actor) {
  return ChangeSchemas(store, tenant, "schema.remove", actor,
                       [&](std::vector<Json>& documents) -> Result<std::vector<std::string>> {
                         auto it = std::find_if(documents.begin(), documents.end(),
                                                [&](const Json& d) { return core::IEquals(IdOf(d), urn); });
                         if (it == documents.end()) {
                           return core::Fail(ErrorType::kNotFound,
                                             "Tenant '" + tenant.name + "' has no schema '" + urn + "'");
                         }
                         std::vector<std::string> urns = {IdOf(*it)};
                         documents.erase(it);
                         return urns;
                       });
}

Result<std::vector<UnmappedAttribute>> UnmappedReport(storage::Store& store, storage::TenantId tenant, int64_t limit) {
  auto parts = store.UnmappedOf(tenant, limit);
  if (!parts) return std::unexpected(parts.error());
  std::map<std::string, int64_t> counts;
  for (const std::string& text : *parts) {
    auto json = core::ParseJson(text);
    if (!json || !json->is_object()) continue;
    std::set<std::string> names;  // each resource counts once per name
    for (auto it = json->begin(); it != json->end(); ++it) {
      bool extension = it.key().rfind("urn:", 0) == 0 && it.value().is_object() && !it.value().empty();
      if (!extension) {
        names.insert(it.key());
        continue;
      }
      for (auto sub = it.value().begin(); sub != it.value().end(); ++sub) names.insert(it.key() + ":" + sub.key());
    }
    for (const std::string& name : names) ++counts[name];
  }
  std::vector<UnmappedAttribute> report;
  for (const auto& [name, count] : counts) report.push_back({name, count});
  std::stable_sort(report.begin(), report.end(), [](const auto& a, const auto& b) { return a.resources > b.resources; });
  return report;
}

Result<std::shared_ptr<const core::SchemaRegistry>> RegistryCache::For(storage::Store& store, storage::TenantId tenant,
                                                                       int64_t revision) {
  if (revision == 0) return built_in_;
  {
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(tenant.value); it != entries_.end() && it->second.revision == revision) {
      return it->second.registry;
    }
  }
  auto records = store.TenantSchemas(tenant);
  if (!records) return std::unexpected(records.error());
  auto documents = ParseRecords(*records);
  if (!documents) return std::unexpected(documents.error());
  auto registry = core::BuildTenantRegistry(*documents);
  if (!registry) {
    return core::Fail(ErrorType::kInternal, "The tenant's stored schemas no longer load: " + registry.error().detail);
  }
  std::lock_guard lock(mu_);
  Entry& entry = entries_[tenant.value];
  // Two requests may load at once; the newer revision stays.
  if (entry.revision <= revision) entry = Entry{revision, *registry};
  return *registry;
}

}  // namespace scim::directory
