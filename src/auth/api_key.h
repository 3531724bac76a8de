// Host API keys: the credential of the vendor's own app on /api/v1 (change feed, directory
// reads). A key is never a SCIM credential and a SCIM token is never a key: they live in
// different tables and carry different prefixes ("scimdk_" here, "scimd_" for SCIM tokens).
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "storage/store.h"

namespace scim::auth {

// The key an Authorization header ("Bearer <key>") carries, if it is live. Errors: kUnauthorized
// with a detail safe to show; kUnavailable when the store cannot be read. Records use at most once
// a minute per key. `now` is RFC 3339 UTC.
core::Result<storage::ApiKeyRecord> AuthenticateApiKey(storage::Store& store, std::string_view authorization,
                                                       const std::string& now);

// Whether `key` may act for the tenant `tenant` (a key without a tenant may act for all).
bool ApiKeyCovers(const storage::ApiKeyRecord& key, storage::TenantId tenant);

}  // namespace scim::auth
