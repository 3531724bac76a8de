// `scimd oauth client create|list|delete`: the clients of scimd's OAuth 2 authorization server
// (docs/auth-oauth.md). Like the other commands they work on the data directory a running server
// uses, which sees the change on its next request.
#include <fmt/format.h>

#include "app/commands.h"
#include "app/wiring.h"
#include "auth/administration.h"

namespace scim::app {

int OAuthClientCreate(const CommonFlags& flags, const OAuthClientFlags& client) {
  if (client.tenant.has_value() == client.shared) {
    PrintError("give either --tenant TENANT (a client for one tenant) or --shared (one client for every tenant)");
    return kExitUsage;
  }
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  std::optional<storage::Tenant> tenant;
  if (client.tenant) {
    auto found = RequireTenant(*env->store, *client.tenant);
    if (!found) return found.error();
    tenant = *found;
  }
  auto issued =
      auth::CreateOAuthClient(*env->store, tenant, client.redirect_uris, client.okta_app.value_or(""), CliActor());
  if (!issued) return FailWith(issued.error());
  fmt::print(stderr, "Created OAuth client {} for {}. The secret is shown once; store it now.\n", issued->record.id,
             tenant ? "tenant '" + tenant->name + "'" : std::string("every tenant (shared)"));
  if (issued->record.redirect_uris.empty() && issued->record.okta_app.empty()) {
    fmt::print(stderr, "It has no redirect URI, so it can use the client credentials grant only.\n");
  }
  fmt::print("client_id={}\nclient_secret={}\n", issued->record.id, issued->secret);
  return kExitOk;
}

int OAuthClientList(const CommonFlags& flags) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto clients = env->store->ListOAuthClients();
  if (!clients) {
    PrintError(clients.error().detail);
    return kExitFailure;
  }
  fmt::print("{:<40} {:<20} {:<25} {}\n", "CLIENT_ID", "TENANT", "CREATED", "REDIRECT URIS");
  for (const auto& c : *clients) {
    std::vector<std::string> uris = c.redirect_uris;
    if (!c.okta_app.empty()) uris.push_back("(Okta callbacks of app '" + c.okta_app + "')");
    std::string shown;
    for (const std::string& uri : uris) shown += (shown.empty() ? "" : " ") + uri;
    fmt::print("{:<40} {:<20} {:<25} {}\n", c.id, c.tenant ? c.tenant_name : "(shared)", c.created,
               shown.empty() ? "-" : shown);
  }
  return kExitOk;
}

int OAuthClientDelete(const CommonFlags& flags, const std::string& client_id) {
  auto env = OpenEnvironment(flags, /*create_data_dir=*/false);
  if (!env) return env.error();
  auto deleted = auth::DeleteOAuthClient(*env->store, client_id, std::nullopt, CliActor());
  if (!deleted) return FailWith(deleted.error());
  if (!*deleted) {
    return FailWith({core::ErrorType::kNotFound, "no OAuth client '" + client_id + "' (see: scimd oauth client list)"});
  }
  fmt::print("Deleted OAuth client {} and every token issued to it.\n", client_id);
  return kExitOk;
}

}  // namespace scim::app
