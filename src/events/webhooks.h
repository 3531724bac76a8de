// Managing a tenant's webhooks, the same for the CLI and the host API: checking what an operator
// asks for and making the record (with its signing secret) the store keeps.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "storage/store.h"

namespace scim::events {

// A webhook for `tenant` at `url` (http or https) for `event_types` (empty: every type), with a
// new id ("wh_…") and signing secret ("whsec_…"). Errors: kInvalidValue naming a bad URL or an
// unknown event type (and listing the known ones).
core::Result<storage::WebhookRecord> NewWebhook(const storage::Tenant& tenant, const std::string& url,
                                                const std::vector<std::string>& event_types, const std::string& now);

// "user.created,group.renamed" -> {"user.created", "group.renamed"}; blanks around names dropped.
std::vector<std::string> SplitEventTypes(const std::string& text);

// How long the previous secret keeps signing after a rotation.
inline constexpr int kSecretOverlapHours = 24;

}  // namespace scim::events
