// apikey and events subcommands. Like the others they open the data directory a running server
// uses; what they change is seen by that server on its next request.
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <thread>

#include "api/scim_api.h"
#include "app/commands.h"
#include "app/wiring.h"
#include "auth/crypto.h"
#include "core/json.h"
#include "core/time.h"
#include "events/webhooks.h"

namespace scim::app {
namespace {

volatile std::sig_atomic_t g_stop_tail = 0;
extern "C" void StopTail(int) { g_stop_tail = 1; }

}  // namespace

int ApiKeyIssue(const CommonFlags& flags, const std::optional<std::string>& tenant_name, const std::string& label) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  std::optional<storage::Tenant> tenant;
  if (tenant_name) {
    auto found = RequireTenant(*env->store, *tenant_name);
    if (!found) return found.error();
    tenant = *found;
  }
  auto issued = auth::IssueApiKey(*env->store, tenant, label, CliActor());
  if (!issued) return FailWith(issued.error());
  // Everything but the key goes to stderr so that `KEY=$(scimd apikey issue)` works.
  fmt::print(stderr, "Issued host API key {} for {}. It is shown once; store it now.\n", issued->record.id,
             tenant ? "tenant '" + tenant->name + "'" : std::string("every tenant"));
  fmt::print("{}\n", issued->secret);
  return kExitOk;
}

int ApiKeyList(const CommonFlags& flags) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto keys = env->store->ListApiKeys();
  if (!keys) {
    PrintError(keys.error().detail);
    return kExitFailure;
  }
  fmt::print("{:<22} {:<20} {:<16} {:<25} {:<25} {}\n", "ID", "TENANT", "LABEL", "CREATED", "LAST USED", "STATUS");
  for (const auto& k : *keys) {
    fmt::print("{:<22} {:<20} {:<16} {:<25} {:<25} {}\n", k.id, k.tenant ? k.tenant_name : "(all)",
               k.label.empty() ? "-" : k.label, k.created, k.last_used.value_or("never"),
               k.revoked ? "revoked" : "active");
  }
  return kExitOk;
}

int ApiKeyRevoke(const CommonFlags& flags, const std::string& key_id) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto revoked = auth::RevokeApiKey(*env->store, key_id, CliActor());
  if (!revoked) return FailWith(revoked.error());
  if (!*revoked) return FailWith({core::ErrorType::kNotFound, "no API key '" + key_id + "' (see: scimd apikey list)"});
  fmt::print("Revoked API key {}; requests using it are refused from now on.\n", key_id);
  return kExitOk;
}

int JournalShow(const CommonFlags& flags, const std::string& tenant_name, const JournalFlags& journal) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto tenant = RequireTenant(*env->store, tenant_name);
  if (!tenant) return tenant.error();
  storage::JournalQuery query;
  if (journal.errors_only) query.status_min = 400;
  query.resource_id = journal.resource;
  query.text = journal.text;
  query.limit = journal.limit;
  auto entries = env->store->ReadJournal(tenant->id, query);
  if (!entries) {
    PrintError(entries.error().detail);
    return kExitFailure;
  }
  fmt::print("{:<25} {:<10} {:<7} {:<48} {:<7} {:>9} {}\n", "TIME", "IDP", "METHOD", "PATH", "STATUS", "MS", "DETAIL");
  for (const auto& e : *entries) {
    std::string path = e.path + (e.query.empty() ? "" : "?" + e.query);
    std::string detail = e.detail.empty() ? e.note : (e.scim_type.empty() ? "" : e.scim_type + ": ") + e.detail;
    fmt::print("{:<25} {:<10} {:<7} {:<48} {:<7} {:>9.1f} {}\n", e.time, e.idp.empty() ? "-" : e.idp, e.method, path,
               e.status, e.duration_ms, detail.empty() ? "-" : detail);
  }
  return kExitOk;
}

int EventsTail(const CommonFlags& flags, const std::string& tenant_name, const std::optional<std::string>& after) {
  int64_t cursor = 0;
  if (after && !after->empty()) {
    auto [end, ec] = std::from_chars(after->data(), after->data() + after->size(), cursor);
    if (ec != std::errc() || end != after->data() + after->size() || cursor < 0) {
      PrintError("--after must be an event's cursor (a number such as \"42\"), not '" + *after + "'");
      return kExitUsage;
    }
  }
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto tenant = RequireTenant(*env->store, tenant_name);
  if (!tenant) return tenant.error();

  std::signal(SIGINT, StopTail);
  std::signal(SIGTERM, StopTail);
  constexpr int64_t kBatch = 500;
  constexpr auto kPollInterval = std::chrono::milliseconds(200);
  while (!g_stop_tail) {
    auto events = env->store->EventsAfter(tenant->id, cursor, kBatch);
    if (!events) {
      PrintError(events.error().detail);
      return kExitFailure;
    }
    for (const auto& event : *events) {
      std::string line = storage::EventJson(event) + "\n";
      std::fwrite(line.data(), 1, line.size(), stdout);
      std::fflush(stdout);
      cursor = event.seq;
    }
    if (static_cast<int64_t>(events->size()) < kBatch) std::this_thread::sleep_for(kPollInterval);
  }
  return kExitOk;
}

int WebhookAdd(const CommonFlags& flags, const std::string& tenant_name, const std::string& url,
               const std::string& event_types) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto tenant = RequireTenant(*env->store, tenant_name);
  if (!tenant) return tenant.error();
  auto webhook = events::NewWebhook(*tenant, url, events::SplitEventTypes(event_types), api::NowRfc3339());
  if (!webhook) {
    PrintError(webhook.error().detail);
    return kExitUsage;
  }
  auto r = env->store->WriteSync([&](storage::WriteTxn& txn) -> core::Result<void> {
    if (auto inserted = txn.InsertWebhook(*webhook); !inserted) return inserted;
    return txn.AppendAudit(CliAudit("webhook.add", tenant->name, webhook->id,
                                    core::DumpJson(core::Json{{"url", webhook->url}})));
  });
  if (!r) {
    PrintError(r.error().detail);
    return kExitFailure;
  }
  // The secret alone on the last line: `SECRET=$(scimd webhook add acme URL | tail -n1)`.
  fmt::print(stderr, "Added webhook {} for tenant '{}': {} ({}). Events from now on are delivered there, signed "
                     "with this secret; it is shown once, store it now.\n",
             webhook->id, tenant->name, url, event_types.empty() ? "every event type" : event_types);
  fmt::print("{}\n", webhook->secret);
  return kExitOk;
}

int WebhookList(const CommonFlags& flags, const std::string& tenant_name) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto tenant = RequireTenant(*env->store, tenant_name);
  if (!tenant) return tenant.error();
  auto webhooks = env->store->ListWebhooks(tenant->id);
  if (!webhooks) {
    PrintError(webhooks.error().detail);
    return kExitFailure;
  }
  fmt::print("{:<20} {:<25} {:<28} {:>8} {:>6} {:>7} {}\n", "ID", "CREATED", "EVENTS", "PENDING", "DEAD", "BEHIND",
             "URL");
  for (const auto& w : *webhooks) {
    std::string types;
    for (const auto& t : w.event_types) types += (types.empty() ? "" : ",") + t;
    auto stats = env->store->GetWebhookStats(tenant->id, w.id);
    storage::WebhookStats shown = stats && *stats ? **stats : storage::WebhookStats{};
    fmt::print("{:<20} {:<25} {:<28} {:>8} {:>6} {:>7} {}\n", w.id, w.created, types.empty() ? "(all)" : types,
               shown.pending, shown.dead, shown.events_behind, w.url);
  }
  return kExitOk;
}

namespace {

std::string NoWebhook(const std::string& tenant_name, const std::string& webhook_id) {
  return "tenant '" + tenant_name + "' has no webhook '" + webhook_id + "' (see: scimd webhook list " + tenant_name +
         ")";
}

}  // namespace

int WebhookRemove(const CommonFlags& flags, const std::string& tenant_name, const std::string& webhook_id) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto tenant = RequireTenant(*env->store, tenant_name);
  if (!tenant) return tenant.error();
  int code = WriteExisting(
      *env->store, [&](storage::WriteTxn& txn) { return txn.DeleteWebhook(tenant->id, webhook_id); },
      NoWebhook(tenant_name, webhook_id), CliAudit("webhook.remove", tenant->name, webhook_id));
  if (code == kExitOk) fmt::print("Removed webhook {} with its pending deliveries and their log.\n", webhook_id);
  return code;
}

int WebhookRotate(const CommonFlags& flags, const std::string& tenant_name, const std::string& webhook_id) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto tenant = RequireTenant(*env->store, tenant_name);
  if (!tenant) return tenant.error();
  std::string secret = auth::NewWebhookSecret();
  std::string until = core::FormatRfc3339(std::chrono::system_clock::now() +
                                          std::chrono::hours(events::kSecretOverlapHours));
  int code = WriteExisting(
      *env->store,
      [&](storage::WriteTxn& txn) { return txn.RotateWebhookSecret(tenant->id, webhook_id, secret, until); },
      NoWebhook(tenant_name, webhook_id),
      CliAudit("webhook.rotate", tenant->name, webhook_id, core::DumpJson(core::Json{{"old_secret_until", until}})));
  if (code != kExitOk) return code;
  fmt::print(stderr, "New signing secret for webhook {}; deliveries carry signatures with both secrets until {}.\n",
             webhook_id, until);
  fmt::print("{}\n", secret);
  return kExitOk;
}

int WebhookDeliveries(const CommonFlags& flags, const std::string& tenant_name,
                      const std::optional<std::string>& webhook_id, const std::optional<std::string>& state_name,
                      int64_t limit) {
  std::optional<storage::DeliveryState> state;
  if (state_name) {
    state = storage::ParseDeliveryState(*state_name);
    if (!state) {
      PrintError("--state must be pending, delivered or dead, not '" + *state_name + "'");
      return kExitUsage;
    }
  }
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto tenant = RequireTenant(*env->store, tenant_name);
  if (!tenant) return tenant.error();
  auto deliveries = env->store->ListDeliveries(tenant->id, webhook_id, state, limit);
  if (!deliveries) {
    PrintError(deliveries.error().detail);
    return kExitFailure;
  }
  fmt::print("{:<10} {:<20} {:<22} {:<10} {:<9} {:<7} {:<25} {}\n", "ID", "WEBHOOK", "EVENT TYPE", "STATE", "ATTEMPTS",
             "STATUS", "LAST ATTEMPT", "LAST ERROR");
  for (const auto& d : *deliveries) {
    fmt::print("{:<10} {:<20} {:<22} {:<10} {:<9} {:<7} {:<25} {}\n", d.id, d.webhook_id, d.event_type,
               storage::DeliveryStateName(d.state), d.attempts, d.last_status ? std::to_string(*d.last_status) : "-",
               d.last_attempt.value_or("-"), d.last_error.empty() ? "-" : d.last_error);
  }
  return kExitOk;
}

int WebhookRedeliver(const CommonFlags& flags, const std::string& tenant_name, int64_t delivery_id) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto tenant = RequireTenant(*env->store, tenant_name);
  if (!tenant) return tenant.error();
  int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  int code = WriteExisting(
      *env->store, [&](storage::WriteTxn& txn) { return txn.Redeliver(tenant->id, delivery_id, now_ms); },
      fmt::format("tenant '{}' has no delivery {} (see: scimd webhook deliveries {})", tenant_name, delivery_id,
                  tenant_name));
  if (code != kExitOk) return code;
  fmt::print("Delivery {} is queued again with a fresh count of attempts.\n", delivery_id);
  return kExitOk;
}

}  // namespace scim::app
