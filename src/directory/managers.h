// Enterprise manager links (docs/directory.md). An IdP names a user's manager in
// urn:…:enterprise:2.0:User manager.value by the manager's SCIM id (Entra), userName or email
// (Okta), or externalId; Okta admins also map the email to a non-standard `manager.Email`. scimd
// resolves the reference in the tenant's order (setting manager_match), stores the manager's SCIM
// id with its displayName, and keeps a reference to a user who does not exist yet pending: the
// document shows the reference as sent (a value without displayName or $ref) until that user is
// created or renamed to match, and then the manager's id.
//
// These are the document-level steps; api/scim_api.cc runs them in the write path and
// storage::ManagerLink keeps each link.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/quirks.h"
#include "storage/store.h"

namespace scim::directory {

// Okta's `manager.Email` (any case) becomes manager.value when no value came; recorded in `quirks`.
void AcceptManagerEmail(core::Json& body, core::QuirkLog* quirks);

// The manager reference of a normalized User document (manager.value), if any.
std::optional<std::string> ManagerReferenceOf(const core::Json& document);

// The keys to try for a reference, in `order` (core::TenantSettings::manager_match), then the id
// when the order leaves it out: a resolved document carries the id, which must keep resolving.
std::vector<storage::UserKey> MatchOrder(const std::vector<std::string>& order);

// The user `raw` names, trying `keys` in order, through `find` (Store::FindUser or
// WriteTxn::FindUser). nullopt: nobody matches (the link is pending).
template <class Finder>
core::Result<std::optional<storage::StoredResource>> ResolveManager(Finder& find, storage::TenantId tenant,
                                                                    const std::vector<storage::UserKey>& keys,
                                                                    const std::string& raw) {
  for (storage::UserKey key : keys) {
    auto found = find.FindUser(tenant, key, raw);
    if (!found || *found) return found;
  }
  return std::optional<storage::StoredResource>();
}

// Which of `keys` the user `document` (with id `id`) answers to for `raw`, if any.
bool AnswersTo(const std::string& id, const core::Json& document, const std::vector<storage::UserKey>& keys,
               const std::string& raw);

// Every value by which a user can be named as a manager: id, userName, emails, externalId.
std::vector<std::string> ReferenceKeys(const std::string& id, const core::Json& document);

// What a response shows of a user as someone's manager: displayName, else userName.
std::string DisplayOf(const core::Json& document);

// Sets manager {value: id, displayName} in the enterprise extension of `document`, or removes the
// manager (nullopt) and the extension when that leaves it empty. `schemas` follows.
void SetManager(core::Json& document, const std::optional<std::pair<std::string, std::string>>& manager);

}  // namespace scim::directory
