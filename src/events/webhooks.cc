#include "events/webhooks.h"

#include "auth/crypto.h"
#include "core/change.h"
#include "http/client.h"

namespace scim::events {

core::Result<storage::WebhookRecord> NewWebhook(const storage::Tenant& tenant, const std::string& url,
                                                const std::vector<std::string>& event_types, const std::string& now) {
  if (auto parsed = http::ParseUrl(url); !parsed) return core::Fail(core::ErrorType::kInvalidValue, parsed.error());
  for (const auto& type : event_types) {
    if (!core::ParseEventType(type)) {
      return core::Fail(core::ErrorType::kInvalidValue,
                        "unknown event type '" + type.substr(0, 64) + "'; the types are: " + core::EventTypeNames());
    }
  }
  storage::WebhookRecord webhook;
  webhook.id = "wh_" + auth::RandomHex(8);
  webhook.tenant = tenant.id;
  webhook.tenant_name = tenant.name;
  webhook.url = url;
  webhook.secret = auth::NewWebhookSecret();
  webhook.event_types = event_types;
  webhook.created = now;
  return webhook;
}

std::vector<std::string> SplitEventTypes(const std::string& text) {
  std::vector<std::string> types;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string name = text.substr(start, comma - start);
    while (!name.empty() && name.front() == ' ') name.erase(name.begin());
    while (!name.empty() && name.back() == ' ') name.pop_back();
    if (!name.empty()) types.push_back(std::move(name));
    start = comma + 1;
  }
  return types;
}

}  // namespace scim::events
