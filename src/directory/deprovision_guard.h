// The deprovisioning circuit breaker (docs/directory.md#the-deprovisioning-circuit-breaker): a
// misconfigured IdP assignment or a script gone wrong can deactivate or delete a whole customer in
// minutes. When a tenant sets deprovision_limit, a deactivation or delete that would take the
// tenant's deprovisions within deprovision_window_minutes past that share of its users (and past
// kMinDeprovisions, so small tenants do not trip on a handful) is held: answered as the IdP
// expects, not applied, and kept for an operator to apply or discard. While any change is held,
// every further one is held too, until an operator decides.
#pragma once

#include <cstdint>

#include "core/error.h"
#include "core/tenant_settings.h"
#include "storage/store.h"

namespace scim::directory {

inline constexpr int64_t kMinDeprovisions = 5;

// Whether the next deprovisioning request of the tenant is to be held, at `now` (RFC 3339).
core::Result<bool> ShouldHold(storage::Store& store, storage::TenantId tenant, const core::TenantSettings& settings,
                              const core::SchemaRegistry& registry);

}  // namespace scim::directory
