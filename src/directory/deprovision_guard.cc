#include "directory/deprovision_guard.h"

#include <algorithm>
#include <chrono>

#include "core/time.h"

namespace scim::directory {

core::Result<bool> ShouldHold(storage::Store& store, storage::TenantId tenant, const core::TenantSettings& settings,
                              const core::SchemaRegistry& registry) {
  if (settings.deprovision_limit_percent == 0) return false;
  auto pending = store.ListHeldChanges(tenant, std::string("pending"), 1);
  if (!pending) return std::unexpected(pending.error());
  if (!pending->empty()) return true;  // tripped: hold until an operator decides
  std::string since = core::FormatRfc3339(std::chrono::system_clock::now() -
                                          std::chrono::minutes(settings.deprovision_window_minutes));
  auto recent = store.CountEventsSince(tenant, {"user.deactivated", "user.deleted"}, since);
  if (!recent) return std::unexpected(recent.error());
  storage::ListRequest count_only;
  count_only.count = 0;
  auto users = store.List(tenant, {{storage::Kind::kUser, registry.FindResourceType("User")}}, registry, count_only);
  if (!users) return std::unexpected(users.error());
  int64_t limit = std::max(kMinDeprovisions, (users->total * settings.deprovision_limit_percent + 99) / 100);
  return *recent + 1 > limit;
}

}  // namespace scim::directory
