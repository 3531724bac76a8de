// apikey and events subcommands. Like the others they open the data directory a running server
// uses; what they change is seen by that server on its next request.
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include "api/scim_api.h"
#include "app/commands.h"
#include "app/wiring.h"
#include "auth/api_key.h"
#include "auth/crypto.h"

namespace scim::app {
namespace {

volatile std::sig_atomic_t g_stop_tail = 0;
extern "C" void StopTail(int) { g_stop_tail = 1; }

}  // namespace

int ApiKeyIssue(const CommonFlags& flags, const std::optional<std::string>& tenant_name, const std::string& label) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  storage::ApiKeyRecord record;
  if (tenant_name) {
    auto tenant = RequireTenant(*env->store, *tenant_name);
    if (!tenant) return tenant.error();
    record.tenant = tenant->id;
    record.tenant_name = tenant->name;
  }
  record.id = "key_" + auth::RandomHex(8);
  record.label = label;
  record.created = api::NowRfc3339();
  std::string secret = auth::NewApiKeySecret();
  std::string hash = auth::HashTokenSecret(secret);
  auto r = env->store->WriteSync([&](storage::WriteTxn& txn) { return txn.InsertApiKey(record, hash); });
  if (!r) {
    PrintError(r.error().detail);
    return kExitFailure;
  }
  // Everything but the key goes to stderr so that `KEY=$(scimd apikey issue)` works.
  fmt::print(stderr, "Issued host API key {} for {}. It is shown once; store it now.\n", record.id,
             tenant_name ? "tenant '" + record.tenant_name + "'" : std::string("every tenant"));
  fmt::print("{}\n", secret);
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
  bool revoked = false;
  std::string now = api::NowRfc3339();
  auto r = env->store->WriteSync([&](storage::WriteTxn& txn) -> core::Result<void> {
    auto done = txn.RevokeApiKey(key_id, now);
    if (!done) return std::unexpected(done.error());
    revoked = *done;
    return {};
  });
  if (!r) {
    PrintError(r.error().detail);
    return kExitFailure;
  }
  if (!revoked) {
    PrintError("no API key '" + key_id + "' (see: scimd apikey list)");
    return kExitNotFound;
  }
  fmt::print("Revoked API key {}; requests using it are refused from now on.\n", key_id);
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

}  // namespace scim::app
